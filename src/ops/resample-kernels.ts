/**
 * Separable resampling over any axes of a tensor of any rank: resize of N,C,L (audio) and
 * N,C,D,H,W (video, 3-D segmentation) tensors, and of a batch or channel axis it does not keep
 * (ops/resize.ts). upsample.ts keeps its own kernel for the common plan over the last two axes.
 *
 * One pass per axis of the plan, the axes that shrink the tensor most first (passOrder: each pass's
 * float64 result is then the smallest it can be, never above both the input and the output where
 * one axis shrinks and another grows; [1,1,2048,1,4] to [1,1,1,1,65536] was 2048 × 65536 doubles
 * last axis first, is 65536 now), among equal ratios the last first (columns, then rows: the order
 * of upsample.ts's 2-D kernel and of the reference's recursion, innermost axis first): every output
 * line along the axis is Σ over its taps (axisTaps, upsample-plan.ts) of weight · input line. A
 * pass reads the previous one's float64 values, so the float32 result is rounded once, at the end:
 * over H and W the same doubles in the same order as the 2-D kernel, so the same float32 results.
 * tf_crop_and_resize: an output whose source on any axis lies outside the input is the extrapolation
 * value (fillOutside). VJP: the passes transposed in the reverse order, each output's gradient
 * scattered back along its taps: the forward's intermediates but the last, and a float64 one of the
 * input's size (passBackShapes). The passes' results
 * and the tap tables are the layer's intermediates (separableIntermediates), held to the tensor
 * limit and counted as elements written (runtime/checks.ts).
 */
import { axisTaps, outsideMask } from './upsample-plan.js';
import type { AxisTaps, ResamplePlan } from './upsample-plan.js';
import { numel } from './types.js';
import type { Shape } from './types.js';

/** One pass along dim d: next[a, o, i] = Σ_k w[o, k]·cur[a, index[o, k], i] over the lines of `inner` contiguous values. */
function pass(cur: Float32Array | Float64Array, shape: readonly number[], d: number, out: number, t: AxisTaps): Float64Array {
  const outer = numel(shape.slice(0, d));
  const inner = numel(shape.slice(d + 1));
  const I = shape[d];
  const next = new Float64Array(outer * out * inner);
  const { taps, index, weight } = t;
  for (let a = 0; a < outer; a++) {
    const src = a * I * inner;
    for (let o = 0; o < out; o++) {
      const dst = (a * out + o) * inner;
      // the first tap assigns rather than adds to 0: −0 stays −0, and nearest is a plain copy (as the 2-D kernel)
      const w0 = weight[o * taps];
      const s0 = src + index[o * taps] * inner;
      for (let i = 0; i < inner; i++) next[dst + i] = w0 * cur[s0 + i];
      for (let k = 1; k < taps; k++) {
        // weight and line start hoisted out of the contiguous inner loop
        const w = weight[o * taps + k];
        const s = src + index[o * taps + k] * inner;
        for (let i = 0; i < inner; i++) next[dst + i] += w * cur[s + i];
      }
    }
  }
  return next;
}

/** The transpose of `pass`: gin[a, index[o, k], i] += w[o, k]·g[a, o, i], from `shape` (dim d of `out` entries) to dim d of `inSize`. */
function passBack(g: Float32Array | Float64Array, shape: readonly number[], d: number, inSize: number, t: AxisTaps): Float64Array {
  const outer = numel(shape.slice(0, d));
  const inner = numel(shape.slice(d + 1));
  const out = shape[d];
  const gin = new Float64Array(outer * inSize * inner);
  const { taps, index, weight } = t;
  for (let a = 0; a < outer; a++) {
    const dstBase = a * inSize * inner;
    for (let o = 0; o < out; o++) {
      const src = (a * out + o) * inner;
      for (let k = 0; k < taps; k++) {
        const w = weight[o * taps + k];
        const dst = dstBase + index[o * taps + k] * inner;
        for (let i = 0; i < inner; i++) gin[dst + i] += w * g[src + i];
      }
    }
  }
  return gin;
}

/** tf_crop_and_resize: every output whose source on one of the plan's axes is outside the input set to `value` (`shape` the output's). */
export function fillOutside(data: Float32Array | Float64Array, shape: readonly number[], plan: ResamplePlan, value: number): void {
  plan.dims.forEach((d, k) => {
    // the mask alone: the tap tables again would double the peak of a wide filter's (upsample-plan.ts)
    const outside = outsideMask(plan, k);
    if (!outside) return;
    const outer = numel(shape.slice(0, d));
    const inner = numel(shape.slice(d + 1));
    const O = shape[d];
    for (let a = 0; a < outer; a++) {
      for (let o = 0; o < O; o++) if (outside[o]) data.fill(value, (a * O + o) * inner, (a * O + o + 1) * inner);
    }
  });
}

/**
 * The plan's axes (indices into plan.dims) in the order of the forward passes: by out/in ascending,
 * so every prefix of passes shrinks the tensor most (each intermediate the smallest possible);
 * equal ratios last axis first, as before.
 */
export function passOrder(plan: ResamplePlan): number[] {
  const order = plan.dims.map((_, k) => plan.dims.length - 1 - k);
  // out_a/in_a < out_b/in_b by cross products (exact below 2^26 a size; a plan past that is refused at the tensor limit)
  return order.sort((a, b) => plan.outSize[a] * plan.inSize[b] - plan.outSize[b] * plan.inSize[a]);
}

/** The float64 tensors the separable passes allocate, in order (the last the output's size), from an input of `inShape`. */
export function passShapes(inShape: Shape, plan: ResamplePlan): Shape[] {
  const shape = [...inShape];
  return passOrder(plan).map((k) => {
    shape[plan.dims[k]] = plan.outSize[k];
    return [...shape];
  });
}

/**
 * The float64 tensors separableBackward allocates, in order (the last the input's size), from an
 * output gradient of `outShape`: the forward's passes reversed, each ending at the shape the
 * forward pass began from.
 */
export function passBackShapes(outShape: Shape, plan: ResamplePlan): Shape[] {
  const shape = [...outShape];
  return passOrder(plan).reverse().map((k) => {
    shape[plan.dims[k]] = plan.inSize[k];
    return [...shape];
  });
}

/** The plan applied to x (shape `inShape`): the output's float32 values. */
export function separableForward(x: Float32Array, inShape: Shape, plan: ResamplePlan): Float32Array {
  let cur: Float32Array | Float64Array = x;
  const shape = [...inShape];
  for (const k of passOrder(plan)) {
    const d = plan.dims[k];
    cur = pass(cur, shape, d, plan.outSize[k], axisTaps(plan, k));
    shape[d] = plan.outSize[k];
  }
  const out = Float32Array.from(cur);
  if (plan.crop) fillOutside(out, shape, plan, plan.crop.extrapolation);
  return out;
}

/** ∂x of separableForward from the output's gradient g (shape `outShape`; extrapolated outputs already masked). */
export function separableBackward(g: Float32Array, outShape: Shape, plan: ResamplePlan): Float32Array {
  let cur: Float32Array | Float64Array = g;
  const shape = [...outShape];
  for (const k of passOrder(plan).reverse()) {
    const d = plan.dims[k];
    cur = passBack(cur, shape, d, plan.inSize[k], axisTaps(plan, k));
    shape[d] = plan.inSize[k];
  }
  return Float32Array.from(cur);
}
