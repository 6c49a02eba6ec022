/** The job store a process uses: BullMQ on Redis when REDIS_URL is set, else in memory over the pool. */
import type { Config } from '../config.js';
import type { TaskPool } from '../runtime/pool.js';
import { createMemoryJobs } from './memory.js';
import type { MemoryBudget } from '../memory-budget.js';
import { createRedisJobs } from './redis.js';
import type { JobQueue } from './types.js';

type Logger = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

export function createJobQueue(config: Config, pool: TaskPool, log?: Logger, budget?: MemoryBudget): JobQueue {
  return config.REDIS_URL ? createRedisJobs({ ...config, REDIS_URL: config.REDIS_URL }, log) : createMemoryJobs(config, pool, log, budget);
}
