/**
 * Reductions over axes (ONNX ReduceMean, ReduceSum, ReduceProd, ReduceMax, ReduceMin, ReduceL2, opsets 11–18;
 * torch.mean, sum, prod, amax, amin, linalg.vector_norm) and the index of the extreme (ONNX ArgMax,
 * ArgMin, torch.argmax, argmin: arg-reduction.ts).
 *
 *   reduceMean y[j] = (1/n)·Σ x[i]     reduceSum Σ x[i]     reduceMax max x[i]     reduceMin min x[i]
 *   reduceProd Π x[i] (exports compute numel(shape) with it: it folds)
 *   reduceL2   y[j] = √(Σ x[i]²)       over the input elements i that reduce to j, n = ∏ x.shape[a]
 *   axes: all by default, each in [−rank, rank − 1], from the attribute or the constant `axes`
 *   input (ReduceSum since opset 13, the others since 18); an empty list reduces all axes unless
 *   noopWithEmptyAxes, which then passes the input through; keepDims leaves size-1 dims;
 *   axesFrom k instead: axes k … rank − 1 of any rank (ONNX GlobalMaxPool is reduceMax axesFrom 2,
 *   F.adaptive_max_pool2d(x, 1)'s values; its VJP splits g over tied maxima as torch.amax does,
 *   where adaptive_max_pool2d gives it all to the first)
 *
 * Over an axis of size 0: sum 0, prod 1, mean NaN, L2 0 (torch and ONNX agree); max −∞ and min +∞,
 * ONNX's definition (onnx/onnx#5568), where torch.amax raises: exported torchvision detectors
 * reduce a [0, 4] box tensor inside an If branch a run with no detections evaluates and discards
 * (batched_nms's max coordinate).
 *
 * FLOPs, as the obvious loop does them: mean numel(x) (n − 1 additions and one division per
 * output); sum, prod, max and min numel(x) − numel(y) (n − 1 additions or comparisons
 * per output; 0, not negative, when an empty axis leaves outputs with no input); L2 2·numel(x) (a
 * square and an addition per input, less one addition, plus one square root, per output).
 *
 * The output element an input element reduces into is its index in the kept-dims shape (the reduced
 * axes set to 1); the kernel walks the input once in memory order, its dims merged into runs of
 * reduced or kept ones, with hoisted strides (reduceData). Known values fold. Receptive field: reducedRF.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalOver, moveDims, summaryAlong } from './receptive-field.js';
import { distinctAxes } from './axes.js';
import { IntList, attrOrConstant, mayFold } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, RFContext, Shape, TensorRF, TensorValue } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { REDUCE_VJPS, REDUCE_VJP_SCRATCH } from './vjp-plumbing.js';

export interface ReducePlan {
  /** The reduced axes, non-negative; empty with noopWithEmptyAxes (identity). */
  axes: number[];
}

/** The reduced axes and the output shape. */
function reducedShape<A extends { keepDims: boolean }>(ctx: InferContext<A>, axes: readonly number[]): Shape {
  const x = ctx.inputs[0];
  return ctx.attrs.keepDims ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
}

/**
 * The field after reducing `axes`: over every spatial axis (but those of one unit), or dropped,
 * global; over some, kept (coordinate attention's x.mean(3, keepdim=True)), a window over each one's
 * extent, as adaptive pooling to [null, 1]; over others, the same field, its dims moved if dropped.
 */
export function reducedRF(ctx: RFContext<{ keepDims: boolean }, ReducePlan>): TensorRF | null {
  const rf = ctx.rf[0];
  if (!rf) return rf;
  const x = ctx.inputs[0];
  const { axes } = ctx.plan;
  const reduced = rf.dims.map((d) => axes.includes(d));
  // the axes kept of one unit (x.mean(3) of an [N, C, 1, W] map): a summary, global
  if (!rf.global && ctx.attrs.keepDims && reduced.some(Boolean) && !rf.dims.every((d, k) => reduced[k] || x[d] === 1)) {
    return summaryAlong(rf, x, axes);
  }
  if (reduced.some(Boolean)) return globalOver(rf, x);
  if (ctx.attrs.keepDims) return rf;
  return moveDims(rf, (d) => d - axes.filter((a) => a < d).length);
}

