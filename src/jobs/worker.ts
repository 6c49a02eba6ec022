/**
 * `convlens worker`: consumes the BullMQ queue on REDIS_URL with a worker pool of WORKERS threads,
 * the same task code as the API (jobs/runner.ts over runtime/pool.ts), as many jobs at once as it
 * has threads. Scale by running more of them. A job's request is prepared again here (the API
 * stored its JSON); results go to the keys jobs/redis.ts reads. DELETE on a running job reaches the
 * worker holding it through CANCEL_CHANNEL (and a flag checked before it starts).
 *
 * close() stops taking jobs and waits for the running ones (BullMQ Worker.close), so a rolling
 * update loses nothing; a worker killed outright leaves its jobs to BullMQ's stalled-job check,
 * which hands them to another worker once. A worker whose job was handed over so while it still ran
 * it (cut from Redis past BullMQ's 30 s lock) writes nothing more of it (jobs/redis-owned.ts).
 */
import { constants } from 'node:buffer';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { Config } from '../config.js';
import { ConvlensError } from '../errors.js';
import type { TaskPool } from '../runtime/pool.js';
import { workerCount } from '../config.js';
import { requestBudgetBytes } from '../http/admission.js';
import { MemoryBudget } from '../memory-budget.js';
import { prepareJob } from './request.js';
import { CANCEL_CHANNEL, QUEUE_NAME, QUEUE_PREFIX, jobKeys, redisClient } from './redis.js';
import { isConnectionError, redisLink, redisWhere, retryDelay as linkRetryDelay } from './redis-link.js';
import type { RedisLink } from './redis-link.js';
import { LockLost, ownedWrites } from './redis-owned.js';
import { progressWriter } from './progress-writer.js';
import type { JobData } from './redis-data.js';
import type { JobFiles } from './types.js';
import type { Redis } from 'ioredis';
import { cancelledError, executeJob, jobError } from './runner.js';

