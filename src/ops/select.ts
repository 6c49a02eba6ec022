/**
 * Selection by position tensors, as detection post-processing exports write it (torchvision's
 * SSD/RetinaNet/Faster R-CNN: scores > threshold → NonZero → GatherND):
 *
 *   nonZero   ONNX NonZero / torch.nonzero(x).T: y [rank, nnz] int64, the coordinates of the
 *             non-zero elements in row-major order (a scalar input gives [0, nnz])
 *   gatherND  ONNX GatherND (batchDims b) / x[tuple(indices.T)]: indices [..., k] address
 *             slices data[i₀ … i_{b+k−1}] of shape data.shape[b + k:];
 *             y.shape = indices.shape[:-1] + data.shape[b + k:], the first b dims shared
 *             (batch-wise) by data and indices; negative indices + dim
 *
 * nnz depends on the values: known (folded) inputs give it exactly; otherwise the output is
 * analysed at its upper bound nnz = numel(x) with a DATA_DEPENDENT_SHAPE warning (never a failed
 * report). The layers after it are sized at that count, so a run that finds another count is
 * refused with UNSUPPORTED_OPERATOR (400), never a tensor of the wrong size passed on. FLOPs: nonZero one comparison per input
 * element; gatherND 0 (a read). Receptive fields: nonZero's output holds coordinates, not
 * features (none); gatherND addressing a spatial axis picks positions by value (global), else
 * its slices keep the data's field moved past the index dims.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { badIndices, indexMessage, validIndex } from './index-faults.js';
import type { Fail } from './index-faults.js';
import { globalOver, moveDims } from './receptive-field.js';
import { mayFold } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, Shape, TensorValue } from './types.js';
import { strides, tensor } from '../tensor/tensor.js';

/** Coordinates of the non-zero elements, [rank, nnz] row-major. */
function nonZeroData(data: ArrayLike<number>, shape: Shape): { rows: number; nnz: number; coords: Float64Array } {
  let nnz = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) nnz++;
  const rank = shape.length;
  const coords = new Float64Array(rank * nnz);
  const st = strides(shape);
  for (let i = 0, j = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    let rest = i;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(rest / st[d]);
      rest -= c * st[d];
      coords[d * nnz + j] = c;
    }
    j++;
  }
  return { rows: rank, nnz, coords };
}

/**
 * MAX_RUN_WORK units a run of nonZero takes an output coordinate (rank a non-zero element; the bound,
 * every element, before the run): nonZeroData's divisions into a float64 array, then its float32
 * copy. A single run of [1, 1, 4096, 4096], all non-zero, 10.6 s (580 ns an element, 145 a
 * coordinate), of 2048² 2.9 s; warmed and repeated, [1, 256, 56, 56] 8–81 ns an element
 * (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC, load 9–12). In units of about 0.3 ns (pool.ts).
 */
const NON_ZERO_OUTPUT = 500;

export const nonZero: OpDef<Record<string, never>, { known: boolean }> = {
  name: 'nonZero',
  summary: 'Coordinates of the non-zero elements, [rank, count] (the count depends on the values)',
  pytorch: 'torch.nonzero(x).T',
  inputNames: ['x'],
  minInputs: 1,
  attrs: z.strictObject({}),
  infer(ctx) {
    const x = ctx.inputs[0];
    const v = ctx.values[0];
    const cost = { ...ZERO_COST, elementwise: numel(x) };
    if (v) {
      const { rows, nnz, coords } = nonZeroData(v.data, x);
      const value: TensorValue | null = mayFold(ctx, rows * nnz) ? { data: Array.from(coords), integer: true } : null;
      return { outputs: [[rows, nnz]], values: [value], weights: [], cost, runWork: NON_ZERO_OUTPUT * rows * nnz, plan: { known: true } };
    }
    return { outputs: [[x.length, numel(x)]], values: [null], weights: [], cost, runWork: NON_ZERO_OUTPUT * x.length * numel(x), plan: { known: false } };
  },
  receptiveField(ctx) {
    if (!ctx.plan.known) {
      ctx.warn({
        code: 'DATA_DEPENDENT_SHAPE',
        message: `layer '${ctx.layer}': how many elements are non-zero depends on tensor values, so the output is analysed at its upper bound ${fmtShape(ctx.outputs[0])} (every element of ${fmtShape(ctx.inputs[0])})`,
        bound: ctx.outputs[0],
      });
    }
    return null;
  },
  run(ctx) {
    const x = ctx.inputs[0];
    const { rows, nnz, coords } = nonZeroData(x.data, x.shape);
    // the real count (analysed at its bound): a later layer planned for the bound refuses it in runGraph
    // (runtime/run-shapes.ts); runtime/run-staged.ts re-infers the rest with it
    return [tensor([rows, nnz], Float32Array.from(coords))];
  },
  // coordinates, not a function of the values' magnitudes: no gradient
  vjp: () => [null],
};

export interface GatherNDPlan {
  batchDims: number;
  /** Index depth k: the data dims each index row addresses after the batch dims. */
  depth: number;
}