/** What a reducer accumulates per input element: the loops below are written out per kind (no call per element). */
type Accumulate = 'sum' | 'sumSquares' | 'prod' | 'max' | 'min';

interface Reducer {
  name: string;
  summary: string;
  pytorch: string;
  /** The accumulator's start, what each input element adds to it, and the finish per output given n inputs. */
  init: number;
  accumulate: Accumulate;
  finish: (acc: number, n: number) => number;
  flops: (inputs: number, outputs: number) => number;
  /** Whether the result is integer for an integer input. */
  keepsIntegers: boolean;
  /** MAX_RUN_WORK units a run takes an input element (Inferred.runWork; REDUCE_ELEMENT unless stated). */
  rate?: number;
}

/**
 * MAX_RUN_WORK units a run of a reduction takes an input element (Inferred.runWork): reduceData's
 * loop calls its accumulate step per element, and ran at 0.8–2.0 ns an element where it was
 * counted 1 a FLOP (n − 1 an output: reduceSum, reduceMax along the channels of [1, 256, 56, 56]
 * 1.7–2.0 ns, reduceMean over its plane 0.84, reduceL2 1.5 at its 2 FLOPs), 1.5–2.2 ns a unit at
 * load 12–16; reduceProd 3.1 ns an element, REDUCE_PROD_ELEMENT (bench/op-rates.ts, 2026-12-05,
 * 2 vCPU AMD EPYC, load 4–8). Units of about 0.3 ns (pool.ts); a fold counts the FLOPs.
 */
export const REDUCE_ELEMENT = 7;
export const REDUCE_PROD_ELEMENT = 10;

/**
 * The input's dims merged into runs of reduced or kept ones (size-1 dims dropped: they move no
 * offset), each with the output stride it moves by (0 for a reduced run). [256,256,3,3] over
 * [1,2,3] is kept 256 × reduced 2,304; over [0] reduced 256 × kept 2,304; over [2,3] kept 65,536
 * × reduced 9; over all one reduced run. However many axes a file names, the loops below see at
 * most rank runs, and usually two.
 */
function reducedRuns(shape: Shape, axes: readonly number[]): { size: number[]; outStride: number[]; reduced: boolean[] } {
  const size: number[] = [];
  const reduced: boolean[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const r = axes.includes(i);
    if (reduced.length > 0 && reduced[reduced.length - 1] === r) size[size.length - 1] *= d;
    else size.push(d), reduced.push(r);
  });
  if (size.length === 0) size.push(1), reduced.push(true);
  const outStride = size.map(() => 0);
  for (let b = size.length - 1, s = 1; b >= 0; b--) {
    if (reduced[b]) continue;
    outStride[b] = s;
    s *= size[b];
  }
  return { size, outStride, reduced };
}

/**
 * acc[j] accumulates the input elements that reduce to j, in double precision, in the input's
 * memory order (each output's sum in the order the old per-element loop summed it, so results are
 * bit-identical to it), then finish. The input is read once, front to back, in slabs of the two
 * innermost runs (one reduced, one kept: runs alternate): a reduced innermost row folds into one
 * accumulator held in a local, a kept one adds element-wise into a contiguous span of acc. Between
 * slabs an odometer over the outer runs moves the output offset by their hoisted strides: no index
 * is decoded and nothing is allocated per element (the per-element broadcast index this replaced
 * cost 4 bytes an element and about 20 ns an element with the step called through a closure).
 */
