/**
 * Running operators and networks: POST /v1/operators/{name} and POST /v1/run. A body is JSON, or a
 * multipart form whose files are .npy tensors (named after the input, or `weights.<role>`; for
 * /v1/run also the ONNX `model`) and whose `request` field holds the JSON rest.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { OperatorCall, OperatorResult } from '../runtime/operator.js';
import { splitConv } from '../runtime/parallel.js';
import type { TaskPool } from '../runtime/pool.js';
import type { FoldTask, RunTask, RunTaskResult } from '../runtime/tasks.js';
import { unknownOpError } from '../graph/attribute-errors.js';
import { requestSource } from '../graph/load.js';
import type { Tensor } from '../tensor/tensor.js';
import { closest } from '../suggest.js';
import { transferable } from './body.js';
import { FoldRequest, OperatorQuery, OperatorRequest, RunRequest, parseRequest } from './requests.js';
import { chooseEncoding, npyIn, sendNpy, tensorIn, tensorOut } from './tensors.js';
import type { Encoding } from './tensors.js';

interface Body {
  fields: Record<string, unknown>;
  files: Record<string, Buffer>;
}

type Route = 'operator' | 'run' | 'fold';

/**
 * The fields and .npy files of a request. Query parameters are read only with a raw .npy body
 * (POST /v1/operators/{name}); anywhere else, and any multipart field but `request`, is a 400
 * rather than silently ignored.
 */
async function readBody(request: FastifyRequest, route: Route): Promise<Body> {
  const query = request.query as Record<string, unknown>;
  if (Buffer.isBuffer(request.body) && request.headers['content-type'] === 'application/x-npy') {
    if (route !== 'operator') {
      throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', 'a raw .npy body is for POST /v1/operators/{name}; send .npy files here as parts of a multipart form', { path: 'body' });
    }
    // one .npy tensor as the body (the first input); the rest from the query: ?attributes={…}&format=npy
    const q = parseRequest(OperatorQuery, query, { in: 'query' });
    let attributes: unknown;
    try {
      attributes = q.attributes === undefined ? undefined : JSON.parse(q.attributes);
    } catch (e) {
      throw new ConvlensError('INVALID_JSON', `?attributes is not JSON: ${(e as Error).message}`, { path: 'query.attributes' });
    }
    return { fields: { attributes, format: q.format, seed: q.seed, training: q.training }, files: { '0': request.body } };
  }
  const stray = Object.keys(query);
  if (stray.length) {
    const why = route === 'operator' ? 'the query carries options only with an application/x-npy body; give them in the JSON body' : 'this route reads its fields from the body';
    throw new ConvlensError('INVALID_OPTION', `query parameter ${stray.map((k) => `'${k}'`).join(', ')} not read: ${why}`, { path: `query.${stray[0]}` });
  }
  if (!request.isMultipart()) {
    const b = request.body;
    if (!b || typeof b !== 'object' || Array.isArray(b) || Buffer.isBuffer(b)) {
      throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object (or a multipart form with .npy files and a "request" field)', { path: '$' });
    }
    return { fields: b as Record<string, unknown>, files: {} };
  }
  const files: Record<string, Buffer> = {};
  let fields: unknown = {};
  const unknownFields: string[] = [];
  for await (const part of request.parts()) {
    if (part.type === 'file') files[part.fieldname] = await part.toBuffer();
    else if (part.fieldname === 'request') {
      try {
        fields = JSON.parse(String(part.value));
      } catch (e) {
        throw new ConvlensError('INVALID_JSON', `the "request" field is not JSON: ${(e as Error).message}`, { path: 'request' });
      }
    } else unknownFields.push(part.fieldname);
  }
  if (unknownFields.length) {
    const [first] = unknownFields;
    const suggestion = closest(first, ['request']);
    throw new ConvlensError(
      'INVALID_OPTION',
      `unknown form field ${unknownFields.map((k) => `'${k}'`).join(', ')}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}: a form holds .npy files and the JSON fields in one "request" field`,
      { path: first, ...(suggestion ? { suggestion } : {}) },
    );
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new ConvlensError('SPEC_INVALID', 'the "request" field must hold a JSON object', { path: 'request' });
  }
  return { fields: fields as Record<string, unknown>, files };
}

/** Files nobody read: a 400 naming them rather than silently ignored. */
function unreadFiles(files: Record<string, Buffer>, used: Set<string>, hint: string): void {
  const unread = Object.keys(files).filter((f) => !used.has(f));
  if (unread.length) throw new ConvlensError('INVALID_OPTION', `file part ${unread.map((f) => `'${f}'`).join(', ')} not read: ${hint}`, { path: unread[0] });
}

