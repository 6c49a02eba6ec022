/**
 * Maps every failure to the catalog: ConvlensErrors keep their code; fastify's and the multipart
 * parser's own errors (bad JSON, body too large, wrong content type, a malformed form) get theirs;
 * anything else is a 500 without internals, logged in full. A failure after the client went away
 * is CLIENT_CLOSED_REQUEST (counted, logged at info, never an internal error). 503 OVERLOADED and
 * NOT_READY carry Retry-After. An unmatched request is a 405 with `Allow` when its path is a
 * route's under another method, else a 404, naming the nearest route when one is a typo away.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import { boundedError } from './error-text.js';
import { FORM_MAX_FIELDS, FORM_MAX_FILES } from '../limits.js';
import { editDistance, suggestionLimit } from '../suggest.js';
import type { ErrorCode } from '../errors.js';
import type { Metrics } from './metrics.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_INVALID_JSON_FIELD_ERROR: 'INVALID_JSON',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/** @fastify/multipart refuses parts named after Object.prototype's properties. */
const PROTO_PART =
  'a form part may not be named after a property of JavaScript objects (constructor, toString, __proto__, …); give that tensor in the JSON "request" field, where any name is a name';

/** busboy's messages for a form that is not well formed. */
const MALFORMED_FORM = /^(Unexpected end of (form|multipart data)|Malformed (part header|urlencoded form)|Multipart: Boundary not found|Part terminated early)/;

/** Seconds to wait before retrying a 503 that says so. */
const RETRY_AFTER: Partial<Record<ErrorCode, string>> = { OVERLOADED: '1', NOT_READY: '1' };

/** The media types the REST routes read, for a 415's advice. */
const REST_MEDIA_TYPES = 'application/json, application/octet-stream (an ONNX file), application/x-npy (a tensor) or multipart/form-data (files with a JSON "request" field), as the route\'s documentation (GET /docs) says';

/** What a 415 says: the type sent, and the ones the route reads. */
export function unsupportedMediaType(contentType: string | undefined, reads = REST_MEDIA_TYPES): ConvlensError {
  return new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `${contentType ? `the content type '${contentType}' is` : 'a body without a content type is'} not read here; send ${reads}`, {
    path: 'headers.content-type',
  });
}

/**
 * The catalog's error for `err`, or null when it is not the client's (a 500); `contentType`: the
 * request's, and `reads`: what the route reads instead, for a 415.
 */
export function toConvlensError(err: unknown, contentType?: string, reads?: string): ConvlensError | null {
  // what it echoes of the request within bounds, for the answer and the log (error-text.ts)
  if (err instanceof ConvlensError) return boundedError(err);
  const fe = err as FastifyError;
  const code = fe && typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (code === 'UNSUPPORTED_MEDIA_TYPE') return unsupportedMediaType(contentType, reads);
  if (code) return new ConvlensError(code, fe.message, { path: 'body' });
  if (fe && fe.code === 'FST_PROTO_VIOLATION') return new ConvlensError('INVALID_OPTION', PROTO_PART, { path: 'body' });
  if (fe && typeof fe.message === 'string' && MALFORMED_FORM.test(fe.message)) return new ConvlensError('INCOMPLETE_BODY', `the multipart form is malformed: ${fe.message}`, { path: 'body' });
  if (fe && fe instanceof SyntaxError) return new ConvlensError('INVALID_JSON', `the body is not valid JSON: ${fe.message}`);
  // @fastify/multipart's part counts (app.ts): said in words, at the form
  if (fe && fe.code === 'FST_FILES_LIMIT') {
    return new ConvlensError('PAYLOAD_TOO_LARGE', `the multipart form has more than ${FORM_MAX_FILES} file parts; a request takes at most ${FORM_MAX_FILES} files`, { path: 'body', limit: FORM_MAX_FILES });
  }
  if (fe && fe.code === 'FST_FIELDS_LIMIT') {
    return new ConvlensError('PAYLOAD_TOO_LARGE', `the multipart form has more than ${FORM_MAX_FIELDS} fields; it reads one, "request"`, { path: 'body', limit: FORM_MAX_FIELDS });
  }
  if (fe && fe.code === 'FST_PARTS_LIMIT') {
    const parts = FORM_MAX_FILES + FORM_MAX_FIELDS;
    return new ConvlensError('PAYLOAD_TOO_LARGE', `the multipart form has more than ${parts} parts (${FORM_MAX_FILES} files and ${FORM_MAX_FIELDS} fields at most)`, { path: 'body', limit: parts });
  }
  if (fe && fe.statusCode === 413) return new ConvlensError('PAYLOAD_TOO_LARGE', fe.message, { path: 'body' });
  if (fe && fe.statusCode === 415) return unsupportedMediaType(contentType, reads);
  if (fe && fe.statusCode === 400 && fe.validation) return new ConvlensError('INVALID_OPTION', fe.message);
  return null;
}

