/**
 * TASK_TIMEOUT_MS counts a task's running time, not its wait for a worker (runtime/pool.ts): one
 * worker, a timeout of 2,000 ms, three tasks of 800 ms each sent at once. They run one after
 * another, the last finishing about 2,400 ms after it was sent; each ran 800 ms (1,200 ms short of
 * the timeout), so all three answer. Before, the clock started at the call, and the third timed out without running.
 * A worker's start (about 1.1 s under tsx on a slow machine, more beside another test file) does not
 * count in its first task's time (runtime/task-clock.ts: the clock runs from the worker's start of
 * the task); each case that follows a start still warms the pool first (warm), so that it measures
 * only its own tasks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';

const sleeper = new URL('./sleep-worker.mjs', import.meta.url).href;
const pool = createPool(loadConfig({ WORKERS: '1', TASK_TIMEOUT_MS: '2000', MAX_QUEUE: '4' }));
afterAll(() => pool.close());

/** A first task, so that the worker has started before a test's clock (a start slower than the timeout is retried: the worker is replaced). */
async function warm(): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.run('operator', { ms: 1 }, undefined, { filename: sleeper });
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'TIMEOUT' || attempt === 3) throw e;
    }
  }
}

describe('the worker pool', () => {
  it('three 800 ms tasks on one worker with TASK_TIMEOUT_MS 2000: all answer, in order, the last after about 2,400 ms', async () => {
    await warm();
    const started = performance.now();
    const done: number[] = [];
    const answers = await Promise.all([0, 1, 2].map((i) => pool.run<number>('operator', { ms: 800 }, undefined, { filename: sleeper }).then((v) => (done.push(i), v))));
    expect(answers).toEqual([800, 800, 800]);
    expect(done).toEqual([0, 1, 2]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2350);
  });

  it('a task that runs past TASK_TIMEOUT_MS is still stopped: 3,000 ms of work is 503 TIMEOUT', async () => {
    await expect(pool.run('operator', { ms: 3000 }, undefined, { filename: sleeper })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a waiting task whose client goes away leaves the queue: CLIENT_CLOSED_REQUEST, and the task behind it runs', async () => {
    // the timeout above replaced the worker: the new one starts first
    await warm();
    const first = pool.run<number>('operator', { ms: 300 }, undefined, { filename: sleeper });
    const gone = new AbortController();
    const second = pool.run<number>('operator', { ms: 300 }, undefined, { filename: sleeper, signal: gone.signal });
    const third = pool.run<number>('operator', { ms: 10 }, undefined, { filename: sleeper });
    gone.abort();
    await expect(second).rejects.toMatchObject({ code: 'CLIENT_CLOSED_REQUEST' });
    expect(await Promise.all([first, third])).toEqual([300, 10]);
  });

  it("a worker's boot does not count in its task's time: a 100 ms task on a thread whose module load holds it 1,500 ms first, TASK_TIMEOUT_MS 1000, answers (was 503 TIMEOUT, as a 30 ms analysis right after a worker's replacement was)", async () => {
    const booting = createPool(loadConfig({ WORKERS: '1', TASK_TIMEOUT_MS: '1000', MAX_QUEUE: '4' }));
    try {
      const started = performance.now();
      expect(await booting.run<number>('operator', { ms: 100 }, undefined, { filename: new URL('./slow-boot-worker.mjs', import.meta.url).href })).toBe(100);
      // the boot happened (the case tests something): over 1,500 ms from the call to the answer
      expect(performance.now() - started).toBeGreaterThanOrEqual(1550);
    } finally {
      await booting.close();
    }
  });
});
