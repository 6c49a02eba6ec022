/**
 * REST routes: validate, hand the work to the pool, answer. A JSON body too large to parse on the
 * event loop (body.ts RawJson) is analysed whole in a worker, which answers with the report's JSON.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { AnalyzeOptionsSchema, ReportSchema } from '../analysis/report.js';
import type { AnalyzeOptions, Report } from '../analysis/report.js';
import type { TaskPool } from '../runtime/pool.js';
import { modelSpec, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { networkSpecSchema } from '../graph/network.js';
import { jsonSchemaOf, modelCatalog, operatorCatalog } from './catalog.js';
import { AnalyzeBody, AnalyzeQuery, ModelQuery, parseRequest } from './requests.js';
import { RawJson, readFirstFile, transferable } from './body.js';
import { bodyCharge, requestSignal } from './admission.js';
import { OFFLOAD, OFFLOAD_WORKER } from './offload.js';
import type { OffloadTask } from './offload.js';
import { dict } from '../records.js';
import type { AnalyzeTask } from '../runtime/tasks.js';

/** Shapes for ONNX inputs from `?input=1,3,224,224` (the first input) and `?input.<name>=…`. */
export function inputShapes(query: Record<string, unknown>): Record<string, number[]> {
  // keyed by input names: a record without a prototype (`?input.constructor=…` names an input)
  const out = dict<number[]>();
  for (const [key, raw] of Object.entries(query)) {
    if (key !== 'input' && !key.startsWith('input.')) continue;
    const text = Array.isArray(raw) ? String(raw[raw.length - 1]) : String(raw);
    const dims = text.split(/[,x×]/).map((d) => Number(d.trim()));
    if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ConvlensError('INVALID_OPTION', `${key} must be positive integers separated by commas, e.g. 1,3,224,224; got ${JSON.stringify(text)}`, { path: `query.${key}` });
    }
    out[key === 'input' ? '' : key.slice('input.'.length)] = dims;
  }
  return out;
}

/** An uploaded ONNX file: the raw body (application/octet-stream) or the first file of a multipart form, read into one buffer. */
async function onnxUpload(request: FastifyRequest, fileLimit: number): Promise<Uint8Array | null> {
  if (request.isMultipart()) {
    const file = await readFirstFile(request, { fileLimit, fieldLimit: fileLimit, charge: bodyCharge(request) });
    if (!file) throw new ConvlensError('ONNX_INVALID', 'the multipart form holds no file; send the model as a file field (curl -F model=@net.onnx)', { path: 'body' });
    return file;
  }
  return Buffer.isBuffer(request.body) && request.headers['content-type'] !== 'application/x-npy' ? request.body : null;
}

const OPTION_KEYS = ['dtype', 'flops', 'includeBias'] as const;

/** The query string, checked: known keys and their types (`input.<name>` is inputShapes's). */
function analyzeQuery(raw: Record<string, unknown>): AnalyzeQuery {
  return parseRequest(AnalyzeQuery, Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('input.'))), { in: 'query' });
}

/** Query keys this form of request does not read: a 400 rather than silently ignored. */
function notRead(query: Record<string, unknown>, keys: string[], why: string): void {
  const key = Object.keys(query).find((k) => keys.includes(k) || (keys.includes('input') && k.startsWith('input.')));
  if (key !== undefined) throw new ConvlensError('INVALID_OPTION', `?${key} is not read ${why}`, { path: `query.${key}` });
}

const defaultOptions = (): AnalyzeOptions => AnalyzeOptionsSchema.parse({});

/** The options given in the query (already checked), or null when it gives none. */
function queryOptions(q: AnalyzeQuery): AnalyzeOptions | null {
  const given = OPTION_KEYS.filter((k) => q[k] !== undefined);
  return given.length ? AnalyzeOptionsSchema.parse(Object.fromEntries(given.map((k) => [k, q[k]]))) : null;
}

/**
 * A JSON body is a spec, or `{ spec, options }`, or `{ model, resolution, options }`; or there is
 * no body and the query names the model. Options come from the body or the query, not both.
 */
