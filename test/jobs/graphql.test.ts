/**
 * The jobs' GraphQL surface on the served SDL (schema/graphql/, Job*.graphql included): submitJob,
 * job(id) to poll, cancelJob; errors with catalog codes. Mounted here with jobs/graphql.ts's
 * resolvers over the in-process queue, as http/graphql.ts spreads them.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import mercurius from 'mercurius';
import { GraphQLJSON } from 'graphql-scalars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { formatErrors, loadSDL } from '../../src/http/graphql.js';
import { jobResolvers } from '../../src/jobs/graphql.js';
import { createMemoryJobs } from '../../src/jobs/memory.js';
import type { JobQueue } from '../../src/jobs/types.js';
import { inlinePool, tinySpec } from './helpers.js';

let app: FastifyInstance;
let jobs: JobQueue;
const pool = inlinePool(1);

beforeAll(async () => {
  jobs = createMemoryJobs(loadConfig({ WORKERS: '1' }), pool);
  const j = jobResolvers(jobs);
  app = Fastify();
  await app.register(mercurius, { schema: loadSDL(), resolvers: { JSON: GraphQLJSON, Query: j.Query, Mutation: j.Mutation, Job: j.Job } as never, errorFormatter: formatErrors });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await jobs.close();
});

const gql = async (query: string, variables: Record<string, unknown> = {}) =>
  (await app.inject({ method: 'POST', url: '/graphql', headers: { accept: 'application/json' }, payload: { query, variables } })).json();

const FIELDS = 'id kind status createdAt startedAt finishedAt expiresAt progress { done total } result error { code message details } resultsUrl';

describe('GraphQL jobs', () => {
  it('submitJob(kind: analyze) then job(id) until done: the report of resnet18 (11,689,512 params)', async () => {
    const submitted = await gql(`mutation($r: JSON!) { submitJob(kind: analyze, request: $r) { ${FIELDS} } }`, { r: { model: 'resnet18' } });
    expect(submitted.errors).toBeUndefined();
    const { id, resultsUrl } = submitted.data.submitJob;
    expect(resultsUrl).toBe(`/v1/jobs/${id}/results`);
    let job: Record<string, any> = submitted.data.submitJob;
    for (let i = 0; i < 200 && job.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      job = (await gql(`query($id: ID!) { job(id: $id) { ${FIELDS} } }`, { id })).data.job;
    }
    expect(job).toMatchObject({ kind: 'analyze', status: 'done', progress: null, error: null });
    expect(job.result.totals.params).toBe(11_689_512);
  });

  it('a batch has progress { done, total }, and its result counts the models', async () => {
    const { id } = (await gql('mutation($r: JSON!) { submitJob(kind: batch, request: $r) { id } }', { r: { models: ['alexnet', { spec: tinySpec }] } })).data.submitJob;
    let job: Record<string, any> = {};
    for (let i = 0; i < 200 && job.status !== 'done'; i++) job = (await gql(`{ job(id: "${id}") { status progress { done total } result } }`)).data.job;
    expect(job).toEqual({ status: 'done', progress: { done: 2, total: 2 }, result: { models: 2, reports: 2, errors: 0 } });
  });

  it('an invalid request is an error with its catalog code and path, and submitJob is null', async () => {
    const res = await gql('mutation($r: JSON!) { submitJob(kind: analyze, request: $r) { id } }', { r: { model: 'resnet18', resoluton: 160 } });
    expect(res.data).toEqual({ submitJob: null });
    expect(res.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.request.resoluton', suggestion: 'resolution' });
    const kind = await gql('mutation { submitJob(kind: run, request: { kind: "batch" }) { id } }');
    expect(kind.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.request.kind' });
  });

  it('cancelJob: a queued job is cancelled (error JOB_CANCELLED); an unknown id is JOB_NOT_FOUND; job of an unknown id is null', async () => {
    pool.hold();
    try {
      await gql('mutation($r: JSON!) { submitJob(kind: analyze, request: $r) { id } }', { r: { spec: tinySpec } });
      const { id } = (await gql('mutation($r: JSON!) { submitJob(kind: analyze, request: $r) { id status } }', { r: { spec: tinySpec } })).data.submitJob;
      const cancelled = await gql(`mutation { cancelJob(id: "${id}") { status error { code } } }`);
      expect(cancelled.data.cancelJob).toEqual({ status: 'cancelled', error: { code: 'JOB_CANCELLED' } });
    } finally {
      pool.release();
    }
    const unknown = await gql('mutation { cancelJob(id: "0b6f4bd2-3f5d-4b53-9a54-3c1f1f9e2f10") { id } }');
    expect(unknown.errors[0].extensions.code).toBe('JOB_NOT_FOUND');
    expect((await gql('{ job(id: "nope") { id } }')).data).toEqual({ job: null });
  });
});
