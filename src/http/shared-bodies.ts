/**
 * Large .npy tensors read into shared memory, so a worker's partner threads read them in place.
 *
 * A worker that splits a layer across its team (runtime/team.ts) copies the partners' share of an
 * input it was handed in a plain ArrayBuffer into the team's arena first: 0.5–0.9 ms of a 3×3
 * 128→128 conv at 112² on two threads, on the leader's critical path. An input already in a
 * SharedArrayBuffer is read where it lies (runtime/team-operands.ts, team-protocol.ts X_BUF). So the
 * compute routes read .npy parts of SHARED_MIN_BYTES or more straight off the socket into
 * SharedArrayBuffers, which are posted to the worker, not copied.
 *
 * The buffers are kept and reused: a fresh SharedArrayBuffer is fresh pages, and faulting them in
 * cost 15 ms for 6.4 MB on the AMD EPYC VM (a plain body's malloc'd memory is reused by the
 * allocator), more than the copy it saves (docs/benchmarks-log.md, 2026-12-04). A request's buffers
 * go back to the pool when its response is over, if no task was handed them (a request refused
 * before any ran), or if every task handed them succeeded or refused the request (a 4xx), unless a
 * 2xx answer (an output may be a view of an input) was cut short. Any other end (a task failed
 * otherwise or timed out, a client gone mid-answer) leaves them to the collector, since a task may
 * still be reading them; a worker's partners let go of their side when their job is over
 * (runtime/team-weights.ts jobId). At most IDLE_BYTES wait in the pool; a request that finds none
 * large enough takes a new one.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { ConvlensError } from '../errors.js';

/** Tensor parts this large or larger are read into shared memory (a 3×3 128→128 conv's weights, 0.59 MB, are). */
export const SHARED_MIN_BYTES = 256 * 1024;
/** Sizes are rounded up to this, so that parts of about one size share buffers. */
const GRAIN = 64 * 1024;
/** The most bytes the pool keeps while no request holds them. */
export const IDLE_BYTES = 64 * 1024 * 1024;

/** Where a body's bytes are written: a buffer of `size` bytes, and one handed back unused (never seen by a task). */
export interface BodyAllocator {
  buffer(size: number): Buffer;
  unused(buf: Buffer): void;
}

/** The idle shared buffers, smallest first. */
export class SharedBodyPool {
  private readonly idle: SharedArrayBuffer[] = [];
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes = IDLE_BYTES) {}

  /** An idle buffer of `size` to twice `size` bytes, else a new one (`size` rounded up to GRAIN). */
  take(size: number): SharedArrayBuffer {
    const i = this.idle.findIndex((b) => b.byteLength >= size);
    if (i >= 0 && this.idle[i].byteLength <= 2 * size) {
      const [b] = this.idle.splice(i, 1);
      this.idleBytes -= b.byteLength;
      return b;
    }
    return new SharedArrayBuffer(Math.ceil(size / GRAIN) * GRAIN);
  }

  /** Keeps `b` for a later request, unless that would hold more than the pool's limit idle. */
  give(b: SharedArrayBuffer): void {
    if (this.idleBytes + b.byteLength > this.maxIdleBytes) return;
    const at = this.idle.findIndex((o) => o.byteLength >= b.byteLength);
    this.idle.splice(at < 0 ? this.idle.length : at, 0, b);
    this.idleBytes += b.byteLength;
  }

  get stats(): { buffers: number; bytes: number } {
    return { buffers: this.idle.length, bytes: this.idleBytes };
  }
}

/**
 * One request's shared buffers: taken from the pool as its parts are read, given back when its
 * response is over (end) if no task handed them may still read them, else left to the collector.
 */
export class BodyLease implements BodyAllocator {
  private held: SharedArrayBuffer[] = [];
  private ended = false;
  /** Tasks handed the request's tensors: how many are running, whether any ran, whether any failed. */
  private running = 0;
  private ran = false;
  private failed = false;

  constructor(
    private readonly pool: SharedBodyPool,
    private readonly plain: (size: number) => Buffer,
  ) {}

  buffer(size: number): Buffer {
    if (size < SHARED_MIN_BYTES || this.ended) return this.plain(size);
    const b = this.pool.take(size);
    this.held.push(b);
    return Buffer.from(b, 0, size);
  }

  /** A buffer the body did not keep (a part far smaller than the room it was given): back to the pool at once, as no task has seen it. */
  unused(buf: Buffer): void {
    const i = this.held.indexOf(buf.buffer as SharedArrayBuffer);
    if (i < 0) return;
    this.held.splice(i, 1);
    this.pool.give(buf.buffer as SharedArrayBuffer);
  }

  /**
   * `task`, a pool task handed the request's tensors: while it runs they are not given back, nor
   * after it failed unless the worker refused the request (a 4xx from the catalog: it answered, so
   * it reads them no longer); a 5xx (PARTNER_FAILED: a partner may still be in its band; a worker
   * gone), a timeout or a cancellation leaves them to the collector.
   */
  track<T>(task: Promise<T>): Promise<T> {
    this.running++;
    this.ran = true;
    task.then(
      () => this.running--,
      (e: unknown) => {
        this.running--;
        if (!refused(e)) this.failed = true;
      },
    );
    return task;
  }

  /**
   * The response is over: an error's ('error'), or a 2xx answer sent whole ('whole') or not
   * ('partial': a client gone mid-answer). The buffers go back when no task saw them (a request
   * refused before any ran), or when every task that did is over and none failed (but refusing the
   * request), unless the answer, which may view them, was cut short; else they are left to the collector.
   */
  end(answer: 'error' | 'whole' | 'partial'): void {
    if (this.ended) return;
    this.ended = true;
    const reusable = this.running === 0 && !this.failed && (!this.ran || answer !== 'partial');
    if (reusable) for (const b of this.held) this.pool.give(b);
    this.held = [];
  }
}

/** Whether a task's failure is the worker refusing the request (a catalog 4xx, not a client gone or a timeout): it answered, and reads nothing after. */
const refused = (e: unknown): boolean => e instanceof ConvlensError && e.status >= 400 && e.status < 500 && e.status !== 499 && e.status !== 408;

const LEASES = new WeakMap<FastifyRequest, BodyLease>();

/** How a reply ended: an error's, or a 2xx answer (which may view the request's tensors) sent whole or cut short. */
const answerOf = (reply: FastifyReply): 'error' | 'whole' | 'partial' => (reply.statusCode < 200 || reply.statusCode >= 300 ? 'error' : reply.raw.writableFinished ? 'whole' : 'partial');

/**
 * The app's pool: `leaseOf(request)` is the request's allocator for its tensor parts, created on
 * first use; its buffers go back when the response ends (onResponse).
 */
export function sharedBodies(app: FastifyInstance, plain: (size: number) => Buffer, registry?: Registry, pool = new SharedBodyPool()): { pool: SharedBodyPool; leaseOf(request: FastifyRequest): BodyLease } {
  if (registry) {
    new Gauge({ name: 'convlens_shared_body_idle_bytes', help: 'Shared buffers kept for large .npy parts while no request holds them (at most 64 MiB)', registers: [registry], collect() { this.set(pool.stats.bytes); } });
  }
  app.addHook('onResponse', async (request, reply) => {
    LEASES.get(request)?.end(answerOf(reply));
  });
  return {
    pool,
    leaseOf(request) {
      let lease = LEASES.get(request);
      if (!lease) {
        lease = new BodyLease(pool, plain);
        LEASES.set(request, lease);
      }
      return lease;
    },
  };
}
