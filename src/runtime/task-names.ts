/**
 * The worker's task names and the shape of its answers: what the pool (runtime/pool.ts) sends and
 * receives, kept apart from the worker's task table (runtime/worker.ts) so the pool depends on
 * names and types only, never on the tasks' code (which itself reaches the pool: the ERF's inline
 * runner).
 */
import type { SerializedError } from '../errors.js';

export const TASK_NAMES = ['analyze', 'operator', 'run', 'foldBatchNorm', 'erf', 'compare', 'sweep'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export type TaskResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };
