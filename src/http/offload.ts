/**
 * Large JSON requests (body.ts RawJson) are parsed, checked and decoded in a worker rather than on
 * the event loop: this is what the event loop sends (offload-worker.ts reads it). Operators and
 * fold-batchnorm come back decoded (tensors moved, not copied) and run as usual; runs and analyses
 * run in the same worker, so a large spec never crosses threads as objects.
 */
import type { RouteShorthandOptions } from 'fastify';
import type { TaskPool } from '../runtime/pool.js';
import { RUNNING_TS } from '../paths.js';
import type { AnalyzeTask, CompareTask, RunTask, SweepTask } from '../runtime/tasks.js';
import type { ReportFormat } from './formats.js';
import type { Encoding, TensorPreference } from './tensors.js';
import type { JobFiles } from '../jobs/types.js';

/** jobs/request.ts PrepareLimits (not imported: jobs/request.ts reaches this module through compute.ts). */
type PrepareLimits = { maxElements: number; batchMax: number };

/**
 * Route options of the routes that run worker tasks for their answer: a large JSON body reaches them
 * unparsed (app.ts's JSON parser reads `offloadJson`), and a full queue refuses them before their
 * body is read (admission.ts reads `runsTasks`).
 */
export const OFFLOAD = { config: { offloadJson: true, runsTasks: true } } as RouteShorthandOptions & object;

/** The worker module, for TaskPool.run's `filename`. */
export const OFFLOAD_WORKER = new URL(RUNNING_TS ? './offload-worker-dev.mjs' : './offload-worker.js', import.meta.url).href;

interface RawRequest {
  /** The JSON: the body's bytes, or the text of a form's `request` field. */
  json: Uint8Array | string;
  where: 'body' | 'request';
  /** The form's file parts. */
  files: Map<string, Uint8Array>;
  maxElements: number;
}

export type OffloadTask =
  | { kind: 'analyze'; json: Uint8Array | string; query: Record<string, unknown>; format: ReportFormat }
  /** An analysis already read on the event loop (an ONNX upload, a small body), answered as its JSON bytes written here. */
  | { kind: 'report'; input: AnalyzeTask; /** A job's report (jobs/runner.ts): one too long for a string is JOB_RESULT_TOO_LARGE (jobs/run-result.ts), not RESPONSE_TOO_LARGE. */ maxResultBytes?: number }
  /** A comparison or sweep already read on the event loop, answered as its JSON bytes written here. */
  | { kind: 'compareReport'; input: CompareTask }
  | { kind: 'sweepReport'; input: SweepTask }
  /** A large GraphQL request's JSON: parsed here, its run, runOperator, foldBatchNorm, effectiveReceptiveField and submitJob requests built here (graphql/prepare.ts). */
  | { kind: 'graphql'; json: Uint8Array; graphqlTokens: number; maxElements: number; /** GRAPHQL_MAX_DOCUMENT_BYTES: a longer document is refused there, unparsed. */ maxDocumentBytes: number; /** How the job queue takes a submitJob's job (jobs/request.ts ReadyJobs): prepared, or checked and written as JSON (`queued`); without, submitJob is left to the resolver. */ jobs?: { limits: PrepareLimits; queued: boolean } }
  /**
   * A job submission's JSON (a large body, or a form's large `request` field): parsed here and, with
   * `limits`, prepared here too (jobs/request.ts prepareJob: checked, tensors and ONNX files decoded),
   * so that only the prepared job, its bytes moved, comes back (prepareJobOffloaded); without, the parsed request.
   */
  | { kind: 'job'; json: Uint8Array | string; where: 'body' | 'request'; graphqlTokens?: number; limits?: PrepareLimits; files?: Map<string, Uint8Array>; fileNames?: Map<string, string>; /** With `limits`: a jobs/request.ts QueuedJob (validated, the request as JSON bytes) rather than the prepared job. */ queued?: boolean }
  /** A run job (jobs/runner.ts): run here and answered as its JSON bytes written here (jobs/run-result.ts), within `maxResultBytes`. */
  | { kind: 'runReport'; input: RunTask; encoding: Encoding; maxResultBytes: number }
  | ({ kind: 'compare' | 'sweep'; shapes: Record<string, number[]>; /** The file parts' filenames (a comparison's title names them). */ fileNames?: Map<string, string>; markdown: boolean; /** The answer as its JSON bytes, written here (format json). */ asJson?: boolean } & Omit<RawRequest, 'maxElements'>)
  | ({ kind: 'operator'; name: string; /** Accept's choice when the body names no format (formats.ts acceptedTensorFormat). */ preference?: TensorPreference } & RawRequest)
  | ({ kind: 'run'; /** MAX_RESPONSE_BYTES and the Accept header: the answer the run is for (compute.ts restAnswer). */ maxResponseBytes?: number; accept?: string; preference?: TensorPreference } & RawRequest)
  | ({ kind: 'fold' } & RawRequest);

