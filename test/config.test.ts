import { constants as bufferConstants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, workerCount } from '../src/config.js';

describe('configuration from the environment', () => {
  it('defaults: port 3000 on loopback only (the container sets HOST=0.0.0.0), GraphiQL on, one worker per core', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', GRAPHIQL: true, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    expect(workerCount(c)).toBeGreaterThanOrEqual(1);
  });

  it('values are coerced and validated', () => {
    expect(loadConfig({ PORT: '8080', WORKERS: '3', GRAPHIQL: 'false' })).toMatchObject({ PORT: 8080, WORKERS: 3, GRAPHIQL: false });
    expect(workerCount(loadConfig({ WORKERS: '3' }))).toBe(3);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['WORKERS', '-1'],
    ['TASK_TIMEOUT_MS', '5'],
    // over a timer's longest delay less a worker's start allowance (Node would fire it at once: every task TIMEOUT)
    ['TASK_TIMEOUT_MS', '2147483647'],
    ['LOG_FORMAT', 'fancy'],
  ])('%s=%s stops the process with a message naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value}`));
  });
});

describe('security and GraphQL limits (issue 9)', () => {
  const KEY_A = 'k1-0123456789abcdef';
  const KEY_B = 'k2-fedcba9876543210';

  it('defaults: no API keys, no rate limit, no CORS origin, /metrics on PORT, no proxy trusted; GraphQL cost 50, 500 fields, depth 12, 10,000 tokens', () => {
    expect(loadConfig({})).toMatchObject({
      API_KEYS: [],
      RATE_LIMIT_PER_MINUTE: 0,
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      GRAPHQL_MAX_COST: 50,
      GRAPHQL_MAX_FIELDS: 500,
      GRAPHQL_MAX_DEPTH: 12,
      GRAPHQL_MAX_TOKENS: 10_000,
    });
    expect(loadConfig({}).METRICS_PORT).toBeUndefined();
  });

  it('GRAPHQL_MAX_DOCUMENT_BYTES: 1 MiB (1,048,576) by default, coerced from the environment, at least 1024', () => {
    expect(loadConfig({}).GRAPHQL_MAX_DOCUMENT_BYTES).toBe(1_048_576);
    expect(loadConfig({ GRAPHQL_MAX_DOCUMENT_BYTES: '65536' }).GRAPHQL_MAX_DOCUMENT_BYTES).toBe(65_536);
    expect(loadConfig({ GRAPHQL_MAX_DOCUMENT_BYTES: '1024' }).GRAPHQL_MAX_DOCUMENT_BYTES).toBe(1024);
  });

  it('API_KEYS " a , b ," is the two keys, trimmed, empty entries dropped', () => {
    expect(loadConfig({ API_KEYS: ` ${KEY_A} , ${KEY_B} ,` }).API_KEYS).toEqual([KEY_A, KEY_B]);
  });

  it.each([['short-key'], ['a key with spaces inside']])('API_KEYS=%j is refused, and the message never shows the value', (bad) => {
    let message = '';
    try {
      loadConfig({ API_KEYS: `${KEY_A},${bad}` });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/API_KEYS: each key must be at least 16 printable ASCII characters/);
    expect(message).not.toContain(KEY_A);
    expect(message).not.toContain(bad);
  });

  it('CORS_ORIGINS takes origins (scheme, host, port) and *', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS).toEqual(['*']);
  });

  it('TRUST_PROXY: true, false, a hop count, or addresses and CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, loopback' }).TRUST_PROXY).toBe('10.0.0.0/8, 127.0.0.1, loopback');
  });

  it('numbers: RATE_LIMIT_PER_MINUTE=120, METRICS_PORT=9464, GRAPHQL_MAX_COST=100', () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '120', METRICS_PORT: '9464', GRAPHQL_MAX_COST: '100' })).toMatchObject({ RATE_LIMIT_PER_MINUTE: 120, METRICS_PORT: 9464, GRAPHQL_MAX_COST: 100 });
  });

  it.each([
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'ftp://files.example.com'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['RATE_LIMIT_PER_MINUTE', 'lots'],
    ['METRICS_PORT', '70000'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['GRAPHQL_MAX_COST', '0'],
    ['GRAPHQL_MAX_FIELDS', '0'],
    ['GRAPHQL_MAX_DEPTH', '1.5'],
    ['GRAPHQL_MAX_TOKENS', '99'],
    ['GRAPHQL_MAX_DOCUMENT_BYTES', '0'],
    ['GRAPHQL_MAX_DOCUMENT_BYTES', '1023'],
    ['GRAPHQL_MAX_DOCUMENT_BYTES', '1MiB'],
    ['GRAPHQL_MAX_DOCUMENT_BYTES', '1e6.5'],
  ])('%s=%s stops the process with a message naming the variable and the value', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });
});

