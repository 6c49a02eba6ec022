/**
 * Constants and index arithmetic: tensors made from shapes and counts (ONNX ConstantOfShape,
 * Range, Tile, CumSum, Trilu; torch.full, torch.arange, torch.Tensor.repeat, torch.cumsum,
 * torch.triu / torch.tril). Exports write them in shape subgraphs (Swin's window masks and
 * paddings, ViT's class-token Expand), where their inputs are known and they fold to constants.
 *
 *   constantOfShape  y.shape = the value of `shape` (a 1-D int64 input; [] gives a scalar), every
 *                    element `value` (dtype: integer types hold integers)
 *   range            y = [start, start + delta, …], n = max(⌈(limit − start)/delta⌉, 0) elements
 *                    (ONNX Range: y[i] = start + i·delta; integer iff all three are)
 *   tile             y.shape[d] = x.shape[d]·repeats[d]; y[i…] = x[i₀ mod x₀, …]
 *   cumSum           y[…, i, …] = Σ x[…, k, …] over k ≤ i (k < i exclusive; k ≥ i, k > i reversed)
 *   trilu            upper: keeps x[…, i, j] with j − i ≥ diagonal; lower: j − i ≤ diagonal; the
 *                    rest 0 (last two dims)
 *
 * Output shapes of constantOfShape and range are the values of their inputs, so those must be
 * known (constants or folded shape arithmetic); otherwise INVALID_ATTRIBUTE names the input.
 * FLOPs: cumSum one addition per element (the running sum), range one per element (start + i·δ);
 * the rest fill, repeat or mask (0). Receptive fields: constantOfShape and range have none (they
 * read no feature map); trilu passes its input's through; a tiled axis has stride 0 over the
 * envelope of its units' boxes (tiledRF: the copies repeat it, which no box of the input's stride
 * holds as tightly); a cumSum
 * along a spatial axis makes it global (the last unit sums the whole axis).
 * VJPs: tile sums g over the copies of each element; cumSum is the running sum of g in the other
 * direction (exclusive stays exclusive); trilu masks g as it masks x; repeats, axes and k have no
 * gradient. constantOfShape and range read no feature map (their inputs are shapes and bounds,
 * known at analysis): no vjp.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { holdsIntegers } from '../tensor/dtype.js';
import { expandRF, globalOver } from './receptive-field.js';
import { normalizeAxis } from './axes.js';
import { attrOrConstant, mayFold } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, Shape, TensorRF, TensorValue } from './types.js';
import { strides, tensor } from '../tensor/tensor.js';

/** A scalar input's known value (range's start, limit, delta; trilu's k), or fail naming it. */
function scalarInput<A>(ctx: InferContext<A>, i: number, name: string): { value: number; integer: boolean } {
  const v = ctx.values[i];
  if (!v || v.data.length !== 1) {
    return ctx.fail('INVALID_ATTRIBUTE', `${name} (input ${i}, shape ${fmtShape(ctx.inputs[i] ?? [])}) must be a known scalar: the output's size depends on it`, ['inputs', i]);
  }
  return { value: v.data[0], integer: v.integer };
}

