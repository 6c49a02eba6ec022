/**
 * resize: ONNX Resize and Upsample over a tensor of any rank: N,C,L (audio), N,C,H,W, N,C,D,H,W
 * (video, 3-D segmentation: torch's trilinear F.interpolate), by scales or sizes (attributes, or the
 * constant inputs roi, scales, sizes). The plan, taps and receptive field are upsample's
 * (upsample.ts, upsample-plan.ts), one axis at a time; this file turns ONNX's parameters into the plan.
 *
 *   axes (opset 18)   scales, sizes and roi name only these axes (negative from the back); the
 *                     others keep their size at scale 1. Without axes they name all of them.
 *   sizes             H' = sizes; the coordinate scale H'/H per axis
 *   scales            H' = floor(H·scale); the coordinate scale as given
 *                     (one of the two: both is INVALID_ATTRIBUTE at scales, as onnxruntime refuses it;
 *                     an empty scales input beside sizes is absent, as ONNX files give it)
 *   keep_aspect_ratio_policy (opset 18, with sizes): one scale s for every axis named,
 *     not_larger   s = min over the axes of sizes/in       (no extent above its size)
 *     not_smaller  s = max over the axes of sizes/in       (no extent below its size)
 *     H' = round(s·H), halves up (onnxruntime's std::round; the spec's round_int), coordinate scale s.
 *     Without axes the batch and channel axes take part: sizes [1, 3, 2H, 2W] for [1, 3, H, W]
 *     gives s = 1, the input unchanged, as the spec says; [1, 3, H/2, 2W] not_smaller gives s = 2,
 *     doubling the batch and the channels too.
 *   tf_crop_and_resize  roi (the input, or the attribute in a JSON spec) holds the starts then the
 *                     ends of the axes named (fractions of H − 1);
 *     with scales, H' = floor(H·(end − start)·scale). An output whose source lies outside the input
 *     is extrapolation_value.
 *   cubic_coeff_a, exclude_outside, antialias: the taps (upsample-plan.ts filteredTaps).
 * The plan's axes: every spatial axis (from dim 2), and the batch or channel axis unless kept
 * (keptAxis: its size at scale 1, or of size 1; roi [0, 1] with tf_crop_and_resize), as
 * onnxruntime keeps it; a batch or channel axis not kept resamples across images or channels by the
 * same taps, as the spec resamples every axis alike (onnxruntime: nearest only; linear and cubic by
 * the reference). The reference would move a kept axis by tf_half_pixel_for_nn's half pixel at
 * scale 1 (channel c reading c + 1 with round_prefer_ceil); onnxruntime keeps it, and so does convlens.
 * Scales, sizes or roi given as a tensor whose values inference cannot fold (computed from tensor
 * values): the layer is unsupported with that reason, the rest of the graph analysed (notModelled).
 * Cost, field and VJP as upsample (FLOPs per output: k taps over the plan's axes, k multiplies and
 * k − 1 adds; the field per spatial axis, a batch or channel axis resampled leaving it as it is).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { notModelled } from './common.js';
import { numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { resampleRF } from './resample-field.js';
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
  /** The axes scales, sizes and roi name (ONNX opset 18); every axis when absent. */
  axes: z.array(z.number().int()).optional(),
  keepAspectRatioPolicy: z.enum(['stretch', 'not_larger', 'not_smaller']).optional(),
  /** tf_crop_and_resize: the value of an output whose source is outside the input (ONNX extrapolation_value). */
  extrapolationValue: z.number().finite().optional(),
});
export type ResizeAttrs = z.infer<typeof ResizeAttrs>;

type Fail = (message: string, field: string) => never;

/** ONNX's axes over the input: negatives from the back, each once; all of them when absent. */
function resizeAxes(axes: readonly number[] | undefined, x: Shape, fail: Fail): number[] {
  const rank = x.length;
  if (!axes) return x.map((_, i) => i);
  const out = axes.map((ax) => (ax < 0 ? ax + rank : ax));
  if (out.some((ax) => ax < 0 || ax >= rank) || new Set(out).size !== out.length) {
    fail(`resize axes [${axes.join(', ')}] must be distinct axes of the rank-${rank} input ${fmtShape(x)}`, 'axes');
  }
  return out;
}

/**
 * Input i's values: the attribute's, else the constant input's; null when absent or empty (ONNX's
 * empty scales beside sizes). An input present whose values inference cannot fold leaves the
 * layer unsupported (header).
 */
