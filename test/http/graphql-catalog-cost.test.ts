/**
 * The catalog reads that answer large JSON (model(name:), operators, conventions) start no worker
 * task but are built and serialized whole on the event loop: they weigh by their answer (model 5,
 * operators 5, conventions 3), so one request answers at most about ten REST reads' worth of
 * catalog. Ordinary queries and GET (catalog reads only) still run.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_FIELD_WEIGHT } from '../../src/http/graphql/complexity.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ WORKERS: '1' });
});
afterAll(async () => app.close());

const gql = (query: string) => request(app.server).post('/graphql').send({ query });
const aliases = (n: number, field: (i: number) => string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

// found by a hunt: 50 aliases of model(name: "densenet121", resolution: 8192 − i) weighed 50 and answered 3.8 MB in ~0.1 s
// (GET /v1/models/densenet121: 76 KB, 3 ms); four clients looping it held /healthz for 1–3 s
describe('catalog reads weigh by the answer they build', () => {
  it('50 aliased model(name: "densenet121") weigh 250: QUERY_TOO_COMPLEX before any is built', async () => {
    const res = await gql(aliases(50, (i) => `model(name: "densenet121", resolution: ${8192 - i})`)).expect(400);
    expect(res.body).not.toHaveProperty('data');
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 50, weight: 250, rootFields: { model: 50 } });
    expect(res.body.errors[0].message).toMatch(/^the operation weighs 250 \(model ×50 = 250\); the limit is 50\. Root fields weigh .*model 5, operators 5, conventions 3, any other 1;/);
  });

  it('11 aliased operators { attributes } (97 KB each) weigh 55 and are refused; 11 aliased conventions weigh 33 and run', async () => {
    const ops = await gql(aliases(11, () => 'operators { name attributes }')).expect(400);
    expect(ops.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 55 });
    const conventions = await gql(aliases(11, () => 'conventions { name }')).expect(200);
    expect(conventions.body.errors).toBeUndefined();
  });

  it('the most one request answers is about ten REST reads: ten densenet121 specs (weight 50) are 10 × GET /v1/models/densenet121', async () => {
    const rest = await request(app.server).get('/v1/models/densenet121').expect(200);
    const res = await gql(aliases(10, (i) => `model(name: "densenet121", resolution: ${224 + i})`)).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(Object.keys(res.body.data)).toHaveLength(10);
    expect(res.text.length).toBeLessThan(11 * rest.text.length);
  });

  it('ordinary queries still run: every catalog read once weighs 1 + 5 + 5 + 3 + 1 = 15, and beside an analysis 25', async () => {
    expect(CATALOG_FIELD_WEIGHT).toEqual({ model: 5, operators: 5, conventions: 3 });
    const res = await gql('{ models { name } model(name: "resnet18", resolution: 64) operators { name attributes } conventions { name } devices { id } analyze(model: "resnet18") { totals { params } } }').expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.model.inputs[0].shape).toEqual([1, 3, 64, 64]);
    expect(res.body.data.analyze.totals.params).toBe(11_689_512);
  });

  it('GET still answers them (catalog reads start no work), within the same weight', async () => {
    const ok = await request(app.server).get('/graphql').query({ query: '{ model(name: "resnet18") operators { name } conventions { name } }' }).expect(200);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.model.layers.length).toBeGreaterThan(0);
    const heavy = await request(app.server).get('/graphql').query({ query: aliases(11, () => 'operators { name }') }).expect(400);
    expect(heavy.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', weight: 55 });
  });
});
