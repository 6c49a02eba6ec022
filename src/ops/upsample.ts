/**
 * Interpolation: upsample (PyTorch's torch.nn.Upsample / F.interpolate) and resize (ONNX
 * Resize and Upsample). Both resolve to one resampling plan: output size, the scale used for
 * coordinates, the coordinate transform and the interpolation mode. The receptive-field rule and
 * the kernel read only the plan.
 *
 *   H' = size, or floor(H·scale)
 *   source coordinate of output o (ONNX coordinate_transformation_mode):
 *     half_pixel          (o + 0.5)/scale − 0.5          PyTorch bilinear, alignCorners false (source clamped at 0)
 *     pytorch_half_pixel  as half_pixel, 0 when H' = 1
 *     align_corners       o·(H − 1)/(H' − 1)             PyTorch alignCorners true
 *     asymmetric          o/scale                        PyTorch nearest (with floor)
 *     tf_half_pixel_for_nn (o + 0.5)/scale
 *   nearest rounds the source coordinate (floor for PyTorch); linear reads the two neighbours;
 *   cubic the four around it (Keys, a = −0.75), indices clamped to the edge.
 *   FLOPs per output: nearest 0 (a copy); bilinear 7 (4 mul + 3 add); bicubic 31 (16 mul + 15 add)
 * PyTorch uses the given scale factor for coordinates (recompute_scale_factor unset), not H'/H,
 * except by output size, whatever the scale (upsample only, ATen's UpSample.h; resize keeps ONNX's rule):
 *   nearest (nearest_idx), one channel only     H' = H reads o, H' = 2H reads o >> 1 (C = 1 makes the NCHW
 *                                               tensor channels-last contiguous: ATen's channels-last kernel
 *                                               has the rule; the one for C > 1 reads floor(o·float32(1/scale)))
 *   bilinear (compute_source_index_and_lambda)  H' = H reads o with weights (1, 0): a copy, either alignCorners;
 *                                               else i0 = floor(source), i1 = i0 + 1 below the last row, weight source − i0
 *   bicubic                                     no exception
 * Sums start at their first tap, not at 0, so a −0 input stays −0 (nearest, bilinear), as PyTorch.
 * Bilinear weights are float64 (PyTorch's float32): at a scale not exact in float32 (×3) a weight
 * PyTorch leaves a few ulps above 0 is 0 here, so an inf beside it is NaN where PyTorch's is inf.
 * VJP: the transpose of the same taps, ∂x[iy, ix] += wy·wx·g[oy, ox] for every tap (iy, wy) of
 * row oy and (ix, wx) of column ox (edge-clamped taps add up at the edge, as PyTorch's backward).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { pair, posInt } from './geometry.js';
import { indexEnvelope, resample, spreadRF } from './receptive-field.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, Inferred, OpDef, RFContext, RunContext, Shape, TensorRF, VjpContext } from './types.js';
import { gradOrZeros } from './vjp-kernels.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export const COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'] as const;
export type CoordinateMode = (typeof COORDINATE_MODES)[number];
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
export type NearestMode = (typeof NEAREST_MODES)[number];
export type InterpolationMode = 'nearest' | 'linear' | 'cubic';

export interface ResamplePlan {
  inSize: [number, number];
  outSize: [number, number];
  /** Scale per spatial axis used by the coordinate transform. */
  scale: [number, number];
  transform: CoordinateMode;
  mode: InterpolationMode;
  nearestMode: NearestMode;
  /** upsample: PyTorch's bilinear copy at H' = H and its bilinear taps (header). */
  pytorchSizeRules: boolean;
  /** upsample nearest on one channel: PyTorch's nearest_idx (H' = H reads o, H' = 2H reads o >> 1). */
  nearestBySize: boolean;
}

/**
 * ATen's reads by output size, whatever the scale given (UpSample.h), for upsample and upsample-nd:
 * an axis kept at its size reads o (nearest_idx; a linear one's weights are then 1 and 0, a copy), and
 * nearest at twice the size reads o >> 1. The input index output o reads, or null when the scale
 * decides. Which kernels apply it is the caller's (nearest only on one channel, and not in 1-D).
 */
export function atenSizeIndex(o: number, inSize: number, outSize: number, linear: boolean): number | null {
  if (outSize === inSize) return o;
  return !linear && outSize === 2 * inSize ? o >> 1 : null;
}

