/**
 * gridSample's bicubic kernels (forward and VJP) and the position arithmetic grid-sample.ts shares
 * with them, as torch 1.13's CPU kernel computes them (GridSamplerKernel.cpp, ApplyGridSample<…,
 * Bicubic>, the AVX2 build x86 dispatches to; the formulas: grid-sample.ts's header).
 *
 * torch's bicubic never pads the position: it unnormalises the grid value, takes its floor and
 * fraction, and pads each of the 4×4 integer taps on its own (get_value_bounded: the padding's
 * compute_coordinates on the tap, then a truncating cast). Weights are Keys' cubic convolution,
 * A = −0.75, in float32.
 *
 * Rounding: float32 step by step, with the multiply-adds torch's AVX2 build fuses (GCC contracts a
 * product into the add after it) fused here and the others rounded twice, so that outputs and grid
 * gradients are torch's bits (checked on 600 random points, every one equal, and on the goldens:
 * test/fixtures/grid-sample/bicubic.json). Which products the build fused was found by trying each
 * choice against torch (scripts/goldens_grid_sample_bicubic.py's docstring): the inner weights'
 * two multiply-adds; the first two terms of each row (w0·v0 fused onto w1·v1), not the next two;
 * every term of the column sum; every term of the grid-gradient sums; none of the outer weights'
 * nor of the weight derivatives'. Another compiler may fuse otherwise: a difference of an ulp or two.
 */

/** What the bicubic kernels read of gridSample's attributes. */
export interface CubicSampling {
  paddingMode: 'zeros' | 'border' | 'reflection';
  alignCorners: boolean;
}

export const f32 = Math.fround;

/** a·b + c rounded once to float32, as a fused multiply-add (a·b of two float32 is exact in float64). */
const fma = (a: number, b: number, c: number) => f32(a * b + c);

/**
 * The unnormalised position (the AVX2 build fuses the multiply-add):
 * alignCorners ? (g + 1)·((size − 1)/2) : (g + 1)·(size/2) − 0.5.
 */
export function unnormalize(g: number, size: number, alignCorners: boolean): number {
  const scale = f32(alignCorners ? (size - 1) / 2 : size / 2);
  const sum = f32(f32(g) + 1);
  return alignCorners ? f32(sum * scale) : f32(sum * scale - 0.5);
}

/** Reflection's |v − low| less whole double spans (torch's `extra`), |v| − n·twice rounded once (fused). */
export function unfolded(shifted: number, twice: number): number {
  const abs = Math.abs(shifted);
  return f32(abs - Math.trunc(f32(abs / twice)) * twice);
}

/** Keys' outer-tap weight at distance 1 < d < 2, A = −0.75: ((A·d − 5A)·d + 8A)·d − 4A (−5A = 3.75, 8A = −6, −4A = 3), unfused. */
const outer = (d: number) => f32(f32(f32(f32(f32(f32(-0.75 * d) + 3.75) * d) - 6) * d) + 3);
/** Keys' inner-tap weight at distance d ≤ 1: ((A + 2)·d − (A + 3))·d·d + 1, its two multiply-adds fused. */
const inner = (d: number) => fma(f32(fma(1.25, d, -2.25) * d), d, 1);
/** torch's derivative terms (get_cubic_coefficients_grad, −∂w/∂t), unfused: (−3A·d − 10A)·d − 8A at d = −1 − t, sign −1: (3A·d − 10A)·d + 8A at 2 − t. */
const outerSlope = (d: number, s: number) => f32(f32(f32(f32(s * 2.25 * d) + 7.5) * d) + s * 6);
/** (−3(A + 2)·d − 2(A + 3))·d at d = −t; sign −1: (3(A + 2)·d − 2(A + 3))·d at 1 − t. */
const innerSlope = (d: number, s: number) => f32(f32(f32(s * -3.75 * d) - 4.5) * d);

/**
 * The weights of taps ⌊x⌋ − 1 … ⌊x⌋ + 2 at fraction t into w[0..3] (distances 1 + t, t, 1 − t,
 * 2 − t, each rounded); with `dw`, torch's −∂w/∂t of each (it subtracts them).
 */
function cubicWeights(t: number, w: Float64Array, dw?: Float64Array): void {
  w[0] = outer(f32(t + 1));
  w[1] = inner(t);
  w[2] = inner(f32(1 - t));
  w[3] = outer(f32(2 - t));
  if (!dw) return;
  dw[0] = outerSlope(f32(-1 - t), 1);
  dw[1] = innerSlope(-t, 1);
  dw[2] = innerSlope(f32(1 - t), -1);
  dw[3] = outerSlope(f32(2 - t), -1);
}

/**
 * The padded index of integer tap t along an axis of `size`, or −1 for a tap that reads 0 (zeros
 * padding, outside the map; a NaN tap too). Border clamps; reflection reflects as grid-sample.ts's
 * `location` does a position, then clamps (a NaN, from ±∞, to 0).
 */
function tapIndex(t: number, size: number, a: CubicSampling): number {
  if (a.paddingMode === 'zeros') return t >= 0 && t < size ? t : -1;
  let v = t;
  if (a.paddingMode === 'reflection') {
    if (a.alignCorners && size <= 1) return 0;
    const low = a.alignCorners ? 0 : -0.5;
    const twice = f32(a.alignCorners ? (size - 1) * 2 : size * 2);
    const extra = unfolded(f32(v - low), twice);
    v = f32(Math.min(extra, f32(twice - extra)) + low);
  }
  return v > 0 ? Math.trunc(Math.min(v, size - 1)) : 0;
}

