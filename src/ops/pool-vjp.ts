/**
 * Vector-Jacobian products of the pooling family (pool.ts), g = ∂L/∂y, per (n, c) plane:
 *
 *   maxPool2d          ∂x[argmax of window o] += g[o]   (the forward's own argmax: ties go to the
 *                      first tap, the last NaN wins, as PyTorch's max_pool2d_with_indices_backward)
 *   avgPool2d          ∂x[i] += g[o] / divisor(o) over the taps of window o inside the input; the
 *                      divisor is the forward's (countIncludePad, ceil-mode clipping, override)
 *                      (avgPool1d/3d the same over [L] and [T, H, W]: avgPoolGradNd)
 *   globalAvgPool2d    ∂x[i] = g / (H·W)
 *   adaptiveAvgPool2d  ∂x[i] += g[o] / |window o| over the (overlapping) windows holding i
 *                      (adaptiveAvgPool1d/3d the same over [L] and [T, H, W]: adaptiveAvgPoolGradNd)
 *   maxUnpool2d        ∂x[i] = g[indices[i]] (a gather); the indices have no gradient
 *
 * Apart from pool.ts (which would pass 400 lines) and free of imports from it: pool.ts imports
 * these. Loops run over output positions and scatter into the input plane: no per-element
 * allocation, plane offsets hoisted.
 */
import { fmtShape } from '../errors.js';
import type { AxisGeometry } from './geometry.js';
import type { Intermediate, Shape } from './types.js';
import { windowEnd, windowStart } from './adaptive-windows.js';
import { asThreeAxes } from './geometry-nd.js';
import type { AdaptiveAxis } from './adaptive-windows.js';

/**
 * What a max pool's VJP allocates besides ∂x when the forward kept no indices (no returnIndices):
 * the forward run again for them, its output and each window's argmax, both of the output's shape
 * (OpInferred.vjpIntermediates).
 */
export const argmaxAgain = (out: Shape): Intermediate[] => [
  { shape: out, what: `its output computed again for the argmax (${fmtShape(out)})` },
  { shape: out, what: `the argmax of each window, found again (the forward keeps no indices)` },
];

/** ∂x from the argmax indices (flat h·W + w per plane, as maxPool2d's second output). */
export function maxPoolGrad(g: Float32Array, indices: Float32Array | Int32Array, planes: number, inPlane: number): Float32Array {
  const gx = new Float32Array(planes * inPlane);
  const outPlane = g.length / planes;
  for (let p = 0; p < planes; p++) {
    const xo = p * inPlane;
    for (let o = p * outPlane, end = o + outPlane; o < end; o++) gx[xo + indices[o]] += g[o];
  }
  return gx;
}

/** ∂x of avgPool2d: each output's gradient spread evenly over its window, with the forward's divisor. */
export function avgPoolGrad(
  g: Float32Array,
  [n, c, H, W]: readonly number[],
  [gh, gw]: AxisGeometry[],
  countIncludePad: boolean,
  divisorOverride: number | undefined,
): Float32Array {
  const gx = new Float32Array(n * c * H * W);
  const [OH, OW] = [gh.out, gw.out];
  for (let p = 0; p < n * c; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      // the forward's window: clipped to the padded input for the divisor, to the input for the taps
      const hs0 = oy * gh.stride - gh.padBegin;
      const he0 = Math.min(hs0 + gh.kernel, H + gh.padEnd);
      const hs = Math.max(hs0, 0);
      const he = Math.min(he0, H);
      for (let ox = 0; ox < OW; ox++) {
        const ws0 = ox * gw.stride - gw.padBegin;
        const we0 = Math.min(ws0 + gw.kernel, W + gw.padEnd);
        const ws = Math.max(ws0, 0);
        const we = Math.min(we0, W);
        if (hs >= he || ws >= we) continue;
        const divisor = divisorOverride ?? (countIncludePad ? (he0 - hs0) * (we0 - ws0) : (he - hs) * (we - ws));
        const share = Math.fround(g[(p * OH + oy) * OW + ox] / divisor);
        for (let h = hs; h < he; h++) for (let w = xp + h * W + ws, end = xp + h * W + we; w < end; w++) gx[w] += share;
      }
    }
  }
  return gx;
}

/** Output o's window along one axis of an average pool: [lo, hi) inside the input, and its length clipped to the padded input (the divisor's). */
function avgSpan(g: AxisGeometry, o: number): { lo: number; hi: number; padded: number } {
  const s0 = o * g.stride - g.padBegin;
  const e0 = Math.min(s0 + g.kernel, g.in + g.padEnd);
  return { lo: Math.max(s0, 0), hi: Math.min(e0, g.in), padded: e0 - s0 };
}

/**
 * ∂x of avgPool1d/3d over the 1 or 3 trailing axes of `shape` (1-D as [1, 1, L]): each output's g
 * divided by the forward's divisor (the override, the padded window's volume with countIncludePad,
 * else the taps inside the input) and added to each tap of its window inside the input; a window
 * wholly in the padding (the forward's 0) passes nothing.
 */
