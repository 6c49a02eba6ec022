/**
 * Running operators and networks: POST /v1/operators/{name} and POST /v1/run. A body is JSON, or a
 * multipart form whose files are .npy tensors (named after the input, dots and all, unless named
 * `weights.<…>`, a weight, or for /v1/run `model`, the ONNX file: tensors.ts namedTensors) and
 * whose `request` field holds the JSON rest.
 *
 * Tensor names are data: they are kept in Maps and handed on in records without a prototype, so
 * `constructor`, `toString` or `__proto__` name a tensor like any other word. A large JSON body is
 * parsed and decoded in a worker (offload-worker.ts); answers are streamed (stream.ts). The body is
 * read in compute-body.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { OperatorCall, OperatorResult } from '../runtime/operator.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import type { FoldTask, RunTask, RunTaskResult } from '../runtime/tasks.js';
import type { AnswerLimit } from '../runtime/answer-bound.js';
import { unknownOpError } from '../graph/attribute-errors.js';
import { checkModel, requestSource } from '../graph/load.js';
import type { Tensor } from '../tensor/tensor.js';
import { dict, own } from '../records.js';
import { requestTasks } from './admission.js';
import { RawJson, onnxFromBase64, transferable } from './body.js';
import { atQuery, readBody } from './compute-body.js';
import type { Body, Files, RawBody } from './compute-body.js';
import type { BodyLease } from './shared-bodies.js';
import { OFFLOAD, OFFLOAD_WORKER } from './offload.js';
import type { OffloadTask } from './offload.js';
import { FoldRequest, OperatorRequest, RunRequest, parseRequest } from './requests.js';
import { weightInitFor } from '../runtime/weights.js';
import { sendJson } from './stream.js';
import { knownDigest } from '../runtime/file-digest.js';
import { isPosition, operatorInputs } from './operator-inputs.js';
import { TENSOR_ANSWERS, acceptOnly, acceptedMedia, acceptedTensorFormat, checkAnswerAccepted, varyAccept } from './formats.js';
import { answerEncoding, chooseEncoding, namedTensors, npyIn, releaseWhenSent, sendNpy, tensorIn, tensorOut, tensorOutLazy } from './tensors.js';
import type { Encoding, TensorPreference } from './tensors.js';

const fileMap = (files: Files): Map<string, Uint8Array> => (files instanceof Map ? files : new Map(Object.entries(files)));

/** A field of the request as sent: zod's records drop a `__proto__` key, the request keeps it. */
const rawField = (fields: Record<string, unknown>, key: string): unknown => own(fields, key);

/** Files nobody read: a 400 naming them rather than silently ignored. */
function unreadFiles(files: Map<string, Uint8Array>, used: Set<string>, hint: string): void {
  const unread = [...files.keys()].filter((f) => !used.has(f));
  if (unread.length) throw new ConvlensError('INVALID_OPTION', `file part ${unread.map((f) => `'${f}'`).join(', ')} not read: ${hint}`, { path: unread[0] });
}

/** Keys in the order a JSON object enumerates them: array indices ascending, then the rest as given. */
function objectOrder(keys: string[]): string[] {
  const index = (k: string) => isPosition(k) && Number(k) < 2 ** 32 - 1;
  return [...keys.filter(index).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !index(k))];
}

export function operatorRequest(name: string, body: Body, maxElements: number, preference?: TensorPreference): { call: OperatorCall; encoding: Encoding } {
  const op = OPS_BY_NAME.get(name);
  if (!op) throw unknownOpError('UNKNOWN_OPERATOR', name, 'no operator', { path: 'name' });
  const f = parseRequest(OperatorRequest, body.fields, { in: 'body' });
  const files = fileMap(body.files);
  const used = new Set<string>();
  let inputs: Tensor[];
  let encoding: Encoding | null = null;
  if (Array.isArray(f.inputs)) {
    inputs = f.inputs.map((raw, i) => {
      const t = tensorIn(raw, `$.inputs[${i}]`, maxElements);
      encoding ??= t.encoding;
      return t.tensor;
    });
  } else {
    const named = namedTensors(rawField(body.fields, 'inputs'), files, '', '$.inputs', maxElements, used);
    encoding = named.encoding;
    inputs = operatorInputs(op, named.tensors);
  }
  if (inputs.length === 0) throw new ConvlensError('INVALID_TENSOR', `${name} needs its inputs (${op.inputNames.join(', ')})`, { path: '$.inputs' });
  const weights = dict(namedTensors(rawField(body.fields, 'weights'), files, 'weights.', '$.weights', maxElements, used).tensors);
  unreadFiles(files, used, `name a file after an input (${op.inputNames.join(', ')}), or weights.<role>; with inputs listed in JSON, give them all there`);
  return {
    call: { name, inputs, attributes: f.attributes, weights, training: f.training, seed: f.seed >>> 0, maxElements },
    encoding: answerEncoding(f.format, encoding ?? 'json', preference),
  };
}

