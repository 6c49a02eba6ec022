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
import { requestSource } from '../graph/load.js';
import type { Tensor } from '../tensor/tensor.js';
import { transferable } from './body.js';
import { chooseEncoding, npyIn, sendNpy, tensorIn, tensorOut } from './tensors.js';
import type { Encoding } from './tensors.js';

interface Body {
  fields: Record<string, unknown>;
  files: Record<string, Buffer>;
}

async function readBody(request: FastifyRequest): Promise<Body> {
  if (Buffer.isBuffer(request.body) && request.headers['content-type'] === 'application/x-npy') {
    // one .npy tensor as the body (the first input); the rest from the query: ?attributes={…}&format=npy
    const q = request.query as Record<string, string | undefined>;
    let attributes: unknown = {};
    try {
      attributes = q.attributes ? JSON.parse(q.attributes) : {};
    } catch (e) {
      throw new ConvlensError('INVALID_JSON', `?attributes is not JSON: ${(e as Error).message}`, { path: 'query.attributes' });
    }
    return { fields: { attributes, format: q.format, seed: q.seed === undefined ? undefined : Number(q.seed), training: q.training === undefined ? undefined : q.training === 'true' }, files: { '0': request.body } };
  }
  if (!request.isMultipart()) {
    const b = request.body;
    if (!b || typeof b !== 'object' || Array.isArray(b) || Buffer.isBuffer(b)) {
      throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object (or a multipart form with .npy files and a "request" field)', { path: '$' });
    }
    return { fields: b as Record<string, unknown>, files: {} };
  }
  const files: Record<string, Buffer> = {};
  let fields: Record<string, unknown> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file') files[part.fieldname] = await part.toBuffer();
    else if (part.fieldname === 'request') {
      try {
        fields = JSON.parse(String(part.value));
      } catch (e) {
        throw new ConvlensError('INVALID_JSON', `the "request" field is not JSON: ${(e as Error).message}`, { path: 'request' });
      }
    }
  }
  return { fields, files };
}

const bool = (v: unknown, path: string, dflt: boolean): boolean => {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConvlensError('INVALID_OPTION', `${path} must be true or false`, { path });
  return v;
};
const seedOf = (v: unknown): number => {
  if (v === undefined) return 0;
  if (!Number.isInteger(v)) throw new ConvlensError('INVALID_OPTION', 'seed must be an integer', { path: '$.seed' });
  return (v as number) >>> 0;
};

/** Named tensors from a JSON object and .npy files; the first encoding seen is the response's default. */
function namedTensors(raw: unknown, files: Record<string, Buffer>, prefix: string, path: string, max: number): { tensors: Record<string, Tensor>; encoding: Encoding | null } {
  const tensors: Record<string, Tensor> = {};
  let encoding: Encoding | null = null;
  if (raw !== undefined) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConvlensError('INVALID_TENSOR', `${path} must map names to tensors`, { path });
    for (const [k, v] of Object.entries(raw)) {
      const t = tensorIn(v, `${path}.${k}`, max);
      tensors[k] = t.tensor;
      encoding ??= t.encoding;
    }
  }
  for (const [field, bytes] of Object.entries(files)) {
    if (prefix ? !field.startsWith(prefix) : field.includes('.') || field === 'model') continue;
    const t = npyIn(bytes, field, max);
    tensors[prefix ? field.slice(prefix.length) : field] = t.tensor;
    encoding ??= t.encoding;
  }
  return { tensors, encoding };
}

