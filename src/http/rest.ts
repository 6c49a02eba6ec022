/**
 * REST routes: validate, hand the work to the pool, answer. A JSON body too large to parse on the
 * event loop (body.ts RawJson) is analysed whole in a worker, which answers with the report's JSON
 * (or its rendering).
 *
 * POST /v1/analyze takes the extra analyses of analysis/extras.ts as options (memory, inPlace,
 * device, depth, topK, convention, convTranspose, explain, deployed), in the body's `options` or
 * the query, and answers JSON, CSV, Markdown, HTML or a Netron attachment (`?format=` or Accept:
 * formats.ts). The reports' other routes (compare, sweep, a zoo model's report, devices,
 * conventions) are in reports.ts.
 */
import { NO_QUERY } from './query-keys.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { unsupportedMediaType } from './errors.js';
import { AnalysisReportSchema, planExtras, ReportOptionsSchema, splitOptions } from '../analysis/extras.js';
import type { OptionPath, ReportOptions } from '../analysis/extras.js';
import { checkFormatOptions, inputShapes, OPTION_KEYS, queryOptions, sendAnalysis } from './report-answers.js';
import type { TaskPool } from '../runtime/pool.js';
import { checkModel, modelSpec, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { networkSpecSchema } from '../graph/network.js';
import { jsonSchemaOf, modelCatalog, operatorCatalog } from './catalog.js';
import { AnalyzeBody, AnalyzeQuery, ModelQuery, parseRequest } from './requests.js';
import { RawJson, transferable } from './body.js';
import { readFirstFile } from './form.js';
import { bodyCharge, requestTasks } from './admission.js';
import { OFFLOAD, OFFLOAD_WORKER } from './offload.js';
import type { OffloadTask } from './offload.js';
import type { AnalyzeTask } from '../runtime/tasks.js';
import { chooseFormat, MEDIA_TYPES, REPORT_FORMATS, varyAccept } from './formats.js';
import type { ReportFormat } from './formats.js';
import { reportRoutes } from './reports.js';

/** `?input=` shapes (report-answers.ts), where callers have always found them. */
export { inputShapes };

/** An uploaded ONNX file and where the request holds it: the raw body (application/octet-stream), or the one file of a multipart form (its part), read into one buffer. */
async function onnxUpload(request: FastifyRequest, fileLimit: number): Promise<{ bytes: Uint8Array; at: string; fileName?: string } | null> {
  if (request.isMultipart()) {
    const file = await readFirstFile(request, { fileLimit, fieldLimit: fileLimit, charge: bodyCharge(request) });
    if (!file) throw new ConvlensError('ONNX_INVALID', 'the multipart form holds no file; send the model as a file field (curl -F model=@net.onnx)', { path: 'body' });
    return { bytes: file.bytes, at: file.part, fileName: file.fileName };
  }
  return Buffer.isBuffer(request.body) && request.headers['content-type'] !== 'application/x-npy' ? { bytes: request.body, at: 'body' } : null;
}

const bodyPath: OptionPath = (key) => `$.options.${key}`;

/** The query string, checked: known keys and their types (`input.<name>` is inputShapes's). */
function analyzeQuery(raw: Record<string, unknown>): AnalyzeQuery {
  return parseRequest(AnalyzeQuery, Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('input.'))), { in: 'query' });
}

/** Query keys this form of request does not read: a 400 rather than silently ignored. */
function notRead(query: Record<string, unknown>, keys: string[], why: string): void {
  const key = Object.keys(query).find((k) => keys.includes(k) || (keys.includes('input') && k.startsWith('input.')));
  if (key !== undefined) throw new ConvlensError('INVALID_OPTION', `?${key} is not read ${why}`, { path: `query.${key}` });
}

const defaultOptions = (): ReportOptions => ReportOptionsSchema.parse({});

/**
 * A JSON body is a spec, or `{ spec, options }`, or `{ model, resolution, options }`; or there is
 * no body and the query names the model. Options come from the body or the query, not both.
 */
