/**
 * Close (runtime/pool.ts stopStarting): the tasks that have a worker when the window after close
 * ends run to their answer; the ones still waiting then, and any asked for later, are 503 NOT_READY
 * at once, so that the process's grace (TASK_TIMEOUT_MS + 5 s, server.ts) is not spent on a queue.
 * Before, every waiting task ran after the running one, and a long enough queue outlasted the grace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';

const sleeper = new URL('./sleep-worker.mjs', import.meta.url).href;
const pool = createPool(loadConfig({ WORKERS: '1', TASK_TIMEOUT_MS: '5000', MAX_QUEUE: '8' }));
afterAll(() => pool.close());

describe('the worker pool, closing', () => {
  it('one worker, one 1,500 ms task running and three waiting, stopStarting(200): the running one answers, the waiting ones and a later one are NOT_READY', async () => {
    // the worker started first: its boot is not the test's
    await pool.run('operator', { ms: 1 }, undefined, { filename: sleeper });
    const sleep = (ms: number) => pool.run<number>('operator', { ms }, undefined, { filename: sleeper }).then((v) => ({ ok: v }), (e: { code?: string }) => ({ code: e.code }));
    const settled: string[] = [];
    const running = sleep(1500).finally(() => settled.push('running'));
    const waiting = [sleep(600), sleep(600), sleep(600)];
    pool.stopStarting(200);
    const refused = await Promise.all(waiting);
    settled.push('refused');
    expect(refused).toEqual([{ code: 'NOT_READY' }, { code: 'NOT_READY' }, { code: 'NOT_READY' }]);
    // refused when the window ended, not after the running task (an order, not a clock: these machines are shared)
    expect(await running).toEqual({ ok: 1500 });
    expect(settled).toEqual(['refused', 'running']);
    expect(await sleep(1)).toEqual({ code: 'NOT_READY' });
    expect(pool.queued).toBe(0);
  });
});
