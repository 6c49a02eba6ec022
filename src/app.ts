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
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    disableRequestLogging: false,
  });
  const ownPool = pool ?? createPool(config);
  if (!pool) app.addHook('onClose', async () => ownPool.close());
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // JSON specs (and, with the ONNX importer, model files) only: anything else is a 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);
  await app.register(restRoutes, { pool: ownPool });
  await app.register(graphqlRoutes, { pool: ownPool, graphiql: config.GRAPHIQL });
  return app;
}
