/**
 * Routes that read no query parameter (the catalogs, the jobs routes): a key given to one of them
 * would be silently ignored, and an unknown key anywhere in a request is refused, never ignored.
 * Such a route is registered with NO_QUERY; installQueryCheck's hook answers a key there with 400
 * INVALID_OPTION at `query.<key>`. Routes that read a query parse it with their own strict schema;
 * the probes (/healthz, /readyz) and the pages are left open to whatever a monitor appends.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { ConvlensError } from '../errors.js';

/** The route options of a route that reads no query parameter. */
export const NO_QUERY = { config: { noQuery: true } } as RouteShorthandOptions & object;

export function installQueryCheck(app: FastifyInstance): void {
  // after the body is read (a POST's client is not cut off mid-body) and after the API key check
  app.addHook('preValidation', async (request) => {
    if ((request.routeOptions.config as { noQuery?: boolean } | undefined)?.noQuery !== true) return;
    const key = Object.keys(request.query as object)[0];
    if (key === undefined) return;
    throw new ConvlensError('INVALID_OPTION', `${request.method} ${request.routeOptions.url} takes no query parameters; got ?${key}`, { path: `query.${key}` });
  });
}
