/**
 * The implicit im2col of a convolution in WebAssembly (wasm/gemm.wat's `im2col`), for the GEMM of
 * ops/conv.ts: the input of one image and group is staged once, zero-padded, in the GEMM module's
 * memory after its working set, with a table of each tap's offset; the kernel then writes every
 * panel of B straight from it, with no bounds tests (taps outside the input read the padding):
 *
 *   B[k][j] = P[c][oy·sy + u·dh][ox·sx + v·dw]     k = (c·Kh + u)·Kw + v, position j = oy·W' + ox
 *   P[c][iy + pt][ix + pl] = x[c][iy][ix], zero elsewhere   (Hp × Wp per channel)
 * (for a band of output rows [from, to): P's rows counted from r0 = from·sy, the positions from from·W',
 * and only the input rows the band reads staged: stageConv).
 *
 * A 1×1 stride-1 conv is the plain GEMM of the input (B = x's rows: P is x itself, one copy, and
 * the panels are its rows). Against the JavaScript fill (ops/conv.ts convPanels), about 8× less
 * time per panel element; it was as much as the GEMM itself on a 1×1 conv and a third of the 7×7
 * stem. Layout (floats): [P, + 16 slack for the stride-2 path's last load] [taps, i32] [the input
 * unpadded, one copy, when P is padded].
 */
import { KERNEL_SCRATCH } from '../limits.js';
import { im2col, place, wasmFloats, wasmInts, workingSet } from '../tensor/gemm.js';
import type { PackedA, PanelFill } from '../tensor/gemm.js';
import type { AxisGeometry } from './geometry.js';
import { inputRows } from './geometry.js';

const round4 = (floats: number) => Math.ceil(floats / 4) * 4;

/** Rows (or columns) of the whole conv's padded input P along one axis. */
const paddedHeight = (g: AxisGeometry): number => Math.max(g.padBegin + g.in, (g.out - 1) * g.stride + (g.kernel - 1) * g.dilation + 1);

/**
 * Whether stageConv stages a conv of cin input channels (per group) of this geometry: no cropping
 * padding, and P, its tap table and the unpadded copy within KERNEL_SCRATCH floats (no memory is
 * taken besides the module's, which that bound covers: ops/conv-nd.ts declares no im2col chunk then).
 */
export function stagesWhole(cin: number, geo: readonly AxisGeometry[]): boolean {
  const [gh, gw] = geo;
  if (gh.padBegin < 0 || gw.padBegin < 0) return false;
  const [Hp, Wp] = [paddedHeight(gh), paddedHeight(gw)];
  const K = cin * gh.kernel * gw.kernel;
  return round4(cin * Hp * Wp + 16) + round4(K) + (Hp !== gh.in || Wp !== gw.in ? cin * gh.in * gw.in : 0) <= KERNEL_SCRATCH;
}

export interface Staged {
  /** Copies one image and group's input rows that P holds (of the cin planes of x from xOff) into P. */
  load(x: Float32Array, xOff: number): void;
  /**
   * As load, plane c of P from x at planeAt(c), or zeros where it answers −1: planes that are not
   * consecutive in x (a 3-D conv's depth taps staged as channels: ops/conv-nd-kernels.ts).
   */
  loadPlanes(x: Float32Array, planeAt: (c: number) => number): void;
  /** The panel fill for output positions counted from firstPosition. */
  fill(firstPosition: number): PanelFill;
}

/**
 * Staging for a conv of cin input channels (per group) with GEMM operand Ap already packed (P goes
 * after its working set), for output rows [from, to) (default: all of them); null when the
 * padding is negative (cropping) or P and its tables would exceed KERNEL_SCRATCH floats (the
 * caller keeps the JavaScript fill). P starts zeroed.
 *
 * A band of output rows (runtime/bands.ts's row bands) stages only the input rows its taps read
 * (when the whole conv's staging fits: the same path, so the same bits),
 * padded rows r0 = from·sy to (to − 1)·sy + (Kh − 1)·dh of P, so a thread that computes half the
 * rows copies half the input (the whole of it cost a row band of a 1×1 conv at 56×56 as much as a
 * quarter of its GEMM). The positions it fills are counted from the band's first; its sums are the
 * same taps in the same order, so the bits do not move.
 */
export function stageConv(cin: number, geo: AxisGeometry[], Ap: PackedA, from = 0, to = geo[0].out): Staged | null {
  // a band stages exactly when the whole conv would: the staged path starts its sums from the bias,
  // the others add it at the end, so a band staged where the whole is not would round otherwise
  if (!stagesWhole(cin, geo)) return null;
  const [gh, gw] = geo;
  const [H, W] = [gh.in, gw.in];
  const whole = from === 0 && to === gh.out;
  const r0 = from * gh.stride;
  const Hp = whole ? paddedHeight(gh) : (to - 1 - from) * gh.stride + (gh.kernel - 1) * gh.dilation + 1;
  const Wp = paddedHeight(gw);
  const K = cin * gh.kernel * gw.kernel;
  // the input rows the band reads, [iy0, iy1) (all of them for the whole conv), and where the first lands in P
  const [iy0, iy1] = whole ? [0, H] : inputRows(gh, from, to);
  const rows = iy1 - iy0;
  const at = iy0 + gh.padBegin - r0;
  const padded = Hp !== rows || Wp !== W;
  const pAt = round4(workingSet(Ap));
  const tapsAt = pAt + round4(cin * Hp * Wp + 16);
  const uAt = tapsAt + round4(K);
  const end = uAt + (padded ? cin * rows * W : 0);
  const ints = wasmInts(end);
  let k = tapsAt;
  for (let c = 0; c < cin; c++)
    for (let u = 0; u < gh.kernel; u++)
      for (let v = 0; v < gw.kernel; v++) ints[k++] = ((c * Hp + u * gh.dilation) * Wp + v * gw.dilation) * 4;
  // the padding is zeroed once: every load writes the same interior cells
  if (padded) wasmFloats(end).fill(0, pAt, pAt + cin * Hp * Wp);
  const rowStep = gh.stride * Wp * 4;
  const first = from * gw.out;
  /** The staged rows into P's interior, by the module, when P is padded (else they were copied there). */
  const placeRows = () => {
    if (padded) for (let c = 0; c < cin; c++) place((uAt + c * rows * W) * 4, W * 4, rows, (pAt + (c * Hp + at) * Wp + gw.padBegin) * 4, Wp * 4);
  };
  const loadPlanes = (x: Float32Array, planeAt: (c: number) => number): void => {
    const heap = wasmFloats(end);
    const dst = padded ? uAt : pAt;
    for (let c = 0; c < cin; c++) {
      const o = planeAt(c);
      const d = dst + c * rows * W;
      if (o < 0) heap.fill(0, d, d + rows * W);
      else heap.set(x.subarray(o + iy0 * W, o + iy1 * W), d);
    }
    placeRows();
  };
  return {
    load(x, xOff) {
      // the rows in one copy from JavaScript when they are whole planes (contiguous in x), else a
      // copy per plane; then placed by the module when P is padded
      if (rows !== H) return loadPlanes(x, (c) => xOff + c * H * W);
      wasmFloats(end).set(x.subarray(xOff, xOff + cin * H * W), padded ? uAt : pAt);
      placeRows();
    },
    loadPlanes,
    fill: (firstPosition) => (col, width, panels, depth) =>
      im2col(pAt * 4, tapsAt * 4, depth, firstPosition - first + col, width, gw.out, rowStep, gw.stride, panels.byteOffset),
  };
}
