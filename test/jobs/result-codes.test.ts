/**
 * A job whose result cannot be kept fails JOB_RESULT_TOO_LARGE whatever its kind. An analysis
 * job's report past V8's longest string (about 2^29 characters: a report of very many layers with
 * every analysis) failed RESPONSE_TOO_LARGE, POST /v1/analyze's code naming MAX_RESPONSE_BYTES, while a
 * run job's result past it failed JOB_RESULT_TOO_LARGE (jobs/run-result.ts). The synchronous routes
 * keep RESPONSE_TOO_LARGE. JSON.stringify is made to throw V8's RangeError on a report (one that
 * long takes minutes and gigabytes to build).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { inlinePool, tinySpec, waitFor } from './helpers.js';

describe('a report too long for a string', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool: inlinePool(1) });
    await app.ready();
  });
  afterAll(async () => app.close());
  afterEach(() => vi.restoreAllMocks());
  const stringify = JSON.stringify;
  const tooLong = () =>
    vi.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, ...rest: never[]) => {
      if (value !== null && typeof value === 'object' && 'totals' in value && 'layers' in value) throw new RangeError('Invalid string length');
      return stringify(value, ...rest);
    }) as typeof JSON.stringify);

  it('an analyze job fails 413 JOB_RESULT_TOO_LARGE at $.options, as a run job past it does; POST /v1/analyze is still 413 RESPONSE_TOO_LARGE', async () => {
    tooLong();
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'analyze', spec: tinySpec } });
    expect(res.statusCode).toBe(202);
    const job = await waitFor(app, res.json().id);
    expect([job.status, job.error.code, job.error.path]).toEqual(['failed', 'JOB_RESULT_TOO_LARGE', '$.options']);
    expect(job.error.message).toMatch(/^the report as JSON would be longer than a string can be/);
    const sync = await app.inject({ method: 'POST', url: '/v1/analyze', payload: tinySpec });
    expect([sync.statusCode, sync.json().error.code]).toEqual([413, 'RESPONSE_TOO_LARGE']);
  });

  it("a batch model's line: its error is JOB_RESULT_TOO_LARGE; the batch is done with 1 error", async () => {
    tooLong();
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'batch', models: [{ spec: tinySpec }] } });
    expect(res.statusCode).toBe(202);
    const job = await waitFor(app, res.json().id);
    vi.restoreAllMocks();
    expect(job.result).toEqual({ models: 1, reports: 0, errors: 1 });
    const lines = (await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/results` })).body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0].error.code).toBe('JOB_RESULT_TOO_LARGE');
  });
});