function parameter(ctx: InferContext<ResizeAttrs>, i: number, attr: readonly number[] | undefined, name: string): readonly number[] | null {
  if (attr) return attr;
  const v = ctx.values[i];
  if (v) return v.data.length ? v.data : null;
  const shape = ctx.inputs[i];
  if (shape && shape.length > 0 && numel(shape) > 0) {
    notModelled(ctx, `resize ${name} computed from tensor values (not constants inference can fold): its output shape is not known`, ['inputs', i]);
  }
  return null;
}

/** Output size and coordinate scale of every axis, from the scales or sizes of the axes named (header). */
function sizesAndScales(x: Shape, axes: number[], scales: readonly number[] | null, sizes: readonly number[] | null, policy: ResizeAttrs['keepAspectRatioPolicy'], roi: [number, number][], fail: Fail) {
  const outSize = [...x];
  const scale = x.map(() => 1);
  if (sizes) {
    if (!sizes.every((s) => Number.isInteger(s) && s > 0)) fail(`resize sizes must be positive integers, got [${sizes.join(', ')}]`, 'sizes');
    const ratios = axes.map((ax, k) => sizes[k] / x[ax]);
    // a policy's one scale in float32, as onnxruntime takes it (float(out)/float(in), then the min or max)
    const ratios32 = ratios.map((r) => Math.fround(r));
    const common = policy === 'not_larger' ? Math.min(...ratios32) : policy === 'not_smaller' ? Math.max(...ratios32) : null;
    axes.forEach((ax, k) => {
      // std::round of onnxruntime's float32 product, halves up: 7/6 on 27 is 31.499999 in float32 (31), 31.5 in float64 (32)
      outSize[ax] = common === null ? sizes[k] : Math.floor(Math.fround(common * x[ax]) + 0.5);
      scale[ax] = common ?? ratios[k];
    });
  } else if (scales) {
    if (!scales.every((s) => Number.isFinite(s) && s > 0)) fail(`resize scales must be positive and finite, got [${scales.join(', ')}]`, 'scales');
    axes.forEach((ax, k) => {
      const [start, end] = roi[ax];
      // floor(in·scale) in float32, as onnxruntime's static_cast<int64_t>(scales[i] * input_dims[i]) with
      // the file's float32 scale: 5 × 1.4f is 7 there (and 7 in the exporting PyTorch's float64 5 × 1.4),
      // 6.99999988 in float64; a region other than [0, 1] scales the input size first (the spec's rule)
      outSize[ax] = start === 0 && end === 1 ? Math.floor(Math.fround(x[ax] * Math.fround(scales[k]))) : Math.floor(x[ax] * (end - start) * scales[k]);
      scale[ax] = scales[k];
    });
  }
  return { outSize, scale };
}

/**
 * An axis that scales or sizes make empty (an input size above 0, an output of 0): NON_POSITIVE_SIZE
 * at the attribute that set it (scales, or sizes through keep_aspect_ratio_policy), naming the axis
 * and the rule that gave 0. Upsample's own check (upsample.ts resampled) names its scaleFactor.
 */
function emptyAxis(ctx: InferContext<ResizeAttrs>, x: Shape, axes: number[], outSize: number[], scales: readonly number[] | null, sizes: readonly number[] | null, roi: [number, number][]): void {
  const k = axes.findIndex((ax) => x[ax] > 0 && !(outSize[ax] > 0));
  if (k < 0) return;
  const ax = axes[k];
  const [start, end] = roi[ax];
  const field = sizes ? 'sizes' : 'scales';
  const rule = sizes
    ? `round(${ctx.attrs.keepAspectRatioPolicy} scale · ${x[ax]}), sizes [${sizes.join(', ')}]`
    : start === 0 && end === 1
      ? `floor(${x[ax]} · ${scales![k]}), scales [${scales!.join(', ')}]`
      : `floor(${x[ax]} · (${end} − ${start}) · ${scales![k]}), scales [${scales!.join(', ')}] over the roi`;
  ctx.fail('NON_POSITIVE_SIZE', `resize output axis ${ax} would be ${outSize[ax]} = ${rule}, for input ${fmtShape(x)}; every axis needs at least 1`, field, {
    shapes: { x },
    axis: ax,
  });
}

