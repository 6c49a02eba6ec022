/**
 * Builds the fastify app: the same instance serves production (server.ts) and the tests
 * (app.inject / supertest).
 */
import { installQueryCheck, malformedQuery } from './http/query-keys.js';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { ConvlensError } from './errors.js';
import { MAX_PARAM_LENGTH, clientError, expectationFailed, frameworkError, generateRequestId, hostRequired, installErrorHandling, sendError } from './http/errors.js';
import { graphqlRoutes } from './http/graphql.js';
import { restRoutes } from './http/rest.js';
import { computeRoutes } from './http/compute.js';
import { erfRoutes } from './http/erf.js';
import { jsonBody, parseJsonBytes, plainBodyBuffer, readBinary, refusedCharset } from './http/body.js';
import { sharedBodies } from './http/shared-bodies.js';
import { admission, admissionOf, bodyCharge, lingerOnClose } from './http/admission.js';
import multipart from '@fastify/multipart';
import { createMetrics, metricsRoutes } from './http/metrics.js';
import { pageRoutes } from './http/pages.js';
import { docsRoutes } from './http/docs.js';
import { PROBE_ROUTES, security, trustProxy } from './http/security.js';
import { jobsRoutes } from './http/jobs.js';
import { createJobQueue } from './jobs/index.js';
import { createPool, runThreads } from './runtime/pool.js';
import type { TaskPool } from './runtime/pool.js';
import { CLOSE_START_MS, FORM_MAX_FIELDS, FORM_MAX_FILES } from './limits.js';

export interface AppOptions {
  config: Config;
  /** A pino logger; without one the app logs nothing (tests). */
  logger?: FastifyBaseLogger;
  /** Share one pool between apps (tests); by default the app owns and closes its own. */
  pool?: TaskPool;
}

