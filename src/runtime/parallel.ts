/**
 * Large convolutions split across workers by bands of output rows. The input, the weights and the
 * output live in SharedArrayBuffers: every worker reads the same input and writes its band of
 * rows straight into the shared output (ops/conv.ts convRows), so nothing is sliced, transferred
 * back or stitched.
 */
import { conv2d } from '../ops/conv.js';
import type { ConvPlan } from '../ops/conv.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { OperatorCall, OperatorResult } from './operator.js';
import { checkOperator } from './operator.js';
import { own } from '../records.js';
import type { TaskPool } from './pool.js';

/** Below this many MACs one worker is faster than the fan-out. */
export const SPLIT_MACS = 8_000_000;

/** The data in shared memory (copied once unless it already is). */
function shared(data: Float32Array): Float32Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const out = new Float32Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

/**
 * Runs the call on several workers when it is a conv2d big enough to gain; else null. It passes
 * every check runOperator makes (runtime/checks.ts: weight roles and shapes, tensor and work
 * limits) before any band starts, and reads the weights runOperator would (given, else seeded).
 */
export async function splitConv(pool: TaskPool, call: OperatorCall): Promise<OperatorResult | null> {
  if (OPS_BY_NAME.get(call.name) !== conv2d || pool.threads < 2 || call.inputs.length !== 1 || !own(call.weights, 'weight')) return null;
  const { layer, attrs, plan: resolved, weights } = checkOperator(call);
  const plan = resolved as ConvPlan;
  const x = call.inputs[0];
  const rows = plan.geo[0].out;
  const parts = Math.min(pool.threads, rows);
  if (layer.macs < SPLIT_MACS || parts < 2 || attrs.mode === 'convolution') return null;
  const shape = layer.outputShape!;
  const out = new Float32Array(new SharedArrayBuffer(numel(shape) * 4));
  const input = shared(x.data);
  const weight = shared(weights.weight.data);
  const bias = weights.bias ? shared(weights.bias.data) : undefined;
  const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * rows) / parts));
  await Promise.all(bounds.slice(0, -1).map((from, i) => pool.run('convRows', { x: input, weight, bias, plan, from, to: bounds[i + 1], out })));
  return { outputs: [tensor(shape, out) as Tensor], layer, extra: { workers: parts } };
}
