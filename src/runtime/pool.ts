/**
 * The piscina worker pool. Tasks beyond the workers plus MAX_QUEUE waiting are refused at once
 * (503 OVERLOADED) rather than queued without bound, counted here rather than left to piscina's
 * queue, which a burst can bypass; a task past TASK_TIMEOUT_MS is aborted and its worker replaced.
 */
import { Piscina } from 'piscina';
import type { Config } from '../config.js';
import { workerCount } from '../config.js';
import { ConvlensError, fromSerialized } from '../errors.js';
import { RUNNING_TS } from '../paths.js';
import type { TaskName, TaskResult } from './worker.js';

export interface TaskPool {
  run<T>(task: TaskName, payload: unknown, transfer?: Transferable[]): Promise<T>;
  readonly threads: number;
  readonly queued: number;
  close(): Promise<void>;
}

export function createPool(config: Config): TaskPool {
  const threads = workerCount(config);
  const piscina = new Piscina({
    filename: new URL(RUNNING_TS ? './worker-dev.mjs' : './worker.js', import.meta.url).href,
    // all workers stay up: a worker's JIT-compiled kernels are its speed
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
  });
  let inFlight = 0;
  return {
    threads,
    get queued() {
      return Math.max(0, inFlight - threads);
    },
    async run<T>(task: TaskName, payload: unknown, transfer?: Transferable[]): Promise<T> {
      if (inFlight >= threads + config.MAX_QUEUE) {
        throw new ConvlensError('OVERLOADED', `all ${threads} workers are busy and ${config.MAX_QUEUE} tasks are waiting; retry later`);
      }
      inFlight++;
      let result: TaskResult<T>;
      try {
        result = await piscina.run({ task, payload }, { signal: AbortSignal.timeout(config.TASK_TIMEOUT_MS), transferList: transfer as never });
      } catch (e) {
        const err = e as Error & { name?: string; code?: string };
        if (err.name === 'AbortError' || err.name === 'TimeoutError') {
          throw new ConvlensError('TIMEOUT', `the ${task} task took longer than ${config.TASK_TIMEOUT_MS} ms and was stopped`);
        }
        throw e;
      } finally {
        inFlight--;
      }
      if (!result.ok) throw fromSerialized(result.error);
      return result.value;
    },
    close: () => piscina.close(),
  };
}