/** The client closed its connection: nothing sent now will be read. */
export function clientGone(request: FastifyRequest, reply: FastifyReply): boolean {
  const socket = request.raw.socket;
  return (socket !== null && socket !== undefined && socket.destroyed) || (reply.raw.destroyed && !reply.raw.writableFinished);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, metrics?: Metrics): FastifyReply {
  // a route that reads fewer types than REST's four says which (POST /v1/erf: no binary body)
  // (no routeOptions before routing: a framework error, a request no route took)
  const reads = (request.routeOptions?.config as { mediaReads?: string } | undefined)?.mediaReads;
  let known = toConvlensError(err, request.headers['content-type'], reads);
  if (known?.code !== 'CLIENT_CLOSED_REQUEST' && clientGone(request, reply)) {
    known = new ConvlensError('CLIENT_CLOSED_REQUEST', `the client closed the connection (then: ${known?.message ?? (err as Error)?.message ?? 'an error'})`);
  }
  metrics?.errors.inc({ code: known?.code ?? 'INTERNAL' });
  if (known?.code === 'CLIENT_CLOSED_REQUEST') {
    request.log.info({ code: known.code }, known.message);
    return reply.status(known.status).send({ error: known.toJSON(), requestId: request.id });
  }
  if (known) {
    const retry = RETRY_AFTER[known.code];
    if (retry && !reply.hasHeader('retry-after')) reply.header('retry-after', retry);
    // shedding load (OVERLOADED, NOT_READY: the client retries after Retry-After) is the service
    // working as meant: a warning without a stack (a fuzz run's 7 minutes at capacity logged 6,900
    // error records with stack traces); a timeout, a crashed partner or an unreachable queue is an error
    if (retry) request.log.warn({ code: known.code }, known.message);
    else if (known.status >= 500) request.log.error({ err }, known.message);
    else request.log.info({ code: known.code, path: known.details.path, layer: known.details.layer }, known.message);
    return reply.status(known.status).send({ error: known.toJSON(), requestId: request.id });
  }
  request.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the service log with this request id' }, requestId: request.id });
}

/** The ids the app generated (genReqId), by request, for an answer fastify does not make (clientError). */
const GENERATED_IDS = new WeakMap<IncomingMessage, string>();

/**
 * The app's genReqId (app.ts): a UUID, kept for the request so that an answer written on its socket
 * outside fastify (its body cut short, clientError) carries the id fastify logged it under. Called
 * only when the client sent no X-Request-Id (fastify's requestIdHeader).
 */
export function generateRequestId(request: IncomingMessage): string {
  const id = randomUUID();
  GENERATED_IDS.set(request, id);
  return id;
}

/**
 * The id of a request as fastify gives it: the client's X-Request-Id, else the one generateRequestId
 * made for it; a request fastify never saw (refused by the HTTP parser before its head was read, or
 * answered by Node itself) gets a new UUID.
 */
export function requestIdOf(request: IncomingMessage | undefined): string {
  const given = request?.headers['x-request-id'];
  if (typeof given === 'string' && given !== '') return given;
  return (request && GENERATED_IDS.get(request)) ?? randomUUID();
}

