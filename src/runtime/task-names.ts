/**
 * The worker's task names and the shape of its answers: what the pool (runtime/pool.ts) sends and
 * receives, kept apart from the worker's task table (runtime/worker.ts) so the pool depends on
 * names and types only, never on the tasks' code (which itself reaches the pool: the ERF's inline
 * runner).
 */
import type { SerializedError } from '../errors.js';
import type { Lease } from './lent-answers.js';

export const TASK_NAMES = ['analyze', 'operator', 'run', 'foldBatchNorm', 'erf', 'compare', 'sweep'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** A worker thread's memory after its last task (runtime/task-answer.ts), for /metrics. */
export interface WorkerMemory {
  /** node:worker_threads threadId */
  thread: number;
  /** V8 heap in use (v8.getHeapStatistics used_heap_size) */
  heapUsedBytes: number;
  /** memory outside the heap V8 accounts to this thread: ArrayBuffers' backing stores (external_memory); SharedArrayBuffers are not in it */
  externalBytes: number;
  /** what the thread's model cache holds (runtime/model-cache.ts ModelCache.bytes), and its entries */
  modelCacheBytes: number;
  modelCacheEntries: number;
}

/** leases: the shared buffers of the answer its worker lent; lentDropped: bytes of buffers once lent it let go of since its last answer (runtime/lent-answers.ts). */
export type TaskResult<T> = ({ ok: true; value: T } | { ok: false; error: SerializedError }) & { worker?: WorkerMemory; leases?: Lease[]; lentDropped?: number };
