/**
 * Routes that read no query parameter (the catalogs, the jobs routes): a key given to one of them
 * would be silently ignored, and an unknown key anywhere in a request is refused, never ignored.
 * Such a route is registered with NO_QUERY; installQueryCheck's hook answers a key there with 400
 * INVALID_OPTION at `query.<key>`. Routes that read a query parse it with their own strict schema;
 * the probes (/healthz, /readyz) and the pages are left open to whatever a monitor appends.
 *
 * On every route but the probes, a query key or value that is not valid percent-encoding is refused (400
 * MALFORMED_REQUEST at `query.<key>`, malformedQuery), as a path that is not is (errors.ts
 * frameworkError): the query parser read `?model=resnet%zz` literally, and `%E0%A4` (not UTF-8) too.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { ConvlensError } from '../errors.js';

/** The route options of a route that reads no query parameter. */
export const NO_QUERY = { config: { noQuery: true } } as RouteShorthandOptions & object;

/** `s` decoded as a query component (`+` is a space), or null when it is not valid percent-encoding of UTF-8. */
function decoded(s: string): string | null {
  if (!s.includes('%')) return s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const shown = (s: string) => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/**
 * The first query parameter of `url` (the request target, path and query) whose key or value is
 * not valid percent-encoding (a % not followed by two hex digits, or bytes that are not UTF-8), as
 * 400 MALFORMED_REQUEST at `query.<key>` (the key as sent when the key itself is the malformed
 * part); null when the whole query decodes.
 */
export function malformedQuery(url: string | undefined): ConvlensError | null {
  const start = url?.indexOf('?') ?? -1;
  if (url === undefined || start < 0 || !url.includes('%', start)) return null;
  for (const pair of url.slice(start + 1).split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decoded(rawKey);
    if (key !== null && decoded(rawValue) !== null) continue;
    const what = key === null ? `the query key '${shown(rawKey)}'` : `the value of ?${shown(key)} ('${shown(rawValue)}')`;
    return new ConvlensError('MALFORMED_REQUEST', `${what} is not valid percent-encoding (a % must be followed by two hex digits, and the bytes must be UTF-8)`, {
      path: `query.${key ?? rawKey}`,
    });
  }
  return null;
}

export function installQueryCheck(app: FastifyInstance): void {
  // after the body is read (a POST's client is not cut off mid-body) and after the API key check
  app.addHook('preValidation', async (request) => {
    if ((request.routeOptions.config as { noQuery?: boolean } | undefined)?.noQuery !== true) return;
    const key = Object.keys(request.query as object)[0];
    if (key === undefined) return;
    throw new ConvlensError('INVALID_OPTION', `${request.method} ${request.routeOptions.url} takes no query parameters; got ?${key}`, { path: `query.${key}` });
  });
}
