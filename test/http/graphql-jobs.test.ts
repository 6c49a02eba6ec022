/**
 * Jobs over GraphQL (SDL schema/graphql/Job*.graphql, resolvers src/jobs/graphql.ts, wired by
 * src/http/graphql.ts): submitJob queues, job(id) polls to the report, cancelJob of an unknown id
 * is JOB_NOT_FOUND; submitted jobs weigh 10 each, so six in one document are refused before any is
 * queued; mutations are never run over GET.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';

let pool: TaskPool;
let run: ReturnType<typeof vi.spyOn>;
let app: FastifyInstance;
beforeAll(async () => {
  const config = loadConfig({ WORKERS: '1' });
  pool = createPool(config);
  run = vi.spyOn(pool, 'run');
  app = await buildApp({ config, pool });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await pool.close();
});

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

describe('jobs over GraphQL', () => {
  it('submitJob(kind: analyze, request: { model: "resnet18" }) queues; job(id) polls to done with the report (params 11689512, torchvision\'s)', async () => {
    const submitted = await gql('mutation { submitJob(kind: analyze, request: { model: "resnet18" }) { id kind status resultsUrl } }').expect(200);
    expect(submitted.body.errors).toBeUndefined();
    const { id, kind, status, resultsUrl } = submitted.body.data.submitJob;
    expect(kind).toBe('analyze');
    expect(['queued', 'running', 'done']).toContain(status);
    expect(resultsUrl).toBe(`/v1/jobs/${id}/results`);
    const done = await vi.waitFor(
      async () => {
        const res = await gql('query($id: ID!) { job(id: $id) { status result error { code } } }', { id });
        expect(res.body.data.job.status).toBe('done');
        return res.body.data.job;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(done.error).toBeNull();
    expect(done.result.totals.params).toBe(11689512);
  });

  // found by a hunt: the message said "at $.constructor" (the REST body's path) while extensions.path was $.request.constructor
  it.each([
    ['an unknown field', 'analyze', { model: 'resnet18', constructor: 1 }, '$.request.constructor', "unknown field 'constructor' at $.request.constructor; known: "],
    ['an invalid option', 'analyze', { model: 'resnet18', options: { dtype: 'x' } }, '$.request.options.dtype', '$.request.options.dtype: Invalid option'],
  ])('a refused request (%s): the message names the path extensions.path gives, under the request argument', async (_what, kind, request, path, message) => {
    const res = await gql(`mutation($r: JSON!) { submitJob(kind: ${kind}, request: $r) { id } }`, { r: request }).expect(200);
    expect(res.body.data).toEqual({ submitJob: null });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path });
    expect(res.body.errors[0].message.startsWith(message)).toBe(true);
    expect(res.body.errors[0].message).not.toMatch(/(^|[^.\w])\$\.(constructor|options)/);
  });

  it('cancelJob of an unknown id: null with JOB_NOT_FOUND', async () => {
    const res = await gql('mutation { cancelJob(id: "00000000-0000-4000-8000-000000000000") { id } }').expect(200);
    expect(res.body.data).toEqual({ cancelJob: null });
    expect(res.body.errors[0].extensions.code).toBe('JOB_NOT_FOUND');
  });

  it('six aliased submitJob weigh 6 × 10 = 60 > 50: refused with the mutation weights named, and no job is queued or run', async () => {
    run.mockClear();
    const q = `mutation { ${Array.from({ length: 6 }, (_, i) => `j${i}: submitJob(kind: analyze, request: { model: "resnet18" }) { id }`).join(' ')} }`;
    const res = await gql(q).expect(400);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors[0].message).toBe(
      'the operation weighs 60 (submitJob ×6 = 60); the limit is 50. Root fields weigh submitJob 10, any other 1, and each alias counts: split the work over several requests.',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(run).not.toHaveBeenCalled();
  });

  it('a mutation over GET is 405 with Allow: POST, and nothing is queued', async () => {
    run.mockClear();
    const res = await request(app.server).get('/graphql').query({ query: 'mutation { submitJob(kind: analyze, request: { model: "resnet18" }) { id } }' }).expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
    await new Promise((r) => setTimeout(r, 300));
    expect(run).not.toHaveBeenCalled();
  });
});
