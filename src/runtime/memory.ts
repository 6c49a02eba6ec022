/**
 * A worker gives its memory back after a large task. Between tasks piscina parks the thread in
 * Atomics.wait, where V8 never collects garbage: what one large run allocated (hundreds of MB of
 * tensors dropped after their last reader) stayed resident until the next task. A thread holding
 * more than WORKER_HEAP_LIMIT_MB after a task (its V8 heap plus its array buffers and WebAssembly
 * memory: V8's heap statistics of this thread) lets go of the free large buffers its runs keep
 * (tensor/large-buffers.ts) and collects at once, before it answers; V8 frees
 * the large buffers from a background thread while this one waits. Every worker entry calls
 * collectIfOver after each task (runtime/task-answer.ts, for runtime/worker.ts and http/offload-worker.ts). The main
 * thread releases what workers answered once it is sent (releaseBuffers).
 */
import v8 from 'node:v8';
import { collectGarbage, sharedDrops } from './collect.js';
import { workerHeapLimitMb } from './limits.js';
import { modelCache } from './model-cache.js';
import { largeBuffers } from '../tensor/large-buffers.js';
import { returnLease, lentAnswers } from './lent-answers.js';
const limitBytes = workerHeapLimitMb() * 2 ** 20;

/** Shared weights dropped (runtime/collect.ts sharedDrops) past which a thread collects after its task. */
export const SHARED_DROP_LIMIT = 64 * 2 ** 20;

/**
 * Collects this thread's garbage when it holds more than `limit` bytes besides its model cache
 * (runtime/model-cache.ts: kept on purpose, so not garbage), or dropped SHARED_DROP_LIMIT bytes of
 * shared weights since it last did (V8 never counts those: runtime/collect.ts); whether it did.
 */
export function collectIfOver(limit = limitBytes): boolean {
  // process.memoryUsage() gives the same two figures (its heapUsed and external are these) but also
  // reads the process's RSS from /proc: 14 µs warm, 0.13–0.17 ms right after a large kernel, every task
  const { used_heap_size: heapUsed, external_memory: external } = v8.getHeapStatistics();
  if (heapUsed + external - modelCache.bytes <= limit && sharedDrops.bytes < SHARED_DROP_LIMIT) return false;
  // the free large buffers a cached model's runs keep (tensor/large-buffers.ts) are not garbage: let go of them first
  largeBuffers.trim(0);
  // and the free buffers it lends operator answers in (runtime/lent-answers.ts), counted in sharedDrops: the collection below frees them
  lentAnswers.dropFree();
  sharedDrops.bytes = 0;
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

/** Buffers under this many bytes are left to the collector (a detach costs more than they hold). */
export const RELEASE_MIN_BYTES = 1 << 20;
let youngScheduled = false;

/**
 * The main thread's side of detach: what a worker answered (a run's outputs, an operator's) is
 * dead once the response is sent, but its buffers outlived the scavenges during the answer and sat
 * in the old generation, so only a full collection freed them. Their bytes, counted as external
 * memory, started one every few large answers (a 3×3 conv 128→128 at 112²: one per 2–3 calls,
 * 10–18 ms of the main thread and as much on V8's helper threads, taken from the workers' CPUs).
 * Detaching them and one scavenge after (coalesced per turn of the event loop) frees them at once.
 * Only for buffers nothing reads again: plain ArrayBuffers of at least RELEASE_MIN_BYTES that can
 * be transferred; a shared buffer a worker lent the answer in goes back to that worker
 * (runtime/lent-answers.ts returnLease); the rest are left alone. Never throws. Returns the bytes
 * released (a lent buffer's count: its worker writes its next answer there).
 */
export function releaseBuffers(buffers: Iterable<ArrayBufferLike>): number {
  let bytes = 0;
  for (const buffer of new Set(buffers)) {
    if (buffer instanceof SharedArrayBuffer) {
      if (returnLease(buffer)) bytes += buffer.byteLength;
      continue;
    }
    // a detached buffer has length 0, so a buffer given twice is released once
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < RELEASE_MIN_BYTES) continue;
    const size = buffer.byteLength;
    try {
      detach(buffer);
    } catch {
      // not transferable: left to the collector; releasing is only ever a saving
    }
    // a WebAssembly memory's buffer is cloned, not detached: it keeps its bytes
    if (buffer.byteLength === 0) bytes += size;
  }
  if (bytes > 0 && !youngScheduled) {
    youngScheduled = true;
    setImmediate(() => {
      youngScheduled = false;
      collectYoung();
    });
  }
  return bytes;
}
