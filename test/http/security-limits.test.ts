/**
 * Rate limiting (429 with Retry-After, per key or per address, IPv6 /64 buckets, behind a trusted
 * proxy) and CORS (preflight allowed and denied, with API keys) at the edge of the app
 * (src/http/security.ts), each off by default and then on.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';
import { KEY_A, KEY_B, spiedApp } from './security-kit.js';

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
