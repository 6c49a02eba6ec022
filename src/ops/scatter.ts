/**
 * Element-level indexing: gatherElements reads, scatterElements and scatterND write, at positions
 * an index tensor gives (ONNX GatherElements, ScatterElements and ScatterND, opsets 11–18;
 * torch.gather, Tensor.scatter/scatter_reduce, and index_put_ for ScatterND). Swin's export builds its shifted-window attention mask with ScatterND into a
 * ConstantOfShape, at indices made by Range and Expand: all known, so the mask folds.
 *
 *   gatherElements  y.shape = indices.shape (same rank as data);
 *                   y[i₀ … i_axis … ] = data[i₀ … indices[i₀ …] … ]  (negative indices + dim)
 *   scatterElements y = data, then y[i₀ … indices[i…] … ] (reduction)= updates[i…] for every
 *                   element i of indices (indices and updates one shape, as gatherElements reads)
 *   scatterND       indices [..., k] (k ≤ rank(data)) address slices data[idx] of shape
 *                   data.shape[k:]; updates.shape = indices.shape[:-1] + data.shape[k:];
 *                   y = data with each slice replaced by (reduction none) or combined with (add,
 *                   mul, max, min) its update, in index order
 *
 * FLOPs: gatherElements 0 (a read); scatterElements and scatterND 0 when they replace, one per
 * update element when they combine. Indices out of range are INVALID_ATTRIBUTE when known at
 * analysis, INVALID_TENSOR in the kernel, at the indices (`inputs[1]`), naming the element by its
 * coordinates (ops/index-faults.ts). Receptive fields: gathering along a spatial axis reads
 * positions the data decides, so the field is global; otherwise it passes through.
 * scatterElements' and scatterND's outputs hold the data's units and the updates' units: their
 * fields merge (as add's).
 * VJPs: gatherElements adds each output gradient into the element it read; scatterND (none) passes
 * g to data where nothing was written and to the update written last at each position, (add)
 * passes g to data everywhere and gathers it for the updates; mul, max, min have none
 * (NO_GRADIENT); scatterElements as scatterND for none and add, and as torch's scatter_reduce for
 * mul (the product of the others) and max/min (g shared among the elements equal to the result).
 * Indices have no gradient.
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { badIndices, indexMessage, validIndex } from './index-faults.js';
import type { Fail } from './index-faults.js';
import { globalOver, mergeRF } from './receptive-field.js';
import { normalizeAxis } from './axes.js';
import { mayFold } from './common.js';
import { MAX_FOLD_WORK } from '../limits.js';
import { ZERO_COST, numel } from './types.js';
import type { Intermediate, OpDef, Shape, TensorValue } from './types.js';
import type { Tensor } from '../tensor/tensor.js';
import { strides, tensor } from '../tensor/tensor.js';

/**
 * An index into axis `axis` of data (`shape`), made non-negative; `fail` when it is out of range or
 * fractional, naming the element of indices that holds it (flat position n of idxShape, unravelled
 * only then: nothing is allocated per element).
 */
function position(i: number, shape: Shape, axis: number, fail: Fail, n: number, idxShape: Shape): number {
  const dim = shape[axis];
  if (!validIndex(i, dim)) fail(indexMessage(i, axis, shape, n, idxShape));
  return i < 0 ? i + dim : i;
}

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of gatherElements takes an output element, and of
 * scatterElements an update element (its copy of data is counted as written): the positions'
 * loop (gatherElementsSources) and the typed arrays' from() with a map function. bench/op-rates.ts,
 * 2026-12-05, 2 vCPU AMD EPYC (shared; the 3×3 conv at 0.06–0.19 ns a MAC): gatherElements
 * 382–553 ns an element of [1, 256, 56, 56] or [3136, 256] (counted 1: the element written);
 * scatterElements 130–250 ns an update (add or replace). In units of about 0.3 ns (pool.ts).
 */
const GATHER_ELEMENTS_ELEMENT = 1500;
const SCATTER_ELEMENTS_UPDATE = 600;

function gatherElementsData(data: ArrayLike<number>, shape: Shape, indices: ArrayLike<number>, idxShape: Shape, axis: number, fail: Fail): Float64Array {
  const from = gatherElementsSources(shape, indices, idxShape, axis, fail);
  return Float64Array.from(from, (i) => data[i]);
}

