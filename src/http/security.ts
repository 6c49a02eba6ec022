/**
 * The edge of the app: security headers always; API keys, rate limiting, CORS and a separate
 * metrics port when configured (all off by default). Registered by app.ts before any route.
 *
 *   - Headers (@fastify/helmet) on every answer, with one Content-Security-Policy (CSP below) that
 *     the landing page, GraphiQL and Swagger UI satisfy: everything from this origin, inline styles
 *     (React and Swagger UI set style attributes; the pages have a <style>), data: images and fonts.
 *   - API_KEYS: a key in `Authorization: Bearer <key>` or `X-API-Key: <key>` on every route but the
 *     probes (/healthz, /readyz) and the documentation (/, /docs, /openapi.json, /graphiql and their
 *     assets: no data and no work behind them); else 401 UNAUTHORIZED with WWW-Authenticate. Keys are
 *     compared as SHA-256 digests with crypto.timingSafeEqual, against every configured key.
 *   - RATE_LIMIT_PER_MINUTE (@fastify/rate-limit, a fixed one-minute window): counted per valid key,
 *     else per client address (an IPv6 /64 counts as one), before the key is checked, so guessing keys
 *     is limited too; 429 RATE_LIMITED with Retry-After. Probes are never counted, nor the pages'
 *     assets (a page counts once, not once per script it loads), nor /metrics scrapes that need no
 *     key or present a valid one (a wrong key on /metrics is counted: guessing stays limited). The
 *     count is per process: with N replicas a client gets up to N times the limit.
 *   - CORS_ORIGINS (@fastify/cors): those origins may call the API from a browser (the key still
 *     needed); preflights are answered before the key check, since browsers send no key on them.
 *     Unset, no CORS header is sent and browsers keep other origins out.
 *   - METRICS_PORT: GET /metrics moves to metricsServer() on that port (server.ts starts it; it
 *     needs no key: keep the port inside the cluster); on the main port /metrics is a 404.
 * Decisions are made on the matched route's pattern, not on the raw path (the probes' paths aside,
 * which are exempt even before their route exists: a 404 then).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { Config } from '../config.js';
import { ConvlensError } from '../errors.js';
import type { Metrics } from './metrics.js';

/** The one Content-Security-Policy of every answer (helmet sends it; pages.ts and docs.ts rely on it). */
export const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  // React (GraphiQL) and Swagger UI set style attributes; the landing page and GraphiQL have a <style>
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
};

/** Routes answered without a key and never rate limited: liveness and readiness probes. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** Paths answered without a key: the probes and the documentation pages (openapi.ts marks them `security: []`). */
export const OPEN_PATHS: ReadonlySet<string> = new Set([...PROBE_ROUTES, '/', '/openapi.json', '/graphiql', '/docs']);

/** The pages' assets (route patterns): static files, loaded with their page. */
const isAsset = (route: string) => route === '/graphiql/assets/:name' || route.startsWith('/docs/');
/** Routes answered without a key: the open paths and the pages' assets. */
const isOpen = (route: string) => OPEN_PATHS.has(route) || isAsset(route);
/** Routes the rate limit does not count: the pages' assets, and /metrics scrapes that need no key or present a valid one (probes are exempt before routing). */
const unlimited = (route: string, request: FastifyRequest, keys: KeyRing) =>
  isAsset(route) || (route === '/metrics' && (keys.size === 0 || identify(request, keys).keyId !== null));

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The key a request presents: a Bearer token, else X-API-Key. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer +(\S+) *$/i.exec(auth)?.[1] : undefined;
  if (bearer) return bearer;
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

/** The configured keys as digests: `match` compares a given key with every one, in constant time each. */
export class KeyRing {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(sha256);
  }

  get size(): number {
    return this.digests.length;
  }

  /** A short, non-secret id of the matching key (a digest prefix), or null. */
  match(given: string): string | null {
    const d = sha256(given);
    let found: Buffer | null = null;
    // no early exit: every key is compared whichever matches
    for (const k of this.digests) if (timingSafeEqual(d, k) && !found) found = k;
    return found ? found.subarray(0, 8).toString('hex') : null;
  }
}