/** Named tensors from a JSON object and .npy files; the first encoding seen is the response's default. */
function namedTensors(
  raw: Record<string, unknown> | undefined,
  files: Record<string, Buffer>,
  prefix: string,
  path: string,
  max: number,
  used: Set<string>,
): { tensors: Record<string, Tensor>; encoding: Encoding | null } {
  const tensors: Record<string, Tensor> = {};
  let encoding: Encoding | null = null;
  if (raw !== undefined) {
    for (const [k, v] of Object.entries(raw)) {
      const t = tensorIn(v, `${path}.${k}`, max);
      tensors[k] = t.tensor;
      encoding ??= t.encoding;
    }
  }
  for (const [field, bytes] of Object.entries(files)) {
    if (prefix ? !field.startsWith(prefix) : field.includes('.') || field === 'model') continue;
    used.add(field);
    const t = npyIn(bytes, field, max);
    tensors[prefix ? field.slice(prefix.length) : field] = t.tensor;
    encoding ??= t.encoding;
  }
  return { tensors, encoding };
}

export function operatorRequest(name: string, body: Body, maxElements: number): { call: OperatorCall; encoding: Encoding } {
  const op = OPS_BY_NAME.get(name);
  if (!op) throw unknownOpError('UNKNOWN_OPERATOR', name, 'no operator', { path: 'name' });
  const f = parseRequest(OperatorRequest, body.fields, { in: 'body' });
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
    const named = namedTensors(f.inputs, body.files, '', '$.inputs', maxElements, used);
    encoding = named.encoding;
    const known = new Set(op.inputNames);
    const unknown = Object.keys(named.tensors).filter((k) => !known.has(k) && !/^\d+$/.test(k));
    if (unknown.length && !op.variadic) {
      const suggestion = closest(unknown[0], op.inputNames);
      throw new ConvlensError('INVALID_TENSOR', `${name} has no input '${unknown[0]}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; its inputs are ${op.inputNames.join(', ')}`, {
        path: `$.inputs.${unknown[0]}`,
        ...(suggestion ? { suggestion } : {}),
      });
    }
    const byName = op.inputNames.filter((n) => named.tensors[n]).map((n) => named.tensors[n]);
    const byIndex = Object.keys(named.tensors).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => named.tensors[k]);
    inputs = op.variadic ? Object.values(named.tensors) : byName.length ? byName : byIndex;
  }
  if (inputs.length === 0) throw new ConvlensError('INVALID_TENSOR', `${name} needs its inputs (${op.inputNames.join(', ')})`, { path: '$.inputs' });
  const weights = namedTensors(f.weights, body.files, 'weights.', '$.weights', maxElements, used).tensors;
  unreadFiles(body.files, used, `name a file after an input (${op.inputNames.join(', ')}), or weights.<role>; with inputs listed in JSON, give them all there`);
  return {
    call: { name, inputs, attributes: f.attributes, weights, training: f.training, seed: f.seed >>> 0, maxElements },
    encoding: chooseEncoding(f.format, encoding ?? 'json'),
  };
}

export function operatorResponse(result: OperatorResult, encoding: Encoding, name: string) {
  const op = OPS_BY_NAME.get(name)!;
  const { layer } = result;
  return {
    operator: name,
    pytorch: op.pytorch,
    outputs: result.outputs.map((t, i) => ({ name: i === 0 ? 'y' : `y${i}`, ...tensorOut(t, encoding) })),
    cost: { params: layer.params, macs: layer.macs, flops: layer.flops, flopsByConvention: layer.flopsByConvention, memoryAccess: layer.memoryAccess },
    ...result.extra,
  };
}

