/**
 * Jobs: long work (an analysis, a run, a batch of analyses) submitted now and read later. The
 * wire form of a job's status, shared by REST (http/jobs.ts), GraphQL (jobs/graphql.ts), both
 * queues (jobs/memory.ts in-process, jobs/redis.ts on BullMQ) and the OpenAPI document.
 */
import { z } from 'zod';
import { ERROR_CATALOG } from '../errors.js';
import type { ErrorCode, SerializedError } from '../errors.js';

export const JOB_KINDS = ['analyze', 'run', 'batch'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** queued → running → done | failed; cancelled from queued or running (DELETE). */
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const FINISHED: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled']);

/** Job ids are UUIDs (crypto.randomUUID); anything else is not a job, without asking the store. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A job id as the stores hold it: a UUID in upper case too (RFC 4122 reads its hex digits in either case) in lower case, as randomUUID writes it; anything else as given. */
export const jobId = (id: string): string => (JOB_ID.test(id.toLowerCase()) ? id.toLowerCase() : id);

const Time = z.string().describe('an ISO 8601 UTC time');

const JobError = z
  .looseObject({
    code: z.enum(Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]]).describe('a stable code from the error catalog'),
    message: z.string(),
  })
  .describe("why the job failed: the same error the synchronous route would have answered (JOB_CANCELLED when cancelled)");

/** A batch's result: counts; its per-model lines are at GET /v1/jobs/{id}/results. */
export const BatchSummary = z
  .strictObject({
    models: z.number().int().describe('models in the batch'),
    reports: z.number().int().describe('models analysed'),
    errors: z.number().int().describe('models that failed (each one has an error line in the results)'),
  })
  .describe("a batch job's result: its per-model reports are streamed by GET /v1/jobs/{id}/results");

/** The status without its result (which may be large and is kept as JSON text). */
export const JobStatusHead = z.strictObject({
  id: z.string().regex(JOB_ID).describe('the job id (a UUID)'),
  kind: z.enum(JOB_KINDS).describe('what was submitted'),
  status: z.enum(JOB_STATES).describe('queued, running, done, failed or cancelled'),
  createdAt: Time.describe('when it was submitted'),
  startedAt: Time.nullable().describe('when a worker started it'),
  finishedAt: Time.nullable().describe('when it finished (done, failed or cancelled)'),
  expiresAt: Time.nullable().describe('when its status and results are forgotten: finishedAt + JOB_TTL_SECONDS'),
  progress: z
    .strictObject({ done: z.number().int(), total: z.number().int() })
    .nullable()
    .describe("models of the batch whose result lines are out, the lines GET links.results streams (a model done before one ahead of it counts once that one is done); batch jobs only, null for the others"),
  error: JobError.optional(),
  links: z.strictObject({ self: z.string(), results: z.string() }).describe('this status, and the results as NDJSON'),
});
export type JobStatusHead = z.output<typeof JobStatusHead>;

/** A status as the stores hand it over: the head, and the result as JSON when done. */
export interface JobView {
  head: JobStatusHead;
  /**
   * The result (a report, a run response, a batch summary) when the job is done, as its UTF-8 JSON
   * bytes: written once (an analysis's in its worker), then sent as they are. Kept as a string, each
   * read measured and encoded it again on the event loop (a 31 MB report: 0.5–1.7 s of /healthz stalled a read).
   */
  result?: Buffer;
}

/** The status as JSON, in pieces to write one after another: the result spliced in as its bytes, not parsed nor copied. */
export function statusJson(view: JobView): Buffer[] {
  const head = JSON.stringify(view.head);
  return view.result === undefined ? [Buffer.from(head)] : [Buffer.from(`${head.slice(0, -1)},"result":`), view.result, Buffer.from('}')];
}

export function links(id: string): JobStatusHead['links'] {
  return { self: `/v1/jobs/${id}`, results: `/v1/jobs/${id}/results` };
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** The head from a store's timestamps (milliseconds since the epoch). */
export function head(f: {
  id: string;
  kind: JobKind;
  status: JobState;
  createdAt: number;
  startedAt?: number | null;
  finishedAt?: number | null;
  ttlSeconds: number;
  progress?: { done: number; total: number } | null;
  error?: SerializedError;
}): JobStatusHead {
  const finished = FINISHED.has(f.status) ? (f.finishedAt ?? null) : null;
  return {
    id: f.id,
    kind: f.kind,
    status: f.status,
    createdAt: iso(f.createdAt)!,
    startedAt: iso(f.startedAt),
    finishedAt: iso(finished),
    expiresAt: finished === null ? null : iso(finished + f.ttlSeconds * 1000),
    progress: f.progress ?? null,
    ...(f.error ? { error: f.error } : {}),
    links: links(f.id),
  };
}

/** A multipart request's file parts by name, and the filenames the client gave them (http/form.ts Form): jobs/request.ts reads them. */
export interface JobFiles {
  files: ReadonlyMap<string, Uint8Array>;
  fileNames?: ReadonlyMap<string, string>;
}

/**
 * What REST and GraphQL use, whichever store is behind it. `submit` validates the request as the
 * synchronous route would (a 4xx ConvlensError before anything is queued); `get` and `cancel`
 * answer null for an unknown or expired job, and throw JOB_EVICTED (410) for one the in-process
 * store forgot for room before its expiresAt; `lines` throws what `get` would.
 */
export interface JobQueue {
  readonly backend: 'memory' | 'redis';
  /** `form`: a multipart request's file parts (POST /v1/jobs as multipart/form-data; `body` is its `request` field). */
  submit(body: unknown, form?: JobFiles): Promise<JobView>;
  get(id: string): Promise<JobView | null>;
  /** Cancels a queued or running job; forgets a finished one (its status as it was is answered). */
  cancel(id: string): Promise<JobView | null>;
  /**
   * The result lines (NDJSON text or its UTF-8 bytes, no newline), in order, as they are produced; ends when the job
   * has finished and every line has been given, or when `signal` aborts. Throws JOB_NOT_FOUND; a
   * job deleted (or expired) while read, whose lines are gone, ends with a JOB_NOT_FOUND error line.
   */
  lines(id: string, signal: AbortSignal): AsyncGenerator<string | Buffer>;
  /**
   * A submission's JSON over OFFLOAD_JSON_BYTES (http/body.ts RawJson: a body's bytes, or a form's
   * `request` field with the form's file parts), submitted without parsing it on the event loop
   * (jobs/index.ts: parsed, and in-process prepared too, in a worker of the pool), with the errors
   * `submit` would answer.
   */
  submitJson?(json: Uint8Array | string, where: 'body' | 'request', form?: JobFiles): Promise<JobView>;
  /** Jobs waiting and running (metrics). */
  counts(): Promise<{ queued: number; running: number }>;
  close(): Promise<void>;
}
