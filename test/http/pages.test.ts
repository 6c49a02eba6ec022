/**
 * GET / (landing page, JSON index by content negotiation), GET /graphiql and its assets (from the
 * npm packages in the lockfile, nothing from another origin), and 405 with Allow for a known path
 * with another method.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptQuality } from '../../src/http/accept.js';
import { LandingIndex } from '../../src/http/responses.js';
import { testApp } from './app.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
const packageFile = (pkg: string, file: string) => readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file));

const LINKS = ['/graphiql', '/docs', '/openapi.json', '/v1/schema/network', '/v1/schema/report', '/v1/models', '/v1/operators', '/healthz', '/metrics'];

describe('GET /', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it('a browser (Accept: text/html,…) gets the HTML landing page linking GraphiQL, docs, OpenAPI, schemas, models, operators, health, metrics', async () => {
    const res = await app.inject({ url: '/', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers.vary).toBe('accept');
    expect([...res.body.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1])).toEqual(LINKS);
    expect(res.body).toMatch(/<h1>convlens <small>\d+\.\d+\.\d+<\/small><\/h1>/);
  });

  it('Accept: application/json gets the same links as a JSON index', async () => {
    const res = await app.inject({ url: '/', headers: { accept: 'application/json' } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const index = LandingIndex.parse(res.json());
    expect(index.name).toBe('convlens');
    expect(index.links.map((l) => l.href)).toEqual(LINKS);
  });

  it.each([
    ['no Accept header', undefined, 'text/html'],
    ['*/*', '*/*', 'text/html'],
    ['application/json, text/html;q=0.9', 'application/json, text/html;q=0.9', 'application/json'],
    ['text/html, application/json;q=0.9', 'text/html, application/json;q=0.9', 'text/html'],
    ['application/*', 'application/*', 'application/json'],
  ])('Accept %s → %s', async (_name, accept, type) => {
    const res = await app.inject({ url: '/', headers: accept ? { accept } : {} });
    expect(res.headers['content-type']).toMatch(new RegExp(`^${type}`));
  });

  // found by a hunt: Host: evil.example'$(id) was copied into the curl example (HTML-escaped, so no script, but a
  // command pasted from a page a poisoned cache served would run $(id) in the reader's shell)
  describe("the curl example names the Host only when it is a plain host[:port]", () => {
    // listening, so the page has a port to name (supertest would listen anew for each request)
    beforeAll(async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
    });
    const example = (body: string) => /<pre>curl -s -XPOST '(http:\/\/[^/]*)\/v1\/analyze\?model=resnet50' \| jq \.totals<\/pre>/.exec(body)?.[1];

    it.each(['convlens.example.org', 'convlens.example.org:8080', '127.0.0.1:3986', '[::1]:3000', '[2001:db8::1]', 'api-1.internal'])('%s is used as it is', async (host) => {
      const res = await request(app.server).get('/').set('host', host).expect(200);
      expect(example(res.text)).toBe(`http://${host}`);
    });

    it.each([
      ["a shell substitution after a quote", "evil.example'$(id)"],
      ['a backtick', 'evil.example`id`'],
      ['a dollar', 'evil$HOME.example'],
      ['a space and an option', 'evil.example -o /tmp/x'],
      ['userinfo', 'user@evil.example'],
      ['a path', 'evil.example/x'],
      ['a port that is not digits', 'evil.example:80;id'],
      ['an unclosed bracket', '[::1'],
    ])('%s (%s): localhost at the port served instead', async (_what, host) => {
      const res = await request(app.server).get('/').set('host', host).expect(200);
      const port = (app.server.address() as AddressInfo).port;
      expect(example(res.text)).toBe(`http://localhost:${port}`);
      expect(res.text).not.toContain('evil');
      expect(res.text).not.toContain('$(id)');
    });
  });

  it('acceptQuality: the most specific range decides; q=0 refuses', () => {
    expect(acceptQuality(undefined, 'text/html')).toBe(1);
    expect(acceptQuality('text/*;q=0.5, */*;q=0.1', 'text/html')).toBe(0.5);
    expect(acceptQuality('text/*;q=0.5, text/html;q=0.7', 'text/html')).toBe(0.7);
    expect(acceptQuality('text/*;q=0.5, */*;q=0.1', 'application/json')).toBe(0.1);
    expect(acceptQuality('application/json;q=0, */*', 'application/json')).toBe(0);
    expect(acceptQuality('image/png', 'text/html')).toBe(0);
  });
});

