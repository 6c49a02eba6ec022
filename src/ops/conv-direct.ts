/**
 * The direct convolution's rows: each output the sum over its input channels and taps, a GEMM over
 * an implicit im2col (the columns written straight into the GEMM's packed panels, or staged and
 * gathered in WebAssembly: ops/conv-im2col.ts). ops/conv.ts runs it for every dense conv that
 * Winograd does not take, and for the rows Winograd leaves not finite (directWhereNotFinite):
 * its transforms subtract input values, so an infinite input gives NaN (∞ − ∞) where the direct sum
 * gives ±∞ (PyTorch's CPU conv is the direct sum).
 */
import { addBias, scaledWeight } from './kernels.js';
import type { AxisGeometry, ConvSizes } from './geometry.js';
import { gemmPacked, packA, remapFinalOutputs, withEpilogue } from '../tensor/gemm.js';
import { gemm, gemmTiled, gemmTiles } from './gemm-tiles.js';
import type { RowPanelFill } from './gemm-tiles.js';
import { stageConv } from './conv-im2col.js';
import type { NonFiniteRows } from './conv-winograd.js';
import { KERNEL_SCRATCH } from '../limits.js';

/** Most floats of the direct rows computed at once where Winograd's were not finite (4 MiB): rows in pieces, one at least. */
const REDO_SCRATCH = 1 << 20;

/**
 * Columns per GEMM B panel: the width of tensor/gemm.ts's 4×8 micro-kernel tile. Panels are K×8
 * floats; the unrolled copy below writes one panel row of 8.
 */
const PANEL = 8;

/**
 * Implicit im2col: writes rows [k0, k0 + K) of columns [col, col + width) of one image and
 * group's column matrix (counted from output position firstPosition) straight into GEMM panels.
 * Row k = (c·Kh + u)·Kw + v of column oy·W' + ox is x[c, oy·s − pt + u·d, ox·s − pl + v·d], zero
 * outside the input. All of K at once, unless the GEMM is tiled (ops/gemm-tiles.ts).
 */
function convPanels(x: Float32Array, xOff: number, geo: AxisGeometry[], firstPosition: number): RowPanelFill {
  const [gh, gw] = geo;
  const [H, W, OW, KH, KW] = [gh.in, gw.in, gw.out, gh.kernel, gw.kernel];
  const [sy, sx] = [gh.stride, gw.stride];
  const iy0 = new Int32Array(PANEL);
  const ix0 = new Int32Array(PANEL);
  return (k0, col, width, panels, K) => {
    const taps = KH * KW;
    // panel by panel, so the writes run sequentially through each K×8 panel
    for (let pj = 0; pj < width; pj += PANEL) {
      const n = Math.min(PANEL, width - pj);
      for (let j = 0; j < n; j++) {
        const pos = firstPosition + col + pj + j;
        const oy = Math.floor(pos / OW);
        iy0[j] = oy * sy - gh.padBegin;
        ix0[j] = (pos - oy * OW) * sx - gw.padBegin;
      }
      // all columns in one output row: one input row per tap, and x positions ix0[0] + j·stride
      const oneRow = n === PANEL && iy0[PANEL - 1] === iy0[0];
      // panel pj / PANEL starts at (pj / PANEL)·K·PANEL = pj·K; row k0 is tap (c, u, v)
      let o = pj * K;
      let c = Math.floor(k0 / taps);
      let u = Math.floor((k0 - c * taps) / KW);
      let v = k0 - c * taps - u * KW;
      let xc = xOff + c * H * W;
      let dy = u * gh.dilation;
      for (let k = 0; k < K; k++, o += PANEL) {
        const dx = v * gw.dilation;
        const iy = iy0[0] + dy;
        const first = ix0[0] + dx;
        if (oneRow && iy >= 0 && iy < H && first >= 0 && first + (PANEL - 1) * sx < W) {
          const src = xc + iy * W + first;
          if (sx === 1) {
            panels[o] = x[src];
            panels[o + 1] = x[src + 1];
            panels[o + 2] = x[src + 2];
            panels[o + 3] = x[src + 3];
            panels[o + 4] = x[src + 4];
            panels[o + 5] = x[src + 5];
            panels[o + 6] = x[src + 6];
            panels[o + 7] = x[src + 7];
          } else {
            for (let j = 0; j < PANEL; j++) panels[o + j] = x[src + j * sx];
          }
        } else {
          for (let j = 0; j < n; j++) {
            const yy = iy0[j] + dy;
            const xx = ix0[j] + dx;
            panels[o + j] = yy >= 0 && yy < H && xx >= 0 && xx < W ? x[xc + yy * W + xx] : 0;
          }
        }
        // the next tap: v, then u, then the next channel
        if (++v === KW) {
          v = 0;
          if (++u === KH) {
            u = 0;
            xc += H * W;
          }
          dy = u * gh.dilation;
        }
      }
    }
  };
}

/**
 * Output rows [from, to) of a dense (not depthwise) convolution by the direct sum, written into
 * `out` (the whole output, or `into`: rows from `into.row` on, `into.plane` floats an image's
 * kernel); whether the bias was added (the GEMM starts from it when it stages the im2col; the
 * caller adds it otherwise). `scale`: a factor per output channel applied to the weight as it is
 * packed (ops/conv.ts convRows); a path that reads the weight itself reads a scaled copy.
 */