/**
 * Errors of the HTTP parser, before fastify has a request or while it reads the body (fastify's
 * clientErrorHandler), in the catalog's form: a request not received within REQUEST_TIMEOUT_MS is
 * 408 REQUEST_TIMEOUT; a connection ended before its body's Content-Length bytes arrived is 400
 * INCOMPLETE_BODY; headers over the parser's limit are 431 HEADERS_TOO_LARGE; anything else the
 * parser refuses is 400 MALFORMED_REQUEST with its reason. Like every error answer it carries a
 * request id, in the body and in X-Request-Id: the request's own when its head was read (the
 * client's X-Request-Id, or the one fastify logged it under), else a new UUID. The connection is closed.
 */
export function clientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // a request whose head was parsed has its response on the socket (Node's _httpMessage): then its body was cut short
  const response = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  const headParsed = response !== undefined && response !== null;
  const error = parserError(err, headParsed);
  const requestId = requestIdOf(headParsed ? response.req : undefined);
  const body = JSON.stringify({ error: error.toJSON(), requestId });
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
  (socket as Socket).destroySoon();
}

/**
 * A request whose Expect header is anything but 100-continue (Node's 'checkExpectation'): 417
 * EXPECTATION_FAILED at headers.expect, in the catalog's form. Node's own answer was an empty 417,
 * without a code. The request is not run and the connection is closed (its body may still come).
 * Node answers it before fastify sees the request, so its request id is made here as fastify makes
 * one (the client's X-Request-Id, else a UUID), and given in the body and the header.
 */
export function expectationFailed(request: IncomingMessage, response: ServerResponse): void {
  const expect = String(request.headers.expect ?? '');
  const error = new ConvlensError('EXPECTATION_FAILED', `the Expect header asks for '${expect.slice(0, 100)}'; this service knows only 100-continue: send the request without Expect, or with Expect: 100-continue`, { path: 'headers.expect' });
  const requestId = requestIdOf(request);
  const body = JSON.stringify({ error: error.toJSON(), requestId });
  response.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId, connection: 'close' });
  response.end(body);
}

/** The catalog's error for an HTTP parser error (llhttp's codes: HPE_*); `headParsed`: the request's line and headers had all arrived. */
export function parserError(err: NodeJS.ErrnoException & { reason?: string }, headParsed = true): ConvlensError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ConvlensError('REQUEST_TIMEOUT', 'the request was not received in time (REQUEST_TIMEOUT_MS); the connection is closed', { path: headParsed ? 'body' : 'headers' });
  }
  if (err.code === 'HPE_INVALID_EOF_STATE' && !headParsed) return new ConvlensError('MALFORMED_REQUEST', 'the connection ended inside the request\'s line or headers (no blank line after them)', { path: 'headers' });
  if (err.code === 'HPE_INVALID_EOF_STATE') return new ConvlensError('INCOMPLETE_BODY', 'the connection ended before the whole request arrived (the body is shorter than its Content-Length, or a chunked body has no last chunk)', { path: 'body' });
  if (err.code === 'HPE_HEADER_OVERFLOW') return new ConvlensError('HEADERS_TOO_LARGE', 'the request headers are larger than 16 KiB', { path: 'headers' });
  const reason = err.reason ?? err.message;
  const path = (err.code !== undefined && PARSER_ERROR_PATHS[err.code]) || (headParsed ? 'body' : 'headers');
  return new ConvlensError('MALFORMED_REQUEST', `the request is not well-formed HTTP${reason ? `: ${reason}` : ''}${err.code ? ` (${err.code})` : ''}`, { path });
}

/**
 * The part of the request an llhttp error is in (the error's `path`); any other code is in the
 * headers, or in the body once they were read. Every MALFORMED_REQUEST had no path before a fuzz of
 * 2026-12-04 found it (a duplicate Content-Length, GARBAGE as the method, a bad chunk size).
 */
const PARSER_ERROR_PATHS: Record<string, string> = {
  HPE_INVALID_METHOD: 'method',
  HPE_INVALID_URL: 'url',
  HPE_INVALID_VERSION: 'version',
  // bytes where "HTTP/" belongs; the HTTP/2 preface (PRI * HTTP/2.0) to a server of HTTP/1.1
  HPE_INVALID_CONSTANT: 'version',
  HPE_PAUSED_H2_UPGRADE: 'version',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'headers.content-length',
  HPE_INVALID_CONTENT_LENGTH: 'headers.content-length',
  HPE_INVALID_TRANSFER_ENCODING: 'headers.transfer-encoding',
  HPE_INVALID_CHUNK_SIZE: 'body',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'body',
  HPE_INVALID_HEADER_TOKEN: 'headers',
  // bytes after a request that said Connection: close
  HPE_CLOSED_CONNECTION: 'headers.connection',
};

