/**
 * Vector-Jacobian products of upsample1d and upsample3d (upsample-nd.ts), g = ∂L/∂y, per (n, c)
 * plane: the transposes of the forward kernels over the same tap tables (axisTaps, built from the
 * same plan), so the gradient reads exactly the taps the forward read:
 *
 *   nearest, nearest-exact   ∂x[it[ot], ih[oh], iw[ow]] += g[ot, oh, ow]
 *   linear (1-D)             ∂x[i0[o]] += (1 − w1[o])·g[o],  ∂x[i1[o]] += w1[o]·g[o]
 *   trilinear                each of the eight taps (t, h, w) ∈ {0, 1}³ of output (ot, oh, ow):
 *                            ∂x[it_t, ih_h, iw_w] += λt·λh·λw·g   (λ0 = 1 − w1, λ1 = w1)
 *
 * A tap of weight 0 (a copy's i1, an edge clamp) adds 0·g, as PyTorch's backward does (an inf in g
 * beside it gives NaN, as the forward's 0·inf). Sums are float32 in output order, as
 * cpu_upsample_linear_backward and cpu_upsample_nearest_backward (torch 1.13) accumulate them.
 * Memory: the input's gradient and the forward's own tap tables, nothing per element; no float64
 * copy of any tensor, so a call within MAX_TENSOR_ELEMENTS for the forward is within it here.
 *
 * Apart from upsample-nd.ts (which would pass 400 lines), which imports these kernels and the tap
 * tables' type from here: no import back.
 */

/** Per axis and output coordinate: the two source indices and the upper one's weight (nearest: i0 = i1, weight 0); built by upsample-nd.ts axisTaps. */
export interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  w1: Float32Array;
}

/** Nearest's transpose: each output's gradient added to the one input its three indices name. */
export function gatherBack(g: Float32Array, gx: Float32Array, planes: number, [T, H, W]: readonly number[], [it, ih, iw]: readonly Int32Array[]): void {
  const [OT, OH, OW] = [it.length, ih.length, iw.length];
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * T * H * W;
    for (let ot = 0; ot < OT; ot++) {
      const plane = xp + it[ot] * H * W;
      for (let oh = 0; oh < OH; oh++) {
        const row = plane + ih[oh] * W;
        for (let ow = 0; ow < OW; ow++, o++) gx[row + iw[ow]] += g[o];
      }
    }
  }
}

/** 1-D linear's transpose: each output's gradient split between its two taps. */
export function linear1dBack(g: Float32Array, gx: Float32Array, planes: number, W: number, tw: AxisTaps): void {
  const { i0, i1, w1 } = tw;
  const OW = i0.length;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * W;
    for (let ow = 0; ow < OW; ow++, o++) {
      const c = w1[ow];
      gx[xp + i0[ow]] += (1 - c) * g[o];
      gx[xp + i1[ow]] += c * g[o];
    }
  }
}

/** Trilinear's transpose: each output's gradient spread over its eight taps, the four rows and their time × height weights hoisted per output row. */
export function trilinearBack(g: Float32Array, gx: Float32Array, planes: number, [T, H, W]: readonly number[], [tt, th, tw]: readonly AxisTaps[]): void {
  const [OT, OH, OW] = [tt.i0.length, th.i0.length, tw.i0.length];
  const { i0: c0s, i1: c1s, w1: cs } = tw;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * T * H * W;
    for (let ot = 0; ot < OT; ot++) {
      const t0 = tt.i0[ot];
      const t1 = tt.i1[ot];
      const a1 = tt.w1[ot];
      for (let oh = 0; oh < OH; oh++) {
        const h0 = th.i0[oh];
        const h1 = th.i1[oh];
        const b1 = th.w1[oh];
        const r00 = xp + (t0 * H + h0) * W;
        const r01 = xp + (t0 * H + h1) * W;
        const r10 = xp + (t1 * H + h0) * W;
        const r11 = xp + (t1 * H + h1) * W;
        const w00 = (1 - a1) * (1 - b1);
        const w01 = (1 - a1) * b1;
        const w10 = a1 * (1 - b1);
        const w11 = a1 * b1;
        for (let ow = 0; ow < OW; ow++, o++) {
          const c0 = c0s[ow];
          const c1 = c1s[ow];
          const lo = (1 - cs[ow]) * g[o];
          const hi = cs[ow] * g[o];
          gx[r00 + c0] += w00 * lo;
          gx[r00 + c1] += w00 * hi;
          gx[r01 + c0] += w01 * lo;
          gx[r01 + c1] += w01 * hi;
          gx[r10 + c0] += w10 * lo;
          gx[r10 + c1] += w10 * hi;
          gx[r11 + c0] += w11 * lo;
          gx[r11 + c1] += w11 * hi;
        }
      }
    }
  }
}
