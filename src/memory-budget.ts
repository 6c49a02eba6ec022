/**
 * The memory budget (MEMORY_BUDGET_BYTES) and its reservations: what requests and jobs in flight
 * may hold at once. A leaf module: admission (http/admission.ts) reserves a request's estimate from
 * its Content-Length before its body is read; the job runners (jobs/runner.ts) reserve for each
 * task they run; both grow their reservation when a running task asks (chargeTo, through the
 * task's grant: runtime/memory-grant.ts).
 */
import { ConvlensError } from './errors.js';

/**
 * Grows the memory a request (or job) holds by `bytes` (for `what`: what needs them, "analysing 480
 * layers"), or throws the catalog error that says why it cannot. `fromBody`: the bytes are tensors
 * decoded from the request's body and what is computed from them (a run: its inputs, given weights
 * and peak), which the body's share of the reservation already covers as far as it goes (the body
 * read and parsed is spent by then), and which last as long as the task that asked them.
 */
export interface MemoryCharge {
  /**
   * `covered`: of `bytes`, what the task's loan (lend) already counts. `own`: what the asking task
   * already holds of the request's running bytes (its loan and its earlier asks): a later ask (a
   * staged run's next stage) sends only its growth, and the task alone holds both, so whether it
   * could ever be granted (413, not 503) is judged on own + bytes − covered. Absent: on `bytes`.
   * A charge not from the body (a graph's analysis) is judged with `own` and without the request's
   * other tasks running now too: only they making it too much is 503, not 413.
   */
  (bytes: number, what: string, fromBody?: boolean, covered?: number, own?: number): void;
  /**
   * The task that asked `asked` bytes `fromBody` is over: they no longer count. The reservation
   * keeps what it grew by until the request ends, for the request's next task or its answer, so a
   * GraphQL document's runs one after another hold the largest of them, and at once their sum.
   */
  release?(asked: number): void;
  /**
   * Lends a task about to start the body's share no task of the request holds now (what its run's
   * peak may take without growing the reservation): the bytes count as running until the task's
   * release gives them back with what it asked, and the task asks only beyond them.
   */
  lend?(): number;
  /**
   * Asks `bytes` from the body (`fromBody` false: a graph's analysis) as the call does, for a task that holds nothing of the request yet
   * (no ask, no loan: runtime/memory-grant.ts gives its loan back first); refused only because the
   * request's other tasks running now hold the rest, it waits for one of them to release and asks
   * again, until `waitMs` have passed (then 503 OVERLOADED, saying it waited) or `signal` aborts
   * (then OVERLOADED at once: the task is over). Any other refusal is thrown as the call throws it.
   */
  wait?(bytes: number, what: string, until: { waitMs: number; signal: AbortSignal; fromBody?: boolean }): Promise<void>;
}

/** Bytes reserved against a budget, returned once (release is idempotent). */
export interface Reservation {
  readonly bytes: number;
  /** Reserves `more` bytes too; false (nothing reserved) when the budget has not got them. */
  grow(more: number): boolean;
  /** Gives back what it holds above `bytes` (nothing when it holds no more). */
  shrinkTo(bytes: number): void;
  release(): void;
}

export class MemoryBudget {
  #used = 0;
  constructor(readonly total: number) {}

  get used(): number {
    return this.#used;
  }