describe('jobs configuration (POST /v1/jobs, convlens worker)', () => {
  it('defaults: results kept 3600 s, 256 jobs waiting, 100 models a batch, 512 MiB in-process store, no Redis (in-process)', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ JOB_TTL_SECONDS: 3600, JOB_MAX_PENDING: 256, JOB_BATCH_MAX: 100, JOB_STORE_MAX_BYTES: 536_870_912 });
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('values: REDIS_URL redis:// or rediss:// (with a password), an empty one meaning unset; the numbers coerced', () => {
    expect(loadConfig({ REDIS_URL: 'redis://redis:6379' }).REDIS_URL).toBe('redis://redis:6379');
    expect(loadConfig({ REDIS_URL: 'rediss://:s3cret@cache.example.com:6380/2' }).REDIS_URL).toBe('rediss://:s3cret@cache.example.com:6380/2');
    expect(loadConfig({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(loadConfig({ JOB_TTL_SECONDS: '60', JOB_MAX_PENDING: '5', JOB_BATCH_MAX: '10', JOB_STORE_MAX_BYTES: '1048576' })).toMatchObject({
      JOB_TTL_SECONDS: 60,
      JOB_MAX_PENDING: 5,
      JOB_BATCH_MAX: 10,
      JOB_STORE_MAX_BYTES: 1_048_576,
    });
  });

  it.each([['localhost:6379'], ['http://redis:6379']])('REDIS_URL=%s (not redis:// or rediss://) stops the process naming the variable', (value) => {
    expect(() => loadConfig({ REDIS_URL: value })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: value })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  it.each([['redis://:99999'], ['redis://127.0.0.1:65536'], ['redis://127.0.0.1:abc'], ['redis://[::1']])('REDIS_URL=%s (a port past 65535 or not a number, an unclosed IPv6 host) stops the process: ioredis retried it without end', (value) => {
    expect(() => loadConfig({ REDIS_URL: value })).toThrow(/REDIS_URL: is not a valid URL \(its host, or its port: a number up to 65535\)/);
  });

  it.each([
    ['JOB_TTL_SECONDS', '0'],
    ['JOB_TTL_SECONDS', '2592001'],
    ['JOB_MAX_PENDING', '0'],
    ['JOB_BATCH_MAX', '1.5'],
    ['JOB_STORE_MAX_BYTES', '1000'],
  ])('%s=%s stops the process with a message naming the variable and the value', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });
});

describe('engine budgets (MAX_RUN_WORK, MAX_FOLDED_ELEMENTS, WORKER_HEAP_LIMIT_MB)', () => {
  it('defaults: 1e11 units of work per run, 2^20 folded values per graph, a 256 MiB worker heap', () => {
    expect(loadConfig({})).toMatchObject({ MAX_RUN_WORK: 1e11, MAX_FOLDED_ELEMENTS: 1_048_576, WORKER_HEAP_LIMIT_MB: 256 });
  });

  it('values are coerced: MAX_RUN_WORK=5e9, MAX_FOLDED_ELEMENTS=4096, WORKER_HEAP_LIMIT_MB=128', () => {
    expect(loadConfig({ MAX_RUN_WORK: '5e9', MAX_FOLDED_ELEMENTS: '4096', WORKER_HEAP_LIMIT_MB: '128' })).toMatchObject({ MAX_RUN_WORK: 5e9, MAX_FOLDED_ELEMENTS: 4096, WORKER_HEAP_LIMIT_MB: 128 });
  });

  it.each([
    ['MAX_RUN_WORK', '0'],
    ['MAX_RUN_WORK', 'lots'],
    ['MAX_FOLDED_ELEMENTS', '1.5'],
    ['WORKER_HEAP_LIMIT_MB', '8'],
  ])('%s=%s stops the process with a message naming the variable and the value', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });
});

describe('the HTTP edge (JSON_BODY_LIMIT, MEMORY_BUDGET_BYTES, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS)', () => {
  it('defaults: 64 MiB of JSON, the budget from the machine (unset), 512 MiB answers, 60 s to send a request', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ JSON_BODY_LIMIT: 64 * 1024 * 1024, MAX_RESPONSE_BYTES: 512 * 1024 * 1024, REQUEST_TIMEOUT_MS: 60_000, RESERVE_AHEAD_MS: 2000 });
    expect(c.MEMORY_BUDGET_BYTES).toBeUndefined();
    // below V8's longest string, which one body must not reach (issue 9, defect 1)
    expect(c.JSON_BODY_LIMIT).toBeLessThan(bufferConstants.MAX_STRING_LENGTH);
  });

  it('values are coerced: JSON_BODY_LIMIT=65536, MEMORY_BUDGET_BYTES=8388608, MAX_RESPONSE_BYTES=100000, REQUEST_TIMEOUT_MS=500', () => {
    expect(loadConfig({ JSON_BODY_LIMIT: '65536', MEMORY_BUDGET_BYTES: '8388608', MAX_RESPONSE_BYTES: '100000', REQUEST_TIMEOUT_MS: '500' })).toMatchObject({
      JSON_BODY_LIMIT: 65536,
      MEMORY_BUDGET_BYTES: 8388608,
      MAX_RESPONSE_BYTES: 100000,
      REQUEST_TIMEOUT_MS: 500,
    });
  });

  it.each([
    ['JSON_BODY_LIMIT', String(bufferConstants.MAX_STRING_LENGTH + 1)],
    ['JSON_BODY_LIMIT', '100'],
    ['MEMORY_BUDGET_BYTES', '1000'],
    ['MEMORY_BUDGET_BYTES', 'half'],
    ['MAX_RESPONSE_BYTES', '0'],
    ['REQUEST_TIMEOUT_MS', '10'],
    ['RESERVE_AHEAD_MS', '0'],
  ])('%s=%s stops the process with a message naming the variable and the value', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value}`));
  });
});

describe('secrets are not echoed', () => {
  it('an invalid REDIS_URL with a password: the error names the variable, not the value', () => {
    let message = '';
    try {
      loadConfig({ REDIS_URL: 'mysql://user:hunter2secret@db:3306' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/REDIS_URL/);
    expect(message).not.toContain('hunter2secret');
  });
});
