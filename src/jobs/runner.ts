/**
 * Executes a prepared job over the worker pool, the same tasks the synchronous routes run, so a
 * job's result is byte for byte what POST /v1/analyze or /v1/run would have answered. Used by the
 * in-process queue (jobs/memory.ts) and by `convlens worker` (jobs/worker.ts).
 *
 * - A pool that is full (OVERLOADED) is waited for, with backoff, rather than failing the job:
 *   jobs are the work that can wait.
 * - Each task holds a reservation of the memory budget while it runs (`budget`: the app's own for
 *   the in-process queue, the worker process's for `convlens worker`), which grows when the task
 *   finds what its graph needs (runtime/memory-grant.ts), until its result is encoded (a batch's
 *   lines are encoded after). Refused for now (OVERLOADED), the task is retried the same way: a
 *   run's tensors and file are copied to the worker, not moved, so they can be sent again; an
 *   analysis's ONNX file is moved, so that refusal fails the job. GRAPH_TOO_LARGE (the whole
 *   budget could not hold it) always does. A reservation serves one task, with no body's share to
 *   lend, so its first ask meets no other task of it running: the grant's wait for a request's own
 *   other tasks (runtime/memory-grant.ts) never starts for a job.
 * - Cancellation (the signal) answers at once with JOB_CANCELLED, and the pool, given the same
 *   signal with every task, drops the job's waiting tasks and stops its running one (its worker is
 *   replaced).
 * - A batch analyses up to `pool.threads` models at a time and emits one line per model in model
 *   order, each as soon as it and every model before it are done; a model that fails is an error
 *   line, not a failed batch. Its progress is the lines given out, and a cancelled batch gives none
 *   after the cancellation, so `done` is what its results stream holds.
 */
import { constants } from 'node:buffer';
import type { AnalyzeOptions } from '../analysis/report.js';
import { ConvlensError } from '../errors.js';
import type { SerializedError } from '../errors.js';
import { OFFLOAD_WORKER } from '../http/offload.js';
import { boundedError } from '../http/error-text.js';
import type { OffloadTask } from '../http/offload.js';
import type { GraphSource } from '../graph/load.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import { chargeTo } from '../memory-budget.js';
import type { MemoryBudget } from '../memory-budget.js';
import type { PreparedJob } from './request.js';

export interface JobContext {
  pool: TaskPool;
  /** Aborted when the job is cancelled (or its process stops). */
  signal: AbortSignal;
  /** A batch's result line (its UTF-8 JSON bytes), in model order; awaited before the next. */
  line(bytes: Buffer): Promise<void> | void;
  /** Models of a batch whose lines have been given to `line` (a model done before one ahead of it is not yet counted). */
  progress?(done: number, total: number): Promise<void> | void;
  /** Where internal errors of batch models are logged. */
  log?: { error(obj: unknown, msg: string): void };
  /** Longest result (JSON text) the store keeps; a run whose outputs could exceed it fails before encoding. */
  maxResultBytes?: number;
  /**
   * The memory budget each task reserves from while it runs, for what it finds it needs (a graph's
   * layers: runtime/memory-grant.ts); refused for now, it is retried as a full pool is.
   */
  budget?: MemoryBudget;
}

const BACKOFF_MS = { first: 50, max: 2000 };
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

export function cancelledError(): ConvlensError {
  return new ConvlensError('JOB_CANCELLED', 'the job was cancelled (DELETE /v1/jobs/{id})');
}

