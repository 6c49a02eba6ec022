/**
 * Depthwise convolution (groups = in channels, out = in · multiplier) in a WebAssembly SIMD
 * kernel (wasm/depthwise.wat). Per output channel, the caller-side work is two copies: the input
 * plane's rows the band needs, zero-padded into the module's memory (so the kernel has no bounds
 * tests), and the result rows back out. Both are O(H·W) against the kernel's O(K²·H'·W') MACs.
 * The kernel computes 8 output columns per step (two f32x4 accumulators sharing each weight's
 * splat), so each row is padded to a multiple of 8 outputs on the right; those columns are dropped.
 * Horizontal stride 1 or 2 (every depthwise conv of the zoo): `depthwiseRows` answers false for
 * anything else, and the caller keeps its scalar loop.
 *
 * Memory layout (bytes, all f32): [weights KH·KW, rounded to 16] [padded plane] [output rows].
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import type { AxisGeometry } from './geometry.js';

type Kernel = (x: number, w: number, out: number, KH: number, KW: number, tapRow: number, tapCol: number, rowStep: number, rows: number, groups: number) => void;

const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path.join(PACKAGE_ROOT, 'wasm', 'depthwise.wasm'))));
const memory = instance.exports.memory as WebAssembly.Memory;
const KERNELS: Record<number, Kernel> = { 1: instance.exports.s1 as Kernel, 2: instance.exports.s2 as Kernel };
let heap = new Float32Array(memory.buffer);

/** Grows the module's memory to at least `bytes` (growing keeps the contents; views are renewed). */
function reserve(bytes: number): void {
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
 * Output rows [from, to) of a depthwise convolution of x by w [Cout, 1, KH, KW] into `out`
 * (overwritten in those rows; bias is the caller's). False when the kernel does not apply
 * (horizontal stride other than 1 or 2, negative padding): nothing is written then.
 */
export function depthwiseRows(x: Float32Array, w: Float32Array, out: Float32Array, p: DepthwisePlan, from: number, to: number): boolean {
  const [gh, gw] = p.geo;
  const sx = gw.stride;
  const kernel = KERNELS[sx];
  if (!kernel || gh.padBegin < 0 || gw.padBegin < 0) return false;
  if (to <= from) return true;
  const [H, W, OW, KH, KW] = [gh.in, gw.in, gw.out, gh.kernel, gw.kernel];
  const groups = Math.ceil(OW / 8);
  // the last 8-wide step reads up to column groups·8·sx − 1 + (KW − 1)·dw of the padded row
  const pitch = Math.max(gw.padBegin + W, groups * 8 * sx + (KW - 1) * gw.dilation);
  const rows = to - from;
  const planeRows = (rows - 1) * gh.stride + (KH - 1) * gh.dilation + 1;
  const wAt = 0;
  const xAt = round16(KH * KW);
  const outAt = xAt + round16(planeRows * pitch);
  reserve((outAt + rows * groups * 8) * 4);
  const mult = p.cout / p.cin;
  // padded-plane row r holds input row r + firstRow (rows outside [0, H) stay zero)
  const firstRow = from * gh.stride - gh.padBegin;
  // zeroed once: every channel writes the same interior cells, so the padding stays zero
  heap.fill(0, xAt, xAt + planeRows * pitch);
  for (let b = 0; b < p.n; b++) {
    for (let co = 0; co < p.cout; co++) {
      const xc = (b * p.cin + Math.floor(co / mult)) * H * W;
      heap.set(w.subarray(co * KH * KW, (co + 1) * KH * KW), wAt);
      const r0 = Math.max(0, -firstRow);
      const r1 = Math.min(planeRows, H - firstRow);
      for (let r = r0; r < r1; r++) {
        const src = xc + (firstRow + r) * W;
        heap.set(x.subarray(src, src + W), xAt + r * pitch + gw.padBegin);
      }
      kernel(xAt * 4, wAt * 4, outAt * 4, KH, KW, gh.dilation * pitch * 4, gw.dilation * 4, gh.stride * pitch * 4, rows, groups);
      const oc = (b * p.cout + co) * gh.out * OW;
      for (let r = 0; r < rows; r++) out.set(heap.subarray(outAt + r * groups * 8, outAt + r * groups * 8 + OW), oc + (from + r) * OW);
    }
  }
  return true;
}
