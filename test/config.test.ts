import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, workerCount } from '../src/config.js';

describe('configuration from the environment', () => {
  it('defaults: port 3000, GraphiQL on, one worker per core', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 3000, HOST: '0.0.0.0', GRAPHIQL: true, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
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
    ['LOG_FORMAT', 'fancy'],
  ])('%s=%s stops the process with a message naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}.*${value}`));
  });
});
