/**
 * A worker gives its memory back after a large task. Between tasks piscina parks the thread in
 * Atomics.wait, where V8 never collects garbage: what one large run allocated (hundreds of MB of
 * tensors dropped after their last reader) stayed resident until the next task. A thread holding
 * more than WORKER_HEAP_LIMIT_MB after a task (its V8 heap plus its array buffers and WebAssembly
 * memory: `process.memoryUsage()` of this thread) collects at once, before it answers; V8 frees
 * the large buffers from a background thread while this one waits. Every worker entry calls
 * collectIfOver after each task (runtime/worker.ts; http/offload-worker.ts should too).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { workerHeapLimitMb } from './limits.js';
import { modelCache } from './model-cache.js';

// gc() for this thread (V8's --expose-gc set at run time: a new context gets the function)
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const limitBytes = workerHeapLimitMb() * 2 ** 20;

/**
 * Collects this thread's garbage when it holds more than `limit` bytes besides its model cache
 * (runtime/model-cache.ts: kept on purpose, so not garbage); whether it did.
 */
export function collectIfOver(limit = limitBytes): boolean {
  const { heapUsed, external } = process.memoryUsage();
  if (heapUsed + external - modelCache.bytes <= limit) return false;
  collectGarbage();
  return true;
}

/**
 * Gives a dead tensor's memory back at the next scavenge. V8 frees an array buffer's bytes only
 * when its (small) JS object is collected; an activation that lived across two scavenges sits in
 * the old generation, which only a full collection (tens of ms with this heap) sweeps, so a
 * forward held many layers' dead activations. Transferring the buffer detaches that object (its
 * length becomes 0) and hands the bytes to a new, young one that nothing references: the next
 * scavenge frees them. Only for a buffer nothing will read again (the executor's liveness says so).
 */
export function detach(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

/** A scavenge of the young generation (well under a millisecond): frees what detach handed over. */
export function collectYoung(): void {
  collectGarbage({ type: 'minor' });
}
