/**
 * Report formats over HTTP: which one a request asks for (`?format=`, else the Accept header); the
 * non-JSON ones are rendered in a worker (render.ts, from offload-worker.ts) like the analysis:
 *
 *   json     application/json      the report with the extra analyses asked for (analysis/extras.ts)
 *   csv      text/csv              one row per layer, a TOTAL row; columns for memory, roofline,
 *                                  convention and explain when asked (analysis/csv.ts)
 *   md       text/markdown         for pull-request comments (formats/markdown.ts, and the
 *                                  memory, latency and convention sections the CLI appends)
 *   html     text/html             one self-contained file, inline SVG charts (formats/html.ts);
 *                                  always with the memory timeline
 *   netron   application/json      Netron's attachment file, for an uploaded ONNX file only
 *                                  (formats/netron.ts); by ?format=netron only
 *
 * `?format=` wins over Accept. Without either the route's first format answers; an Accept that
 * allows none of the route's media types is 406 NOT_ACCEPTABLE.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HTML_MEDIA_TYPE } from '../analysis/formats/html.js';
import { ConvlensError } from '../errors.js';
import { acceptQuality } from './accept.js';
import { checkAnswerMedia } from '../runtime/answer-bound.js';
import type { AcceptedMedia } from '../runtime/answer-bound.js';
import type { TensorPreference } from './tensors.js';

export const REPORT_FORMATS = ['json', 'csv', 'md', 'html', 'netron'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** The Content-Type of each format's answer. */
export const MEDIA_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  md: 'text/markdown; charset=utf-8',
  html: HTML_MEDIA_TYPE,
  netron: 'application/json; charset=utf-8',
};

/** The media type Accept names each negotiable format by (netron is JSON: ?format= only). */
const ACCEPT_TYPES: Partial<Record<ReportFormat, string>> = { json: 'application/json', csv: 'text/csv', md: 'text/markdown', html: 'text/html' };

/** The answer depends on Accept: say so to caches (RFC 9110 §12.5.5), keeping any Vary already set (CORS's Origin). */
export function varyAccept(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  const list = vary === undefined ? [] : String(vary).split(',').map((v) => v.trim()).filter(Boolean);
  if (!list.some((v) => v.toLowerCase() === 'accept' || v === '*')) reply.header('vary', [...list, 'Accept'].join(', '));
}

/**
 * The format to answer in: `?format=` when given (checked against `offered`: INVALID_OPTION at
 * query.format), else the offered format the Accept header rates highest (ties: the earlier in
 * `offered`); NOT_ACCEPTABLE when Accept allows none.
 */
export function chooseFormat(format: ReportFormat | undefined, accept: string | undefined, offered: readonly ReportFormat[]): ReportFormat {
  if (format !== undefined) {
    if (!offered.includes(format)) {
      throw new ConvlensError('INVALID_OPTION', `format=${format} is not offered here; one of ${offered.join(', ')}`, { path: 'query.format' });
    }
    return format;
  }
  const negotiable = offered.filter((f) => ACCEPT_TYPES[f] !== undefined);
  if (!accept || !accept.trim()) return negotiable[0];
  let best: ReportFormat | null = null;
  let bestQ = 0;
  for (const f of negotiable) {
    const q = acceptQuality(accept, ACCEPT_TYPES[f]!);
    if (q > bestQ) {
      best = f;
      bestQ = q;
    }
  }
  if (best === null) {
    const types = negotiable.map((f) => ACCEPT_TYPES[f]!);
    throw new ConvlensError('NOT_ACCEPTABLE', `this route answers ${types.join(', ')} (or ?format=${offered.join('|')}); Accept allows none of them: ${accept}`, {
      path: 'headers.accept',
      offered: types,
    });
  }
  return best;
}

/** What a route that answers tensors answers: JSON, or a .npy file (one output asked for as npy). */
export const TENSOR_ANSWERS = ['application/json', 'application/x-npy'];

/**
 * A tensor route's `format` when its request names none, by Accept's q-values (RFC 9110 §12.5.1):
 * `npy` when Accept rates application/x-npy above application/json (`Accept: application/x-npy`), so
 * one tensor comes back as a .npy file, as `format: "npy"` asks; `json` when it rates JSON above .npy
 * (a .npy request is answered in JSON, base64: `application/json, application/x-npy;q=0.5` was
 * answered .npy, the request's encoding winning over the preference stated); else, at equal q
 * (any type, both listed without q) or without Accept, none: the request's own encoding. A request's
 * `format` wins (tensors.ts answerEncoding).
 */
export function acceptedTensorFormat(accept: string | undefined): TensorPreference | undefined {
  if (!accept || !accept.trim()) return undefined;
  const [npy, json] = [acceptQuality(accept, 'application/x-npy'), acceptQuality(accept, 'application/json')];
  return npy > json ? 'npy' : json > npy ? 'json' : undefined;
}

/** What `accept` allows of a tensor answer's two media types (runtime/answer-bound.ts AcceptedMedia); undefined when it allows all. */
export function acceptedMedia(accept: string | undefined): AcceptedMedia | undefined {
  if (!accept || !accept.trim()) return undefined;
  return { npy: acceptQuality(accept, 'application/x-npy') > 0, json: acceptQuality(accept, 'application/json') > 0, header: accept };
}

/**
 * 406 NOT_ACCEPTABLE at `headers.accept` when Accept refuses the media type of a tensor route's
 * answer (runtime/answer-bound.ts checkAnswerMedia): checked again as the answer is written, the
 * runs and operator calls having been checked before their kernels (their AnswerLimit's `accepts`),
 * an ERF before its gradients are computed.
 */
export function checkAnswerAccepted(accept: string | undefined, encoding: string, tensors: number): void {
  const accepts = acceptedMedia(accept);
  if (accepts) checkAnswerMedia(accepts, encoding, tensors);
}

/**
 * 406 NOT_ACCEPTABLE at `headers.accept` when an Accept header allows none of `types` (a route that
 * answers one of them whatever Accept says: the compute routes, POST /v1/erf); none or empty allows all.
 */
export function checkAccept(accept: string | undefined, types: readonly string[]): void {
  if (!accept || !accept.trim() || types.some((t) => acceptQuality(accept, t) > 0)) return;
  throw new ConvlensError('NOT_ACCEPTABLE', `this route answers ${types.join(' or ')}${types.length > 1 ? ' (a single output as .npy by format or Accept)' : ''}; Accept allows none of them: ${accept}`, {
    path: 'headers.accept',
    offered: [...types],
  });
}

/** A route's onRequest hook: checkAccept before its body is read. */
export const acceptOnly =
  (types: readonly string[]) =>
  async (request: FastifyRequest): Promise<void> =>
    checkAccept(request.headers.accept, types);
