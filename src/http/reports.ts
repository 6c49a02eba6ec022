/**
 * The report routes besides POST /v1/analyze (rest.ts):
 *
 *   POST /v1/compare                 two networks → the comparison and gates (JSON) or Markdown
 *   POST /v1/sweep                   one network at several input sizes
 *   GET  /v1/models/{name}/report    a zoo model's report: self-contained HTML by default
 *   GET  /v1/devices                 the built-in device profiles of the roofline
 *   GET  /v1/conventions             the counting-convention presets of other tools
 *
 * The work runs in the pool (runtime/tasks.ts compareTask, sweepTask, analyzeTask); a JSON body
 * too large for the event loop is parsed and checked in a worker too (offload-worker.ts).
 */
import { NO_QUERY } from './query-keys.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ReportOptionsSchema } from '../analysis/extras.js';
import { ConvlensError } from '../errors.js';
import type { TaskContext, TaskPool } from '../runtime/pool.js';
import type { CompareTask, CompareTaskResult, SweepTask } from '../runtime/tasks.js';
import type { SweepReport } from '../analysis/sweep.js';
import { checkModel } from '../graph/load.js';
import type { GraphSource } from '../graph/load.js';
import { closest } from '../suggest.js';
import { conventionCatalog, deviceCatalog } from './catalog.js';
import { bodyCharge, requestTasks } from './admission.js';
import { RawJson } from './body.js';
import { readForm } from './form.js';
import { fieldsOf } from './compute-body.js';
import { chooseFormat, MEDIA_TYPES, varyAccept } from './formats.js';
import type { ReportFormat } from './formats.js';
import { OFFLOAD, OFFLOAD_WORKER } from './offload.js';
import type { OffloadTask } from './offload.js';
import { compareRequest, sweepRequest } from './report-requests.js';
import { CompareQuery, ModelReportQuery, parseRequest, SweepQuery } from './requests.js';
import { checkFormatOptions, inputShapes, queryOptions, sendAnalysis } from './report-answers.js';

/** The query without `input.<name>` (inputShapes reads those). */
const withoutNamedInputs = (query: unknown) => Object.fromEntries(Object.entries(query as Record<string, unknown>).filter(([k]) => !k.startsWith('input.')));

type Fields = { fields: Record<string, unknown> | RawJson; files: Map<string, Uint8Array>; fileNames?: Map<string, string>; where: 'body' | 'request'; shapes: Record<string, number[]> };

/** A JSON body, or a multipart form (ONNX file parts and the JSON in `request`); no query parameter besides `allowed` and `?input=`. */
async function readReportBody(request: FastifyRequest, limits: { fileLimit: number }, allowed: string[]): Promise<Fields> {
  const stray = Object.keys(request.query as object).find((k) => !allowed.includes(k) && k !== 'input' && !k.startsWith('input.'));
  if (stray !== undefined) {
    const suggestion = closest(stray, allowed);
    throw new ConvlensError('INVALID_OPTION', `unknown query parameter '${stray}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}: the request goes in the JSON body`, {
      path: `query.${stray}`,
      ...(suggestion ? { suggestion } : {}),
    });
  }
  const shapes = { ...inputShapes(request.query as Record<string, unknown>) };
  if (request.isMultipart()) {
    const form = await readForm(request, { fileLimit: limits.fileLimit, fieldLimit: limits.fileLimit, charge: bodyCharge(request) });
    return { fields: form.fields, files: form.files, fileNames: form.fileNames, where: 'request', shapes };
  }
  if (request.body instanceof RawJson) return { fields: request.body, files: new Map(), where: 'body', shapes };
  if (request.body === undefined || request.body === null) throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object (or a multipart form)', { path: '$' });
  return { fields: fieldsOf(request.body, 'body'), files: new Map(), where: 'body', shapes };
}

function buffersOf(sources: GraphSource[], files: Map<string, Uint8Array>, json?: Uint8Array | string): ArrayBuffer[] {
  const all = new Set<ArrayBuffer>();
  for (const s of sources) if (s.kind === 'onnx' && s.bytes.buffer instanceof ArrayBuffer) all.add(s.bytes.buffer);
  for (const b of files.values()) if (b.buffer instanceof ArrayBuffer) all.add(b.buffer);
  if (json instanceof Uint8Array && json.buffer instanceof ArrayBuffer) all.add(json.buffer);
  return [...all];
}

/**
 * Checked on the event loop (a 4xx before any work), run in the pool; a large JSON body is checked
 * in a worker. `markdown`: the Markdown (a comparison's pull-request comment) is rendered there too.
 */
