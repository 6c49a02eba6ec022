/**
 * DELETE of a job running on `convlens worker` reaches the worker on CANCEL_CHANNEL; a message
 * published while the worker's subscriber is reconnecting is lost (Redis pub/sub keeps nothing),
 * and the cancel flag was read only before a job starts. The job ran on to "done", and the DELETE
 * answered it still running. Now the worker, subscribed again, reads the flags of the jobs it runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heldWorker, sleep } from './redis-worker.js';
import type { HeldWorker } from './redis-worker.js';
import { tinySpec } from './helpers.js';

describe('DELETE of a running Redis job while the worker is not subscribed', () => {
  let held: HeldWorker | null = null;
  afterEach(async () => {
    await held?.close();
    held = null;
  });

  it("the worker's cancel subscriber cut (CLIENT KILL TYPE pubsub) just before the DELETE: the job is cancelled once it is subscribed again (0.5 s), and the DELETE answers cancelled; it ran on to done", async () => {
    held = await heldWorker();
    const { api, pool, client: admin } = held;
    const { head } = await api.submit({ kind: 'analyze', spec: tinySpec });
    expect(await held.until(head.id, 'running')).toBe('running');
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
    expect(await held.until(next.id, 'running')).toBe('running');
    const started = performance.now();
    expect((await api.cancel(next.id))?.head.status).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(1000);
    pool.release();
  }, 30_000);
});