export const ConstantOfShapeAttrs = z.strictObject({ value: z.number().default(0), dtype: z.string().default('float32') });
export const constantOfShape: OpDef<z.infer<typeof ConstantOfShapeAttrs>, null> = {
  name: 'constantOfShape',
  summary: 'A tensor of a given shape filled with one value',
  pytorch: 'torch.full',
  inputNames: ['shape'],
  valueInputs: [0],
  minInputs: 1,
  attrs: ConstantOfShapeAttrs,
  infer(ctx) {
    if (ctx.inputs[0].length !== 1) ctx.fail('INVALID_ATTRIBUTE', `shape must be a 1-D tensor (ONNX ConstantOfShape), got one of shape ${fmtShape(ctx.inputs[0])}`, ['inputs', 0]);
    // a shape of no elements is known whatever the file stored for it (an empty int64 Constant has no data): a scalar
    const dims = numel(ctx.inputs[0]) === 0 ? [] : attrOrConstant(ctx, undefined, 0, 'shape', true)!;
    const bad = dims.find((d) => !(d >= 0));
    if (bad !== undefined) ctx.fail('INVALID_ATTRIBUTE', `shape [${dims.join(', ')}] has a negative dimension ${bad}`, ['inputs', 0]);
    const n = numel(dims);
    const integer = holdsIntegers(ctx.attrs.dtype);
    const fill = integer ? Math.trunc(ctx.attrs.value) : ctx.attrs.value;
    const value: TensorValue | null = mayFold(ctx, n) ? { data: new Array<number>(n).fill(fill), integer } : null;
    return { outputs: [[...dims]], values: [value], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: () => null,
  run: (ctx) => [tensor(ctx.outputs[0], new Float32Array(numel(ctx.outputs[0])).fill(ctx.attrs.value))],
};

export const range: OpDef<Record<string, never>, { start: number; delta: number }> = {
  name: 'range',
  summary: 'The sequence start, start + delta, … up to (not including) limit',
  pytorch: 'torch.arange',
  inputNames: ['start', 'limit', 'delta'],
  valueInputs: [0, 1, 2],
  minInputs: 3,
  attrs: z.strictObject({}),
  infer(ctx) {
    const start = scalarInput(ctx, 0, 'start');
    const limit = scalarInput(ctx, 1, 'limit');
    const delta = scalarInput(ctx, 2, 'delta');
    if (delta.value === 0) ctx.fail('INVALID_ATTRIBUTE', 'range delta is 0', ['inputs', 2]);
    const n = Math.max(Math.ceil((limit.value - start.value) / delta.value), 0);
    const integer = start.integer && limit.integer && delta.integer;
    const value: TensorValue | null = mayFold(ctx, n) ? { data: Array.from({ length: n }, (_, i) => start.value + i * delta.value), integer } : null;
    return { outputs: [[n]], values: [value], weights: [], cost: { ...ZERO_COST, elementwise: n }, plan: { start: start.value, delta: delta.value } };
  },
  receptiveField: () => null,
  run(ctx) {
    const { start, delta } = ctx.plan;
    const out = new Float32Array(ctx.outputs[0][0]);
    for (let i = 0; i < out.length; i++) out[i] = start + i * delta;
    return [tensor(ctx.outputs[0], out)];
  },
};

/** For each element of the tiled output, the flat index of x it repeats. */
function tileIndex(x: Shape, out: Shape): Int32Array {
  const idx = new Int32Array(numel(out));
  const xs = strides(x);
  const rank = out.length;
  const at = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < idx.length; i++) {
    idx[i] = src;
    // odometer over the output; the source position wraps every x.shape[d] steps
    for (let d = rank - 1; d >= 0; d--) {
      at[d]++;
      if (at[d] % x[d] === 0) src -= xs[d] * (x[d] - 1);
      else src += xs[d];
      if (at[d] < out[d]) break;
      at[d] = 0;
    }
  }
  return idx;
}

/**
 * tile's field. A local axis repeated (k ≥ 2 copies of its n units) is read copy after copy: output
 * unit u reads input unit u mod n, so no box moves with u at the input's stride j (the union of the
 * copies' boxes at j is r + (k − 1)·n·j), while the envelope of the n units' boxes, [−p, (n − 1)·j −
 * p + r − 1], holds every unit's read at stride 0: size r + (n − 1)·j, as an expand's (an axis of
 * one unit: n = 1, expandRF's). The first copy's field was kept, so the second copy's units were
 * boxed n·j past what they read. A summary tiled over the map is spread as an expanded one is (a gate).
 */
function tiledRF(rf: TensorRF | null, x: Shape, y: Shape): TensorRF | null {
  if (!rf || rf.global) return expandRF(rf, x, y);
  const tiled = rf.dims.map((d) => y[d] > x[d]);
  if (!tiled.some(Boolean)) return rf;
  return { ...rf, axes: rf.axes.map((ax, k) => (tiled[k] ? { ...ax, r: ax.r + (x[rf.dims[k]] - 1) * ax.j, j: 0 } : ax)) };
}

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of tile takes an output element: tileIndex's map
 * of copies, then the copy through it. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared; the
 * 3×3 conv at 0.06–0.19 ns a MAC): [1, 64, 56, 56] repeated 2×2 50 ns an element, [1, 1, 1, 1] to
 * [1, 1, 2048, 2048] 92–125 ns. In units of about 0.3 ns (pool.ts).
 */
const TILE_ELEMENT = 300;

