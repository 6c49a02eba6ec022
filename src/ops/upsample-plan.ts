/**
 * The resampling plan of upsample and resize (upsample.ts) and what it reads: per output index
 * along one axis, the input indices and weights of its taps (axisTaps), which both the kernels
 * and the receptive field (resample-field.ts) use, so analysis and runtime cannot disagree.
 */

export const COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'half_pixel_symmetric', 'tf_crop_and_resize'] as const;
export type CoordinateMode = (typeof COORDINATE_MODES)[number];
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
export type NearestMode = (typeof NEAREST_MODES)[number];
export type InterpolationMode = 'nearest' | 'linear' | 'cubic';

/**
 * One entry per axis resampled (`dims`: upsample's H and W; resize's spatial axes, and a batch or
 * channel axis it does not keep as it is): the axis index of the arrays below, as axisTaps takes it.
 */
export interface ResamplePlan {
  /** The tensor dims the plan's axes are, ascending (upsample: [2, 3]). */
  dims: number[];
  inSize: number[];
  outSize: number[];
  /** Scale per axis used by the coordinate transform. */
  scale: number[];
  transform: CoordinateMode;
  mode: InterpolationMode;
  nearestMode: NearestMode;
  /** upsample: PyTorch's bilinear copy at H' = H and its bilinear taps (header). */
  pytorchSizeRules: boolean;
  /** upsample nearest on one channel: PyTorch's nearest_idx (H' = H reads o, H' = 2H reads o >> 1). */
  nearestBySize: boolean;
  /** Keys' cubic parameter a (ONNX cubic_coeff_a); −0.75 when absent (PyTorch's). */
  cubicA?: number;
  /** ONNX exclude_outside: taps outside the input weigh 0, the others renormalised to sum 1. */
  excludeOutside?: boolean;
  /** ONNX antialias (linear, cubic): the filter widened by 1/scale on an axis scaled down (filteredTaps). */
  antialias?: boolean;
  /** tf_crop_and_resize: per axis the region [start, end] (fractions of in − 1) and the value outside it. */
  crop?: { roi: [number, number][]; extrapolation: number };
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
  // PyTorch computes nearest source indices in float32: floor(o·scale); nearest-exact floorf((o + 0.5)·scale),
  // the product in double and rounded to float32 as floorf takes it (upsample's; resize keeps ONNX's float64)
  const r = Math.fround(1 / plan.scale[axis]);
  const floor = plan.nearestMode === 'floor';
  const src =
    plan.transform === 'asymmetric' && floor ? Math.fround(o * r)
    : plan.transform === 'tf_half_pixel_for_nn' && floor && plan.pytorchSizeRules ? Math.fround((o + 0.5) * r)
    : sourceCoordinate(plan, axis, o);
  return Math.min(Math.max(nearestIndex(plan.nearestMode, src), 0), inSize - 1);
}

/** PyTorch's bilinear copy: an axis upsample keeps at its size reads o (whatever the scale given). */
export const copiesAxis = (plan: ResamplePlan, axis: number) => plan.pytorchSizeRules && plan.mode === 'linear' && atenSizeIndex(0, plan.inSize[axis], plan.outSize[axis], true) !== null;

/** Source coordinate of output index o along one axis. */
export function sourceCoordinate(plan: ResamplePlan, axis: number, o: number): number {
  const scale = plan.scale[axis];
  const [inSize, outSize] = [plan.inSize[axis], plan.outSize[axis]];
  // upsample's bilinear as ATen (pytorchStep): the step rounded to float32, the product exact
  const aten = pytorchStep(plan, axis);
  if (aten !== null) return plan.transform === 'align_corners' ? aten * o : aten * (o + 0.5) - 0.5;
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
    case 'half_pixel_symmetric': {
      // the region's centre on the output's centre: differs from half_pixel when out ≠ in·scale
      const offset = (inSize / 2) * (1 - outSize / (scale * inSize));
      return offset + (o + 0.5) / scale - 0.5;
    }
    case 'tf_crop_and_resize': {
      const [start, end] = plan.crop!.roi[axis];
      return outSize > 1 ? start * (inSize - 1) + (o * (end - start) * (inSize - 1)) / (outSize - 1) : ((end - start) * (inSize - 1)) / 2 + start * (inSize - 1);
    }
  }
}

/**
 * upsample's bilinear source step as ATen rounds it (area_pixel_compute_scale<float>; the product
 * is then exact in float64, as PyTorch 1.13's outputs on inputs holding ±∞ show):
 * float32((I − 1)/(O − 1)) with alignCorners (0 when O = 1), else float32(1/scale). The exact
 * quotient differs where it is an integer k and the float32 step's product falls just short of
 * it: PyTorch reads k − 1 and k there (weights ~1e-7 and ~1), so an infinite x[k − 1] gives ±∞,
 * not 0·∞ = NaN from x[k + 1]. Null for nearest, for bicubic (its float32 arithmetic is not
 * settled here: it keeps the exact quotient) and for resize (ONNX's float64 coordinates).
 */
