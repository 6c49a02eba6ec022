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
 *   nearest rounds the source coordinate (floor for PyTorch); linear reads the two neighbours.
 *   FLOPs per output: nearest 0 (a copy); bilinear 7 (4 mul + 3 add); bicubic 31 (16 mul + 15 add)
 * PyTorch uses the given scale factor for coordinates (recompute_scale_factor unset), not H'/H.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { pair, posInt } from './geometry.js';
import { resample } from './receptive-field.js';
import { expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, Inferred, OpDef, RFContext, RunContext, Shape, TensorRF } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConvlensError } from '../errors.js';

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
}

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

const FLOPS_PER_OUTPUT: Record<InterpolationMode, number> = { nearest: 0, linear: 7, cubic: 31 };

function resampled<A>(ctx: InferContext<A>, x: Shape, plan: ResamplePlan): Inferred<ResamplePlan> {
  if (plan.outSize.some((o) => !(o > 0))) {
    ctx.fail('NON_POSITIVE_SIZE', `layer '${ctx.layer}': output size [${plan.outSize.join(', ')}] is not positive (input ${fmtShape(x)})`, 'scaleFactor', {
      shapes: { x },
    });
  }
  const shape = [...x.slice(0, -2), ...plan.outSize];
  return { outputs: [shape], weights: [], cost: { ...ZERO_COST, elementwise: FLOPS_PER_OUTPUT[plan.mode] * numel(shape) }, plan };
}

function resampleRF(ctx: RFContext<unknown, ResamplePlan>): TensorRF | null {
  const inp = ctx.rf[0];
  if (!inp || inp.global) return inp;
  const p = ctx.plan;
  const span = p.mode === 'nearest' ? 0 : p.mode === 'linear' ? 1 : 3;
  return {
    ...inp,
    axes: inp.axes.map((ax, i) => {
      const step = p.transform === 'align_corners' ? (p.outSize[i] > 1 ? (p.inSize[i] - 1) / (p.outSize[i] - 1) : 0) : 1 / p.scale[i];
      const src0 = sourceCoordinate(p, i, 0);
      const centre = p.mode === 'nearest' ? nearestIndex(p.nearestMode, src0) : src0;
      return resample(ax, step, span, centre);
    }),
  };
}

interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  /** weight of `hi` */
  frac: Float32Array;
}

/**
 * Per output index along one axis: the input indices read and the weight of the upper one.
 * Nearest reads one index; linear clamps the source to [0, in − 1] and reads its two neighbours
 * (PyTorch clamps negative sources to 0; the result at the far edge is the same either way).
 */
function axisTaps(plan: ResamplePlan, axis: number): AxisTaps {
  const out = plan.outSize[axis];
  const inSize = plan.inSize[axis];
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const frac = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    if (plan.mode === 'nearest') {
      // PyTorch computes nearest source indices in float32: floor(o·scale)
      const src = plan.transform === 'asymmetric' && plan.nearestMode === 'floor' ? Math.fround(o * Math.fround(1 / plan.scale[axis])) : sourceCoordinate(plan, axis, o);
      lo[o] = hi[o] = Math.min(Math.max(nearestIndex(plan.nearestMode, src), 0), inSize - 1);
      continue;
    }
    const src = Math.min(Math.max(sourceCoordinate(plan, axis, o), 0), inSize - 1);
    lo[o] = Math.floor(src);
    hi[o] = Math.min(lo[o] + 1, inSize - 1);
    frac[o] = src - lo[o];
  }
  return { lo, hi, frac };
}