/** The input index nearest mode reads for output o (PyTorch: by size first on one channel, then floor(o·float32(1/scale))). */
export function nearestSource(plan: ResamplePlan, axis: number, o: number): number {
  const [inSize, outSize] = [plan.inSize[axis], plan.outSize[axis]];
  const bySize = plan.nearestBySize ? atenSizeIndex(o, inSize, outSize, false) : null;
  if (bySize !== null) return bySize;
  // PyTorch computes nearest source indices in float32: floor(o·scale)
  const src = plan.transform === 'asymmetric' && plan.nearestMode === 'floor' ? Math.fround(o * Math.fround(1 / plan.scale[axis])) : sourceCoordinate(plan, axis, o);
  return Math.min(Math.max(nearestIndex(plan.nearestMode, src), 0), inSize - 1);
}

/** PyTorch's bilinear copy: an axis upsample keeps at its size reads o (whatever the scale given). */
const copiesAxis = (plan: ResamplePlan, axis: number) => plan.pytorchSizeRules && plan.mode === 'linear' && atenSizeIndex(0, plan.inSize[axis], plan.outSize[axis], true) !== null;

/** Source coordinate of output index o along one axis. */
export function sourceCoordinate(plan: ResamplePlan, axis: number, o: number): number {
  const scale = plan.scale[axis];
  const [inSize, outSize] = [plan.inSize[axis], plan.outSize[axis]];
  switch (plan.transform) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outSize > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    case 'asymmetric':
      return o / scale;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
  }
}

export function nearestIndex(mode: NearestMode, x: number): number {
  switch (mode) {
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round_prefer_floor':
      return x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
  }
}

/** Input samples read per output along one axis: the nearest one, two neighbours, four around (Keys). */
const TAPS: Record<InterpolationMode, number> = { nearest: 1, linear: 2, cubic: 4 };
/** Per output: a copy; 2×2 taps = 4 multiplies + 3 adds; 4×4 taps = 16 multiplies + 15 adds. */
const FLOPS_PER_OUTPUT: Record<InterpolationMode, number> = { nearest: 0, linear: 7, cubic: 31 };
/** Keys' cubic convolution parameter a: PyTorch's bicubic and ONNX Resize's cubic_coeff_a default. */
const CUBIC_A = -0.75;

function resampled<A>(ctx: InferContext<A>, x: Shape, plan: ResamplePlan, fixedSize: boolean): Inferred<ResamplePlan> {
  if (plan.outSize.some((o) => !(o > 0))) {
    ctx.fail('NON_POSITIVE_SIZE', `output size [${plan.outSize.join(', ')}] is not positive (input ${fmtShape(x)})`, 'scaleFactor', {
      shapes: { x },
    });
  }
  const shape = [...x.slice(0, -2), ...plan.outSize];
  return { outputs: [shape], weights: [], cost: { ...ZERO_COST, elementwise: FLOPS_PER_OUTPUT[plan.mode] * numel(shape) }, plan, fixedSize };
}

function resampleRF(ctx: RFContext<unknown, ResamplePlan>): TensorRF | null {
  const inp = ctx.rf[0];
  if (!inp || inp.global) return spreadRF(inp, ctx.inputs[0], ctx.outputs[0]);
  const p = ctx.plan;
  // linear and cubic: the read spans TAPS − 1 input units around the source coordinate
  const span = TAPS[p.mode] - 1;
  return {
    ...inp,
    axes: inp.axes.map((ax, i) => {
      if (copiesAxis(p, i)) return resample(ax, 1, 0, 0);
      const bySize = p.nearestBySize && p.mode === 'nearest' && atenSizeIndex(0, p.inSize[i], p.outSize[i], false) !== null;
      const step = p.transform === 'align_corners' ? (p.outSize[i] > 1 ? (p.inSize[i] - 1) / (p.outSize[i] - 1) : 0) : bySize ? p.inSize[i] / p.outSize[i] : 1 / p.scale[i];
      if (p.mode === 'nearest') {
        // each unit reads one input unit, not always the one at o·step: the envelope of the reads
        const env = indexEnvelope(step, p.outSize[i], (o) => nearestSource(p, i, o));
        return resample(ax, step, env.span, env.centre);
      }
      return resample(ax, step, span, sourceCoordinate(p, i, 0));
    }),
  };
}

