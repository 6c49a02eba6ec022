/**
 * ONNX graphs with FLOAT16 tensors run as float16 (runtime/float16-run.ts): each float16 tensor
 * rounded after the layer that writes it, answered as float16. Goldens from
 * scripts/goldens_float16.py (test/fixtures/float16/): PyTorch 1.13's CPU half kernels where it
 * has them (add, sub, mul, div, pow, sum, Cast), ONNX semantics (torch's float32 kernels node by
 * node, each output rounded to half) where it has none (conv, gemm, pooling, softmax) and for
 * ReduceMean (torch rounds its sum to half before dividing). Compared bit for bit.
 * Before: every tensor stayed float32 (2048 + 1 answered 2049; (x·x).sum 64,672… answered 80,009).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../src/runtime/tasks.js';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { decodeToFloat32 } from '../../src/tensor/dtype.js';
import { halfBits } from '../../src/tensor/float16.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { binary, testApp } from '../http/app.js';

interface Wire {
  shape: number[];
  dtype: 'float16' | 'float32';
  base64: string;
}
interface Case {
  model?: string;
  inputs: Record<string, Wire>;
  outputs: Record<string, Wire>;
  truth: 'torch' | 'onnx';
  torch?: Record<string, Wire>;
  torchDiffers?: number;
}
const dir = new URL('../fixtures/float16/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, Case>;
const model = (name: string) => readFileSync(new URL(`${name}.onnx`, dir));

const decode = (w: Wire): Tensor => {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return tensor(w.shape, decodeToFloat32(w.dtype, Buffer.from(w.base64, 'base64'), n)!);
};
/** Elements whose float16 bits differ (NaN matches NaN). */
const bitsDiffer = (got: Float32Array, want: Float32Array) => {
  let n = 0;
  for (let i = 0; i < got.length; i++) if (!(Number.isNaN(got[i]) && Number.isNaN(want[i])) && halfBits(got[i]) !== halfBits(want[i])) n++;
  return n;
};

function run(name: string, inputs?: Record<string, Tensor>) {
  const c = truth[name];
  const given = inputs ?? Object.fromEntries(Object.entries(c.inputs).map(([k, w]) => [k, decode(w)]));
  return runTask({ source: { kind: 'onnx', bytes: model(c.model ?? name), inputShapes: {} }, inputs: given, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements: 1 << 20 }).outputs;
}

describe('float16 ONNX graphs run as float16, bit for bit', () => {
  it.each(['add', 'arith', 'arith_small_exponents', 'sums', 'cast', 'mean', 'convnet'])('%s: every output equals its golden bit for bit, typed as the graph types it', (name) => {
    const c = truth[name];
    const outputs = run(name);
    // the graph's outputs are the golden's, at least one (the loop below held on none)
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(c.outputs).sort());
    expect(Object.keys(outputs).length).toBeGreaterThan(0);
    for (const [k, w] of Object.entries(c.outputs)) {
      const got = outputs[k];
      expect(got.shape).toEqual(w.shape);
      expect(got.dtype ?? 'float32').toBe(w.dtype);
      expect(bitsDiffer(got.data, decode(w).data)).toBe(0);
    }
  });

  it("add: the hunt's case, 2048 + 1 = 2048 (2049 is a tie; it answered 2049), 2050 + 1 = 2052, 65504 + 1 = 65504, −65504 + 1 = −65504, 2^−24 + 1 = 1, 0.0999755859375 + 1 = 1.099609375", () => {
    expect(Array.from(run('add').y.data)).toEqual([2048, 2052, 65504, -65504, 1, 2, 1.099609375, 1025]);
  });

  it('sums: (x·x).sum(1) overflows to ∞ where its float32 value (~80,000) passes 65504, as PyTorch; it answered the float32 sum', () => {
    const got = run('sums').sumsq;
    const float32 = decode((truth.sums as Case & { float32: Record<string, Wire> }).float32.sumsq).data;
    expect([got.data[1], got.data[2]]).toEqual([Infinity, Infinity]);
    expect(float32[1]).toBeGreaterThan(65520);
    expect(float32[1]).toBeLessThan(3.4e38);
  });

  it("mean: ONNX's ReduceMean rounded once; PyTorch's half mean rounds its sum first and differs in 25 of 64 (its row of ~500s is ∞ there: the sum passes 65504)", () => {
    const got = run('mean').y;
    const torchMean = decode(truth.mean.torch!.y).data;
    expect(truth.mean.torchDiffers).toBe(25);
    expect(bitsDiffer(got.data, torchMean)).toBe(25);
    expect(Array.from(torchMean.subarray(48))).toEqual(new Array(16).fill(Infinity));
    expect(got.data.subarray(48).every((v) => v > 490 && v < 510)).toBe(true);
  });

  it('a float32 value given for a FLOAT16 input is rounded to float16 first (2049 → 2048; the caller\'s array is left as it was)', () => {
    const given = [2049, 0.1, 65520, 1e-8, 3e-8, 2051, -0.3, 7];
    const a = tensor([8], Float32Array.from(given));
    const y = run('add', { a, b: tensor([1], Float32Array.of(0)) }).y;
    expect(Array.from(y.data)).toEqual([2048, 0.0999755859375, Infinity, 0, 2 ** -24, 2052, -0.300048828125, 7]);
    expect(Array.from(a.data)).toEqual(given.map(Math.fround));
  });

  it('the answer as .npy is <f2 (encodeNpy): the float16 bytes PyTorch gives', () => {
    const y = run('add').y;
    const npy = encodeNpy(y);
    expect(npy.toString('latin1', 10, 60)).toContain("'descr': '<f2'");
    const back = decodeNpy(npy, 'y', 1 << 20);
    expect(bitsDiffer(back.data, decode(truth.add.outputs.y).data)).toBe(0);
    expect(Buffer.from(npy.subarray(npy.length - 16)).toString('base64')).toBe(truth.add.outputs.y.base64);
  });
});

