/**
 * resize: ONNX Resize and Upsample over the two spatial axes of an NCHW tensor, by scales or sizes
 * (attributes, or the constant inputs roi, scales, sizes). The plan, kernel and receptive field are
 * upsample's (upsample.ts, upsample-plan.ts); this file turns ONNX's parameters into the plan.
 *
 *   axes (opset 18)   scales, sizes and roi name only these axes (negative from the back); the
 *                     others keep their size at scale 1. Without axes they name all four.
 *   sizes             H' = sizes; the coordinate scale H'/H per axis
 *   scales            H' = floor(H·scale); the coordinate scale as given
 *   keep_aspect_ratio_policy (opset 18, with sizes): one scale s for every axis named,
 *     not_larger   s = min over the axes of sizes/in       (no extent above its size)
 *     not_smaller  s = max over the axes of sizes/in       (no extent below its size)
 *     H' = round(s·H), halves up (onnxruntime's std::round; the spec's round_int), coordinate scale s.
 *     Without axes the batch and channel axes take part: sizes [1, 3, 2H, 2W] for [1, 3, H, W]
 *     gives s = 1, the input unchanged, as the spec says.
 *   tf_crop_and_resize  roi (the input, or the attribute in a JSON spec) holds the starts then the
 *                     ends of the axes named (fractions of H − 1);
 *     with scales, H' = floor(H·(end − start)·scale). An output whose source lies outside the input
 *     is extrapolation_value.
 *   cubic_coeff_a, exclude_outside, antialias: the taps (upsample-plan.ts filteredTaps).
 * The batch and channel axes must keep their size (at scale 1 unless of size 1, where every
 * coordinate reads the one index; roi [0, 1] with tf_crop_and_resize): resampling across images or
 * channels is not supported, INVALID_ATTRIBUTE.
 * Cost, field and VJP as upsample (FLOPs per output: taps ky·kx multiplies and ky·kx − 1 adds).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { NCHW_RANK, expectRank } from './common.js';
import type { OpDef, Shape } from './types.js';
import { resampleRF } from './upsample-plan.js';
import type { ResamplePlan } from './upsample-plan.js';
import { COORDINATE_MODES, NEAREST_MODES } from './upsample-plan.js';
import { resampled, resampleVjp, runResample } from './upsample.js';

const positive = z.number().positive();

export const ResizeAttrs = z.strictObject({
  mode: z.enum(['nearest', 'linear', 'cubic']).default('nearest'),
  coordinateTransformationMode: z.enum(COORDINATE_MODES).default('half_pixel'),
  nearestMode: z.enum(NEAREST_MODES).default('round_prefer_floor'),
  scales: z.array(positive).optional(),
  sizes: z.array(posInt).optional(),
  /** tf_crop_and_resize's region: the starts, then the ends, of the axes named (as the roi input). */
  roi: z.array(z.number().finite()).optional(),
  /** Keys' a for cubic (ONNX cubic_coeff_a; −0.75 when absent, TensorFlow's −0.5). */
  cubicCoeffA: z.number().finite().optional(),
  /** Taps outside the input weigh 0 and the rest are renormalised (ONNX exclude_outside 1). */
  excludeOutside: z.boolean().optional(),
  /** Linear and cubic widen their filter by 1/scale when scaling down (ONNX antialias 1, opset 18). */
  antialias: z.boolean().optional(),
  /** The axes scales, sizes and roi name (ONNX opset 18); all four when absent. */
  axes: z.array(z.number().int()).optional(),
  keepAspectRatioPolicy: z.enum(['stretch', 'not_larger', 'not_smaller']).optional(),
  /** tf_crop_and_resize: the value of an output whose source is outside the input (ONNX extrapolation_value). */
  extrapolationValue: z.number().finite().optional(),
});
export type ResizeAttrs = z.infer<typeof ResizeAttrs>;

type Fail = (message: string, field: string) => never;

/** ONNX's axes over a rank-4 input: negatives from the back, each once; all four when absent. */
function resizeAxes(axes: readonly number[] | undefined, x: Shape, fail: Fail): number[] {
  if (!axes) return [0, 1, 2, 3];
  const out = axes.map((ax) => (ax < 0 ? ax + NCHW_RANK : ax));
  if (out.some((ax) => ax < 0 || ax >= NCHW_RANK) || new Set(out).size !== out.length) {
    fail(`resize axes [${axes.join(', ')}] must be distinct axes of the rank-${NCHW_RANK} input ${fmtShape(x)}`, 'axes');
  }
  return out;
}

