/**
 * The transposed-convolution kernel (a GEMM with the weight transposed, then col2im), apart from
 * conv-transpose.ts so that conv.ts can reuse it as conv2d's input gradient without an import
 * circle (convTranspose2d's own gradient is conv2d's forward kernel).
 */
import type { AxisGeometry } from './geometry.js';
import { gemm } from './gemm-tiles.js';
import { addBias, transposeUnits } from './kernels.js';
import { KERNEL_SCRATCH } from '../limits.js';

export interface ConvTransposePlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  geo: AxisGeometry[];
}

/**
 * Per image and group: columns[(co·Kh + u)·Kw + v][i·W + j] = Σ_ci w[ci, co, u, v]·x[ci, i, j]
 * (one GEMM with the weight transposed), then col2im adds each column into
 * y[co, i·s − pt + u·d, j·s − pl + v·d]. The column matrix (Cout/g·Kh·Kw rows of H·W) is made a
 * band of rows at a time, at most KERNEL_SCRATCH floats (one row when a row alone is larger): a
 * 255×255 kernel over a 64×64 map needs 1 GB of columns at once, 16 MB in bands.
 */
export function convTransposeForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvTransposePlan, scratch = KERNEL_SCRATCH): Float32Array {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW, KH, KW] = [gh.in, gw.in, gh.out, gw.out, gh.kernel, gw.kernel];
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const taps = KH * KW;
  const rows = coutG * taps;
  const inPlane = H * W;
  const outPlane = OH * OW;
  // weight [Cin, Cout/g, Kh, Kw] → per group [Cout/g·Kh·Kw, Cin/g]
  const wT = new Float32Array(p.groups * rows * cinG);
  for (let g = 0; g < p.groups; g++) transposeUnits(weight, g * cinG * rows, cinG, rows, 1, wT, g * rows * cinG, false);
  const band = Math.max(1, Math.min(rows, Math.floor(scratch / inPlane)));
  const cols = new Float32Array(band * inPlane);
  const out = new Float32Array(p.n * p.cout * outPlane);
  for (let b = 0; b < p.n; b++) {
    for (let g = 0; g < p.groups; g++) {
      for (let r0 = 0; r0 < rows; r0 += band) {
        const r1 = Math.min(rows, r0 + band);
        gemm(r1 - r0, inPlane, cinG, wT, (g * rows + r0) * cinG, cinG, x, (b * p.cin + g * cinG) * inPlane, inPlane, cols, 0, inPlane, false);
        for (let r = r0; r < r1; r++) {
          // row r is tap (u, v) of output channel co
          const co = Math.floor(r / taps);
          const u = Math.floor((r - co * taps) / KW);
          const v = r - co * taps - u * KW;
          const yc = (b * p.cout + g * coutG + co) * outPlane;
          const colRow = (r - r0) * inPlane;
          for (let i = 0; i < H; i++) {
            const oy = i * gh.stride - gh.padBegin + u * gh.dilation;
            if (oy < 0 || oy >= OH) continue;
            const dst = yc + oy * OW;
            const src = colRow + i * W;
            for (let j = 0; j < W; j++) {
              const ox = j * gw.stride - gw.padBegin + v * gw.dilation;
              if (ox >= 0 && ox < OW) out[dst + ox] += cols[src + j];
            }
          }
        }
      }
    }
  }
  addBias(out, bias, p.n, p.cout, outPlane);
  return out;
}