/**
 * A large GraphQL request parsed in a worker, its tensor-decoding root fields' requests built there
 * (http/graphql/prepare.ts prepareGraphql: a PreparedRequest), their tensors moved back, not cloned.
 */
export function prepareGraphqlOffloaded<T>(pool: TaskPool, json: Uint8Array, graphqlTokens: number, maxElements: number, jobs: { limits: PrepareLimits; queued: boolean } | undefined, maxDocumentBytes: number): Promise<T> {
  const bytes = own(json);
  const task: OffloadTask = { kind: 'graphql', json: bytes, graphqlTokens, maxElements, maxDocumentBytes, ...(jobs && { jobs }) };
  return pool.run<T>('analyze', task, [bytes.buffer as ArrayBuffer], { filename: OFFLOAD_WORKER, metric: 'parse' });
}

/** Bytes that may be moved to a worker: a slice of a shared allocation, or of a SharedArrayBuffer, copied out. */
function own(json: Uint8Array): Uint8Array {
  return json.byteOffset === 0 && json.byteLength === json.buffer.byteLength && !(json.buffer instanceof SharedArrayBuffer) ? json : new Uint8Array(json);
}

/**
 * A job submission's JSON (`where`: the body, or a form's `request` field, with the form's files)
 * parsed in a worker and, given `limits`, prepared there (jobs/request.ts prepareJob), with the
 * errors doing so on the event loop would answer. Only the prepared job comes back, its tensors
 * and ONNX files moved, not cloned: parsed there and cloned back as objects, a 26 MB run job of
 * 1.5 M numbers then decoded on the event loop held GET /healthz for 280–720 ms.
 * With `limits`, a jobs/request.ts PreparedJob; without, the parsed request (a Redis queue keeps it as JSON; POST /v1/erf's large body or field),
 * cloned back.
 */
export function prepareJobOffloaded(pool: TaskPool, json: Uint8Array | string, where: 'body' | 'request', opts: { graphqlTokens?: number; limits?: PrepareLimits; form?: JobFiles; queued?: boolean }): Promise<unknown> {
  const text = typeof json === 'string' ? json : own(json);
  const transfer: ArrayBuffer[] = typeof text === 'string' ? [] : [text.buffer as ArrayBuffer];
  let files: Map<string, Uint8Array> | undefined;
  if (opts.form && opts.form.files.size > 0) {
    // the file parts go with it, moved (they come back moved, in the prepared job)
    files = new Map();
    for (const [name, bytes] of opts.form.files) {
      const mine = bytes.buffer instanceof SharedArrayBuffer || transfer.includes(bytes.buffer as ArrayBuffer) ? new Uint8Array(bytes) : bytes;
      files.set(name, mine);
      transfer.push(mine.buffer as ArrayBuffer);
    }
  }
  const task: OffloadTask = {
    kind: 'job',
    json: text,
    where,
    ...(opts.graphqlTokens !== undefined && { graphqlTokens: opts.graphqlTokens }),
    ...(opts.limits && { limits: opts.limits }),
    ...(opts.queued && { queued: true }),
    ...(files && { files }),
    ...(opts.form?.fileNames && { fileNames: new Map(opts.form.fileNames) }),
  };
  return pool.run<unknown>('analyze', task, transfer, { filename: OFFLOAD_WORKER, metric: 'parse' });
}