describe('GET /graphiql', () => {
  let app: FastifyInstance;
  let html: string;
  beforeAll(async () => {
    app = await testApp();
    const res = await app.inject({ url: '/graphiql' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    html = res.body;
  });
  afterAll(async () => app.close());

  const assetUrls = () => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:'));

  it("loads React, ReactDOM, GraphiQL's script and CSS and the init script from /graphiql/assets/, and nothing from another origin", () => {
    expect(assetUrls()).toEqual([
      '/graphiql/assets/graphiql.min.css?v=3.8.2',
      '/graphiql/assets/react.min.js?v=18.3.1',
      '/graphiql/assets/react-dom.min.js?v=18.3.1',
      '/graphiql/assets/graphiql.min.js?v=3.8.2',
      expect.stringMatching(/^\/graphiql\/assets\/init\.js\?v=[0-9a-f]{12}$/),
    ]);
    expect(html).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  });

  it("the page's Content-Security-Policy allows only its own origin (and data: images and fonts)", async () => {
    const csp = String((await app.inject({ url: '/graphiql' })).headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
  });

  it.each([
    ['graphiql.min.js', 'graphiql', 'graphiql.min.js', 'text/javascript'],
    ['graphiql.min.css', 'graphiql', 'graphiql.min.css', 'text/css'],
    ['react.min.js', 'react', 'umd/react.production.min.js', 'text/javascript'],
    ['react-dom.min.js', 'react-dom', 'umd/react-dom.production.min.js', 'text/javascript'],
  ])('/graphiql/assets/%s is %s/%s byte for byte, as %s, at the version package-lock.json pins', async (name, pkg, file, type) => {
    const version = lock.packages[`node_modules/${pkg}`].version;
    expect(html).toContain(`/graphiql/assets/${name}?v=${version}`);
    const res = await app.inject({ url: `/graphiql/assets/${name}?v=${version}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.rawPayload.equals(packageFile(pkg, file))).toBe(true);
  });

  it('gzip when accepted (the same bytes), an ETag and 304 on If-None-Match; without the current ?v= it is not cached for long', async () => {
    const url = '/graphiql/assets/graphiql.min.js?v=3.8.2';
    const zipped = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.rawPayload).equals(packageFile('graphiql', 'graphiql.min.js'))).toBe(true);
    expect(zipped.rawPayload.length).toBeLessThan(packageFile('graphiql', 'graphiql.min.js').length / 3);
    const again = await app.inject({ url, headers: { 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) } });
    expect(again.statusCode).toBe(304);
    const plain = await app.inject({ url, headers: { 'if-none-match': String(zipped.headers.etag) } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers.etag).not.toBe(zipped.headers.etag);
    expect((await app.inject({ url, headers: { 'accept-encoding': 'gzip;q=0' } })).headers['content-encoding']).toBeUndefined();
    expect((await app.inject({ url: '/graphiql/assets/graphiql.min.js?v=1.0.0' })).headers['cache-control']).toBe('no-cache');
    expect((await app.inject({ url: '/graphiql/assets/graphiql.min.js' })).headers['cache-control']).toBe('no-cache');
  });

  it('an unknown asset is a 404 NOT_FOUND', async () => {
    const res = await app.inject({ url: '/graphiql/assets/vue.min.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('the repository holds no copied bundle: no *.min.js or *.min.css outside node_modules and dist', () => {
    const found: string[] = [];
    const skip = new Set(['node_modules', 'dist', '.git', 'test-artifacts', 'coverage', 'tmp']);
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (skip.has(name)) continue;
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.min\.(js|css)$/.test(name)) found.push(path.relative(root, p));
      }
    };
    walk(root);
    expect(found).toEqual([]);
  });

  it('GRAPHIQL=false: no /graphiql, no assets, no link on the landing page', async () => {
    const off = await testApp({ GRAPHIQL: 'false' });
    try {
      expect((await off.inject({ url: '/graphiql' })).statusCode).toBe(404);
      expect((await off.inject({ url: '/graphiql/assets/react.min.js' })).statusCode).toBe(404);
      const index = LandingIndex.parse((await off.inject({ url: '/', headers: { accept: 'application/json' } })).json());
      expect(index.links.map((l) => l.href)).toEqual(LINKS.filter((l) => l !== '/graphiql'));
    } finally {
      await off.close();
    }
  });
});

describe('a known path with another method: 405 METHOD_NOT_ALLOWED with Allow', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it.each([
    ['GET', '/v1/analyze', 'POST'],
    ['GET', '/v1/analyze?model=resnet18', 'POST'],
    ['DELETE', '/v1/models/resnet18', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PUT', '/graphql', 'GET, HEAD, POST'],
    ['GET', '/v1/operators/conv2d', 'POST'],
    ['POST', '/v1/operators', 'GET, HEAD'],
    ['POST', '/', 'GET, HEAD'],
    ['POST', '/docs', 'GET, HEAD'],
    ['POST', '/docs/static/swagger-ui.css', 'GET, HEAD'],
  ])('%s %s → 405, Allow: %s', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    const { error } = res.json();
    expect(error.code).toBe('METHOD_NOT_ALLOWED');
    expect(error.path).toBe(url.split('?')[0]);
    expect(error.allowed).toEqual(allow.split(', '));
    expect(error.message).toContain(method);
  });

  it('an unknown path is still a 404 NOT_FOUND without Allow; HEAD of a GET route is a 200', async () => {
    for (const [method, url] of [['GET', '/v1/analyse'], ['POST', '/v2/analyze'], ['GET', '/v1/models/resnet18/layers']]) {
      const res = await app.inject({ method: method as 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers.allow).toBeUndefined();
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('405s are counted by code in /metrics', async () => {
    await app.inject({ method: 'GET', url: '/v1/run' });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/convlens_errors_total\{code="METHOD_NOT_ALLOWED"\} [1-9]/);
  });
});
