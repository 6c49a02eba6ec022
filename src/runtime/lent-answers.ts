/**
 * Answers in shared memory: an operator call's output that a worker's team computes goes straight
 * into a SharedArrayBuffer the worker keeps, every member writing its own bands there, and the
 * buffer is lent to the main thread with the answer rather than the partners' bands being copied
 * out of the team's arena into a fresh array (runtime/team.ts). The main thread gives it back once
 * the answer is sent (runtime/memory.ts releaseBuffers), and the worker's next call writes its output
 * there again: its pages are already mapped.
 *
 * Who may write a lent buffer: the worker's side only while it is not lent. Each buffer (a slot) has
 * one word in a small shared table: 0 free, else the generation of its current lease. The worker
 * lends a free slot by storing a new generation; the main thread returns it with a compare-exchange
 * of that generation for 0, so a lease returned twice, or returned after its buffer was lent again
 * (a stale one), changes nothing. A lease the main thread drops unreturned (an answer never sent: its
 * client gone before the reply was handed over, when the response never finishes; a GraphQL call
 * without a reply; jobs run no operator calls) goes back when its buffer is collected there
 * (FinalizationRegistry); until then the worker lends other slots, and with every slot out a call's
 * output is a fresh array again, as before.
 *
 * Lending is scoped to one task (lendingAnswers: operator calls, whose output is their answer):
 * what a task lent and did not answer is free again when the task answers (handOver); what was
 * lent outside a task (an in-process call: nothing hands it over) is never lent again; and a slot
 * whose job failed is dropped, never reused, as a broken team's partners may still write to it
 * (forget). A shared buffer costs the main thread's collector nothing (V8 counts no external memory
 * per thread for shared buffers), so the answers it holds start no collections there; nor do the
 * buffers a worker lets go of start one in the worker, so each counts toward its next collection
 * (runtime/collect.ts sharedDrops; letGo): without, calls of five output sizes in turn (1 to 28 MiB)
 * let go of two buffers every five calls, and a thread grew by 500 MB in 60 calls, never collecting.
 */

import { threadId } from 'node:worker_threads';
import { collectGarbage, noteSharedDropped } from './collect.js';

/** What a worker hands the main thread with an answer for each lent buffer in it. */
export interface Lease {
  buffer: SharedArrayBuffer;
  /** The worker's table (one word a slot), its slot there and the lease's generation. */
  table: SharedArrayBuffer;
  slot: number;
  gen: number;
  /** The lending worker's thread id. */
  thread: number;
}

/** Slots a worker keeps at most: answers out at once (a client reading slowly) and the next call's. */
export const LENT_SLOTS = 4;
/** Bytes of lent buffers a worker keeps at most, lent or free; a larger output is a fresh array. */
export const LENT_MAX_BYTES = 64 * 2 ** 20;
/** Outputs under this many bytes are fresh arrays: a copy of them costs less than a lease. */
export const LENT_MIN_BYTES = 1 << 20;

/** A worker thread's lendable buffers (one per thread: lentAnswers). */
export class LentAnswers {
  private readonly table = new Int32Array(new SharedArrayBuffer(LENT_SLOTS * 4));
  private readonly slots: (SharedArrayBuffer | null)[] = new Array(LENT_SLOTS).fill(null);
  /** Slots lent in this task and not handed over yet: slot → generation. */
  private readonly pending = new Map<number, number>();
  /** Slots whose buffer was lent to the main thread (handed over) at least once: its objects there may pin it once let go of here. */
  private readonly handed = new Set<number>();
  /** Bytes of handed-over buffers let go of since the last answer (takeDropped). */
  private dropped = 0;
  private gen = 0;
  private active = 0;

  /** Bytes of the buffers kept (lent or free). */
  get bytes(): number {
    return this.slots.reduce((n, s) => n + (s?.byteLength ?? 0), 0);
  }