const IDENTITY = Symbol('convlens.identity');
type WithIdentity = FastifyRequest & { [IDENTITY]?: { keyId: string | null; presented: boolean } };

/** Whether the request presents a key, and which configured key it is (memoized per request). */
function identify(request: FastifyRequest, keys: KeyRing): { keyId: string | null; presented: boolean } {
  const r = request as WithIdentity;
  if (!r[IDENTITY]) {
    const given = keys.size > 0 ? presentedKey(request) : undefined;
    r[IDENTITY] = { keyId: given === undefined ? null : keys.match(given), presented: given !== undefined };
  }
  return r[IDENTITY];
}

const METRICS_OF = new WeakMap<FastifyInstance, Metrics>();

async function securityPlugin(app: FastifyInstance, opts: { config: Config; metrics: Metrics }): Promise<void> {
  const { config } = opts;
  METRICS_OF.set(app, opts.metrics);
  await app.register(helmet, {
    // helmet's defaults allow https: styles and fonts and upgrade to https, which breaks a deployment on plain http
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  });
  if (config.CORS_ORIGINS.length > 0) {
    await app.register(cors, {
      origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['content-type', 'accept', 'authorization', 'x-api-key', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'www-authenticate', 'allow'],
      maxAge: 600,
      // every OPTIONS is answered 204 (with the headers when the origin is allowed), never a plain-text 400
      strictPreflight: false,
    });
  }

  const keys = new KeyRing(config.API_KEYS);
  let limit: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | null = null;
  if (config.RATE_LIMIT_PER_MINUTE > 0) {
    await app.register(rateLimit, {
      global: false,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (request) => {
        const { keyId } = identify(request, keys);
        // request.ip is undefined once the socket is gone: such requests share one bucket
        return keyId ? `key:${keyId}` : `ip:${request.ip ? normalizeIP(request.ip) : 'unknown'}`;
      },
      errorResponseBuilder: (request, context) => {
        const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000));
        const who = identify(request, keys).keyId ? 'this API key' : 'this address';
        return new ConvlensError('RATE_LIMITED', `more than ${context.max} requests in a minute from ${who}; retry in ${retryAfter} s`, {
          limit: context.max,
          retryAfter,
        });
      },
    });
    limit = app.rateLimit() as (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }

  const metricsElsewhere = config.METRICS_PORT !== undefined;
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    // a probe by its route, or by its path while no route serves it (a 404 either way)
    if (PROBE_ROUTES.has(route ?? request.url.split('?')[0])) return;
    if (limit && !(route !== undefined && unlimited(route, request, keys))) await limit(request, reply);
    if (keys.size > 0 && !(route !== undefined && isOpen(route))) {
      const { keyId, presented } = identify(request, keys);
      if (!keyId) {
        reply.header('www-authenticate', presented ? 'Bearer realm="convlens", error="invalid_token"' : 'Bearer realm="convlens"');
        throw new ConvlensError(
          'UNAUTHORIZED',
          presented ? 'the API key is not valid' : 'this service needs an API key: send Authorization: Bearer <key> or X-API-Key: <key>',
        );
      }
    }
    if (metricsElsewhere && route === '/metrics') {
      throw new ConvlensError('NOT_FOUND', `no route ${request.method} /metrics on this port: metrics are served on METRICS_PORT`, { path: '/metrics' });
    }
  });
}

/** Not encapsulated (fastify-plugin): the headers and checks apply to every route of the app. */
export const security = fp(securityPlugin, { name: 'convlens-security' });

/** fastify's trustProxy from TRUST_PROXY: a hop count becomes "the nearest n hops" (proxy-addr's trust function). */
export function trustProxy(value: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

/** A second small server for METRICS_PORT: GET /metrics of the app's registry, nothing else. */
export function metricsServer(app: FastifyInstance): FastifyInstance {
  const metrics = METRICS_OF.get(app);
  if (!metrics) throw new Error('metricsServer: the app was not built by buildApp');
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));
  server.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}: this port serves GET /metrics only` } }),
  );
  return server;
}
