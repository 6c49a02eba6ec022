/**
 * Builds the fastify app: the same instance serves production (server.ts) and the tests
 * (app.inject / supertest).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { installErrorHandling } from './http/errors.js';
import { graphqlRoutes } from './http/graphql.js';
import { restRoutes } from './http/rest.js';
import { computeRoutes } from './http/compute.js';
import { parseJsonBody, readBinary } from './http/body.js';
import multipart from '@fastify/multipart';
import { createMetrics, metricsRoutes } from './http/metrics.js';
import { pageRoutes } from './http/pages.js';
import { docsRoutes } from './http/docs.js';
import { security, trustProxy } from './http/security.js';
import { jobsRoutes } from './http/jobs.js';
import { createJobQueue } from './jobs/index.js';
import { createPool } from './runtime/pool.js';
import type { TaskPool } from './runtime/pool.js';

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
    trustProxy: trustProxy(config.TRUST_PROXY),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  const ownPool = pool ?? createPool(config);
  if (!pool) app.addHook('onClose', async () => ownPool.close());
  const metrics = createMetrics(ownPool);
  ownPool.onTask = (task, seconds, outcome) => metrics.tasks.observe({ task, outcome }, seconds);
  // Once closing, answers end their keep-alive connections, so close() waits for in-flight
  // requests only, not for idle sockets a client keeps open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });

  // JSON, binary models and tensors (read whole into one buffer), multipart forms; anything else is a 415.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.addContentTypeParser(['application/octet-stream', 'application/x-onnx', 'application/onnx', 'application/x-npy'], (_request, payload, done) => {
    readBinary(payload, config.BODY_LIMIT).then(
      (buf) => done(null, buf),
      (err: Error) => done(err, undefined),
    );
  });
  await app.register(multipart, { limits: { fileSize: config.BODY_LIMIT, files: 32, fields: 16, fieldSize: config.BODY_LIMIT } });
  // headers, API keys, rate limit, CORS: before the routes (and before the route list errors.ts keeps, which CORS's OPTIONS * stays out of)
  await app.register(security, { config, metrics });
  installErrorHandling(app, metrics);
  await app.register(metricsRoutes, { metrics });
  await app.register(restRoutes, { pool: ownPool });
  await app.register(computeRoutes, { pool: ownPool, maxElements: config.MAX_TENSOR_ELEMENTS });
  // jobs: in memory over this pool, or BullMQ on REDIS_URL (src/jobs/)
  const jobs = createJobQueue(config, ownPool, app.log);
  app.addHook('onClose', async () => jobs.close());
  await app.register(jobsRoutes, { jobs, registry: metrics.registry });
  await app.register(graphqlRoutes, {
    pool: ownPool,
    graphiql: config.GRAPHIQL,
    maxElements: config.MAX_TENSOR_ELEMENTS,
    limits: { rootWeight: config.GRAPHQL_MAX_COST, fields: config.GRAPHQL_MAX_FIELDS, depth: config.GRAPHQL_MAX_DEPTH, tokens: config.GRAPHQL_MAX_TOKENS },
    jobs,
  });
  const access = { apiKeys: config.API_KEYS.length > 0, rateLimit: config.RATE_LIMIT_PER_MINUTE, metricsOnMainPort: config.METRICS_PORT === undefined };
  await app.register(pageRoutes, { graphiql: config.GRAPHIQL, ...access });
  await app.register(docsRoutes, { graphiql: config.GRAPHIQL, ...access });
  return app;
}
