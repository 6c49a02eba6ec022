/**
 * Admission: what a request may take, decided before its body is read.
 *
 * - Memory budget (MEMORY_BUDGET_BYTES): a POST (or a GET that runs a task) reserves an estimate of the memory its body will
 *   hold while it is read, decoded and run, from its Content-Length times a factor for its media
 *   type (requestEstimate), before a byte of the body is read; without a Content-Length the
 *   reservation grows as the bytes arrive, and a body that, checked every RESERVE_AHEAD_MS, will
 *   not arrive within REQUEST_TIMEOUT_MS at its pace holds what has arrived and grows with the rest
 *   (a trickling upload cannot hold what it only declared; one on pace keeps it). When the budget is spent: 503 OVERLOADED with
 *   Retry-After; a request that could never fit: 413 PAYLOAD_TOO_LARGE. The reservation is
 *   returned when the response has been sent or the connection closed.
 * - Queue: a request to a route that runs worker tasks (offload.ts OFFLOAD: analyze, run, operators,
 *   fold-batchnorm, and GET /v1/models/{name}/report) that would find the queue full (MAX_QUEUE) is
 *   refused the same way, before its body is read, so an overloaded service answers in milliseconds.
 * - Memory a task finds it needs once running: a graph's analysis holds 5–11 KB a layer, which
 *   no Content-Length foretells (a layer of a JSON spec is about 50 bytes). The worker asks for
 *   it once it has built the graph (runtime/memory-grant.ts); requestTasks's charge grows the
 *   request's reservation, or refuses: 503 OVERLOADED while the budget is spent, 413
 *   GRAPH_TOO_LARGE when the whole budget could not hold it.
 * - Answers: the tensors an answer holds until its client has read it grow the reservation
 *   (chargeAnswerTensors); one that makes no progress for SEND_TIMEOUT_MS closes its connection.
 * - Cancellation: each admitted request has an AbortSignal (requestTasks) that fires when its client goes
 *   away before the answer; handlers pass it to the pool, which drops or stops the task.
 * - Readiness: GET /readyz is 503 NOT_READY while the app drains (close began) or while the budget
 *   is over READY_HIGH_WATER; GET /healthz stays the liveness probe.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Tensor } from '../tensor/tensor.js';
import type { Socket } from 'node:net';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { Config } from '../config.js';
import { workerCount } from '../config.js';
import { memoryBudgetBytes } from '../limits.js';
import { modelCacheReserve } from '../runtime/model-cache.js';
import { ConvlensError } from '../errors.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import { chargeTo, MemoryBudget } from '../memory-budget.js';
import type { MemoryCharge, Reservation } from '../memory-budget.js';
import { contentLength } from './body.js';
import type { Metrics } from './metrics.js';

/** Longest a refused request's connection stays open after its answer (lingerOnClose). */
const LINGER_MS = 2000;

/**
 * A lingering close for a connection answered before its body was read (as nginx's
 * lingering_close). Node closes a `connection: close` socket once the answer is written
 * (socket.destroySoon); the body the client is still sending then meets a closed socket, the
 * kernel answers with a reset, and the client's next write fails (EPIPE), often before it has read
 * the answer: `npm run bench -- load` counted 61 such errors among 8,575 overload answers. Here the
 * answer is followed by this side's FIN, and whatever the client still sends is read and dropped
 * until it closes its side and the answer is all written (as Node's own destroySoon waits for
 * 'finish'), or LINGER_MS pass; then the socket is destroyed.
 */
export function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function lingering(this: Socket) {
    if (this.destroyed) return;
    if (this.writable) this.end();
    this.resume();
    const destroy = () => this.destroy();
    const timer = setTimeout(destroy, LINGER_MS);
    timer.unref();
    this.once('end', () => (this.writableFinished ? destroy() : this.once('finish', destroy)));
    this.once('close', () => clearTimeout(timer));
  };
}

