/**
 * The in-process job queue (REDIS_URL unset): a FIFO in memory over the app's worker pool, at most
 * `pool.threads` jobs running at once. Bounded three ways: JOB_MAX_PENDING jobs waiting, the bytes
 * held for jobs (waiting inputs; each finished job's record, RECORD_BYTES, with its result, lines
 * and error) within JOB_STORE_MAX_BYTES, forgetting the oldest finished jobs first, and finished
 * jobs forgotten JOB_TTL_SECONDS after they finish.
 * A job forgotten for room (evicted) before its expiresAt is remembered until then, as its id and
 * times only (at most EVICTED_MAX of them), and answered 410 JOB_EVICTED rather than the 404 of a
 * job that expired or was deleted, which it was not.
 * Jobs live and die with the process: a restart forgets them (REDIS_URL keeps them).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { ConvlensError, fromSerialized } from '../errors.js';
import type { SerializedError } from '../errors.js';
import type { MemoryBudget } from '../memory-budget.js';
import type { TaskPool } from '../runtime/pool.js';
import { prepareJobOffloaded } from '../http/offload.js';
import { inputBytes, prepareJob } from './request.js';
import type { PrepareLimits, PreparedJob, ReadyJob, ReadyJobs } from './request.js';
import { cancelledError, executeJob, jobError } from './runner.js';
import { FINISHED, JOB_ID, head } from './types.js';
import type { JobKind, JobQueue, JobState, JobView } from './types.js';

type Logger = { error(obj: unknown, msg: string): void };

/** Most evicted jobs remembered at once (an id and two times, about 150 bytes each); past it the oldest go first, then read as 404. */
export const EVICTED_MAX = 10_000;

/**
 * The heap a finished job's record holds besides its result, lines and error (charged as their
 * bytes): its id and times, its promises and closures, its AbortController, its map entries.
 * Measured: 20,000 jobs failed in a store that kept them all grew heapUsed (after gc) by 2,417
 * bytes a job with an error of 107 bytes as JSON, 20,000 cancelled ones by 2,523 with 81 bytes:
 * 2,310 and 2,442 bytes without the error's. A failed or cancelled job was charged 0 bytes, so
 * failing jobs (about 150/s over HTTP) held about 1.2 GB more an hour than JOB_STORE_MAX_BYTES
 * said, evicting nothing. Waiting jobs are charged their inputs only: JOB_MAX_PENDING bounds them.
 */
export const RECORD_BYTES = 2400;

const errorBytes = (e: SerializedError | undefined) => (e === undefined ? 0 : Buffer.byteLength(JSON.stringify(e)));

