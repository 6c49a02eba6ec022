/**
 * Typed GraphQL results of runOperator, run and foldBatchNorm: named tensors in order, with shape,
 * dtype, flat data or base64, and statistics, all checked against numbers worked by hand.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').send({ query, variables });
const floats = (base64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(base64, 'base64')).buffer));
const TENSOR = 'shape dtype data base64 stats { min max mean std nonFinite }';

describe('runOperator: OperatorResult', () => {
  it('conv2d of a 3×3 ramp by a 2×2 kernel [1, 2; 3, 4], no bias: y = [37, 47; 67, 77], stats, cost', async () => {
    const res = await gql(
      `query($x: JSON!, $w: JSON) { runOperator(name: "conv2d", inputs: { x: $x }, weights: { weight: $w }) {
        operator pytorch outputs { name tensor { ${TENSOR} } }
        cost { params macs flops flopsByConvention { twoMacs macs seed } memoryAccess { inputs outputs weights elements bytes } }
        facts } }`,
      { x: { shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, w: { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] } },
    ).expect(200);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data.runOperator;
    expect(r.operator).toBe('conv2d');
    expect(r.pytorch).toContain('Conv2d');
    expect(r.outputs).toHaveLength(1);
    expect(r.outputs[0].name).toBe('y');
    const y = r.outputs[0].tensor;
    // y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, and each step right adds 1+2+3+4 = 10, each step down 3·10
    expect(y).toMatchObject({ shape: [1, 1, 2, 2], dtype: 'float32', data: [37, 47, 67, 77] });
    expect(floats(y.base64)).toEqual([37, 47, 67, 77]);
    // mean 228/4 = 57; deviations ±10, ±20: variance (400 + 100 + 100 + 400)/4 = 250
    expect(y.stats).toEqual({ min: 37, max: 77, mean: 57, std: expect.closeTo(Math.sqrt(250), 9), nonFinite: 0 });
    // MACs N·Cout·H'·W'·(Cin/g)·Kh·Kw = 1·1·2·2·1·2·2 = 16; seed (2·K·K·Cin/g − 1)·H'·W'·Cout = 7·4 = 28
    expect(r.cost).toEqual({
      params: 4,
      macs: 16,
      flops: 32,
      flopsByConvention: { twoMacs: 32, macs: 16, seed: 28 },
      memoryAccess: { inputs: 9, outputs: 4, weights: 4, elements: 17, bytes: 68 },
    });
    expect(r.facts).toBeNull();
  });

  it('maxPool2d kernel 2 with returnIndices over [1, 4; 3, 2]: y = 4 and y1 = its flat index 1, in that order', async () => {
    const res = await gql('query($x: JSON!) { runOperator(name: "maxPool2d", inputs: [$x], attributes: { kernelSize: 2, returnIndices: true }) { outputs { name tensor { shape data } } } }', {
      x: { shape: [1, 1, 2, 2], data: [1, 4, 3, 2] },
    }).expect(200);
    expect(res.body.data.runOperator.outputs).toEqual([
      { name: 'y', tensor: { shape: [1, 1, 1, 1], data: [4] } },
      { name: 'y1', tensor: { shape: [1, 1, 1, 1], data: [1] } },
    ]);
  });

  it('div [1, 2, 0, 4] / [1, 1, 0, 2]: 0/0 is NaN, null in data and in the mean, counted in nonFinite, kept in base64', async () => {
    const res = await gql(`query($a: JSON!, $b: JSON!) { runOperator(name: "div", inputs: [$a, $b]) { outputs { tensor { ${TENSOR} } } } }`, {
      a: { shape: [1, 4], data: [1, 2, 0, 4] },
      b: { shape: [1, 4], data: [1, 1, 0, 2] },
    }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const t = res.body.data.runOperator.outputs[0].tensor;
    expect(t.data).toEqual([1, 2, null, 2]);
    expect(t.stats).toMatchObject({ mean: null, std: null, nonFinite: 1 });
    const raw = floats(t.base64);
    expect(raw[2]).toBeNaN();
    expect([raw[0], raw[1], raw[3]]).toEqual([1, 2, 2]);
  });

  it('sigmoidLut reports its facts: maxError ≤ max σ′ · step / 2 = 0.25 · (16/255) / 2 ≈ 0.00784 for 256 nearest entries', async () => {
    const res = await gql('query($x: JSON!) { runOperator(name: "sigmoidLut", inputs: [$x]) { facts outputs { tensor { data } } } }', { x: { shape: [1, 1], data: [0] } }).expect(200);
    const { facts, outputs } = res.body.data.runOperator;
    expect(facts.maxError).toBeGreaterThan(0.007);
    expect(facts.maxError).toBeLessThanOrEqual((0.25 * (16 / 255)) / 2 + 1e-6);
    // 0 falls halfway between two of the 256 samples over [−8, 8] (step 16/255): nearest gives σ(±8/255)
    const y = outputs[0].tensor.data[0];
    expect(Math.abs(y - 0.5)).toBeCloseTo(1 / (1 + Math.exp(-8 / 255)) - 0.5, 6);
    expect(Math.abs(y - 0.5)).toBeLessThanOrEqual(facts.maxError);
  });
});

describe('foldBatchNorm: FoldResult', () => {
  it('w = [1, 2], b = [0.5, −1], γ = [2, 3], β = [0.1, 0.2], μ = [0.5, 1], var = [3, 8], ε = 1: σ = [2, 3], w′ = [1, 2], b′ = [0.1, −1.8]', async () => {
    const t = (data: number[], shape = [2]) => ({ shape, data });
    const res = await gql(
      `query($w: JSON!, $b: JSON, $g: JSON!, $be: JSON!, $m: JSON!, $v: JSON!) {
        foldBatchNorm(weight: $w, bias: $b, gamma: $g, beta: $be, runningMean: $m, runningVar: $v, eps: 1) { weight { ${TENSOR} } bias { ${TENSOR} } } }`,
      { w: t([1, 2], [2, 1, 1, 1]), b: t([0.5, -1]), g: t([2, 3]), be: t([0.1, 0.2]), m: t([0.5, 1]), v: t([3, 8]) },
    ).expect(200);
    expect(res.body.errors).toBeUndefined();
    const { weight, bias } = res.body.data.foldBatchNorm;
    // w′ = w·γ/σ = 1·2/2, 2·3/3
    expect(weight).toMatchObject({ shape: [2, 1, 1, 1], dtype: 'float32', data: [1, 2], stats: { min: 1, max: 2, mean: 1.5, std: 0.5, nonFinite: 0 } });
    // b′ = (b − μ)·γ/σ + β = 0·1 + 0.1, (−2)·1 + 0.2
    expect(bias.shape).toEqual([2]);
    expect(bias.data[0]).toBeCloseTo(0.1, 6);
    expect(bias.data[1]).toBeCloseTo(-1.8, 6);
    expect(floats(bias.base64)).toEqual(bias.data);
    // mean (0.1 − 1.8)/2 = −0.85, deviations ±0.95
    expect(bias.stats.min).toBeCloseTo(-1.8, 6);
    expect(bias.stats.max).toBeCloseTo(0.1, 6);
    expect(bias.stats.mean).toBeCloseTo(-0.85, 6);
    expect(bias.stats.std).toBeCloseTo(0.95, 6);
  });

  it('mismatched BN lengths: SHAPE_MISMATCH naming the field, foldBatchNorm null', async () => {
    const t = (data: number[]) => ({ shape: [data.length], data });
    const res = await gql('query($w: JSON!, $g: JSON!) { foldBatchNorm(weight: $w, gamma: $g, beta: $g, runningMean: $g, runningVar: $g) { bias { data } } }', {
      w: { shape: [2, 1, 1, 1], data: [1, 2] },
      g: t([1, 1, 1]),
    }).expect(200);
    expect(res.body.data).toEqual({ foldBatchNorm: null });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.gamma' });
  });
});

describe('run: RunResult', () => {
  // r = relu(x) and "10" = leakyRelu(x, 0.5), both unread, so both are outputs in layer order
  const spec = {
    inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
    layers: [
      { name: 'r', op: 'relu' },
      { name: '10', op: 'leakyRelu', negativeSlope: 0.5, inputs: ['x'] },
    ],
  };
  const x = { shape: [1, 1, 2, 2], data: [-1, 2, -3, 4] };

  it('outputs in graph order (r before "10", though "10" is integer-like), captured in the order asked, with data and stats', async () => {
    const res = await gql(
      `query($s: JSON, $x: JSON!) { run(spec: $s, inputs: { x: $x }, capture: ["10", "r"]) { source { format } outputs { name tensor { ${TENSOR} } } captured { name tensor { data } } } }`,
      { s: spec, x },
    ).expect(200);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data.run;
    expect(r.source).toEqual({ format: 'spec' });
    expect(r.outputs.map((o: { name: string }) => o.name)).toEqual(['r', '10']);
    const [relu, leaky] = r.outputs.map((o: { tensor: unknown }) => o.tensor);
    // relu: [0, 2, 0, 4], mean 1.5, deviations −1.5, 0.5, −1.5, 2.5: variance 11/4
    expect(relu).toMatchObject({ shape: [1, 1, 2, 2], dtype: 'float32', data: [0, 2, 0, 4] });
    expect(relu.stats).toEqual({ min: 0, max: 4, mean: 1.5, std: expect.closeTo(Math.sqrt(11 / 4), 9), nonFinite: 0 });
    // leakyRelu 0.5: [−0.5, 2, −1.5, 4], mean 1, deviations −1.5, 1, −2.5, 3: variance 18.5/4
    expect(leaky.data).toEqual([-0.5, 2, -1.5, 4]);
    expect(leaky.stats).toEqual({ min: -1.5, max: 4, mean: 1, std: expect.closeTo(Math.sqrt(18.5 / 4), 9), nonFinite: 0 });
    expect(floats(leaky.base64)).toEqual([-0.5, 2, -1.5, 4]);
    expect(r.captured).toEqual([
      { name: '10', tensor: { data: [-0.5, 2, -1.5, 4] } },
      { name: 'r', tensor: { data: [0, 2, 0, 4] } },
    ]);
  });

  it('an input named __proto__ given in a variable passed as inputs (a JSON key, not the prototype): relu of [−1, 2] = [0, 2]', async () => {
    const s = { inputs: [{ name: '__proto__', shape: [1, 1, 1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const body = JSON.stringify({ query: 'query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name tensor { data } } } }', variables: { s, i: {} } }).replace('"i":{}', '"i":{"__proto__":{"shape":[1,1,1,2],"data":[-1,2]}}');
    const res = await request(app.server).post('/graphql').set('content-type', 'application/json').send(body).expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.run.outputs).toEqual([{ name: 'r', tensor: { data: [0, 2] } }]);
  });

  it('a built-in model: squeezenet1_1 at 64 answers its one output, flatten [1, 1000]', async () => {
    const data = Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i));
    const res = await gql('query($i: JSON!) { run(model: "squeezenet1_1", resolution: 64, inputs: $i, seed: 3) { source { format model } outputs { name tensor { shape stats { nonFinite } } } } }', {
      i: { shape: [1, 3, 64, 64], data },
    }).expect(200);
    expect(res.body.data.run).toEqual({ source: { format: 'zoo', model: 'squeezenet1_1' }, outputs: [{ name: 'flatten', tensor: { shape: [1, 1000], stats: { nonFinite: 0 } } }] });
  });

  it('the deprecated format argument is still validated: "npz" is INVALID_OPTION naming $.format', async () => {
    const res = await gql('query($s: JSON, $x: JSON!) { run(spec: $s, inputs: { x: $x }, format: "npz") { outputs { name } } }', { s: spec, x }).expect(200);
    expect(res.body.data).toEqual({ run: null });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.format' });
  });

  it('an input of the wrong shape: SHAPE_MISMATCH with both shapes, run null, HTTP 200', async () => {
    const res = await gql('query($s: JSON, $x: JSON!) { run(spec: $s, inputs: { x: $x }) { outputs { name } } }', { s: spec, x: { shape: [1, 1, 1, 4], data: [1, 2, 3, 4] } }).expect(200);
    expect(res.body.data).toEqual({ run: null });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SHAPE_MISMATCH', shapes: { expected: [1, 1, 2, 2], given: [1, 1, 1, 4] } });
  });
});

// found by a hunt: a list was read as an object keyed "0" (the network has no input '0', at $.inputs["0"])
describe('run inputs given as a list', () => {
  const spec = { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
  it('GraphQL run and REST /v1/run: INVALID_TENSOR at $.inputs asking for tensors by name', async () => {
    const res = await gql('query($s: JSON, $i: JSON!) { run(spec: $s, inputs: $i) { outputs { name } } }', { s: spec, i: [{ shape: [1, 2], data: [1, 2] }] }).expect(200);
    expect(res.body.errors[0].extensions).toEqual({ code: 'INVALID_TENSOR', path: '$.inputs' });
    expect(res.body.errors[0].message).toBe('inputs is a list; give an object of tensors by name: { "x": { "shape": […], "data": […] } }');
    const rest = await request(app.server).post('/v1/run').send({ spec, inputs: [{ shape: [1, 2], data: [1, 2] }] }).expect(400);
    expect(rest.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs', message: 'inputs is a list; give an object of tensors by name: { "x": { "shape": […], "data": […] } }' });
  });
});

// found by a hunt: a zoo model's layer errors were at $.layers[33], a field a model request does not have
describe('a zoo model over the run limits', () => {
  it('vgg16 runs no classifier of [4096, 25088] (102,760,448 > MAX_TENSOR_ELEMENTS 67,108,864): 413 at $.model over REST and GraphQL', async () => {
    const x = { shape: [1, 3, 224, 224], dtype: 'float32', base64: Buffer.alloc(150528 * 4).toString('base64') };
    const rest = await request(app.server).post('/v1/run').send({ model: 'vgg16', inputs: { input: x } }).expect(413);
    expect(rest.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.model', layer: 'classifier.0', shapes: { weight: [4096, 25088] } });
    const res = await gql('query($i: JSON!) { run(model: "vgg16", inputs: $i) { outputs { name } } }', { i: { input: x } }).expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.model', layer: 'classifier.0' });
  });
});
