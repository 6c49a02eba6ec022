/**
 * Upsampling over 1 or 3 spatial axes (audio [L], video [T, H, W]): upsample1d (nearest, linear)
 * and upsample3d (nearest, trilinear), PyTorch's torch.nn.Upsample / F.interpolate on 3-D and
 * 5-D tensors, as upsample.ts over 2.
 *
 *   O = size, or floor(I·scale)                                       (per axis)
 *   source coordinate of output o, with r = 1/scaleFactor when given (PyTorch, recompute_scale_factor
 *   unset), else I/O (also with recomputeScaleFactor: O = floor(I·scaleFactor), then read as to that size;
 *   refused beside an explicit size, as PyTorch):
 *     nearest                 min(floor(float32(o·float32(r))), I − 1)         (ATen computes it in float32)
 *     nearest-exact           min(floor(float32((o + 0.5)·float32(r))), I − 1)  (the pixel centre; no size rule)
 *     linear, alignCorners    o·(I − 1)/(O − 1)                        (0 when O = 1)
 *     linear                  max(0, (o + 0.5)·r − 0.5)                (half pixel, clamped at 0)
 *   linear reads the two neighbours per axis (the upper clamped to I − 1).
 *   By output size, whatever the scale given (ATen's UpSample.h, torch 1.13 on the CPU):
 *     3-D nearest on one channel    O = I reads o, O = 2I reads o >> 1 (nearest_idx in ATen's channels-last kernel,
 *                                   which a C = 1 tensor takes); C > 1 and 1-D nearest read floor(o·r)
 *     linear, trilinear             O = I reads o with weights (1, 0), either alignCorners (compute_source_index_and_lambda)
 *   Nearest is a copy and 1-D linear sums its own two taps only, so ±inf and −0 pass as in PyTorch
 *   (0·inf in a unit axis's zero-weight tap made NaN); trilinear sums all eight taps as PyTorch does.
 *   Linear weights are computed in float64, PyTorch's in float32: at a scale whose coordinates are not
 *   exact in float32 (×3), a weight PyTorch leaves a few ulps above 0 is 0 here, so an inf beside it
 *   gives NaN where PyTorch gives inf. Finite inputs agree to float32 rounding.
 *   FLOPs per output: nearest 0 (a copy); linear 3 (2 mul + 1 add); trilinear 15 (8 mul + 7 add)
 * Receptive field: per axis the envelope (readEnvelope) of what each unit reads, from the kernel's
 * own taps (i0, and i1 unless its weight is 0: a source clamped to 0 or on a pixel centre), at the
 * step r (alignCorners: (I − 1)/(O − 1)); an axis read by size (a copy, o >> 1) steps I/O.
 * VJP: the transpose of the same taps (kernelTaps: one plan, one table builder for both), every
 * mode: ∂x[i] += λ·g[o] for each tap (i, λ) of output o (upsample-nd-vjp.ts). torch 1.13's nearest
 * backward reads ATen's nearest_idx (o at O = I, o >> 1 at O = 2I) whatever the channels, while its
 * forward does only in 3-D on one channel: for 1-D, and 3-D with C > 1, at a scale that gives O = I
 * or 2I without being 1 or 2 (×1.1, ×2.1), its autograd is not the transpose of its forward; ours
 * is the transpose of the forward (which is torch's), as upsample.ts's.
 */
import { z } from 'zod';
import { expectSpatialRank } from './nd-common.js';
import { perAxisWindow, resampleReads, spreadRF } from './receptive-field.js';
import { atenSizeIndex } from './upsample-plan.js';
import { onCentre } from './resample-field.js';
import { dyadic, interiorPeriod, wholePeriod } from './read-period.js';
import type { ReadPeriod } from './read-period.js';
import { expand, perAxis } from './geometry-nd.js';
import { READS_SHAPES_ONLY, ZERO_COST, numel } from './types.js';
import type { OpDef, RFContext, Shape, TensorRF } from './types.js';
import { gatherBack, linear1dBack, trilinearBack } from './upsample-nd-vjp.js';
import type { AxisTaps } from './upsample-nd-vjp.js';
import { gradOrZeros } from './vjp-kernels.js';
import { tensor } from '../tensor/tensor.js';

