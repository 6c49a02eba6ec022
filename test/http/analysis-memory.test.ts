/**
 * The memory a graph's analysis holds, charged to its request once the worker has built the graph
 * (runtime/memory-grant.ts): 8 KiB a layer, 6 KiB more for `explain`, 2 KiB more for each other
 * extra analysis. Admission
 * reserves only Content-Length × 4 for a JSON body, and a layer of a spec is about 50 bytes, so a
 * long spec once ran whatever the budget (20,000 layers: +215 MB resident for a 1.2 MB body).
 * Budgets here are small (MEMORY_BUDGET_BYTES), so short graphs reach them.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';
import { head, portOf, rawRequest } from './raw.js';
import { waitFor } from '../jobs/helpers.js';

const MIB = 1024 * 1024;
const PER_LAYER = 8 * 1024;
const PER_EXPLAIN = 6 * 1024;
const PER_EXTRA = 2 * 1024;

// one app on an 8 MiB budget for every case but the 1 MiB one: each case leaves the budget as it found it (reserved() is 0)
let app: FastifyInstance;
beforeAll(async () => {
  app = await budgetApp(8 * MIB);
});
afterAll(() => app.close());

/** n 1×1 convs of 8 channels at 8×8: about 50 bytes of JSON a layer. */
const longSpec = (n: number) => ({
  name: 'long',
  inputs: [{ name: 'x', shape: [1, 8, 8, 8] }],
  layers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, op: 'conv2d', outChannels: 8, kernelSize: 1 })),
});

const reserved = async () => {
  const text = (await request(app.server).get('/metrics')).text;
  return Number(/^convlens_memory_reserved_bytes (\S+)$/m.exec(text)![1]);
};

/** Analyze tasks the pool counted as refused for load (convlens_task_seconds by outcome). */
const overloadedTasks = async () => {
  const m = /^convlens_task_seconds_count\{task="analyze",outcome="overloaded"\} (\d+)$/m.exec((await request(app.server).get('/metrics')).text);
  return m ? Number(m[1]) : 0;
};

