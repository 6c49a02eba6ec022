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

/** ok; invalid: the input was rejected (4xx); timeout; overloaded: refused before running; failed: an internal error. */
export type TaskOutcome = 'ok' | 'invalid' | 'timeout' | 'overloaded' | 'failed';

export interface TaskPool {
  run<T>(task: TaskName, payload: unknown, transfer?: Transferable[]): Promise<T>;
  readonly threads: number;
  readonly queued: number;
  /** Called after every task with its duration in seconds and how it ended (metrics). */
  onTask?: (task: TaskName, seconds: number, outcome: TaskOutcome) => void;
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
  const pool: TaskPool = {
    threads,
    get queued() {
      return Math.max(0, inFlight - threads);
    },
    async run<T>(task: TaskName, payload: unknown, transfer?: Transferable[]): Promise<T> {
      if (inFlight >= threads + config.MAX_QUEUE) {
        pool.onTask?.(task, 0, 'overloaded');
        throw new ConvlensError('OVERLOADED', `all ${threads} workers are busy and ${config.MAX_QUEUE} tasks are waiting; retry later`);
      }
      inFlight++;
      const started = performance.now();
      let outcome: TaskOutcome = 'failed';
      try {
        let result: TaskResult<T>;
        try {
          result = await piscina.run({ task, payload }, { signal: AbortSignal.timeout(config.TASK_TIMEOUT_MS), transferList: transfer as never });
        } catch (e) {
          const err = e as Error;
          if (err.name === 'AbortError' || err.name === 'TimeoutError') {
            outcome = 'timeout';
            throw new ConvlensError('TIMEOUT', `the ${task} task took longer than ${config.TASK_TIMEOUT_MS} ms and was stopped`);
          }
          throw e;
        }
        if (!result.ok) {
          outcome = 'invalid';
          throw fromSerialized(result.error);
        }
        outcome = 'ok';
        return result.value;
      } finally {
        inFlight--;
        pool.onTask?.(task, (performance.now() - started) / 1000, outcome);
      }
    },
    close: () => piscina.close(),
  };
  return pool;
}