export const TileAttrs = z.strictObject({ repeats: z.array(z.number().int().nonnegative()).max(64).optional() });
export const tile: OpDef<z.infer<typeof TileAttrs>, null> = {
  name: 'tile',
  summary: 'Repeat a tensor along each axis (repeats per axis)',
  pytorch: 'torch.Tensor.repeat',
  inputNames: ['input', 'repeats'],
  minInputs: 1,
  attrs: TileAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const repeats = attrOrConstant(ctx, ctx.attrs.repeats, 1, 'repeats', true)!;
    if (repeats.length !== x.length || repeats.some((r) => r < 0)) {
      ctx.fail('INVALID_ATTRIBUTE', `repeats [${repeats.join(', ')}] must give one non-negative count per axis of ${fmtShape(x)}`, 'repeats', { shapes: { input: x } });
    }
    const out = x.map((d, i) => d * repeats[i]);
    const v = ctx.values[0];
    let value: TensorValue | null = null;
    if (v && mayFold(ctx, numel(out))) value = { data: Array.from(tileIndex(x, out), (i) => v.data[i]), integer: v.integer };
    // the VJP sums g into x through the same map of copies (tileIndex)
    const vjpIntermediates = [{ shape: out, what: `the element of x each output copies (int32, ${fmtShape(out)})` }];
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, runWork: TILE_ELEMENT * numel(out), plan: null, vjpIntermediates };
  },
  receptiveField: (ctx) => tiledRF(ctx.rf[0], ctx.inputs[0], ctx.outputs[0]),
  run(ctx) {
    const x = ctx.inputs[0];
    const out = ctx.outputs[0];
    const res = new Float32Array(numel(out));
    if (res.length > 0) {
      const idx = tileIndex(x.shape, out);
      for (let i = 0; i < res.length; i++) res[i] = x.data[idx[i]];
    }
    return [tensor(out, res)];
  },
  vjp(ctx) {
    // every copy of an element sends its gradient back to it
    const x = ctx.inputs[0];
    const gx = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g && g.length > 0) {
      const idx = tileIndex(x.shape, ctx.outputs[0]);
      for (let i = 0; i < g.length; i++) gx[idx[i]] += g[i];
    }
    return [tensor(x.shape, gx), ...ctx.inputs.slice(1).map(() => null)];
  },
};

/**
 * MAX_RUN_WORK units a run of cumSum takes an element (Inferred.runWork): cumulate's running sums
 * into a float64 array, then its float32 copy. A single run of 4 along the last axis of
 * [1, 1, 4096, 4096] 176 ns an element (11.8 s), along the rows 263; warmed and repeated,
 * [1, 256, 56, 56] along dim 1 4.2–160 ns, along dim 3 4.5 (bench/op-rates.ts, 2026-12-05, 2 vCPU
 * AMD EPYC, load 9–12). In units of about 0.3 ns (pool.ts).
 */
const CUM_SUM_ELEMENT = 500;

export const CumSumAttrs = z.strictObject({ dim: z.number().int().optional(), exclusive: z.boolean().default(false), reverse: z.boolean().default(false) });
export const cumSum: OpDef<z.infer<typeof CumSumAttrs>, { axis: number }> = {
  name: 'cumSum',
  summary: 'Cumulative sum along an axis (exclusive and reverse as ONNX CumSum)',
  pytorch: 'torch.cumsum',
  inputNames: ['x', 'axis'],
  minInputs: 1,
  attrs: CumSumAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const axisInput = ctx.attrs.dim !== undefined ? null : attrOrConstant(ctx, undefined, 1, 'dim', true)!;
    // ONNX CumSum's axis is a scalar (or a one-value tensor)
    if (axisInput && axisInput.length !== 1) ctx.fail('INVALID_ATTRIBUTE', `the axis input holds ${axisInput.length} values ([${axisInput.slice(0, 8).join(', ')}${axisInput.length > 8 ? ', …' : ''}]); it takes one`, ['inputs', 1]);
    const given = ctx.attrs.dim !== undefined ? ctx.attrs.dim : axisInput![0];
    const axis = normalizeAxis(ctx, given, x.length, ctx.attrs.dim !== undefined ? 'dim' : 'inputs');
    const v = ctx.values[0];
    let value: TensorValue | null = null;
    if (v && mayFold(ctx, v.data.length)) value = { data: Array.from(cumulate(Float64Array.from(v.data), x, axis, ctx.attrs.exclusive, ctx.attrs.reverse)), integer: v.integer };
    // the VJP's running sums of g, in float64 as the forward's (cumulate), then rounded into ∂x
    const vjpIntermediates = [{ shape: x, what: `the running sums of g in float64 (${fmtShape(x)})`, bytesPerElement: 8 }];
    return { outputs: [x], values: [value], weights: [], cost: { ...ZERO_COST, elementwise: numel(x) }, runWork: CUM_SUM_ELEMENT * numel(x), plan: { axis }, vjpIntermediates };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || !rf.dims.includes(ctx.plan.axis)) return rf;
    const x = ctx.inputs[0];
    return globalOver(rf, x);
  },
  run(ctx) {
    const x = ctx.inputs[0];
    return [tensor(x.shape, Float32Array.from(cumulate(x.data, x.shape, ctx.plan.axis, ctx.attrs.exclusive, ctx.attrs.reverse)))];
  },
  vjp(ctx) {
    // x_k reaches every y_i whose sum holds it: the running sum of g in the other direction
    const x = ctx.inputs[0];
    const g = ctx.gradOutputs[0]?.data ?? new Float32Array(x.data.length);
    const gx = tensor(x.shape, Float32Array.from(cumulate(g, x.shape, ctx.plan.axis, ctx.attrs.exclusive, !ctx.attrs.reverse)));
    return [gx, ...ctx.inputs.slice(1).map(() => null)];
  },
};