export function pytorchStep(plan: ResamplePlan, axis: number): number | null {
  if (!plan.pytorchSizeRules || plan.mode !== 'linear') return null;
  if (plan.transform === 'align_corners') return plan.outSize[axis] > 1 ? Math.fround((plan.inSize[axis] - 1) / (plan.outSize[axis] - 1)) : 0;
  return plan.transform === 'half_pixel' ? Math.fround(1 / plan.scale[axis]) : null;
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

/** Keys' cubic convolution parameter a: PyTorch's bicubic and ONNX Resize's cubic_coeff_a default. */
const CUBIC_A = -0.75;
/** Half the width of the filter in input units at scale 1: the triangle (linear) 1, Keys' cubic 2. */
const SUPPORT = { linear: 1, cubic: 2 } as const;

export interface AxisTaps {
  /** taps per output index: 1 nearest, 2 linear, 4 cubic, more with antialias (filterWidth) */
  taps: number;
  index: Int32Array;
  weight: Float64Array;
  /** tf_crop_and_resize: 1 where the output's source lies outside the input (it is the extrapolation value) */
  outside?: Uint8Array;
}

/** Keys' cubic convolution kernel with parameter a (PyTorch bicubic and ONNX's default: −0.75; TensorFlow −0.5). */
function cubicWeight(d: number, A: number): number {
  const x = Math.abs(d);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

/** Whether the ONNX taps (filteredTaps) decide this plan's axes: cubic always, linear with antialias. */
export const filtered = (plan: ResamplePlan) => plan.mode === 'cubic' || (plan.mode === 'linear' && plan.antialias === true);

/** The filter's scale along one axis: the scale when antialias shrinks (widens the filter), else 1. */
const filterScale = (plan: ResamplePlan, axis: number) => (plan.antialias ? Math.min(plan.scale[axis], 1) : 1);

/**
 * Taps per output along one axis: 1 nearest, 2 linear, 4 cubic; with antialias the filter's support
 * (1 linear, 2 cubic) over the filter scale s, 2·⌈support/s⌉ (the reference's 2 − 2·(⌊−support/s⌋ + 1)):
 * linear at ½ reads 4, cubic at ½ reads 8. The cost counts these taps (upsample.ts).
 */
export function filterWidth(plan: ResamplePlan, axis: number): number {
  if (plan.mode === 'nearest') return 1;
  if (!filtered(plan)) return 2;
  return -2 * Math.floor(-SUPPORT[plan.mode] / filterScale(plan, axis));
}

/**
 * ONNX's filtered taps along one axis (the Resize spec; onnx/reference/ops/op_resize.py): output o
 * at source x reads the n = filterWidth taps nearest x, weights filter(s·(p − x)) at input position
 * p, with the filter Keys' cubic (a = cubic_coeff_a) or the triangle 1 − |d|, and s the filter scale
 * (below 1 only with antialias, which widens the filter to 1/s input units). Positions outside the
 * input read the edge (the reference pads by edge), or with exclude_outside weigh 0. Antialias and
 * exclude_outside renormalise the weights to sum 1; plain cubic's weights sum to 1 already.
 * Without antialias the taps start at ⌊x⌋ − 1 as PyTorch's bicubic; with it the reference's
 * ratio x − base lies in (0, 1], so an integer x is the right end of [x − 1, x] (the extra tap then
 * weighs filter(±support) = 0).
 */
function filteredTaps(plan: ResamplePlan, axis: number, o: number, index: Int32Array, weight: Float64Array, at: number, taps: number): void {
  const u = filteredUnit(plan, axis, o, taps);
  let sum = 0;
  for (let k = 0; k < taps; k++) {
    const w = u.weight(k);
    index[at + k] = Math.min(Math.max(u.first + k, 0), u.inSize - 1);
    weight[at + k] = w;
    sum += w;
  }
  if ((plan.excludeOutside === true || plan.antialias === true) && sum !== 0) for (let k = 0; k < taps; k++) weight[at + k] /= sum;
}

/** Output o's filtered taps (filteredTaps): tap k at input position first + k, its weight before renormalising. */
export function filteredUnit(plan: ResamplePlan, axis: number, o: number, taps: number) {
  const inSize = plan.inSize[axis];
  const s = filterScale(plan, axis);
  const a = plan.cubicA ?? CUBIC_A;
  const cubic = plan.mode === 'cubic';
  const exclude = plan.excludeOutside === true;
  const half = taps / 2;
  const src = sourceCoordinate(plan, axis, o);
  const base = plan.antialias && Number.isInteger(src) ? src - 1 : Math.floor(src);
  const t = src - base;
  const first = base - half + 1;
  // p − src as t + (half − 1) − k: the plain cubic's weights bit for bit as before (t + 1 − k)
  const weight = (k: number) => {
    const p = first + k;
    const d = s * (t + (half - 1) - k);
    return exclude && (p < 0 || p >= inSize) ? 0 : cubic ? cubicWeight(d, a) : Math.max(0, 1 - Math.abs(d));
  };
  return { inSize, first, weight, exclude };
}

/**
 * The input indices of output o's filtered taps of nonzero weight (tapSpan's read) without the
 * tables: the filter is nonzero on an interval but for isolated zeros (cubic at |d| = 1), so the
 * outermost nonzero taps are found walking in from either end (a tap or two past the support;
 * exclude_outside starts at the first tap inside the input). O(1) a unit for any number of taps
 * (antialias at scale s reads 2·⌈support/s⌉: 20,000 at 10^−4). Null when every weight is 0.
 */
export function filteredSpan(plan: ResamplePlan, axis: number, o: number, taps: number): [number, number] | null {
  const u = filteredUnit(plan, axis, o, taps);
  let [k0, k1] = [0, taps - 1];
  if (u.exclude) [k0, k1] = [Math.max(k0, -u.first), Math.min(k1, u.inSize - 1 - u.first)];
  while (k0 <= k1 && u.weight(k0) === 0) k0++;
  while (k1 >= k0 && u.weight(k1) === 0) k1--;
  if (k0 > k1) return null;
  const clamp = (p: number) => Math.min(Math.max(p, 0), u.inSize - 1);
  return [clamp(u.first + k0), clamp(u.first + k1)];
}

/**
 * Per output index along one axis: the input indices read and their weights. Nearest reads one
 * index; linear clamps the source to [0, in − 1] and reads its two neighbours (PyTorch clamps
 * negative sources to 0; at the far edge both neighbours are the last pixel); cubic, and linear
 * with antialias, read ONNX's filtered taps (filteredTaps), indices clamped to the edge.
 * tf_crop_and_resize marks the outputs whose source lies outside [0, in − 1] (`outside`).
 */
export function axisTaps(plan: ResamplePlan, axis: number): AxisTaps {
  const out = plan.outSize[axis];
  const taps = filterWidth(plan, axis);
  const index = new Int32Array(out * taps);
  const weight = new Float64Array(out * taps);
  for (let o = 0; o < out; o++) unitTaps(plan, axis, o, index, weight, o * taps, taps);
  const outside = outsideMask(plan, axis);
  return outside ? { taps, index, weight, outside } : { taps, index, weight };
}

/** tf_crop_and_resize: the outputs whose source is outside [0, in − 1] (TF's CropAndResize writes the extrapolation value there); without the tap tables. */
export function outsideMask(plan: ResamplePlan, axis: number): Uint8Array | undefined {
  if (!plan.crop) return undefined;
  const outside = new Uint8Array(plan.outSize[axis]);
  for (let o = 0; o < outside.length; o++) {
    const src = sourceCoordinate(plan, axis, o);
    outside[o] = src < 0 || src > plan.inSize[axis] - 1 ? 1 : 0;
  }
  return outside;
}

/** Output o's `taps` taps along one axis (axisTaps), written at `at` of index and weight. */
export function unitTaps(plan: ResamplePlan, axis: number, o: number, index: Int32Array, weight: Float64Array, at: number, taps: number): void {
  const inSize = plan.inSize[axis];
  if (filtered(plan)) {
    filteredTaps(plan, axis, o, index, weight, at, taps);
  } else if (plan.mode === 'nearest') {
    index[at] = nearestSource(plan, axis, o);
    weight[at] = 1;
  } else if (copiesAxis(plan, axis)) {
    index[at] = index[at + 1] = o;
    weight[at] = 1;
    weight[at + 1] = 0;
  } else if (plan.pytorchSizeRules) {
    // PyTorch: the source clamped at 0 only; i1 = i0 + 1 below the last index, the weight source − i0 even on the last,
    // rounded to float32 as ATen's lambdas (a source 3e-8 short of k weighs row k − 1 by 1 − float32(1 − 3e-8) = 0)
    const src = Math.max(sourceCoordinate(plan, axis, o), 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    const w1 = Math.fround(Math.min(src - lo, 1));
    index[at] = lo;
    index[at + 1] = lo < inSize - 1 ? lo + 1 : lo;
    weight[at] = Math.fround(1 - w1);
    weight[at + 1] = w1;
  } else {
    const src = Math.min(Math.max(sourceCoordinate(plan, axis, o), 0), inSize - 1);
    const lo = Math.floor(src);
    index[at] = lo;
    index[at + 1] = Math.min(lo + 1, inSize - 1);
    weight[at] = 1 - (src - lo);
    weight[at + 1] = src - lo;
  }
}
