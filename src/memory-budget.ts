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
 * read and parsed is spent by then), so only what they need beyond it grows the reservation.
 */
export type MemoryCharge = (bytes: number, what: string, fromBody?: boolean) => void;

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
 * A charge against `reservation`: 413 GRAPH_TOO_LARGE when the whole budget could not hold it
 * (with what the reservation already holds), 503 OVERLOADED while the budget is spent by others.
 * `bodyShare`: what the reservation holds for the request's body (admission's estimate of it),
 * which covers the charges made `fromBody` until they pass it; none for a job (its tasks' inputs
 * are not reserved with a body).
 */
export function chargeTo(budget: MemoryBudget, reservation: Reservation, bodyShare: () => number = () => 0): MemoryCharge {
  // bytes asked from the body, and how much of them the reservation grew by (beyond the body's share)
  let fromBodyAsked = 0;
  let fromBodyGrown = 0;
  return (bytes, what, fromBody = false) => {
    const more = fromBody ? Math.max(0, fromBodyAsked + bytes - bodyShare() - fromBodyGrown) : bytes;
    const beyond = fromBody ? ` (${more} of them beyond what its body's share of the reservation holds)` : '';
    if (more > 0 && reservation.bytes + more > budget.total) {
      throw new ConvlensError(
        'GRAPH_TOO_LARGE',
        `${what} needs about ${bytes} bytes of memory${beyond}: with the ${reservation.bytes} already held, more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES)`,
        { limit: budget.total, needed: more },
      );
    }
    if (more > 0 && !reservation.grow(more)) {
      throw new ConvlensError('OVERLOADED', `the memory budget is spent: ${budget.used} of ${budget.total} bytes are held by requests in flight, and ${what} needs about ${more} more; retry later`);
    }
    if (!fromBody) return;
    fromBodyAsked += bytes;
    fromBodyGrown += more;
  };
}
