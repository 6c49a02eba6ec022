/**
 * Maps every failure to the catalog: ConvlensErrors keep their code; fastify's own errors (bad
 * JSON, body too large, wrong content type) get theirs; anything else is a 500 without internals,
 * logged in full. An unmatched request is a 405 with `Allow` when its path is a route's under
 * another method, else a 404.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConvlensError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import type { Metrics } from './metrics.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export function toConvlensError(err: unknown): ConvlensError | null {
  if (err instanceof ConvlensError) return err;
  const fe = err as FastifyError;
  const code = fe && typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (code) return new ConvlensError(code, fe.message);
  if (fe && fe instanceof SyntaxError) return new ConvlensError('INVALID_JSON', `the body is not valid JSON: ${fe.message}`);
  if (fe && fe.statusCode === 413) return new ConvlensError('PAYLOAD_TOO_LARGE', fe.message);
  if (fe && fe.statusCode === 415) return new ConvlensError('UNSUPPORTED_MEDIA_TYPE', fe.message);
  if (fe && fe.statusCode === 400 && fe.validation) return new ConvlensError('INVALID_OPTION', fe.message);
  return null;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown, metrics?: Metrics): FastifyReply {
  const known = toConvlensError(err);
  metrics?.errors.inc({ code: known?.code ?? 'INTERNAL' });
  if (known) {
    if (known.status >= 500) request.log.error({ err }, known.message);
    else request.log.info({ code: known.code, path: known.details.path, layer: known.details.layer }, known.message);
    return reply.status(known.status).send({ error: known.toJSON(), requestId: request.id });
  }
  request.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the service log with this request id' }, requestId: request.id });
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
    return sendError(request, reply, new ConvlensError('NOT_FOUND', `no route ${request.method} ${path}`, { path }), metrics);
  });
}