/** For each index element, the flat position of data it reads. */
function gatherElementsSources(shape: Shape, indices: ArrayLike<number>, idxShape: Shape, axis: number, fail: Fail): Int32Array {
  const out = new Int32Array(indices.length);
  const ds = strides(shape);
  const is = strides(idxShape);
  for (let n = 0; n < indices.length; n++) {
    // the index's own coordinates address data, with the axis coordinate replaced by its value
    let src = 0;
    let rest = n;
    for (let d = 0; d < idxShape.length; d++) {
      const c = Math.floor(rest / is[d]);
      rest -= c * is[d];
      src += (d === axis ? position(indices[n], shape, axis, fail, n, idxShape) : c) * ds[d];
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
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, ['inputs', 1], { shapes: { data: x, indices: idx } });
    if (iv) gatherElementsSources(x, iv.data, idx, axis, fail);
    let value: TensorValue | null = null;
    if (v && iv && mayFold(ctx, iv.data.length)) value = { data: Array.from(gatherElementsData(v.data, x, iv.data, idx, axis, fail)), integer: v.integer };
    // the VJP adds g into data through the positions the indices read (gatherElementsSources)
    return { outputs: [[...idx]], values: [value], weights: [], cost: ZERO_COST, runWork: GATHER_ELEMENTS_ELEMENT * numel(idx), plan: { axis }, vjpIntermediates: [readPositions(idx)] };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || !rf.dims.includes(ctx.plan.axis)) return rf;
    const x = ctx.inputs[0];
    return globalOver(rf, x);
  },
  run(ctx) {
    const [x, idx] = ctx.inputs;
    const fail = badIndices({ data: x.shape, indices: idx.shape });
    return [tensor(ctx.outputs[0], Float32Array.from(gatherElementsData(x.data, x.shape, idx.data, idx.shape, ctx.plan.axis, fail)))];
  },
  vjp(ctx) {
    // each read sends its gradient back to the element it read (repeated reads add up)
    const [x, idx] = ctx.inputs;
    const gx = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g) {
      const from = gatherElementsSources(x.shape, idx.data, idx.shape, ctx.plan.axis, badIndices({ data: x.shape, indices: idx.shape }));
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

/**
 * scatter_reduce's gradients (torch, include_self): mul, ∂data = g·Π of the updates at that
 * position, ∂update = g·data·Π of the other updates there; max and min, g shared evenly among the
 * data element and updates that equal the result.
 */
function combinedScatterVjp(reduction: 'mul' | 'max' | 'min', x: Float32Array, u: Float32Array, y: Float32Array, g: Float32Array, to: Int32Array, xShape: Shape, uShape: Shape): (Tensor | null)[] {
  const gData = new Float32Array(x.length);
  const gUpd = new Float32Array(u.length);
  if (reduction === 'mul') {
    const prod = new Float64Array(x.length).fill(1);
    for (let n = 0; n < to.length; n++) prod[to[n]] *= u[n];
    for (let p = 0; p < x.length; p++) gData[p] = g[p] * prod[p];
    for (let n = 0; n < to.length; n++) {
      // the other updates at this position: a product without u[n], recomputed (no division by a 0)
      let others = x[to[n]];
      for (let m = 0; m < to.length; m++) if (m !== n && to[m] === to[n]) others *= u[m];
      gUpd[n] = g[to[n]] * others;
    }
  } else {
    const ties = new Float64Array(x.length);
    for (let p = 0; p < x.length; p++) ties[p] = x[p] === y[p] ? 1 : 0;
    for (let n = 0; n < to.length; n++) if (u[n] === y[to[n]]) ties[to[n]]++;
    for (let p = 0; p < x.length; p++) gData[p] = x[p] === y[p] ? g[p] / ties[p] : 0;
    for (let n = 0; n < to.length; n++) gUpd[n] = u[n] === y[to[n]] ? g[to[n]] / ties[to[n]] : 0;
  }
  return [tensor(xShape, gData), null, tensor(uShape, gUpd)];
}

/** gatherElementsSources' table: for each index element, the flat position of data it addresses (int32). */
const readPositions = (idx: Shape): Intermediate => ({ shape: idx, what: `the position of data each index addresses (int32, ${fmtShape(idx)})` });

/**
 * What scatterElements' VJP allocates beside its two gradients (OpInferred.vjpIntermediates): the
 * positions the updates go to; replacing or adding, the last update written at each position of
 * data (int32); combining (combinedScatterVjp), the product of the updates there (mul) or the ties
 * with the result (max, min), float64 at each position of data.
 */
function scatterElementsVjpIntermediates(x: Shape, upd: Shape, reduction: keyof typeof REDUCTIONS): Intermediate[] {
  const combined =
    reduction === 'none' || reduction === 'add'
      ? { shape: x, what: `the last update written at each position of data (int32, ${fmtShape(x)})` }
      : { shape: x, what: `${reduction === 'mul' ? 'the product of the updates' : 'the elements equal to the result'} at each position of data (float64, ${fmtShape(x)})`, bytesPerElement: 8 };
  return [readPositions(upd), combined];
}

export const ScatterElementsAttrs = z.strictObject({
  dim: z.number().int().default(0),
  reduction: z.enum(['none', 'add', 'mul', 'max', 'min']).default('none'),
});
export const scatterElements: OpDef<z.infer<typeof ScatterElementsAttrs>, { axis: number }> = {
  name: 'scatterElements',
  summary: 'Write (or add, multiply, max, min) updates into a copy of data along an axis at per-element indices',
  pytorch: 'torch.Tensor.scatter / scatter_reduce',
  inputNames: ['data', 'indices', 'updates'],
  minInputs: 3,
  attrs: ScatterElementsAttrs,
  infer(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const axis = normalizeAxis(ctx, ctx.attrs.dim, x.length, 'dim');
    const shapes = { data: x, indices: idx, updates: upd };
    if (idx.length !== x.length || upd.length !== idx.length || upd.some((d, i) => d !== idx[i]) || idx.some((d, i) => i !== axis && d > x[i])) {
      ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} and updates ${fmtShape(upd)} must have one shape, of the rank of data ${fmtShape(x)} and no larger dims outside axis ${axis}`, 'inputs', { shapes });
    }
    const [v, iv, uv] = ctx.values;
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, ['inputs', 1], { shapes });
    let value: TensorValue | null = null;
    if (iv) {
      const to = gatherElementsSources(x, iv.data, idx, axis, fail);
      if (v && uv && mayFold(ctx, numel(x)) && numel(x) + numel(upd) <= MAX_FOLD_WORK) {
        const data = Float64Array.from(v.data);
        const f = REDUCTIONS[ctx.attrs.reduction];
        for (let n = 0; n < to.length; n++) data[to[n]] = f(data[to[n]], uv.data[n]);
        value = { data: Array.from(data), integer: v.integer && uv.integer };
      }
    }
    const cost = { ...ZERO_COST, elementwise: ctx.attrs.reduction === 'none' ? 0 : numel(upd) };
    return { outputs: [x], values: [value], weights: [], cost, runWork: SCATTER_ELEMENTS_UPDATE * numel(upd), plan: { axis }, vjpIntermediates: scatterElementsVjpIntermediates(x, upd, ctx.attrs.reduction) };
  },
  // updates are written where the indices say, not broadcast: pieces (joined), never spread
  receptiveField: (ctx) => mergeRF(ctx.layer, [ctx.rf[0], ctx.rf[2]], ctx.warn, [ctx.inputs[0], ctx.inputs[2]], true),
  run(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const to = gatherElementsSources(x.shape, idx.data, idx.shape, ctx.plan.axis, badIndices({ data: x.shape, indices: idx.shape }));
    const out = Float32Array.from(x.data);
    const f = REDUCTIONS[ctx.attrs.reduction];
    for (let n = 0; n < to.length; n++) out[to[n]] = f(out[to[n]], upd.data[n]);
    return [tensor(x.shape, out)];
  },
  vjp(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const reduction = ctx.attrs.reduction;
    const g = ctx.gradOutputs[0]?.data ?? new Float32Array(x.data.length);
    const to = gatherElementsSources(x.shape, idx.data, idx.shape, ctx.plan.axis, badIndices({ data: x.shape, indices: idx.shape }));
    if (reduction !== 'none' && reduction !== 'add') return combinedScatterVjp(reduction, x.data, upd.data, ctx.forward[0].data, g, to, x.shape, upd.shape);
    // replacing: the update written last to a position takes its gradient, data there none
    const writer = new Int32Array(x.data.length).fill(-1);
    for (let n = 0; n < to.length; n++) writer[to[n]] = n;
    const gData = Float32Array.from(g, (v, p) => (reduction === 'none' && writer[p] >= 0 ? 0 : v));
    const gUpd = Float32Array.from(to, (p, n) => (reduction === 'add' || writer[p] === n ? g[p] : 0));
    return [tensor(x.shape, gData), null, tensor(upd.shape, gUpd)];
  },
};


function scatterNDData(data: ArrayLike<number>, shape: Shape, indices: ArrayLike<number>, idxShape: Shape, updates: ArrayLike<number>, reduction: keyof typeof REDUCTIONS, fail: Fail): Float64Array {
  const out = Float64Array.from(data);
  const k = idxShape[idxShape.length - 1];
  const ds = strides(shape);
  const slice = numel(shape.slice(k));
  const f = REDUCTIONS[reduction];
  const count = indices.length / Math.max(k, 1);
  for (let u = 0; u < count; u++) {
    let at = 0;
    for (let d = 0; d < k; d++) at += position(indices[u * k + d], shape, d, fail, u * k + d, idxShape) * ds[d];
    for (let e = 0; e < slice; e++) out[at + e] = f(out[at + e], updates[u * slice + e]);
  }
  return out;
}

export const ScatterNDAttrs = z.strictObject({ reduction: z.enum(['none', 'add', 'mul', 'max', 'min']).default('none') });
/**
 * MAX_RUN_WORK units a run of scatterND takes (Inferred.runWork): SCATTER_ND_ROW an index row (its
 * position checked and its offset computed), SCATTER_ND_ELEMENT an update element. bench/op-rates.ts,
 * 2026-12-05, 2 vCPU AMD EPYC, load 9–12: 200,000 points into [512, 512] 45–128 ns a point, 20,000
 * rows of 64 160–225 ns a row (2.5–3.5 an update). In units of about 0.3 ns (pool.ts), as gatherND's.
 */
const SCATTER_ND_ROW = 400;
const SCATTER_ND_ELEMENT = 10;

export const scatterND: OpDef<z.infer<typeof ScatterNDAttrs>, null> = {
  name: 'scatterND',
  summary: 'Write (or add, multiply, max, min) update slices into a copy of data at N-dimensional indices',
  pytorch: 'torch.Tensor.index_put_',
  inputNames: ['data', 'indices', 'updates'],
  minInputs: 3,
  foldsConstantOperands: true, // a learned tensor partly overwritten (Swin V2's qkv bias, key third zeroed) is read by ScatterND alone
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
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, ['inputs', 1], { shapes });
    let value: TensorValue | null = null;
    if (iv) {
      // known indices are checked here; indices that are data, in the kernel
      iv.data.forEach((i, n) => position(i, x, n % k, fail, n, idx));
      if (v && uv && mayFold(ctx, numel(x)) && numel(x) + numel(upd) <= MAX_FOLD_WORK) {
        value = { data: Array.from(scatterNDData(v.data, x, iv.data, idx, uv.data, ctx.attrs.reduction, fail)), integer: v.integer && uv.integer };
      }
    }
    const elementwise = ctx.attrs.reduction === 'none' ? 0 : numel(upd);
    // the VJP (none, add; the others have none): the last update written at each position of data, and each update's position
    const differentiable = ctx.attrs.reduction === 'none' || ctx.attrs.reduction === 'add';
    const vjpIntermediates = differentiable
      ? [
          { shape: x, what: `the last update written at each position of data (int32, ${fmtShape(x)})` },
          { shape: idx.slice(0, -1), what: 'the position of data each update slice starts at (int32)' },
        ]
      : [];
    const runWork = SCATTER_ND_ROW * numel(idx.slice(0, -1)) + SCATTER_ND_ELEMENT * numel(upd);
    return { outputs: [x], values: [value], weights: [], cost: { ...ZERO_COST, elementwise }, runWork, plan: null, vjpIntermediates };
  },
  // updates are written where the indices say, not broadcast: pieces (joined), never spread
  receptiveField: (ctx) => mergeRF(ctx.layer, [ctx.rf[0], ctx.rf[2]], ctx.warn, [ctx.inputs[0], ctx.inputs[2]], true),
  run(ctx) {
    const [x, idx, upd] = ctx.inputs;
    const fail = badIndices({ data: x.shape, indices: idx.shape, updates: upd.shape });
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
