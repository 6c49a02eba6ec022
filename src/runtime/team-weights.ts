/**
 * Weights a team's partners read in place (team-protocol.ts W_BUF): a cached model's kept weights
 * in SharedArrayBuffers of their own (runtime/weight-store.ts shareKept). The leader posts each
 * buffer once to every partner's port under an id (SharedWeightIds), and a buffer collected on the
 * leader's side is forgotten on theirs; a partner takes the posts in at every job it joins, and
 * when a job names an id it does not hold yet (SharedBuffers, with receiveMessageOnPort: it never
 * runs an event loop).
 * A post is in the partner's queue when postMessage returns, before the leader publishes the job
 * that names it, so a partner always finds the buffer.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

type Post = { id: number; buffer: SharedArrayBuffer } | { forget: number };

/** The leader's side: the id each shared weight buffer goes by, posted to the partners on first use. */
export class SharedWeightIds {
  private readonly ids = new WeakMap<SharedArrayBuffer, number>();
  private next = 0;
  private readonly forget = new FinalizationRegistry<number>((id) => this.post({ forget: id }));

  constructor(private readonly ports: readonly MessagePort[]) {}

  private post(message: Post): void {
    for (const port of this.ports) port.postMessage(message);
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

  constructor(private readonly port: MessagePort) {}

  get size(): number {
    return this.held.size;
  }

  /** Takes in what the port holds (new buffers, forgotten ones), in order. */
  drain(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const msg = m.message as Post;
      if ('forget' in msg) this.held.delete(msg.forget);
      else this.held.set(msg.id, msg.buffer);
    }
  }

  get(id: number): SharedArrayBuffer {
    if (!this.held.has(id)) this.drain();
    const buffer = this.held.get(id);
    if (!buffer) throw new RangeError(`no shared weight buffer ${id} on this partner's port`);
    return buffer;
  }
}