/**
 * Bytes held per byte of a JSON body: the raw bytes (1), their text (1), the parsed values (~1 for
 * tensors as numbers or base64, measured 0.85 and 1.0; ~2.8 for a network spec) and the decoded
 * float32 tensors (≤ 1). Pathological shapes (millions of one-element arrays, ~20×) exceed it; they
 * are parsed in a worker (body.ts OFFLOAD_JSON_BYTES), whose heap limit stops them without the process.
 */
export const JSON_FACTOR = 4;
/** Bytes held per byte of an ONNX or .npy body: the bytes themselves and one decoded copy (weights, float32 tensors). */
export const BINARY_FACTOR = 2;
/** Readiness fails above this share of the budget reserved. */
export const READY_HIGH_WATER = 0.9;
/** Seconds a client is told to wait (Retry-After) after a 503 OVERLOADED. */
export const RETRY_AFTER_SECONDS = 1;

export { memoryBudgetBytes, memoryLimit } from '../limits.js';

/**
 * What requests may reserve: the memory budget less what the workers' model caches may hold
 * (runtime/model-cache.ts modelCacheReserve), so the two are not spent twice. The caches are
 * shrunk to three quarters of the budget at most, so requests keep at least a quarter.
 */
export function requestBudgetBytes(config: Pick<Config, 'MEMORY_BUDGET_BYTES' | 'MODEL_CACHE_BYTES'>, workers: number): number {
  return memoryBudgetBytes(config) - modelCacheReserve(config, workers);
}

/** Factor × bytes for a body of this media type; a form's text field is JSON, bounded by jsonLimit. */
export function requestEstimate(type: string | undefined, bytes: number, jsonLimit: number): number {
  const media = (type ?? '').split(';')[0].trim().toLowerCase();
  if (media === 'application/json') return bytes * JSON_FACTOR;
  if (media === 'multipart/form-data') return bytes * BINARY_FACTOR + Math.min(bytes, jsonLimit) * (JSON_FACTOR - BINARY_FACTOR);
  return bytes * BINARY_FACTOR;
}

export type BodyCharge = (bytes: number, part?: 'file' | 'json' | 'wire') => void;

export type Readiness = { ready: true } | { ready: false; reason: 'draining' | 'memory'; message: string };

export interface Admission {
  budget: MemoryBudget;
  readiness(): Readiness;
  /** Marks the app as draining: /readyz answers 503 from now on (also done when close() begins). */
  drain(): void;
}

const ADMISSIONS = new WeakMap<FastifyInstance, Admission>();
const SIGNALS = new WeakMap<FastifyRequest, AbortSignal>();
const CHARGES = new WeakMap<FastifyRequest, BodyCharge>();
const MEMORY = new WeakMap<FastifyRequest, MemoryCharge>();
const ANSWERS = new WeakMap<FastifyRequest, (bytes: number, shapes: number[][]) => void>();

/** The app's admission state (its budget, its readiness). */
export function admissionOf(app: FastifyInstance): Admission | undefined {
  return ADMISSIONS.get(app);
}

/**
 * What a body's reader calls with each chunk's size as it arrives, to grow the request's reservation
 * (by the factor of its media type, or of the part of a form: `file` or `json`) once the bytes pass
 * what it holds: at once for a body without a Content-Length (chunked), and for one too slow to
 * arrive within REQUEST_TIMEOUT_MS; it throws 503 OVERLOADED once the budget is spent. Undefined without
 * admission (tests).
 */
export function bodyCharge(request: FastifyRequest): BodyCharge | undefined {
  return CHARGES.get(request);
}

/**
 * An answer's tensors charged to the request's reservation, before it is sent (the reservation then
 * covers the larger of its body's estimate and the answer, the body being spent): they are held until
 * the client has read it (or SEND_TIMEOUT_MS without progress closes the connection), so ten
 * clients that never read 256 MB answers held 2.8 GB outside the budget, /readyz still 200. The
 * reservation goes back with the response. 503 OVERLOADED while the budget is spent, 413
 * RESPONSE_TOO_LARGE when the whole budget could not hold it; nothing without admission (tests).
 */