// half-sent bodies hold their declared estimate for the whole spec (RESERVE_AHEAD_MS)
const budgetApp = (bytes: number) => testApp({ MEMORY_BUDGET_BYTES: String(bytes), MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000' });

describe('the memory a graph analysis holds, charged by its layers', () => {
  it('8 MiB budget: 1,200 layers (9,830,400 bytes to analyse, from a 60 KB body) is 413 GRAPH_TOO_LARGE at $.layers, naming the layers and MEMORY_BUDGET_BYTES; 400 layers (3,276,800) run; the budget comes back after each', async () => {
    expect(1200 * PER_LAYER).toBe(9_830_400);
    const big = await request(app.server).post('/v1/analyze').send(longSpec(1200));
    expect(big.status, JSON.stringify(big.body)).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.layers', needed: 9_830_400, limit: 8 * MIB });
    expect(big.body.error.message).toContain('1200 layers');
    expect(big.body.error.message).toContain('MEMORY_BUDGET_BYTES');
    expect(await reserved()).toBe(0);
    const fits = await request(app.server).post('/v1/analyze').send(longSpec(400));
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
    expect(fits.body.layers).toHaveLength(400);
    expect(await reserved()).toBe(0);
  });

  it('extra analyses add to each layer (explain 6 KiB, the others 2 KiB each): 600 layers fit an 8 MiB budget alone (4,915,200 bytes), not with explain and memory (600 × 16 KiB = 9,830,400)', async () => {
    expect(600 * (PER_LAYER + PER_EXPLAIN + PER_EXTRA)).toBe(9_830_400);
    await request(app.server).post('/v1/analyze').send(longSpec(600)).expect(200);
    const extras = await request(app.server).post('/v1/analyze?explain=true&memory=true').send(longSpec(600));
    expect(extras.status, JSON.stringify(extras.body)).toBe(413);
    expect(extras.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', needed: 9_830_400 });
    expect(extras.body.error.message).toContain('600 layers with explain and 1 other extra analysis');
  });

  it('with 6 of 8 MiB held by another request, 300 layers (2,457,600 bytes) is 503 OVERLOADED with Retry-After; once it is gone the same request runs', async () => {
    const port = await portOf(app);
    // 1.5 MiB of JSON announced, one byte sent: 6 MiB reserved while it waits for the rest
    const overloadedBefore = await overloadedTasks();
    const held = await rawRequest(port, head('/v1/run', { 'content-type': 'application/json', 'content-length': 1.5 * MIB }), '{');
    try {
      await new Promise((r) => setTimeout(r, 100));
      const spent = await request(app.server).post('/v1/analyze').send(longSpec(300));
      expect(spent.status, JSON.stringify(spent.body)).toBe(503);
      expect(spent.headers['retry-after']).toBe('1');
      expect(spent.body.error).toMatchObject({ code: 'OVERLOADED', path: '$.layers' });
      expect(spent.body.error.message).toContain('300 layers');
      // counted as an overload, not as bad input
      expect(await overloadedTasks()).toBe(overloadedBefore + 1);
    } finally {
      held.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    await request(app.server).post('/v1/analyze').send(longSpec(300)).expect(200);
    expect(await reserved()).toBe(0);
  });

  it('an ERF charges one graph per worker running its samples (2 here), not one per sample: 300 layers × 16 samples answer (2 × 2,457,600 bytes); 600 layers answer with 1 sample (4,915,200) and are GRAPH_TOO_LARGE with 16 (2 × 4,915,200 > 8 MiB)', async () => {
    const erf = (layers: number, samples: number) => request(app.server).post('/v1/erf').send({ spec: longSpec(layers), input: 'random', samples, seed: 1 });
    const many = await erf(300, 16);
    expect(many.status, JSON.stringify(many.body).slice(0, 500)).toBe(200);
    expect(many.body.input.samples).toBe(16);
    await erf(600, 1).expect(200);
    const two = await erf(600, 16);
    expect(two.status, JSON.stringify(two.body).slice(0, 500)).toBe(413);
    expect(two.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', needed: 4_915_200 });
    expect(await reserved()).toBe(0);
  });

  it("an HTML report's ERF samples run one at a time inside the analysis, and the first charges one graph: 250 layers (2,560,000 + 2,048,000 bytes) have their ERF section; 480 layers (4,915,200 + 3,932,160 > 8 MiB) are analysed, the section saying why not", async () => {
    const html = async (layers: number) => {
      const res = await request(app.server).post('/v1/analyze?format=html&erf=true').send(longSpec(layers));
      expect(res.status).toBe(200);
      return res.text.slice(res.text.indexOf('<section id="erf">'));
    };
    const fits = await html(250);
    expect(fits).toContain('theoretical field');
    expect(fits).not.toContain('Not computed');
    const refused = await html(480);
    expect(refused).toMatch(/^<section id="erf"><h2>Effective receptive field<\/h2><p class="small">Not computed: GRAPH_TOO_LARGE: analysing 480 layers/);
    expect(await reserved()).toBe(0);
  });

  it('an ONNX file: ShuffleNetV2 (166 KB, 332 KB reserved for its bytes; its nodes need more than 1 MiB) on a 1 MiB budget is 413 GRAPH_TOO_LARGE at body', async () => {
    const small = await budgetApp(MIB);
    try {
      const onnx = readFileSync(new URL('../fixtures/onnx/shufflenet_v2_x1_0.onnx', import.meta.url));
      const res = await request(small.server).post('/v1/analyze?input=1,3,224,224').set('content-type', 'application/octet-stream').send(onnx);
      expect(res.status, JSON.stringify(res.body)).toBe(413);
      expect(res.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: 'body' });
      expect(res.body.error.needed).toBeGreaterThan(MIB);
      // refused before it is decoded (graph/onnx/census.ts): 2,495 messages (584 tensors) and 1,323 packed integers, 2,259,136 bytes; it was refused at its layers' charge, after decoding
      expect(res.body.error.message).toMatch(/^decoding the ONNX file's \d+ messages/);
    } finally {
      await small.close();
    }
  });

  it('GraphQL by POST: analyze(spec:) of 1,200 layers on 8 MiB is GRAPH_TOO_LARGE in the field error; 400 layers answer', async () => {
    const query = 'query($s: JSON) { analyze(spec: $s) { totals { layers } } }';
    const big = await request(app.server).post('/graphql').send({ query, variables: { s: longSpec(1200) } });
    expect(big.body.errors?.[0]?.extensions?.code, JSON.stringify(big.body)).toBe('GRAPH_TOO_LARGE');
    const ok = await request(app.server).post('/graphql').send({ query, variables: { s: longSpec(400) } });
    expect(ok.body.errors, JSON.stringify(ok.body.errors)).toBeUndefined();
    expect(ok.body.data.analyze.totals.layers).toBe(400);
    expect(await reserved()).toBe(0);
  });

  it('a sweep holds the network, and one size with its memory timeline at a time (8 + 8 + 2 = 18 KiB a layer): 500 layers on 8 MiB (9,216,000 bytes) is GRAPH_TOO_LARGE, 300 run', async () => {
    const big = await request(app.server).post('/v1/sweep').send({ spec: longSpec(500), sizes: [8, 16] });
    expect(big.status, JSON.stringify(big.body)).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', needed: 9_216_000 });
    expect(500 * (2 * PER_LAYER + PER_EXTRA)).toBe(9_216_000);
    const ok = await request(app.server).post('/v1/sweep').send({ spec: longSpec(300), sizes: [8, 16] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.sizes).toHaveLength(2);
  });
});

describe('jobs charge the same budget while their tasks run', () => {
  const submit = (spec: unknown) => request(app.server).post('/v1/jobs').send({ kind: 'analyze', spec });

  it('in-process queue, 8 MiB budget: a 1,200-layer analyze job fails GRAPH_TOO_LARGE (9,830,400 bytes); a 400-layer one is done', async () => {
    const big = await submit(longSpec(1200)).expect(202);
    const failed = await waitFor(app, big.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', needed: 9_830_400, path: '$.spec.layers' });
    const ok = await waitFor(app, (await submit(longSpec(400)).expect(202)).body.id);
    expect(ok.status, JSON.stringify(ok.error)).toBe('done');
    expect(await reserved()).toBe(0);
  });

  /**
   * Submits `job` while another request holds 6 of the 8 MiB: the job is still running after 1 s
   * (refused for now, retried), then done once that request is gone.
   */
  async function refusedThenDone(job: object) {
    const held = await rawRequest(await portOf(app), head('/v1/run', { 'content-type': 'application/json', 'content-length': 1.5 * MIB }), '{');
    let id = '';
    try {
      await new Promise((r) => setTimeout(r, 100));
      id = (await request(app.server).post('/v1/jobs').send(job).expect(202)).body.id;
      await new Promise((r) => setTimeout(r, 1000));
      expect((await request(app.server).get(`/v1/jobs/${id}`)).body.status).toBe('running');
    } finally {
      held.destroy();
    }
    const done = await waitFor(app, id);
    expect(done.status, JSON.stringify(done.error)).toBe('done');
    return done;
  }

  it('a job refused for now (6 of 8 MiB held by a request, 300 layers need 2,457,600 bytes) waits and retries, as for a full pool: still running after 1 s, done once the request is gone', async () => {
    await refusedThenDone({ kind: 'analyze', spec: longSpec(300) });
  });

  it('a run job refused for now waits as well: its input tensor is copied to the worker, not moved, so the attempt after the refusal still has it', async () => {
    const spec = { ...longSpec(300), inputs: [{ name: 'x', shape: [1, 8, 64, 64] }] };
    const done = await refusedThenDone({ kind: 'run', spec, inputs: { x: { shape: [1, 8, 64, 64], base64: Buffer.alloc(4 * 8 * 64 * 64).toString('base64') } }, format: 'base64' });
    expect(done.result.outputs[0].shape).toEqual([1, 8, 64, 64]);
  });
});
