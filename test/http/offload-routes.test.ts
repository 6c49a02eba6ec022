/**
 * Every route that parses a large JSON body in a worker (offload.ts OFFLOAD), with a body between
 * OFFLOAD_JSON_BYTES (128 KiB) and 1 MiB: the answers worked by hand, and an error at its path, as
 * when the event loop parsed them (the threshold was 1 MiB until 2026-12-02).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

/** The body as JSON text, checked to lie in the range that moved to the workers. */
function sized(body: object): string {
  const text = JSON.stringify(body);
  expect(Buffer.byteLength(text)).toBeGreaterThan(OFFLOAD_JSON_BYTES);
  expect(Buffer.byteLength(text)).toBeLessThan(1 << 20);
  return text;
}
const post = (url: string, text: string) => request(app.server).post(url).set('content-type', 'application/json').send(text);

/** n relus with 200-character names: about 220 bytes of JSON each. */
const relus = (n: number) => ({ inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers: Array.from({ length: n }, (_, i) => ({ name: `relu_${i}_${'x'.repeat(200)}`, op: 'relu' })) });

describe('bodies of 128 KiB to 1 MiB, parsed in a worker', () => {
  it('POST /v1/operators/relu on 40,000 values cycling −3.75 … 3.75 in steps of 1.25: 5,714 cycles of 1.25 + 2.5 + 3.75 = 42,855; a shape of 40,001 is 400 at $.inputs[0]', async () => {
    const data = Array.from({ length: 40_000 }, (_, i) => ((i % 7) - 3) * 1.25);
    const res = await post('/v1/operators/relu', sized({ inputs: [{ shape: [40_000], data }], format: 'flat' })).expect(200);
    expect(res.body.outputs[0].shape).toEqual([40_000]);
    expect(res.body.outputs[0].data.reduce((s: number, v: number) => s + v, 0)).toBe(42_855);
    const bad = await post('/v1/operators/relu', sized({ inputs: [{ shape: [40_001], data }] })).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_TENSOR' });
    expect(bad.body.error.path).toMatch(/^\$\.inputs\[0\]/);
  });

  it("POST /v1/transforms/fold-batchnorm, a 64×64×3×3 weight of 0.5: γ 4, μ 1, β 0.25, σ² 3.99999 (σ = 2): w' = 0.5·4/2 = 1, b' = (0 − 1)·4/2 + 0.25 = −1.75; a running variance of 63 values is 400 at $.runningVar", async () => {
    const vec = (v: number, n = 64) => ({ shape: [n], data: Array(n).fill(v) });
    const body = { weight: { shape: [64, 64, 3, 3], data: Array(64 * 64 * 9).fill(0.5) }, gamma: vec(4), beta: vec(0.25), runningMean: vec(1), runningVar: vec(3.99999), format: 'flat' };
    const res = await post('/v1/transforms/fold-batchnorm', sized(body)).expect(200);
    expect(new Set(res.body.weight.data)).toEqual(new Set([1]));
    expect(res.body.bias.data).toEqual(Array(64).fill(-1.75));
    const bad = await post('/v1/transforms/fold-batchnorm', sized({ ...body, runningVar: vec(3.99999, 63) })).expect(400);
    expect(bad.body.error.path).toMatch(/^\$\.runningVar/);
  });

  it('POST /v1/run, a 1×1 conv of weight 2 on a 200×200 input of 0.25: every output 0.5; an input of another shape is 400 at $.inputs.x', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 200, 200] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 1, bias: false }] };
    const x = { shape: [1, 1, 200, 200], data: Array(40_000).fill(0.25) };
    const body = { spec, inputs: { x }, weights: { 'c.weight': { shape: [1, 1, 1, 1], data: [2] } }, format: 'flat' };
    const res = await post('/v1/run', sized(body)).expect(200);
    expect(res.body.outputs[0].shape).toEqual([1, 1, 200, 200]);
    expect(new Set(res.body.outputs[0].data)).toEqual(new Set([0.5]));
    const bad = await post('/v1/run', sized({ ...body, inputs: { x: { ...x, shape: [1, 1, 100, 400] } } })).expect(400);
    expect(bad.body.error.path).toMatch(/^\$\.inputs\.x/);
  });

  it('POST /v1/analyze, 700 relus: 700 layers, no parameters; a misspelt op in layer 650 is 400 UNKNOWN_OP at $.layers[650]', async () => {
    const res = await post('/v1/analyze', sized(relus(700))).expect(200);
    expect(res.body.totals).toMatchObject({ layers: 700, params: 0 });
    const spec = relus(700);
    spec.layers[650].op = 'rleu';
    const bad = await post('/v1/analyze', sized(spec)).expect(400);
    expect(bad.body.error.code).toBe('UNKNOWN_OP');
    expect(bad.body.error.path).toMatch(/^\$\.layers\[650\]/);
  });

  it('POST /v1/compare, 400 relus against 399: 399 matched, 1 removed; a new network that is not an object is 400 at $.new', async () => {
    const res = await post('/v1/compare', sized({ old: relus(400), new: relus(399) })).expect(200);
    expect(res.body.comparison.layers.matched).toHaveLength(399);
    expect(res.body.comparison.layers.removed).toHaveLength(1);
    const bad = await post('/v1/compare', sized({ old: relus(700), new: 7 })).expect(400);
    expect(bad.body.error.path).toMatch(/^\$\.new/);
  });

  it('POST /v1/sweep, 700 relus at 8 and 16: both sizes answered; a size of 0 is 400 at $.sizes[1]', async () => {
    const res = await post('/v1/sweep', sized({ spec: relus(700), sizes: [8, 16] })).expect(200);
    expect(res.body.sizes).toHaveLength(2);
    const bad = await post('/v1/sweep', sized({ spec: relus(700), sizes: [8, 0] })).expect(400);
    expect(bad.body.error.path).toMatch(/^\$\.sizes\[1\]/);
  });
});

