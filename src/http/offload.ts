/**
 * Large JSON requests (body.ts RawJson) are parsed, checked and decoded in a worker rather than on
 * the event loop: this is what the event loop sends (offload-worker.ts reads it). Operators and
 * fold-batchnorm come back decoded (tensors moved, not copied) and run as usual; runs and analyses
 * run in the same worker, so a large spec never crosses threads as objects.
 */
import type { RouteShorthandOptions } from 'fastify';
import { RUNNING_TS } from '../paths.js';
import type { AnalyzeTask, CompareTask, RunTask, SweepTask } from '../runtime/tasks.js';
import type { ReportFormat } from './formats.js';
import type { Encoding, TensorPreference } from './tensors.js';

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
  | { kind: 'report'; input: AnalyzeTask }
  /** A comparison or sweep already read on the event loop, answered as its JSON bytes written here. */
  | { kind: 'compareReport'; input: CompareTask }
  | { kind: 'sweepReport'; input: SweepTask }
  /** A large job submission's JSON (POST /v1/jobs, over OFFLOAD_JSON_BYTES): parsed here and cloned back (jobs/index.ts). */
  | { kind: 'json'; json: Uint8Array }
  /** A run job (jobs/runner.ts): run here and answered as its JSON bytes written here (jobs/run-result.ts), within `maxResultBytes`. */
  | { kind: 'runReport'; input: RunTask; encoding: Encoding; maxResultBytes: number }
  | ({ kind: 'compare' | 'sweep'; shapes: Record<string, number[]>; /** The file parts' filenames (a comparison's title names them). */ fileNames?: Map<string, string>; markdown: boolean; /** The answer as its JSON bytes, written here (format json). */ asJson?: boolean } & Omit<RawRequest, 'maxElements'>)
  | ({ kind: 'operator'; name: string; /** Accept's choice when the body names no format (formats.ts acceptedTensorFormat). */ preference?: TensorPreference } & RawRequest)
  | ({ kind: 'run'; /** MAX_RESPONSE_BYTES and the Accept header: the answer the run is for (compute.ts restAnswer). */ maxResponseBytes?: number; accept?: string; preference?: TensorPreference } & RawRequest)
  | ({ kind: 'fold' } & RawRequest);