export async function buildApp({ config, logger, pool }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: config.BODY_LIMIT,
    // a client has REQUEST_TIMEOUT_MS to send a whole request (then 408 and the connection closes), checked every second at most
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    // requireHostHeader off: a request without Host gets the catalog's 400 from the hook below, not Node's bare one
    http: { headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 10_000), connectionsCheckingInterval: Math.min(1000, Math.max(50, config.REQUEST_TIMEOUT_MS >> 2)), requireHostHeader: false },
    clientErrorHandler: clientError,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // a bad percent-encoding or an over-long segment: answered before routing, from the catalog too
    // (fastify answers these without the app's hooks: the request id is set here)
    frameworkErrors: (err, request, reply) => sendError(request, reply.header('x-request-id', request.id), frameworkError(err, request), metrics),
    trustProxy: trustProxy(config.TRUST_PROXY),
    // the client's X-Request-Id, else a UUID; kept for the request, so that an answer written outside fastify (http/errors.ts clientError) carries it too
    requestIdHeader: 'x-request-id',
    genReqId: generateRequestId,
    // answered by the onRequest hook below, from the catalog
    return503OnClosing: false,
  });
  // an Expect other than 100-continue: the catalog's 417, not Node's empty one
  app.server.on('checkExpectation', expectationFailed);
  // Node closes a connection past the limit as it is accepted: descriptors stay for files, workers and the rest
  app.server.maxConnections = config.MAX_CONNECTIONS;
  const ownPool = pool ?? createPool(config);
  if (!pool) app.addHook('onClose', async () => ownPool.close());
  // closing: what has a worker by then runs on, the rest is 503 NOT_READY (runtime/pool.ts stopStarting)
  if (!pool) app.addHook('preClose', async () => ownPool.stopStarting(CLOSE_START_MS));
  const metrics = createMetrics(ownPool);
  // workers split large layers with partner threads: large .npy tensors are read into shared memory, which the partners read in place (http/shared-bodies.ts)
  const bodies = runThreads(config, ownPool.threads) > 1 ? sharedBodies(app, plainBodyBuffer, metrics.registry) : null;
  ownPool.onTask = (task, seconds, outcome) => metrics.tasks.observe({ task, outcome }, seconds);
  // Once closing, answers end their keep-alive connections, so close() waits for in-flight
  // requests only, not for idle sockets a client keeps open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request) => {
    // a request that arrives once close() began (on a connection already open) is the catalog's
    // 503 NOT_READY with Retry-After, not fastify's bare {"error":"Service Unavailable"}
    if (closing) throw new ConvlensError('NOT_READY', 'the service is shutting down: send the request again, to another replica', {});
    const missingHost = hostRequired(request);
    if (missingHost) throw missingHost;
    // a query key or value that is not valid percent-encoding: refused as a path that is not is, not
    // read literally; the probes read no query and answer whatever a monitor appends
    const badQuery = PROBE_ROUTES.has(request.routeOptions.url ?? '') ? null : malformedQuery(request.raw.url);
    if (badQuery) throw badQuery;
    const encoding = request.headers['content-encoding'];
    // a compressed body would reach the parsers as its compressed bytes (INVALID_JSON of mojibake); a request without a body has nothing encoded
    const body = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (body && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `the content encoding '${encoding}' is not decoded here; send the body uncompressed (no Content-Encoding, or identity)`, { path: 'headers.content-encoding' });
    }
    // node's parser undoes chunked only: a gzip transfer coding before it reached the parsers as compressed bytes
    const transfer = request.headers['transfer-encoding'];
    // empty list elements (", chunked") are nothing (RFC 9110 §5.6.1), as node's parser reads them
    const coding = transfer?.split(',').map((c) => c.trim().toLowerCase()).find((c) => c !== '' && c !== 'chunked' && c !== 'identity');
    if (coding !== undefined) {
      throw new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `the transfer coding '${coding}' is not decoded here; send the body as it is (Transfer-Encoding: chunked alone)`, { path: 'headers.transfer-encoding' });
    }
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    // an error answered while the body still arrives (a form refused in the middle, a body past its
    // limit): the rest goes into nothing, not a form parser that would buffer it outside the budget
    // (or stall on a part no one reads), and the connection closes once the answer is out, lingering
    // for a client still sending (admission.ts lingerOnClose)
    if (!request.raw.complete && reply.statusCode >= 400) {
      request.raw.unpipe();
      request.raw.resume();
      reply.header('connection', 'close');
      // (a body refused by its parser has already let its socket go)
      const socket = request.raw.socket as typeof request.raw.socket | null;
      if (socket) lingerOnClose(socket);
    }
  });

  // JSON, binary models and tensors (read whole into one buffer), multipart forms; anything else is a 415.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  // JSON up to JSON_BODY_LIMIT (below V8's longest string); routes with `offloadJson` get a large one unparsed, for a worker
  const jsonLimit = Math.min(config.JSON_BODY_LIMIT, config.BODY_LIMIT);
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const charset = refusedCharset(request.headers['content-type']);
    // JSON is UTF-8 (RFC 8259; ASCII is a part of it); a body declared in another charset would be read as UTF-8 and its names altered
    if (charset !== undefined) {
      return done(new ConvlensError('UNSUPPORTED_MEDIA_TYPE', `JSON is read as UTF-8 (RFC 8259); the charset '${charset}' is not: send the body in UTF-8`, { path: 'headers.content-type' }), undefined);
    }
    readBinary(payload, jsonLimit, 'JSON_BODY_LIMIT', bodyCharge(request)).then(
      (buf) => {
        try {
          // ?model names the network, so an empty body sent as JSON is no body (Swagger UI's "Try it
          // out" sends the content type with an emptied body); elsewhere it stays INVALID_JSON
          const named = Object.hasOwn((request.query ?? {}) as object, 'model');
          if (named && buf.length < 64 && buf.toString('utf8').trim() === '') return done(null, undefined);
          done(null, (request.routeOptions.config as { offloadJson?: boolean } | undefined)?.offloadJson ? jsonBody(buf, config.GRAPHQL_MAX_TOKENS, config.GRAPHQL_MAX_DOCUMENT_BYTES) : parseJsonBytes(buf, config.GRAPHQL_MAX_TOKENS, config.GRAPHQL_MAX_DOCUMENT_BYTES));
        } catch (e) {
          done(e as Error, undefined);
        }
      },
      (err: Error) => done(err, undefined),
    );
  });
  app.addContentTypeParser(['application/octet-stream', 'application/x-onnx', 'application/onnx', 'application/x-npy'], (request, payload, done) => {
    // a raw .npy body is an operator call's input; any other route refuses it (415) unread by a task
    const tensor = request.headers['content-type'] === 'application/x-npy' && request.routeOptions.url === '/v1/operators/:name' ? bodies?.leaseOf(request) : undefined;
    readBinary(payload, config.BODY_LIMIT, 'BODY_LIMIT', bodyCharge(request), tensor).then(
      (buf) => done(null, buf),
      (err: Error) => done(err, undefined),
    );
  });
  await app.register(multipart, { limits: { fileSize: config.BODY_LIMIT, files: FORM_MAX_FILES, fields: FORM_MAX_FIELDS, parts: FORM_MAX_FILES + FORM_MAX_FIELDS, fieldSize: jsonLimit } });
  // headers, API keys, rate limit, CORS: before the routes (and before the route list errors.ts keeps, which CORS's OPTIONS * stays out of)
  await app.register(security, { config, metrics });
  installErrorHandling(app, metrics);
  installQueryCheck(app);
  // memory budget, queue and readiness (/readyz), decided before a body is read
  await app.register(admission, { config, pool: ownPool, metrics });
  await app.register(metricsRoutes, { metrics });
  await app.register(restRoutes, { pool: ownPool, fileLimit: config.BODY_LIMIT });
  await app.register(computeRoutes, { pool: ownPool, maxElements: config.MAX_TENSOR_ELEMENTS, fileLimit: config.BODY_LIMIT, fieldLimit: jsonLimit, maxResponseBytes: config.MAX_RESPONSE_BYTES, ...(bodies && { tensorsOf: bodies.leaseOf }) });
  await app.register(erfRoutes, { pool: ownPool, maxElements: config.MAX_TENSOR_ELEMENTS, fileLimit: config.BODY_LIMIT, fieldLimit: jsonLimit, maxResponseBytes: config.MAX_RESPONSE_BYTES, graphqlTokens: config.GRAPHQL_MAX_TOKENS });
  // jobs: in memory over this pool, or BullMQ on REDIS_URL (src/jobs/)
  const jobs = await createJobQueue(config, ownPool, app.log, admissionOf(app)?.budget);
  app.addHook('onClose', async () => jobs.close());
  await app.register(jobsRoutes, { jobs, registry: metrics.registry, fileLimit: config.BODY_LIMIT, fieldLimit: jsonLimit });
  await app.register(graphqlRoutes, {
    pool: ownPool,
    graphiql: config.GRAPHIQL,
    maxElements: config.MAX_TENSOR_ELEMENTS,
    limits: { rootWeight: config.GRAPHQL_MAX_COST, fields: config.GRAPHQL_MAX_FIELDS, depth: config.GRAPHQL_MAX_DEPTH, tokens: config.GRAPHQL_MAX_TOKENS, documentBytes: config.GRAPHQL_MAX_DOCUMENT_BYTES },
    jobs,
    maxResponseBytes: config.MAX_RESPONSE_BYTES,
    metrics,
  });
  const access = { apiKeys: config.API_KEYS.length > 0, rateLimit: config.RATE_LIMIT_PER_MINUTE, metricsOnMainPort: config.METRICS_PORT === undefined };
  await app.register(pageRoutes, { graphiql: config.GRAPHIQL, ...access });
  await app.register(docsRoutes, { graphiql: config.GRAPHIQL, ...access });
  return app;
}
