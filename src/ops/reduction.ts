/**
 * Reductions: reduceMean (ONNX ReduceMean, opsets 13–18; torch.mean(x, dim, keepdim)).
 *
 *   y[j] = (1/n)·Σ x[i] over the input elements i that reduce to j, n = ∏ x.shape[a] over the axes
 *   axes: all by default, each in [−rank, rank − 1]; keepDims leaves them as size-1 dims
 *   FLOPs = numel(x): per output, n − 1 additions and one division (n in all)
 *
 * The output element an input element adds into is a broadcast index: the kept-dims shape (the
 * reduced axes set to 1) read as the input's shape (broadcast.ts). Reducing over a spatial axis
 * makes the receptive field global; reducing other axes without keepDims moves the spatial ones.
 */
import { z } from 'zod';
import { globalRF, moveDims } from './receptive-field.js';
import { broadcastIndex } from './broadcast.js';
import { normalizeAxis } from './axes.js';
import { IntList, attrOrConstant } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const ReduceMeanAttrs = z.strictObject({ axes: IntList.optional(), keepDims: z.boolean().default(true) });
export const reduceMean: OpDef<z.infer<typeof ReduceMeanAttrs>, { axes: number[] }> = {
  name: 'reduceMean',
  summary: 'Mean over axes (all axes by default)',
  pytorch: 'torch.mean',
  inputNames: ['data', 'axes'],
  minInputs: 1,
  attrs: ReduceMeanAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const given = attrOrConstant(ctx, ctx.attrs.axes, 1, 'axes', false);
    const axes = given ? given.map((a) => normalizeAxis(ctx, a, x.length, 'axes')) : x.map((_, i) => i);
    const out = ctx.attrs.keepDims ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: numel(x) }, plan: { axes } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf) return rf;
    const x = ctx.inputs[0];
    if (rf.dims.some((d) => ctx.plan.axes.includes(d))) return globalRF(rf, [x[rf.dims[0]], x[rf.dims[1]]]);
    if (ctx.attrs.keepDims) return rf;
    return moveDims(rf, (d) => d - ctx.plan.axes.filter((a) => a < d).length);
  },
  run(ctx) {
    const x = ctx.inputs[0];
    const kept = x.shape.map((d, i) => (ctx.plan.axes.includes(i) ? 1 : d));
    const sums = new Float64Array(numel(kept));
    // input element i adds into sums[into[i]]
    const into = broadcastIndex(kept, x.shape);
    for (let i = 0; i < x.data.length; i++) sums[into[i]] += x.data[i];
    const n = x.data.length / sums.length;
    return [tensor(ctx.outputs[0], Float32Array.from(sums, (v) => v / n))];
  },
};
