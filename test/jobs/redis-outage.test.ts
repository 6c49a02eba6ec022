/**
 * A batch on `convlens worker` while Redis is away (jobs/worker.ts, jobs/progress-writer.ts).
 * BullMQ's command connection gave up on a command after ioredis's 20 reconnection attempts
 * (maxRetriesPerRequest; 7.5 min of the worker's backoff), and the batch awaited each progress
 * update: an update that met an outage that long failed the batch though its work completed, and
 * one waiting for Redis held the next lines. The worker's reconnection waits are 20 ms here, so 20
 * attempts take well under a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jobKeys } from '../../src/jobs/redis.js';
import type { JobView } from '../../src/jobs/types.js';
import { heldWorker, sleep } from './redis-worker.js';
import type { HeldWorker } from './redis-worker.js';
import { startRedis, tinySpec } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'convlens-redis-outage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const batch = { kind: 'batch', models: [{ spec: tinySpec }, { spec: tinySpec }, { spec: tinySpec }] };

describe('a batch on a Redis worker while Redis is away', () => {
  let held: HeldWorker | null = null;
  afterEach(async () => {
    await held?.close();
    held = null;
  });

  /** The job's status once finished (the API's reads refused while Redis is away are retried). */
  const finished = async (id: string): Promise<JobView['head'] | undefined> => {
    for (let i = 0; i < 400; i++) {
      const view = await held!.api.get(id).catch(() => null);
      if (view && ['done', 'failed', 'cancelled'].includes(view.head.status)) return view.head;
      await sleep(25);
    }
    return undefined;
  };

  it("3 models, BullMQ's command connection refused (maxclients) for 1.5 s from before the first model ends, past its 20 reconnection attempts of 20 ms: the 3 lines are written meanwhile, the batch is done with progress 3 of 3 and its summary (before: 1 line, the lines after it waiting for the first update, which gave up after the 20 attempts ('max retries per request') as did the job's end: still running 10 s after)", async () => {
    held = await heldWorker({}, { retryDelay: () => 20 });
    const { api, pool, client } = held;
    const { head } = await api.submit(batch);
    expect(await held.until(head.id, 'running')).toBe('running');
    for (let i = 0; i < 200 && pool.calls.length === 0; i++) await sleep(25);
    // BullMQ's command connection cut, and no connection taken past the ones open now: it is refused at each attempt
    const clients = String(await client.client('LIST')).trim().split('\n');
    const bullmq = clients.find((c) => / name=convlens-worker-bullmq /.test(c));
    expect(bullmq).toBeDefined();
    await client.config('SET', 'maxclients', String(clients.length - 1));
    await client.client('KILL', 'ID', /^id=(\d+)/.exec(bullmq!)![1]);
    pool.release();
    const k = jobKeys(head.id);
    for (let i = 0; i < 100 && (await client.llen(k.lines)) < 3; i++) await sleep(15);
    // the lines went on the worker's own connection while BullMQ's was refused
    expect(await client.llen(k.lines)).toBe(3);
    await sleep(1500);
    await client.config('SET', 'maxclients', '10000');
    const end = await finished(head.id);
    expect(end).toMatchObject({ status: 'done', progress: { done: 3, total: 3 } });
    expect(JSON.parse(String((await api.get(head.id))!.result))).toEqual({ models: 3, reports: 3, errors: 0 });
  }, 30_000);

  it('3 models, Redis stopped (its data saved) while the first is analysed and started again 1.5 s later, past 20 reconnection attempts of 20 ms: the batch is done with its 3 lines, progress 3 of 3 and its summary', async () => {
    // Redis saves its data here when stopped and loads it when started again
    const dir = mkdtempSync(path.join(tmp, 'redis-'));
    held = await heldWorker({}, { retryDelay: () => 20 }, await startRedis(undefined, dir));
    const { api, pool } = held;
    const { head } = await api.submit(batch);
    expect(await held.until(head.id, 'running')).toBe('running');
    for (let i = 0; i < 200 && pool.calls.length === 0; i++) await sleep(25);
    await held.redis.stop();
    pool.release();
    await sleep(1500);
    held.redis = await startRedis(held.redis.port, dir);
    const end = await finished(head.id);
    expect(end).toMatchObject({ status: 'done', progress: { done: 3, total: 3 } });
    expect(await held.client.llen(jobKeys(head.id).lines)).toBe(3);
    expect(JSON.parse(String((await api.get(head.id))!.result))).toEqual({ models: 3, reports: 3, errors: 0 });
  }, 30_000);
});