function attrs(rank: 1 | 3) {
  const positive = z.number().positive().max(2 ** 16);
  return z.strictObject({
    mode: z.enum(rank === 1 ? ['nearest', 'nearest-exact', 'linear'] : ['nearest', 'nearest-exact', 'trilinear']).default('nearest'),
    scaleFactor: z.union([positive, z.array(positive).length(rank)]).optional(),
    size: perAxis(rank).optional(),
    alignCorners: z.boolean().optional(),
    recomputeScaleFactor: z
      .boolean()
      .default(false)
      .describe("F.interpolate's recompute_scale_factor: the output floor(I·scaleFactor), then coordinates from I/O as for that size rather than from 1/scaleFactor"),
  });
}
export type UpsampleNdAttrs = z.infer<ReturnType<typeof attrs>>;

/** linear and trilinear weigh two taps per axis; nearest and nearest-exact copy one. */
const isLinear = (mode: UpsampleNdAttrs['mode']) => mode === 'linear' || mode === 'trilinear';
/**
 * MAX_RUN_WORK's work of the kernels (JavaScript, tap tables per axis): 100 GEMM-equivalent units an
 * output, any mode. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared), against the 3×3 conv's
 * 0.34 ns a MAC: upsample1d linear ×4 33 ns an output (24× the cost's 4), upsample3d trilinear ×2 17 ns.
 */
const ND_RESAMPLE_OUTPUT = 100;

/** One axis's resampling: the kernel's taps (axisTaps) and the field's reads (unitTap) follow from it. */
export interface AxisResample {
  rank: number;
  channels: number;
  inSize: number;
  outSize: number;
  scaleFactor: number | undefined;
  linear: boolean;
  alignCorners: boolean;
  /** nearest-exact: the pixel centre (o + 0.5)·r, no size rule */
  exact: boolean;
}

/** The axes' parameters, not their tap tables: a field visits a period of units (ndPeriod), the kernel builds the tables (axisTaps). */
export interface UpsampleNdPlan {
  axes: AxisResample[];
}

/**
 * Whether PyTorch reads this axis by its sizes rather than the scale (header): a copy, or nearest's
 * o >> 1 in 3-D on one channel (nearest-exact has no such rule: `exact`).
 */
function readsBySize(rank: number, channels: number, inSize: number, outSize: number, linear: boolean, exact = false): boolean {
  return !exact && (linear || (rank === 3 && channels === 1)) && atenSizeIndex(0, inSize, outSize, linear) !== null;
}

/**
 * A linear axis's source coordinate of output o, before clamping at 0, as ATen computes it
 * (area_pixel_compute_scale, area_pixel_compute_source_index): the scale rounded to float32
 * (alignCorners float32((I − 1)/(O − 1)), else float32(r)), the product exact in float64:
 * alignCorners c·o, else c·(o + 0.5) − 0.5. The exact quotient o·(I − 1)/(O − 1) differs where it
 * is an integer k and c·o falls just short of it: PyTorch then reads k − 1 and k (weights ~1e-7
 * and ~1), so an infinite x[k − 1] gives ±∞ there, not the NaN of 0·∞ at k + 1.
 */
export function linearSource(o: number, inSize: number, outSize: number, ratio: number, alignCorners: boolean): number {
  return alignCorners ? (outSize > 1 ? linearScale(inSize, outSize, ratio, true) * o : 0) : linearScale(inSize, outSize, ratio, false) * (o + 0.5) - 0.5;
}

/** The float32 step of linearSource: float32((I − 1)/(O − 1)) with alignCorners, else float32(r). */
export function linearScale(inSize: number, outSize: number, ratio: number, alignCorners: boolean): number {
  return alignCorners ? (outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0) : Math.fround(ratio);
}

function axisTaps(p: AxisResample): AxisTaps {
  const taps: AxisTaps = { i0: new Int32Array(p.outSize), i1: new Int32Array(p.outSize), w1: new Float32Array(p.outSize) };
  for (let o = 0; o < p.outSize; o++) unitTap(p, o, taps, o);
  return taps;
}

