/**
 * The job store a process uses: BullMQ on Redis when REDIS_URL is set, else in memory over the pool.
 * BullMQ and ioredis are imported only then (about 0.1–0.2 s of every start and of every test's app
 * without them).
 */
import type { Config } from '../config.js';
import type { TaskPool } from '../runtime/pool.js';
import { createMemoryJobs } from './memory.js';
import type { MemoryBudget } from '../memory-budget.js';
import type { JobQueue } from './types.js';
import type { ReadyJobs } from './request.js';

type Logger = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

export async function createJobQueue(config: Config, pool: TaskPool, log?: Logger, budget?: MemoryBudget): Promise<JobQueue & ReadyJobs> {
  if (config.REDIS_URL) {
    // a Redis queue keeps the request as JSON (a worker prepares it again): a large submission is checked
    // and written as JSON bytes in a worker (jobs/redis.ts submitJson), nothing stringified on the event loop
    return (await import('./redis.js')).createRedisJobs({ ...config, REDIS_URL: config.REDIS_URL }, log, pool);
  }
  // in-process: a large submission parsed and prepared in a worker (memory.ts submitJson), only the prepared job (its bytes moved) back on the event loop
  return createMemoryJobs(config, pool, log, budget);
}