  /** A reservation of `bytes`, or null when the budget has not got them now. */
  tryReserve(bytes: number): Reservation | null {
    if (this.#used + bytes > this.total) return null;
    this.#used += bytes;
    let held = bytes;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      grow: (more: number) => {
        if (released || this.#used + more > this.total) return false;
        this.#used += more;
        held += more;
        return true;
      },
      shrinkTo: (bytes: number) => {
        if (released || bytes >= held) return;
        this.#used -= held - Math.max(0, bytes);
        held = Math.max(0, bytes);
      },
      release: () => {
        if (released) return;
        released = true;
        this.#used -= held;
      },
    };
  }
}

/** 413 RESPONSE_TOO_LARGE: an answer's tensors (`shapes`, in the answer's order) hold `bytes`, more than the whole budget of `total` bytes. */
export function answerOverBudget(bytes: number, total: number, shapes: readonly (readonly number[])[]): ConvlensError {
  return new ConvlensError('RESPONSE_TOO_LARGE', `the answer's tensors hold ${bytes} bytes until the client has read them, more than the whole ${total}-byte memory budget (MEMORY_BUDGET_BYTES); ask for a smaller output`, {
    path: '$',
    limit: total,
    estimate: bytes,
    shapes: Object.fromEntries(shapes.map((shape, i) => [`output${i}`, [...shape]])),
  });
}

/**
 * The OVERLOADED refusals that only the request's own other tasks running now cause (chargeTo's
 * reach): `wait` asks again after a release for these, and for no other refusal.
 */
const heldByOwnTasks = new WeakSet<ConvlensError>();

/** Whether `e` is a refusal only the request's own other tasks running now cause (MemoryCharge.wait waits those out). */
export function refusedForOwnTasks(e: unknown): boolean {
  return e instanceof ConvlensError && heldByOwnTasks.has(e);
}

/** A request's charges (chargeTo): its tasks' asks, and its answer's tensors. */
export interface RequestCharges extends MemoryCharge {
  /** The answer holds `bytes` more of tensors until its client has read them (`shapes`: all its tensors so far, in the answer's order). */
  answer(bytes: number, shapes: readonly (readonly number[])[]): void;
}

/**
 * Charges against `reservation`, which holds at least, and grows to:
 *
 *   other + max(body, running + answered)
 *
 * `other`: the charges not from the body (a graph's analysis, an import's folds); `body`: what the
 * reservation holds for the request's body (`bodyShare`, admission's estimate; none for a job);
 * `running`: what the request's tasks running now asked from the body (their peaks: a task's goes
 * at its release); `answered`: the answer's tensors. By the time a task runs, or an answer is
 * written, the body read and parsed is spent, so the body's share covers them as far as it goes.
 * 413 GRAPH_TOO_LARGE when that is more than the whole budget (RESPONSE_TOO_LARGE when the answer
 * alone is), 503 OVERLOADED while the budget is spent by others, or while the request's own other
 * tasks running now hold the rest (the call; `wait` waits for their release instead).
 */
export function chargeTo(budget: MemoryBudget, reservation: Reservation, bodyShare: () => number = () => 0): RequestCharges {
  let other = 0;
  let running = 0;
  let answered = 0;
  const held = () => other + Math.max(bodyShare(), running + answered);
  /**
   * Grows the reservation to what the request now holds, or throws: `tooLarge` when `alone` (what it
   * holds without its other tasks running now) is more than the whole budget, OVERLOADED when only
   * those tasks make it so (they give theirs back as they end) or the budget is spent by others.
   */
  const reach = (before: number, alone: number, tooLarge: (target: number) => ConvlensError, overloaded: (more: number) => string, waitedMs = 0) => {
    const target = held();
    if (alone > budget.total) throw tooLarge(target);
    if (target > budget.total) {
      const waited = waitedMs > 0 ? `, still after waiting ${waitedMs} ms for them to end` : '';
      const e = new ConvlensError('OVERLOADED', `${overloaded(target - before)}, and with the request's other tasks running now that is more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES)${waited}; retry later`);
      heldByOwnTasks.add(e);
      throw e;
    }
    const more = target - reservation.bytes;
    if (more > 0 && !reservation.grow(more)) throw new ConvlensError('OVERLOADED', `the memory budget is spent: ${budget.used} of ${budget.total} bytes are held by requests in flight, and ${overloaded(Math.min(more, target - before))}; retry later`);
  };
  /** What the request would hold with `bytes` more from the body and none of its tasks running now. */
  const aloneWith = (bytes: number) => other + Math.max(bodyShare(), bytes + answered);
  /** The call, and `wait`'s asks (`waitedMs`: how long it has waited, named in its last refusal). */
  const ask = (bytes: number, what: string, fromBody: boolean, covered: number, waitedMs: number, own?: number) => {
    const before = held();
    if (fromBody) running += bytes - covered;
    else other += bytes;
    try {
      reach(
        before,
        // alone: without the request's other tasks running now (a charge not from the body, a graph's
        // analysis, is already in `other`; `own`: what the asking task itself holds)
        fromBody ? aloneWith(own === undefined ? bytes : own + bytes - covered) : aloneWith(own ?? 0),
        (target) =>
          new ConvlensError('GRAPH_TOO_LARGE', `${what} needs about ${bytes} bytes of memory${fromBody ? ` (${target - before} of them beyond what its body's share of the reservation holds)` : ''}: with the ${before} the request already holds, more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES)`, {
            limit: budget.total,
            needed: target - before,
          }),
        (more) => `${what} needs about ${more} more`,
        waitedMs,
      );
    } catch (e) {
      if (fromBody) running -= bytes - covered;
      else other -= bytes;
      throw e;
    }
  };
  const charge = (bytes: number, what: string, fromBody = false, covered = 0, own?: number) => ask(bytes, what, fromBody, covered, 0, own);
  // the waits of this request's tasks for its other tasks to release (`wait`), woken by each release
  const waiters = new Set<() => void>();
  const release = (asked: number) => {
    running = Math.max(0, running - asked);
    // woken once this turn's work is done: the task that released may be followed, in the same turn,
    // by its answer's charge (http/graphql.ts releaseWhenSent), which must come before a waiter takes
    // the bytes (a finished run's answer was refused for a waiter's run, then computed in vain)
    if (waiters.size > 0) setImmediate(() => {
      for (const wake of [...waiters]) wake();
    });
  };
  /** Resolves at the request's next release, at `ms`, or when `signal` aborts, whichever comes first; leaves no timer, listener or waiter behind. */
  const released = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  const wait = async (bytes: number, what: string, { waitMs, signal, fromBody = true }: { waitMs: number; signal: AbortSignal; fromBody?: boolean }) => {
    const started = performance.now();
    for (;;) {
      // the task is over (cancelled, timed out, its client gone): asking now would hold bytes no release gives back
      if (signal.aborted) throw new ConvlensError('OVERLOADED', `${what}: the task was stopped while it waited for the request's other tasks to release their memory; retry later`);
      const waited = Math.round(performance.now() - started);
      const last = waited >= waitMs;
      try {
        return ask(bytes, what, fromBody, 0, last ? waited : 0);
      } catch (e) {
        if (last || !refusedForOwnTasks(e)) throw e;
      }
      // a refusal only for the request's own tasks running now: asked again at a release (no polling)
      await released(waitMs - waited, signal);
    }
  };
  return Object.assign(charge, {
    release,
    wait,
    lend: () => {
      const free = Math.max(0, bodyShare() - running - answered);
      running += free;
      return free;
    },
    answer: (bytes: number, shapes: readonly (readonly number[])[]) => {
      if (answered + bytes > budget.total) throw answerOverBudget(answered + bytes, budget.total, shapes);
      const before = held();
      answered += bytes;
      try {
        reach(
          before,
          aloneWith(0),
          () => answerOverBudget(answered, budget.total, shapes),
          (more) => `this answer's tensors need ${more} more until they are read`,
        );
      } catch (e) {
        answered -= bytes;
        throw e;
      }
    },
  });
}