interface AxisTaps {
  /** taps per output index: 1 nearest, 2 linear, 4 cubic */
  taps: number;
  index: Int32Array;
  weight: Float64Array;
}

/** Keys' cubic convolution kernel with a = −0.75 (PyTorch bicubic, ONNX cubic_coeff_a default). */
function cubicWeight(d: number): number {
  const A = CUBIC_A;
  const x = Math.abs(d);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

/**
 * Per output index along one axis: the input indices read and their weights. Nearest reads one
 * index; linear clamps the source to [0, in − 1] and reads its two neighbours (PyTorch clamps
 * negative sources to 0; at the far edge both neighbours are the last pixel); cubic reads four,
 * from floor(source) − 1, with indices clamped to the edge.
 */
function axisTaps(plan: ResamplePlan, axis: number): AxisTaps {
  const out = plan.outSize[axis];
  const inSize = plan.inSize[axis];
  const taps = TAPS[plan.mode];
  const index = new Int32Array(out * taps);
  const weight = new Float64Array(out * taps);
  const clampIndex = (i: number) => Math.min(Math.max(i, 0), inSize - 1);
  for (let o = 0; o < out; o++) {
    const at = o * taps;
    if (plan.mode === 'nearest') {
      index[at] = nearestSource(plan, axis, o);
      weight[at] = 1;
    } else if (copiesAxis(plan, axis)) {
      index[at] = index[at + 1] = o;
      weight[at] = 1;
      weight[at + 1] = 0;
    } else if (plan.mode === 'linear' && plan.pytorchSizeRules) {
      // PyTorch: the source clamped at 0 only; i1 = i0 + 1 below the last index, the weight source − i0 even on the last
      const src = Math.max(sourceCoordinate(plan, axis, o), 0);
      const lo = Math.min(Math.floor(src), inSize - 1);
      index[at] = lo;
      index[at + 1] = lo < inSize - 1 ? lo + 1 : lo;
      weight[at] = 1 - (src - lo);
      weight[at + 1] = src - lo;
    } else if (plan.mode === 'linear') {
      const src = Math.min(Math.max(sourceCoordinate(plan, axis, o), 0), inSize - 1);
      const lo = Math.floor(src);
      index[at] = lo;
      index[at + 1] = clampIndex(lo + 1);
      weight[at] = 1 - (src - lo);
      weight[at + 1] = src - lo;
    } else {
      const src = sourceCoordinate(plan, axis, o);
      const lo = Math.floor(src);
      const t = src - lo;
      for (let k = 0; k < taps; k++) {
        index[at + k] = clampIndex(lo - 1 + k);
        weight[at + k] = cubicWeight(t + 1 - k);
      }
    }
  }
  return { taps, index, weight };
}

/**
 * Separable resampling: each output is Σ over the row taps of wy·(Σ over the column taps of
 * wx·input). The inner sums depend only on the input row and the output column, so each is
 * computed once per plane into `rows` (H × OW doubles) and the outputs combine rows of it: an
 * 8× bilinear upsampling (LR-ASPP's head) does a sixteenth of the column work it did per output.
 * Same doubles in the same order as summing per output, so the same float32 results.
 */
function resampleForward(x: Tensor, plan: ResamplePlan, outShape: Shape): Tensor {
  const ty = axisTaps(plan, 0);
  const tx = axisTaps(plan, 1);
  const [H, W] = plan.inSize;
  const [OH, OW] = plan.outSize;
  const planes = x.data.length / (H * W);
  const out = new Float32Array(planes * OH * OW);
  const xd = x.data;
  const { taps: kx, index: ix, weight: wx } = tx;
  const { taps: ky, index: iy, weight: wy } = ty;
  // only the input rows some output reads
  const used = new Uint8Array(H);
  for (let k = 0; k < iy.length; k++) used[iy[k]] = 1;
  const rows = new Float64Array(H * OW);
  for (let p = 0; p < planes; p++) {
    const xp = p * H * W;
    for (let h = 0; h < H; h++) {
      if (!used[h]) continue;
      const src = xp + h * W;
      const dst = h * OW;
      for (let ox = 0; ox < OW; ox++) {
        // from the first tap, not 0 + …: −0 stays −0 (PyTorch), and nearest is a plain copy
        let acc = wx[ox * kx] * xd[src + ix[ox * kx]];
        for (let b = 1; b < kx; b++) acc += wx[ox * kx + b] * xd[src + ix[ox * kx + b]];
        rows[dst + ox] = acc;
      }
    }
    for (let oy = 0; oy < OH; oy++) {
      const dst = (p * OH + oy) * OW;
      if (ky === 2) {
        // bilinear: two rows, weights hoisted
        const r0 = iy[oy * 2] * OW;
        const r1 = iy[oy * 2 + 1] * OW;
        const w0 = wy[oy * 2];
        const w1 = wy[oy * 2 + 1];
        for (let ox = 0; ox < OW; ox++) out[dst + ox] = w0 * rows[r0 + ox] + w1 * rows[r1 + ox];
        continue;
      }
      for (let ox = 0; ox < OW; ox++) {
        let sum = wy[oy * ky] * rows[iy[oy * ky] * OW + ox];
        for (let a = 1; a < ky; a++) sum += wy[oy * ky + a] * rows[iy[oy * ky + a] * OW + ox];
        out[dst + ox] = sum;
      }
    }
  }
  return tensor(outShape, out);
}

const runResample = (ctx: RunContext<unknown, ResamplePlan>) => [resampleForward(ctx.inputs[0], ctx.plan, ctx.outputs[0])];

/** ∂x of the separable resampling: each output's gradient scattered back along its taps, row weight hoisted. */
function resampleBackward(g: Float32Array, plan: ResamplePlan, inShape: Shape): Tensor {
  const ty = axisTaps(plan, 0);
  const tx = axisTaps(plan, 1);
  const [H, W] = plan.inSize;
  const [OH, OW] = plan.outSize;
  const planes = g.length / (OH * OW);
  const gx = new Float32Array(planes * H * W);
  for (let p = 0; p < planes; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const src = (p * OH + oy) * OW;
      for (let a = 0; a < ty.taps; a++) {
        const row = xp + ty.index[oy * ty.taps + a] * W;
        const wy = ty.weight[oy * ty.taps + a];
        for (let ox = 0; ox < OW; ox++) {
          const gy = wy * g[src + ox];
          for (let b = 0; b < tx.taps; b++) gx[row + tx.index[ox * tx.taps + b]] += tx.weight[ox * tx.taps + b] * gy;
        }
      }
    }
  }
  return tensor(inShape, gx);
}