describe('error paths of a network nested in a request (helper audit)', () => {
  const conv = (extra: Record<string, unknown>) => ({ inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, ...extra }] });

  it('POST /v1/analyze { spec } with a conv missing kernelSize and an unknown foo: the path and every issue under $.spec (the issues said $.layers[0])', async () => {
    const res = await request(app.server).post('/v1/analyze').send({ spec: conv({ foo: 1 }) }).expect(400);
    expect(res.body.error.path).toMatch(/^\$\.spec\.layers\[0\]\./);
    expect(res.body.error.issues.length).toBeGreaterThanOrEqual(2);
    for (const issue of res.body.error.issues) expect(issue.path).toMatch(/^\$\.spec\.layers\[0\]\./);
  });

  it('POST /v1/compare with a bare spec as new whose 9×9 kernel exceeds its 4×4 input: at $.new.layers[0] (it said $.new.spec.layers[0], a key the request has not got); as { spec } it stays $.new.spec.layers[0]', async () => {
    const bare = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: conv({ kernelSize: 9 }) }).expect(400);
    expect(bare.body.error.path).toMatch(/^\$\.new\.layers\[0\]/);
    const wrapped = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: { spec: conv({ kernelSize: 9 }) } }).expect(400);
    expect(wrapped.body.error.path).toMatch(/^\$\.new\.spec\.layers\[0\]/);
    const schema = await request(app.server).post('/v1/compare').send({ old: conv({ kernelSize: 'three' }), new: 'resnet18' }).expect(400);
    expect(schema.body.error.path).toMatch(/^\$\.old\.layers\[0\]/);
  });
});

describe('paths of errors where the request gave the value (helper audit)', () => {
  it('a raw .npy body that is not one: at body (it said 0, the name of the part it is read as)', async () => {
    const res = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/x-npy').send(Buffer.from('not npy at all')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: 'body' });
    expect(res.body.error.message).toMatch(/^body: not a valid \.npy file/);
  });

  it("capture ['r', 'rr2'] with no layer rr2: UNKNOWN_INPUT at $.capture[1] with the closest layer (it said $.capture)", async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'r', op: 'relu' }, { name: 'r2', op: 'relu' }] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] } }, capture: ['r', 'rr2'] }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.capture[1]', suggestion: 'r2' });
  });

  it('an ONNX upload with ?input=1,3 for a 4-D input: SHAPE_MISMATCH at query.input, the file\'s input as modelPath (it said $.graph.input[0])', async () => {
    const onnx = readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url));
    const res = await request(app.server).post('/v1/analyze?input=1,3').set('content-type', 'application/octet-stream').send(onnx).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: 'query.input', modelPath: '$.graph.input[0]', input: 'input' });
  });
});

