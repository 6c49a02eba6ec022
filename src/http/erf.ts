/**
 * POST /v1/erf: the effective receptive field of one output unit. JSON, or a multipart form whose
 * files are the ONNX `model` and .npy tensors (named after the input, or `weights.<layer>.<role>`)
 * and whose `request` field holds the JSON rest, as POST /v1/run. The gradient tasks run in the
 * worker pool (K random inputs in parallel), then one summary task (runtime/erf.ts).
 *
 * The answer: the network's source, the unit, the raw input gradient (or the mean of |gradient|
 * over random inputs) in the request's tensor encoding, its channel-summed magnitude map, the
 * statistics (analysis/erf.ts), per-stage statistics, and the heatmap (PNG as base64, SVG); for a
 * clip [N, C, T, H, W], the map sums frames too and `temporal` tells them apart (null for images). With
 * format npy, the gradient alone as a .npy file, its statistics in the x-erf-statistics header.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { ConvlensError } from '../errors.js';
import { unsupportedMediaType } from './errors.js';
import { computeErf, poolRunner } from '../runtime/erf.js';
import { unitChannelCount, unitChannels } from '../runtime/backward.js';
import type { ErfSummary } from '../runtime/erf-task.js';
import type { TaskPool } from '../runtime/pool.js';
import { bodyCharge, requestTasks } from './admission.js';
import { RawJson } from './body.js';
import { prepareJobOffloaded } from './offload.js';
import { readForm } from './form.js';
import { erfRequest } from './erf-request.js';
import type { ErfRequestFiles } from './erf-request.js';
import { sendJson } from './stream.js';
import { TENSOR_ANSWERS, acceptOnly, acceptedTensorFormat, checkAnswerAccepted, varyAccept } from './formats.js';
import { releaseWhenSent, sendNpy, tensorOut, tensorOutLazy } from './tensors.js';
import type { Encoding } from './tensors.js';

/** The bodies POST /v1/erf reads, for a 415's advice. */
const ERF_READS = 'application/json or multipart/form-data (the ONNX "model", .npy files and a JSON "request" field)';

export interface ErfRouteOptions {
  pool: TaskPool;
  maxElements: number;
  fileLimit?: number;
  fieldLimit?: number;
  maxResponseBytes?: number;
  /** GRAPHQL_MAX_TOKENS: a large body's name maps are sought with it in the worker (body.ts parseJsonBytes), as app.ts's parser seeks a small body's. */
  graphqlTokens?: number;
}

/** The JSON answer (REST encodes its tensors as it sends, `lazy`; GraphQL and the CLI at once). */
export function erfResponse(s: ErfSummary, encoding: Encoding, lazy = false) {
  const out = (t: ErfSummary['gradient'], lead: Record<string, unknown>) => (lazy ? tensorOutLazy(t, encoding, lead) : { ...lead, ...tensorOut(t, encoding) });
  return {
    source: s.source,
    layer: s.target.layer,
    tensor: s.target.tensor,
    shape: s.target.shape,
    unit: { channels: unitChannels(s.target), channelCount: unitChannelCount(s.target), position: s.target.position },
    input: { name: s.input, mode: s.mode, samples: s.inputs },
    gradient: out(s.gradient, { name: s.mode === 'given' ? 'gradient' : 'meanAbsGradient' }),
    magnitude: out(s.magnitude, { name: 'magnitude' }),
    statistics: s.stats,
    // a clip's time axis; an image's answer is as it was, without it
    ...(s.temporal && { temporal: s.temporal }),
    stages: s.stages.map((st) => ({ layer: st.layer, stride: st.stride, ...(s.temporal && { temporalStride: st.temporalStride }), shape: st.shape, statistics: st.stats })),
    heatmap: s.png || s.svg ? { png: s.png ? Buffer.from(s.png).toString('base64') : null, svg: s.svg } : null,
  };
}

