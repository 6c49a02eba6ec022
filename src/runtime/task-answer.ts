/**
 * How a worker thread answers a task, whichever module ran it (runtime/worker.ts's task table, or
 * http/offload-worker.ts for large JSON requests): `{ ok, value }`, or `{ ok: false, error }` with a
 * catalog error (anything else thrown is an internal failure); the tensors' buffers moved to the
 * caller, not copied; what the task dropped given back before the thread sleeps (runtime/memory.ts);
 * and the thread's memory as the task left it (WorkerMemory), which the pool keeps for /metrics.
 */
import v8 from 'node:v8';
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ConvlensError } from '../errors.js';
import { collectIfOver } from './memory.js';
import { lentAnswers } from './lent-answers.js';
import { withMemoryGrant } from './memory-grant.js';
import type { MemoryGrant } from './memory-grant.js';
import { modelCache } from './model-cache.js';
import { markTaskStarted } from './task-clock.js';
import type { TaskResult, WorkerMemory } from './task-names.js';

/**
 * This thread's memory now: its V8 heap, the buffers outside it V8 knows of, and its model cache.
 * Read as the task ends, before its answer's buffers are moved out: a large answer (a run's
 * outputs) is in externalBytes until the thread's next task.
 */
export function workerMemory(): WorkerMemory {
  const heap = v8.getHeapStatistics();
  return { thread: threadId, heapUsedBytes: heap.used_heap_size, externalBytes: heap.external_memory, modelCacheBytes: modelCache.bytes, modelCacheEntries: modelCache.size };
}

/** The buffers behind the typed arrays of a result (in objects, arrays and Maps): ArrayBuffers to move rather than copy, and shared ones (lent answers). */
function buffersOf(value: unknown, found: Set<ArrayBuffer>, shared: Set<SharedArrayBuffer>, depth = 0): Set<ArrayBuffer> {
  if (depth > 8 || value === null || typeof value !== 'object') return found;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
    else if (value.buffer instanceof SharedArrayBuffer) shared.add(value.buffer);
    return found;
  }
  for (const v of value instanceof Map ? value.values() : Array.isArray(value) ? value : Object.values(value)) buffersOf(v, found, shared, depth + 1);
  return found;
}

/** Runs a task's work in this worker thread and answers as the pool expects (runtime/pool.ts). */
export function answerTask(work: () => unknown, memoryGrant: MemoryGrant | undefined, taskStarted: SharedArrayBuffer | undefined): unknown {
  markTaskStarted(taskStarted);
  let result: TaskResult<unknown>;
  try {
    result = { ok: true, value: withMemoryGrant(memoryGrant, work) };
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    result = { ok: false, error: e.toJSON() };
  } finally {
    collectIfOver();
  }
  result.worker = workerMemory();
  const shared = new Set<SharedArrayBuffer>();
  const buffers = result.ok ? [...buffersOf(result.value, new Set(), shared)] : [];
  // the buffers lent to the answer go with it (runtime/lent-answers.ts); what the task lent and did not answer is free again
  const leases = lentAnswers.handOver(shared);
  if (leases.length > 0) result.leases = leases;
  // and the bytes of buffers once lent that this thread let go of: the main thread's objects of them pin them until it collects
  const dropped = lentAnswers.takeDropped();
  if (dropped > 0) result.lentDropped = dropped;
  if (buffers.length === 0) return result;
  return Piscina.move({ [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: result } as never);
}
