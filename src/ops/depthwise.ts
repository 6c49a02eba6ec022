/**
 * Depthwise convolution (groups = in channels, out = in · multiplier) in WebAssembly SIMD kernels
 * (wasm/depthwise.wat), the bias added in the kernel (its accumulators start at it). Per output
 * channel the caller-side work is two copies, each one call: the input rows the band needs into
 * the module's memory (the kernel module then places them into a zero-padded plane, so the kernel
 * has no bounds tests), and the band's output rows back out. Both are O(H·W) against the kernel's
 * O(K²·H'·W') MACs; copying row by row from JavaScript (a subarray per row) cost more than the
 * kernel itself. The kernels compute 8 output columns per step (two f32x4 accumulators sharing
 * each weight's splat), so each row is padded to a multiple of 8 outputs on the right; those
 * columns are overwritten by the next row, or land in 8 floats of slack after the last.
 * Horizontal stride 1 or 2 (every depthwise conv of the zoo), 3×3 with horizontal dilation 1 in
 * unrolled kernels with the weights in registers (stride 1 two output rows at a time where the
 * vertical stride and dilation are 1): `depthwiseRows` answers false for anything else, and the
 * caller keeps its scalar loop.
 *
 * Memory layout (floats, each part rounded to 4): [weights Cout·KH·KW] [input rows of one
 * channel, unpadded] [padded plane] [output rows, OW apart, + 8].
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { kernelModule } from '../tensor/wasm-memory.js';
import type { AxisGeometry } from './geometry.js';

type Kernel = (
  x: number,
  w: number,
  out: number,
  KH: number,
  KW: number,
  tapRow: number,
  tapCol: number,
  rowStep: number,
  rows: number,
  groups: number,
  outPitch: number,
  bias: number,
) => void;

interface DepthwiseKernels {
  memory: WebAssembly.Memory;
  ex: Record<string, Kernel>;
  place: (src: number, rowBytes: number, rows: number, dst: number, pitch: number) => void;
  /** 3×3 stride 1, two output rows per pass (vertical stride and dilation 1): each input row loaded once for both. */
  k3s1r2: (x: number, w: number, out: number, rowPitch: number, pairs: number, groups: number, outPitch: number, bias: number) => void;
}
let kernels: DepthwiseKernels | undefined;
/** The module's memory as floats: empty until the module is instantiated (reserve first). */
let heap = new Float32Array(0);

/** wasm/depthwise.wat, instantiated at its first use, not at import (tensor/wasm-memory.ts lazily says why). */
function depthwiseKernels(): DepthwiseKernels {
  if (kernels) return kernels;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path.join(PACKAGE_ROOT, 'wasm', 'depthwise.wasm'))));
  kernels = {
    memory: instance.exports.memory as WebAssembly.Memory,
    ex: instance.exports as Record<string, Kernel>,
    place: instance.exports.place as DepthwiseKernels['place'],
    k3s1r2: instance.exports.k3s1r2 as DepthwiseKernels['k3s1r2'],
  };
  heap = new Float32Array(kernels.memory.buffer);
  return kernels;
}
kernelModule(depthwiseKernels);

/** The kernel for a horizontal stride and kernel shape, or undefined (the scalar loop runs). */
function kernelFor(sx: number, KH: number, KW: number, dw: number): Kernel | undefined {
  const k3 = KH === 3 && KW === 3 && dw === 1;
  const { ex } = depthwiseKernels();
  if (sx === 1) return k3 ? ex.k3s1 : ex.s1;
  if (sx === 2) return k3 ? ex.k3s2 : ex.s2;
  return undefined;
}

/** Grows the module's memory to at least `bytes` (growing keeps the contents; views are renewed). */
function reserve(bytes: number): void {
  const { memory } = depthwiseKernels();
  const have = memory.buffer.byteLength;
  if (bytes > have) {
    memory.grow(Math.ceil((bytes - have) / 65536));
    heap = new Float32Array(memory.buffer);
  }
}

