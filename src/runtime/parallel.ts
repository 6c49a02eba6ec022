/**
 * Large convolutions split across workers by bands of output rows. A band is itself an ordinary
 * convolution: the input rows it reads, with the top and bottom padding that falls inside the band
 * (4-sided padding), so each worker does only its share of the im2col and the GEMM.
 */
import { ConvlensError } from '../errors.js';
import { convPlan } from '../ops/conv.js';
import type { ConvAttrs } from '../ops/conv.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import type { OperatorCall, OperatorResult } from './operator.js';
import { describeOperator } from './operator.js';
import type { TaskPool } from './pool.js';

/** Below this many MACs one worker is faster than the fan-out. */
export const SPLIT_MACS = 8_000_000;

/** Rows [from, to) of every (n, c) plane of x. */
function rowBand(x: Tensor, from: number, to: number): Tensor {
  const [n, c, h, w] = x.shape;
  const rows = to - from;
  const out = new Float32Array(n * c * rows * w);
  for (let p = 0; p < n * c; p++) out.set(x.data.subarray((p * h + from) * w, (p * h + to) * w), p * rows * w);
  return tensor([n, c, rows, w], out);
}

/** Runs the call on several workers when it is a conv2d big enough to gain; else null. */
export async function splitConv(pool: TaskPool, call: OperatorCall): Promise<OperatorResult | null> {
  if (call.name !== 'conv2d' || pool.threads < 2 || call.inputs.length !== 1) return null;
  const { layer, attrs } = describeOperator(call);
  const x = call.inputs[0];
  const [gh, gw] = convPlan({
    layer: 'conv2d',
    inputs: [x.shape],
    values: [null],
    attrs: attrs as ConvAttrs,
    fail: (code, message) => {
      throw new ConvlensError(code, message);
    },
  }).geo;
  const parts = Math.min(pool.threads, gh.out);
  if (layer.macs < SPLIT_MACS || parts < 2 || attrs.mode === 'convolution') return null;
  const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * gh.out) / parts));
  const results = await Promise.all(
    bounds.slice(0, -1).map((r0, i) => {
      const r1 = bounds[i + 1];
      const first = r0 * gh.stride - gh.padBegin;
      const last = (r1 - 1) * gh.stride - gh.padBegin + gh.effKernel - 1;
      const from = Math.max(0, first);
      const to = Math.min(gh.in, last + 1);
      const band = rowBand(x, from, to);
      // [top, left, bottom, right]
      const padding = [from - first, gw.padBegin, last + 1 - to, gw.padEnd];
      const weights = Object.fromEntries(Object.entries(call.weights).map(([k, t]) => [k, tensor(t.shape, t.data.slice())]));
      const part: OperatorCall = { ...call, inputs: [band], attributes: { ...attrs, padding }, weights };
      return pool.run<OperatorResult>('operator', part, [band.data.buffer as ArrayBuffer, ...Object.values(weights).map((t) => t.data.buffer as ArrayBuffer)]);
    }),
  );
  const shape = layer.outputShape!;
  const [n, cout, oh, ow] = shape;
  const out = new Float32Array(n * cout * oh * ow);
  results.forEach((r, i) => {
    const rows = bounds[i + 1] - bounds[i];
    const part = r.outputs[0].data;
    for (let p = 0; p < n * cout; p++) out.set(part.subarray(p * rows * ow, (p + 1) * rows * ow), (p * oh + bounds[i]) * ow);
  });
  return { outputs: [tensor(shape, out)], layer, extra: { workers: parts } };
}