type Logger = { info(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void; error(obj: unknown, msg: string): void };

/** A multipart submission's file parts, from the keys the API stored them in (jobs/redis.ts). */
async function jobFiles(redis: Redis, id: string, data: JobData): Promise<JobFiles | undefined> {
  if (!data.files?.length) return undefined;
  const files = new Map<string, Uint8Array>();
  for (const [i, name] of data.files.entries()) {
    const bytes = await redis.getBuffer(jobKeys(id).file(i));
    if (bytes === null) {
      throw new ConvlensError('INTERNAL', `the job's file part '${name}' is no longer in Redis (a job's files are kept JOB_TTL_SECONDS and 7 days after it is submitted, unless Redis lost them): submit it again`, { path: name });
    }
    files.set(name, bytes);
  }
  return { files, fileNames: new Map(Object.entries(data.fileNames ?? {})) };
}

export interface JobWorker {
  readonly worker: Worker<JobData>;
  /** Its link to Redis: the aggregate state and each connection's (jobs/redis-link.ts). */
  readonly link: Pick<RedisLink, 'state' | 'connections'>;
  /**
   * Stops taking jobs, waits for the running ones, disconnects: true. False when Redis could not be
   * reached for STOP_UNREACHABLE_MS meanwhile: it stopped without Redis, and BullMQ's connections may
   * still hold the event loop (its close, once begun, cannot be forced), so the process must exit.
   */
  close(): Promise<boolean>;
}

/** How long a worker stopped before it was ready waits for BullMQ to let go before it disconnects anyway. */
const STOP_UNREADY_MS = 2000;

/**
 * How long a closing worker waits while Redis cannot be reached before it stops anyway. Its close
 * needs Redis (BullMQ hands running jobs back and closes its connections through it; commands wait
 * for a connection for ever): with Redis gone it never ended, and a worker orphaned by a test's
 * SIGKILL, whose Redis had stopped, waited in its close for over an hour. Nothing it holds can
 * reach Redis then; a job it was running is handed to another worker as stalled once Redis is back.
 */
export const STOP_UNREACHABLE_MS = 5000;

/** Resolves once `redis` has not been ready for `ms` in a row (polled every 250 ms); `cancel` stops the polling. */
function unreachableFor(redis: Redis, ms: number): { gone: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((resolve) => {
    let since: number | null = null;
    timer = setInterval(() => {
      if (redis.status === 'ready') since = null;
      else if (since === null) since = performance.now();
      else if (performance.now() - since >= ms) resolve();
    }, 250);
  });
  return { gone, cancel: () => clearInterval(timer) };
}

export interface JobWorkerOptions {
  /** The wait before each reconnection attempt of every connection (jobs/redis-link.ts retryDelay); tests shorten it. */
  retryDelay?: (attempt: number) => number;
}

/**
 * The BullMQ consumer, once it is ready; null when `stopping` settles first (a signal while Redis
 * cannot be reached: the process must still stop, not wait for a connection that may never come).
 */
export async function startJobWorker(config: Config, pool: TaskPool, log: Logger, stopping: Promise<unknown> = new Promise(() => undefined), options: JobWorkerOptions = {}): Promise<JobWorker | null> {
  const url = config.REDIS_URL;
  if (!url) throw new ConvlensError('INVALID_OPTION', 'convlens worker needs REDIS_URL (redis://host:6379): it consumes the job queue there', { path: 'REDIS_URL' });
  const ttlMs = config.JOB_TTL_SECONDS * 1000;
  const retryDelay = options.retryDelay ?? linkRetryDelay;
  // every connection retries with a capped exponential backoff, and the log says when the link changes, not at each attempt (jobs/redis-link.ts)
  const link = redisLink(log, redisWhere(url));
  const redis = redisClient(url, undefined, 'convlens-worker', true, retryDelay);
  const subscriber = redisClient(url, undefined, 'convlens-worker-cancel', true, retryDelay);
  link.watch(redis, 'convlens-worker');
  link.watch(subscriber, 'convlens-worker-cancel');
  const limits = { maxElements: config.MAX_TENSOR_ELEMENTS, batchMax: config.JOB_BATCH_MAX };
  // this process's memory budget, less its workers' model caches, as the API's requests have theirs
  const budget = new MemoryBudget(requestBudgetBytes(config, workerCount(config)));

  /** The jobs this worker runs: their cancel flags are read again when the cancel subscriber is back. */
  const running = new Set<string>();
  // three parameters: BullMQ passes the abort signal only to a processor that declares it
  const processor = async (job: Job<JobData>, token: string | undefined, signal: AbortSignal | undefined): Promise<{ bytes: number }> => {
    const id = job.id!;
    const keys = jobKeys(id);
    const started = performance.now();
    // its lines, result and the files' deletion only while the job's lock is this run's (jobs/redis-owned.ts)
    const owned = ownedWrites(redis, id, `${worker.toKey(id)}:lock`, token ?? '');
    // best-effort, never waited for: a Redis away holds or drops it, not the batch (jobs/progress-writer.ts)
    const progress = progressWriter(
      (p: { done: number; total: number }) => job.updateProgress(p),
      (err, p) => log.warn({ err: (err as Error).message, job: id, progress: p }, 'a progress update failed (dropped: the next one or the result tells)'),
    );
    running.add(id);
    try {
      if (await redis.exists(keys.cancel)) throw cancelledError();
      // a job handed over from a worker that stopped starts again from its first line (the lines come out the same)
      await redis.del(keys.lines);
      const prepared = prepareJob(job.data.body, limits, await jobFiles(redis, id, job.data));
      const result = await executeJob(prepared, {
        pool,
        budget,
        signal: signal ?? new AbortController().signal,
        log,
        // Redis keeps strings up to 512 MB (proto-max-bulk-len), V8 a little less
        maxResultBytes: Math.min(constants.MAX_STRING_LENGTH, 512 * 1024 * 1024),
        line: (text) => owned.line(keys.lines, text, ttlMs + 24 * 3600_000),
        progress: (done, total) => progress.set({ done, total }),
      });
      // the status of a finished batch reads its last progress
      await progress.flush();
      await owned.result(keys.result, result, ttlMs);
      log.info({ job: id, kind: job.data.kind, seconds: (performance.now() - started) / 1000 }, 'job done');
      return { bytes: result.byteLength };
    } catch (e) {
      if (e instanceof LockLost) {
        // the other run writes what this one would have: stop the rest of it (a batch's other models),
        // and its progress, which BullMQ writes without looking at the lock
        progress.stop();
        worker.cancelJob(id, 'lock lost');
        log.warn({ job: id }, "the job's lock is another worker's (BullMQ handed it over as stalled): stopped it, writing nothing more");
        throw e;
      }
      if (!(e instanceof ConvlensError)) log.error({ err: e, job: id }, 'job failed');
      // the failedReason BullMQ keeps is the catalog error, as JSON (jobs/redis.ts reads it back)
      throw new Error(JSON.stringify(jobError(e)));
    } finally {
      running.delete(id);
      // a batch that stopped: its last update written (or dropped) before the job ends, not after
      await progress.flush();
      // its files are read (and the job will not run again: a processor that ends is the job's last attempt),
      // unless its lock is another run's, which reads them
      await owned.end(keys.lines, ttlMs, (job.data.files ?? []).map((_, i) => keys.file(i))).catch(() => undefined);
    }
  };

  const worker = new Worker<JobData>(QUEUE_NAME, processor, {
    // its commands (lock renewals, a job's completion) wait for Redis however long it is away, as the
    // worker's own do: ioredis's default gave up after 20 reconnection attempts, 7.5 min of the backoff
    connection: { url, retryStrategy: retryDelay, maxRetriesPerRequest: null, connectionName: 'convlens-worker-bullmq' },
    prefix: QUEUE_PREFIX,
    concurrency: Math.max(1, pool.threads),
    // a job whose worker died is handed to another worker once, then failed
    maxStalledCount: 1,
  });
  // BullMQ's two connections are the link's too, each followed on its own (their other errors reach the worker's `error`)
  const backend = worker.getBackend();
  link.watch(backend.connection, 'bullmq', true);
  if (backend.blockingConnection) link.watch(backend.blockingConnection, 'bullmq-blocking', true);
  // a connection error here is one of those connections' (or its command's, which they report): the link's, one line per change
  worker.on('error', (err: Error) => (isConnectionError(err) ? undefined : log.warn({ err: err.message }, 'job worker error')));

  // a failed job's file parts go with it, whoever failed it, and its lines expire with it. A job that
  // stalled past maxStalledCount (its workers died, or lost its lock, twice) is failed by the next
  // worker to take it without running the processor, whose end does both: its files stayed in Redis
  // for JOB_TTL_SECONDS and 7 days. The processor's own failures come here too, done already: a DEL of none
  worker.on('failed', (job: Job<JobData> | undefined) => {
    const id = job?.id;
    if (id === undefined) return;
    const keys = jobKeys(id);
    const files = (job!.data?.files ?? []).map((_, i) => keys.file(i));
    const multi = redis.multi().pexpire(keys.lines, ttlMs);
    if (files.length > 0) multi.del(...files);
    multi.exec().catch((err: Error) => log.warn({ err: err.message, job: id }, "deleting a failed job's file parts failed (they expire JOB_TTL_SECONDS and 7 days after its submission)"));
  });
  // BullMQ's lock renewal found a job's lock another worker's: stopped at once, rather than at its next write
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) if (worker.cancelJob(id, 'lock lost')) log.warn({ job: id }, "the job's lock is another worker's (BullMQ handed it over as stalled): stopped it, writing nothing more");
  });
  const cancel = (id: string) => {
    if (worker.cancelJob(id, 'DELETE /v1/jobs/{id}')) log.info({ job: id }, 'job cancelled');
  };
  subscriber.on('message', (_channel: string, id: string) => cancel(id));
  // a DELETE published while the subscriber was away is lost (pub/sub keeps nothing): once subscribed
  // again (ioredis resubscribes after its `ready`; a SUBSCRIBE answered after that one), the running
  // jobs' flags say. Before, such a job ran on to done and its DELETE answered it running.
  subscriber.on('ready', () => {
    if (running.size === 0) return;
    void (async () => {
      await subscriber.subscribe(CANCEL_CHANNEL);
      for (const id of [...running]) if (await redis.exists(jobKeys(id).cancel)) cancel(id);
    })().catch((err: Error) => log.warn({ err: err.message }, 'reading the cancel flags of the running jobs failed'));
  });
  const ready = (async () => {
    await subscriber.subscribe(CANCEL_CHANNEL);
    await worker.waitUntilReady();
    return true;
  })();
  // Redis not reached within WORKER_REDIS_WAIT_MS of the start (0: no limit) ends the wait too
  let waitTimer: NodeJS.Timeout | undefined;
  const waitMs = config.WORKER_REDIS_WAIT_MS;
  const gaveUp = waitMs > 0 ? new Promise<'gave up'>((resolve) => (waitTimer = setTimeout(() => resolve('gave up'), waitMs))) : new Promise<never>(() => undefined);
  const started = await Promise.race([ready, stopping.then(() => 'stopped' as const), gaveUp]).finally(() => clearTimeout(waitTimer));
  if (started !== true) {
    ready.catch(() => undefined);
    // nothing runs yet: let BullMQ go (bounded, it may be waiting on a connection) and disconnect
    await Promise.race([worker.close(true).catch(() => undefined), new Promise((r) => setTimeout(r, STOP_UNREADY_MS).unref())]);
    subscriber.disconnect();
    redis.disconnect();
    if (started === 'gave up') {
      throw new ConvlensError('QUEUE_UNAVAILABLE', `Redis at ${redisWhere(url)} could not be reached in ${waitMs / 1000} s (WORKER_REDIS_WAIT_MS; 0 waits for ever): exiting for the orchestrator to restart the worker`, { path: 'REDIS_URL' });
    }
    return null;
  }
  log.info({ queue: `${QUEUE_PREFIX}:${QUEUE_NAME}`, concurrency: worker.opts.concurrency }, 'convlens worker ready');

  return {
    worker,
    link,
    async close() {
      const orderly = (async () => {
        await worker.close();
        await subscriber.quit().catch(() => subscriber.disconnect());
        await redis.quit().catch(() => redis.disconnect());
      })();
      const unreachable = unreachableFor(redis, STOP_UNREACHABLE_MS);
      try {
        if (await Promise.race([orderly.then(() => true), unreachable.gone.then(() => false)])) return true;
      } finally {
        unreachable.cancel();
      }
      orderly.catch(() => undefined);
      log.warn({ waitedMs: STOP_UNREACHABLE_MS }, 'closing: Redis cannot be reached, stopping without it (a running job is handed to another worker once Redis is back)');
      // BullMQ's close, begun above, is the one a forced close would wait for: disconnect its connections, bounded
      await Promise.race([worker.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, STOP_UNREADY_MS).unref())]);
      subscriber.disconnect();
      redis.disconnect();
      return false;
    },
  };
}
