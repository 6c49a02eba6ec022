/**
 * A task's clock (TASK_TIMEOUT_MS) runs from when its worker starts it, not from when the pool
 * hands it to piscina. A worker replaced after a timeout (or a crash) boots before it takes the
 * next task: 0.2–1.4 s measured, more on a loaded host. That boot counted in the next task's time,
 * so with TASK_TIMEOUT_MS at 2000 a 30 ms analysis right after a replacement was 503 TIMEOUT
 * (found by fuzzing, 2026-12-03). The worker marks the task started as its first act
 * (markTaskStarted: the time, in a SharedArrayBuffer the task carries, and a notify); the main
 * thread learns it with Atomics.waitAsync, off its event loop, and sets the deadline to that time
 * plus TASK_TIMEOUT_MS. Until then the clock allows WORKER_START_MS more, so a worker that never
 * starts still ends its task.
 */

/** Most a worker's start may add to a task's time before the task is stopped anyway. */
export const WORKER_START_MS = 30_000;

const NOT_STARTED = 0;
const STARTED = 1;
const STOPPED = 2;

/** The flag (Int32 at 0) and the start time (Float64 at 8: ms since the epoch, performance.timeOrigin + now). */
const CLOCK_BYTES = 16;

/** Atomics.waitAsync (V8 since Node 16; in TypeScript's lib from ES2024, this project targets ES2022). */
export const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { async: true; value: Promise<string> } | { async: false; value: string } }).waitAsync;

/** Now, in ms since the epoch, comparable across threads (each thread's performance.now() has its own origin). */
const epochNow = (): number => performance.timeOrigin + performance.now();

export interface TaskClock {
  /** Aborts (a TimeoutError) TASK_TIMEOUT_MS after the worker started the task, or WORKER_START_MS later than that when it never does. */
  signal: AbortSignal;
  /** Sent with the task: the worker marks it started here (markTaskStarted). */
  started: SharedArrayBuffer;
  /** The task is over (answered, failed, cancelled): no timer is left behind. */
  stop(): void;
}

export function taskClock(timeoutMs: number, startMs = WORKER_START_MS): TaskClock {
  const started = new SharedArrayBuffer(CLOCK_BYTES);
  const flag = new Int32Array(started, 0, 1);
  const controller = new AbortController();
  const timeUp = () => controller.abort(new DOMException(`the task ran longer than ${timeoutMs} ms`, 'TimeoutError'));
  let timer = setTimeout(timeUp, timeoutMs + startMs);
  let stopped = false;
  const onStart = () => {
    if (stopped || Atomics.load(flag, 0) !== STARTED) return;
    clearTimeout(timer);
    // from the worker's own start time: the notify reaches this thread when its event loop gets to it
    const at = new Float64Array(started, 8, 1)[0];
    timer = setTimeout(timeUp, Math.max(0, at + timeoutMs - epochNow()));
  };
  const waiting = waitAsync(flag, 0, NOT_STARTED);
  if (waiting.async) void waiting.value.then(onStart);
  else onStart();
  return {
    signal: controller.signal,
    started,
    stop() {
      stopped = true;
      clearTimeout(timer);
      // ends the waitAsync of a task that never started (a cancelled one), so no waiter is left behind
      if (Atomics.compareExchange(flag, 0, NOT_STARTED, STOPPED) === NOT_STARTED) Atomics.notify(flag, 0);
    },
  };
}

/** The worker's side: the task starts now (its clock's deadline is now plus TASK_TIMEOUT_MS). Absent: a task sent without a clock. */
export function markTaskStarted(started: SharedArrayBuffer | undefined): void {
  if (!started) return;
  new Float64Array(started, 8, 1)[0] = epochNow();
  const flag = new Int32Array(started, 0, 1);
  if (Atomics.compareExchange(flag, 0, NOT_STARTED, STARTED) === NOT_STARTED) Atomics.notify(flag, 0);
}
