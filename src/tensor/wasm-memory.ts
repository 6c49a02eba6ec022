/**
 * A WebAssembly kernel module's linear memory seen as floats: the modules in wasm/ (GEMM, depthwise,
 * clamp, element-wise) stage their operands there. Memory only grows; growing keeps the contents
 * and detaches old views, so the view is renewed and callers re-read `heap` after `reserve`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/** Instantiates wasm/<file>, with its imports when it has any (wasm/winograd.wat imports the GEMM module's memory). */
export function wasmInstance(file: string, imports?: WebAssembly.Imports): WebAssembly.Instance {
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path.join(PACKAGE_ROOT, 'wasm', file))), imports);
}

/**
 * `load`'s value, computed at the first call rather than at import: a kernel module's instance,
 * whose memory reserves gigabytes of address space (V8's guard regions), so that a command that
 * runs no kernel (`convlens models`, `analyze`) starts under `ulimit -v` (README, Command line).
 */
export function lazily<T>(load: () => T): () => T {
  let value: T | undefined;
  return kernelModule(() => (value ??= load()));
}

/** The getters of every kernel module imported so far (lazily's, and tensor/gemm-module.ts's and ops/depthwise.ts's own). */
const modules: (() => unknown)[] = [];

/** Registers a kernel module's lazy getter (instantiateKernels calls it); returns it. */
export function kernelModule<T>(get: () => T): () => T {
  modules.push(get);
  return get;
}

/**
 * Instantiates every kernel module imported so far. A pool worker and a team's partner thread do
 * at their start (runtime/worker.ts, runtime/team-partner-main.ts): they run kernels, so their
 * first task pays no compile, and their memory when idle holds the modules, as it did when modules
 * were instantiated at import. The command line leaves them to their first use.
 */
export function instantiateKernels(): void {
  for (const get of modules) get();
}

export class WasmFloats {
  heap: Float32Array;

  constructor(readonly memory: WebAssembly.Memory) {
    this.heap = new Float32Array(memory.buffer);
  }

  /** Grows the memory to at least `bytes`; the view after growth. */
  reserve(bytes: number): Float32Array {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / 65536));
      this.heap = new Float32Array(this.memory.buffer);
    }
    return this.heap;
  }
}
