/**
 * GELU over rows with a per-row bias in WebAssembly SIMD (wasm/elementwise.wat), for the hidden
 * tensor of ConvNeXt's MLP run channels-first (runtime/fuse-mlp.ts): the JS loop's double-precision
 * erf32 was about a third of that step. The formula is activation-more.ts geluInPlace's with a
 * per-row bias, evaluated in float32 four lanes at a time: within a few float32 ulps of the JS
 * kernel (test/ops/gelu-simd.test.ts).
 *
 * The rows are copied into the module's memory in chunks of at most CHUNK floats (its memory only
 * grows, so a bound keeps a huge tensor from pinning gigabytes), transformed there, copied back.
 */
import { WasmFloats, lazily, wasmInstance } from '../tensor/wasm-memory.js';

/** wasm/elementwise.wat, instantiated at its first use (tensor/wasm-memory.ts lazily). */
const kernels = lazily(() => {
  const instance = wasmInstance('elementwise.wasm');
  return {
    mem: new WasmFloats(instance.exports.memory as WebAssembly.Memory),
    geluRows: instance.exports.gelu_rows as (ptr: number, rows: number, cols: number, bias: number, hasBias: number) => void,
  };
});

/** Floats per chunk (4 MiB), unless one row is longer. */
const CHUNK = 1 << 20;

/** y[r·cols + c] ← gelu(y[r·cols + c] + bias[r]) in place (bias null: gelu(y)), exact GELU in float32. */
export function geluRowsSimd(y: Float32Array, rows: number, cols: number, bias: Float32Array | null): void {
  if (rows === 0 || cols === 0) return;
  const perChunk = Math.max(1, Math.floor(CHUNK / cols));
  const biasAt = Math.min(perChunk, rows) * cols; // float index of the chunk's biases, after its rows
  kernels().mem.reserve((biasAt + perChunk) * 4);
  for (let r0 = 0; r0 < rows; r0 += perChunk) {
    const n = Math.min(perChunk, rows - r0);
    const src = y.subarray(r0 * cols, (r0 + n) * cols);
    kernels().mem.heap.set(src, 0);
    if (bias) kernels().mem.heap.set(bias.subarray(r0, r0 + n), biasAt);
    kernels().geluRows(0, n, cols, biasAt * 4, bias ? 1 : 0);
    src.set(kernels().mem.heap.subarray(0, n * cols));
  }
}