/** A job's error as stored: catalog errors as they are, anything else as INTERNAL without internals. */
export function jobError(e: unknown): SerializedError {
  return e instanceof ConvlensError ? boundedError(e).toJSON() : { code: 'INTERNAL', message: 'internal error; see the service log' };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The promise, or JOB_CANCELLED as soon as the signal aborts (the promise itself still settles, unobserved). */
function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(cancelledError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * One pool call, retried while the pool is OVERLOADED. `buffers` are the ones the call transfers to
 * a worker: once one is detached the call cannot be repeated, and the OVERLOADED stands. `finish`
 * (the result's encoding) runs while the memory the task asked for is still held.
 */
async function attempt<T, R = T>(ctx: JobContext, call: (tasks: TaskContext) => Promise<T>, buffers: ArrayBufferLike[], finish: (result: T) => R = (r) => r as unknown as R): Promise<R> {
  const sizes = buffers.map((b) => b.byteLength);
  for (let wait = BACKOFF_MS.first; ; wait = Math.min(wait * 2, BACKOFF_MS.max)) {
    if (ctx.signal.aborted) throw cancelledError();
    // what the task asks for once running (a graph's layers) is held until its result is encoded
    const reservation = ctx.budget?.tryReserve(0) ?? null;
    try {
      return finish(await unlessCancelled(call({ signal: ctx.signal, ...(reservation && { memory: chargeTo(ctx.budget!, reservation) }) }), ctx.signal));
    } catch (e) {
      const retry = e instanceof ConvlensError && e.code === 'OVERLOADED' && buffers.every((b, i) => b.byteLength === sizes[i]);
      // the pool stopped starting tasks (the service is closing, runtime/pool.ts stopStarting): the job
      // is cancelled as the queue's close cancels it, not failed with the request's 503
      if (e instanceof ConvlensError && e.code === 'NOT_READY') throw new ConvlensError('JOB_CANCELLED', 'the service stopped before the job finished');
      if (!retry) throw e;
      await sleep(wait, ctx.signal);
    } finally {
      reservation?.release();
    }
  }
}

/**
 * An analysis's report as its UTF-8 JSON bytes, written in the worker that analysed it (the
 * synchronous route's task: http/offload-worker.ts) and moved back, so that neither the report's
 * objects nor its text cross the event loop. Cloned back and written there, a 20,000-layer report
 * with `explain` (31 MB) stalled /healthz for 2.7 s as its job finished.
 */
/** A worker's moved JSON bytes as a Buffer over the same memory. */
const bufferOf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function analyze(ctx: JobContext, source: GraphSource, options: AnalyzeOptions): Promise<Buffer> {
  const buffers = source.kind === 'onnx' ? [source.bytes.buffer] : [];
  const task: OffloadTask = { kind: 'report', input: { source, options }, maxResultBytes: ctx.maxResultBytes ?? MAX_STRING_LENGTH };
  const call = (tasks: TaskContext) => ctx.pool.run<Uint8Array>('analyze', task, buffers as Transferable[], { filename: OFFLOAD_WORKER, ...tasks });
  return attempt(ctx, call, buffers, bufferOf);
}

async function batch(job: PreparedJob & { kind: 'batch' }, ctx: JobContext): Promise<Buffer> {
  const total = job.items.length;
  const lines: (Buffer | undefined)[] = new Array(total);
  let started = 0;
  let emitted = 0;
  let reports = 0;
  let errors = 0;
  // one emitter at a time, in model order. Progress counts the lines given out, never a model that
  // finished before one ahead of it: cancelled then, its line is never given, and `done` counted it
  // (a 50-model batch cancelled said done 21 with 20 lines to read)
  let emitting: Promise<void> = Promise.resolve(ctx.progress?.(0, total));
  const emit = () => {
    emitting = emitting.then(async () => {
      const before = emitted;
      // cancelled: no line after it, so the lines read and the progress are the same count
      while (!ctx.signal.aborted && emitted < total && lines[emitted] !== undefined) {
        const text = lines[emitted]!;
        lines[emitted] = undefined;
        await ctx.line(text);
        emitted++;
      }
      if (emitted !== before) await ctx.progress?.(emitted, total);
    });
    return emitting;
  };
  // a lane that fails (the line sink, a cancellation) stops the others starting more models
  let stopped = false;
  const lane = async () => {
    while (started < total && !stopped) {
      const index = started++;
      const item = job.items[index];
      // sources are used once: drop this one's bytes from the job as soon as it is read
      job.items[index] = { name: item.name, source: { kind: 'spec', spec: null } };
      let text: Buffer;
      try {
        const report = await analyze(ctx, item.source, job.options);
        // { index, name, report }, the report's bytes spliced in as they came
        text = Buffer.concat([Buffer.from(`{"index":${index},"name":${JSON.stringify(item.name)},"report":`), report, Buffer.from('}')]);
        reports++;
      } catch (e) {
        if (e instanceof ConvlensError && e.code === 'JOB_CANCELLED') {
          stopped = true;
          throw e;
        }
        if (!(e instanceof ConvlensError)) ctx.log?.error({ err: e, model: item.name, index }, 'batch model failed');
        text = Buffer.from(JSON.stringify({ index, name: item.name, error: jobError(e) }));
        errors++;
      }
      lines[index] = text;
      await emit().catch((e: unknown) => {
        stopped = true;
        throw e;
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(total, Math.max(1, ctx.pool.threads)) }, lane));
  } finally {
    // a batch that stops (cancelled) ends once its last line and progress are out, not while they still go
    await emitting.catch(() => undefined);
  }
  await emitting;
  return Buffer.from(JSON.stringify({ models: total, reports, errors }));
}

/** Runs a prepared job; its result as UTF-8 JSON bytes (a report, a run response, a batch summary). */
export async function executeJob(job: PreparedJob, ctx: JobContext): Promise<Buffer> {
  switch (job.kind) {
    case 'analyze':
      return analyze(ctx, job.source, job.options);
    case 'run': {
      // run and written as JSON in one worker (jobs/run-result.ts), as an analysis is; its tensors copied
      // there, not moved: an attempt refused for memory once running can be sent again
      const task: OffloadTask = { kind: 'runReport', input: job.task, encoding: job.encoding, maxResultBytes: ctx.maxResultBytes ?? MAX_STRING_LENGTH };
      const call = (tasks: TaskContext) => ctx.pool.run<Uint8Array>('run', task, [], { filename: OFFLOAD_WORKER, ...tasks });
      return attempt(ctx, call, [], bufferOf);
    }
    case 'batch':
      return batch(job, ctx);
  }
}