function reduceData(r: Reducer, data: ArrayLike<number>, shape: Shape, axes: readonly number[]): Float64Array {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const acc = new Float64Array(numel(kept)).fill(r.init);
  if (acc.length > 0 && data.length > 0) {
    const { size, outStride, reduced } = reducedRuns(shape, axes);
    const inner = size.length - 1;
    const row = size[inner];
    // the run above the innermost, if any, makes the slab's rows
    const slabRuns = inner > 0 ? 2 : 1;
    const rows = inner > 0 ? size[inner - 1] : 1;
    const outer = size.length - slabRuns;
    const at = new Array<number>(outer).fill(0);
    const slab = rows * row;
    let o = 0;
    for (let base = 0; base < data.length; base += slab) {
      if (reduced[inner]) accumulateRows(r.accumulate, data, base, rows, row, acc, o);
      else accumulateSpans(r.accumulate, data, base, rows, row, acc, o);
      // odometer over the outer runs, last fastest, once per slab: the output offset moves by their strides
      for (let b = outer - 1; b >= 0; b--) {
        o += outStride[b];
        if (++at[b] < size[b]) break;
        o -= outStride[b] * size[b];
        at[b] = 0;
      }
    }
  }
  const n = acc.length === 0 ? 0 : data.length / acc.length;
  for (let j = 0; j < acc.length; j++) acc[j] = r.finish(acc[j], n);
  return acc;
}

/** `rows` rows of `row` elements from data[base], row k reduced into acc[o + k] through a local accumulator. */
function accumulateRows(kind: Accumulate, data: ArrayLike<number>, base: number, rows: number, row: number, acc: Float64Array, o: number): void {
  for (let k = 0, from = base; k < rows; k++, from += row) {
    const end = from + row;
    let a = acc[o + k];
    switch (kind) {
      case 'sum':
        for (let i = from; i < end; i++) a += data[i];
        break;
      case 'sumSquares':
        for (let i = from; i < end; i++) a += data[i] * data[i];
        break;
      case 'prod':
        for (let i = from; i < end; i++) a *= data[i];
        break;
      case 'max':
        // NaN propagates, as torch.amax: once a is NaN no comparison replaces it
        for (let i = from; i < end; i++) {
          const x = data[i];
          if (x > a || x !== x) a = x;
        }
        break;
      case 'min':
        for (let i = from; i < end; i++) {
          const x = data[i];
          if (x < a || x !== x) a = x;
        }
        break;
    }
    acc[o + k] = a;
  }
}

/** `rows` rows of `row` elements from data[base], each added element-wise into acc[o …o + row − 1] (contiguous in both). */
function accumulateSpans(kind: Accumulate, data: ArrayLike<number>, base: number, rows: number, row: number, acc: Float64Array, o: number): void {
  for (let k = 0, from = base; k < rows; k++, from += row) {
    // acc[d + i] is the output of data[i] in this row
    const d = o - from;
    const end = from + row;
    switch (kind) {
      case 'sum':
        for (let i = from; i < end; i++) acc[d + i] += data[i];
        break;
      case 'sumSquares':
        for (let i = from; i < end; i++) acc[d + i] += data[i] * data[i];
        break;
      case 'prod':
        for (let i = from; i < end; i++) acc[d + i] *= data[i];
        break;
      case 'max':
        for (let i = from; i < end; i++) {
          const x = data[i];
          if (x > acc[d + i] || x !== x) acc[d + i] = x;
        }
        break;
      case 'min':
        for (let i = from; i < end; i++) {
          const x = data[i];
          if (x < acc[d + i] || x !== x) acc[d + i] = x;
        }
        break;
    }
  }
}

export const ReduceAttrs = z.strictObject({
  axes: IntList.optional(),
  keepDims: z.boolean().default(true),
  noopWithEmptyAxes: z.boolean().default(false),
  axesFrom: z.number().int().nonnegative().optional().describe('reduce every axis from this one to the last, of any rank (ONNX GlobalMaxPool: 2, the spatial axes); instead of axes'),
});
export type ReduceAttrs = z.infer<typeof ReduceAttrs>;

