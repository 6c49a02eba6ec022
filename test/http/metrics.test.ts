import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

// an app a case: its counters, workers and model caches hold that case's requests only, whatever ran before
let app: FastifyInstance;
beforeEach(async () => {
  app = await testApp();
});
afterEach(async () => app.close());

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

  // a body over 128 KiB is parsed in the large-JSON worker (http/offload.ts): counted under task="analyze", a
  // GraphQL request that analysed nothing (and a job submission) showed as an analysis
  it('a large JSON body parsed in a worker is counted as task="parse": a GraphQL request and a job submission of 200,000 bytes', async () => {
    const before = (await request(app.server).get('/metrics').expect(200)).text;
    const count = (text: string, task: string) => Number(new RegExp(`convlens_task_seconds_count\\{task="${task}",outcome="ok"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const pad = (json: string) => json + ' '.repeat(200_000 - json.length);
    await request(app.server).post('/graphql').set('content-type', 'application/json').send(pad(JSON.stringify({ query: '{ __typename }' }))).expect(200);
    await request(app.server).post('/v1/jobs').set('content-type', 'application/json').send(pad(JSON.stringify({ kind: 'batch', models: ['nope'] }))).expect(404);
    const after = (await request(app.server).get('/metrics').expect(200)).text;
    expect(count(after, 'parse') - count(before, 'parse')).toBe(1);
    expect(after).toMatch(/convlens_task_seconds_count\{task="parse",outcome="invalid"\} 1/);
    expect(count(after, 'analyze')).toBe(count(before, 'analyze'));
  });

  it("each worker's memory as its last task left it: heap, buffers, model cache by thread; two runs of two specs keep two models", async () => {
    const spec = (c: number) => ({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: c, kernelSize: 3 }] });
    const x = { shape: [1, 1, 4, 4], data: new Array(16).fill(1) };
    for (const c of [2, 3]) await request(app.server).post('/v1/run').send({ spec: spec(c), inputs: { x } }).expect(200);
    const text = (await request(app.server).get('/metrics').expect(200)).text;
    const series = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{thread="(\\d+)"\\} (\\d+)$`, 'gm'))].map((m) => ({ thread: m[1], value: Number(m[2]) }));
    const heap = series('convlens_worker_heap_used_bytes');
    // these two runs ran on one or both of the two workers
    expect(heap.length).toBeGreaterThanOrEqual(1);
    expect(heap.length).toBeLessThanOrEqual(2);
    for (const h of heap) expect(h.value).toBeGreaterThan(1 << 20);
    expect(series('convlens_worker_external_bytes').map((e) => e.thread)).toEqual(heap.map((h) => h.thread));
    expect(series('convlens_model_cache_entries').reduce((n, e) => n + e.value, 0)).toBe(2);
    // a first run keeps a spec's graph and analysis (PER_LAYER_BYTES, 4,096 a layer: one here), no folds (no batch
    // norm) and not yet its seeded weights (kept from a second run with the same seed): 4,096 bytes an entry
    const entries = new Map(series('convlens_model_cache_entries').map((e) => [e.thread, e.value]));
    for (const b of series('convlens_model_cache_bytes')) expect(b.value, `thread ${b.thread}`).toBe(entries.get(b.thread)! * 4096);
  });
});