/** Output o's two source indices and the upper one's weight, written at `at` of the tables. */
function unitTap(p: AxisResample, o: number, t: AxisTaps, at: number): void {
  const { inSize, outSize, linear } = p;
  const ratio = p.scaleFactor !== undefined ? 1 / p.scaleFactor : inSize / outSize;
  if (readsBySize(p.rank, p.channels, inSize, outSize, linear, p.exact)) {
    // a copy (o, weights 1 and 0), or nearest ×2's o >> 1
    t.i0[at] = t.i1[at] = atenSizeIndex(o, inSize, outSize, linear)!;
    t.w1[at] = 0;
    return;
  }
  if (!linear) {
    // nearest as ATen (nearest_neighbor_compute_source_index): floorf(o·scale) with scale a float32 and a
    // float32 product (×2.72 on 28: output 68 reads 25, 68·float32(1/2.72) rounding up to 25.0 in float32,
    // where the float64 product 24.99…96 reads 24); nearest-exact floorf((o + 0.5)·scale), the product in
    // double rounded to float32
    t.i0[at] = t.i1[at] = Math.min(Math.floor(nearestSource32(o, ratio, p.exact)), inSize - 1);
    t.w1[at] = 0;
    return;
  }
  const src = Math.max(0, linearSource(o, inSize, outSize, ratio, p.alignCorners));
  const lo = Math.min(Math.floor(src), inSize - 1);
  t.i0[at] = lo;
  t.i1[at] = Math.min(lo + 1, inSize - 1);
  t.w1[at] = src - lo;
}

/** The float32 source nearest and nearest-exact floor (unitTap). */
const nearestSource32 = (o: number, ratio: number, exact: boolean) => Math.fround((exact ? o + 0.5 : o) * Math.fround(ratio));

/**
 * How an axis's reads repeat (read-period.ts): by size every unit (a copy) or two (o >> 1);
 * alignCorners' quotient o·(I − 1)/(O − 1) when (O − 1)/gcd is small; linear's (o + ½)·r − ½ is
 * exact, so periodic, when the float r is n/2^k with n·(2O + 1) < 2^53 (×2, ×4, ×½; not ×3, whose
 * r = 1/3 is rounded: its field visits every unit); nearest's float32 product (o or o + ½)·float32(r)
 * likewise when n·(2O + 1) < 2^24, float32's significand.
 */
function ndPeriod(bySize: boolean, I: number, O: number, ratio: number, linear: boolean, alignCorners: boolean, exact: boolean): ReadPeriod | null {
  if (bySize) return O === I ? wholePeriod(1, 1, O) : wholePeriod(2, 1, O);
  // the sources are exact multiples of a float32 step (linearSource; nearestSource32): periodic in its dyadic fraction
  const r = dyadic(linear ? linearScale(I, O, ratio, alignCorners) : Math.fround(ratio));
  if (!r || r.num * (2 * O + 1) >= (linear ? 2 ** 53 : 2 ** 24)) return null;
  return interiorPeriod(r.num, r.den, I, O, (o) => (linear ? linearSource(o, I, O, ratio, alignCorners) : nearestSource32(o, ratio, exact)));
}

function upsampleRF(ctx: RFContext<UpsampleNdAttrs, UpsampleNdPlan>): TensorRF | null {
  const [x, y] = [ctx.inputs[0], ctx.outputs[0]];
  const a = ctx.attrs;
  const rank = x.length - 2;
  const linear = isLinear(a.mode);
  const exact = a.mode === 'nearest-exact';
  // the scales the coordinates use: none by size or with recomputeScaleFactor (I/O then)
  const scales = a.scaleFactor === undefined || a.recomputeScaleFactor ? null : expand(a.scaleFactor, rank);
  if (ctx.rf[0]?.global) return spreadRF(ctx.rf[0], x, y);
  return perAxisWindow(ctx.rf[0], rank, x, (ax, i) => {
    const [I, O] = [x[2 + i], y[2 + i]];
    const bySize = readsBySize(rank, x[1], I, O, linear, exact);
    const ratio = scales ? 1 / scales[i] : I / O;
    const step = bySize ? I / O : linear && a.alignCorners ? (O > 1 ? (I - 1) / (O - 1) : 0) : ratio;
    // the kernel's own taps: i0, and i1 where its weight is not 0 (a source clamped to 0, a copy, nearest),
    // either side of a pixel centre (onCentre) for a linear source computed as the kernel does
    const t: AxisTaps = { i0: new Int32Array(1), i1: new Int32Array(1), w1: new Float32Array(1) };
    const read = (o: number) => {
      unitTap(ctx.plan.axes[i], o, t, 0);
      const read = [t.i0[0], t.w1[0] !== 0 ? t.i1[0] : t.i0[0]] as const;
      if (!linear || bySize) return read;
      const src = linearSource(o, I, O, ratio, a.alignCorners ?? false);
      return onCentre(read, src, I, 1, a.alignCorners ? o === 0 : src < -1e-7);
    };
    return resampleReads(ax, I, step, O, read, ndPeriod(bySize, I, O, ratio, linear, a.alignCorners ?? false, exact));
  });
}

