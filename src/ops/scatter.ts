/**
 * Element-level indexing: gatherElements reads, scatterND writes, at positions an index tensor
 * gives (ONNX GatherElements and ScatterND, opsets 11–18; torch.gather, and index_put_ for
 * ScatterND). Swin's export builds its shifted-window attention mask with ScatterND into a
 * ConstantOfShape, at indices made by Range and Expand: all known, so the mask folds.
 *
 *   gatherElements  y.shape = indices.shape (same rank as data);
 *                   y[i₀ … i_axis … ] = data[i₀ … indices[i₀ …] … ]  (negative indices + dim)
 *   scatterND       indices [..., k] (k ≤ rank(data)) address slices data[idx] of shape
 *                   data.shape[k:]; updates.shape = indices.shape[:-1] + data.shape[k:];
 *                   y = data with each slice replaced by (reduction none) or combined with (add,
 *                   mul, max, min) its update, in index order
 *
 * FLOPs: gatherElements 0 (a read); scatterND 0 when it replaces, one per update element when it
 * combines. Indices out of range are INVALID_ATTRIBUTE when known at analysis, INVALID_TENSOR in
 * the kernel. Receptive fields: gathering along a spatial axis reads positions the data decides,
 * so the field is global; otherwise it passes through. scatterND's output holds the data's units
 * and the updates' units: their fields merge (as add's).
 * VJPs: gatherElements adds each output gradient into the element it read; scatterND (none) passes
 * g to data where nothing was written and to the update written last at each position, (add)
 * passes g to data everywhere and gathers it for the updates; mul, max, min have none
 * (NO_GRADIENT). Indices have no gradient.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { globalRF, mergeRF } from './receptive-field.js';
import { normalizeAxis } from './axes.js';
import { mayFold } from './common.js';
import { MAX_FOLD_WORK } from '../limits.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape, TensorValue } from './types.js';
import { strides, tensor } from '../tensor/tensor.js';

type Fail = (message: string) => never;

/** An index into an axis of size `dim`, made non-negative; `fail` when it is out of range or fractional. */
function position(i: number, dim: number, fail: Fail, what: string): number {
  if (!Number.isInteger(i) || i < -dim || i >= dim) fail(`${what} index ${i} is out of range for size ${dim} (valid: integers ${-dim}…${dim - 1})`);
  return i < 0 ? i + dim : i;
}

function gatherElementsData(data: ArrayLike<number>, shape: Shape, indices: ArrayLike<number>, idxShape: Shape, axis: number, fail: Fail): Float64Array {
  const from = gatherElementsSources(shape, indices, idxShape, axis, fail);
  return Float64Array.from(from, (i) => data[i]);
}

/** For each index element, the flat position of data it reads. */
function gatherElementsSources(shape: Shape, indices: ArrayLike<number>, idxShape: Shape, axis: number, fail: Fail): Int32Array {
  const out = new Int32Array(indices.length);
  const ds = strides(shape);
  const is = strides(idxShape);
  const dim = shape[axis];
  for (let n = 0; n < indices.length; n++) {
    // the index's own coordinates address data, with the axis coordinate replaced by its value
    let src = 0;
    let rest = n;
    for (let d = 0; d < idxShape.length; d++) {
      const c = Math.floor(rest / is[d]);
      rest -= c * is[d];
      src += (d === axis ? position(indices[n], dim, fail, 'gatherElements') : c) * ds[d];
    }
    out[n] = src;
  }
  return out;
}