export function directRows(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvSizes, from: number, to: number, out: Float32Array, into?: { plane: number; row: number }, scale?: Float64Array): boolean {
  const [gh, gw] = p.geo;
  const OW = gw.out;
  const plane = gh.out * OW;
  const first = from * OW;
  const positions = (to - from) * OW;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const K = cinG * gh.kernel * gw.kernel;
  const pointwise = gh.kernel === 1 && gw.kernel === 1 && gh.stride === 1 && gw.stride === 1 && gh.padBegin === 0 && gw.padBegin === 0 && gh.padEnd === 0 && gw.padEnd === 0;
  const xPlane = gh.in * gw.in;
  const [ldc, row0] = into ? [into.plane, into.row] : [plane, 0];
  let biasAdded = false;
  // one tile (every zoo conv): A packed once per group; else tiles within KERNEL_SCRATCH (ops/gemm-tiles.ts)
  const { mc, kc } = gemmTiles(coutG, K);
  const whole = mc === coutG && kc === K;
  // the weight as the paths that do not pack it here read it: scaled into a copy, once, if asked
  let read: Float32Array | undefined = scale ? undefined : weight;
  const plain = () => (read ??= scaledWeight(weight, scale!));
  for (let g = 0; g < p.groups; g++) {
    const Ap = whole ? packA(coutG, K, weight, g * coutG * K, K, scale && { k: scale, at: g * coutG }) : null;
    // the im2col in WebAssembly from the staged, padded input (ops/conv-im2col.ts) when it fits
    const staged = Ap && stageConv(cinG, p.geo, Ap, from, to);
    for (let b = 0; b < p.n; b++) {
      const xOff = (b * p.cin + g * cinG) * xPlane;
      const outOff = (b * p.cout + g * coutG) * ldc + (from - row0) * OW;
      if (Ap && staged) {
        staged.load(x, xOff);
        // the bias is the kernel's starting value (the same path for every group and band: whether stageConv stages depends on the whole conv's sizes only)
        gemmPacked(positions, Ap, staged.fill(first), out, outOff, ldc, false, bias, g * coutG);
        biasAdded = true;
      } else if (pointwise) {
        // the kernel the whole plane's width picks (a band of fewer than 8 positions would take the float64 loop)
        gemm(coutG, positions, K, plain(), g * coutG * K, K, x, xOff + first, xPlane, out, outOff, ldc, false, KERNEL_SCRATCH, plane < 8);
      } else if (Ap) {
        const fill = convPanels(x, xOff, p.geo, first);
        gemmPacked(positions, Ap, (col, width, panels, depth) => fill(0, col, width, panels, depth), out, outOff, ldc, false);
      } else gemmTiled(coutG, positions, K, plain(), g * coutG * K, K, convPanels(x, xOff, p.geo, first), out, outOff, ldc, false);
    }
  }
  return biasAdded;
}

/**
 * Recomputes by the direct sum the output rows of [from, to) that winogradRows left not finite
 * (`found`: by kernel and row), the bias added and the fused activation in force (tensor/gemm.ts
 * withEpilogue) applied as Winograd's copy-out applied it (counted once, there). Each kernel's row
 * is judged by its own outputs, which any band of rows or kernels computes with the same bits, and
 * the direct sum's bits of an output do not depend on the rows computed beside it, nor on the
 * kernels while the GEMM is one tile (the only channel bands a team cuts: runtime/bands.ts): so a
 * split still gives the whole conv's bits. The direct rows go through a scratch output of their
 * rows only (REDO_SCRATCH floats at most a piece; only on such inputs), so that a kernel's finite
 * rows keep Winograd's values.
 */
export function directWhereNotFinite(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvSizes, from: number, to: number, out: Float32Array, found: NonFiniteRows, scale?: Float64Array): void {
  const [OH, OW] = [p.geo[0].out, p.geo[1].out];
  const plane = OH * OW;
  const anyKernel = (r: number) => {
    for (let k = 0; k < p.cout; k++) if (found.flags[k * OH + r]) return true;
    return false;
  };
  // rows a piece: its scratch within REDO_SCRATCH floats (one row at least)
  const most = Math.max(1, Math.floor(REDO_SCRATCH / (p.n * p.cout * OW)));
  for (let r0 = from; r0 < to; r0++) {
    if (!anyKernel(r0)) continue;
    // the run of rows with a kernel to redo, within the band
    let r1 = r0 + 1;
    while (r1 < to && r1 - r0 < most && anyKernel(r1)) r1++;
    const rows = (r1 - r0) * OW;
    const scratch = new Float32Array(p.n * p.cout * rows);
    // not final yet (an activation in force is applied below, once): a map that leaves them
    const biasAdded = withEpilogue(() => {}, () => directRows(x, weight, bias, p, r0, r1, scratch, { plane: rows, row: r0 }, scale)).result;
    if (!biasAdded) addBias(scratch, bias, p.n, p.cout, rows, 0, rows);
    for (let k = 0; k < p.cout; k++)
      for (let r = r0; r < r1; r++) {
        if (!found.flags[k * OH + r]) continue;
        for (let n = 0; n < p.n; n++) {
          const at = (n * p.cout + k) * plane + r * OW;
          const src = (n * p.cout + k) * rows + (r - r0) * OW;
          out.set(scratch.subarray(src, src + OW), at);
          remapFinalOutputs(out.subarray(at, at + OW));
        }
      }
    r0 = r1 - 1;
  }
}
