/**
 * multiscaleAttention's softmax by rows in WebAssembly SIMD (wasm/softmax.wat; the formulas and the
 * exp approximation in its header): Math.exp a score was 139 ms of mvit_v2_s block 0's 530 (9.9 M
 * scores). The scores are computed straight into this module's memory a band of rows at a time
 * (scoreBand), softmaxed there in place and read there by probs·v: no copy in or out, and a band's
 * pages are touched once for all calls (the module's memory only grows, to the largest band asked
 * for: at most SCORE_BAND floats or one row of scores, whichever is larger). The VJP's softmax
 * Jacobian goes the same way (softmaxVjpBand: the probabilities and their gradient side by side).
 */
import { WasmFloats, lazily, wasmInstance } from '../tensor/wasm-memory.js';

/** wasm/softmax.wat, instantiated at its first use (tensor/wasm-memory.ts lazily). */
const kernels = lazily(() => {
  const instance = wasmInstance('softmax.wasm');
  return {
    mem: new WasmFloats(instance.exports.memory as WebAssembly.Memory),
    softmaxKernel: instance.exports.softmax_rows as (ptr: number, rows: number, cols: number) => void,
    softmaxVjpKernel: instance.exports.softmax_vjp_rows as (p: number, g: number, rows: number, cols: number) => void,
    expKernel: instance.exports.exp_rows as (ptr: number, n: number) => void,
  };
});

/**
 * A view of `floats` floats of the module's memory from byte 0, for a band of scores: valid until the
 * next scoreBand or expF32 call (a larger one may grow the memory and detach it).
 */
export function scoreBand(floats: number): Float32Array {
  return kernels().mem.reserve(floats * 4).subarray(0, floats);
}

/** Softmax of each of `rows` rows of `cols` scores in place; `band` must be a scoreBand view (refused otherwise: the kernel reads the module's memory). */
export function softmaxBand(band: Float32Array, rows: number, cols: number): void {
  if (band.buffer !== kernels().mem.memory.buffer) throw new Error('softmaxBand: the scores must be a scoreBand view of the softmax module’s memory');
  if (rows * cols > band.length) throw new Error(`softmaxBand: ${rows} × ${cols} scores overrun a band of ${band.length}`);
  kernels().softmaxKernel(band.byteOffset, rows, cols);
}

/**
 * The softmax's vector-Jacobian product in place on g: per row, g_j ← p_j·(g_j − Σ_k g_k·p_k) (float32
 * sums, four partial). p and g are `rows` rows of `cols` in scoreBand views, not overlapping.
 */
export function softmaxVjpBand(p: Float32Array, g: Float32Array, rows: number, cols: number): void {
  if (p.buffer !== kernels().mem.memory.buffer || g.buffer !== kernels().mem.memory.buffer) throw new Error('softmaxVjpBand: the probabilities and their gradient must be scoreBand views of the softmax module’s memory');
  if (rows * cols > p.length || rows * cols > g.length) throw new Error(`softmaxVjpBand: ${rows} × ${cols} values overrun a band of ${Math.min(p.length, g.length)}`);
  kernels().softmaxVjpKernel(p.byteOffset, g.byteOffset, rows, cols);
}

/** The kernel's exp (x ≤ 0) of each value, for tests of its accuracy: copied through the module's memory (from byte 0). */
export function expF32(values: Float32Array): Float32Array {
  const band = scoreBand(values.length);
  band.set(values);
  kernels().expKernel(0, values.length);
  return band.slice();
}