function analyzeSource(body: unknown, rawQuery: Record<string, unknown>, query: AnalyzeQuery): { source: GraphSource; options: ReportOptions } {
  const fromQuery = queryOptions(query);
  if (query.model !== undefined) {
    notRead(rawQuery, ['input'], 'for a built-in model (its input shape comes from ?resolution)');
    if (body !== undefined && body !== null && body !== '') {
      throw new ConvlensError('SPEC_INVALID', 'give one network: ?model names one, so send no body', { path: '$' });
    }
    checkModel(query.model, 'query.model');
    return { source: requestSource({ model: query.model, resolution: query.resolution, resolutionAt: 'query.resolution', modelAt: 'query.model' }), options: fromQuery ?? defaultOptions() };
  }
  notRead(rawQuery, ['resolution'], 'without ?model (a spec declares its input shapes)');
  notRead(rawQuery, ['input'], 'with a JSON body (a spec declares its input shapes; ?input is for ONNX files)');
  if (body === undefined || body === null) {
    throw new ConvlensError('SPEC_INVALID', `the body must be a network spec, { spec, options } or { model, resolution }; it was ${body === null ? 'null' : 'empty'}`, { path: '$' });
  }
  // a binary body that is not an ONNX file (a raw .npy tensor) has no network in it
  if (Buffer.isBuffer(body)) throw unsupportedMediaType('application/x-npy', 'application/json (a network spec), application/octet-stream (an ONNX file) or multipart/form-data (the ONNX file as a part); a raw .npy body is for POST /v1/operators/{name}');
  if (typeof body !== 'object' || Array.isArray(body)) throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object', { path: '$' });
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
  if (req.options) planExtras(splitOptions(req.options).extras, bodyPath);
  const options = req.options ?? fromQuery ?? defaultOptions();
  return { source: requestSource({ spec: req.spec, specAt: '$.spec', model: req.model, resolution: req.resolution }), options };
}

/** What to analyse, from a parsed JSON body (or none) and the query: the same on the event loop and in a worker. */
export function analyzeInput(body: unknown, rawQuery: Record<string, unknown>): AnalyzeTask {
  return analyzeSource(body, rawQuery, analyzeQuery(rawQuery));
}

export async function restRoutes(app: FastifyInstance, opts: { pool: TaskPool; fileLimit?: number }): Promise<void> {
  const { pool } = opts;
  const fileLimit = opts.fileLimit ?? Infinity;
  const networkSchema = jsonSchemaOf(networkSpecSchema());
  const reportSchema = jsonSchemaOf(AnalysisReportSchema);

  app.get('/healthz', async () => ({ status: 'ok', workers: pool.threads, queued: pool.queued }));
  app.get('/v1/schema/network', NO_QUERY, async () => networkSchema);
  app.get('/v1/schema/report', NO_QUERY, async () => reportSchema);

  app.post('/v1/analyze', OFFLOAD, async (request, reply) => {
    const tasks = requestTasks(request);
    const rawQuery = request.query as Record<string, unknown>;
    const query = analyzeQuery(rawQuery);
    const format = chooseFormat(query.format as ReportFormat | undefined, request.headers.accept, REPORT_FORMATS);
    varyAccept(reply);
    if (request.body instanceof RawJson) {
      if (format === 'netron') throw netronNeedsOnnx();
      const { text } = request.body;
      const task: OffloadTask = { kind: 'analyze', json: text, query: { ...rawQuery }, format };
      const transfer = text instanceof Uint8Array && text.buffer instanceof ArrayBuffer ? [text.buffer] : [];
      const answer = await pool.run<Uint8Array>('analyze', task, transfer, { filename: OFFLOAD_WORKER, ...tasks });
      return reply.type(MEDIA_TYPES[format]).send(Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength));
    }
    const upload = await onnxUpload(request, fileLimit);
    if (upload) {
      notRead(rawQuery, ['model', 'resolution'], 'with an ONNX file (the file is the network; its input shapes come from ?input)');
      const options = queryOptions(query) ?? defaultOptions();
      const bytes = transferable(upload.bytes);
      checkFormatOptions(options, format, rawQuery);
      return sendAnalysis(pool, reply, { source: requestSource({ onnx: bytes, onnxAt: upload.at, fileName: upload.fileName, inputShapes: inputShapes(rawQuery), inputShapesAt: 'query.input' }), options }, format, tasks);
    }
    if (format === 'netron') throw netronNeedsOnnx();
    const input = analyzeSource(request.body, rawQuery, query);
    checkFormatOptions(input.options, format, rawQuery);
    return sendAnalysis(pool, reply, input, format, tasks);
  });

  app.get('/v1/models', NO_QUERY, async () => ({ models: modelCatalog() }));
  app.get<{ Params: { name: string } }>('/v1/models/:name', async (request) => {
    checkModel(request.params.name, 'name');
    return modelSpec(request.params.name, parseRequest(ModelQuery, request.query, { in: 'query' }).resolution, 'query.resolution');
  });

  app.get('/v1/operators', NO_QUERY, async () => ({ operators: operatorCatalog() }));
  reportRoutes(app, { pool, fileLimit });
}

const netronNeedsOnnx = () =>
  new ConvlensError('INVALID_OPTION', "format=netron annotates an ONNX file's nodes in Netron: upload the ONNX file (a spec or built-in model has none; export it to ONNX first)", {
    path: 'query.format',
  });
