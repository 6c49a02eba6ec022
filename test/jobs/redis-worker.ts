/**
 * The Redis job tests' common setup: a throwaway redis-server, a `convlens worker` on it over an
 * inline pool of one thread whose tasks are held until the test releases them, the API's queue, and
 * a plain client to look at the keys. Tests import it beside helpers.ts (which the in-process tests
 * use too, without BullMQ).
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRedisJobs } from '../../src/jobs/redis.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import type { JobWorker, JobWorkerOptions } from '../../src/jobs/worker.js';
import type { JobQueue, JobState } from '../../src/jobs/types.js';
import { inlinePool, startRedis } from './helpers.js';
import type { RedisServer } from './helpers.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HeldWorker {
  /** Replaced by a test that starts Redis again (close() stops this one). */
  redis: RedisServer;
  /** Its tasks wait until pool.release() (held from the start). */
  pool: ReturnType<typeof inlinePool>;
  worker: JobWorker;
  api: JobQueue;
  client: Redis;
  /** Polls the job's status (every 25 ms, 5 s at most) until it is `status`; the last one seen. */
  until(id: string, status: JobState): Promise<JobState | undefined>;
  /** Releases the pool, closes the worker, the API's queue and the client, stops Redis. */
  close(): Promise<void>;
}

/** `env`: more of the configuration (WORKERS 1 and REDIS_URL are set); `options`: the worker's (a shorter retryDelay). `redis`: a server already started. */
export async function heldWorker(env: Record<string, string> = {}, options: JobWorkerOptions = {}, redis?: RedisServer): Promise<HeldWorker> {
  redis ??= await startRedis();
  const pool = inlinePool(1);
  pool.hold();
  const config = loadConfig({ WORKERS: '1', REDIS_URL: redis.url, ...env });
  const worker = (await startJobWorker(config, pool, pino({ level: 'silent' }), undefined, options))!;
  expect(worker).not.toBeNull();
  const api = createRedisJobs({ ...config, REDIS_URL: redis.url });
  const client = new Redis(redis.url);
  // Redis stopped by a test: the client reconnects, quietly
  client.on('error', () => undefined);
  const held: HeldWorker = {
    redis,
    pool,
    worker,
    api,
    client,
    async until(id, status) {
      let now: JobState | undefined;
      for (let i = 0; i < 200 && (now = (await api.get(id))?.head.status) !== status; i++) await sleep(25);
      return now;
    },
    async close() {
      pool.release();
      client.disconnect();
      await api.close();
      await worker.close();
      await held.redis.stop();
    },
  };
  return held;
}
