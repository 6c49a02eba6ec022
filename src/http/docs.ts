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

export async function docsRoutes(app: FastifyInstance, opts: { graphiql: boolean }): Promise<void> {
  const document = openApiDocument({ graphiql: opts.graphiql, version: SERVICE.version, description: SERVICE.description ?? '' });
  const body = JSON.stringify(document);
  app.get('/openapi.json', async (_request, reply) => reply.header('content-type', 'application/json; charset=utf-8').send(body));
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    theme: { title: `convlens ${SERVICE.version} · API` },
    // BaseLayout: no top bar (a fastify logo and a box that loads any other URL's document)
    uiConfig: { layout: 'BaseLayout', docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0, tryItOutEnabled: false, displayOperationId: false },
  });
}