function makeUpsampleNd(rank: 1 | 3): OpDef<UpsampleNdAttrs, UpsampleNdPlan> {
  const name = `upsample${rank}d`;
  return {
    name,
    summary: `Upsampling over ${rank === 1 ? '[L] (nearest, linear)' : '[T, H, W] (nearest, trilinear)'} by a scale factor or to a size`,
    pytorch: 'torch.nn.Upsample',
    inputNames: ['x'],
    minInputs: 1,
    attrs: attrs(rank),
    infer(ctx) {
      const x = expectSpatialRank(ctx, rank);
      const a = ctx.attrs;
      if ((a.size === undefined) === (a.scaleFactor === undefined)) ctx.fail('INVALID_ATTRIBUTE', 'give exactly one of size and scaleFactor (PyTorch rule)', a.size === undefined ? 'scaleFactor' : 'size');
      const linear = isLinear(a.mode);
      if (!linear && a.alignCorners !== undefined) ctx.fail('INVALID_ATTRIBUTE', 'alignCorners applies to linear modes only (PyTorch rule)', 'alignCorners');
      if (a.recomputeScaleFactor && a.size !== undefined) ctx.fail('INVALID_ATTRIBUTE', 'recomputeScaleFactor is not meaningful with an explicit size (PyTorch rule)', 'recomputeScaleFactor');
      const scales = a.scaleFactor === undefined ? null : expand(a.scaleFactor, rank);
      const sizes = a.size !== undefined ? expand(a.size, rank) : x.slice(2).map((n, i) => Math.floor(n * scales![i]));
      sizes.forEach((s, i) => {
        if (s < 1) ctx.fail('NON_POSITIVE_SIZE', `output axis ${i} would be ${s} = floor(${x[2 + i]}·${scales![i]})`, 'scaleFactor');
      });
      // recomputeScaleFactor: the coordinates read I/O, as for the size it computed
      const ratioScales = a.recomputeScaleFactor ? null : scales;
      const axes = sizes.map((s, i) => ({ rank, channels: x[1], inSize: x[2 + i], outSize: s, scaleFactor: ratioScales?.[i], linear, alignCorners: a.alignCorners ?? false, exact: a.mode === 'nearest-exact' }));
      const shape = [x[0], x[1], ...sizes];
      const perOutput = linear ? (rank === 1 ? 3 : 15) : 0;
      // each axis's tap table (kernelTaps: two int32 indices and a float32 weight an output unit, 12 bytes), held to the tensor limit and counted as written
      const intermediates = sizes.map((s, i) => ({ shape: [s], what: `the tap table of axis ${2 + i} (output size; 12 bytes a unit)`, bytesPerElement: 12 }));
      // the VJP builds the same tables (kernelTaps) and scatters into ∂x: nothing else
      // the kernel's rate: ND_RESAMPLE_OUTPUT units an output (MAX_RUN_WORK)
      return { outputs: [shape], weights: [], cost: { ...ZERO_COST, elementwise: perOutput * numel(shape) }, kernelWork: ND_RESAMPLE_OUTPUT * numel(shape), plan: { axes }, fixedSize: a.size !== undefined, intermediates, vjpIntermediates: intermediates };
    },
    receptiveField: upsampleRF,
    run(ctx) {
      const x = ctx.inputs[0];
      const { planes, dims, taps } = kernelTaps(ctx.plan, x.shape);
      const [tt, th, tw] = taps;
      const out = new Float32Array(numel(ctx.outputs[0]));
      const xd = x.data;
      if (!isLinear(ctx.attrs.mode)) gather(xd, out, planes, dims, [tt.i0, th.i0, tw.i0]);
      else if (rank === 1) linear1d(xd, out, planes, dims[2], tw);
      else trilinear(xd, out, planes, dims, taps);
      return [tensor(ctx.outputs[0], out)];
    },
    // the forward's taps transposed (upsample-nd-vjp.ts)
    vjp(ctx) {
      const x = ctx.inputs[0];
      const { planes, dims, taps } = kernelTaps(ctx.plan, x.shape);
      const [tt, th, tw] = taps;
      const g = gradOrZeros(ctx);
      const gx = new Float32Array(numel(x.shape));
      if (!isLinear(ctx.attrs.mode)) gatherBack(g, gx, planes, dims, [tt.i0, th.i0, tw.i0]);
      else if (rank === 1) linear1dBack(g, gx, planes, dims[2], tw);
      else trilinearBack(g, gx, planes, dims, taps);
      return [tensor(x.shape, gx)];
    },
    vjpReads: READS_SHAPES_ONLY, // a linear map of g: no forward values
  };
}