function reduction(r: Reducer): OpDef<ReduceAttrs, ReducePlan> {
  return {
    name: r.name,
    summary: r.summary,
    pytorch: r.pytorch,
    inputNames: ['data', 'axes'],
    minInputs: 1,
    attrs: ReduceAttrs,
    infer(ctx) {
      const x = ctx.inputs[0];
      const from = ctx.attrs.axesFrom;
      if (from !== undefined && (ctx.attrs.axes !== undefined || ctx.inputs.length > 1)) ctx.fail('INVALID_ATTRIBUTE', 'give axesFrom or axes, not both', 'axesFrom');
      if (from !== undefined && x.length <= from) {
        ctx.fail('RANK_MISMATCH', `axesFrom ${from} reduces axes ${from} on, but input 0 has shape ${fmtShape(x)} (rank ${x.length}): it needs at least ${from + 1} dims`, 'inputs', { shapes: { input0: x } });
      }
      const given = from !== undefined ? null : attrOrConstant(ctx, ctx.attrs.axes, 1, 'axes', false);
      const all = x.map((_, i) => i);
      const axes = from !== undefined ? all.slice(from) : given && given.length > 0 ? distinctAxes(ctx, given, x.length, 'axes') : ctx.attrs.noopWithEmptyAxes ? [] : all;
      const out = reducedShape(ctx, axes);
      const v = ctx.values[0];
      let value: TensorValue | null = null;
      // no axis (noopWithEmptyAxes): the input itself, as ONNX says (not √(x²) = |x| for reduceL2)
      if (v && mayFold(ctx, numel(out))) value = axes.length ? { data: Array.from(reduceData(r, v.data, x, axes)), integer: v.integer && r.keepsIntegers } : v;
      // an empty axis leaves outputs with no input (sum 0, max −∞): n − 1 per output would go negative
      const flops = axes.length ? Math.max(0, r.flops(numel(x), numel(out))) : 0;
      const vjpIntermediates = REDUCE_VJP_SCRATCH[r.name]?.(x, out);
      const runWork = axes.length ? { runWork: (r.rate ?? REDUCE_ELEMENT) * numel(x) } : {};
      return { outputs: [out], values: [value], weights: [], cost: { ...ZERO_COST, elementwise: flops }, ...runWork, plan: { axes }, ...(vjpIntermediates ? { vjpIntermediates } : {}) };
    },
    receptiveField: reducedRF,
    run(ctx) {
      const x = ctx.inputs[0];
      return [tensor(ctx.outputs[0], ctx.plan.axes.length ? Float32Array.from(reduceData(r, x.data, x.shape, ctx.plan.axes)) : Float32Array.from(x.data))];
    },
    vjp: REDUCE_VJPS[r.name],
  };
}

export const reduceMean = reduction({
  name: 'reduceMean',
  summary: 'Mean over axes (all axes by default)',
  pytorch: 'torch.mean',
  init: 0,
  accumulate: 'sum',
  finish: (a, n) => a / n,
  flops: (inputs) => inputs,
  keepsIntegers: false,
});
export const reduceSum = reduction({
  name: 'reduceSum',
  summary: 'Sum over axes (all axes by default)',
  pytorch: 'torch.sum',
  init: 0,
  accumulate: 'sum',
  finish: (a) => a,
  flops: (inputs, outputs) => inputs - outputs,
  keepsIntegers: true,
});
export const reduceMax = reduction({
  name: 'reduceMax',
  summary: 'Maximum over axes (all axes by default)',
  pytorch: 'torch.amax',
  init: -Infinity,
  // NaN propagates, as torch.amax
  accumulate: 'max',
  finish: (a) => a,
  flops: (inputs, outputs) => inputs - outputs,
  keepsIntegers: true,
});
export const reduceMin = reduction({
  name: 'reduceMin',
  summary: 'Minimum over axes (all axes by default)',
  pytorch: 'torch.amin',
  init: Infinity,
  accumulate: 'min',
  finish: (a) => a,
  flops: (inputs, outputs) => inputs - outputs,
  keepsIntegers: true,
});
export const reduceProd = reduction({
  name: 'reduceProd',
  summary: 'Product over axes (all axes by default)',
  pytorch: 'torch.prod',
  init: 1,
  accumulate: 'prod',
  finish: (a) => a,
  flops: (inputs, outputs) => inputs - outputs,
  keepsIntegers: true,
  rate: REDUCE_PROD_ELEMENT,
});
export const reduceL2 = reduction({
  name: 'reduceL2',
  summary: 'Euclidean norm over axes (all axes by default)',
  pytorch: 'torch.linalg.vector_norm',
  init: 0,
  accumulate: 'sumSquares',
  finish: (a) => Math.sqrt(a),
  flops: (inputs) => 2 * inputs,
  keepsIntegers: false,
});
