/**
 * A finished batch deleted while a client reads its results (Redis jobs): its lines go with it,
 * and the stream ended as a complete one does, after 90 of 100 lines (found by fuzzing). It ends
 * with a JOB_NOT_FOUND error line, the shape of the route's other stream errors. A raw BullMQ
 * worker completes a batch of 250 lines as convlens's worker stores them; the store reads lines
 * 100 at a time, so a DELETE after the first line leaves exactly 100 read.
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { QUEUE_NAME, QUEUE_PREFIX, createRedisJobs, jobKeys } from '../../src/jobs/redis.js';
import type { JobQueue } from '../../src/jobs/types.js';
import { startRedis, tinySpec } from './helpers.js';
import type { RedisServer } from './helpers.js';

const LINES = 250;

describe('a Redis batch deleted while its results stream', () => {
  let redis: RedisServer;
  let jobs: JobQueue;
  let client: Redis;
  let worker: Worker;
  beforeAll(async () => {
    redis = await startRedis();
    const config = loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_BATCH_MAX: String(LINES) });
    jobs = createRedisJobs({ ...config, REDIS_URL: redis.url });
    client = new Redis(redis.url);
    worker = new Worker(
      QUEUE_NAME,
      async (job) => {
        const k = jobKeys(job.id!);
        const lines = Array.from({ length: LINES }, (_, index) => JSON.stringify({ index, name: `m${index}`, report: {} }));
        await client.rpush(k.lines, ...lines);
        await client.set(k.result, JSON.stringify({ models: LINES, errors: 0 }));
        await job.updateProgress({ done: LINES, total: LINES });
        return null;
      },
      { connection: { url: redis.url }, prefix: QUEUE_PREFIX },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await jobs?.close();
    client?.disconnect();
    await redis?.stop();
  });

  const batch = { kind: 'batch', models: Array.from({ length: LINES }, (_, i) => ({ spec: tinySpec, name: `m${i}` })) };

  async function done(id: string) {
    for (let i = 0; i < 200; i++) {
      if ((await jobs.get(id))?.head.status === 'done') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${id} never finished`);
  }

  it('read whole, the stream is the 250 lines and nothing after them', async () => {
    const { head } = await jobs.submit(batch);
    await done(head.id);
    const got: string[] = [];
    for await (const line of jobs.lines(head.id, new AbortController().signal)) got.push(String(line));
    expect(got.length).toBe(LINES);
    expect(JSON.parse(got[LINES - 1]).index).toBe(LINES - 1);
  });

  it('deleted after the first line: the 100 lines read, then {"error": {"code": "JOB_NOT_FOUND", …}} saying 100 came', async () => {
    const { head } = await jobs.submit(batch);
    await done(head.id);
    const got: string[] = [];
    for await (const line of jobs.lines(head.id, new AbortController().signal)) {
      if (got.length === 0) expect((await jobs.cancel(head.id))?.head.status).toBe('done');
      got.push(String(line));
    }
    expect(got.length).toBe(101);
    expect(got.slice(0, 100).map((l) => JSON.parse(l).index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const last = JSON.parse(got[100]);
    expect(Object.keys(last)).toEqual(['error']);
    expect(last.error).toMatchObject({ code: 'JOB_NOT_FOUND', path: 'id', linesSent: 100 });
    expect(last.error.message).toBe(`job ${head.id} was deleted (or expired) while its results were read; the 100 lines before this one are all that could be sent`);
  });
});
