/**
 * What the GraphQL answer-budget tests share (graphql-report-budget.test.ts, graphql-ops-budget.test.ts):
 * two apps, one answering at most 1,024 bytes (MAX_RESPONSE_BYTES) and one at the defaults, a query
 * helper, and a spec of n relu layers named l00, l01 … (each name 3 characters, so sizes work out by hand).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll } from 'vitest';
import { testApp } from './app.js';

/** The two apps of a test file, started before its tests and closed after them. */
export function budgetApps(): { readonly small: FastifyInstance; readonly normal: FastifyInstance } {
  const apps = {} as { small: FastifyInstance; normal: FastifyInstance };
  beforeAll(async () => {
    apps.small = await testApp({ MAX_RESPONSE_BYTES: '1024', WORKERS: '1' });
    apps.normal = await testApp({ WORKERS: '1' });
  });
  afterAll(async () => Promise.all([apps.small.close(), apps.normal.close()]));
  return apps;
}

export const gql = (app: FastifyInstance, query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });

export const relus = (n: number) => ({
  inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
  layers: Array.from({ length: n }, (_, i) => ({ name: `l${String(i).padStart(2, '0')}`, op: 'relu' })),
});
