/**
 * One large convolution (POST /v1/operators/conv2d) split across a worker's team (runtime/team.ts):
 * the main thread checks the call as runOperator would, then sends it as one task; the worker runs
 * it with its partner threads, which share its input, weights and output in SharedArrayBuffers and
 * take bands of output rows (or channels) through an Atomics control block: one message for the
 * whole conv, none per band. Without an idle pool worker or a ready partner it runs on one thread.
 */
import { conv2d, convForward } from '../ops/conv.js';
import type { ConvPlan } from '../ops/conv.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import type { OperatorCall, OperatorResult } from './operator.js';
import { checkOperator } from './operator.js';
import { own } from '../records.js';
import type { TaskPool } from './pool.js';
import { bandsFor } from './bands.js';
import { SPLIT_MACS, teamConv } from './split.js';

export { SPLIT_MACS };

/** The worker's part: the resolved conv (plan, input, weights given or seeded). */
export interface SplitConvTask {
  plan: ConvPlan;
  x: Float32Array;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

export interface SplitConvResult {
  out: Float32Array;
  /** Threads that computed it (the worker and its partners). */
  threads: number;
}

export function splitConvTask(t: SplitConvTask): SplitConvResult {
  return teamConv(t.plan, t.x, t.weight, t.bias) ?? { out: convForward(t.x, t.weight, t.bias, t.plan), threads: 1 };
}

/**
 * Runs the call as a team task when it is a conv2d big enough to gain and the pool has two
 * workers; else null (the caller runs the ordinary operator task). It passes every check
 * runOperator makes (runtime/checks.ts: weight roles and shapes, tensor and work limits) before
 * the task is sent, and reads the weights runOperator would (given, else seeded).
 */
export async function splitConv(pool: TaskPool, call: OperatorCall): Promise<OperatorResult | null> {
  if (OPS_BY_NAME.get(call.name) !== conv2d || pool.threads < 2 || call.inputs.length !== 1 || !own(call.weights, 'weight')) return null;
  const { layer, attrs, plan: resolved, weights } = checkOperator(call);
  const plan = resolved as ConvPlan;
  if (layer.macs < SPLIT_MACS || attrs.mode === 'convolution' || !bandsFor(plan, 2)) return null;
  const task: SplitConvTask = { plan, x: call.inputs[0].data, weight: weights.weight.data, bias: weights.bias?.data };
  const moved = [task.x, task.weight, task.bias].flatMap((a) => (a && a.buffer instanceof ArrayBuffer ? [a.buffer] : []));
  const r = await pool.run<SplitConvResult>('splitConv', task, [...new Set(moved)]);
  return { outputs: [tensor(layer.outputShape!, r.out) as Tensor], layer, extra: { workers: r.threads } };
}
