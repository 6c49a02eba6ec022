/**
 * topK: the k largest (or smallest) entries along an axis and their indices (ONNX TopK opsets
 * 1–18, k an attribute before opset 10 and a 1-element int64 input since; torch.topk).
 *
 *   values.shape = indices.shape = x.shape with axis → k; entries ordered by value (descending
 *   for largest, ascending otherwise), ties by the lower index (ONNX); NaN counts as the largest
 *   (torch); sorted = false is allowed to return any order, and returns this one
 *
 * k comes from the attribute or the constant `k` input; detection heads compute it as
 * Min(const, Shape(x)[…]), which folds. When it does not fold, k depends on tensor values: the
 * output is analysed at its upper bound x.shape[axis] and a DATA_DEPENDENT_SHAPE warning says so
 * (the report never fails on it); a run then checks the k it reads against that bound's size and
 * refuses another with UNSUPPORTED_OPERATOR (400).
 * FLOPs: numel(x)·⌈log₂(k + 1)⌉ comparisons (the obvious k-element heap per slice: each entry is
 * compared with the heap's top and, when it enters, sifted down). Receptive field: selecting
 * along a spatial axis picks positions by value, so the field is global; along others it passes.
 * VJP: the values' gradient goes to the entries they were taken from (the indices output says
 * which); the indices output and k carry none.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { globalOver } from './receptive-field.js';
import { normalizeAxis } from './axes.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export const TopKAttrs = z.strictObject({
  k: z.number().int().nonnegative().optional(),
  dim: z.number().int().default(-1),
  largest: z.boolean().default(true),
  sorted: z.boolean().default(true),
});
export type TopKAttrs = z.infer<typeof TopKAttrs>;

export interface TopKPlan {
  axis: number;
  k: number;
  /** k was not known: the outputs are sized at the bound x.shape[axis]. */
  dataDependent: boolean;
}

/**
 * MAX_RUN_WORK's work a comparison of topKForward's sort (Array.prototype.sort with a comparator,
 * the whole slice whatever k). bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared): 39–63 ns
 * an element·⌈log2 dim⌉ (top 10 of 1000 ×1024 397 ms, all of 100,000 108 ms), 1150× the cost's rate
 * against the 3×3 conv; at MAX_RUN_WORK's unit of about 0.3 ns (see pool.ts), 160.
 */
const SORT_COMPARISON = 160;

export const topK: OpDef<TopKAttrs, TopKPlan> = {
  name: 'topK',
  summary: 'The k largest (or smallest) entries along an axis, and their indices',
  pytorch: 'torch.topk',
  inputNames: ['x', 'k'],
  minInputs: 1,
  outputCount: () => 2,
  attrs: TopKAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const axis = normalizeAxis(ctx, ctx.attrs.dim, x.length, 'dim');
    const dim = x[axis];
    const kv = ctx.values[1];
    let k = ctx.attrs.k ?? (kv ? kv.data[0] : undefined);
    const dataDependent = k === undefined;
    if (ctx.attrs.k === undefined && ctx.inputs[1] === undefined) ctx.fail('INVALID_ATTRIBUTE', 'k is required (attribute or input 1)', 'k');
    if (kv && kv.data.length !== 1) ctx.fail('INVALID_ATTRIBUTE', `k must be one integer, input 1 holds ${kv.data.length} values`, 'inputs');
    k ??= dim;
    if (!Number.isInteger(k) || k < 0 || k > dim) ctx.fail('INVALID_ATTRIBUTE', `k=${k} is not in 0…${dim} (axis ${axis} of ${fmtShape(x)})`, 'k', { shapes: { x } });
    const out = x.map((d, i) => (i === axis ? k : d));
    const comparisons = numel(x) * Math.ceil(Math.log2(k + 1));
    // the kernel sorts each whole slice with a comparator (topKForward): SORT_COMPARISON units a comparison of n·⌈log2(dim + 1)⌉
    const kernelWork = SORT_COMPARISON * numel(x) * Math.ceil(Math.log2(dim + 1));
    return { outputs: [out, out], values: [null, null], weights: [], cost: { ...ZERO_COST, elementwise: comparisons }, kernelWork, plan: { axis, k, dataDependent } };
  },
  receptiveField(ctx) {
    const { axis, k, dataDependent } = ctx.plan;
    if (dataDependent) {
      ctx.warn({
        code: 'DATA_DEPENDENT_SHAPE',
        message: `layer '${ctx.layer}': k is computed from tensor values, so the output size is analysed at its upper bound ${k} (axis ${axis} of ${fmtShape(ctx.inputs[0])})`,
        bound: ctx.outputs[0],
      });
    }
    const rf = ctx.rf[0];
    if (!rf || !rf.dims.includes(axis)) return rf;
    const x = ctx.inputs[0];
    return globalOver(rf, x);
  },
  run(ctx) {
    const x = ctx.inputs[0];
    const { axis } = ctx.plan;
    let k = ctx.plan.k;
    if (ctx.plan.dataDependent) {
      const given = ctx.inputs[1]?.data[0];
      // the real k (analysed at its bound): a later layer planned for the bound refuses it (runtime/run-shapes.ts)
      if (given === undefined || !Number.isInteger(given) || given < 0 || given > x.shape[axis]) {
        throw new ConvlensError('INVALID_TENSOR', `k = ${given} at run time is not a count of axis ${axis} of ${fmtShape(x.shape)} (integers 0…${x.shape[axis]})`, { path: '$.inputs[1]', shapes: { x: x.shape } });
      }
      k = given;
    }
    const out = ctx.outputs[0].map((d, i) => (i === axis ? k : d));
    return topKForward(x, axis, k, ctx.attrs.largest, out);
  },
  vjp(ctx) {
    // each selected value's gradient goes back to the entry it was taken from; indices have none
    const x = ctx.inputs[0];
    const { axis } = ctx.plan;
    const gx = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g) {
      const idx = ctx.forward[1].data;
      const dim = x.shape[axis];
      const k = ctx.forward[0].shape[axis];
      const inner = numel(x.shape.slice(axis + 1));
      for (let e = 0; e < g.length; e++) {
        const i = e % inner;
        const o = Math.floor(e / (k * inner));
        gx[(o * dim + idx[e]) * inner + i] += g[e];
      }
    }
    return [tensor(x.shape, gx), ...ctx.inputs.slice(1).map(() => null)];
  },
};

/** Values and indices of the k first entries of each slice along `axis` in the order above. */
function topKForward(x: Tensor, axis: number, k: number, largest: boolean, out: Shape): Tensor[] {
  const dim = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const outer = numel(x.shape.slice(0, axis));
  const values = new Float32Array(numel(out));
  const indices = new Float32Array(numel(out));
  const order = new Int32Array(dim);
  const slice = new Float32Array(dim);
  // NaN first (the largest), then by value, ties by index; smallest reverses the value order only
  const before = (a: number, b: number) => {
    const va = slice[a];
    const vb = slice[b];
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na || nb) return na && nb ? a - b : largest ? (na ? -1 : 1) : na ? 1 : -1;
    return va === vb ? a - b : largest ? vb - va : va - vb;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      for (let j = 0; j < dim; j++) {
        slice[j] = x.data[base + j * inner];
        order[j] = j;
      }
      order.sort(before);
      const at = o * k * inner + i;
      for (let j = 0; j < k; j++) {
        values[at + j * inner] = slice[order[j]];
        indices[at + j * inner] = order[j];
      }
    }
  }
  return [tensor(out, values), tensor(out, indices)];
}
