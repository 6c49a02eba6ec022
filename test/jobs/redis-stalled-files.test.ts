/**
 * A Redis job that stalled past maxStalledCount (its workers died, or lost its lock, twice) is
 * failed by the next worker to take it, without running it (BullMQ marks it, defa, as its stalled
 * check moves it back to wait; the worker's processJob fails it so). The processor's end, which
 * deletes the job's file parts, never ran: they stayed in Redis JOB_TTL_SECONDS and 7 days. Now the
 * worker's `failed` listener deletes them. The second stall is simulated as BullMQ's stalled check
 * leaves the job: waiting, its stalled count 2, its deferred failure set.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_NAME, QUEUE_PREFIX, jobKeys } from '../../src/jobs/redis.js';
import { heldWorker, sleep } from './redis-worker.js';
import type { HeldWorker } from './redis-worker.js';
import { tinySpec } from './helpers.js';

const resnet18 = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));

describe('a Redis job failed as stalled', () => {
  let held: HeldWorker | null = null;
  afterEach(async () => {
    await held?.close();
    held = null;
  });

  it("an analysis with a file part, waiting behind a held job, marked stalled past the limit (stc 2, defa): the worker that takes it fails it without running it, and its file part is deleted (it was kept, 7 days past JOB_TTL_SECONDS); the lines an earlier run left expire with the job (JOB_TTL_SECONDS, 600 s here), not a day later", async () => {
    held = await heldWorker({ JOB_TTL_SECONDS: '600' });
    const { api, pool, client } = held;
    const first = (await api.submit({ kind: 'analyze', spec: tinySpec })).head;
    expect(await held.until(first.id, 'running')).toBe('running');
    const { head } = await api.submit({ kind: 'analyze', inputShapes: { '': [1, 3, 224, 224] } }, { files: new Map([['model', new Uint8Array(resnet18)]]) });
    const k = jobKeys(head.id);
    expect(await client.exists(k.file(0))).toBe(1);
    // a line of an earlier run, as its pushes leave it (JOB_TTL_SECONDS and a day)
    await client.rpush(k.lines, '{"index":0}');
    await client.pexpire(k.lines, 600_000 + 24 * 3600_000);
    // as BullMQ's stalled check leaves a job stalled once more than maxStalledCount (1) allows
    await client.hset(`${QUEUE_PREFIX}:${QUEUE_NAME}:${head.id}`, 'stc', '2', 'defa', 'job stalled more than allowable limit');
    pool.release();
    expect(await held.until(head.id, 'failed')).toBe('failed');
    expect((await api.get(head.id))!.head.error).toEqual({ code: 'INTERNAL', message: "the job's worker failed: job stalled more than allowable limit" });
    // never run: only the first job's task
    expect(pool.calls).toHaveLength(1);
    for (let i = 0; i < 40 && (await client.exists(k.file(0))) === 1; i++) await sleep(25);
    expect(await client.exists(k.file(0))).toBe(0);
    const pttl = await client.pttl(k.lines);
    expect(pttl).toBeGreaterThan(590_000);
    expect(pttl).toBeLessThanOrEqual(600_000);
  }, 30_000);
});