  /** Slots lent now (pending in a task, or with the main thread). */
  get lent(): number {
    let n = 0;
    for (let i = 0; i < LENT_SLOTS; i++) if (this.slots[i] && Atomics.load(this.table, i) !== 0) n++;
    return n;
  }

  /**
   * Runs `work` with lending on: `lend` answers buffers only within it. A buffer still pending from
   * an earlier scope was never handed over (a call on a thread that answers no task: its caller may
   * still hold the output): let go of, never lent again.
   */
  lendingAnswers<T>(work: () => T): T {
    for (const slot of this.pending.keys()) this.letGo(slot);
    this.pending.clear();
    this.active++;
    try {
      return work();
    } finally {
      this.active--;
    }
  }

  /**
   * A Float32Array of n elements in a shared buffer of its own, lent to this task's answer; null
   * when lending is off, the output small or large, or no slot can take it (the caller then writes
   * a fresh array). Its contents are stale: the caller sets every element.
   */
  lend(n: number): Float32Array | null {
    const bytes = n * 4;
    if (this.active === 0 || bytes < LENT_MIN_BYTES || bytes > LENT_MAX_BYTES / 2) return null;
    let slot = -1;
    // a free slot that fits, not twice as large (a small output would pin a large buffer)
    for (let i = 0; i < LENT_SLOTS; i++) {
      const s = this.slots[i];
      if (s && Atomics.load(this.table, i) === 0 && s.byteLength >= bytes && s.byteLength <= 2 * bytes && (slot < 0 || s.byteLength < this.slots[slot]!.byteLength)) slot = i;
    }
    if (slot < 0) slot = this.makeRoom(bytes);
    if (slot < 0) return null;
    this.gen = (this.gen % 0x7fffffff) + 1;
    Atomics.store(this.table, slot, this.gen);
    this.pending.set(slot, this.gen);
    return new Float32Array(this.slots[slot]!, 0, n);
  }

  /** A slot for a new buffer of `bytes`: an empty one, else a free one let go of, while the total stays within LENT_MAX_BYTES; −1 when none. */
  private makeRoom(bytes: number): number {
    const free = (i: number) => this.slots[i] !== null && Atomics.load(this.table, i) === 0;
    let total = this.bytes;
    let slot = this.slots.indexOf(null);
    // let go of free buffers, largest first, until the new one fits
    const freeSlots = [...this.slots.keys()].filter(free).sort((a, b) => this.slots[b]!.byteLength - this.slots[a]!.byteLength);
    for (const i of freeSlots) {
      if (slot >= 0 && total + bytes <= LENT_MAX_BYTES) break;
      total -= this.letGo(i);
      if (slot < 0) slot = i;
    }
    if (slot < 0 || total + bytes > LENT_MAX_BYTES) return -1;
    this.slots[slot] = new SharedArrayBuffer(bytes);
    this.handed.delete(slot);
    return slot;
  }

  /**
   * The task answers: the leases of its lent buffers that `answered` holds (the shared buffers in
   * its answer), for the main thread; the ones it did not answer are free again.
   */
  handOver(answered: ReadonlySet<SharedArrayBuffer>): Lease[] {
    const leases: Lease[] = [];
    for (const [slot, gen] of this.pending) {
      const buffer = this.slots[slot];
      if (buffer && answered.has(buffer)) {
        leases.push({ buffer, table: this.table.buffer as SharedArrayBuffer, slot, gen, thread: threadId });
        this.handed.add(slot);
      }
      else Atomics.compareExchange(this.table, slot, gen, 0);
    }
    this.pending.clear();
    return leases;
  }

  /** Whether `buffer` was lent in the task running now (not handed over yet): a run answers it as it is, rather than copied out of shared memory. */
  pendingHolds(buffer: ArrayBufferLike): boolean {
    for (const slot of this.pending.keys()) if (this.slots[slot] === buffer) return true;
    return false;
  }

  /** The lent buffer `data` lies in is let go of for good (its job failed: a broken team's partners may still write it). */
  forget(data: Float32Array): void {
    const slot = this.slots.indexOf(data.buffer as SharedArrayBuffer);
    if (slot < 0) return;
    this.letGo(slot);
    this.pending.delete(slot);
    // the word keeps its generation until a new buffer takes the slot: a lease of it returns nothing
  }