describe('POST /v1/run of a float16 graph with .npy parts', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it("answers 2048 for the hunt's a + b (it answered 2049), and (x·x).sum's overflow as ∞", async () => {
    const npy = (w: Wire) => encodeNpy({ ...decode(w), dtype: 'float16' });
    const add = await request(app.server).post('/v1/run').set('accept', 'application/x-npy').attach('model', model('add'), 'add.onnx').attach('a', npy(truth.add.inputs.a), 'a.npy').attach('b', npy(truth.add.inputs.b), 'b.npy').buffer(true).parse(binary).expect(200);
    expect(decodeNpy(add.body as Buffer, 'y', 1 << 20).data[0]).toBe(2048);
    // the .npy answer is float16, as NumPy writes it (it said <f4)
    expect((add.body as Buffer).toString('latin1', 10, 60)).toContain("'descr': '<f2'");
    expect(Buffer.from((add.body as Buffer).subarray((add.body as Buffer).length - 16)).toString('base64')).toBe(truth.add.outputs.y.base64);
    const sums = await request(app.server).post('/v1/run').attach('model', model('sums'), 'sums.onnx').attach('x', npy(truth.sums.inputs.x), 'x.npy').field('request', JSON.stringify({ format: 'flat' })).expect(200);
    const sumsq = sums.body.outputs.find((o: { name: string }) => o.name === 'sumsq');
    expect(sumsq.data.slice(0, 3)).toEqual([64672, null, null]);
  });

  it('base64 answers name float16 and carry 2 bytes an element, over REST (streamed JSON) and GraphQL (they said float32, 4 bytes)', async () => {
    const onnxBase64 = model('add').toString('base64');
    const inputs = { a: { shape: truth.add.inputs.a.shape, data: Array.from(decode(truth.add.inputs.a).data) }, b: { shape: truth.add.inputs.b.shape, data: Array.from(decode(truth.add.inputs.b).data) } };
    const rest = await request(app.server).post("/v1/run").send({ onnxBase64, inputs, format: "base64" });
    expect(rest.status, rest.text).toBe(200);
    const y = rest.body.outputs.find((o: { name: string }) => o.name === 'y');
    expect(y.dtype).toBe('float16');
    expect(y.base64).toBe(truth.add.outputs.y.base64);
    const query = 'query($m: String!, $i: JSON!) { run(onnxBase64: $m, inputs: $i) { outputs { name tensor { dtype base64 } } } }';
    const gql = await request(app.server).post('/graphql').send({ query, variables: { m: onnxBase64, i: inputs } });
    expect(gql.body.errors, JSON.stringify(gql.body.errors)).toBeUndefined();
    expect(gql.body.data.run.outputs.find((o: { name: string }) => o.name === 'y')).toEqual({ name: 'y', tensor: { dtype: 'float16', base64: truth.add.outputs.y.base64 } });
  });
});
