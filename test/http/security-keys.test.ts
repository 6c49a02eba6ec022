/**
 * API keys at the edge of the app (src/http/security.ts), off by default and then on: both
 * headers, missing, wrong, right; probes and documentation open; nothing run without a key; the
 * OpenAPI document's schemes; KeyRing's digests.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/http/security.js';
import { testApp } from './app.js';
import { KEY_A, KEY_B, spiedApp } from './security-kit.js';

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
