/**
 * Clamp in WebAssembly SIMD (wasm/clamp.wat), for Clip, ReLU6 and ReLU (ops/activation.ts), run
 * in place on a conv's output when fused (runtime/fuse.ts) or into a fresh output otherwise:
 *
 *   out[i] = min(max(x[i], lo), hi)      (Math.min(Math.max(x, lo), hi) bit for bit, see the .wat)
 *   out[i] = x[i] > 0 || x[i] NaN ? x[i] : 0   (ReLU: a lane mask, no branch; NaN kept, as PyTorch)
 *
 * The JavaScript loop's compares mispredict on activations of random sign (about 10 ns per
 * element: 11–13 ms for MobileNetV2's 96×112² expansion output, against 4.6 ms for the 1×1 conv
 * that wrote it); copying into the module's memory, clamping four lanes at a time and copying back
 * takes under a millisecond there. Chunks of at most CHUNK floats: the module's memory only grows,
 * so a bound keeps a huge tensor from pinning gigabytes. In place on a view into the GEMM module's
 * memory (a conv's output area, the activation fused into its copy-out: tensor/gemm.ts
 * withEpilogue), the GEMM module's copy of the same kernels runs where the values lie, no copy.
 */
import { mapOnHeap } from '../tensor/gemm.js';
import { WasmFloats, lazily, wasmInstance } from '../tensor/wasm-memory.js';

/** wasm/clamp.wat, instantiated at its first use (tensor/wasm-memory.ts lazily). */
const kernels = lazily(() => {
  const instance = wasmInstance('clamp.wasm');
  return {
    mem: new WasmFloats(instance.exports.memory as WebAssembly.Memory),
    clampKernel: instance.exports.clamp as (ptr: number, n: number, lo: number, hi: number) => void,
    reluKernel: instance.exports.relu as (ptr: number, n: number) => void,
  };
});

/**
 * Floats per chunk (256 KiB): what the module's memory grows to, held for the process's life (a
 * whole-network run's RSS counts it); per chunk two copies and a call, so larger chunks gain nothing.
 */
const CHUNK = 1 << 16;

/** Copies x into the module's memory chunk by chunk, runs `kernel(ptr, floats)` there in place, copies the result to out (which may be x). */
function chunked(x: Float32Array, out: Float32Array, kernel: (ptr: number, n: number) => void): void {
  const n = x.length;
  kernels().mem.reserve(Math.min(n, CHUNK) * 4);
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const m = Math.min(CHUNK, n - i0);
    kernels().mem.heap.set(x.subarray(i0, i0 + m), 0);
    kernel(0, m);
    out.set(kernels().mem.heap.subarray(0, m), i0);
  }
}

/** out[i] = min(max(x[i], lo), hi); out may be x (in place). lo and hi are taken to float32, which changes no answer (see the header). */
export function clampSimd(x: Float32Array, out: Float32Array, lo: number, hi: number): void {
  if (x === out && mapOnHeap(x, [lo, hi])) return;
  chunked(x, out, (ptr, m) => kernels().clampKernel(ptr, m, lo, hi));
}

/** out[i] = x[i] > 0 || x[i] NaN ? x[i] : 0 (−0 → +0, NaN kept: ReLU's JavaScript compares, PyTorch's relu); out may be x. */
export function reluSimd(x: Float32Array, out: Float32Array): void {
  if (x === out && mapOnHeap(x, null)) return;
  chunked(x, out, kernels().reluKernel);
}
