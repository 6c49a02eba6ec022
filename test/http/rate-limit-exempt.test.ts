/**
 * What RATE_LIMIT_PER_MINUTE does not count (http/security.ts): GraphiQL's page counts once, not
 * once per asset it loads (at 2 a minute it could not load), and /metrics scrapes are not counted;
 * API calls still are.
 */
import { describe, expect, it } from 'vitest';
import { testApp } from './app.js';

describe('RATE_LIMIT_PER_MINUTE=2: assets and scrapes are not counted', () => {
  it('GET /graphiql (one of the two) and every asset it loads answer 200, /metrics five times, then one API call answers and the next is 429', async () => {
    const app = await testApp({ RATE_LIMIT_PER_MINUTE: '2', WORKERS: '1' });
    try {
      const from = { remoteAddress: '10.2.2.2' };
      const page = await app.inject({ url: '/graphiql', ...from });
      expect(page.statusCode).toBe(200);
      const assets = [...new Set(page.body.match(/\/graphiql\/assets\/[^"'?\s]+/g) ?? [])];
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const url of assets) expect((await app.inject({ url, ...from })).statusCode, url).toBe(200);
      for (let i = 0; i < 5; i++) expect((await app.inject({ url: '/metrics', ...from })).statusCode).toBe(200);
      // the page took one of the two: one API call is left
      expect((await app.inject({ url: '/v1/operators', ...from })).statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/operators', ...from })).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('with API_KEYS: /metrics with the valid key is not counted (five scrapes answer), a wrong key on it is: 401, 401, then 429', async () => {
    const key = 'k'.repeat(32);
    const app = await testApp({ RATE_LIMIT_PER_MINUTE: '2', API_KEYS: key, WORKERS: '1' });
    try {
      const scrape = (k: string) => app.inject({ url: '/metrics', remoteAddress: '10.3.3.3', headers: { 'x-api-key': k } });
      for (let i = 0; i < 5; i++) expect((await scrape(key)).statusCode).toBe(200);
      const guesses = [];
      for (let i = 0; i < 3; i++) guesses.push((await scrape(`guess-${i}-0123456789abcdef0123456789`)).statusCode);
      expect(guesses).toEqual([401, 401, 429]);
    } finally {
      await app.close();
    }
  });
});
