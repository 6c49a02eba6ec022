/**
 * A job whose lock its worker lost (jobs/worker.ts): BullMQ hands a job whose lock expired (its
 * worker cut from Redis past lockDuration, 30 s, or its event loop stalled) to another worker as
 * stalled, and the first, which still runs it, is told only at its next lock renewal and runs on.
 * It wrote its lines into the list the new run writes (interleaved with them), its result, and
 * deleted the job's file parts as it ended, so the new run, reading them after, failed: "file part
 * no longer in Redis". Now a run writes its lines and result, and deletes the files, only while the
 * job's lock is its own, and stops at the first write refused. The takeover is simulated: the lock
 * is given another worker's token, as BullMQ's stalled check and the other worker's take leave it.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { QUEUE_NAME, QUEUE_PREFIX, jobKeys } from '../../src/jobs/redis.js';
import { heldWorker, sleep } from './redis-worker.js';
import type { HeldWorker } from './redis-worker.js';
import { tinySpec } from './helpers.js';

const resnet18 = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));

describe('a Redis job whose lock its worker lost to another worker', () => {
  let held: HeldWorker | null = null;
  afterEach(async () => {
    await held?.close();
    held = null;
  });

  it('a batch (a file part, a spec) held while its lock is taken over, then let go: the first worker writes no line nor result, keeps the file part for the new run, and stops', async () => {
    held = await heldWorker();
    const { api, pool, client, worker } = held;
    const errors: string[] = [];
    worker.worker.on('error', (e: Error) => errors.push(e.message));
    const body = { kind: 'batch', models: [{ name: 'r18', inputShapes: { '': [1, 3, 224, 224] } }, { spec: tinySpec }] };
    const { head } = await api.submit(body, { files: new Map([['models[0]', new Uint8Array(resnet18)]]) });
    const k = jobKeys(head.id);
    expect(await held.until(head.id, 'running')).toBe('running');
    for (let i = 0; i < 200 && pool.calls.length === 0; i++) await sleep(25);
    const lock = `${QUEUE_PREFIX}:${QUEUE_NAME}:${head.id}:lock`;
    expect(await client.get(lock)).toBeTruthy();
    // another worker's now (its stalled check moved the job back, the other worker took it)
    await client.set(lock, 'another-worker-token', 'PX', 30_000);
    pool.release();
    for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(50);
    await sleep(300);
    expect({ lines: await client.llen(k.lines), result: await client.exists(k.result), file: await client.exists(k.file(0)) }, errors.join('\n')).toEqual({ lines: 0, result: 0, file: 1 });
    // the job is the other worker's to finish: still running
    expect((await api.get(head.id))!.head.status).toBe('running');
    // stopped at its first refused line: the spec (model 1) was never analysed
    expect(pool.calls).toHaveLength(1);
  }, 30_000);
});
