/**
 * The pages a person opens: GET / (what convlens is and where everything is; a JSON index for
 * `Accept: application/json`) and GET /graphiql. GraphiQL, React and ReactDOM come from their npm
 * packages in the lockfile and are served from /graphiql/assets/, so the IDE works offline. The
 * Content-Security-Policy is the app's one policy (security.ts CSP_DIRECTIVES, sent by helmet on
 * every answer): nothing from another origin, no inline script (the init script is an asset).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PACKAGE_ROOT } from '../paths.js';
import { acceptQuality } from './accept.js';

const require = createRequire(import.meta.url);
const gzipAsync = promisify(gzip);

function packageInfo(dir: string): { name: string; version: string; description?: string } {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
}

/** A package's folder, found the way Node finds the package from this file (src/ or dist/src/). */
function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** convlens's own name, version and description (package.json). */
export const SERVICE = packageInfo(PACKAGE_ROOT);

/** The links of the landing page and its JSON index; /metrics only when it is served on this port (no METRICS_PORT). */
export function pageLinks(graphiql: boolean, metrics = true): { href: string; title: string; description: string }[] {
  return [
    ...(graphiql ? [{ href: '/graphiql', title: 'GraphiQL', description: 'an in-browser IDE for the GraphQL endpoint POST /graphql' }] : []),
    { href: '/docs', title: 'API documentation', description: 'every REST route, its parameters, bodies and errors (Swagger UI)' },
    { href: '/openapi.json', title: 'OpenAPI 3.1 document', description: 'the same, machine-readable, generated from the request and report schemas' },
    { href: '/v1/schema/network', title: 'Network spec schema', description: 'the JSON Schema of a network spec (POST /v1/analyze body)' },
    { href: '/v1/schema/report', title: 'Report schema', description: 'the JSON Schema of an analysis report' },
    { href: '/v1/models', title: 'Model zoo', description: 'the built-in models (resnet50, mobilenet_v2, …) with their published counts' },
    { href: '/v1/operators', title: 'Operators', description: 'every operator with its attributes, defaults and PyTorch equivalent' },
    { href: '/healthz', title: 'Health', description: 'liveness and the worker pool' },
    ...(metrics ? [{ href: '/metrics', title: 'Metrics', description: 'Prometheus metrics' }] : []),
  ];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain host[:port]: a name or IPv4 address (letters, digits, dots, hyphens) or a bracketed IPv6 address, and digits after a colon. */
const PLAIN_HOST = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The host the curl example names. The Host header is the client's (or a cache's) to write, and
 * the example is copied into a shell: HTML escaping keeps a quote out of the markup, not out of the
 * command (Host: evil.example'$(id) made a command that ran id). Only a plain host[:port] is
 * named; anything else is localhost at the port this request reached.
 */
function exampleHost(host: string | undefined, localPort: number | undefined): string {
  return host !== undefined && PLAIN_HOST.test(host) ? host : `localhost:${localPort ?? 3000}`;
}

function landingHtml(graphiql: boolean, metrics: boolean, apiKeys: boolean, host: string): string {
  const auth = apiKeys ? ` -H "Authorization: Bearer $CONVLENS_API_KEY"` : '';
  const items = pageLinks(graphiql, metrics)
    .map((l) => `      <li><a href="${escapeHtml(l.href)}">${escapeHtml(l.title)}</a> <code>${escapeHtml(l.href)}</code><br>${escapeHtml(l.description)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>convlens ${escapeHtml(SERVICE.version)}</title>
    <link rel="icon" href="data:,">
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
      h1 { margin-bottom: 0.2rem; } h1 small { font-size: 0.9rem; color: #667; font-weight: normal; }
      ul { padding-left: 1.2rem; } li { margin: 0.6rem 0; } code { background: #f1f3f6; padding: 0 0.25rem; border-radius: 3px; }
      pre { background: #f1f3f6; padding: 0.8rem; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
    </style>
  </head>
  <body>
    <h1>convlens <small>${escapeHtml(SERVICE.version)}</small></h1>
    <p>${escapeHtml(SERVICE.description ?? '')}: POST a network (a JSON spec, an ONNX file or a zoo model's name) and get its
      shapes, parameters, MACs and FLOPs, memory and receptive fields, per layer; run any operator's reference kernel.</p>
    <pre>curl -s -XPOST${escapeHtml(auth)} 'http://${escapeHtml(host)}/v1/analyze?model=resnet50' | jq .totals</pre>
    <ul>
${items}
    </ul>
  </body>
</html>
`;
}

/** Whether an Accept-Encoding header allows gzip (`gzip`, or `*`, without q=0). */
function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((p) => p.trim());
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  }
  return false;
}

interface Asset {
  type: string;
  /** The version in the asset's URL (`?v=`): the npm package's, or a hash of our own script. */
  version: string;
  load: () => Promise<Buffer>;
}

interface LoadedAsset {
  raw: Buffer;
  gzipped: Buffer;
  etag: string;
}

/** With API keys, GraphiQL opens with the header to fill in (its Headers tab). */
const KEY_HEADERS = JSON.stringify({ Authorization: 'Bearer <your API key>' }, null, 2);

