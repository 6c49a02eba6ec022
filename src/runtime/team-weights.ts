/**
 * Weights a team's partners read in place (team-protocol.ts W_BUF): a cached model's kept weights
 * in SharedArrayBuffers of their own (runtime/weight-store.ts shareKept). The leader posts each
 * buffer once to every partner's port under an id (SharedWeightIds), and a buffer collected on the
 * leader's side is forgotten on theirs; a partner takes the posts in at every job it joins, and
 * when a job names an id it does not hold yet (SharedBuffers, with receiveMessageOnPort: it never
 * runs an event loop).
 * A post is in the partner's queue when postMessage returns, before the leader publishes the job
 * that names it, so a partner always finds the buffer.
 * A request's own tensor in a SharedArrayBuffer (http/shared-bodies.ts) is posted the same way but
 * for one job (jobId, transientId): the partners let go of it when that job is over for them.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

type Post = { id: number; buffer: SharedArrayBuffer; forJob?: number } | { forget: number };

/**
 * Bytes of transient buffers a partner lets go of before it collects (collectGarbage): a thread
 * parked in Atomics.wait allocates next to nothing, so it would otherwise never collect, and every
 * request input it was handed would stay resident (a review measured 32 MiB inputs held until the
 * team closed).
 */
export const TRANSIENT_COLLECT_BYTES = 64 * 1024 * 1024;

/** SharedArrayBuffers that live across jobs (a cached model's kept weights: runtime/weight-store.ts), posted once by idOf. */
const LASTING = new WeakSet<SharedArrayBuffer>();

/** Marks `buffer` as lasting across jobs (a kept weight's): the partners hold it until the leader's side is collected. */
export function lastingShared(buffer: SharedArrayBuffer): SharedArrayBuffer {
  LASTING.add(buffer);
  return buffer;
}

/** The leader's side: the id each shared weight buffer goes by, posted to the partners on first use. */
export class SharedWeightIds {
  private readonly ids = new WeakMap<SharedArrayBuffer, number>();
  private next = 0;
  private readonly forget = new FinalizationRegistry<number>((id) => this.post({ forget: id }));

  constructor(private readonly ports: readonly MessagePort[]) {}

  private post(message: Post): void {
    for (const port of this.ports) port.postMessage(message);
  }

  /**
   * An id for `buffer` for job `seq` only (a request's input, http/shared-bodies.ts): posted to the
   * first `partners` partners, the ones the job lets in, each of which forgets it once that job is
   * over for it (SharedBuffers.endJob). A request's buffer arrives in a new object with every task,
   * so an id kept per object, as idOf keeps them, would pin each one in every partner until the
   * leader's collector ran and the partner's after it.
   */
  transientId(buffer: SharedArrayBuffer, partners: number, seq: number): number {
    const id = this.next++;
    const message: Post = { id, buffer, forJob: seq };
    for (const port of this.ports.slice(0, partners)) port.postMessage(message);
    return id;
  }

  /**
   * The id job `seq`'s partners read `buffer` by: a lasting buffer's (idOf), else one for this job
   * only (transientId: a request's own tensor, which arrives in a new object with every task).
   */
  jobId(buffer: SharedArrayBuffer, partners: number, seq: number): number {
    return LASTING.has(buffer) ? this.idOf(buffer) : this.transientId(buffer, partners, seq);
  }

  /** The id the partners know `buffer` by. */
  idOf(buffer: SharedArrayBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(buffer, id);
      this.post({ id, buffer });
      this.forget.register(buffer, id);
    }
    return id;
  }
}

/** A partner's side: the shared weight buffers it was given, by id. */
export class SharedBuffers {
  private readonly held = new Map<number, SharedArrayBuffer>();
  /** Transient buffers held, by the job they are for (a post for the next job may be taken in before this one is over). */
  private transient: { id: number; seq: number }[] = [];
  /** Bytes of buffers let go of (transient ones, and forgotten ones) since this thread last collected. */
  private dropped = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly collect: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.held.size;
  }

  /** Takes in what the port holds (new buffers, forgotten ones), in order. */
  drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as Post;
      if ('forget' in msg) {
        this.dropped += this.held.get(msg.forget)?.byteLength ?? 0;
        this.held.delete(msg.forget);
      } else {
        this.held.set(msg.id, msg.buffer);
        if (msg.forJob !== undefined) this.transient.push({ id: msg.id, seq: msg.forJob });
      }
    }
  }

  /** Job `seq` is over for this partner: the transient buffers of it and earlier jobs are let go of, and this thread collects once TRANSIENT_COLLECT_BYTES were let go of (forgotten buffers counted too). */
  endJob(seq: number): void {
    this.transient = this.transient.filter((t) => {
      // SEQ counts up as an int32: (a − b) | 0 orders two seqs across its wrap
      if (((t.seq - seq) | 0) > 0) return true;
      this.dropped += this.held.get(t.id)?.byteLength ?? 0;
      this.held.delete(t.id);
      return false;
    });
    if (this.dropped >= TRANSIENT_COLLECT_BYTES) {
      this.dropped = 0;
      this.collect();
    }
  }

  get(id: number): SharedArrayBuffer {
    if (!this.held.has(id)) this.drain();
    const buffer = this.held.get(id);
    if (!buffer) throw new RangeError(`no shared weight buffer ${id} on this partner's port`);
    return buffer;
  }
}
