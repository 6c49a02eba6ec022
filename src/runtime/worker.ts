/**
 * Worker-thread entry: every CPU-heavy task (analysis, ONNX import, kernels) runs here so the
 * event loop stays free. One dispatcher over a task table; tasks answer `{ ok, value }` or
 * `{ ok: false, error }` with a catalog error, and anything else thrown is an internal failure.
 */
import { ConvlensError } from '../errors.js';
import type { SerializedError } from '../errors.js';
import { analyzeTask } from './tasks.js';

export type TaskResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

export const TASKS = {
  analyze: analyzeTask,
} as const;
export type TaskName = keyof typeof TASKS;

export default function handle({ task, payload }: { task: TaskName; payload: never }): TaskResult<unknown> {
  try {
    return { ok: true, value: TASKS[task](payload) };
  } catch (e) {
    if (e instanceof ConvlensError) return { ok: false, error: e.toJSON() };
    throw e;
  }
}