export interface DepthwisePlan {
  n: number;
  cin: number;
  cout: number;
  geo: AxisGeometry[];
}

const round16 = (floats: number) => Math.ceil(floats / 4) * 4;

/**
 * Output rows [from, to) of a depthwise convolution of x by w [Cout, 1, KH, KW] (plus bias[co]
 * when given) into `out` (overwritten in those rows). False when the kernel does not apply
 * (horizontal stride other than 1 or 2, negative padding): nothing is written then.
 */
export function depthwiseRows(x: Float32Array, w: Float32Array, out: Float32Array, p: DepthwisePlan, from: number, to: number, bias?: Float32Array): boolean {
  const [gh, gw] = p.geo;
  const [H, W, OW, KH, KW] = [gh.in, gw.in, gw.out, gh.kernel, gw.kernel];
  const kernel = kernelFor(gw.stride, KH, KW, gw.dilation);
  if (!kernel || gh.padBegin < 0 || gw.padBegin < 0) return false;
  if (to <= from) return true;
  const groups = Math.ceil(OW / 8);
  // the last 8-wide step reads up to column groups·8·sx − 1 + (KW − 1)·dw of the padded row
  const pitch = Math.max(gw.padBegin + W, groups * 8 * gw.stride + (KW - 1) * gw.dilation);
  const rows = to - from;
  const planeRows = (rows - 1) * gh.stride + (KH - 1) * gh.dilation + 1;
  // padded-plane row r holds input row r + firstRow (rows outside [0, H) stay zero)
  const firstRow = from * gh.stride - gh.padBegin;
  const r0 = Math.max(0, -firstRow);
  const r1 = Math.max(r0, Math.min(planeRows, H - firstRow));
  const wAt = 0;
  const stageAt = round16(p.cout * KH * KW);
  const xAt = stageAt + round16((r1 - r0) * W);
  const outAt = xAt + round16(planeRows * pitch);
  reserve((outAt + rows * OW + 8) * 4);
  heap.set(w.subarray(0, p.cout * KH * KW), wAt);
  // zeroed once: every channel writes the same interior cells, so the padding stays zero
  heap.fill(0, xAt, xAt + planeRows * pitch);
  const mult = p.cout / p.cin;
  const taps = KH * KW;
  const [tapRow, tapCol, rowStep] = [gh.dilation * pitch * 4, gw.dilation * 4, gh.stride * pitch * 4];
  // the two-row 3×3 kernel where consecutive output rows read consecutive input rows
  const pairs = kernel === depthwiseKernels().ex.k3s1 && gh.stride === 1 && gh.dilation === 1 ? rows >> 1 : 0;
  for (let b = 0; b < p.n; b++) {
    for (let co = 0; co < p.cout; co++) {
      if (co % mult === 0 && r1 > r0) {
        // a new input channel: its band rows (contiguous in x) in one copy, then placed with padding
        const src = (b * p.cin + co / mult) * H * W + (firstRow + r0) * W;
        heap.set(x.subarray(src, src + (r1 - r0) * W), stageAt);
        depthwiseKernels().place(stageAt * 4, W * 4, r1 - r0, (xAt + r0 * pitch + gw.padBegin) * 4, pitch * 4);
      }
      const [wq, bq] = [(wAt + co * taps) * 4, bias ? bias[co] : 0];
      if (pairs > 0) {
        depthwiseKernels().k3s1r2(xAt * 4, wq, outAt * 4, pitch * 4, pairs, groups, OW * 4, bq);
        if (rows & 1) kernel(xAt * 4 + (rows - 1) * rowStep, wq, (outAt + (rows - 1) * OW) * 4, KH, KW, tapRow, tapCol, rowStep, 1, groups, OW * 4, bq);
      } else kernel(xAt * 4, wq, outAt * 4, KH, KW, tapRow, tapCol, rowStep, rows, groups, OW * 4, bq);
      const oc = (b * p.cout + co) * gh.out * OW;
      out.set(heap.subarray(outAt, outAt + rows * OW), oc + from * OW);
    }
  }
  return true;
}
