/**
 * The GEMM's WebAssembly module (wasm/gemm.wat, or its relaxed-SIMD build): its kernels bound at
 * their first use, and its linear memory, where tensor/gemm.ts and the conv drivers (ops/conv-im2col.ts,
 * ops/conv-winograd.ts) stage their operands. Growing the memory renews the view (gemmHeap).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { kernelModule } from './wasm-memory.js';

/**
 * The relaxed-SIMD build (wasm/gemm-relaxed.wasm: the same kernel, its multiply-adds fused by
 * f32x4.relaxed_madd, scripts/build-wasm.ts) where the engine validates it, the plain SIMD build
 * otherwise. Node 20's V8 does not enable relaxed SIMD by default (--experimental-wasm-relaxed-simd
 * does); the micro-kernel is about 1.2× faster with it (FMA on x86).
 */
const relaxedBytes = readFileSync(path.join(PACKAGE_ROOT, 'wasm', 'gemm-relaxed.wasm'));
export const GEMM_FMA = WebAssembly.validate(relaxedBytes);

interface GemmKernels {
  memory: WebAssembly.Memory;
  block: (a: number, b: number, out: number, K: number, mBlocks: number, panels: number, bias: number, stride: number) => void;
  im2col: (src: number, taps: number, K: number, pos: number, width: number, OW: number, rowStep: number, sx: number, dst: number) => void;
  /** src, dst in bytes; K, lda in floats: whole 4-row blocks of A, staged row-major, into packA's layout. */
  pack: (src: number, K: number, lda: number, blocks: number, dst: number) => void;
  place: (src: number, rowBytes: number, rows: number, dst: number, pitch: number) => void;
  /** Byte addresses: y[o] = Σ_k w[o·K + k]·x[k] for o < rows. */
  gemv: (w: number, x: number, y: number, K: number, rows: number) => void;
  /** The clamp.wat kernels on this module's memory (mapOnHeap). */
  clamp: (ptr: number, n: number, lo: number, hi: number) => void;
  relu: (ptr: number, n: number) => void;
}
let kernels: GemmKernels | undefined;
/** The module's memory as floats: empty until the module is instantiated (every user reserves first). */
let heap = new Float32Array(0);

/**
 * The module, instantiated at its first use rather than at import: its memory reserves gigabytes
 * of address space (V8's guard regions), and a command that runs no kernel (`convlens models`,
 * `analyze`) could not start under `ulimit -v` (README, Command line).
 */
function gemmKernels(): GemmKernels {
  if (kernels) return kernels;
  const e = new WebAssembly.Instance(new WebAssembly.Module(GEMM_FMA ? relaxedBytes : readFileSync(path.join(PACKAGE_ROOT, 'wasm', 'gemm.wasm')))).exports;
  kernels = {
    memory: e.memory as WebAssembly.Memory,
    block: e.block as GemmKernels['block'],
    im2col: e.im2col as GemmKernels['im2col'],
    pack: e.pack as GemmKernels['pack'],
    place: e.place as GemmKernels['place'],
    gemv: e.gemv as GemmKernels['gemv'],
    clamp: e.clamp as GemmKernels['clamp'],
    relu: e.relu as GemmKernels['relu'],
  };
  heap = new Float32Array(kernels.memory.buffer);
  return kernels;
}

kernelModule(gemmKernels);

/** The module's memory, for a module that works on the GEMM's operands in place (wasm/winograd.wat imports it). */
export const gemmMemory = (): WebAssembly.Memory => gemmKernels().memory;
/**
 * wasm/gemm.wat's block (byte addresses): out[i][j] = bias[i] + Σ_k A[i][k]·B[k][j] for A packed
 * (packA's layout) at a, mBlocks blocks of 4 rows, B's `panels` 8-column panels at b, output rows
 * `stride` bytes apart. For a driver that lays out its own operands (ops/conv-winograd.ts).
 */
export const block: GemmKernels['block'] = (a, b, out, K, mBlocks, panels, bias, stride) => gemmKernels().block(a, b, out, K, mBlocks, panels, bias, stride);

/** wasm/gemm.wat's im2col (byte addresses): a convolution's panels from a padded input staged in this module's memory (ops/conv-im2col.ts). */
export const im2col: GemmKernels['im2col'] = (src, taps, K, pos, width, OW, rowStep, sx, dst) => gemmKernels().im2col(src, taps, K, pos, width, OW, rowStep, sx, dst);
/** wasm/gemm.wat's place (byte addresses): rows of rowBytes copied `pitch` bytes apart. */
export const place: GemmKernels['place'] = (src, rowBytes, rows, dst, pitch) => gemmKernels().place(src, rowBytes, rows, dst, pitch);



/**
 * Clamp (lo, hi given) or ReLU in place on `v` when it is a view into this module's memory (the
 * GEMM's output area, mapped by a fused activation: withEpilogue); false when it is not. The
 * kernels are wasm/clamp.wat's (ops/clamp-simd.ts), so the values are the same.
 */
export function mapOnHeap(v: Float32Array, bounds: readonly [number, number] | null): boolean {
  // not instantiated: nothing is on its heap (and nothing instantiates it to say so)
  if (kernels === undefined || v.buffer !== kernels.memory.buffer) return false;
  if (bounds) kernels.clamp(v.byteOffset, v.length, bounds[0], bounds[1]);
  else kernels.relu(v.byteOffset, v.length);
  return true;
}

/** Calls that may write the module's memory: every writer reserves first (see heapUses). */
let uses = 0;

/**
 * A count that moves whenever something may have written this module's memory since: every user
 * (packA, gemmPacked, gemv, wasmFloats, wasmInts) reserves first. ops/conv-winograd.ts keeps its
 * transformed kernels in place from one band to the next only while it has not moved.
 */
export const heapUses = (): number => uses;

/** Grows the module's memory to at least `bytes` (growing keeps the contents; views are renewed). */
function reserve(bytes: number): void {
  uses++;
  const { memory } = gemmKernels();
  const have = memory.buffer.byteLength;
  if (bytes > have) {
    memory.grow(Math.ceil((bytes - have) / 65536));
    heap = new Float32Array(memory.buffer);
  }
}

/** The module's memory as floats, at least `floats` long (a fresh view after growth: do not keep it across calls that may grow). */
export function wasmFloats(floats: number): Float32Array {
  reserve(floats * 4);
  return heap;
}

/** The module's memory as 32-bit integers (for index tables), at least `ints` long. */
export function wasmInts(ints: number): Int32Array {
  reserve(ints * 4);
  return new Int32Array(gemmKernels().memory.buffer);
}

/** The module's memory as floats as it is now (no reserve: after a call that may grow it, read again). */
export const gemmHeap = (): Float32Array => heap;

/** wasm/gemm.wat's pack (src, dst in bytes; K, lda in floats): whole 4-row blocks of A, staged row-major, into packA's layout. */
export const pack: GemmKernels['pack'] = (src, K, lda, blocks, dst) => gemmKernels().pack(src, K, lda, blocks, dst);

/** wasm/gemm.wat's gemv (byte addresses): y[o] = Σ_k w[o·K + k]·x[k] for o < rows. */
export const gemv: GemmKernels['gemv'] = (w, x, y, K, rows) => gemmKernels().gemv(w, x, y, K, rows);