export function chargeAnswerTensors(request: FastifyRequest, tensors: Iterable<Tensor>): void {
  // a buffer counted once: a run that captures its own output answers one tensor twice
  const buffers = new Map<ArrayBufferLike, number>();
  const shapes: number[][] = [];
  for (const t of tensors) {
    buffers.set(t.data.buffer, Math.max(buffers.get(t.data.buffer) ?? 0, t.data.byteLength));
    shapes.push([...t.shape]);
  }
  let bytes = 0;
  for (const b of buffers.values()) bytes += b;
  ANSWERS.get(request)?.(bytes, shapes);
}

/**
 * What the request's pool tasks run with: its signal, which fires when its client goes away before
 * the answer, and its memory charge, which grows its reservation when a running task asks for
 * memory it finds it needs (runtime/memory-grant.ts: 503 OVERLOADED while the budget is spent, 413
 * GRAPH_TOO_LARGE when the whole budget could not hold it).
 */
export function requestTasks(request: FastifyRequest): TaskContext {
  return { signal: SIGNALS.get(request), memory: MEMORY.get(request) };
}


const overloaded = (message: string, details: Record<string, unknown> = {}) => new ConvlensError('OVERLOADED', message, details);

interface AdmissionOptions {
  config: Config;
  pool: TaskPool;
  metrics?: Metrics;
}