async function readErfBody(request: FastifyRequest, limits: { fileLimit: number; fieldLimit: number }, pool: TaskPool, graphqlTokens?: number): Promise<ErfRequestFiles> {
  const stray = Object.keys(request.query as Record<string, unknown>);
  if (stray.length) throw new ConvlensError('INVALID_OPTION', `query parameter '${stray[0]}' not read: POST /v1/erf reads its fields from the body`, { path: `query.${stray[0]}` });
  if (request.isMultipart()) {
    // the ONNX file hashed as it arrives: its samples' model cache key (runtime/file-digest.ts)
    const form = await readForm(request, { ...limits, charge: bodyCharge(request), digestModel: true });
    // a `request` field over OFFLOAD_JSON_BYTES is parsed in a worker, not with JSON.parse on the event loop
    const fields = form.fields instanceof RawJson ? ((await prepareJobOffloaded(pool, form.fields.text, 'request', {})) as Record<string, unknown>) : form.fields;
    return { fields, files: form.files };
  }
  // a JSON body over OFFLOAD_JSON_BYTES arrives unparsed (the route's offloadJson): parsed in a worker (it was parsed on
  // the event loop up to JSON_BODY_LIMIT, 64 MiB)
  const body = request.body instanceof RawJson ? await prepareJobOffloaded(pool, request.body.text, 'body', { ...(graphqlTokens !== undefined && { graphqlTokens }) }) : request.body;
  // a binary body (the ONNX file or a .npy input sent alone) carries none of the request's fields
  if (Buffer.isBuffer(body)) throw unsupportedMediaType(request.headers['content-type'], ERF_READS);
  if (!body || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new ConvlensError('SPEC_INVALID', 'the body must be a JSON object (or a multipart form with the ONNX "model", .npy files and a "request" field)', { path: '$' });
  }
  return { fields: body as Record<string, unknown>, files: new Map() };
}

/**
 * JSON whose characters past ASCII are written as \u escapes: a header's value is Latin-1 bytes,
 * so a layer named 卷积 made node refuse the header (a 500) and café went out as one byte 0xE9,
 * which is not UTF-8 JSON. The escaped text parses to the same value.
 */
const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

async function sendErf(reply: FastifyReply, s: ErfSummary, encoding: Encoding, maxBytes: number): Promise<FastifyReply> {
  if (encoding === 'npy') {
    reply.header('x-erf-statistics', asciiJson({ layer: s.target.layer, ...s.stats, highContribution: s.stats.highContribution }));
    await sendNpy(reply, [s.gradient], encoding, maxBytes);
    return reply;
  }
  return sendJson(reply, erfResponse(s, encoding, true), maxBytes);
}

export async function erfRoutes(app: FastifyInstance, opts: ErfRouteOptions): Promise<void> {
  const limits = { fileLimit: opts.fileLimit ?? Infinity, fieldLimit: opts.fieldLimit ?? Infinity };
  const maxBytes = opts.maxResponseBytes ?? Infinity;
  // JSON, or the gradient as .npy by format: an Accept allowing neither is 406 before the body is read (it was answered 200)
  // mediaReads: what a 415 on this route advises (http/errors.ts sendError), a type no parser took as well
  const route = { config: { runsTasks: true, offloadJson: true, mediaReads: ERF_READS }, onRequest: acceptOnly(TENSOR_ANSWERS) } as RouteShorthandOptions & object;
  app.post('/v1/erf', route, async (request, reply) => {
    const tasks = requestTasks(request);
    const { job, encoding } = erfRequest(await readErfBody(request, limits, opts.pool, opts.graphqlTokens), opts.maxElements, acceptedTensorFormat(request.headers.accept));
    varyAccept(reply);
    // an answer Accept refuses is known before the gradients are computed
    checkAnswerAccepted(request.headers.accept, encoding, 1);
    const summary = await computeErf(poolRunner(opts.pool, tasks), job);
    releaseWhenSent(reply, [summary.gradient]);
    return sendErf(reply, summary, encoding, maxBytes);
  });
}