  /** Lets go of the free buffers (the team closed, or the thread is over its memory limit); lent ones stay until returned. */
  dropFree(): number {
    let bytes = 0;
    for (let i = 0; i < LENT_SLOTS; i++) if (this.slots[i] && Atomics.load(this.table, i) === 0) bytes += this.letGo(i);
    return bytes;
  }

  /** Lets go of slot i's buffer, counted toward this thread's next collection (V8 counts it nowhere, and the partners hold it until then); its bytes. */
  private letGo(i: number): number {
    const bytes = this.slots[i]?.byteLength ?? 0;
    this.slots[i] = null;
    noteSharedDropped(bytes);
    if (this.handed.delete(i)) this.dropped += bytes;
    return bytes;
  }

  /**
   * Bytes of buffers once lent to the main thread and let go of since the last call, for the next
   * answer (runtime/task-answer.ts; the main thread's noteLentDropped): each lease there made an
   * object of the buffer that pins it until the main thread collects, which nothing else starts.
   */
  takeDropped(): number {
    const bytes = this.dropped;
    this.dropped = 0;
    return bytes;
  }
}

/** This thread's lendable buffers. */
export const lentAnswers = new LentAnswers();

// The main thread's side: the leases it holds, by the buffer object its answer arrived in (a lease
// and the tensors that lie in its buffer arrive in one message, so they share one object there).
type Held = { table: Int32Array; slot: number; gen: number; thread: number };
const HELD = new WeakMap<SharedArrayBuffer, Held>();
const give = (h: Held) => void Atomics.compareExchange(h.table, h.slot, h.gen, 0);
const dropped = new FinalizationRegistry<Held>(give);

/**
 * Bytes of lent buffers the workers let go of (LentAnswers.takeDropped) since this thread last
 * collected for them. A lease's buffer object here outlives its answer until a collection, often
 * in the old generation (an answer sent over several scavenges), and pins the buffer's memory after
 * its worker let go of it; V8 counts shared buffers nowhere, so nothing starts that collection: five
 * output sizes in turn (1 to 28 MiB, a worker letting go of two buffers every five calls) grew a
 * process by 886 MB in 100 calls, 148 MB after one full collection of the main thread.
 */
let lentDrops = 0;

/** Counts `bytes` of lent buffers a worker let go of (runtime/pool.ts); past LENT_MAX_BYTES this thread collects, once the answer's turn is over; whether it will. */
export function noteLentDropped(bytes: number): boolean {
  lentDrops += bytes;
  if (lentDrops < LENT_MAX_BYTES) return false;
  lentDrops = 0;
  setImmediate(() => collectGarbage());
  return true;
}

/** Takes in the leases an answer came with (runtime/pool.ts): each returned by returnLease, or when its buffer is collected. */
export function takeLeases(leases: readonly Lease[]): void {
  for (const l of leases) {
    const held = { table: new Int32Array(l.table), slot: l.slot, gen: l.gen, thread: l.thread };
    HELD.set(l.buffer, held);
    dropped.register(l.buffer, held, l.buffer);
  }
}

/** Gives a lent buffer back to its worker, once nothing here reads it again (runtime/memory.ts releaseBuffers); false when `buffer` is no lease held. */
export function returnLease(buffer: SharedArrayBuffer): boolean {
  const held = HELD.get(buffer);
  if (!held) return false;
  HELD.delete(buffer);
  dropped.unregister(buffer);
  give(held);
  return true;
}

/** The lease held for `buffer` (tests). */
export function leaseOf(buffer: ArrayBufferLike): { thread: number; slot: number; gen: number } | null {
  const held = buffer instanceof SharedArrayBuffer ? HELD.get(buffer) : undefined;
  return held ? { thread: held.thread, slot: held.slot, gen: held.gen } : null;
}
