/**
 * The memory budget (MEMORY_BUDGET_BYTES) and its reservations: what requests and jobs in flight
 * may hold at once. A leaf module: admission (http/admission.ts) reserves a request's estimate from
 * its Content-Length before its body is read; the job runners (jobs/runner.ts) reserve for each
 * task they run; both grow their reservation when a running task asks (chargeTo, through the
 * task's grant: runtime/memory-grant.ts).
 */
import { ConvlensError } from './errors.js';

/** Grows the memory a request (or job) holds by `bytes` (for `what`), or throws the catalog error that says why it cannot. */
export type MemoryCharge = (bytes: number, what: string) => void;

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

/**
 * A charge against `reservation`: 413 GRAPH_TOO_LARGE when the whole budget could not hold it
 * (with what the reservation already holds), 503 OVERLOADED while the budget is spent by others.
 */
export function chargeTo(budget: MemoryBudget, reservation: Reservation): MemoryCharge {
  return (bytes, what) => {
    if (reservation.bytes + bytes > budget.total) {
      throw new ConvlensError(
        'GRAPH_TOO_LARGE',
        `analysing ${what} needs about ${bytes} bytes of memory: with the ${reservation.bytes} already held, more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES)`,
        { limit: budget.total, needed: bytes },
      );
    }
    if (!reservation.grow(bytes)) {
      throw new ConvlensError('OVERLOADED', `the memory budget is spent: ${budget.used} of ${budget.total} bytes are held by requests in flight, and analysing ${what} needs about ${bytes} more; retry later`);
    }
  };
}
