import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

describe('GET /metrics', () => {
  it('counts requests by route and status, tasks by outcome, and errors by catalog code', async () => {
    await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('{').expect(400);
    await request(app.server).post('/v1/analyze?model=nope').expect(404);
    // refused by the worker's task (the unknown model above is refused before any task)
    await request(app.server).post('/v1/analyze').send({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'a', op: 'nope' }] }).expect(400);
    // GraphQL's errors too: a catalog code in a field, a document that does not validate
    await request(app.server).post('/graphql').send({ query: '{ model(name: "resnt50") }' }).expect(200);
    await request(app.server).post('/graphql').send({ query: '{ nope }' }).expect(400);
    const res = await request(app.server).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/convlens_http_request_seconds_count\{method="POST",route="\/v1\/analyze",status="200"\} 1/);
    expect(res.text).toMatch(/convlens_task_seconds_count\{task="analyze",outcome="ok"\} 1/);
    expect(res.text).toMatch(/convlens_task_seconds_count\{task="analyze",outcome="invalid"\} 1/);
    expect(res.text).toMatch(/convlens_errors_total\{code="INVALID_JSON"\} 1/);
    expect(res.text).toMatch(/convlens_errors_total\{code="UNKNOWN_MODEL"\} 2/);
    expect(res.text).toMatch(/convlens_errors_total\{code="UNKNOWN_OP"\} 1/);
    expect(res.text).toMatch(/convlens_errors_total\{code="GRAPHQL_INVALID"\} 1/);
    expect(res.text).toMatch(/convlens_pool_threads 2/);
  });
});
