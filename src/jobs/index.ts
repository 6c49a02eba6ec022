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
import { OFFLOAD_WORKER } from '../http/offload.js';
import type { OffloadTask } from '../http/offload.js';

type Logger = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

export async function createJobQueue(config: Config, pool: TaskPool, log?: Logger, budget?: MemoryBudget): Promise<JobQueue> {
  const queue = config.REDIS_URL ? (await import('./redis.js')).createRedisJobs({ ...config, REDIS_URL: config.REDIS_URL }, log) : createMemoryJobs(config, pool, log, budget);
  return Object.assign(queue, { parseJson: (json: Uint8Array) => parseInWorker(pool, json) });
}

/**
 * A large submission's JSON parsed in a worker of the pool (the large-JSON worker, http/offload-worker.ts),
 * its bytes moved there, the value cloned back. Parsed on the event loop (up to JSON_BODY_LIMIT, 64 MiB),
 * a 30 MB body of spaces held GET /healthz for about a second.
 */
function parseInWorker(pool: TaskPool, json: Uint8Array): Promise<unknown> {
  // a slice of a shared allocation must not be moved: copied out
  const own = json.byteOffset === 0 && json.byteLength === json.buffer.byteLength && !(json.buffer instanceof SharedArrayBuffer) ? json : new Uint8Array(json);
  const task: OffloadTask = { kind: 'json', json: own };
  // the pool's tasks are named by what they do for metrics: a submission's parse is counted with the analyses
  return pool.run<unknown>('analyze', task, [own.buffer as ArrayBuffer], { filename: OFFLOAD_WORKER });
}
