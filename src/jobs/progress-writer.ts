/**
 * A running batch's progress on Redis (`convlens worker`, jobs/worker.ts), best-effort. Progress
 * is a hint for GET /v1/jobs/{id}; the lines and the result are the job. The batch awaited each
 * update, so an update that waited for Redis held the next lines (and the models after them), and
 * one that failed failed the batch: BullMQ's command connection gave up on a command after
 * ioredis's 20 reconnection attempts (maxRetriesPerRequest), 7.5 min of the worker's backoff, and a
 * batch whose update met an outage that long failed though its work completed.
 *
 * Now an update never waits nor throws: it is written at once when no write is under way, else
 * after that one ends, the updates set meanwhile coalesced into the latest (a Redis away for minutes
 * costs one write when it is back, not one per model). A write that fails is dropped (`failed` is
 * told): the next update, or the job's end, says more. `flush` waits for the last one set, so a
 * finished batch's progress is its last.
 */

export interface ProgressWriter<T> {
  /** The latest progress: written now, or after the write under way (what was set meanwhile is dropped). Never waits, never throws. */
  set(value: T): void;
  /** Resolves once the last value set has been written or its write failed; at once when nothing is being written. Never rejects. */
  flush(): Promise<void>;
  /**
   * Nothing more is written: the value waiting is dropped and later ones are ignored (a write under
   * way ends as it will). For a run whose job's lock is another run's: BullMQ's progress write does
   * not check the lock, so a value it wrote would overwrite the new run's.
   */
  stop(): void;
}

export function progressWriter<T>(write: (value: T) => Promise<unknown>, failed: (err: unknown, value: T) => void): ProgressWriter<T> {
  let next: { value: T } | null = null;
  let writing: Promise<void> | null = null;
  let stopped = false;
  const drain = async () => {
    while (next !== null) {
      const { value } = next;
      next = null;
      try {
        await write(value);
      } catch (e) {
        failed(e, value);
      }
    }
    writing = null;
  };
  return {
    set(value) {
      if (stopped) return;
      next = { value };
      writing ??= drain();
    },
    flush: () => writing ?? Promise.resolve(),
    stop() {
      stopped = true;
      next = null;
    },
  };
}