/** One gradient for x; the parameter inputs (roi, scales, sizes) have none. */
const resampleVjp = (ctx: VjpContext<unknown, ResamplePlan>) => ctx.inputs.map((x, i) => (i === 0 ? resampleBackward(gradOrZeros(ctx), ctx.plan, x.shape) : null));

const positive = z.number().positive();

export const UpsampleAttrs = z
  .strictObject({
    mode: z.enum(['nearest', 'bilinear', 'bicubic']).default('nearest'),
    scaleFactor: z.union([positive, z.tuple([positive, positive])]).optional(),
    size: z.union([posInt, z.tuple([posInt, posInt])]).optional(),
    alignCorners: z.boolean().optional(),
  })
  .refine((a) => (a.scaleFactor === undefined) !== (a.size === undefined), {
    message: 'give exactly one of scaleFactor and size',
    path: ['scaleFactor'],
  })
  .refine((a) => a.mode !== 'nearest' || a.alignCorners === undefined, {
    message: 'alignCorners applies to bilinear and bicubic modes only (PyTorch rule)',
    path: ['alignCorners'],
  });
export type UpsampleAttrs = z.infer<typeof UpsampleAttrs>;

export const upsample: OpDef<UpsampleAttrs, ResamplePlan> = {
  name: 'upsample',
  summary: 'Nearest, bilinear or bicubic interpolation by a scale factor or to a size (alignCorners true/false)',
  pytorch: 'torch.nn.Upsample',
  inputNames: ['x'],
  minInputs: 1,
  attrs: UpsampleAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    const inSize: [number, number] = [x[2], x[3]];
    const factor = a.scaleFactor !== undefined ? pair(a.scaleFactor) : null;
    const outSize = (factor ? [0, 1].map((i) => Math.floor(inSize[i] * factor[i])) : pair(a.size!)) as [number, number];
    const scale = (factor ?? [outSize[0] / inSize[0], outSize[1] / inSize[1]]) as [number, number];
    const smooth = a.mode !== 'nearest';
    return resampled(ctx, x, {
      inSize,
      outSize,
      scale,
      transform: smooth ? (a.alignCorners ? 'align_corners' : 'half_pixel') : 'asymmetric',
      mode: a.mode === 'bilinear' ? 'linear' : a.mode === 'bicubic' ? 'cubic' : 'nearest',
      nearestMode: 'floor',
      pytorchSizeRules: true,
      nearestBySize: a.mode === 'nearest' && x[1] === 1,
    }, factor === null);
  },
  receptiveField: resampleRF,
  run: runResample,
  vjp: resampleVjp,
};

