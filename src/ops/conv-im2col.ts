/**
 * The implicit im2col of a convolution in WebAssembly (wasm/gemm.wat's `im2col`), for the GEMM of
 * ops/conv.ts: the input of one image and group is staged once, zero-padded, in the GEMM module's
 * memory after its working set, with a table of each tap's offset; the kernel then writes every
 * panel of B straight from it, with no bounds tests (taps outside the input read the padding):
 *
 *   B[k][j] = P[c][oy·sy + u·dh][ox·sx + v·dw]     k = (c·Kh + u)·Kw + v, position j = oy·W' + ox
 *   P[c][iy + pt][ix + pl] = x[c][iy][ix], zero elsewhere   (Hp × Wp per channel)
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

const round4 = (floats: number) => Math.ceil(floats / 4) * 4;

export interface Staged {
  /** Copies one image and group's input (cin planes of x from xOff) into P. */
  load(x: Float32Array, xOff: number): void;
  /** The panel fill for output positions counted from firstPosition. */
  fill(firstPosition: number): PanelFill;
}

/**
 * Staging for a conv of cin input channels (per group) with GEMM operand Ap already packed (P goes
 * after its working set); null when the padding is negative (cropping) or P and its tables would
 * exceed KERNEL_SCRATCH floats (the caller keeps the JavaScript fill). P starts zeroed.
 */
export function stageConv(cin: number, geo: AxisGeometry[], Ap: PackedA): Staged | null {
  const [gh, gw] = geo;
  const [H, W] = [gh.in, gw.in];
  if (gh.padBegin < 0 || gw.padBegin < 0) return null;
  const Hp = Math.max(gh.padBegin + H, (gh.out - 1) * gh.stride + (gh.kernel - 1) * gh.dilation + 1);
  const Wp = Math.max(gw.padBegin + W, (gw.out - 1) * gw.stride + (gw.kernel - 1) * gw.dilation + 1);
  const padded = Hp !== H || Wp !== W;
  const K = cin * gh.kernel * gw.kernel;
  const pAt = round4(workingSet(Ap));
  const tapsAt = pAt + round4(cin * Hp * Wp + 16);
  const uAt = tapsAt + round4(K);
  const end = uAt + (padded ? cin * H * W : 0);
  if (end - pAt > KERNEL_SCRATCH) return null;
  const ints = wasmInts(end);
  let k = tapsAt;
  for (let c = 0; c < cin; c++)
    for (let u = 0; u < gh.kernel; u++)
      for (let v = 0; v < gw.kernel; v++) ints[k++] = ((c * Hp + u * gh.dilation) * Wp + v * gw.dilation) * 4;
  // the padding is zeroed once: every load writes the same interior cells
  if (padded) wasmFloats(end).fill(0, pAt, pAt + cin * Hp * Wp);
  const rowStep = gh.stride * Wp * 4;
  return {
    load(x, xOff) {
      // one copy from JavaScript (the planes are contiguous in x), then rows placed by the module
      const heap = wasmFloats(end);
      heap.set(x.subarray(xOff, xOff + cin * H * W), padded ? uAt : pAt);
      if (!padded) return;
      for (let c = 0; c < cin; c++) place((uAt + c * H * W) * 4, W * 4, H, (pAt + (c * Hp + gh.padBegin) * Wp + gw.padBegin) * 4, Wp * 4);
    },
    fill: (firstPosition) => (col, width, panels, depth) =>
      im2col(pAt * 4, tapsAt * 4, depth, firstPosition + col, width, gw.out, rowStep, gw.stride, panels.byteOffset),
  };
}