/**
 * What bicubic reads at one output position: the weights of the column taps (wx) and row taps
 * (wy), their −∂/∂t for the VJP (dwx, dwy), and the padded taps (col: column index; row: row
 * offset y·W; −1 reads 0). Allocated once per call and refilled per position: no allocation per
 * element.
 */
interface CubicTaps {
  wx: Float64Array;
  wy: Float64Array;
  dwx: Float64Array;
  dwy: Float64Array;
  col: Float64Array;
  row: Float64Array;
}
const cubicTaps = (): CubicTaps => ({ wx: new Float64Array(4), wy: new Float64Array(4), dwx: new Float64Array(4), dwy: new Float64Array(4), col: new Float64Array(4), row: new Float64Array(4) });

/** Fills `k` for grid point (gx, gy) on an h × w map. A NaN or ±∞ grid value makes t NaN (∞ − ∞), so every weight NaN: the output is NaN, as torch's. */
function placeTaps(k: CubicTaps, gx: number, gy: number, h: number, w: number, a: CubicSampling, slopes: boolean): void {
  const sx = unnormalize(gx, w, a.alignCorners);
  const sy = unnormalize(gy, h, a.alignCorners);
  const ix = Math.floor(sx);
  const iy = Math.floor(sy);
  cubicWeights(f32(sx - ix), k.wx, slopes ? k.dwx : undefined);
  cubicWeights(f32(sy - iy), k.wy, slopes ? k.dwy : undefined);
  for (let i = 0; i < 4; i++) {
    k.col[i] = tapIndex(f32(ix + i - 1), w, a);
    const r = tapIndex(f32(iy + i - 1), h, a);
    k.row[i] = r < 0 ? -1 : r * w;
  }
}

/**
 * y [N, C, positions] from x [N, C, H, W] and grid [N, positions, 2], flat. The taps and weights
 * of a position are placed once and serve every channel; per channel each row's four taps are
 * summed, then the rows weighted by wy.
 */
export function bicubicForward(x: Float32Array, grid: Float32Array, n: number, c: number, h: number, w: number, positions: number, a: CubicSampling): Float32Array {
  const out = new Float32Array(n * c * positions);
  const plane = h * w;
  const k = cubicTaps();
  const { wx, wy, col, row } = k;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < positions; p++) {
      const gi = (b * positions + p) * 2;
      placeTaps(k, grid[gi], grid[gi + 1], h, w, a, false);
      const dst = b * c * positions + p;
      for (let ch = 0, base = b * c * plane; ch < c; ch++, base += plane) {
        let acc = 0;
        for (let j = 0; j < 4; j++) {
          const r = row[j];
          // an outside tap reads 0 and is still weighted: 0·NaN is NaN, as torch's masked gather
          const v0 = r < 0 || col[0] < 0 ? 0 : x[base + r + col[0]];
          const v1 = r < 0 || col[1] < 0 ? 0 : x[base + r + col[1]];
          const v2 = r < 0 || col[2] < 0 ? 0 : x[base + r + col[2]];
          const v3 = r < 0 || col[3] < 0 ? 0 : x[base + r + col[3]];
          const sum = f32(f32(fma(wx[0], v0, f32(wx[1] * v1)) + f32(wx[2] * v2)) + f32(wx[3] * v3));
          acc = j === 0 ? f32(wy[0] * sum) : fma(wy[j], sum, acc);
        }
        out[dst + ch * positions] = acc;
      }
    }
  }
  return out;
}

/**
 * The VJP into gx (x's shape) and gGrid (the grid's), as torch's backward kernel: per channel, for
 * column tap i then row tap j, a tap read receives g·wx·wy, and the grid's sums take
 * −x·g·(−∂wx/∂tx)·wy and −x·g·(−∂wy/∂ty)·wx; each sum is then multiplied by its axis's
 * unnormalisation scale, and by nothing else: the padding moves integer taps, constant between
 * pixel lines, so it has no derivative.
 */
export function bicubicBackward(
  x: Float32Array,
  grid: Float32Array,
  g: Float32Array,
  dims: { n: number; c: number; h: number; w: number; positions: number },
  a: CubicSampling,
  gx: Float32Array,
  gGrid: Float32Array,
): void {
  const { n, c, h, w, positions } = dims;
  const plane = h * w;
  const scaleX = f32(a.alignCorners ? (w - 1) / 2 : w / 2);
  const scaleY = f32(a.alignCorners ? (h - 1) / 2 : h / 2);
  const k = cubicTaps();
  const { wx, wy, dwx, dwy, col, row } = k;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < positions; p++) {
      const gi = (b * positions + p) * 2;
      placeTaps(k, grid[gi], grid[gi + 1], h, w, a, true);
      const dst = b * c * positions + p;
      let sx = 0;
      let sy = 0;
      for (let ch = 0, base = b * c * plane; ch < c; ch++, base += plane) {
        const go = g[dst + ch * positions];
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 4; j++) {
            const read = col[i] >= 0 && row[j] >= 0;
            const at = base + row[j] + col[i];
            if (read) gx[at] += f32(f32(go * wx[i]) * wy[j]);
            const vg = f32((read ? x[at] : 0) * go);
            sx = fma(-f32(vg * dwx[i]), wy[j], sx);
            sy = fma(-f32(vg * dwy[j]), wx[i], sy);
          }
        }
      }
      gGrid[gi] = f32(sx * scaleX);
      gGrid[gi + 1] = f32(sy * scaleY);
    }
  }
}
