/**
 * A run's peak memory is charged to its request before any kernel runs (runtime/run-memory.ts,
 * memory-grant.ts chargeRun): a small body cannot make a worker hold what the budget never
 * admitted. The request: x [1, 1, 8, 8] → upsample ×256 (nearest) → avgPool2d 256×256, a body of
 * a few hundred bytes whose answer is 64 values, but whose run holds the upsampled map
 * [1, 1, 2048, 2048]: 4,194,304 values, 16 MiB. Its peak is at the upsample: the map and the
 * kernel's intermediates (ops/resize.ts: a tap table of 2,048 taps for each axis, 12 bytes a tap,
 * and the 8 rows resampled along the last axis in float64, 8 × 2,048 × 8 bytes): 180,224 bytes.
 * The run asks for that and its 256-byte input, of which the body's share of the reservation (its
 * JSON's length × 4) covers the first bytes: the request grows by the rest.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JSON_FACTOR, admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';

const MiB = 1024 * 1024;
const MAP = 4 * 2048 * 2048;
const TAPS = 2 * 2048 * 12 + 8 * 2048 * 8;
const bodyShare = (body: unknown) => JSON_FACTOR * Buffer.byteLength(JSON.stringify(body));
const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: [
    { name: 'up', op: 'upsample', scaleFactor: 256, mode: 'nearest' },
    { name: 'pool', op: 'avgPool2d', kernelSize: 256 },
  ],
};
const body = { spec, inputs: { x: { shape: [1, 1, 8, 8], data: Array.from({ length: 64 }, (_, i) => i) } }, format: 'flat' };

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});
/** One app per budget on one worker, shared by the cases that ask for it (each leaves its budget all given back, as they check); closed after all. */
const served = new Map<number, Promise<FastifyInstance>>();
afterAll(async () => {
  for (const a of served.values()) await (await a).close();
});
const serve = (budget: number) => {
  if (!served.has(budget)) served.set(budget, testApp({ WORKERS: '1', MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000', MEMORY_BUDGET_BYTES: String(budget) }));
  return served.get(budget)!;
};

describe("a run's peak memory within the memory budget", () => {
  it(`x 1×1×8×8 → upsample ×256 → avgPool2d 256: with an 8 MiB budget 413 GRAPH_TOO_LARGE at $.inputs, needing ${MAP + TAPS} bytes at layer 'up' and its input's 256 beyond its body's share; with 24 MiB 200, the mean of each 256×256 block the input value itself`, async () => {
    const small = await serve(8 * MiB);
    const refused = await request(small.server).post('/v1/run').send(body);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.inputs', needed: MAP + TAPS + 256 - bodyShare(body) });
    expect(refused.body.error.message).toContain("running 'network' (its peak at layer 'up': 16.0 MiB of activations, 176.0 KiB of the kernel's intermediates; with the 0.3 KiB of tensors the request gives) needs about 16957696 bytes of memory (");
    expect(admissionOf(small)!.budget.used).toBe(0);
    const enough = await serve(24 * MiB);
    const ran = await request(enough.server).post('/v1/run').send(body);
    expect(ran.status).toBe(200);
    expect(ran.body.outputs[0]).toMatchObject({ name: 'pool', shape: [1, 1, 8, 8] });
    expect(ran.body.outputs[0].data).toEqual(body.inputs.x.data);
    // the 24 MiB app is shared with a later case: it starts from an empty budget
    for (let t = 0; t < 50 && admissionOf(enough)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(admissionOf(enough)!.budget.used).toBe(0);
  });

  it("an operator call whose answer is small but whose kernel is not: conv2d 1×1 stride 2,000 in replicate paddingMode with padding 1,000 on 1×1×8×8 pads the input to 2,008 × 2,008 (16,128,256 bytes) for a 2×2 output; with an 8 MiB budget 413 GRAPH_TOO_LARGE at $.attributes, asked before it runs", async () => {
    const small = await serve(8 * MiB);
    const padded = 4 * 2008 * 2008;
    const call = { inputs: [{ shape: [1, 1, 8, 8], data: new Array(64).fill(1) }], attributes: { outChannels: 1, kernelSize: 1, stride: 2000, padding: 1000, paddingMode: 'replicate' }, format: 'flat' };
    const refused = await request(small.server).post('/v1/operators/conv2d').send(call);
    expect(refused.status).toBe(413);
    // the output 2·2·4 = 16 bytes, the seeded weight and bias 8, the padded input; and the 256-byte input, beyond the body's share
    expect(refused.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.attributes', needed: 16 + 8 + padded + 256 - bodyShare(call) });
    expect(refused.body.error.message).toContain("running 'conv2d' (its peak at layer 'conv2d': 0.0 KiB of activations, 0.0 KiB of weights drawn or decoded, 15.4 MiB of the kernel's intermediates; with the 0.3 KiB of tensors the request gives)");
    expect(admissionOf(small)!.budget.used).toBe(0);
  });
});

describe("a run's peak lasts as long as its task (MemoryCharge.release): a GraphQL document's runs one after another hold the largest, not their sum", () => {
  const query = 'query($s: JSON, $x: JSON!) { a: run(spec: $s, inputs: { x: $x }) { outputs { name tensor { shape } } } b: run(spec: $s, inputs: { x: $x }) { outputs { name tensor { shape } } } }';

  it('two aliased runs of the 16.2 MiB-peak network on one worker with a 24 MiB budget both answer (the second was 413 GRAPH_TOO_LARGE with the first\'s peak still held), and the budget is all given back', async () => {
    const a = await serve(24 * MiB);
    const res = await request(a.server).post('/graphql').send({ query, variables: { s: spec, x: body.inputs.x } });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect([res.body.data.a.outputs[0], res.body.data.b.outputs[0]]).toEqual([
      { name: 'pool', tensor: { shape: [1, 1, 8, 8] } },
      { name: 'pool', tensor: { shape: [1, 1, 8, 8] } },
    ]);
    for (let t = 0; t < 50 && admissionOf(a)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(admissionOf(a)!.budget.used).toBe(0);
  });

  it("the same two aliased runs on two workers with a 24 MiB budget, started at once (16.2 + 16.2 MiB > 24): both answer 200 with data, the second's ask waiting for the first's release (before, one of the two was null with an OVERLOADED error on every try: 10 of 10); 3 tries in a row, the budget all given back after each", async () => {
    app = await testApp({ WORKERS: '2', MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000', MEMORY_BUDGET_BYTES: String(24 * MiB) });
    for (let i = 0; i < 3; i++) {
      const res = await request(app.server).post('/graphql').send({ query, variables: { s: spec, x: body.inputs.x } });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect([res.body.data.a.outputs[0], res.body.data.b.outputs[0]]).toEqual([
        { name: 'pool', tensor: { shape: [1, 1, 8, 8] } },
        { name: 'pool', tensor: { shape: [1, 1, 8, 8] } },
      ]);
      for (let t = 0; t < 50 && admissionOf(app)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
      expect(admissionOf(app)!.budget.used).toBe(0);
    }
  });
});

describe("an ERF sample asks for its gradient's memory, at the field that sizes it", () => {
  // x 1×1×8×8 → upsample ×64 (1×1×512×512, 1 MiB) → conv 3×3 → avgPool2d 64: the forward kept for
  // the reverse pass (the upsampled map and the conv's output), and the gradients, about 4 MiB
  const erfSpec = {
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    layers: [
      { name: 'up', op: 'upsample', scaleFactor: 64, mode: 'nearest' },
      { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 },
      { name: 'pool', op: 'avgPool2d', kernelSize: 64 },
    ],
  };

  it('random inputs with a 3 MiB budget: 413 GRAPH_TOO_LARGE at $.spec.inputs (the network\'s input sizes it), naming the gradient; 8 samples on two workers with 64 MiB answer, and the budget is all given back', async () => {
    const small = await serve(3 * MiB);
    const refused = await request(small.server).post('/v1/erf').send({ spec: erfSpec, layer: 'pool', samples: 1 });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.spec.inputs' });
    expect(refused.body.error.message).toMatch(/^computing the gradient \(its peak at layer 'pool': 2\.0 MiB of activations, .*, 2\.0 MiB for the reverse pass's gradients/);
    app = await testApp({ WORKERS: '2', MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000', MEMORY_BUDGET_BYTES: String(64 * MiB) });
    const ok = await request(app.server).post('/v1/erf').send({ spec: erfSpec, layer: 'pool', samples: 8 });
    expect(ok.status, JSON.stringify(ok.body.error)).toBe(200);
    for (let t = 0; t < 50 && admissionOf(app)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(admissionOf(app)!.budget.used).toBe(0);
  });
});