/**
 * What the forward kernels and their transposes read, from one plan: the (n, c) planes, the input
 * as [T, H, W] (1-D: T = H = 1) and each axis's tap table (a unit axis's reads index 0, weight 0).
 */
function kernelTaps(plan: UpsampleNdPlan, x: Shape): { planes: number; dims: [number, number, number]; taps: [AxisTaps, AxisTaps, AxisTaps] } {
  const pad = 3 - plan.axes.length;
  const unit: AxisTaps = { i0: Int32Array.of(0), i1: Int32Array.of(0), w1: Float32Array.of(0) };
  const taps = [...Array<AxisTaps>(pad).fill(unit), ...plan.axes.map(axisTaps)] as [AxisTaps, AxisTaps, AxisTaps];
  const dims = [...Array<number>(pad).fill(1), ...x.slice(2)] as [number, number, number];
  return { planes: x[0] * x[1], dims, taps };
}

/** Nearest: each output copies the one input its three indices name (no weights: ±inf and −0 pass unchanged). */
function gather(xd: Float32Array, out: Float32Array, planes: number, [T, H, W]: number[], [it, ih, iw]: Int32Array[]): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * T * H * W;
    for (let ot = 0; ot < it.length; ot++) {
      for (let oh = 0; oh < ih.length; oh++) {
        const row = xp + (it[ot] * H + ih[oh]) * W;
        for (let ow = 0; ow < iw.length; ow++, o++) out[o] = xd[row + iw[ow]];
      }
    }
  }
}

/** 1-D linear: x[i0]·(1 − w) + x[i1]·w, PyTorch's two taps and nothing else. */
function linear1d(xd: Float32Array, out: Float32Array, planes: number, W: number, tw: AxisTaps): void {
  const OW = tw.i0.length;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * W;
    for (let ow = 0; ow < OW; ow++, o++) out[o] = (1 - tw.w1[ow]) * xd[xp + tw.i0[ow]] + tw.w1[ow] * xd[xp + tw.i1[ow]];
  }
}

/** Trilinear: the eight taps, zero weights included (as PyTorch: an inf beside a zero weight gives NaN there too). */
function trilinear(xd: Float32Array, out: Float32Array, planes: number, [T, H, W]: number[], [tt, th, tw]: AxisTaps[]): void {
  const [OT, OH, OW] = [tt.i0.length, th.i0.length, tw.i0.length];
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * T * H * W;
    for (let ot = 0; ot < OT; ot++) {
      const [t0, t1, a1] = [tt.i0[ot], tt.i1[ot], tt.w1[ot]];
      for (let oh = 0; oh < OH; oh++) {
        const [h0, h1, b1] = [th.i0[oh], th.i1[oh], th.w1[oh]];
        // the four rows this output row reads, with their weights (time × height)
        const r00 = xp + (t0 * H + h0) * W;
        const r01 = xp + (t0 * H + h1) * W;
        const r10 = xp + (t1 * H + h0) * W;
        const r11 = xp + (t1 * H + h1) * W;
        const w00 = (1 - a1) * (1 - b1);
        const w01 = (1 - a1) * b1;
        const w10 = a1 * (1 - b1);
        const w11 = a1 * b1;
        for (let ow = 0; ow < OW; ow++, o++) {
          const c0 = tw.i0[ow];
          const c1 = tw.i1[ow];
          const c = tw.w1[ow];
          const lo = w00 * xd[r00 + c0] + w01 * xd[r01 + c0] + w10 * xd[r10 + c0] + w11 * xd[r11 + c0];
          const hi = w00 * xd[r00 + c1] + w01 * xd[r01 + c1] + w10 * xd[r10 + c1] + w11 * xd[r11 + c1];
          out[o] = (1 - c) * lo + c * hi;
        }
      }
    }
  }
}

export const upsample1d = makeUpsampleNd(1);
export const upsample3d = makeUpsampleNd(3);