async function admissionPlugin(app: FastifyInstance, opts: AdmissionOptions): Promise<void> {
  const { config, pool } = opts;
  const jsonLimit = Math.min(config.JSON_BODY_LIMIT, config.BODY_LIMIT);
  const budget = new MemoryBudget(requestBudgetBytes(config, workerCount(config)));
  let draining = false;
  const admission: Admission = {
    budget,
    drain: () => {
      draining = true;
    },
    readiness: () => {
      if (draining) return { ready: false, reason: 'draining', message: 'draining: the service is shutting down' };
      if (budget.used > budget.total * READY_HIGH_WATER) {
        return { ready: false, reason: 'memory', message: `the memory budget is ${Math.round((100 * budget.used) / budget.total)}% reserved, over its ${READY_HIGH_WATER * 100}% high-water mark` };
      }
      return { ready: true };
    },
  };
  ADMISSIONS.set(app, admission);
  const reservations = new WeakMap<FastifyRequest, Reservation>();
  if (opts.metrics) {
    const { registry } = opts.metrics;
    new Gauge({ name: 'convlens_memory_budget_bytes', help: 'The memory budget of requests being read and run (MEMORY_BUDGET_BYTES)', registers: [registry], collect() { this.set(budget.total); } });
    new Gauge({ name: 'convlens_memory_reserved_bytes', help: 'Bytes of the memory budget reserved by requests in flight', registers: [registry], collect() { this.set(budget.used); } });
  }

  app.addHook('preClose', async () => {
    draining = true;
  });

  /** Requests to task-running routes between admission and their answer. */
  let taskRequests = 0;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // POSTs, and the GETs of routes that run tasks (GET /v1/models/{name}/report: an analysis, an
    // ERF run with ?erf=true), take a place in the queue and a reservation charged as their tasks
    // grow; other GETs (GET /graphql answers reads that start no work) are not admitted here
    const runsTasks = (request.routeOptions.config as { runsTasks?: boolean } | undefined)?.runsTasks === true;
    if (request.method !== 'POST' && !runsTasks) return;
    // refused before the body is read: the connection closes rather than wait for bytes never read,
    // but lingers first, so that a client still sending the body keeps its answer (lingerOnClose)
    const refuse = (err: ConvlensError) => {
      reply.header('connection', 'close');
      lingerOnClose(request.raw.socket);
      return err;
    };
    // Requests admitted but still reading or parsing their bodies count too: in a burst every request
    // passes here before any has queued a task, and the queue alone would refuse none of them.
    if (runsTasks && (pool.queued >= config.MAX_QUEUE || taskRequests >= pool.threads + config.MAX_QUEUE)) {
      throw refuse(overloaded(`all ${pool.threads} workers are busy and ${config.MAX_QUEUE} tasks are waiting; retry later`));
    }
    const declared = contentLength(request.headers);
    const estimate = declared === null ? 0 : requestEstimate(request.headers['content-type'], declared, jsonLimit);
    if (estimate > budget.total) {
      throw refuse(
        new ConvlensError('PAYLOAD_TOO_LARGE', `a ${declared}-byte body needs about ${estimate} bytes to read and run, more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES)`, {
          path: 'body',
          limit: budget.total,
        }),
      );
    }
    const reservation = budget.tryReserve(estimate);
    if (!reservation) {
      throw refuse(overloaded(`the memory budget is spent: ${budget.used} of ${budget.total} bytes are held by requests in flight, this one needs about ${estimate}; retry later`, { path: 'body' }));
    }
    reservations.set(request, reservation);
    // a run's tensors and the answer's are charged against the body they came from (bodyHeld, below)
    // first: by then it is spent (memory-budget.ts chargeTo); a GraphQL document's answers are held together
    const charges = chargeTo(budget, reservation, () => bodyHeld);
    MEMORY.set(request, charges);
    ANSWERS.set(request, (tensorBytes, shapes) => charges.answer(tensorBytes, shapes));
    // the body's bytes as they arrive (`received`), and their estimate by the factor of its media
    // type or of a form's part (`arrived`); the body's share of the reservation (`bodyHeld`, apart
    // from what its tasks and answer add) grows once they pass it (at once without a Content-Length)
    const perByte = requestEstimate(request.headers['content-type'], 1, jsonLimit);
    let received = 0;
    let arrived = 0;
    let bodyHeld = estimate;
    // a form's bytes off the socket that no part has claimed yet (the parser holds them: a field is
    // given only once whole), estimated at one byte each; a part's charge comes after its wire bytes
    let wire = false;
    let unclaimed = 0;
    CHARGES.set(request, (bytes, part) => {
      if (part === 'wire') {
        wire = true;
        received += bytes;
        unclaimed += bytes;
        arrived += bytes;
      } else {
        // a part's bytes, counted once: a form's were received off the socket
        const claimed = Math.min(unclaimed, bytes);
        unclaimed -= claimed;
        if (!wire) received += bytes;
        arrived += bytes * (part === 'file' ? BINARY_FACTOR : part === 'json' ? JSON_FACTOR : perByte) - claimed;
      }
      const more = arrived - bodyHeld;
      if (more <= 0) return;
      if (reservation.bytes + more > budget.total) {
        throw new ConvlensError('PAYLOAD_TOO_LARGE', `the body needs more than the whole ${budget.total}-byte memory budget (MEMORY_BUDGET_BYTES) to read and run`, { path: 'body', limit: budget.total });
      }
      if (!reservation.grow(more)) {
        throw overloaded(`the memory budget is spent: ${budget.used} of ${budget.total} bytes are held by requests in flight, and this body keeps coming; retry later`, { path: 'body' });
      }
      bodyHeld = arrived;
    });
    // a body that will not arrive within REQUEST_TIMEOUT_MS at the pace it has come, checked every
    // RESERVE_AHEAD_MS, holds what has come, not what it declared: one socket that declared 268 MB
    // and trickled bytes held 536 MB of a 1 GiB budget for the whole REQUEST_TIMEOUT_MS (others 503,
    // /readyz 503). An upload on pace keeps its estimate (a 250 MB file over a slow link is not
    // refused halfway), and a burst of fast uploads is still refused at once.
    const started = performance.now();
    let ahead: NodeJS.Timeout | undefined;
    const check = (length: number) => {
      if (request.raw.complete) return;
      const elapsed = performance.now() - started;
      const onPace = (received / elapsed) * (config.REQUEST_TIMEOUT_MS - elapsed) >= length - received;
      if (onPace) {
        ahead = setTimeout(check, config.RESERVE_AHEAD_MS, length).unref();
        return;
      }
      if (bodyHeld > arrived) {
        reservation.shrinkTo(reservation.bytes - (bodyHeld - arrived));
        bodyHeld = arrived;
      }
    };
    // only a declared length is estimated ahead (without one the body is charged as it comes)
    if (declared !== null && estimate > 0) ahead = setTimeout(check, config.RESERVE_AHEAD_MS, declared).unref();
    const controller = new AbortController();
    SIGNALS.set(request, controller.signal);
    const res = reply.raw;
    let counted = runsTasks;
    if (counted) taskRequests++;
    const done = () => {
      clearTimeout(ahead);
      reservation.release();
      if (counted) {
        counted = false;
        taskRequests--;
      }
    };
    res.once('finish', done);
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new ConvlensError('CLIENT_CLOSED_REQUEST', 'the client closed the connection before the answer'));
      done();
    });
  });

  app.addHook('onResponse', async (request) => {
    reservations.get(request)?.release();
  });

  // while draining (SHUTDOWN_DELAY_MS after a signal), each answer closes its connection: a client
  // or proxy that keeps connections alive opens its next one where /readyz still says ready
  app.addHook('onSend', async (request, reply) => {
    if (draining) reply.header('connection', 'close');
    stallLimit(request, reply, config.SEND_TIMEOUT_MS);
  });

  app.get('/readyz', async (request, reply) => {
    const state = admission.readiness();
    if (state.ready) return { ready: true };
    reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS));
    return { error: { code: 'NOT_READY', message: state.message, ready: false, reason: state.reason }, requestId: request.id };
  });
}