/**
 * What fastify answers itself before any route or hook (`frameworkErrors`), as catalog errors: a
 * path that is not valid percent-encoding (FST_ERR_BAD_URL: 400 MALFORMED_REQUEST), and a path
 * segment longer than the router matches (FST_ERR_MAX_PARAM_LENGTH: no route has it, 404
 * NOT_FOUND). Both were fastify's own bodies, outside the catalog, one of them a 414.
 */
export function frameworkError(err: Error & { code?: string }, request: FastifyRequest): ConvlensError {
  const path = request.raw.url?.split('?')[0] ?? '';
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return overLongSegment(request, path);
  if (err.code === 'FST_ERR_BAD_URL') return new ConvlensError('MALFORMED_REQUEST', `the path ${path} is not valid percent-encoding (a % must be followed by two hex digits, and the bytes must be UTF-8)`, { path: 'url' });
  return new ConvlensError('MALFORMED_REQUEST', `the request could not be routed: ${err.message}`, { path: 'url' });
}

/**
 * A path segment over MAX_PARAM_LENGTH (`/v1/jobs/` and 5,000 characters): the router matched no
 * route. NOT_FOUND at the parameter it stands in (`id` of /v1/jobs/:id) when a route's pattern
 * takes the path, else at the path; the message shows the segment cut short, not all of it.
 */
function overLongSegment(request: FastifyRequest, path: string): ConvlensError {
  const segments = path.split('/');
  const route = registeredRoutes(request.server).find((r) => r.method === request.method && r.matcher.test(path) && r.url.split('/').length === segments.length);
  const k = segments.findIndex((seg) => seg.length > MAX_PARAM_LENGTH);
  const param = route?.url.split('/')[k]?.match(/^:(\w+)$/)?.[1];
  const shown = segments.map((seg, i) => (i === k ? `${seg.slice(0, 40)}… (${seg.length} characters)` : seg)).join('/');
  const what = param ? `its ${param} is` : 'a path segment is';
  return new ConvlensError('NOT_FOUND', `no route ${request.method} ${shown}: ${what} over ${MAX_PARAM_LENGTH} characters, longer than any name or id here`, { path: param ?? shown });
}

/** The router's longest path segment (fastify's maxParamLength): ids and names are far shorter. */
export const MAX_PARAM_LENGTH = 200;

/**
 * HTTP/1.1 requires a Host header; Node refused a request without one with a bare 400 and no body
 * (requireHostHeader), so app.ts turns that off and this hook answers the catalog's error instead.
 */
export function hostRequired(request: FastifyRequest): ConvlensError | null {
  if (request.raw.httpVersion !== '1.1' || request.headers.host !== undefined) return null;
  return new ConvlensError('MALFORMED_REQUEST', 'an HTTP/1.1 request must carry a Host header', { path: 'headers.host' });
}

/** A route as registered: its method and fastify URL pattern (`/v1/models/:name`, `/docs/static/*`). */
export interface RouteEntry {
  method: string;
  url: string;
  /** The pattern as a RegExp over a request path. */
  matcher: RegExp;
}

const ROUTES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route registered on the app after installErrorHandling (plugins' routes included). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTES.get(app) ?? [];
}

/** find-my-way's syntax as used here: `:name` is one path segment, `*` the rest of the path. */
function routeMatcher(url: string): RegExp {
  const source = url
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/:[A-Za-z_]\w*/g, '[^/]+')
    .replace(/\*/g, '.*');
  return new RegExp(`^${source}$`);
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The methods some route answers on this path, in a fixed order; empty when no route has the path. */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set(routes.filter((r) => r.matcher.test(path)).map((r) => r.method));
  // fastify answers HEAD for every GET route, and registers some GET routes (a prefix plugin's
  // `/prefix/`) without calling onRoute for them: the two always come together.
  if (methods.has('GET') || methods.has('HEAD')) methods.add('GET').add('HEAD');
  const rank = (m: string) => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);
  return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A path longer than this, once its parameters are masked, gets no suggestion: the edit distance is quadratic in it. */
