/**
 * POST /v1/run and GraphQL run take `fuse` (RunOptions.fuse): false runs every layer with its own
 * kernel. The values are the same within float rounding either way; the bits differ (a batch
 * norm folded into the conv's weights rounds differently from one applied after it), which shows
 * the switch reaches the executor.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../src/tensor/random.js';
import { scaledError } from '../helpers.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ MAX_TENSOR_ELEMENTS: String(1 << 22) });
});
afterAll(async () => app.close());

const random = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + r() * (hi - lo));
};

// conv 3→8 (3×3) → BN with its own statistics → ReLU: one fusion group (BN folded, ReLU in place)
const spec = {
  inputs: [{ name: 'x', shape: [1, 3, 12, 12] }],
  layers: [
    { name: 'c', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
    { name: 'bn', op: 'batchNorm2d' },
    { name: 'r', op: 'relu' },
  ],
};
const weights = {
  'bn.weight': { shape: [8], data: random(8, 2, 0.5, 2) },
  'bn.bias': { shape: [8], data: random(8, 3) },
  'bn.runningMean': { shape: [8], data: random(8, 4) },
  'bn.runningVar': { shape: [8], data: random(8, 5, 0.1, 3) },
};
const body = (fuse?: boolean) => ({ spec, inputs: { x: { shape: [1, 3, 12, 12], data: random(432, 1) } }, weights, seed: 7, format: 'flat', ...(fuse !== undefined && { fuse }) });

describe('POST /v1/run fuse', () => {
  it('conv→BN→ReLU with fuse true, false and absent (default true): the same values within 1e-6 of scale, fused and unfused bits differ', async () => {
    const on = (await request(app.server).post('/v1/run').send(body(true)).expect(200)).body.outputs[0].data as number[];
    const off = (await request(app.server).post('/v1/run').send(body(false)).expect(200)).body.outputs[0].data as number[];
    const byDefault = (await request(app.server).post('/v1/run').send(body()).expect(200)).body.outputs[0].data as number[];
    expect(on).toHaveLength(8 * 12 * 12);
    expect(scaledError(Float32Array.from(on), off)).toBeLessThanOrEqual(1e-6);
    expect(on).not.toEqual(off);
    expect(byDefault).toEqual(on);
  });

  it('a ResNet-18 ONNX file (width 16) with fuse false equals the fused run within 1e-5 and PyTorch within 1e-4', async () => {
    const golden = JSON.parse(readFileSync(new URL('../fixtures/networks/resnet18_w16.json', import.meta.url), 'utf8'));
    const onnx = readFileSync(new URL('../fixtures/networks/resnet18_w16.onnx', import.meta.url));
    const run = async (fuse: boolean) =>
      Float32Array.from(
        (await request(app.server).post('/v1/run').attach('model', onnx, 'net.onnx').field('request', JSON.stringify({ inputs: { input: golden.input }, format: 'flat', fuse })).expect(200)).body
          .outputs[0].data,
      );
    const [on, off] = [await run(true), await run(false)];
    expect(scaledError(off, on)).toBeLessThanOrEqual(1e-5);
    expect(scaledError(off, golden.output.data)).toBeLessThanOrEqual(1e-4);
  });

  it('fuse must be a boolean: 400 naming $.fuse', async () => {
    const res = await request(app.server).post('/v1/run').send({ ...body(), fuse: 'no' }).expect(400);
    expect([res.body.error.code, res.body.error.path]).toEqual(['INVALID_OPTION', '$.fuse']);
  });

  it('GraphQL run(fuse: false) gives the unfused bits, fuse: true the fused ones', async () => {
    const q = 'query($s: JSON, $x: JSON!, $w: JSON, $f: Boolean) { run(spec: $s, inputs: { x: $x }, weights: $w, seed: 7, fuse: $f) { outputs { tensor { data } } } }';
    const gql = async (fuse: boolean) => {
      const res = await request(app.server).post('/graphql').send({ query: q, variables: { s: spec, x: body().inputs.x, w: weights, f: fuse } }).expect(200);
      expect(res.body.errors).toBeUndefined();
      return (res.body.data.run.outputs[0].tensor.data as number[][][][]).flat(3);
    };
    const rest = async (fuse: boolean) => (await request(app.server).post('/v1/run').send(body(fuse)).expect(200)).body.outputs[0].data as number[];
    expect(await gql(false)).toEqual(await rest(false));
    expect(await gql(true)).toEqual(await rest(true));
  });
});