export function avgPoolGradNd(g: Float32Array, shape: readonly number[], geo: readonly AxisGeometry[], countIncludePad: boolean, divisorOverride: number | undefined): Float32Array {
  const [gt, gh, gw] = asThreeAxes(geo);
  const [H, W] = [gh.in, gw.in];
  const plane = gt.in * H * W;
  const planes = shape[0] * shape[1];
  const gx = new Float32Array(planes * plane);
  const wSpans = Array.from({ length: gw.out }, (_, o) => avgSpan(gw, o));
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * plane;
    for (let ot = 0; ot < gt.out; ot++) {
      const t = avgSpan(gt, ot);
      for (let oh = 0; oh < gh.out; oh++) {
        const h = avgSpan(gh, oh);
        for (let ow = 0; ow < gw.out; ow++, o++) {
          const w = wSpans[ow];
          if (t.lo >= t.hi || h.lo >= h.hi || w.lo >= w.hi) continue;
          const divisor = divisorOverride ?? (countIncludePad ? t.padded * h.padded * w.padded : (t.hi - t.lo) * (h.hi - h.lo) * (w.hi - w.lo));
          const share = Math.fround(g[o] / divisor);
          for (let it = t.lo; it < t.hi; it++) {
            for (let ih = h.lo; ih < h.hi; ih++) {
              for (let iw = xp + (it * H + ih) * W + w.lo, end = iw - w.lo + w.hi; iw < end; iw++) gx[iw] += share;
            }
          }
        }
      }
    }
  }
  return gx;
}

/** ∂x of global average pooling over planes of `plane` elements. */
export function globalAvgPoolGrad(g: Float32Array, plane: number): Float32Array {
  const gx = new Float32Array(g.length * plane);
  // PyTorch's adaptive pooling to 1 is a mean over the plane (ATen adaptive_avg_pool2d/3d), whose
  // backward divides by the count once: the float32 quotient (a double quotient of float32 values
  // rounds to it)
  for (let p = 0; p < g.length; p++) gx.fill(g[p] / plane, p * plane, (p + 1) * plane);
  return gx;
}

/**
 * An output's share of its window in PyTorch's adaptive average pooling backward: g / kh / kw
 * (/ kT / kH / kW in 3-D), a float32 at each step (cpu_adaptive_avg_pool_backward,
 * adaptive_avg_pool3d's backward), except where every output size is 1: ATen computes that pooling
 * as a mean, whose backward divides once by the window's count.
 */
function adaptiveShare(g: number, spans: readonly number[], toOne: boolean): number {
  if (toOne) return Math.fround(g / spans.reduce((a, b) => a * b, 1));
  let share = g;
  for (const k of spans) share = Math.fround(share / k);
  return share;
}

/** ∂x of adaptive average pooling over (in, out) per axis (windows as the forward's, adaptive-windows.ts). */
export function adaptiveAvgPoolGrad(g: Float32Array, [n, c, H, W]: readonly number[], [{ out: OH }, { out: OW }]: readonly AdaptiveAxis[]): Float32Array {
  const gx = new Float32Array(n * c * H * W);
  for (let p = 0; p < n * c; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const hs = windowStart(oy, H, OH);
      const he = windowEnd(oy, H, OH);
      for (let ox = 0; ox < OW; ox++) {
        const ws = windowStart(ox, W, OW);
        const we = windowEnd(ox, W, OW);
        const share = adaptiveShare(g[(p * OH + oy) * OW + ox], [he - hs, we - ws], OH === 1 && OW === 1);
        for (let h = hs; h < he; h++) for (let w = xp + h * W + ws, end = xp + h * W + we; w < end; w++) gx[w] += share;
      }
    }
  }
  return gx;
}

/** ∂x of adaptiveAvgPool1d/3d: windows over 1 or 3 trailing axes (1-D as [1, 1, L]), each output's g spread evenly over its window. */
export function adaptiveAvgPoolGradNd(g: Float32Array, shape: readonly number[], axes: readonly AdaptiveAxis[]): Float32Array {
  const pad = Array<number>(3 - axes.length).fill(1);
  const [T, H, W] = [...pad, ...shape.slice(2)];
  const [OT, OH, OW] = [...pad, ...axes.map((a) => a.out)];
  const planes = shape[0] * shape[1];
  const gx = new Float32Array(planes * T * H * W);
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * T * H * W;
    for (let ot = 0; ot < OT; ot++) {
      const [t0, t1] = [windowStart(ot, T, OT), windowEnd(ot, T, OT)];
      for (let oh = 0; oh < OH; oh++) {
        const [h0, h1] = [windowStart(oh, H, OH), windowEnd(oh, H, OH)];
        for (let ow = 0; ow < OW; ow++, o++) {
          const [w0, w1] = [windowStart(ow, W, OW), windowEnd(ow, W, OW)];
          // 1-D is PyTorch's 2-D over [1, L]: / 1 / kW
          const share = adaptiveShare(g[o], [t1 - t0, h1 - h0, w1 - w0], OT === 1 && OH === 1 && OW === 1);
          for (let it = t0; it < t1; it++) for (let ih = h0; ih < h1; ih++) for (let iw = xp + (it * H + ih) * W + w0, end = iw - w0 + w1; iw < end; iw++) gx[iw] += share;
        }
      }
    }
  }
  return gx;
}

/** ∂x of maxUnpool2d: each input element reads the gradient at the position it was written to. */
export function maxUnpoolGrad(g: Float32Array, indices: Float32Array, planes: number, outPlane: number): Float32Array {
  const gx = new Float32Array(indices.length);
  const inPlane = indices.length / planes;
  for (let p = 0; p < planes; p++) {
    const go = p * outPlane;
    for (let i = p * inPlane, end = i + inPlane; i < end; i++) gx[i] = g[go + indices[i]];
  }
  return gx;
}