export const GatherElementsAttrs = z.strictObject({ dim: z.number().int().default(0) });
export const gatherElements: OpDef<z.infer<typeof GatherElementsAttrs>, { axis: number }> = {
  name: 'gatherElements',
  summary: 'Take elements along an axis at per-element indices (indices shaped like the output)',
  pytorch: 'torch.gather',
  inputNames: ['data', 'indices'],
  minInputs: 2,
  attrs: GatherElementsAttrs,
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    const axis = normalizeAxis(ctx, ctx.attrs.dim, x.length, 'dim');
    if (idx.length !== x.length || idx.some((d, i) => i !== axis && d > x[i])) {
      ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} must have the rank of data ${fmtShape(x)} and no larger dims outside axis ${axis}`, 'inputs', { shapes: { data: x, indices: idx } });
    }
    const [v, iv] = ctx.values;
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, 'inputs', { shapes: { data: x, indices: idx } });
    if (iv) iv.data.forEach((i) => position(i, x[axis], fail, 'gatherElements'));
    let value: TensorValue | null = null;
    if (v && iv && mayFold(ctx, iv.data.length)) value = { data: Array.from(gatherElementsData(v.data, x, iv.data, idx, axis, fail)), integer: v.integer };
    return { outputs: [[...idx]], values: [value], weights: [], cost: ZERO_COST, plan: { axis } };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || !rf.dims.includes(ctx.plan.axis)) return rf;
    const x = ctx.inputs[0];
    return globalRF(rf, [x[rf.dims[0]], x[rf.dims[1]]]);
  },
  run(ctx) {
    const [x, idx] = ctx.inputs;
    const fail: Fail = (m) => {
      throw new ConvlensError('INVALID_TENSOR', `gatherElements: ${m}`, { shapes: { data: x.shape, indices: idx.shape } });
    };
    return [tensor(ctx.outputs[0], Float32Array.from(gatherElementsData(x.data, x.shape, idx.data, idx.shape, ctx.plan.axis, fail)))];
  },
  vjp(ctx) {
    // each read sends its gradient back to the element it read (repeated reads add up)
    const [x, idx] = ctx.inputs;
    const gx = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g) {
      const from = gatherElementsSources(x.shape, idx.data, idx.shape, ctx.plan.axis, (m) => {
        throw new ConvlensError('INVALID_TENSOR', `gatherElements: ${m}`, { shapes: { data: x.shape, indices: idx.shape } });
      });
      for (let n = 0; n < from.length; n++) gx[from[n]] += g[n];
    }
    return [tensor(x.shape, gx), null];
  },
};

const REDUCTIONS = {
  none: (_a: number, b: number) => b,
  add: (a: number, b: number) => a + b,
  mul: (a: number, b: number) => a * b,
  max: (a: number, b: number) => Math.max(a, b),
  min: (a: number, b: number) => Math.min(a, b),
} as const;

function scatterNDData(data: ArrayLike<number>, shape: Shape, indices: ArrayLike<number>, idxShape: Shape, updates: ArrayLike<number>, reduction: keyof typeof REDUCTIONS, fail: Fail): Float64Array {
  const out = Float64Array.from(data);
  const k = idxShape[idxShape.length - 1];
  const ds = strides(shape);
  const slice = numel(shape.slice(k));
  const f = REDUCTIONS[reduction];
  const count = indices.length / Math.max(k, 1);
  for (let u = 0; u < count; u++) {
    let at = 0;
    for (let d = 0; d < k; d++) at += position(indices[u * k + d], shape[d], fail, `scatterND axis ${d}`) * ds[d];
    for (let e = 0; e < slice; e++) out[at + e] = f(out[at + e], updates[u * slice + e]);
  }
  return out;
}

export const ScatterNDAttrs = z.strictObject({ reduction: z.enum(['none', 'add', 'mul', 'max', 'min']).default('none') });
export const scatterND: OpDef<z.infer<typeof ScatterNDAttrs>, null> = {
  name: 'scatterND',
  summary: 'Write (or add, multiply, max, min) update slices into a copy of data at N-dimensional indices',
  pytorch: 'torch.Tensor.index_put_',
  inputNames: ['data', 'indices', 'updates'],
  minInputs: 3,
  attrs: ScatterNDAttrs,
  infer(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const k = idx[idx.length - 1];
    const want = [...idx.slice(0, -1), ...x.slice(k)];
    const shapes = { data: x, indices: idx, updates: upd };
    if (idx.length < 1 || !(k >= 1 && k <= x.length)) ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} must end in a dim from 1 to the rank of data ${fmtShape(x)}`, 'inputs', { shapes });
    if (upd.length !== want.length || upd.some((d, i) => d !== want[i])) {
      ctx.fail('SHAPE_MISMATCH', `updates ${fmtShape(upd)} must be ${fmtShape(want)} (indices ${fmtShape(idx)} without the last dim, then data ${fmtShape(x)} from dim ${k})`, 'inputs', { shapes });
    }
    const [v, iv, uv] = ctx.values;
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, 'inputs', { shapes });
    let value: TensorValue | null = null;
    if (iv) {
      // known indices are checked here; indices that are data, in the kernel
      iv.data.forEach((i, n) => position(i, x[n % k], fail, `scatterND axis ${n % k}`));
      if (v && uv && mayFold(ctx, numel(x)) && numel(x) + numel(upd) <= MAX_FOLD_WORK) {
        value = { data: Array.from(scatterNDData(v.data, x, iv.data, idx, uv.data, ctx.attrs.reduction, fail)), integer: v.integer && uv.integer };
      }
    }
    const elementwise = ctx.attrs.reduction === 'none' ? 0 : numel(upd);
    return { outputs: [x], values: [value], weights: [], cost: { ...ZERO_COST, elementwise }, plan: null };
  },
  receptiveField: (ctx) => mergeRF(ctx.layer, [ctx.rf[0], ctx.rf[2]], ctx.warn, [ctx.inputs[0], ctx.inputs[2]]),
  run(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const fail: Fail = (m) => {
      throw new ConvlensError('INVALID_TENSOR', m, { shapes: { data: x.shape, indices: idx.shape, updates: upd.shape } });
    };
    return [tensor(x.shape, Float32Array.from(scatterNDData(x.data, x.shape, idx.data, idx.shape, upd.data, ctx.attrs.reduction, fail)))];
  },
  vjp(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const reduction = ctx.attrs.reduction;
    if (reduction !== 'none' && reduction !== 'add') {
      throw new ConvlensError('NO_GRADIENT', `scatterND with reduction ${reduction} has no vector-Jacobian product (none and add have)`, { shapes: { data: x.shape } });
    }
    const g = ctx.gradOutputs[0]?.data ?? new Float32Array(x.data.length);
    const k = idx.shape[idx.shape.length - 1];
    const ds = strides(x.shape);
    const slice = numel(x.shape.slice(k));
    const count = idx.data.length / Math.max(k, 1);
    // replacing: the last update written to a position receives its gradient and data there none
    const writer = new Int32Array(x.data.length).fill(-1);
    const at = new Int32Array(count);
    for (let u = 0; u < count; u++) {
      let p = 0;
      for (let d = 0; d < k; d++) {
        const i = idx.data[u * k + d];
        p += (i < 0 ? i + x.shape[d] : i) * ds[d];
      }
      at[u] = p;
      for (let e = 0; e < slice; e++) writer[p + e] = u;
    }
    const gData = Float32Array.from(g, (v, p) => (reduction === 'none' && writer[p] >= 0 ? 0 : v));
    const gUpd = new Float32Array(upd.data.length);
    for (let u = 0; u < count; u++) {
      for (let e = 0; e < slice; e++) if (reduction === 'add' || writer[at[u] + e] === u) gUpd[u * slice + e] = g[at[u] + e];
    }
    return [tensor(x.shape, gData), null, tensor(upd.shape, gUpd)];
  },
};
