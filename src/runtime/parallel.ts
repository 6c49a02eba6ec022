/**
 * Large dense convolutions split across workers by output channels: the input goes into one
 * SharedArrayBuffer every worker reads; each gets its slice of the weights and returns its
 * channels, which are stitched into the output.
 */
import { numel } from '../ops/types.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import type { OperatorCall, OperatorResult } from './operator.js';
import { describeOperator } from './operator.js';
import type { TaskPool } from './pool.js';

/** Below this many MACs one worker is faster than the fan-out. */
export const SPLIT_MACS = 8_000_000;

function shared(t: Tensor): Tensor {
  const sab = new SharedArrayBuffer(t.data.byteLength);
  const data = new Float32Array(sab);
  data.set(t.data);
  return { shape: t.shape, data };
}

/** Runs the call on several workers when it is a dense conv2d big enough to gain; else null. */
export async function splitConv(pool: TaskPool, call: OperatorCall): Promise<OperatorResult | null> {
  if (call.name !== 'conv2d' || pool.threads < 2 || call.inputs.length !== 1) return null;
  const { layer, attrs } = describeOperator(call);
  const groups = (attrs.groups as number) ?? 1;
  const cout = attrs.outChannels as number;
  const weight = call.weights.weight;
  if (groups !== 1 || layer.macs < SPLIT_MACS || !weight || cout < 2 * pool.threads || attrs.mode === 'convolution') return null;
  const parts = Math.min(pool.threads, Math.floor(cout / 4) || 1);
  const per = weight.data.length / cout;
  const x = shared(call.inputs[0]);
  const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * cout) / parts));
  const results = await Promise.all(
    bounds.slice(0, -1).map((lo, i) => {
      const hi = bounds[i + 1];
      const w = tensor([hi - lo, ...weight.shape.slice(1)], weight.data.slice(lo * per, hi * per));
      const weights: Record<string, Tensor> = { weight: w };
      if (call.weights.bias) weights.bias = tensor([hi - lo], call.weights.bias.data.slice(lo, hi));
      const part: OperatorCall = { ...call, inputs: [x], attributes: { ...attrs, outChannels: hi - lo }, weights };
      return pool.run<OperatorResult>('operator', part, Object.values(weights).map((t) => t.data.buffer as ArrayBuffer));
    }),
  );
  const shape = layer.outputShape!;
  const [n, , h, w] = shape;
  const plane = h * w;
  const out = new Float32Array(numel(shape));
  results.forEach((r, i) => {
    const c = bounds[i + 1] - bounds[i];
    const part = r.outputs[0].data;
    for (let b = 0; b < n; b++) out.set(part.subarray(b * c * plane, (b + 1) * c * plane), (b * cout + bounds[i]) * plane);
  });
  return { outputs: [tensor(shape, out)], layer, extra: { workers: parts } };
}
