/**
 * A task's clock (TASK_TIMEOUT_MS) runs from when its worker starts it, not from when the pool
 * hands it to piscina. A worker replaced after a timeout (or a crash) boots before it takes the
 * next task: 0.2–1.4 s measured, more on a loaded host. That boot counted in the next task's time,
 * so with TASK_TIMEOUT_MS at 2000 a 30 ms analysis right after a replacement was 503 TIMEOUT
 * (found by fuzzing, 2026-12-03). The worker marks the task started as its first act
 * (markTaskStarted: the time, in a SharedArrayBuffer the task carries, then the flag); the main
 * thread reads it only when a timer it set fires, and sets the next one from it: the deadline is
 * the start plus TASK_TIMEOUT_MS, or, for a task not started yet, no earlier than a start now
 * would give, and never later than WORKER_START_MS more than TASK_TIMEOUT_MS from the clock's making,
 * so a worker that never starts still ends its task.
 * Why read it lazily: most tasks answer before TASK_TIMEOUT_MS, and a notify at the start woke the
 * main thread while the task's threads were starting on a machine with two vCPUs (the worker and
 * its partner), for nothing but moving a timer (until 2026-12-06, with Atomics.waitAsync).
 */

/** Most a worker's start may add to a task's time before the task is stopped anyway. */
export const WORKER_START_MS = 30_000;

/** The flag once the worker started the task (0 before). */
const STARTED = 1;

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
  const at = new Float64Array(started, 8, 1);
  const controller = new AbortController();
  const latest = epochNow() + timeoutMs + startMs;
  let timer: NodeJS.Timeout;
  const check = () => {
    const now = epochNow();
    // from the worker's own start time (written before the flag), whenever this thread reads it
    const deadline = Atomics.load(flag, 0) === STARTED ? at[0] + timeoutMs : Math.min(latest, now + timeoutMs);
    if (now >= deadline) controller.abort(new DOMException(`the task ran longer than ${timeoutMs} ms`, 'TimeoutError'));
    else timer = setTimeout(check, deadline - now);
  };
  // the earliest a deadline can be: a task started at once
  timer = setTimeout(check, timeoutMs);
  return {
    signal: controller.signal,
    started,
    stop() {
      clearTimeout(timer);
    },
  };
}

/** The worker's side: the task starts now (its clock's deadline is now plus TASK_TIMEOUT_MS). Absent: a task sent without a clock. */
export function markTaskStarted(started: SharedArrayBuffer | undefined): void {
  if (!started) return;
  new Float64Array(started, 8, 1)[0] = epochNow();
  Atomics.store(new Int32Array(started, 0, 1), 0, STARTED);
}