async function runReportTask<T>(pool: TaskPool, kind: 'compare' | 'sweep', body: Fields, tasks: TaskContext, markdown = false): Promise<T> {
  if (body.fields instanceof RawJson) {
    const { text, where } = body.fields;
    return pool.run<T>(kind, { kind, json: text, where, files: body.files, fileNames: body.fileNames, shapes: body.shapes, markdown }, buffersOf([], body.files, text), { filename: OFFLOAD_WORKER, ...tasks });
  }
  const task: CompareTask | SweepTask = { ...(kind === 'compare' ? compareRequest(body.fields, body.files, body.shapes, body.fileNames) : sweepRequest(body.fields, body.files, body.shapes, body.fileNames)), markdown };
  const sources = 'source' in task ? [task.source] : [task.before, task.after];
  return pool.run<T>(kind, task, buffersOf(sources, new Map()), tasks);
}

/**
 * The same, answered as JSON: the comparison or sweep written as JSON in the worker and moved back
 * as bytes. Cloned to the event loop as an object and stringified there, a comparison of two 2.4 MB
 * files of 100,000 Relu nodes (a 39 MB answer) held the event loop up to 1.8 s.
 */
async function reportJson(pool: TaskPool, kind: 'compare' | 'sweep', body: Fields, tasks: TaskContext): Promise<Buffer> {
  let answer: Uint8Array;
  if (body.fields instanceof RawJson) {
    const { text, where } = body.fields;
    answer = await pool.run<Uint8Array>(kind, { kind, json: text, where, files: body.files, fileNames: body.fileNames, shapes: body.shapes, markdown: false, asJson: true } satisfies OffloadTask, buffersOf([], body.files, text), { filename: OFFLOAD_WORKER, ...tasks });
  } else {
    const message: OffloadTask =
      kind === 'compare'
        ? { kind: 'compareReport', input: { ...compareRequest(body.fields, body.files, body.shapes, body.fileNames), markdown: false } }
        : { kind: 'sweepReport', input: { ...sweepRequest(body.fields, body.files, body.shapes, body.fileNames), markdown: false } };
    const sources = message.kind === 'sweepReport' ? [message.input.source] : message.kind === 'compareReport' ? [message.input.before, message.input.after] : [];
    answer = await pool.run<Uint8Array>(kind, message, buffersOf(sources, new Map()), { filename: OFFLOAD_WORKER, ...tasks });
  }
  return Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength);
}

export function reportRoutes(app: FastifyInstance, opts: { pool: TaskPool; fileLimit: number }): void {
  const { pool } = opts;
  const limits = { fileLimit: opts.fileLimit };
  const devices = deviceCatalog();
  const conventions = conventionCatalog();

  app.get('/v1/devices', NO_QUERY, async () => devices);
  app.get('/v1/conventions', NO_QUERY, async () => conventions);

  app.post('/v1/compare', OFFLOAD, async (request, reply) => {
    const q = parseRequest(CompareQuery, withoutNamedInputs(request.query), { in: 'query' });
    const format = chooseFormat(q.format as ReportFormat | undefined, request.headers.accept, ['json', 'md']);
    varyAccept(reply);
    const body = await readReportBody(request, limits, ['format']);
    if (format !== 'md') return reply.type(MEDIA_TYPES.json).send(await reportJson(pool, 'compare', body, requestTasks(request)));
    const result = await runReportTask<CompareTaskResult>(pool, 'compare', body, requestTasks(request), true);
    return reply.type(MEDIA_TYPES.md).send(result.markdown);
  });

  app.post('/v1/sweep', OFFLOAD, async (request, reply) => {
    const q = parseRequest(SweepQuery, withoutNamedInputs(request.query), { in: 'query' });
    const format = chooseFormat(q.format as ReportFormat | undefined, request.headers.accept, ['json', 'md']);
    varyAccept(reply);
    const body = await readReportBody(request, limits, ['format']);
    if (format !== 'md') return reply.type(MEDIA_TYPES.json).send(await reportJson(pool, 'sweep', body, requestTasks(request)));
    const result = await runReportTask<SweepReport & { markdown?: string }>(pool, 'sweep', body, requestTasks(request), true);
    return reply.type(MEDIA_TYPES.md).send(result.markdown);
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name/report', OFFLOAD, async (request, reply: FastifyReply) => {
    const { name } = request.params;
    checkModel(name, 'name');
    const q = parseRequest(ModelReportQuery, request.query, { in: 'query' });
    const format = chooseFormat(q.format as ReportFormat | undefined, request.headers.accept, ['html', 'json', 'md', 'csv']);
    varyAccept(reply);
    const options = queryOptions(q) ?? ReportOptionsSchema.parse({});
    checkFormatOptions(options, format, request.query as Record<string, unknown>);
    return sendAnalysis(pool, reply, { source: { kind: 'model', name, resolution: q.resolution, resolutionAt: 'query.resolution', modelAt: 'name' }, options }, format, requestTasks(request));
  });
}
