/**
 * A job request: `{ kind: "analyze" | "run" | "batch", …fields }`. The fields of analyze and run
 * are those of POST /v1/analyze ({ spec | model, resolution, options }, plus onnxBase64 and
 * inputShapes for an ONNX file) and POST /v1/run, checked by the same schemas (http/requests.ts)
 * with the same errors; a batch lists models (zoo names, or { model | onnxBase64 | spec, … })
 * analysed with one set of options. Prepared here once, before anything is queued, so a bad
 * request is a 4xx at submission, never a failed job; a Redis worker prepares the stored request
 * again (it holds JSON, not decoded tensors).
 *
 * Sent as a multipart form (http/jobs.ts), the request is its `request` field and files are its
 * file parts, with no base64 inflation nor JSON_BODY_LIMIT: analyze's ONNX file is the part
 * `model`; run's are POST /v1/run's (`model`, .npy parts named after the input or
 * `weights.<layer>.<role>`); a batch's model i may be the part `models[i]`, its entry in `models`
 * then an object giving at most `name` and `inputShapes`. A part no field reads is refused.
 */
import { z } from 'zod';
import { AnalyzeOptionsSchema } from '../analysis/report.js';
import type { AnalyzeOptions } from '../analysis/report.js';
import { ConvlensError, jsonPath, movePaths } from '../errors.js';
import type { ErrorCode, SerializedError } from '../errors.js';
import { checkModel, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { onnxFromBase64, transferable } from '../http/body.js';
import { runRequest } from '../http/compute.js';
import { AnalyzeBody, RunRequest, parseRequest } from '../http/requests.js';
import type { Where } from '../http/requests.js';
import type { Encoding } from '../http/tensors.js';
import type { RunTask } from '../runtime/tasks.js';
import { closest } from '../suggest.js';
import { JOB_KINDS } from './types.js';
import type { JobFiles, JobKind, JobView } from './types.js';
import { planExtras, splitOptions } from '../analysis/extras.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const OnnxBase64 = z.string().min(1).describe('an ONNX file in base64');
const InputShapes = z
  .record(z.string(), z.array(z.number().int().positive()).min(1), { error: 'inputShapes maps input names to shapes' })
  .describe('shapes for dynamic ONNX inputs by input name, e.g. { "input": [1, 3, 224, 224] }; the key "" means the first input');

/** kind "analyze": POST /v1/analyze's JSON body, plus an ONNX file in base64. */
export const JobAnalyze = AnalyzeBody.extend({ onnxBase64: OnnxBase64.optional(), inputShapes: InputShapes.optional() }).describe(
  'analyse one network: a spec, a built-in model (with resolution) or an ONNX file (onnxBase64, with inputShapes for dynamic inputs)',
);

/** One model of a batch, when it is more than a zoo name. */
export const BatchModel = z
  .strictObject({
    name: z.string().min(1).max(256).optional().describe("the model's name in its result line (default: the zoo name, the spec's name, or models[i])"),
    model: AnalyzeBody.shape.model,
    resolution: AnalyzeBody.shape.resolution,
    onnxBase64: OnnxBase64.optional(),
    inputShapes: InputShapes.optional(),
    spec: AnalyzeBody.shape.spec,
  })
  .describe('one network: exactly one of model (with resolution), onnxBase64 (with inputShapes) or spec');

/** kind "batch": many networks, one report line each. */
export const JobBatch = z
  .strictObject({
    models: z
      .array(z.union([z.string().min(1).describe('a built-in model by name'), BatchModel]))
      .min(1)
      .describe('the networks, in the order their result lines come back'),
    options: AnalyzeOptionsSchema.optional().describe('analysis options for every model'),
  })
  .describe('analyse many networks: GET /v1/jobs/{id}/results streams one NDJSON line per model, in order, as they complete');

/** The envelope's `models` checked item by item (each item's errors then carry its index). */
const BatchEnvelope = JobBatch.extend({ models: z.array(z.unknown(), { error: 'models must be a list of models' }).min(1, { error: 'models must list at least one model' }) });

/** The whole request, for the OpenAPI document (validation dispatches on kind: see prepareJob). */
export const JobRequest = z
  .discriminatedUnion('kind', [
    JobAnalyze.extend({ kind: z.literal('analyze') }),
    RunRequest.extend({ kind: z.literal('run') }).describe('run a network on inputs: the fields of POST /v1/run'),
    JobBatch.extend({ kind: z.literal('batch') }),
  ])
  .describe('a job: kind analyze (POST /v1/analyze as a job), run (POST /v1/run as a job) or batch (many analyses)');

export interface BatchItem {
  name: string;
  source: GraphSource;
}

/** A job ready to execute: sources built, tensors decoded. */
export type PreparedJob =
  | { kind: 'analyze'; source: GraphSource; options: AnalyzeOptions }
  | { kind: 'run'; task: RunTask; encoding: Encoding }
  | { kind: 'batch'; items: BatchItem[]; options: AnalyzeOptions };

export interface PrepareLimits {
  maxElements: number;
  batchMax: number;
}

/** One file part as a network's ONNX file. */
interface FilePart {
  bytes: Uint8Array;
  part: string;
  fileName?: string;
}

const filePart = (form: JobFiles | undefined, part: string): FilePart | undefined => {
  const bytes = form?.files.get(part);
  const fileName = form?.fileNames?.get(part);
  return bytes && { bytes, part, ...(fileName !== undefined && { fileName }) };
};

/** File parts nobody reads: a 400 naming the first, rather than silently ignored. */
function unreadParts(form: JobFiles | undefined, read: (part: string) => boolean, hint: string): void {
  const stray = [...(form?.files.keys() ?? [])].find((k) => !read(k));
  if (stray !== undefined) throw new ConvlensError('INVALID_OPTION', `file part '${stray}' not read: ${hint}`, { path: stray });
}

/** parseRequest, with the fields whose errors have their own code (a spec that is not an object is SPEC_INVALID). */
function parseFields<S extends z.ZodType>(schema: S, raw: unknown, where: Where, codes: Record<string, ErrorCode> = { spec: 'SPEC_INVALID' }): z.output<S> {
  try {
    return parseRequest(schema, raw, where);
  } catch (e) {
    if (!(e instanceof ConvlensError) || e.code !== 'INVALID_OPTION' || e.details.known) throw e;
    // the field named right under the object parsed (`$.spec`, `$.models[2].spec`)
    const root = jsonPath(where.in === 'body' ? (where.prefix ?? []) : []);
    const path = e.details.path ?? '';
    const field = path.startsWith(`${root}.`) ? /^\w+/.exec(path.slice(root.length + 1))?.[0] : undefined;
    const code = field === undefined ? undefined : codes[field];
    throw code ? new ConvlensError(code, e.message, e.details) : e;
  }
}


const onnxBytes = (b64: string | undefined, at: string) => (b64 === undefined ? undefined : onnxFromBase64(b64, at));

/** A network named by model | onnxBase64 | a file part (+ inputShapes) | spec, as a source; `at` is its JSONPath prefix. */
function networkSource(f: { model?: string; resolution?: number; onnxBase64?: string; inputShapes?: Record<string, number[]>; spec?: unknown }, at: string, file?: FilePart): GraphSource {
  if (f.model !== undefined) checkModel(f.model, `${at}.model`);
  // as POST /v1/analyze answers it, before "no network given"
  if (f.resolution !== undefined && f.model === undefined) {
    throw new ConvlensError('INVALID_OPTION', 'resolution applies to a built-in model (model); a spec or ONNX file declares its input shapes', { path: `${at}.resolution` });
  }
  if (f.inputShapes !== undefined && f.onnxBase64 === undefined && !file) {
    throw new ConvlensError('INVALID_OPTION', `inputShapes applies to an ONNX file (onnxBase64${at === '$' ? ", or a file part 'model'" : ''}); a spec or built-in model has its own input shapes`, { path: `${at}.inputShapes` });
  }
  if (file && f.onnxBase64 !== undefined) throw new ConvlensError('SPEC_INVALID', `give one network, not an ONNX file part '${file.part}' and onnxBase64`, { path: `${at}.onnxBase64` });
  // decoded before the try: its error's path is already the absolute one (moved, it was $.models[2].models[2].onnxBase64)
  const onnx = file ? transferable(file.bytes) : onnxBytes(f.onnxBase64, `${at}.onnxBase64`);
  const onnxAt = file ? file.part : `${at}.onnxBase64`;
  try {
    return requestSource(
      { spec: f.spec, specAt: `${at}.spec`, model: f.model, resolution: f.resolution, resolutionAt: `${at}.resolution`, modelAt: `${at}.model`, onnx, onnxAt, inputShapes: f.inputShapes, inputShapesAt: `${at}.inputShapes`, fileName: file?.fileName },
      at === '$' ? "spec, model (a zoo name), onnxBase64 or a file part 'model'" : 'spec, model (a zoo name) or onnxBase64',
    );
  } catch (e) {
    // requestSource's paths are relative to the network's object
    if (e instanceof ConvlensError && at !== '$') throw movePaths(e, (path) => path.replace(/^\$/, at));
    throw e;
  }
}

function kindOf(body: Record<string, unknown>): JobKind {
  const kind = body.kind;
  if (typeof kind === 'string' && (JOB_KINDS as readonly string[]).includes(kind)) return kind as JobKind;
  const suggestion = typeof kind === 'string' ? closest(kind, JOB_KINDS) : null;
  const message =
    kind === undefined ? '$.kind is required: analyze, run or batch' : `$.kind must be analyze, run or batch, got ${JSON.stringify(kind)}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
  throw new ConvlensError('INVALID_OPTION', message, { path: '$.kind', known: [...JOB_KINDS], ...(suggestion ? { suggestion } : {}) });
}

function batchItem(raw: unknown, i: number, form?: JobFiles): BatchItem {
  const at = `$.models[${i}]`;
  const file = filePart(form, `models[${i}]`);
  if (file && !isObject(raw)) {
    throw new ConvlensError('SPEC_INVALID', `give one network for ${at}: the file part 'models[${i}]' or ${at} in the request, not both (with the file, ${at} is an object that may give name and inputShapes)`, { path: at });
  }
  if (typeof raw === 'string' && raw.length > 0) {
    checkModel(raw, at);
    return { name: raw, source: { kind: 'model', name: raw } };
  }
  if (!isObject(raw)) throw new ConvlensError('INVALID_OPTION', `${at} must be a built-in model's name or an object with model, onnxBase64 or spec`, { path: at });
  const f = parseFields(BatchModel, raw, { in: 'body', prefix: ['models', i] });
  const source = networkSource(f, at, file);
  if (source.kind === 'spec' && !isObject(f.spec)) throw new ConvlensError('SPEC_INVALID', `${at}.spec must be a network spec (a JSON object)`, { path: `${at}.spec` });
  const specName = isObject(f.spec) && typeof f.spec.name === 'string' && f.spec.name ? f.spec.name : undefined;
  return { name: f.name ?? f.model ?? specName ?? file?.fileName ?? `models[${i}]`, source };
}

/** `erf` adds to the HTML report only, and a job's report is JSON: refused rather than ignored. */
function checkNoErf(options: { erf?: boolean } | undefined): void {
  if (!options?.erf) return;
  throw new ConvlensError('INVALID_OPTION', "erf adds the effective receptive field to the HTML report, and a job's report is JSON; POST /v1/erf computes it on its own", { path: '$.options.erf' });
}

/** Validates and prepares a job request (with a form's file parts); throws the ConvlensError the synchronous route would. */
export function prepareJob(body: unknown, limits: PrepareLimits, form?: JobFiles): PreparedJob {
  if (!isObject(body)) throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object: { "kind": "analyze" | "run" | "batch", … }', { path: '$' });
  const kind = kindOf(body);
  const { kind: _kind, ...fields } = body;
  switch (kind) {
    case 'analyze': {
      const f = parseFields(JobAnalyze, fields, { in: 'body' });
      // an unknown device or convention is a 400 at submission, not a job that fails later
      if (f.options) planExtras(splitOptions(f.options).extras);
      checkNoErf(f.options);
      unreadParts(form, (k) => k === 'model', "an analyze job reads one file part, 'model' (the ONNX file)");
      return { kind, source: networkSource(f, '$', filePart(form, 'model')), options: f.options ?? AnalyzeOptionsSchema.parse({}) };
    }
    case 'run': {
      const { task, encoding } = runRequest({ fields, files: new Map(form?.files ?? []) }, limits.maxElements);
      return { kind, task, encoding };
    }
    case 'batch': {
      const f = parseFields(BatchEnvelope, fields, { in: 'body' });
      if (f.models.length > limits.batchMax) {
        throw new ConvlensError('INVALID_OPTION', `a batch holds at most ${limits.batchMax} models (JOB_BATCH_MAX); this one has ${f.models.length}: split it`, { path: '$.models', limit: limits.batchMax });
      }
      const n = f.models.length;
      unreadParts(form, (k) => /^models\[(0|[1-9]\d*)\]$/.test(k) && Number(k.slice(7, -1)) < n, `a batch reads the file parts models[0] to models[${n - 1}], each the ONNX file of that model in models`);
      return { kind, items: f.models.map((raw, i) => batchItem(raw, i, form)), options: f.options ?? AnalyzeOptionsSchema.parse({}) };
    }
  }
}

/**
 * A job for a queue that keeps the request as JSON (jobs/redis.ts): validated as prepareJob does
 * (its errors), and the request written as the JSON text the queue stores, as UTF-8 bytes the pool
 * moves. Done in the large-JSON worker (http/offload-worker.ts) for a large submission, so that
 * neither the request's objects nor its stringifying reach the event loop.
 */
export interface QueuedJob {
  kind: JobKind;
  /** Models in a batch; null for analyze and run. */
  total: number | null;
  /** JSON.stringify(body), UTF-8. */
  json: Uint8Array;
  /** The form's file parts, as they were sent: moved to the worker that checked the job and back with it, for the queue to store. */
  files?: Map<string, Uint8Array>;
}

export function queuedJob(body: unknown, limits: PrepareLimits, form?: JobFiles): QueuedJob {
  const job = prepareJob(body, limits, form);
  const text = Buffer.from(JSON.stringify(body));
  // a small Buffer is a slice of a shared pool, which must not be moved: copied out
  const json = text.byteLength === text.buffer.byteLength ? text : new Uint8Array(text);
  return { kind: job.kind, total: job.kind === 'batch' ? job.items.length : null, json, ...(form && form.files.size > 0 && { files: new Map(form.files) }) };
}

/**
 * A job made ready where its request was read (a large GraphQL body's submitJob, in the worker that
 * parsed the body: http/graphql/prepare.ts), as the queue asked (ReadyJobs): prepared (in-process),
 * checked and written as JSON (Redis), or the error preparing it threw (the queue throws it where
 * submit would, after its own checks that come first).
 */
export type ReadyJob = PreparedJob | QueuedJob | { refused: SerializedError };

/** A queue that takes ReadyJobs: `readies` says how to make them, `submitReady` queues one (submit's answers and errors). */
export interface ReadyJobs {
  readonly readies: { limits: PrepareLimits; queued: boolean };
  submitReady(ready: ReadyJob): Promise<JobView>;
}

/** The request made ready as `readies` says (prepareJob or queuedJob), a catalog error it throws as `refused`. */
export function readyJob(body: unknown, readies: ReadyJobs['readies']): ReadyJob {
  try {
    return readies.queued ? queuedJob(body, readies.limits) : prepareJob(body, readies.limits);
  } catch (e) {
    if (e instanceof ConvlensError) return { refused: e.toJSON() };
    throw e;
  }
}

/** Bytes a prepared job holds until it runs: ONNX files and decoded tensors (specs are small beside them). */
export function inputBytes(job: PreparedJob): number {
  const onnx = (s: GraphSource) => (s.kind === 'onnx' ? s.bytes.byteLength : 0);
  switch (job.kind) {
    case 'analyze':
      return onnx(job.source);
    case 'run':
      return onnx(job.task.source) + [...Object.values(job.task.inputs), ...Object.values(job.task.weights)].reduce((n, t) => n + t.data.byteLength, 0);
    case 'batch':
      return job.items.reduce((n, item) => n + onnx(item.source), 0);
  }
}