/** Running sums along `axis` in double precision (as torch accumulates float32 cumsum on CPU within rounding). */
function cumulate(data: ArrayLike<number>, shape: Shape, axis: number, exclusive: boolean, reverse: boolean): Float64Array {
  const out = new Float64Array(data.length);
  const dim = shape[axis];
  const inner = numel(shape.slice(axis + 1));
  const outer = numel(shape.slice(0, axis));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * dim * inner + i;
      let acc = 0;
      for (let s = 0; s < dim; s++) {
        const k = base + (reverse ? dim - 1 - s : s) * inner;
        if (exclusive) {
          out[k] = acc;
          acc += data[k];
        } else {
          acc += data[k];
          out[k] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of trilu takes an element: triangle's loop into a
 * float64 copy. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared; the 3×3 conv at
 * 0.06–0.19 ns a MAC): [4, 1024, 1024] 111–146 ns an element, [1024, 64, 64] 12.6 ns. In units of
 * about 0.3 ns (pool.ts), at the slower shape.
 */
const TRILU_ELEMENT = 350;

export const TriluAttrs = z.strictObject({ upper: z.boolean().default(true), diagonal: z.number().int().optional() });
export const trilu: OpDef<z.infer<typeof TriluAttrs>, { k: number }> = {
  name: 'trilu',
  summary: 'Upper (triu) or lower (tril) triangle of the last two dims, the rest zero',
  pytorch: 'torch.triu / torch.tril',
  inputNames: ['input', 'k'],
  minInputs: 1,
  attrs: TriluAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 2) ctx.fail('RANK_MISMATCH', `trilu needs at least 2 dimensions, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    // k: the attribute (a spec, or the ONNX mapping's constant input), else a known input, else 0
    const k = ctx.attrs.diagonal ?? (ctx.values[1] ? scalarInput(ctx, 1, 'k').value : 0);
    const v = ctx.values[0];
    let value: TensorValue | null = null;
    if (v && mayFold(ctx, v.data.length)) value = { data: Array.from(triangle(v.data, x, k, ctx.attrs.upper)), integer: v.integer };
    // the VJP's triangle of g in float64, as the forward's (triangle), then rounded into ∂x
    const vjpIntermediates = [{ shape: x, what: `g's triangle in float64 (${fmtShape(x)})`, bytesPerElement: 8 }];
    return { outputs: [x], values: [value], weights: [], cost: ZERO_COST, runWork: TRILU_ELEMENT * numel(x), plan: { k }, vjpIntermediates };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0];
    return [tensor(x.shape, Float32Array.from(triangle(x.data, x.shape, ctx.plan.k, ctx.attrs.upper)))];
  },
  vjp(ctx) {
    // the kept triangle passes g through; the zeroed part has none
    const x = ctx.inputs[0];
    const g = ctx.gradOutputs[0]?.data ?? new Float32Array(x.data.length);
    return [tensor(x.shape, Float32Array.from(triangle(g, x.shape, ctx.plan.k, ctx.attrs.upper))), ...ctx.inputs.slice(1).map(() => null)];
  },
};

function triangle(data: ArrayLike<number>, shape: Shape, k: number, upper: boolean): Float64Array {
  const [rows, cols] = shape.slice(-2);
  const out = new Float64Array(data.length);
  for (let m = 0; m < data.length; m += rows * cols) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const keep = upper ? j - i >= k : j - i <= k;
        if (keep) out[m + i * cols + j] = data[m + i * cols + j];
      }
    }
  }
  return out;
}
