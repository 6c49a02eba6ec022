/** REST routes: validate, hand the work to the pool, answer. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { ReportSchema } from '../analysis/report.js';
import type { Report } from '../analysis/report.js';
import type { TaskPool } from '../runtime/pool.js';
import { modelSpec, requestSource } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { networkSpecSchema } from '../graph/network.js';
import { jsonSchemaOf, modelCatalog, operatorCatalog } from './catalog.js';
import { parseOptions } from './options.js';
import { transferable } from './body.js';


/** A resolution from the query or body as a number; modelSpec checks its range. */
function resolution(raw: unknown, path: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConvlensError('INVALID_OPTION', `resolution must be an integer, got ${JSON.stringify(raw)}`, { path });
  return n;
}

/** Shapes for ONNX inputs from `?input=1,3,224,224` (the first input) and `?input.<name>=…`. */
export function inputShapes(query: Record<string, unknown>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
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

/** An uploaded ONNX file: the raw body (application/octet-stream) or the first file of a multipart form. */
async function onnxUpload(request: FastifyRequest): Promise<Uint8Array | null> {
  if (request.isMultipart()) {
    const file = await request.file();
    if (!file) throw new ConvlensError('ONNX_INVALID', 'the multipart form holds no file; send the model as a file field (curl -F model=@net.onnx)', { path: 'body' });
    return file.toBuffer();
  }
  return Buffer.isBuffer(request.body) && request.headers['content-type'] !== 'application/x-npy' ? request.body : null;
}

/** A JSON body is a spec, or `{ spec, options }`, or `{ model, resolution, options }`. */
function analyzeSource(body: unknown, query: Record<string, unknown>): { source: GraphSource; optionsRaw: unknown; where: 'body' | 'query' } {
  if (typeof query.model === 'string') {
    return { source: requestSource({ model: query.model, resolution: resolution(query.resolution, 'query.resolution') }), optionsRaw: query, where: 'query' };
  }
  if (body === undefined || body === null) {
    throw new ConvlensError('SPEC_INVALID', 'the body must be a network spec, { spec, options } or { model, resolution }; it was empty', { path: '$' });
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object', { path: '$' });
  const b = body as Record<string, unknown>;
  const hasQueryOptions = ['dtype', 'flops', 'includeBias'].some((k) => query[k] !== undefined);
  const options = (raw: unknown) => (hasQueryOptions ? { optionsRaw: query, where: 'query' as const } : { optionsRaw: raw, where: 'body' as const });
  if ('spec' in b || typeof b.model === 'string') {
    return { source: requestSource({ spec: b.spec, model: b.model as string | undefined, resolution: resolution(b.resolution, '$.resolution') }), ...options(b.options) };
  }
  return { source: { kind: 'spec', spec: body }, ...options(undefined) };
}

export async function restRoutes(app: FastifyInstance, opts: { pool: TaskPool }): Promise<void> {
  const { pool } = opts;
  const networkSchema = jsonSchemaOf(networkSpecSchema());
  const reportSchema = jsonSchemaOf(ReportSchema);

  app.get('/healthz', async () => ({ status: 'ok', workers: pool.threads, queued: pool.queued }));
  app.get('/v1/schema/network', async () => networkSchema);
  app.get('/v1/schema/report', async () => reportSchema);

  app.post('/v1/analyze', async (request) => {
    const query = request.query as Record<string, unknown>;
    const upload = await onnxUpload(request);
    if (upload) {
      const options = parseOptions(query, 'query');
      const bytes = transferable(upload);
      return pool.run<Report>('analyze', { source: requestSource({ onnx: bytes, inputShapes: inputShapes(query) }), options }, [bytes.buffer as ArrayBuffer]);
    }
    const { source, optionsRaw, where } = analyzeSource(request.body, query);
    const options = parseOptions(optionsRaw, where);
    return pool.run<Report>('analyze', { source, options });
  });

  app.get('/v1/models', async () => ({ models: modelCatalog() }));
  app.get<{ Params: { name: string }; Querystring: { resolution?: string } }>('/v1/models/:name', async (request) =>
    modelSpec(request.params.name, resolution(request.query.resolution, 'query.resolution')),
  );

  app.get('/v1/operators', async () => ({ operators: operatorCatalog() }));
}