/** For each gathered slice, the flat offset of its first element in data. */
function gatherNDOffsets(shape: Shape, indices: ArrayLike<number>, idxShape: Shape, p: GatherNDPlan, fail: Fail): Int32Array {
  const { batchDims: b, depth: k } = p;
  const st = strides(shape);
  const batch = numel(shape.slice(0, b));
  const perBatch = numel(idxShape.slice(b, -1));
  const batchStride = b === 0 ? 0 : st[b - 1];
  const offsets = new Int32Array(batch * perBatch);
  for (let n = 0; n < batch; n++) {
    for (let r = 0; r < perBatch; r++) {
      const row = (n * perBatch + r) * k;
      let at = n * batchStride;
      for (let d = 0; d < k; d++) {
        const dim = shape[b + d];
        const i = indices[row + d];
        if (!validIndex(i, dim)) fail(indexMessage(i, b + d, shape, row + d, idxShape));
        at += (i < 0 ? i + dim : i) * st[b + d];
      }
      offsets[n * perBatch + r] = at;
    }
  }
  return offsets;
}

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of gatherND takes: GATHER_ND_ROW an index row (its
 * offset, gatherNDOffsets) + GATHER_ND_ELEMENT an element copied. bench/op-rates.ts, 2026-12-05,
 * 2 vCPU AMD EPYC (shared; the 3×3 conv at 0.06–0.19 ns a MAC): 200,000 points of [512, 512]
 * 57–451 ns a row, 20,000 rows of 64 13.5 ns an element. In units of about 0.3 ns (pool.ts).
 */
const GATHER_ND_ROW = 200;
const GATHER_ND_ELEMENT = 45;

export const GatherNDAttrs = z.strictObject({ batchDims: z.number().int().nonnegative().default(0) });
export const gatherND: OpDef<z.infer<typeof GatherNDAttrs>, GatherNDPlan> = {
  name: 'gatherND',
  summary: 'Take slices of data at N-dimensional indices (the last index dim addresses data dims)',
  pytorch: 'x[tuple(indices.T)]',
  inputNames: ['data', 'indices'],
  minInputs: 2,
  attrs: GatherNDAttrs,
  infer(ctx) {
    const [x, idx] = ctx.inputs;
    const b = ctx.attrs.batchDims;
    const k = idx[idx.length - 1];
    const shapes = { data: x, indices: idx };
    if (b >= idx.length || b >= x.length) {
      ctx.fail('INVALID_ATTRIBUTE', `batchDims=${b} must be below the ranks of data ${fmtShape(x)} and indices ${fmtShape(idx)}`, 'batchDims', { shapes });
    }
    if (!(k >= 1 && b + k <= x.length)) ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} end in ${k}: it must address 1 to ${x.length - b} dims of data ${fmtShape(x)}`, 'inputs', { shapes });
    if (idx.slice(0, b).some((d, i) => d !== x[i])) ctx.fail('SHAPE_MISMATCH', `the first ${b} dims of indices ${fmtShape(idx)} and data ${fmtShape(x)} must agree`, 'inputs', { shapes });
    const plan = { batchDims: b, depth: k };
    const out = [...idx.slice(0, -1), ...x.slice(b + k)];
    const [v, iv] = ctx.values;
    const fail: Fail = (m) => ctx.fail('INVALID_ATTRIBUTE', m, ['inputs', 1], { shapes });
    let value: TensorValue | null = null;
    if (iv) {
      const offsets = gatherNDOffsets(x, iv.data, idx, plan, fail);
      if (v && mayFold(ctx, numel(out))) {
        const slice = numel(x.slice(b + k));
        const data: number[] = [];
        for (const at of offsets) for (let e = 0; e < slice; e++) data.push(v.data[at + e]);
        value = { data, integer: v.integer };
      }
    }
    // the VJP adds each slice's gradient back at its offset (gatherNDOffsets: one an index row, int32)
    const vjpIntermediates = [{ shape: idx.slice(0, -1), what: `the offset in data of each gathered slice (int32, ${fmtShape(idx.slice(0, -1))})` }];
    const runWork = GATHER_ND_ROW * numel(idx.slice(0, -1)) + GATHER_ND_ELEMENT * numel(out);
    return { outputs: [out], values: [value], weights: [], cost: ZERO_COST, runWork, plan, vjpIntermediates };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    const { batchDims: b, depth: k } = ctx.plan;
    if (!rf) return rf;
    const x = ctx.inputs[0];
    if (rf.dims.some((d) => d >= b && d < b + k)) return globalOver(rf, x);
    const idxRank = ctx.inputs[1].length;
    // batch dims stay; the slice dims follow the index dims (indices.shape[:-1])
    return moveDims(rf, (d) => (d < b ? d : d - b - k + idxRank - 1));
  },
  run(ctx) {
    const [x, idx] = ctx.inputs;
    const { batchDims: b, depth: k } = ctx.plan;
    const offsets = gatherNDOffsets(x.shape, idx.data, idx.shape, ctx.plan, badIndices({ data: x.shape, indices: idx.shape }));
    const slice = numel(x.shape.slice(b + k));
    const out = new Float32Array(offsets.length * slice);
    for (let s = 0; s < offsets.length; s++) out.set(x.data.subarray(offsets[s], offsets[s] + slice), s * slice);
    // the indices a run reads may be fewer than analysed (after a nonZero): the shape follows them
    return [tensor([...idx.shape.slice(0, -1), ...x.shape.slice(b + k)], out)];
  },
  vjp(ctx) {
    // each gathered slice sends its gradient back to where it was read; indices have none
    const [x, idx] = ctx.inputs;
    const { batchDims: b, depth: k } = ctx.plan;
    const gx = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (g) {
      const offsets = gatherNDOffsets(x.shape, idx.data, idx.shape, ctx.plan, badIndices({ data: x.shape, indices: idx.shape }));
      const slice = numel(x.shape.slice(b + k));
      for (let s = 0; s < offsets.length; s++) for (let e = 0; e < slice; e++) gx[offsets[s] + e] += g[s * slice + e];
    }
    return [tensor(x.shape, gx), null];
  },
};