export function operatorRequest(name: string, body: Body, maxElements: number): { call: OperatorCall; encoding: Encoding } {
  const op = OPS_BY_NAME.get(name);
  if (!op) throw new ConvlensError('UNKNOWN_OPERATOR', `no operator '${name}'; GET /v1/operators lists them`, { path: 'name' });
  const f = body.fields;
  let inputs: Tensor[];
  let encoding: Encoding | null = null;
  if (Array.isArray(f.inputs)) {
    inputs = f.inputs.map((raw, i) => {
      const t = tensorIn(raw, `$.inputs[${i}]`, maxElements);
      encoding ??= t.encoding;
      return t.tensor;
    });
  } else {
    const named = namedTensors(f.inputs, body.files, '', '$.inputs', maxElements);
    encoding = named.encoding;
    const known = new Set(op.inputNames);
    const unknown = Object.keys(named.tensors).filter((k) => !known.has(k) && !/^\d+$/.test(k));
    if (unknown.length && !op.variadic) {
      throw new ConvlensError('INVALID_TENSOR', `${name} has no input '${unknown[0]}'; its inputs are ${op.inputNames.join(', ')}`, { path: `$.inputs.${unknown[0]}` });
    }
    const byName = op.inputNames.filter((n) => named.tensors[n]).map((n) => named.tensors[n]);
    const byIndex = Object.keys(named.tensors).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b)).map((k) => named.tensors[k]);
    inputs = op.variadic ? Object.values(named.tensors) : byName.length ? byName : byIndex;
  }
  if (inputs.length === 0) throw new ConvlensError('INVALID_TENSOR', `${name} needs its inputs (${op.inputNames.join(', ')})`, { path: '$.inputs' });
  const weights = namedTensors(f.weights, body.files, 'weights.', '$.weights', maxElements).tensors;
  const attributes = f.attributes ?? {};
  if (typeof attributes !== 'object' || Array.isArray(attributes)) throw new ConvlensError('SPEC_INVALID', 'attributes must be an object', { path: '$.attributes' });
  return {
    call: { name, inputs, attributes: attributes as Record<string, unknown>, weights, training: bool(f.training, '$.training', false), seed: seedOf(f.seed), maxElements },
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
  const f = body.fields;
  const onnx = body.files.model ?? (typeof f.onnxBase64 === 'string' ? Buffer.from(f.onnxBase64, 'base64') : undefined);
  const source = requestSource(
    { spec: f.spec, model: typeof f.model === 'string' ? f.model : undefined, resolution: typeof f.resolution === 'number' ? f.resolution : undefined, onnx: onnx && transferable(onnx) },
    'spec, model (a zoo name), onnxBase64, or an ONNX file part "model"',
  );
  let inputs: Record<string, Tensor>;
  let encoding: Encoding | null;
  if (f.inputs && typeof f.inputs === 'object' && 'shape' in (f.inputs as object)) {
    const t = tensorIn(f.inputs, '$.inputs', maxElements);
    inputs = { input: t.tensor };
    encoding = t.encoding;
  } else {
    ({ tensors: inputs, encoding } = namedTensors(f.inputs, body.files, '', '$.inputs', maxElements));
  }
  if (Object.keys(inputs).length === 0) throw new ConvlensError('INVALID_TENSOR', 'give the input tensor(s) in "inputs"', { path: '$.inputs' });
  const weights = namedTensors(f.weights, body.files, 'weights.', '$.weights', maxElements).tensors;
  const init = f.weightInit ?? (source.kind === 'onnx' ? 'file' : 'seed');
  if (init !== 'file' && init !== 'seed') throw new ConvlensError('INVALID_OPTION', 'weightInit must be "file" or "seed"', { path: '$.weightInit' });
  const capture = f.capture ?? [];
  if (!Array.isArray(capture) || capture.some((c) => typeof c !== 'string')) throw new ConvlensError('INVALID_OPTION', 'capture must be a list of layer names', { path: '$.capture' });
  return {
    task: { source, inputs, weights, weightInit: init, training: bool(f.training, '$.training', false), seed: seedOf(f.seed), capture: capture as string[], maxElements },
    encoding: chooseEncoding(f.format, encoding ?? 'json'),
  };
}

export function runResponse(result: RunTaskResult, encoding: Encoding) {
  const enc = (m: Record<string, Tensor>) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, tensorOut(t, encoding)]));
  return { source: result.source, outputs: enc(result.outputs), captured: enc(result.captured) };
}

export async function callRun(pool: TaskPool, task: RunTask): Promise<RunTaskResult> {
  const buffers = transfers([...Object.values(task.inputs), ...Object.values(task.weights)]);
  if (task.source.kind === 'onnx') buffers.push(task.source.bytes.buffer as ArrayBuffer);
  return pool.run<RunTaskResult>('run', task, buffers);
}

/** `{ weight, bias?, gamma, beta, runningMean, runningVar, eps? }`: a conv and the inference BN after it. */
export function foldRequest(body: Body, maxElements: number): { task: FoldTask; encoding: Encoding } {
  const f = body.fields;
  let encoding: Encoding | null = null;
  const get = (name: string, optional = false): Tensor | null => {
    if (f[name] === undefined && optional) return null;
    if (f[name] === undefined) throw new ConvlensError('INVALID_TENSOR', `${name} is required`, { path: `$.${name}` });
    const t = tensorIn(f[name], `$.${name}`, maxElements);
    encoding ??= t.encoding;
    return t.tensor;
  };
  const weight = get('weight')!;
  if (weight.shape.length < 2) throw new ConvlensError('INVALID_TENSOR', 'weight must be a conv weight [Cout, Cin/g, Kh, Kw]', { path: '$.weight' });
  const eps = f.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) throw new ConvlensError('INVALID_OPTION', 'eps must be a positive number', { path: '$.eps' });
  const task = { weight, bias: get('bias', true), gamma: get('gamma')!, beta: get('beta')!, runningMean: get('runningMean')!, runningVar: get('runningVar')!, eps };
  return { task, encoding: chooseEncoding(f.format, encoding ?? 'json') };
}

export async function callFold(pool: TaskPool, task: FoldTask, encoding: Encoding) {
  const folded = await pool.run<{ weight: Tensor; bias: Tensor }>('foldBatchNorm', task);
  return { weight: tensorOut(folded.weight, encoding), bias: tensorOut(folded.bias, encoding) };
}

export async function computeRoutes(app: FastifyInstance, opts: { pool: TaskPool; maxElements: number }): Promise<void> {
  const { pool, maxElements } = opts;
  app.post<{ Params: { name: string } }>('/v1/operators/:name', async (request, reply) => {
    const { call, encoding } = operatorRequest(request.params.name, await readBody(request), maxElements);
    const result = await callOperator(pool, call);
    return sendNpy(reply, result.outputs, encoding) ?? operatorResponse(result, encoding, call.name);
  });
  app.post('/v1/transforms/fold-batchnorm', async (request) => {
    const { task, encoding } = foldRequest(await readBody(request), maxElements);
    return callFold(pool, task, encoding);
  });
  app.post('/v1/run', async (request, reply) => {
    const { task, encoding } = runRequest(await readBody(request), maxElements);
    const result = await callRun(pool, task);
    const outs = Object.values(result.outputs);
    if (Object.keys(result.captured).length === 0) {
      const npy = sendNpy(reply, outs, encoding);
      if (npy) return npy;
    }
    return runResponse(result, encoding);
  });
}