export const ResizeAttrs = z.strictObject({
  mode: z.enum(['nearest', 'linear', 'cubic']).default('nearest'),
  coordinateTransformationMode: z.enum([...COORDINATE_MODES, 'tf_crop_and_resize']).default('half_pixel'),
  nearestMode: z.enum(NEAREST_MODES).default('round_prefer_floor'),
  scales: z.array(positive).optional(),
  sizes: z.array(posInt).optional(),
});
export type ResizeAttrs = z.infer<typeof ResizeAttrs>;

export const resize: OpDef<ResizeAttrs, ResamplePlan> = {
  name: 'resize',
  summary: 'ONNX Resize/Upsample: nearest, linear or cubic over the two spatial axes, by scales or sizes',
  pytorch: 'torch.nn.functional.interpolate',
  inputNames: ['x', 'roi', 'scales', 'sizes'],
  minInputs: 1,
  attrs: ResizeAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    if (a.coordinateTransformationMode === 'tf_crop_and_resize') {
      ctx.fail('INVALID_ATTRIBUTE', `coordinate_transformation_mode tf_crop_and_resize is not supported`, 'coordinateTransformationMode');
    }
    const scalesIn = ctx.values[2];
    const sizesIn = ctx.values[3];
    const scales = a.scales ?? (scalesIn && scalesIn.data.length ? scalesIn.data : null);
    const sizes = a.sizes ?? (sizesIn && sizesIn.data.length ? sizesIn.data : null);
    if ((!scales && !sizes) || (scales && scales.length !== 4) || (sizes && sizes.length !== 4)) {
      ctx.fail('INVALID_ATTRIBUTE', `resize needs 4 constant scales or sizes for input ${fmtShape(x)}`, 'scales', { shapes: { x } });
    }
    if (sizes && !sizes.every((s) => Number.isInteger(s) && s > 0)) ctx.fail('INVALID_ATTRIBUTE', `resize sizes must be positive integers, got [${sizes.join(', ')}]`, 'sizes', { shapes: { x } });
    if (scales && !scales.every((s) => Number.isFinite(s) && s > 0)) ctx.fail('INVALID_ATTRIBUTE', `resize scales must be positive and finite, got [${scales.join(', ')}]`, 'scales', { shapes: { x } });
    const lead = sizes ? [sizes[0] / x[0], sizes[1] / x[1]] : [scales![0], scales![1]];
    if (lead[0] !== 1 || lead[1] !== 1) {
      ctx.fail('INVALID_ATTRIBUTE', `resize over the batch or channel axis is not supported (scales [${lead.join(', ')}])`, 'scales', { shapes: { x } });
    }
    const inSize: [number, number] = [x[2], x[3]];
    const outSize = (sizes ? [sizes[2], sizes[3]] : [0, 1].map((i) => Math.floor(inSize[i] * scales![2 + i]))) as [number, number];
    const scale = (scales ? [scales[2], scales[3]] : [outSize[0] / inSize[0], outSize[1] / inSize[1]]) as [number, number];
    const plan = { inSize, outSize, scale, transform: a.coordinateTransformationMode as CoordinateMode, mode: a.mode, nearestMode: a.nearestMode, pytorchSizeRules: false, nearestBySize: false };
    return resampled(ctx, x, plan, sizes !== null);
  },
  receptiveField: resampleRF,
  run: runResample,
  vjp: resampleVjp,
};