/**
 * An answer that makes no progress for `ms` (its client stopped reading: bytes wait in the socket's
 * buffer and none reach the kernel) closes its connection, so what it holds goes back. Checked
 * every `ms` against the socket's progress, not with the socket's own timeout: a slow reader
 * that keeps reading is not cut off, an answer with nothing to send (a job's results stream waiting
 * for its next line) is idle rather than stalled, and Node's keep-alive timeouts stay its own (a
 * socket timeout no response listens for makes Node destroy the socket).
 */
function stallLimit(request: FastifyRequest, reply: FastifyReply, ms: number): void {
  const socket = request.raw.socket as Socket | null;
  // light-my-request's sockets (app.inject) count no bytes
  if (!socket || socket.destroyed || typeof socket.bytesWritten !== 'number') return;
  // progress: a write handed to the socket (bytesWritten), or bytes of the write in flight taken by
  // the kernel (libuv's write queue shrinking: what Node's own socket timeout watches); a tensor
  // goes out as one write, so a slow reader of a large answer moves only the second
  const progress = () => `${socket.bytesWritten}:${(socket as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0}`;
  let last = progress();
  const timer = setInterval(() => {
    const now = progress();
    if (socket.writableLength > 0 && now === last && !reply.raw.writableFinished) {
      clearInterval(timer);
      request.log.warn({ sendTimeoutMs: ms }, 'the client read none of the answer for SEND_TIMEOUT_MS: connection closed');
      socket.destroy();
    }
    last = now;
  }, ms);
  timer.unref();
  // one cleanup: a keep-alive socket serves many answers, and must not gather a listener for each
  const stop = () => {
    clearInterval(timer);
    socket.off('close', stop);
  };
  reply.raw.once('finish', stop);
  reply.raw.once('close', stop);
  socket.once('close', stop);
}

/** Not encapsulated (fastify-plugin), so its hooks see every route of the app. */
export const admission = fp(admissionPlugin, { name: 'convlens-admission' });