interface Eviction {
  evictedAt: number;
  /** When the job would have expired: it is remembered until then. */
  expiresAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function evictedError(id: string, e: Eviction, limit: number): ConvlensError {
  return new ConvlensError(
    'JOB_EVICTED',
    `job ${id} was evicted at ${iso(e.evictedAt)}, before its expiresAt (${iso(e.expiresAt)}), to make room for newer jobs in the in-process job store: JOB_STORE_MAX_BYTES (${limit} bytes) holds the inputs of waiting jobs and, for each finished one, its record (${RECORD_BYTES} bytes) with its result or error, and forgets the oldest finished jobs first when it is full; raise JOB_STORE_MAX_BYTES, read results sooner, or keep jobs on Redis (REDIS_URL)`,
    { path: 'id', evictedAt: iso(e.evictedAt), expiresAt: iso(e.expiresAt), limit },
  );
}

interface Rec {
  id: string;
  kind: JobKind;
  status: JobState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  progress: { done: number; total: number } | null;
  /** Until it starts: what to run. */
  job: PreparedJob | null;
  /** The result's UTF-8 JSON bytes (jobs/types.ts JobView). */
  result?: Buffer;
  error?: SerializedError;
  lines: Buffer[];
  /** Bytes this job holds in the store: its inputs while waiting or running, then RECORD_BYTES with its result, lines and error. */
  bytes: number;
  abort: AbortController;
  /** Settles when the job has finished. */
  settled: Promise<void>;
  settle: () => void;
  /** Resolved (and replaced) whenever a line is added or the job finishes. */
  changed: Promise<void>;
  notify: () => void;
}

/** The limits a request is prepared within (jobs/request.ts prepareJob). */
export const prepareLimits = (config: Config): PrepareLimits => ({ maxElements: config.MAX_TENSOR_ELEMENTS, batchMax: config.JOB_BATCH_MAX });

/**
 * The in-process queue, which also takes a job prepared elsewhere: a large submission (submitJson)
 * parsed and prepared in a worker of the pool, a large GraphQL body's submitJob prepared in the
 * worker that parsed the body (submitReady).
 */
export type MemoryJobs = JobQueue & ReadyJobs & { submitPrepared(job: PreparedJob): Promise<JobView>; submitJson: NonNullable<JobQueue['submitJson']> };

export function createMemoryJobs(config: Config, pool: TaskPool, log?: Logger, budget?: MemoryBudget): MemoryJobs {
  const ttlMs = config.JOB_TTL_SECONDS * 1000;
  const records = new Map<string, Rec>();
  /** Finished jobs forgotten for room before their expiresAt, oldest eviction first. */
  const evicted = new Map<string, Eviction>();
  const waiting: Rec[] = [];
  /** Finished jobs held, in the order they finished (oldest first), and the bytes they hold: evicted from the first without sorting them all. */
  const finished = new Set<Rec>();
  let finishedBytes = 0;
  let running = 0;
  let stored = 0;
  const limit = config.JOB_STORE_MAX_BYTES;
  /** The most a finished job's result and lines may hold: what the store holds beside its record. */
  const resultMax = Math.max(0, limit - RECORD_BYTES);
  let closed = false;
  const shuttingDown = () => new ConvlensError('OVERLOADED', 'the service is shutting down; submit the job to another replica');
  const limits = prepareLimits(config);

  const expired = (r: Rec) => r.finishedAt !== null && r.finishedAt + ttlMs <= Date.now();
  const forget = (r: Rec) => {
    if (records.get(r.id) !== r) return;
    records.delete(r.id);
    if (finished.delete(r)) finishedBytes -= r.bytes;
    stored -= r.bytes;
    r.bytes = 0;
    r.notify();
  };
  /** The job, or null when there is none (unknown, expired, deleted); JOB_EVICTED for one forgotten for room before its expiresAt. */
  const find = (id: string): Rec | null => {
    const r = JOB_ID.test(id) ? records.get(id) : undefined;
    if (!r) {
      const e = evicted.get(id);
      if (e && e.expiresAt > Date.now()) throw evictedError(id, e, config.JOB_STORE_MAX_BYTES);
      if (e) evicted.delete(id);
      return null;
    }
    if (expired(r)) {
      forget(r);
      return null;
    }
    return r;
  };
  /** Forgets a finished job for room, remembering that it was (until it would have expired). */
  const evict = (r: Rec) => {
    forget(r);
    evicted.set(r.id, { evictedAt: Date.now(), expiresAt: r.finishedAt! + ttlMs });
    if (evicted.size > EVICTED_MAX) evicted.delete(evicted.keys().next().value!);
  };
  /** Forgets finished jobs, oldest first, until `need` more bytes fit; false, forgetting none, if even all of them would not make the room. */
  const makeRoom = (need: number): boolean => {
    if (stored + need <= limit) return true;
    // a submission refused anyway (503) evicted every finished result on its way
    if (stored - finishedBytes + need > limit) return false;
    for (const r of finished) {
      evict(r);
      if (stored + need <= limit) return true;
    }
    return false;
  };
  /** Forgets finished jobs older than `keep`, oldest first, until the store is within its limit (or only `keep` is left of them). */
  const shrink = (keep: Rec) => {
    for (const r of finished) {
      if (stored <= limit || r === keep) return;
      evict(r);
    }
  };
  const sweep = setInterval(() => {
    for (const r of records.values()) if (expired(r)) forget(r);
    const now = Date.now();
    for (const [id, e] of evicted) if (e.expiresAt <= now) evicted.delete(id);
  }, Math.min(ttlMs, 60_000));
  sweep.unref();

  const view = (r: Rec): JobView => ({
    head: head({ ...r, ttlSeconds: config.JOB_TTL_SECONDS, error: r.error }),
    ...(r.status === 'done' && r.result !== undefined ? { result: r.result } : {}),
  });

  const finish = (r: Rec, status: JobState, outcome: { result?: Buffer; error?: SerializedError }) => {
    r.status = status;
    r.finishedAt = Date.now();
    r.job = null;
    stored -= r.bytes;
    const bytes = (outcome.result?.byteLength ?? 0) + r.lines.reduce((n, l) => n + l.byteLength, 0);
    if (bytes > 0 && RECORD_BYTES + bytes > limit) {
      r.status = 'failed';
      r.lines = [];
      r.error = {
        code: 'JOB_RESULT_TOO_LARGE',
        message: `the result is ${bytes} bytes, more than the ${resultMax} bytes a result may take in the job store (JOB_STORE_MAX_BYTES, ${limit} bytes, less ${RECORD_BYTES} for the job's record): run it synchronously, or ask for less`,
        bytes,
        limit,
      };
    } else {
      r.result = outcome.result;
      r.error = outcome.error;
    }
    // the job is charged what it holds now; older finished ones make room for it (not the waiting ones' inputs)
    r.bytes = RECORD_BYTES + (r.result?.byteLength ?? 0) + r.lines.reduce((n, l) => n + l.byteLength, 0) + errorBytes(r.error);
    stored += r.bytes;
    finished.add(r);
    finishedBytes += r.bytes;
    shrink(r);
    r.settle();
    r.notify();
  };

  const start = (r: Rec) => {
    running++;
    r.status = 'running';
    r.startedAt = Date.now();
    const job = r.job!;
    executeJob(job, {
      pool,
      budget,
      signal: r.abort.signal,
      log,
      // a bound on the result's size before it is encoded, loose by design: the exact check is finish's
      maxResultBytes: limit,
      // a job finished (cancelled) takes no more lines nor progress: its stream and `done` stay as they were
      line: (text) => {
        if (r.status !== 'running') return;
        r.lines.push(text);
        r.notify();
      },
      progress: (done, total) => {
        if (r.status === 'running') r.progress = { done, total };
      },
    }).then(
      (result) => {
        if (r.status === 'running') finish(r, 'done', { result });
      },
      (e: unknown) => {
        if (r.status !== 'running') return;
        if (!(e instanceof ConvlensError)) log?.error({ err: e, job: r.id }, 'job failed');
        const error = jobError(e);
        finish(r, error.code === 'JOB_CANCELLED' ? 'cancelled' : 'failed', { error });
      },
    ).finally(() => {
      running--;
      pump();
    });
  };

  const pump = () => {
    while (!closed && running < Math.max(1, pool.threads) && waiting.length > 0) start(waiting.shift()!);
  };

  const newRec = (job: PreparedJob): Rec => {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const r: Rec = {
      id: randomUUID(),
      kind: job.kind,
      status: 'queued',
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      progress: job.kind === 'batch' ? { done: 0, total: job.items.length } : null,
      job,
      lines: [],
      bytes: inputBytes(job),
      abort: new AbortController(),
      settled,
      settle,
      changed: Promise.resolve(),
      notify: () => undefined,
    };
    const arm = () => {
      r.changed = new Promise<void>((resolve) => {
        r.notify = () => {
          arm();
          resolve();
        };
      });
    };
    arm();
    return r;
  };

  async function submitPrepared(job: PreparedJob): Promise<JobView> {
    if (closed) throw shuttingDown();
    if (waiting.length >= config.JOB_MAX_PENDING) {
      throw new ConvlensError('OVERLOADED', `${waiting.length} jobs are waiting (JOB_MAX_PENDING); retry later`);
    }
    const r = newRec(job);
    // inputs the whole store could never hold (a form's ONNX file may be up to BODY_LIMIT): no retry makes them fit
    if (r.bytes > config.JOB_STORE_MAX_BYTES) {
      throw new ConvlensError('PAYLOAD_TOO_LARGE', `this job's inputs (its ONNX files and tensors) hold ${r.bytes} bytes, more than the whole in-process job store (JOB_STORE_MAX_BYTES, ${config.JOB_STORE_MAX_BYTES} bytes) holds; send it to the synchronous route, or raise JOB_STORE_MAX_BYTES`, {
        path: 'body',
        limit: config.JOB_STORE_MAX_BYTES,
      });
    }
    if (!makeRoom(r.bytes)) {
      throw new ConvlensError('OVERLOADED', `the job store is full: this job's ${r.bytes} input bytes do not fit in JOB_STORE_MAX_BYTES (${config.JOB_STORE_MAX_BYTES}) beside the waiting and running ones; retry later`);
    }
    stored += r.bytes;
    records.set(r.id, r);
    waiting.push(r);
    pump();
    return view(r);
  }

  return {
    backend: 'memory',
    async submit(body, form) {
      if (closed) throw shuttingDown();
      return submitPrepared(prepareJob(body, limits, form));
    },
    submitPrepared,
    // in a worker of the pool: parsed and prepared there, only the prepared job (its bytes moved) back on the event loop
    async submitJson(json, where, form) {
      return submitPrepared((await prepareJobOffloaded(pool, json, where, { graphqlTokens: config.GRAPHQL_MAX_TOKENS, limits, ...(form && { form }) })) as PreparedJob);
    },
    readies: { limits, queued: false },
    async submitReady(ready: ReadyJob) {
      if (closed) throw shuttingDown();
      if ('refused' in ready) throw fromSerialized(ready.refused);
      return submitPrepared(ready as PreparedJob);
    },
    async get(id) {
      const r = find(id);
      return r ? view(r) : null;
    },
    async cancel(id) {
      const r = find(id);
      if (!r) return null;
      if (FINISHED.has(r.status)) {
        forget(r);
        return view(r);
      }
      if (r.status === 'queued') waiting.splice(waiting.indexOf(r), 1);
      r.abort.abort();
      finish(r, 'cancelled', { error: cancelledError().toJSON() });
      return view(r);
    },
    async *lines(id, signal) {
      const r = find(id);
      if (!r) throw new ConvlensError('JOB_NOT_FOUND', `no job ${id}; it may have expired (JOB_TTL_SECONDS)`, { path: 'id' });
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      let next = 0;
      while (!signal.aborted) {
        const changed = r.changed;
        while (next < r.lines.length) yield r.lines[next++];
        if (FINISHED.has(r.status) || records.get(r.id) !== r) break;
        await Promise.race([changed, aborted]);
      }
      // stopped before the job finished: the caller says why (a job finished meanwhile still ends with its last document)
      if (signal.aborted && !FINISHED.has(r.status)) return;
      if (r.kind !== 'batch' && r.result !== undefined) yield r.result;
      else if (r.error) yield JSON.stringify({ error: r.error });
    },
    async counts() {
      return { queued: waiting.length, running };
    },
    async close() {
      closed = true;
      clearInterval(sweep);
      const live = [...records.values()].filter((r) => !FINISHED.has(r.status));
      for (const r of live) {
        if (r.status === 'queued') waiting.splice(waiting.indexOf(r), 1);
        r.abort.abort();
        finish(r, 'cancelled', { error: new ConvlensError('JOB_CANCELLED', 'the service stopped before the job finished').toJSON() });
      }
      await Promise.all(live.map((r) => r.settled));
    },
  };
}