function analyzeSource(body: unknown, rawQuery: Record<string, unknown>, query: AnalyzeQuery): { source: GraphSource; options: AnalyzeOptions } {
  const fromQuery = queryOptions(query);
  if (query.model !== undefined) {
    notRead(rawQuery, ['input'], 'for a built-in model (its input shape comes from ?resolution)');
    if (body !== undefined && body !== null && body !== '') {
      throw new ConvlensError('SPEC_INVALID', 'give one network: ?model names one, so send no body', { path: '$' });
    }
    return { source: requestSource({ model: query.model, resolution: query.resolution }), options: fromQuery ?? defaultOptions() };
  }
  notRead(rawQuery, ['resolution'], 'without ?model (a spec declares its input shapes)');
  notRead(rawQuery, ['input'], 'with a JSON body (a spec declares its input shapes; ?input is for ONNX files)');
  if (body === undefined || body === null) {
    throw new ConvlensError('SPEC_INVALID', 'the body must be a network spec, { spec, options } or { model, resolution }; it was empty', { path: '$' });
  }
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object', { path: '$' });
  const b = body as Record<string, unknown>;
  const bare = ('inputs' in b || 'layers' in b) && !('spec' in b) && !('model' in b);
  if (bare) return { source: { kind: 'spec', spec: body }, options: fromQuery ?? defaultOptions() };
  const req = parseRequest(AnalyzeBody, b, { in: 'body' });
  if (req.resolution !== undefined && req.model === undefined) {
    throw new ConvlensError('INVALID_OPTION', 'resolution applies to a built-in model (model); a spec declares its input shapes', { path: '$.resolution' });
  }
  if (req.options && fromQuery) {
    const key = OPTION_KEYS.find((k) => query[k] !== undefined)!;
    throw new ConvlensError('INVALID_OPTION', `options are given both in the body ($.options) and the query (?${key}); give them in one place`, { path: `query.${key}` });
  }
  const options = req.options ?? fromQuery ?? defaultOptions();
  return { source: requestSource({ spec: req.spec, model: req.model, resolution: req.resolution }), options };
}

/** What to analyse, from a parsed JSON body (or none) and the query: the same on the event loop and in a worker. */
export function analyzeInput(body: unknown, rawQuery: Record<string, unknown>): AnalyzeTask {
  return analyzeSource(body, rawQuery, analyzeQuery(rawQuery));
}

export async function restRoutes(app: FastifyInstance, opts: { pool: TaskPool; fileLimit?: number }): Promise<void> {
  const { pool } = opts;
  const fileLimit = opts.fileLimit ?? Infinity;
  const networkSchema = jsonSchemaOf(networkSpecSchema());
  const reportSchema = jsonSchemaOf(ReportSchema);

  app.get('/healthz', async () => ({ status: 'ok', workers: pool.threads, queued: pool.queued }));
  app.get('/v1/schema/network', async () => networkSchema);
  app.get('/v1/schema/report', async () => reportSchema);

  app.post('/v1/analyze', OFFLOAD, async (request, reply) => {
    const signal = requestSignal(request);
    const rawQuery = request.query as Record<string, unknown>;
    const query = analyzeQuery(rawQuery);
    if (request.body instanceof RawJson) {
      const { text } = request.body;
      const task: OffloadTask = { kind: 'analyze', json: text, query: { ...rawQuery } };
      const transfer = text instanceof Uint8Array && text.buffer instanceof ArrayBuffer ? [text.buffer] : [];
      const json = await pool.run<Uint8Array>('analyze', task, transfer, { filename: OFFLOAD_WORKER, signal });
      return reply.type('application/json; charset=utf-8').send(Buffer.from(json.buffer, json.byteOffset, json.byteLength));
    }
    const upload = await onnxUpload(request, fileLimit);
    if (upload) {
      notRead(rawQuery, ['model', 'resolution'], 'with an ONNX file (the file is the network; its input shapes come from ?input)');
      const options = queryOptions(query) ?? defaultOptions();
      const bytes = transferable(upload);
      return pool.run<Report>('analyze', { source: requestSource({ onnx: bytes, inputShapes: inputShapes(rawQuery) }), options }, [bytes.buffer as ArrayBuffer], { signal });
    }
    const { source, options } = analyzeSource(request.body, rawQuery, query);
    return pool.run<Report>('analyze', { source, options }, undefined, { signal });
  });

  app.get('/v1/models', async () => ({ models: modelCatalog() }));
  app.get<{ Params: { name: string } }>('/v1/models/:name', async (request) =>
    modelSpec(request.params.name, parseRequest(ModelQuery, request.query, { in: 'query' }).resolution),
  );

  app.get('/v1/operators', async () => ({ operators: operatorCatalog() }));
}
