/**
 * The scalar depthwise convolution kernels conv.ts falls back on: the forward's sliding window where
 * the SIMD kernel (depthwise.ts) does not apply, and the input gradient's scatter for any stride.
 * Apart from conv.ts, which would pass 400 lines; both read only the plan's sizes (DepthwisePlan).
 */
import type { DepthwisePlan } from './depthwise.js';

/**
 * Depthwise (one input channel per group): a direct sliding window, cheaper than GEMM with M = 1.
 * Output rows [from, to). Each kernel row that falls inside the input adds all its taps to an
 * output in one pass (the three taps of a 3×3 unrolled); only the edge columns check bounds.
 */
export function depthwise(x: Float32Array, w: Float32Array, out: Float32Array, p: DepthwisePlan, from: number, to: number): void {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW, KH, KW] = [gh.in, gw.in, gh.out, gw.out, gh.kernel, gw.kernel];
  const [sy, sx, dw] = [gh.stride, gw.stride, gw.dilation];
  const pl = gw.padBegin;
  const mult = p.cout / p.cin;
  // columns whose every tap is inside [0, W)
  const lo = Math.min(OW, Math.max(0, Math.ceil(pl / sx)));
  const hi = Math.max(lo, Math.min(OW, Math.floor((W - 1 - (KW - 1) * dw + pl) / sx) + 1));
  for (let b = 0; b < p.n; b++) {
    for (let co = 0; co < p.cout; co++) {
      const xc = (b * p.cin + Math.floor(co / mult)) * H * W;
      const oc = (b * p.cout + co) * OH * OW;
      for (let oy = from; oy < to; oy++) {
        const dst = oc + oy * OW;
        for (let u = 0; u < KH; u++) {
          const iy = oy * sy - gh.padBegin + u * gh.dilation;
          if (iy < 0 || iy >= H) continue;
          const row = xc + iy * W - pl;
          const wr = (co * KH + u) * KW;
          if (KW === 3) {
            const [w0, w1, w2] = [w[wr], w[wr + 1], w[wr + 2]];
            for (let ox = lo, xi = row + lo * sx; ox < hi; ox++, xi += sx) out[dst + ox] += w0 * x[xi] + w1 * x[xi + dw] + w2 * x[xi + 2 * dw];
          } else {
            for (let ox = lo, xi = row + lo * sx; ox < hi; ox++, xi += sx) {
              let acc = 0;
              for (let v = 0; v < KW; v++) acc += w[wr + v] * x[xi + v * dw];
              out[dst + ox] += acc;
            }
          }
          for (let ox = 0; ox < OW; ox++) {
            if (ox === lo) ox = hi;
            if (ox >= OW) break;
            let acc = 0;
            for (let v = 0; v < KW; v++) {
              const ix = ox * sx - pl + v * dw;
              if (ix >= 0 && ix < W) acc += w[wr + v] * x[row + pl + ix];
            }
            out[dst + ox] += acc;
          }
        }
      }
    }
  }
}

/**
 * ∂x of a depthwise convolution (one input channel per group, Cout/Cin kernels each) with any
 * stride: every output gradient scattered along its kernel row by row. Columns whose taps all
 * fall inside the input (ox in [lo, hi), as the forward's depthwise) skip the bounds checks.
 */
export function depthwiseInputGradient(gy: Float32Array, w: Float32Array, p: DepthwisePlan): Float32Array {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW, KH, KW] = [gh.in, gw.in, gh.out, gw.out, gh.kernel, gw.kernel];
  const [sy, sx, dw] = [gh.stride, gw.stride, gw.dilation];
  const pl = gw.padBegin;
  const mult = p.cout / p.cin;
  const gx = new Float32Array(p.n * p.cin * H * W);
  const lo = Math.min(OW, Math.max(0, Math.ceil(pl / sx)));
  const hi = Math.max(lo, Math.min(OW, Math.floor((W - 1 - (KW - 1) * dw + pl) / sx) + 1));
  for (let b = 0; b < p.n; b++) {
    for (let co = 0; co < p.cout; co++) {
      const xc = (b * p.cin + Math.floor(co / mult)) * H * W;
      const oc = (b * p.cout + co) * OH * OW;
      for (let oy = 0; oy < OH; oy++) {
        const src = oc + oy * OW;
        for (let u = 0; u < KH; u++) {
          const iy = oy * sy - gh.padBegin + u * gh.dilation;
          if (iy < 0 || iy >= H) continue;
          const row = xc + iy * W - pl;
          const wr = (co * KH + u) * KW;
          for (let v = 0; v < KW; v++) {
            const wv = w[wr + v];
            for (let ox = lo, xi = row + lo * sx + v * dw; ox < hi; ox++, xi += sx) gx[xi] += wv * gy[src + ox];
          }
          // the edge columns, tap by tap with bounds
          for (let ox = 0; ox < OW; ox++) {
            if (ox === lo) ox = hi;
            if (ox >= OW) break;
            for (let v = 0; v < KW; v++) {
              const ix = ox * sx - pl + v * dw;
              if (ix >= 0 && ix < W) gx[row + pl + ix] += w[wr + v] * gy[src + ox];
            }
          }
        }
      }
    }
  }
  return gx;
}
