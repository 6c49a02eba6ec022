/**
 * DELETE of a job running on `convlens worker` reaches the worker on CANCEL_CHANNEL; a message
 * published while the worker's subscriber is reconnecting is lost (Redis pub/sub keeps nothing),
 * and the cancel flag was read only before a job starts. The job ran on to "done", and the DELETE
 * answered it still running. Now the worker, subscribed again, reads the flags of the jobs it runs.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRedisJobs } from '../../src/jobs/redis.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import { inlinePool, startRedis, tinySpec } from './helpers.js';
import type { RedisServer } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DELETE of a running Redis job while the worker is not subscribed', () => {
  let redis: RedisServer | null = null;
  let worker: JobWorker | null = null;
  afterEach(async () => {
    await worker?.close();
    await redis?.stop();
    [worker, redis] = [null, null];
  });

  it("the worker's cancel subscriber cut (CLIENT KILL TYPE pubsub) just before the DELETE: the job is cancelled once it is subscribed again (0.5 s), and the DELETE answers cancelled; it ran on to done", async () => {
    redis = await startRedis();
    const pool = inlinePool(1);
    pool.hold();
    const config = loadConfig({ WORKERS: '1', REDIS_URL: redis.url });
    worker = await startJobWorker(config, pool, pino({ level: 'silent' }));
    const api = createRedisJobs({ ...config, REDIS_URL: redis.url });
    const admin = new Redis(redis.url);
    try {
      const { head } = await api.submit({ kind: 'analyze', spec: tinySpec });
      let status = head.status;
      for (let i = 0; i < 200 && status !== 'running'; i++) {
        await sleep(25);
        status = (await api.get(head.id))!.head.status;
      }
      expect(status).toBe('running');
      // the worker's subscriber, and only it, is cut: it reconnects after 0.5 s (jobs/redis-link.ts retryDelay)
      expect(await admin.client('KILL', 'TYPE', 'pubsub')).toBe(1);
      const answer = await api.cancel(head.id);
      pool.release();
      expect(answer?.head).toMatchObject({ status: 'cancelled', error: { code: 'JOB_CANCELLED' } });
      await sleep(300);
      expect((await api.get(head.id))!.head.status).toBe('cancelled');
      // subscribed again: a DELETE of the next running job reaches it at once
      pool.hold();
      const next = (await api.submit({ kind: 'analyze', spec: tinySpec })).head;
      for (let i = 0; i < 200 && (await api.get(next.id))!.head.status !== 'running'; i++) await sleep(25);
      const started = performance.now();
      expect((await api.cancel(next.id))?.head.status).toBe('cancelled');
      expect(performance.now() - started).toBeLessThan(1000);
      pool.release();
    } finally {
      pool.release();
      admin.disconnect();
      await api.close();
    }
  }, 30_000);
});