const initScript = (apiKeys: boolean) => `// convlens: GraphiQL over POST /graphql
(function () {
  var DEFAULT_QUERY = [
    '# convlens: shapes, parameters, MACs and receptive fields of convolutional networks.',
    '# Run this query (Ctrl-Enter or the play button); the book icon opens the schema.',
    '# analyze also takes a network spec (spec: { inputs: [...], layers: [...] }) or an ONNX file (onnxBase64).',
    '{',
    '  analyze(model: "resnet18") {',
    '    name',
    '    totals {',
    '      params',
    '      macs',
    '      flops',
    '    }',
    '  }',
    '}',
    '',
  ].join('\\n');
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: DEFAULT_QUERY${apiKeys ? `, defaultHeaders: ${JSON.stringify(KEY_HEADERS)}, defaultEditorToolsVisibility: 'headers'` : ''} }));
})();
`;

function fileAsset(pkg: string, file: string, type: string): Asset {
  const dir = packageDir(pkg);
  return { type, version: packageInfo(dir).version, load: () => readFile(path.join(dir, file)) };
}

function graphiqlAssets(apiKeys: boolean): Record<string, Asset> {
  const init = initScript(apiKeys);
  return {
    'react.min.js': fileAsset('react', 'umd/react.production.min.js', 'text/javascript; charset=utf-8'),
    'react-dom.min.js': fileAsset('react-dom', 'umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'),
    'graphiql.min.js': fileAsset('graphiql', 'graphiql.min.js', 'text/javascript; charset=utf-8'),
    'graphiql.min.js.map': fileAsset('graphiql', 'graphiql.min.js.map', 'application/json; charset=utf-8'),
    'graphiql.min.css': fileAsset('graphiql', 'graphiql.min.css', 'text/css; charset=utf-8'),
    'graphiql.min.css.map': fileAsset('graphiql', 'graphiql.min.css.map', 'application/json; charset=utf-8'),
    'init.js': {
      type: 'text/javascript; charset=utf-8',
      version: createHash('sha256').update(init).digest('hex').slice(0, 12),
      load: async () => Buffer.from(init),
    },
  };
}

function graphiqlHtml(assets: Record<string, Asset>): string {
  const url = (name: string) => `/graphiql/assets/${name}?v=${encodeURIComponent(assets[name].version)}`;
  const script = (name: string) => `    <script src="${url(name)}"></script>`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>convlens · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${url('graphiql.min.css')}">
    <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript. The GraphQL endpoint is POST /graphql.</noscript>
${['react.min.js', 'react-dom.min.js', 'graphiql.min.js', 'init.js'].map(script).join('\n')}
  </body>
</html>
`;
}

async function sendAsset(request: FastifyRequest, reply: FastifyReply, asset: Asset, loaded: LoadedAsset): Promise<FastifyReply> {
  const v = (request.query as Record<string, unknown>).v;
  // the URL names the version: the bytes behind it never change, so caches may keep them a year
  reply
    .header('content-type', asset.type)
    .header('cache-control', v === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff');
  const gzipped = acceptsGzip(request.headers['accept-encoding']);
  // each encoding is its own representation, with its own entity tag
  const etag = gzipped ? `${loaded.etag.slice(0, -1)}-gzip"` : loaded.etag;
  reply.header('etag', etag);
  const known = String(request.headers['if-none-match'] ?? '').split(',').map((t) => t.trim());
  if (known.includes(etag) || known.includes('*')) return reply.status(304).send();
  return gzipped ? reply.header('content-encoding', 'gzip').send(loaded.gzipped) : reply.send(loaded.raw);
}

export interface PageOptions {
  graphiql: boolean;
  /** API_KEYS set: GraphiQL opens its Headers tab with an Authorization header to fill in. */
  apiKeys?: boolean;
  /** /metrics is on this port (no METRICS_PORT): the landing page links it. */
  metricsOnMainPort?: boolean;
}

export async function pageRoutes(app: FastifyInstance, opts: PageOptions): Promise<void> {
  const metrics = opts.metricsOnMainPort ?? true;
  app.get('/', async (request, reply) => {
    reply.header('vary', 'accept');
    const accept = request.headers.accept;
    if (acceptQuality(accept, 'application/json') > acceptQuality(accept, 'text/html')) {
      return { name: SERVICE.name, version: SERVICE.version, description: SERVICE.description, links: pageLinks(opts.graphiql, metrics) };
    }
    return reply.header('content-type', 'text/html; charset=utf-8').send(landingHtml(opts.graphiql, metrics, opts.apiKeys ?? false, exampleHost(request.headers.host, request.socket?.localPort)));
  });

  if (!opts.graphiql) return;
  const assets = graphiqlAssets(opts.apiKeys ?? false);
  const loaded = new Map<string, Promise<LoadedAsset>>();
  const load = (name: string) => {
    let p = loaded.get(name);
    if (!p) {
      p = assets[name].load().then(async (raw) => ({
        raw,
        gzipped: await gzipAsync(raw),
        etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`,
      }));
      p.catch(() => loaded.delete(name));
      loaded.set(name, p);
    }
    return p;
  };
  const page = graphiqlHtml(assets);
  app.get('/graphiql', async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  );
  app.get<{ Params: { name: string } }>('/graphiql/assets/:name', async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
    if (!asset) return reply.callNotFound();
    return sendAsset(request, reply, asset, await load(request.params.name));
  });
}
