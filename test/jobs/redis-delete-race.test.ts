/**
 * A DELETE that meets a running job as it finishes (Redis jobs): the job was done before its
 * worker saw the cancel, and DELETE answered "done" but kept it (found by fuzzing: 3 of 150).
 * DELETE deletes a finished job, so it deletes this one too. A raw BullMQ worker, deaf to the
 * cancel, holds the job 600 ms and completes it as convlens's worker does (its result stored).
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { QUEUE_NAME, QUEUE_PREFIX, jobKeys } from '../../src/jobs/redis.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { startRedis, tinySpec, waitFor } from './helpers.js';
import type { RedisServer } from './helpers.js';

describe('DELETE of a Redis job that finishes before its worker sees the cancel', () => {
  let redis: RedisServer;
  let app: FastifyInstance;
  let pool: TaskPool;
  beforeAll(async () => {
    redis = await startRedis();
    pool = createPool(loadConfig({ WORKERS: '1' }));
    app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), pool });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await pool?.close();
    await redis?.stop();
  });

  it('DELETE answers the job done and deletes it: GET is 404 JOB_NOT_FOUND afterwards (it stayed done)', async () => {
    const { id } = (await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'analyze', spec: tinySpec } })).json();
    const client = new Redis(redis.url);
    const deaf = new Worker(
      QUEUE_NAME,
      async (job) => {
        await new Promise((r) => setTimeout(r, 600));
        await client.set(jobKeys(job.id!).result, JSON.stringify({ name: 'tiny' }));
        return null;
      },
      { connection: { url: redis.url }, prefix: QUEUE_PREFIX },
    );
    try {
      await waitFor(app, id, ['running']);
      const del = await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
      expect([del.statusCode, del.json().status]).toEqual([200, 'done']);
      const after = await app.inject({ url: `/v1/jobs/${id}` });
      expect([after.statusCode, after.json().error.code]).toEqual([404, 'JOB_NOT_FOUND']);
    } finally {
      await deaf.close();
      client.disconnect();
    }
  }, 30_000);
});