export const SUGGEST_MAX_CHARS = 128;

/**
 * The route a path no route has most likely meant (`/v1/analyse`, `/v1/analyze/` → `/v1/analyze`;
 * `/v1/model/resnet50` → `/v1/models/resnet50`), its parameters filled from the path's own segments,
 * a route answering the request's method first; undefined when none is a few edits away (suggest.ts
 * closest's limit, of the letters of the path's segments that are not in a parameter's place: `/a`
 * gets no `/`, `/v1/zoo/resnet` no `/v1/jobs/resnet`). A parameter's segment is compared as the
 * route's `:name`, not as itself, and a path still over SUGGEST_MAX_CHARS is not compared: filling
 * and comparing the segments themselves made an 8 KB path cost 3–4 s of the event loop (a route
 * with a parameter took its 8,000 characters).
 */
export function nearestRoute(routes: readonly RouteEntry[], method: string, given: string): string | undefined {
  // a trailing slash is a typo of its own: /v1/models/resnet18/ is /v1/models/resnet18 (it got no
  // suggestion, a parameter's place ending the path empty), /v1/analyze/ is /v1/analyze
  const path = given.length > 1 && given.endsWith('/') ? given.slice(0, -1) : given;
  const segments = path.split('/');
  const near = (rs: readonly RouteEntry[]): string | undefined => {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const url of new Set(rs.map((r) => r.url))) {
      const parts = url.split('/');
      // a parameter's place takes a segment of the path, not an empty one (`/v1/models/` is not `/v1/models/:name`)
      const filled = parts.length === segments.length && parts.every((p, i) => !p.startsWith(':') || segments[i] !== '');
      // wildcard routes (static assets) and parameters left unfilled name no path to suggest
      if (url.includes('*') || (!filled && url.includes(':'))) continue;
      const own = filled ? segments.filter((_, i) => !parts[i].startsWith(':')) : segments;
      const word = (filled ? segments.map((s, i) => (parts[i].startsWith(':') ? parts[i] : s)).join('/') : path).toLowerCase();
      if (word.length > SUGGEST_MAX_CHARS) continue;
      // edits allowed by the path's own letters, not its slashes nor a parameter's `:name` (a match
      // by construction): `/a` was one edit from `/`, and `/v1/zoo/resnet`, as `/v1/zoo/:id`, three from `/v1/jobs/:id`
      const limit = suggestionLimit(own.join(''));
      if (Math.abs(url.length - word.length) > limit) continue;
      const d = editDistance(word, url.toLowerCase());
      if (d <= limit && d < bestDistance) {
        best = filled ? parts.map((p, i) => (p.startsWith(':') ? segments[i] : p)).join('/') : url;
        bestDistance = d;
      }
    }
    return best;
  };
  return near(routes.filter((r) => r.method === method)) ?? near(routes);
}

export function installErrorHandling(app: FastifyInstance, metrics?: Metrics): void {
  const routes: RouteEntry[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, matcher: routeMatcher(route.url) });
  });
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err, metrics));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = allowedMethods(routes, path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      reply.header('allow', allowed.join(', '));
      const message = `${path} does not answer ${request.method}; it answers ${allowed.join(', ')}`;
      return sendError(request, reply, new ConvlensError('METHOD_NOT_ALLOWED', message, { path, allowed }), metrics);
    }
    const suggestion = nearestRoute(routes, request.method, path);
    if (suggestion === undefined) return sendError(request, reply, new ConvlensError('NOT_FOUND', `no route ${request.method} ${path}`, { path }), metrics);
    const answers = allowedMethods(routes, suggestion);
    const hint = answers.includes(request.method) ? `did you mean ${request.method} ${suggestion}?` : `did you mean ${suggestion}? it answers ${answers.join(', ')}`;
    return sendError(request, reply, new ConvlensError('NOT_FOUND', `no route ${request.method} ${path} (${hint})`, { path, suggestion }), metrics);
  });
}
