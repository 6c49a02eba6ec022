/** POST /v1/run of a JSON spec whose input is one unbatched image [C, H, W] into convolutions (src/ops/unbatched.ts), as nn.Conv2d takes it. */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../src/tensor/random.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const values = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};
const layers = [
  { name: 'c1', op: 'conv2d', outChannels: 6, kernelSize: 3, padding: 1 },
  { name: 'r1', op: 'relu' },
  { name: 'c2', op: 'conv2d', outChannels: 6, kernelSize: 3, padding: 1 },
  { name: 'pool', op: 'maxPool2d', kernelSize: 2 },
];
const x = values(4 * 8 * 8, 1);
const weights = {
  'c1.weight': { shape: [6, 4, 3, 3], data: values(216, 2) },
  'c1.bias': { shape: [6], data: values(6, 3) },
  'c2.weight': { shape: [6, 6, 3, 3], data: values(324, 4) },
  'c2.bias': { shape: [6], data: values(6, 5) },
};
const runOf = (shape: number[]) =>
  request(app.server)
    .post('/v1/run')
    .send({ spec: { inputs: [{ name: 'x', shape }], layers }, inputs: { x: { shape, data: x } }, weights });

describe('POST /v1/run: conv2d on an unbatched [C, H, W] input', () => {
  it('[4, 8, 8] → conv2d → ReLU → conv2d → maxPool2d: 200, output [6, 4, 4] equal element for element to the run of [1, 4, 8, 8] (it was 400 RANK_MISMATCH "input 0 must have 4 dimensions")', async () => {
    const single = await runOf([4, 8, 8]).expect(200);
    const batch = await runOf([1, 4, 8, 8]).expect(200);
    expect(single.body.outputs[0].shape).toEqual([6, 4, 4]);
    expect(batch.body.outputs[0].shape).toEqual([1, 6, 4, 4]);
    expect(single.body.outputs[0].data).toEqual(batch.body.outputs[0].data);
  });

  it("[8, 8] is 400 RANK_MISMATCH at the layer's inputs naming both layouts", async () => {
    const spec = { inputs: [{ name: 'x', shape: [8, 8] }], layers: [layers[0]] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [8, 8], data: x.slice(0, 64) } } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'RANK_MISMATCH', path: expect.stringMatching(/layers\[0\]\.inputs$/) });
    expect(res.body.error.message).toContain('4 dimensions (N, C, H, W) or 3 unbatched (C, H, W)');
  });
});
