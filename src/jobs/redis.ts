/**
 * Jobs on Redis (REDIS_URL set), the API side: jobs are BullMQ jobs, so any replica answers for any
 * job and `convlens worker` processes (jobs/worker.ts) run them, scaling on their own. The API
 * validates a request (the same 4xx as in-process), stores the request JSON as the job's data and
 * reads status from BullMQ; results live beside it:
 *
 *   convlens:job:<id>:result     the result's JSON text (a report, run response, batch summary)
 *   convlens:job:<id>:lines      a batch's NDJSON lines, pushed in order by the worker
 *   convlens:job:<id>:cancel     set by DELETE; the worker checks it, and is told on CANCEL_CHANNEL
 *   convlens:job:<id>:cancelled  the status of a job cancelled before it started (its BullMQ job is removed)
 *   convlens:job:<id>:file:<i>   a multipart submission's file parts, as bytes (not base64 in the job's
 *                                data, which every status read fetches), names in JobData.files;
 *                                deleted when the job finishes (failed as stalled too) or is deleted
 *
 * A job's files are held in Redis until it runs, then in the worker that runs it: together at most
 * jobFilesLimit (2 × JSON_BODY_LIMIT: a worker is sized to give one job a JSON_BODY_LIMIT JSON
 * request, held about 4 times over, and a file is held about twice, its bytes and its decoded
 * weights), each at most 512 MiB (a Redis string's longest); more is 413 PAYLOAD_TOO_LARGE.
 *
 * Finished jobs are removed by BullMQ JOB_TTL_SECONDS after they finish (removeOnComplete/removeOnFail
 * age), and every key above expires with them; a job older than that reads as not found even before
 * BullMQ's lazy clean-up. Redis needs `maxmemory-policy noeviction` (BullMQ's requirement).
 */
import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { ConvlensError, fromSerialized } from '../errors.js';
import type { SerializedError } from '../errors.js';
import { prepareJob } from './request.js';
import type { QueuedJob, ReadyJob, ReadyJobs } from './request.js';
import { prepareJobOffloaded } from '../http/offload.js';
import type { TaskPool } from '../runtime/pool.js';
import { JobsQueue, dataAsBytes } from './redis-data.js';
import type { JobData } from './redis-data.js';
import { cancelledError } from './runner.js';
import { FINISHED, JOB_ID, JOB_KINDS, head } from './types.js';
import type { JobFiles, JobKind, JobQueue, JobState, JobStatusHead, JobView } from './types.js';

export const QUEUE_NAME = 'jobs';
export const QUEUE_PREFIX = 'convlens:bull';
export const CANCEL_CHANNEL = 'convlens:jobs:cancel';
/** How often a results stream looks for new lines. */
const POLL_MS = 200;
/** A Redis call slower than this is QUEUE_UNAVAILABLE rather than a hung request. */
const REDIS_TIMEOUT_MS = 5000;

export const jobKeys = (id: string) => ({
  result: `convlens:job:${id}:result`,
  lines: `convlens:job:${id}:lines`,
  cancel: `convlens:job:${id}:cancel`,
  cancelled: `convlens:job:${id}:cancelled`,
  file: (i: number) => `convlens:job:${id}:file:${i}`,
});

/** Longest a Redis string may be (proto-max-bulk-len's default), so the most one file part may hold there. */
export const REDIS_STRING_MAX = 512 * 1024 * 1024;

/** The bytes a job's file parts may hold together on Redis: see the module's doc. */
export function jobFilesLimit(config: Pick<Config, 'JSON_BODY_LIMIT' | 'BODY_LIMIT'>): number {
  return 2 * Math.min(config.JSON_BODY_LIMIT, config.BODY_LIMIT);
}

/** A job's file parts stay this long past JOB_TTL_SECONDS after it is submitted, if nothing deletes them first (a worker that died running it twice). */
export const FILE_KEEP_MS = 7 * 24 * 3600_000;

