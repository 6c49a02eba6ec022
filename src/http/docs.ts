/**
 * GET /openapi.json (the generated document, openapi.ts) and Swagger UI at /docs: @fastify/swagger
 * holds the document (static mode: no route schemas are read), @fastify/swagger-ui serves the UI
 * and its assets from its own package, so the page works offline.
 */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { openApiDocument } from './openapi.js';
import { SERVICE } from './pages.js';

/**
 * The Content-Security-Policy is the app's (security.ts, sent by helmet): Swagger UI's page loads
 * its scripts from /docs/static and has no inline script; the validator badge (an image from
 * validator.swagger.io) is off, since nothing leaves this origin.
 */
export async function docsRoutes(
  app: FastifyInstance,
  opts: { graphiql: boolean; apiKeys?: boolean; rateLimit?: number; metricsOnMainPort?: boolean },
): Promise<void> {
  const document = openApiDocument({
    graphiql: opts.graphiql,
    version: SERVICE.version,
    description: SERVICE.description ?? '',
    apiKeys: opts.apiKeys,
    rateLimit: opts.rateLimit,
    metricsOnMainPort: opts.metricsOnMainPort,
  });
  const body = JSON.stringify(document);
  app.get('/openapi.json', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: `convlens ${SERVICE.version} · API` },
    // BaseLayout: no top bar (a fastify logo and a box that loads any other URL's document)
    uiConfig: { layout: 'BaseLayout', docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false, displayOperationId: false, validatorUrl: null },
  });
}