/** Output size and coordinate scale of every axis, from the scales or sizes of the axes named (header). */
function sizesAndScales(x: Shape, axes: number[], scales: readonly number[] | null, sizes: readonly number[] | null, policy: ResizeAttrs['keepAspectRatioPolicy'], roi: [number, number][], fail: Fail) {
  const outSize = [...x];
  const scale = x.map(() => 1);
  if (sizes) {
    if (!sizes.every((s) => Number.isInteger(s) && s > 0)) fail(`resize sizes must be positive integers, got [${sizes.join(', ')}]`, 'sizes');
    const ratios = axes.map((ax, k) => sizes[k] / x[ax]);
    const common = policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios) : null;
    axes.forEach((ax, k) => {
      // halves up: onnxruntime's std::round of a positive value
      outSize[ax] = common === null ? sizes[k] : Math.floor(common * x[ax] + 0.5);
      scale[ax] = common ?? ratios[k];
    });
  } else if (scales) {
    if (!scales.every((s) => Number.isFinite(s) && s > 0)) fail(`resize scales must be positive and finite, got [${scales.join(', ')}]`, 'scales');
    axes.forEach((ax, k) => {
      outSize[ax] = Math.floor(x[ax] * (roi[ax][1] - roi[ax][0]) * scales[k]);
      scale[ax] = scales[k];
    });
  }
  return { outSize, scale };
}

export const resize: OpDef<ResizeAttrs, ResamplePlan> = {
  name: 'resize',
  summary: 'ONNX Resize/Upsample: nearest, linear or cubic over the two spatial axes, by scales or sizes (axes, keep_aspect_ratio_policy, antialias, exclude_outside, cubic_coeff_a, tf_crop_and_resize)',
  pytorch: 'torch.nn.functional.interpolate',
  inputNames: ['x', 'roi', 'scales', 'sizes'],
  minInputs: 1,
  attrs: ResizeAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    const fail: Fail = (message, field) => ctx.fail('INVALID_ATTRIBUTE', message, field, { shapes: { x } });
    const axes = resizeAxes(a.axes, x, fail);
    const given = (i: number) => (ctx.values[i] && ctx.values[i]!.data.length ? ctx.values[i]!.data : null);
    const scales = a.scales ?? given(2);
    const sizes = a.sizes ?? given(3);
    const n = axes.length;
    if ((!scales && !sizes) || (scales && scales.length !== n) || (sizes && sizes.length !== n)) {
      fail(`resize needs ${n} constant scales or sizes (axes [${axes.join(', ')}]) for input ${fmtShape(x)}`, 'scales');
    }
    const crop = a.coordinateTransformationMode === 'tf_crop_and_resize';
    const roi: [number, number][] = x.map(() => [0, 1]);
    if (crop) {
      const r = a.roi ?? given(1);
      if (!r || r.length !== 2 * n) fail(`tf_crop_and_resize needs a constant roi of ${2 * n} values (starts, then ends, of axes [${axes.join(', ')}])`, 'roi');
      axes.forEach((ax, k) => (roi[ax] = [r![k], r![n + k]]));
    }
    const { outSize, scale } = sizesAndScales(x, axes, sizes ? null : scales, sizes, a.keepAspectRatioPolicy, roi, fail);
    if (scales && sizes) axes.forEach((ax, k) => (scale[ax] = scales[k]));
    for (const ax of [0, 1]) {
      const kept = outSize[ax] === x[ax] && (x[ax] === 1 || scale[ax] === 1) && (!crop || x[ax] === 1 || (roi[ax][0] === 0 && roi[ax][1] === 1));
      if (!kept) fail(`resize over the batch or channel axis is not supported (axis ${ax}: ${x[ax]} → ${outSize[ax]}, scale ${scale[ax]})`, 'scales');
    }
    const plan: ResamplePlan = {
      inSize: [x[2], x[3]],
      outSize: [outSize[2], outSize[3]],
      scale: [scale[2], scale[3]],
      transform: a.coordinateTransformationMode,
      mode: a.mode,
      nearestMode: a.nearestMode,
      pytorchSizeRules: false,
      nearestBySize: false,
      ...(a.cubicCoeffA !== undefined ? { cubicA: a.cubicCoeffA } : {}),
      ...(a.excludeOutside ? { excludeOutside: true } : {}),
      ...(a.antialias && a.mode !== 'nearest' ? { antialias: true } : {}),
      ...(crop ? { crop: { roi: [roi[2], roi[3]], extrapolation: a.extrapolationValue ?? 0 } } : {}),
    };
    return resampled(ctx, x, plan, sizes !== null);
  },
  receptiveField: resampleRF,
  run: runResample,
  vjp: resampleVjp,
};
