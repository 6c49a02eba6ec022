/**
 * The edge of the app (src/http/security.ts), each feature off by default and then on: API keys
 * (both headers, missing, wrong, right; probes and documentation open; nothing run without a key),
 * rate limiting (429 with Retry-After, per key or per address, probes exempt), CORS (preflight
 * allowed and denied), security headers on every answer, and METRICS_PORT moving /metrics.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CSP_DIRECTIVES, KeyRing, metricsServer } from '../../src/http/security.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { testApp } from './app.js';

const KEY_A = 'convlens-test-key-A-0123456789';
const KEY_B = 'convlens-test-key-B-9876543210';

/** An app on a shared one-worker pool whose `run` is spied on: what a refused request would have started. */
async function spiedApp(env: Record<string, string>) {
  const config = loadConfig({ WORKERS: '1', ...env });
  const pool: TaskPool = createPool(config);
  const run = vi.spyOn(pool, 'run');
  const app = await buildApp({ config, pool });
  await app.ready();
  return { app, run, close: async () => (await app.close(), await pool.close()) };
}

describe('API keys off (the default)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it('every route answers without a key, and a stray Authorization header changes nothing', async () => {
    expect((await app.inject({ url: '/v1/models' })).statusCode).toBe(200);
    const res = await app.inject({ url: '/v1/models', headers: { authorization: 'Bearer whatever-it-is-0000' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});

describe(`API_KEYS=<two keys>`, () => {
  let s: Awaited<ReturnType<typeof spiedApp>>;
  beforeAll(async () => {
    s = await spiedApp({ API_KEYS: `${KEY_A},${KEY_B}` });
  });
  afterAll(async () => s.close());

  it('no key: 401 UNAUTHORIZED, WWW-Authenticate: Bearer realm="convlens", the two headers named', async () => {
    const res = await s.app.inject({ url: '/v1/models' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="convlens"');
    expect(res.json().error).toEqual({ code: 'UNAUTHORIZED', message: 'this service needs an API key: send Authorization: Bearer <key> or X-API-Key: <key>' });
  });

  it.each([
    ['Authorization: Bearer <wrong>', { authorization: `Bearer ${KEY_A}x` }],
    ['X-API-Key: <wrong>', { 'x-api-key': KEY_A.slice(0, -1) }],
    ['X-API-Key: <key in another case>', { 'x-api-key': KEY_A.toUpperCase() }],
    ['Authorization: Basic <key>', { authorization: `Basic ${Buffer.from(`u:${KEY_A}`).toString('base64')}` }],
  ])('%s: 401 with error="invalid_token" (or none presented for Basic)', async (_name, headers) => {
    const res = await s.app.inject({ url: '/v1/models', headers });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHORIZED');
    const basic = 'authorization' in headers && headers.authorization.startsWith('Basic');
    expect(res.headers['www-authenticate']).toBe(basic ? 'Bearer realm="convlens"' : 'Bearer realm="convlens", error="invalid_token"');
  });

  it.each([
    ['Authorization: Bearer <key A>', { authorization: `Bearer ${KEY_A}` }],
    ['authorization: bearer <key B> (scheme in any case)', { authorization: `bearer ${KEY_B}` }],
    ['X-API-Key: <key B>', { 'x-api-key': KEY_B }],
  ])('%s: 200', async (_name, headers) => {
    const res = await s.app.inject({ url: '/v1/models', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().models.length).toBeGreaterThan(5);
  });

  it('a request without a key starts nothing: POST /v1/analyze?model=resnet18 and a GraphQL analyze are 401 with no pool task', async () => {
    s.run.mockClear();
    expect((await s.app.inject({ method: 'POST', url: '/v1/analyze?model=resnet18' })).statusCode).toBe(401);
    const gql = await s.app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ analyze(model: "resnet18") { name } }' } });
    expect(gql.statusCode).toBe(401);
    // /graphql answers as GraphQL does: the catalog code in extensions
    expect(gql.json()).toEqual({ errors: [{ message: 'this service needs an API key: send Authorization: Bearer <key> or X-API-Key: <key>', extensions: { code: 'UNAUTHORIZED' } }] });
    expect(s.run).not.toHaveBeenCalled();
    const ok = await s.app.inject({ method: 'POST', url: '/graphql', headers: { 'x-api-key': KEY_A }, payload: { query: '{ analyze(model: "resnet18") { totals { params } } }' } });
    expect(ok.json()).toEqual({ data: { analyze: { totals: { params: 11689512 } } } });
    expect(s.run).toHaveBeenCalledTimes(1);
  });

  it('/metrics and an unknown path need a key too (401, not 404: no route discovery without one)', async () => {
    expect((await s.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/no/such/route' })).statusCode).toBe(401);
    expect((await s.app.inject({ url: '/no/such/route', headers: { 'x-api-key': KEY_A } })).statusCode).toBe(404);
    expect((await s.app.inject({ url: '/metrics', headers: { 'x-api-key': KEY_A } })).statusCode).toBe(200);
  });

  it.each(['/healthz', '/readyz'])('%s is answered without a key (a probe)', async (url) => {
    const res = await s.app.inject({ url });
    expect(res.statusCode).not.toBe(401);
    if (url === '/healthz') expect(res.statusCode).toBe(200);
  });

  it('the documentation is open: /, /docs, /openapi.json, /graphiql and their assets answer 200 without a key', async () => {
    const html = (await s.app.inject({ url: '/graphiql' })).body;
    const init = /\/graphiql\/assets\/init\.js\?v=[0-9a-f]+/.exec(html)![0];
    for (const url of ['/', '/docs', '/docs/static/index.html', '/openapi.json', '/graphiql', init]) {
      const res = await s.app.inject({ url, headers: { accept: 'text/html' } });
      expect([200, 302], url).toContain(res.statusCode);
    }
  });

  it('GraphiQL opens with an Authorization header to fill in; the landing page shows the key in its curl line', async () => {
    const html = (await s.app.inject({ url: '/graphiql' })).body;
    const init = (await s.app.inject({ url: /\/graphiql\/assets\/init\.js\?v=[0-9a-f]+/.exec(html)![0] })).body;
    expect(init).toContain("defaultEditorToolsVisibility: 'headers'");
    expect(init).toContain('Bearer <your API key>');
    expect((await s.app.inject({ url: '/', headers: { accept: 'text/html' } })).body).toContain('-H &#34;Authorization: Bearer $CONVLENS_API_KEY&#34;');
  });

  it('the OpenAPI document declares both schemes, 401 on the API, and security: [] on the probes and pages', async () => {
    const doc = (await s.app.inject({ url: '/openapi.json' })).json();
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-API-Key' }),
    });
    expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    expect(doc.paths['/v1/analyze'].post.responses['401'].content['application/json'].schema.properties.error.properties.code.enum).toEqual(['UNAUTHORIZED']);
    expect(doc.paths['/graphql'].post.responses['401']).toBeDefined();
    for (const path of ['/healthz', '/', '/docs', '/openapi.json', '/graphiql']) {
      expect(doc.paths[path].get.security, path).toEqual([]);
      expect(doc.paths[path].get.responses['401'], path).toBeUndefined();
    }
  });
});

describe('KeyRing: SHA-256 digests compared with timingSafeEqual against every key', () => {
  const ring = new KeyRing([KEY_A, KEY_B]);

  it('each key matches to its own short id (a digest prefix, not the key); near misses match nothing', () => {
    const a = ring.match(KEY_A);
    const b = ring.match(KEY_B);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    expect(KEY_A).not.toContain(a!);
    for (const miss of ['', KEY_A.slice(0, -1), `${KEY_A} `, `${KEY_A}${KEY_B}`, KEY_A.toLowerCase()]) expect(ring.match(miss), JSON.stringify(miss)).toBeNull();
  });
});

describe('rate limiting off (the default)', () => {
  it('60 requests in a row are all answered, with no rate-limit headers', async () => {
    const app = await testApp();
    try {
      for (let i = 0; i < 60; i++) {
        const res = await app.inject({ url: '/v1/operators' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await app.close();
    }
  });
});

describe('RATE_LIMIT_PER_MINUTE=3', () => {
  it('per address: 3 answered (remaining 2, 1, 0), the 4th is 429 RATE_LIMITED with Retry-After; another address still has its 3', async () => {
    const app = await testApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const remaining = [];
      for (let i = 0; i < 3; i++) {
        const res = await app.inject({ url: '/v1/operators', remoteAddress: '10.1.1.1' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBe('3');
        remaining.push(res.headers['x-ratelimit-remaining']);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const over = await app.inject({ url: '/v1/operators', remoteAddress: '10.1.1.1' });
      expect(over.statusCode).toBe(429);
      const retryAfter = Number(over.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(over.json().error).toMatchObject({ code: 'RATE_LIMITED', limit: 3, retryAfter });
      expect(over.json().error.message).toBe(`more than 3 requests in a minute from this address; retry in ${retryAfter} s`);
      // the same over GraphQL: the catalog code in extensions
      const gql = await app.inject({ method: 'POST', url: '/graphql', remoteAddress: '10.1.1.1', payload: { query: '{ models { name } }' } });
      expect(gql.statusCode).toBe(429);
      expect(gql.json().errors[0].extensions.code).toBe('RATE_LIMITED');
      // another address is another bucket
      expect((await app.inject({ url: '/v1/operators', remoteAddress: '10.1.1.2' })).statusCode).toBe(200);
      // probes are never counted or refused
      for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/healthz', remoteAddress: '10.1.1.1' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('IPv6 clients of one /64 share a bucket', async () => {
    const app = await testApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (const a of ['2001:db8::1', '2001:db8::2', '2001:db8::ffff']) expect((await app.inject({ url: '/v1/operators', remoteAddress: a })).statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/operators', remoteAddress: '2001:db8::42' })).statusCode).toBe(429);
      expect((await app.inject({ url: '/v1/operators', remoteAddress: '2001:db8:0:1::1' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('TRUST_PROXY=true: the client is X-Forwarded-For\'s, so clients behind one load balancer have their own buckets', async () => {
    const app = await testApp({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    try {
      const from = (client: string) => app.inject({ url: '/v1/operators', remoteAddress: '10.9.9.9', headers: { 'x-forwarded-for': client } });
      for (let i = 0; i < 3; i++) expect((await from('198.51.100.1')).statusCode).toBe(200);
      expect((await from('198.51.100.1')).statusCode).toBe(429);
      expect((await from('198.51.100.2')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('RATE_LIMIT_PER_MINUTE=2 with API_KEYS', () => {
  it('counted per key, whatever the address; requests without a valid key are counted per address, so guessing keys is limited too', async () => {
    const s = await spiedApp({ RATE_LIMIT_PER_MINUTE: '2', API_KEYS: `${KEY_A},${KEY_B}` });
    try {
      const withKey = (key: string, remoteAddress: string) => s.app.inject({ url: '/v1/operators', remoteAddress, headers: { 'x-api-key': key } });
      expect((await withKey(KEY_A, '10.0.0.1')).statusCode).toBe(200);
      expect((await withKey(KEY_A, '10.0.0.2')).statusCode).toBe(200);
      const over = await withKey(KEY_A, '10.0.0.3');
      expect(over.statusCode).toBe(429);
      expect(over.json().error.message).toMatch(/from this API key/);
      expect((await withKey(KEY_B, '10.0.0.1')).statusCode).toBe(200);
      // wrong keys from one address: 401, 401, then 429 before the key is even looked at
      const guesses = [];
      for (let i = 0; i < 3; i++) guesses.push((await withKey(`guess-${i}-0123456789abcdef`, '10.0.0.66')).statusCode);
      expect(guesses).toEqual([401, 401, 429]);
    } finally {
      await s.close();
    }
  });
});

describe('CORS', () => {
  const preflight = (app: FastifyInstance, origin: string, extra: Record<string, string> = {}) =>
    app.inject({ method: 'OPTIONS', url: '/v1/analyze', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization', ...extra } });

  it('off by default: a preflight gets no Access-Control-Allow-Origin (405, the path answers POST only), nor does a request with an Origin', async () => {
    const app = await testApp();
    try {
      const res = await preflight(app, 'https://app.example.com');
      expect(res.statusCode).toBe(405);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const get = await app.inject({ url: '/v1/models', headers: { origin: 'https://app.example.com' } });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  describe('CORS_ORIGINS=https://app.example.com,http://localhost:5173 with API_KEYS', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await testApp({ CORS_ORIGINS: 'https://app.example.com,http://localhost:5173', API_KEYS: KEY_A });
    });
    afterAll(async () => app.close());

    it('a listed origin\'s preflight: 204 with the origin, GET/HEAD/POST, the key headers, max-age 600, and no key needed (browsers send none on a preflight)', async () => {
      const res = await preflight(app, 'https://app.example.com');
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST');
      expect(String(res.headers['access-control-allow-headers']).split(', ')).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-api-key']));
      expect(res.headers['access-control-max-age']).toBe('600');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('an unlisted origin\'s preflight gets no Access-Control-Allow-Origin: the browser refuses', async () => {
      const res = await preflight(app, 'https://evil.example');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('the real request from a listed origin gets the origin, Vary: Origin and the exposed headers; it still needs its key', async () => {
      const res = await app.inject({ url: '/v1/models', headers: { origin: 'http://localhost:5173', authorization: `Bearer ${KEY_A}` } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(String(res.headers.vary)).toMatch(/origin/i);
      expect(String(res.headers['access-control-expose-headers'])).toContain('retry-after');
      const noKey = await app.inject({ url: '/v1/models', headers: { origin: 'http://localhost:5173' } });
      expect(noKey.statusCode).toBe(401);
      expect(noKey.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    });

    it('an unknown path is still a 404 and a wrong method a 405 (the preflight route does not make every path exist)', async () => {
      const headers = { 'x-api-key': KEY_A };
      expect((await app.inject({ url: '/no/such/route', headers })).statusCode).toBe(404);
      const wrong = await app.inject({ url: '/v1/analyze', headers });
      expect(wrong.statusCode).toBe(405);
      expect(wrong.headers.allow).toBe('POST');
    });
  });

  it('CORS_ORIGINS=*: any origin, as *', async () => {
    const app = await testApp({ CORS_ORIGINS: '*' });
    try {
      expect((await preflight(app, 'https://anyone.example')).headers['access-control-allow-origin']).toBe('*');
    } finally {
      await app.close();
    }
  });
});

describe('security headers (helmet), always on', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  const EXPECTED_CSP = "default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';img-src 'self' data:;font-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'self'";

  it('the policy is the one of security.ts, with nothing from another origin and no upgrade to https', () => {
    expect(Object.entries(CSP_DIRECTIVES).map(([k, v]) => `${k} ${v.join(' ')}`).join(';')).toBe(EXPECTED_CSP);
    expect(EXPECTED_CSP).not.toMatch(/https?:|\*|upgrade-insecure-requests|unsafe-eval/);
  });

  it.each([
    ['/', 200],
    ['/graphiql', 200],
    ['/docs', 200],
    ['/v1/models', 200],
    ['/openapi.json', 200],
    ['/no/such/route', 404],
  ])('GET %s (%i) carries CSP, nosniff, frame options, referrer policy, HSTS and the cross-origin policies', async (url, status) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(status);
    expect(res.headers).toMatchObject({
      'content-security-policy': EXPECTED_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-dns-prefetch-control': 'off',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('one policy source: GraphiQL sends exactly one Content-Security-Policy header', async () => {
    const res = await app.inject({ url: '/graphiql' });
    expect(res.rawPayload.length).toBeGreaterThan(0);
    expect(res.raw.res.getHeader('content-security-policy')).toBe(EXPECTED_CSP);
  });
});

describe('METRICS_PORT', () => {
  it('set: /metrics on the main port is 404 and the landing page does not link it; metricsServer(app) serves it and nothing else', async () => {
    const app = await testApp({ METRICS_PORT: '0' });
    try {
      const main = await app.inject({ url: '/metrics' });
      expect(main.statusCode).toBe(404);
      expect(main.json().error).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /metrics on this port: metrics are served on METRICS_PORT' });
      expect((await app.inject({ url: '/', headers: { accept: 'application/json' } })).json().links.map((l: { href: string }) => l.href)).not.toContain('/metrics');
      await app.inject({ url: '/v1/operators' });
      const server = metricsServer(app);
      try {
        const res = await server.inject({ url: '/metrics' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/plain');
        expect(res.body).toMatch(/convlens_http_request_seconds_count\{method="GET",route="\/v1\/operators",status="200"\} 1/);
        expect((await server.inject({ url: '/v1/models' })).statusCode).toBe(404);
      } finally {
        await server.close();
      }
    } finally {
      await app.close();
    }
  });

  it('unset: /metrics on the main port, linked from the landing page', async () => {
    const app = await testApp();
    try {
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/', headers: { accept: 'application/json' } })).json().links.map((l: { href: string }) => l.href)).toContain('/metrics');
    } finally {
      await app.close();
    }
  });

  it('the process (src/server.ts) without HOST listens on 127.0.0.1; with METRICS_PORT it serves /metrics on a second port, and SIGTERM closes both', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0', METRICS_PORT: '0', WORKERS: '1' };
    delete env.HOST;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await vi.waitFor(() => expect(stdout).toContain('convlens ready'), { timeout: 20_000, interval: 50 });
      const main = /Server listening at (http:\/\/[^\s"]+)/.exec(stdout)![1];
      const metrics = /metrics listening at (http:\/\/[^\s"]+)\/metrics/.exec(stdout)![1];
      expect(main).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(metrics).not.toBe(main);
      expect((await fetch(`${main}/healthz`)).status).toBe(200);
      expect((await fetch(`${main}/metrics`)).status).toBe(404);
      const scraped = await fetch(`${metrics}/metrics`);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain('convlens_pool_threads 1');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`${metrics}/metrics`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