/** A batch or channel axis resize leaves as it is (header): its size at scale 1 over the whole roi, or of size 1 (every source reads index 0) or 0 (nothing to read). */
const keptAxis = (size: number, out: number, scale: number, roi: [number, number] | null) =>
  out === size && (size <= 1 || (scale === 1 && (!roi || (roi[0] === 0 && roi[1] === 1))));

export const resize: OpDef<ResizeAttrs, ResamplePlan> = {
  name: 'resize',
  summary: 'ONNX Resize/Upsample: nearest, linear or cubic over any axes of a tensor of any rank (N,C,L; N,C,H,W; N,C,D,H,W), by scales or sizes (axes, keep_aspect_ratio_policy, antialias, exclude_outside, cubic_coeff_a, tf_crop_and_resize)',
  pytorch: 'torch.nn.functional.interpolate',
  inputNames: ['x', 'roi', 'scales', 'sizes'],
  minInputs: 1,
  attrs: ResizeAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    if (x.length < 1) ctx.fail('RANK_MISMATCH', `resize needs an input of rank 1 or more, got ${fmtShape(x)}`, 'inputs', { shapes: { x } });
    const fail: Fail = (message, field) => ctx.fail('INVALID_ATTRIBUTE', message, field, { shapes: { x } });
    const axes = resizeAxes(a.axes, x, fail);
    const scales = parameter(ctx, 2, a.scales, 'scales');
    const sizes = parameter(ctx, 3, a.sizes, 'sizes');
    const n = axes.length;
    // ONNX allows one of them (an empty scales input beside sizes is absent: parameter); onnxruntime refuses both
    if (scales && sizes) fail(`resize takes scales or sizes, not both (ONNX Resize; onnxruntime refuses both): scales [${scales.join(', ')}], sizes [${sizes.join(', ')}] for input ${fmtShape(x)}`, 'scales');
    if ((!scales && !sizes) || (scales && scales.length !== n) || (sizes && sizes.length !== n)) {
      fail(`resize needs ${n} constant scales or sizes (axes [${axes.join(', ')}]) for input ${fmtShape(x)}`, 'scales');
    }
    const crop = a.coordinateTransformationMode === 'tf_crop_and_resize';
    const roi: [number, number][] = x.map(() => [0, 1]);
    if (crop) {
      const r = parameter(ctx, 1, a.roi, 'roi');
      if (!r || r.length !== 2 * n) fail(`tf_crop_and_resize needs a constant roi of ${2 * n} values (starts, then ends, of axes [${axes.join(', ')}])`, 'roi');
      axes.forEach((ax, k) => (roi[ax] = [r![k], r![n + k]]));
    }
    const { outSize, scale } = sizesAndScales(x, axes, scales, sizes, a.keepAspectRatioPolicy, roi, fail);
    emptyAxis(ctx, x, axes, outSize, scales, sizes, roi);
    const all: ResamplePlan = {
      dims: x.map((_, i) => i),
      inSize: [...x],
      outSize,
      scale,
      transform: a.coordinateTransformationMode,
      mode: a.mode,
      nearestMode: a.nearestMode,
      pytorchSizeRules: false,
      nearestBySize: false,
      ...(a.cubicCoeffA !== undefined ? { cubicA: a.cubicCoeffA } : {}),
      ...(a.excludeOutside ? { excludeOutside: true } : {}),
      ...(a.antialias && a.mode !== 'nearest' ? { antialias: true } : {}),
      ...(crop ? { crop: { roi, extrapolation: a.extrapolationValue ?? 0 } } : {}),
    };
    // the spatial axes always (their taps counted even at scale 1, as before); batch and channels only when the spec changes them
    // (a batch of 0, a detector's heads with no detection, is kept: resampled checks only the axes resampled)
    const dims = all.dims.filter((d) => d >= 2 || !keptAxis(x[d], outSize[d], scale[d], crop ? roi[d] : null));
    const pick = <T>(v: T[]) => dims.map((d) => v[d]);
    const plan: ResamplePlan = { ...all, dims, inSize: pick(all.inSize), outSize: pick(outSize), scale: pick(scale), ...(all.crop ? { crop: { ...all.crop, roi: pick(roi) } } : {}) };
    return resampled(ctx, x, plan, sizes !== null);
  },
  receptiveField: resampleRF,
  run: runResample,
  vjp: resampleVjp,
};