type Logger = { warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

/**
 * An ioredis client that reports connection trouble to the log instead of throwing it at the
 * process. `patient`: commands wait for Redis however long it is away (a worker starting before
 * Redis); otherwise a command fails after two reconnection attempts (an API request).
 * `retryStrategy`: the wait before each reconnection (the worker's backoff, jobs/redis-link.ts);
 * ioredis's own otherwise. Without `log` its errors are the caller's to report.
 */
export function redisClient(url: string, log?: Logger, name = 'convlens', patient = false, retryStrategy?: (attempt: number) => number): Redis {
  const client = new Redis(url, { connectionName: name, maxRetriesPerRequest: patient ? null : 2, ...(retryStrategy && { retryStrategy }) });
  let last = 0;
  client.on('error', (err: Error) => {
    // at most one line every 10 s while Redis is away
    if (Date.now() - last > 10_000) log?.warn({ err: err.message }, 'redis connection error');
    last = Date.now();
  });
  return client;
}

/**
 * The promise, or QUEUE_UNAVAILABLE when Redis fails or does not answer in time. A command sent is
 * not taken back when the answer is late: `pending` (a change's) says what may still happen once
 * Redis answers and how to tell, in place of "retry later" (a DELETE answered 503 deleted the job
 * when Redis came back); `details` go with it (the id of a job that may yet be queued).
 */
export async function guard<T>(client: Redis, work: () => Promise<T>, pending?: { advice: string; details?: Record<string, unknown> }, extraMs = 0): Promise<T> {
  // a client already reconnecting has seen Redis go: answer now rather than after the timeout
  if (client.status === 'reconnecting' || client.status === 'end') {
    throw new ConvlensError('QUEUE_UNAVAILABLE', `the job queue (Redis) is unavailable (connection ${client.status}); retry later`);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${REDIS_TIMEOUT_MS + extraMs} ms`)), REDIS_TIMEOUT_MS + extraMs);
  });
  try {
    return await Promise.race([work(), timeout]);
  } catch (e) {
    if (e instanceof ConvlensError) throw e;
    throw new ConvlensError('QUEUE_UNAVAILABLE', `the job queue (Redis) is unavailable: ${(e as Error).message}; ${pending?.advice ?? 'retry later'}`, pending?.details ?? {});
  } finally {
    clearTimeout(timer);
  }
}

/** A BullMQ failedReason: the catalog error the worker stored, or what BullMQ says (a stalled worker). */
function failure(reason: string | undefined): SerializedError {
  try {
    const e = JSON.parse(reason ?? '') as SerializedError;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return e;
  } catch {
    // not ours
  }
  return { code: 'INTERNAL', message: `the job's worker failed: ${reason ?? 'no reason given'}` };
}

function stateOf(state: string, error: SerializedError | null): JobState | null {
  switch (state) {
    case 'waiting':
    case 'wait':
    case 'delayed':
    case 'prioritized':
      return 'queued';
    case 'active':
      return 'running';
    case 'completed':
      return 'done';
    case 'failed':
      return error?.code === 'JOB_CANCELLED' ? 'cancelled' : 'failed';
    default:
      return null;
  }
}

/**
 * `pool`: a large submission (submitJson) is checked and written as JSON in its large-JSON worker
 * (jobs/request.ts queuedJob); without it the caller parses it and submits the object.
 */
export function createRedisJobs(config: Config & { REDIS_URL: string }, log?: Logger, pool?: TaskPool): JobQueue & ReadyJobs {
  const ttlMs = config.JOB_TTL_SECONDS * 1000;
  const redis = redisClient(config.REDIS_URL, log, 'convlens-api');
  const queue = new JobsQueue(QUEUE_NAME, { connection: { url: config.REDIS_URL }, prefix: QUEUE_PREFIX });
  queue.on('error', (err: Error) => log?.warn({ err: err.message }, 'job queue error'));

  const viewOf = async (id: string): Promise<JobView | null> => {
    if (!JOB_ID.test(id)) return null;
    // the state first, then the job: a job read first could finish in between and look finished without its finishedOn
    const state = await queue.getJobState(id);
    const job = await Job.fromId<JobData>(queue, id);
    if (!job) {
      const cancelled = await redis.get(jobKeys(id).cancelled);
      return cancelled ? { head: JSON.parse(cancelled) as JobStatusHead } : null;
    }
    const error = job.failedReason === undefined || job.finishedOn === undefined ? null : failure(job.failedReason);
    const status = stateOf(state, error);
    if (status === null || !(JOB_KINDS as readonly string[]).includes(job.data?.kind)) return null;
    if (FINISHED.has(status) && (job.finishedOn ?? 0) + ttlMs <= Date.now()) return null;
    const p = job.progress as { done?: unknown; total?: unknown } | number;
    const progress =
      typeof p === 'object' && typeof p.done === 'number' && typeof p.total === 'number'
        ? { done: p.done, total: p.total }
        : job.data.total === null
          ? null
          : { done: 0, total: job.data.total };
    const h = head({
      id,
      kind: job.data.kind,
      status,
      createdAt: job.timestamp,
      startedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? null,
      ttlSeconds: config.JOB_TTL_SECONDS,
      progress,
      ...(status === 'failed' || status === 'cancelled' ? { error: error! } : {}),
    });
    if (status !== 'done') return { head: h };
    const result = await redis.getBuffer(jobKeys(id).result);
    return result === null ? null : { head: h, result };
  };

  const fileKeys = (id: string, job: Job<JobData> | undefined) => (job?.data?.files ?? []).map((_, i) => jobKeys(id).file(i));
  const forget = async (id: string, job: Job<JobData> | undefined) => {
    const k = jobKeys(id);
    const files = fileKeys(id, job);
    await job?.remove();
    await redis.del(k.result, k.lines, k.cancel, k.cancelled, ...files);
  };

  /** A form's file parts into Redis (bounded: jobFilesLimit); their names for the job's data. */
  const storeFiles = async (id: string, form: JobFiles | undefined): Promise<Pick<JobData, 'files' | 'fileNames'>> => {
    const parts = [...(form?.files ?? [])];
    if (parts.length === 0) return {};
    const limit = jobFilesLimit(config);
    const bytes = parts.reduce((n, [, b]) => n + b.byteLength, 0);
    const largest = parts.reduce((a, b) => (b[1].byteLength > a[1].byteLength ? b : a));
    if (bytes > limit || largest[1].byteLength > REDIS_STRING_MAX) {
      const [what, max, why] = bytes > limit ? ["this job's file parts hold", limit, 'the most a job queued on Redis may hold (2 × JSON_BODY_LIMIT: a `convlens worker` is sized to hold one such job per thread)'] : [`file part '${largest[0]}' holds`, REDIS_STRING_MAX, 'the longest string Redis stores'];
      throw new ConvlensError('PAYLOAD_TOO_LARGE', `${what} ${bytes > limit ? bytes : largest[1].byteLength} bytes, more than the ${max} bytes of ${why}; send it to the synchronous route`, { path: bytes > limit ? 'body' : largest[0], limit: max });
    }
    const k = jobKeys(id);
    // about 10 MB a second on a slow link, past the usual 5 s
    await guard(
      redis,
      async () => {
        const multi = redis.multi();
        parts.forEach(([, b], i) => multi.set(k.file(i), Buffer.from(b.buffer, b.byteOffset, b.byteLength), 'PX', ttlMs + FILE_KEEP_MS));
        // a command refused inside the transaction (Redis out of memory) is in its answer, not thrown
        const refused = (await multi.exec())?.find(([e]) => e);
        if (refused) throw refused[0];
      },
      undefined,
      Math.ceil(bytes / 10_000),
    );
    const names = form?.fileNames ?? new Map<string, string>();
    return { files: parts.map(([name]) => name), fileNames: Object.fromEntries(parts.filter(([name]) => names.has(name)).map(([name]) => [name, names.get(name)!])) };
  };

  const limits = { maxElements: config.MAX_TENSOR_ELEMENTS, batchMax: config.JOB_BATCH_MAX };

  /** Queues a checked job: `body` the request, or its JSON's bytes (written in a worker), as the job's data holds it. */
  const enqueue = async (kind: JobKind, total: number | null, body: Record<string, unknown> | Uint8Array, form: JobFiles | undefined): Promise<JobView> => {
    const counts = await guard(redis, () => queue.getJobCounts('waiting', 'prioritized', 'delayed'));
    const waiting = Object.values(counts).reduce((a, b) => a + b, 0);
    if (waiting >= config.JOB_MAX_PENDING) throw new ConvlensError('OVERLOADED', `${waiting} jobs are waiting (JOB_MAX_PENDING); retry later`);
    const id = randomUUID();
    const createdAt = Date.now();
    // the files first: a worker that takes the job at once finds them
    const files = await storeFiles(id, form);
    // as JSON.stringify writes { kind, body, total, files, fileNames }, the body's JSON put in as it is
    const data: JobData = body instanceof Uint8Array ? dataAsBytes(kind, body, { total, ...files }) : { kind, body, total, ...files };
    await guard(
      redis,
      () =>
        queue.add(kind, data, {
          jobId: id,
          timestamp: createdAt,
          attempts: 1,
          removeOnComplete: { age: config.JOB_TTL_SECONDS },
          removeOnFail: { age: config.JOB_TTL_SECONDS },
        }),
      { advice: `the job may still be queued once it answers, as ${id}: GET /v1/jobs/${id} tells, before you submit it again`, details: { job: id } },
    );
    return { head: head({ id, kind, status: 'queued', createdAt, ttlSeconds: config.JOB_TTL_SECONDS, progress: total === null ? null : { done: 0, total } }) };
  };

  /**
   * A submission over OFFLOAD_JSON_BYTES: parsed, checked and written as JSON in the pool's large-JSON
   * worker, only its text coming back. Parsed there and cloned back, then checked (its tensors
   * decoded) and written by BullMQ here, an 18.8 MB run job held GET /healthz for 2.6 s at p99 (4
   * clients), and Redis calls timed out behind it. Its file parts are moved there and back with the
   * job (QueuedJob.files), not copied here: the caller's buffers are the worker's from then on.
   */
  const submitJson = async (json: Uint8Array | string, where: 'body' | 'request', form?: JobFiles): Promise<JobView> => {
    const job = (await prepareJobOffloaded(pool!, json, where, { graphqlTokens: config.GRAPHQL_MAX_TOKENS, limits, queued: true, ...(form && { form }) })) as QueuedJob;
    return enqueue(job.kind, job.total, job.json, job.files && { files: job.files, ...(form?.fileNames && { fileNames: form.fileNames }) });
  };

  return {
    backend: 'redis',
    async submit(body, form) {
      const job = prepareJob(body, limits, form);
      return enqueue(job.kind, job.kind === 'batch' ? job.items.length : null, body as Record<string, unknown>, form);
    },
    ...(pool && { submitJson }),
    // a large GraphQL body's submitJob: checked and written as JSON in the worker that parsed the body (http/graphql/prepare.ts)
    readies: { limits, queued: true },
    async submitReady(ready: ReadyJob) {
      if ('refused' in ready) throw fromSerialized(ready.refused);
      const job = ready as QueuedJob;
      return enqueue(job.kind, job.total, job.json, undefined);
    },
    get: (id) => guard(redis, () => viewOf(id)),
    async cancel(id) {
      const pending = { advice: `the cancellation may still take effect once it answers: GET /v1/jobs/${id} tells, before you send it again` };
      return guard(redis, async () => {
        const before = await viewOf(id);
        if (!before) return null;
        const job = await Job.fromId<JobData>(queue, id);
        if (FINISHED.has(before.head.status)) {
          await forget(id, job);
          return before;
        }
        const k = jobKeys(id);
        await redis.set(k.cancel, '1', 'PX', ttlMs + 24 * 3600_000);
        await redis.publish(CANCEL_CHANNEL, id);
        if (job && before.head.status === 'queued') {
          try {
            await job.remove();
            if (job.data?.files?.length) await redis.del(...fileKeys(id, job));
            const h = head({
              id,
              kind: before.head.kind,
              status: 'cancelled',
              createdAt: job.timestamp,
              finishedAt: Date.now(),
              ttlSeconds: config.JOB_TTL_SECONDS,
              progress: before.head.progress,
              error: cancelledError().toJSON(),
            });
            await redis.set(k.cancelled, JSON.stringify(h), 'PX', ttlMs);
            return { head: h };
          } catch {
            // a worker took it meanwhile: it sees the flag, or the message, and stops
          }
        }
        // running: the worker answers the message at once; wait for it to say so
        for (let i = 0; i < 25; i++) {
          const now = await viewOf(id);
          if (!now) return now;
          if (FINISHED.has(now.head.status)) {
            // it finished before it saw the message (done or failed): the DELETE deletes it, as of
            // a finished job, rather than answer its result and keep it
            if (now.head.status !== 'cancelled') await forget(id, await Job.fromId<JobData>(queue, id));
            return now;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        return viewOf(id);
      }, pending);
    },
    async *lines(id, signal) {
      const k = jobKeys(id);
      let next = 0;
      let first = true;
      // once a line is out the answer is a 200 under way: Redis failing then is the stream's last line, not a cut connection
      const read = async <T>(work: () => Promise<T>): Promise<T | ConvlensError> => {
        try {
          return await guard(redis, work);
        } catch (e) {
          if (first || !(e instanceof ConvlensError) || e.code !== 'QUEUE_UNAVAILABLE') throw e;
          return new ConvlensError(e.code, `${e.message.replace(/; retry later$/, '')}; the ${next} lines before this one are all that could be sent: read the results again`, { linesSent: next });
        }
      };
      while (!signal.aborted) {
        const v = await read(() => viewOf(id));
        if (v instanceof ConvlensError) {
          yield JSON.stringify({ error: v.toJSON() });
          return;
        }
        if (!v) {
          if (first) throw new ConvlensError('JOB_NOT_FOUND', `no job ${id}; it may have expired (JOB_TTL_SECONDS)`, { path: 'id' });
          // deleted (or expired) while read: its lines went with it, so the last line says the
          // stream is incomplete rather than ending as a finished one does
          const gone = new ConvlensError('JOB_NOT_FOUND', `job ${id} was deleted (or expired) while its results were read; the ${next} lines before this one are all that could be sent`, { path: 'id', linesSent: next });
          yield JSON.stringify({ error: gone.toJSON() });
          return;
        }
        first = false;
        const got = await read(() => redis.lrange(k.lines, next, next + 99));
        if (got instanceof ConvlensError) {
          yield JSON.stringify({ error: got.toJSON() });
          return;
        }
        for (const line of got) yield line;
        next += got.length;
        if (got.length === 100) continue;
        if (FINISHED.has(v.head.status)) {
          if (v.head.kind !== 'batch' && v.result !== undefined) yield v.result;
          else if (v.head.error) yield JSON.stringify({ error: v.head.error });
          return;
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, POLL_MS);
          signal.addEventListener('abort', done, { once: true });
        });
      }
    },
    async counts() {
      const c = await guard(redis, () => queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'));
      return { queued: c.waiting + c.prioritized + c.delayed, running: c.active };
    },
    async close() {
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