/** The answer to an operator call; `lazy` tensors are encoded as the answer is sent (stream.ts). */
export function operatorResponse(result: OperatorResult, encoding: Encoding, name: string, lazy = false) {
  const op = OPS_BY_NAME.get(name)!;
  const { layer } = result;
  const out = (t: Tensor, lead: Record<string, unknown>) => (lazy ? tensorOutLazy(t, encoding, lead) : { ...lead, ...tensorOut(t, encoding) });
  return {
    operator: name,
    pytorch: op.pytorch,
    outputs: result.outputs.map((t, i) => out(t, { name: i === 0 ? 'y' : `y${i}` })),
    cost: { params: layer.params, macs: layer.macs, flops: layer.flops, flopsByConvention: layer.flopsByConvention, memoryAccess: layer.memoryAccess },
    ...result.extra,
  };
}

function transfers(tensors: Tensor[]): ArrayBuffer[] {
  return [...new Set(tensors.map((t) => t.data.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
}

/**
 * The REST answer a call's outputs are for, in its encoding under MAX_RESPONSE_BYTES: the worker
 * refuses one whose tensors alone are over it before any kernel runs (runtime/answer-bound.ts), by
 * the bound sendJson and sendNpy check the answer by when it is written.
 */
export function restAnswer(maxBytes: number, encoding: Encoding, accept?: string): { answer?: AnswerLimit } {
  // the media Accept allows, checked too before any kernel runs (a 406 once the work was done wasted it)
  const accepts = acceptedMedia(accept);
  return Number.isFinite(maxBytes) || accepts ? { answer: { kind: 'rest', maxBytes, encoding, ...(accepts && { accepts }) } } : {};
}

/** One operator call on a pool worker, which checks it and splits its layer across its team when that gains (runtime/worker.ts). */
export async function callOperator(pool: TaskPool, call: OperatorCall, tasks: TaskContext = {}): Promise<OperatorResult> {
  // one layer, its inputs reserved with the body; its outputs' and kernel's memory is asked through the grant before it runs (runtime/run-memory.ts)
  return pool.run<OperatorResult>('operator', call, transfers([...call.inputs, ...Object.values(call.weights)]), { signal: tasks.signal, memory: tasks.memory });
}

export function runRequest(body: Body, maxElements: number, preference?: TensorPreference): { task: RunTask; encoding: Encoding } {
  const f = parseRequest(RunRequest, body.fields, { in: 'body' });
  const files = fileMap(body.files);
  const used = new Set<string>();
  const file = files.get('model');
  if (file) used.add('model');
  if (file && f.onnxBase64 !== undefined) throw new ConvlensError('SPEC_INVALID', 'give one network, not an ONNX file part "model" and onnxBase64', { path: '$.onnxBase64' });
  const onnx = file ?? (f.onnxBase64 === undefined ? undefined : onnxFromBase64(f.onnxBase64, '$.onnxBase64'));
  // the network first, then its inputs: a misspelt model was "give the input tensor(s)" without them
  if (f.model !== undefined) checkModel(f.model, '$.model');
  const source = requestSource(
    { spec: f.spec, specAt: '$.spec', model: f.model, resolution: f.resolution, onnx: onnx && transferable(onnx), onnxAt: file ? 'model' : '$.onnxBase64' },
    'spec, model (a zoo name), onnxBase64, or an ONNX file part "model"',
  );
  if (f.resolution !== undefined && source.kind !== 'model') {
    throw new ConvlensError('INVALID_OPTION', 'resolution applies to a built-in model (model); a spec or ONNX file declares its input shapes', { path: '$.resolution' });
  }
  const rawInputs = rawField(body.fields, 'inputs');
  let inputs: Map<string, Tensor>;
  let encoding: Encoding | null;
  if (rawInputs && typeof rawInputs === 'object' && Object.hasOwn(rawInputs, 'shape')) {
    const t = tensorIn(rawInputs, '$.inputs', maxElements);
    inputs = new Map([['input', t.tensor]]);
    encoding = t.encoding;
  } else {
    ({ tensors: inputs, encoding } = namedTensors(rawInputs, files, '', '$.inputs', maxElements, used));
  }
  if (inputs.size === 0) throw new ConvlensError('INVALID_TENSOR', 'give the input tensor(s) in "inputs"', { path: '$.inputs' });
  const weights = namedTensors(rawField(body.fields, 'weights'), files, 'weights.', '$.weights', maxElements, used).tensors;
  unreadFiles(files, used, 'name a file "model" (the ONNX file), after an input, or weights.<layer>.<role>; with one input tensor in JSON, give the others there too');
  return {
    task: {
      source,
      inputs: dict(objectOrder([...inputs.keys()]).map((k) => [k, inputs.get(k)!] as const)),
      weights: dict(weights),
      weightInit: weightInitFor(f.weightInit, source),
      training: f.training,
      seed: f.seed >>> 0,
      capture: f.capture,
      fuse: f.fuse,
      maxElements,
    },
    encoding: answerEncoding(f.format, encoding ?? 'json', preference),
  };
}

/** A tensor of the result by name, its own entry only (an output may be called `constructor`). */
function named(tensors: Record<string, Tensor>, name: string): Tensor {
  const t = own(tensors, name);
  if (!t) throw new Error(`the run produced no tensor '${name}'`);
  return t;
}

/**
 * Outputs in graph order and captured tensors in request order, each with its name (a list: a JSON
 * object would put integer-like names first); `lazy` tensors are encoded as the answer is sent.
 */
export function runResponse(result: RunTaskResult, encoding: Encoding, lazy = false) {
  const list = (names: string[], tensors: Record<string, Tensor>) =>
    names.map((name) => (lazy ? tensorOutLazy(named(tensors, name), encoding, { name }) : { name, ...tensorOut(named(tensors, name), encoding) }));
  return { source: result.source, outputs: list(result.order.outputs, result.outputs), captured: list(result.order.captured, result.captured) };
}

/** A run on a pool worker; its tensors and ONNX file are moved there, or copied (`move` false: a caller that may send them again). */
export async function callRun(pool: TaskPool, task: RunTask, tasks: TaskContext = {}, move = true): Promise<RunTaskResult> {
  // the file's SHA-256 when the route hashed it as it arrived: the worker's model cache key without hashing it there (runtime/file-digest.ts)
  const options = { ...tasks, fileDigest: task.source.kind === 'onnx' ? knownDigest(task.source.bytes) : undefined };
  if (!move) return pool.run<RunTaskResult>('run', task, [], options);
  const buffers = transfers([...Object.values(task.inputs), ...Object.values(task.weights)]);
  if (task.source.kind === 'onnx') buffers.push(task.source.bytes.buffer as ArrayBuffer);
  return pool.run<RunTaskResult>('run', task, [...new Set(buffers)], options);
}

const FOLD_TENSORS = ['weight', 'bias', 'gamma', 'beta', 'runningMean', 'runningVar'] as const;

/**
 * `{ weight, bias?, gamma, beta, runningMean, runningVar, eps? }`: a conv and the inference BN after
 * it; in a multipart form, tensors may be .npy files named after their field.
 */
export function foldRequest(body: Body, maxElements: number): { task: FoldTask; encoding: Encoding } {
  const files = fileMap(body.files);
  const both = [...files.keys()].find((k) => Object.hasOwn(body.fields, k));
  if (both) throw new ConvlensError('INVALID_TENSOR', `${both} is given twice, as a file and in "request"`, { path: `$.${both}` });
  const f = parseRequest(FoldRequest, { ...body.fields, ...Object.fromEntries(files) }, { in: 'body' });
  let encoding: Encoding | null = null;
  const get = (name: (typeof FOLD_TENSORS)[number]): Tensor | null => {
    const raw: unknown = f[name];
    if (raw === undefined) return null;
    const t = raw instanceof Uint8Array ? npyIn(raw, name, maxElements) : tensorIn(raw, `$.${name}`, maxElements);
    encoding ??= t.encoding;
    return t.tensor;
  };
  const weight = get('weight')!;
  if (weight.shape.length < 2) throw new ConvlensError('INVALID_TENSOR', 'weight must be a conv weight [Cout, Cin/g, Kh, Kw]', { path: '$.weight' });
  const task = { weight, bias: get('bias'), gamma: get('gamma')!, beta: get('beta')!, runningMean: get('runningMean')!, runningVar: get('runningVar')!, eps: f.eps };
  return { task, encoding: chooseEncoding(f.format, encoding ?? 'json') };
}

export async function callFold(pool: TaskPool, task: FoldTask, encoding: Encoding, tasks: TaskContext = {}, lazy = false) {
  const folded = await pool.run<{ weight: Tensor; bias: Tensor }>('foldBatchNorm', task, undefined, { signal: tasks.signal });
  const out = (t: Tensor) => (lazy ? tensorOutLazy(t, encoding) : tensorOut(t, encoding));
  return { weight: out(folded.weight), bias: out(folded.bias) };
}

/** A large JSON request handed whole to a worker (offload-worker.ts), its bytes and files moved, not copied. */
function offload<T>(pool: TaskPool, task: 'operator' | 'run' | 'foldBatchNorm', message: OffloadTask, tasks: TaskContext): Promise<T> {
  const buffers = new Set<ArrayBuffer>();
  const json = 'json' in message ? message.json : undefined;
  if (json instanceof Uint8Array && json.buffer instanceof ArrayBuffer) buffers.add(json.buffer);
  if ('files' in message && message.files) for (const bytes of message.files.values()) if (bytes.buffer instanceof ArrayBuffer) buffers.add(bytes.buffer);
  // only a run loads a graph, whose layers its task charges for (runtime/memory-grant.ts)
  // a run's ONNX file part, hashed as it arrived (runtime/file-digest.ts)
  const model = 'files' in message ? message.files?.get('model') : undefined;
  const fileDigest = task === 'run' && model ? knownDigest(model) : undefined;
  return pool.run<T>(task, message, [...buffers], { filename: OFFLOAD_WORKER, signal: tasks.signal, ...(task === 'run' && { memory: tasks.memory }), fileDigest });
}

export interface ComputeOptions {
  pool: TaskPool;
  maxElements: number;
  /** BODY_LIMIT: largest file part. */
  fileLimit?: number;
  /** JSON_BODY_LIMIT: largest `request` field. */
  fieldLimit?: number;
  /** MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /** Where a request's .npy parts are read: large ones into shared memory when the workers split layers (http/shared-bodies.ts). */
  tensorsOf?: (request: FastifyRequest) => BodyLease;
}

/**
 * The compute routes answer JSON, or (operators and runs) a .npy file when one output is asked for as
 * npy: an Accept that allows none is 406 NOT_ACCEPTABLE before the body is read (formats.ts
 * acceptOnly; a fuzz of 2026-12-04 found application/xml answered 200 JSON). Which of the two a call
 * answers is its `format`, in the body, else Accept's preference (formats.ts acceptedTensorFormat:
 * `Accept: application/x-npy` was answered JSON); a JSON answer Accept refuses is 406 once the
 * call's tensors are known (checkAnswerAccepted).
 */
const TENSORS_OUT = { ...OFFLOAD, onRequest: acceptOnly(TENSOR_ANSWERS) };
/** fold-batchnorm answers JSON only. */
const JSON_OUT = { ...OFFLOAD, onRequest: acceptOnly(['application/json']) };

export async function computeRoutes(app: FastifyInstance, opts: ComputeOptions): Promise<void> {
  const { pool, maxElements } = opts;
  const limits = { fileLimit: opts.fileLimit ?? Infinity, fieldLimit: opts.fieldLimit ?? Infinity, tensorsOf: opts.tensorsOf };
  const maxBytes = opts.maxResponseBytes ?? Infinity;
  const raw = (body: RawBody) => ({ json: body.fields.text, where: body.fields.where, files: body.files, maxElements });

  // the tasks a request's tensors are handed to: its shared buffers wait for them (shared-bodies.ts BodyLease.track)
  const handed = (request: FastifyRequest) => {
    const lease = opts.tensorsOf?.(request);
    return <T>(task: Promise<T>): Promise<T> => (lease ? lease.track(task) : task);
  };

  app.post<{ Params: { name: string } }>('/v1/operators/:name', TENSORS_OUT, async (request, reply) => {
    const tasks = requestTasks(request);
    const body = await readBody(request, 'operator', limits);
    const seen = handed(request);
    const preference = acceptedTensorFormat(request.headers.accept);
    varyAccept(reply);
    const { call, encoding, result } = await (async () => {
      const { call, encoding } =
        body.fields instanceof RawJson
          ? await seen(offload<{ call: OperatorCall; encoding: Encoding }>(pool, 'operator', { kind: 'operator', name: request.params.name, preference, ...raw(body as RawBody) }, tasks))
          : operatorRequest(request.params.name, body as Body, maxElements, preference);
      return { call, encoding, result: await seen(callOperator(pool, { ...call, ...restAnswer(maxBytes, encoding, request.headers.accept) }, tasks)) };
    })().catch((e: unknown) => {
      throw (body as Body).npyBody ? atQuery(e) : e;
    });
    releaseWhenSent(reply, result.outputs);
    checkAnswerAccepted(request.headers.accept, encoding, result.outputs.length);
    if (await sendNpy(reply, result.outputs, encoding, maxBytes)) return reply;
    return sendJson(reply, operatorResponse(result, encoding, call.name, true), maxBytes);
  });

  app.post('/v1/transforms/fold-batchnorm', JSON_OUT, async (request, reply) => {
    const tasks = requestTasks(request);
    const body = await readBody(request, 'fold', limits);
    const seen = handed(request);
    const { task, encoding } =
      body.fields instanceof RawJson
        ? await seen(offload<{ task: FoldTask; encoding: Encoding }>(pool, 'foldBatchNorm', { kind: 'fold', ...raw(body as RawBody) }, tasks))
        : foldRequest(body as Body, maxElements);
    return sendJson(reply, await seen(callFold(pool, task, encoding, tasks, true)), maxBytes);
  });

  app.post('/v1/run', TENSORS_OUT, async (request, reply) => {
    const tasks = requestTasks(request);
    const body = await readBody(request, 'run', limits);
    const seen = handed(request);
    const preference = acceptedTensorFormat(request.headers.accept);
    varyAccept(reply);
    const { result, encoding } =
      body.fields instanceof RawJson
        ? await seen(offload<{ result: RunTaskResult; encoding: Encoding }>(pool, 'run', { kind: 'run', preference, accept: request.headers.accept, ...raw(body as RawBody), maxResponseBytes: maxBytes }, tasks))
        : await (async () => {
            const { task, encoding } = runRequest(body as Body, maxElements, preference);
            return { result: await seen(callRun(pool, { ...task, ...restAnswer(maxBytes, encoding, request.headers.accept) }, tasks)), encoding };
          })();
    return sendRun(reply, result, encoding, maxBytes, request.headers.accept);
  });
}

async function sendRun(reply: FastifyReply, result: RunTaskResult, encoding: Encoding, maxBytes: number, accept: string | undefined): Promise<FastifyReply> {
  releaseWhenSent(reply, [...Object.values(result.outputs), ...Object.values(result.captured)]);
  checkAnswerAccepted(accept, encoding, result.order.captured.length === 0 ? result.order.outputs.length : Infinity);
  if (result.order.captured.length === 0) {
    if (await sendNpy(reply, result.order.outputs.map((name) => named(result.outputs, name)), encoding, maxBytes)) return reply;
  }
  return sendJson(reply, runResponse(result, encoding, true), maxBytes);
}