function resampleForward(x: Tensor, plan: ResamplePlan, outShape: Shape): Tensor {
  if (plan.mode === 'cubic') throw new ConvlensError('UNSUPPORTED_OPERATOR', 'resize: cubic interpolation is analysed but not run by convlens');
  const [ty, tx] = [axisTaps(plan, 0), axisTaps(plan, 1)];
  const [H, W] = plan.inSize;
  const [OH, OW] = plan.outSize;
  const planes = x.data.length / (H * W);
  const out = new Float32Array(planes * OH * OW);
  for (let p = 0; p < planes; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const r0 = xp + ty.lo[oy] * W;
      const r1 = xp + ty.hi[oy] * W;
      const fy = ty.frac[oy];
      const dst = (p * OH + oy) * OW;
      for (let ox = 0; ox < OW; ox++) {
        const fx = tx.frac[ox];
        const top = x.data[r0 + tx.lo[ox]] * (1 - fx) + x.data[r0 + tx.hi[ox]] * fx;
        const bottom = x.data[r1 + tx.lo[ox]] * (1 - fx) + x.data[r1 + tx.hi[ox]] * fx;
        out[dst + ox] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return tensor(outShape, out);
}

const runResample = (ctx: RunContext<unknown, ResamplePlan>) => [resampleForward(ctx.inputs[0], ctx.plan, ctx.outputs[0])];

const positive = z.number().positive();

export const UpsampleAttrs = z
  .strictObject({
    mode: z.enum(['nearest', 'bilinear']).default('nearest'),
    scaleFactor: z.union([positive, z.tuple([positive, positive])]).optional(),
    size: z.union([posInt, z.tuple([posInt, posInt])]).optional(),
    alignCorners: z.boolean().optional(),
  })
  .refine((a) => (a.scaleFactor === undefined) !== (a.size === undefined), {
    message: 'give exactly one of scaleFactor and size',
    path: ['scaleFactor'],
  })
  .refine((a) => a.mode === 'bilinear' || a.alignCorners === undefined, {
    message: 'alignCorners applies to bilinear mode only (PyTorch rule)',
    path: ['alignCorners'],
  });
export type UpsampleAttrs = z.infer<typeof UpsampleAttrs>;

export const upsample: OpDef<UpsampleAttrs, ResamplePlan> = {
  name: 'upsample',
  summary: 'Nearest or bilinear interpolation by a scale factor or to a size (alignCorners true/false)',
  pytorch: 'torch.nn.Upsample',
  inputNames: ['x'],
  minInputs: 1,
  attrs: UpsampleAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, 4);
    const a = ctx.attrs;
    const inSize: [number, number] = [x[2], x[3]];
    const factor = a.scaleFactor !== undefined ? pair(a.scaleFactor) : null;
    const outSize = (factor ? [0, 1].map((i) => Math.floor(inSize[i] * factor[i])) : pair(a.size!)) as [number, number];
    const scale = (factor ?? [outSize[0] / inSize[0], outSize[1] / inSize[1]]) as [number, number];
    const bilinear = a.mode === 'bilinear';
    return resampled(ctx, x, {
      inSize,
      outSize,
      scale,
      transform: bilinear ? (a.alignCorners ? 'align_corners' : 'half_pixel') : 'asymmetric',
      mode: bilinear ? 'linear' : 'nearest',
      nearestMode: 'floor',
    });
  },
  receptiveField: resampleRF,
  run: runResample,
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
    const x = expectRank(ctx, 0, 4);
    const a = ctx.attrs;
    if (a.coordinateTransformationMode === 'tf_crop_and_resize') {
      ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': coordinate_transformation_mode tf_crop_and_resize is not supported`, 'coordinateTransformationMode');
    }
    const scalesIn = ctx.values[2];
    const sizesIn = ctx.values[3];
    const scales = a.scales ?? (scalesIn && scalesIn.data.length ? scalesIn.data : null);
    const sizes = a.sizes ?? (sizesIn && sizesIn.data.length ? sizesIn.data : null);
    if ((!scales && !sizes) || (scales && scales.length !== 4) || (sizes && sizes.length !== 4)) {
      ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': resize needs 4 constant scales or sizes for input ${fmtShape(x)}`, 'scales', { shapes: { x } });
    }
    const lead = sizes ? [sizes[0] / x[0], sizes[1] / x[1]] : [scales![0], scales![1]];
    if (lead[0] !== 1 || lead[1] !== 1) {
      ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': resize over the batch or channel axis is not supported (scales [${lead.join(', ')}])`, 'scales', { shapes: { x } });
    }
    const inSize: [number, number] = [x[2], x[3]];
    const outSize = (sizes ? [sizes[2], sizes[3]] : [0, 1].map((i) => Math.floor(inSize[i] * scales![2 + i]))) as [number, number];
    const scale = (scales ? [scales[2], scales[3]] : [outSize[0] / inSize[0], outSize[1] / inSize[1]]) as [number, number];
    return resampled(ctx, x, { inSize, outSize, scale, transform: a.coordinateTransformationMode as CoordinateMode, mode: a.mode, nearestMode: a.nearestMode });
  },
  receptiveField: resampleRF,
  run: runResample,
};