function transfers(tensors: Tensor[]): ArrayBuffer[] {
  return [...new Set(tensors.map((t) => t.data.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
}

export async function callOperator(pool: TaskPool, call: OperatorCall): Promise<OperatorResult> {
  const split = await splitConv(pool, call);
  if (split) return split;
  return pool.run<OperatorResult>('operator', call, transfers([...call.inputs, ...Object.values(call.weights)]));
}

export function runRequest(body: Body, maxElements: number): { task: RunTask; encoding: Encoding } {
  const f = parseRequest(RunRequest, body.fields, { in: 'body' });
  const used = new Set<string>();
  const file = body.files.model;
  if (file) used.add('model');
  if (file && f.onnxBase64 !== undefined) throw new ConvlensError('SPEC_INVALID', 'give one network, not an ONNX file part "model" and onnxBase64', { path: '$.onnxBase64' });
  const onnx = file ?? (f.onnxBase64 === undefined ? undefined : Buffer.from(f.onnxBase64, 'base64'));
  const source = requestSource(
    { spec: f.spec, model: f.model, resolution: f.resolution, onnx: onnx && transferable(onnx) },
    'spec, model (a zoo name), onnxBase64, or an ONNX file part "model"',
  );
  if (f.resolution !== undefined && source.kind !== 'model') {
    throw new ConvlensError('INVALID_OPTION', 'resolution applies to a built-in model (model); a spec or ONNX file declares its input shapes', { path: '$.resolution' });
  }
  let inputs: Record<string, Tensor>;
  let encoding: Encoding | null;
  if (f.inputs && 'shape' in f.inputs) {
    const t = tensorIn(f.inputs, '$.inputs', maxElements);
    inputs = { input: t.tensor };
    encoding = t.encoding;
  } else {
    ({ tensors: inputs, encoding } = namedTensors(f.inputs as Record<string, unknown> | undefined, body.files, '', '$.inputs', maxElements, used));
  }
  if (Object.keys(inputs).length === 0) throw new ConvlensError('INVALID_TENSOR', 'give the input tensor(s) in "inputs"', { path: '$.inputs' });
  const weights = namedTensors(f.weights, body.files, 'weights.', '$.weights', maxElements, used).tensors;
  unreadFiles(body.files, used, 'name a file "model" (the ONNX file), after an input, or weights.<layer>.<role>; with one input tensor in JSON, give the others there too');
  return {
    task: { source, inputs, weights, weightInit: f.weightInit ?? (source.kind === 'onnx' ? 'file' : 'seed'), training: f.training, seed: f.seed >>> 0, capture: f.capture, maxElements },
    encoding: chooseEncoding(f.format, encoding ?? 'json'),
  };
}

/** Outputs in graph order and captured tensors in request order, each with its name (a list: a JSON object would put integer-like names first). */
export function runResponse(result: RunTaskResult, encoding: Encoding) {
  const list = (names: string[], tensors: Record<string, Tensor>) => names.map((name) => ({ name, ...tensorOut(tensors[name], encoding) }));
  return { source: result.source, outputs: list(result.order.outputs, result.outputs), captured: list(result.order.captured, result.captured) };
}

export async function callRun(pool: TaskPool, task: RunTask): Promise<RunTaskResult> {
  const buffers = transfers([...Object.values(task.inputs), ...Object.values(task.weights)]);
  if (task.source.kind === 'onnx') buffers.push(task.source.bytes.buffer as ArrayBuffer);
  return pool.run<RunTaskResult>('run', task, buffers);
}

const FOLD_TENSORS = ['weight', 'bias', 'gamma', 'beta', 'runningMean', 'runningVar'] as const;

/**
 * `{ weight, bias?, gamma, beta, runningMean, runningVar, eps? }`: a conv and the inference BN after
 * it; in a multipart form, tensors may be .npy files named after their field.
 */
export function foldRequest(body: Body, maxElements: number): { task: FoldTask; encoding: Encoding } {
  const both = Object.keys(body.files).find((k) => body.fields[k] !== undefined);
  if (both) throw new ConvlensError('INVALID_TENSOR', `${both} is given twice, as a file and in "request"`, { path: `$.${both}` });
  const f = parseRequest(FoldRequest, { ...body.fields, ...body.files }, { in: 'body' });
  let encoding: Encoding | null = null;
  const get = (name: (typeof FOLD_TENSORS)[number]): Tensor | null => {
    const raw: unknown = f[name];
    if (raw === undefined) return null;
    const t = Buffer.isBuffer(raw) ? npyIn(raw, name, maxElements) : tensorIn(raw, `$.${name}`, maxElements);
    encoding ??= t.encoding;
    return t.tensor;
  };
  const weight = get('weight')!;
  if (weight.shape.length < 2) throw new ConvlensError('INVALID_TENSOR', 'weight must be a conv weight [Cout, Cin/g, Kh, Kw]', { path: '$.weight' });
  const task = { weight, bias: get('bias'), gamma: get('gamma')!, beta: get('beta')!, runningMean: get('runningMean')!, runningVar: get('runningVar')!, eps: f.eps };
  return { task, encoding: chooseEncoding(f.format, encoding ?? 'json') };
}

export async function callFold(pool: TaskPool, task: FoldTask, encoding: Encoding) {
  const folded = await pool.run<{ weight: Tensor; bias: Tensor }>('foldBatchNorm', task);
  return { weight: tensorOut(folded.weight, encoding), bias: tensorOut(folded.bias, encoding) };
}

export async function computeRoutes(app: FastifyInstance, opts: { pool: TaskPool; maxElements: number }): Promise<void> {
  const { pool, maxElements } = opts;
  app.post<{ Params: { name: string } }>('/v1/operators/:name', async (request, reply) => {
    const { call, encoding } = operatorRequest(request.params.name, await readBody(request, 'operator'), maxElements);
    const result = await callOperator(pool, call);
    return sendNpy(reply, result.outputs, encoding) ?? operatorResponse(result, encoding, call.name);
  });
  app.post('/v1/transforms/fold-batchnorm', async (request) => {
    const { task, encoding } = foldRequest(await readBody(request, 'fold'), maxElements);
    return callFold(pool, task, encoding);
  });
  app.post('/v1/run', async (request, reply) => {
    const { task, encoding } = runRequest(await readBody(request, 'run'), maxElements);
    const result = await callRun(pool, task);
    const outs = result.order.outputs.map((name) => result.outputs[name]);
    if (result.order.captured.length === 0) {
      const npy = sendNpy(reply, outs, encoding);
      if (npy) return npy;
    }
    return runResponse(result, encoding);
  });
}
