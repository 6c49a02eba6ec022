/**
 * Same-shape float32 arithmetic in WebAssembly SIMD (wasm/arith.wat), for tensor/broadcast-loops.ts:
 * r[i] = a[i] ∘ b[i] over n floats, the same bits as the JavaScript loop (see the .wat). Both
 * operands are copied into the module's memory a chunk at a time, combined four lanes at a time,
 * and the chunk copied back: on ResNet-50's residual adds (5.5 M elements a forward) about a third
 * of the loop's time.
 */
import { WasmFloats, lazily, wasmInstance } from './wasm-memory.js';

export type Arith = 'add' | 'sub' | 'mul' | 'div';

type Kernel = (a: number, b: number, r: number, n: number) => void;
/** wasm/arith.wat, instantiated at its first use (wasm-memory.ts lazily). */
const kernels = lazily(() => {
  const instance = wasmInstance('arith.wasm');
  const kernel: Record<Arith, Kernel> = {
    add: instance.exports.add as Kernel,
    sub: instance.exports.sub as Kernel,
    mul: instance.exports.mul as Kernel,
    div: instance.exports.div as Kernel,
  };
  return { mem: new WasmFloats(instance.exports.memory as WebAssembly.Memory), kernel };
});

/**
 * Floats per operand per chunk (128 KiB each): the module's memory only grows, held for the
 * process's life, so a bound keeps a huge tensor from pinning gigabytes; larger chunks gain nothing.
 */
const CHUNK = 1 << 15;

/** Below this many elements the JavaScript loop is as fast (the copies and the call cost more than they save). */
export const ARITH_SIMD_FROM = 256;

let simdFloats = 0;

/** Elements computed here since the module loaded (a diagnostic: specs check the path is taken). */
export function arithSimdElements(): number {
  return simdFloats;
}

/** r[ro + i] = a[ao + i] ∘ b[bo + i] for i < n; r may be a or b (each element is read before it is written). */
export function arithSimd(op: Arith, r: Float32Array, ro: number, a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): void {
  const { mem, kernel: byOp } = kernels();
  const kernel = byOp[op];
  simdFloats += n;
  const heap = mem.reserve(Math.min(n, CHUNK) * 8);
  const bAt = Math.min(n, CHUNK);
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const m = Math.min(CHUNK, n - i0);
    heap.set(a.subarray(ao + i0, ao + i0 + m), 0);
    heap.set(b.subarray(bo + i0, bo + i0 + m), bAt);
    kernel(0, bAt * 4, 0, m);
    r.set(heap.subarray(0, m), ro + i0);
  }
}
