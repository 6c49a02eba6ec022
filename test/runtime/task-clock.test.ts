/**
 * A task's clock (runtime/task-clock.ts): TASK_TIMEOUT_MS from the worker's start of the task
 * (markTaskStarted), WORKER_START_MS more when it never starts, nothing left behind once stopped.
 * Marked from this thread here (the time is in the buffer: any thread may mark it).
 */
import { describe, expect, it, vi } from 'vitest';
import { markTaskStarted, taskClock } from '../../src/runtime/task-clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** When `signal` aborted, in ms after `from`, or null if it has not within `within` ms. */
const abortedAfter = (signal: AbortSignal, from: number, within: number) =>
  new Promise<number | null>((resolve) => {
    if (signal.aborted) return resolve(0);
    const timer = setTimeout(() => resolve(null), within);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(performance.now() - from);
    });
  });

describe('taskClock', () => {
  it('timeout 200 ms, start allowance 300 ms, never started: aborted (TimeoutError) at about 500 ms, not at 200', async () => {
    const t0 = performance.now();
    const clock = taskClock(200, 300);
    const at = await abortedAfter(clock.signal, t0, 3000);
    clock.stop();
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(490);
    expect((clock.signal.reason as Error).name).toBe('TimeoutError');
  });

  it('timeout 200 ms, started 400 ms after the clock was made (a boot), allowance 30 s: aborted about 200 ms after the start (600 ms in all), not at 200 ms', async () => {
    const t0 = performance.now();
    const clock = taskClock(200, 30_000);
    await sleep(400);
    expect(clock.signal.aborted).toBe(false);
    markTaskStarted(clock.started);
    const at = await abortedAfter(clock.signal, t0, 3000);
    clock.stop();
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(590);
    expect(at!).toBeLessThan(2000);
  });

  it('the deadline runs from the time the worker wrote, not from when this thread read it: marked, then this thread busy 300 ms, timeout 200 ms: aborted at once once free', async () => {
    const clock = taskClock(200, 30_000);
    markTaskStarted(clock.started);
    const busyUntil = performance.now() + 300;
    while (performance.now() < busyUntil);
    const t1 = performance.now();
    const at = await abortedAfter(clock.signal, t1, 3000);
    clock.stop();
    expect(at).not.toBeNull();
    expect(at!).toBeLessThan(150);
  });

  it('stopped before its time (the task answered): never aborts', async () => {
    const clock = taskClock(100, 100);
    markTaskStarted(clock.started);
    clock.stop();
    await sleep(400);
    expect(clock.signal.aborted).toBe(false);
  });

  it('marking a task started wakes no thread (no Atomics.notify: the main thread reads the start when its timer fires), and a start after the first check still sets the deadline: timeout 200 ms, started at 300 ms, aborted at about 500', async () => {
    const notify = vi.spyOn(Atomics, 'notify');
    const t0 = performance.now();
    const clock = taskClock(200, 30_000);
    await sleep(300);
    markTaskStarted(clock.started);
    expect(notify).not.toHaveBeenCalled();
    notify.mockRestore();
    const at = await abortedAfter(clock.signal, t0, 3000);
    clock.stop();
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThanOrEqual(490);
    expect(at!).toBeLessThan(2000);
  });

  it('a task sent without a clock: markTaskStarted(undefined) does nothing', () => {
    expect(() => markTaskStarted(undefined)).not.toThrow();
  });
});
