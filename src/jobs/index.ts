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
import { parseJsonOffloaded } from '../http/offload.js';

type Logger = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

export async function createJobQueue(config: Config, pool: TaskPool, log?: Logger, budget?: MemoryBudget): Promise<JobQueue> {
  const queue = config.REDIS_URL ? (await import('./redis.js')).createRedisJobs({ ...config, REDIS_URL: config.REDIS_URL }, log) : createMemoryJobs(config, pool, log, budget);
  return Object.assign(queue, { parseJson: (json: Uint8Array) => parseJsonOffloaded(pool, json, config.GRAPHQL_MAX_TOKENS) });
}
