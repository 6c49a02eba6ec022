/**
 * POST /v1/erf on one unbatched image [C, H, W] that the network's 2-D pools read so (PyTorch's
 * nn.MaxPool2d on a 3-D tensor): measured as its batch of one, the gradient in the input's own shape
 * (runtime/erf-input.ts batchedView; test/runtime/erf-unbatched.test.ts). Before: 400 INVALID_OPTION.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErfResponse } from '../../src/http/openapi-erf.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const spec = (shape: number[]) => ({ inputs: [{ name: 'x', shape }], layers: [{ name: 'pool', op: 'maxPool2d', kernelSize: 2 }] });
// channel 0: 0 … 15 row-major, channel 1: 15 … 0; unit (1, 1) pools rows and columns 2–3: argmax (3, 3) in channel 0, (2, 2) in channel 1
const data = [...Array.from({ length: 16 }, (_, k) => k), ...Array.from({ length: 16 }, (_, k) => 15 - k)];

describe('POST /v1/erf: maxPool2d 2 on an unbatched image x [2, 4, 4], the input given', () => {
  it('200: the unit (1, 1) of pool [2, 2, 2], its 2 channels; the gradient [2, 4, 4], a 1 at each channel\'s argmax; as the batch of one [1, 2, 4, 4] answers but the shapes (was 400 INVALID_OPTION)', async () => {
    const post = (shape: number[]) =>
      request(app.server)
        .post('/v1/erf')
        .send({ spec: spec(shape), inputs: { x: { shape, data } }, format: 'flat', stages: false, heatmap: false })
        .expect(200);
    const res = await post([2, 4, 4]);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    // the map's shape as the network has it (was [1, 2, 2, 2], its batched view)
    expect(res.body).toMatchObject({ layer: 'pool', shape: [2, 2, 2], unit: { channelCount: 2 } });
    expect(res.body).toMatchObject({ layer: 'pool', unit: { position: [1, 1] }, input: { name: 'x', mode: 'given', samples: 1 } });
    expect(res.body.gradient.shape).toEqual([2, 4, 4]);
    expect((res.body.gradient.data as number[]).flatMap((v, k) => (v !== 0 ? [k] : []))).toEqual([15, 26]);
    const batched = (await post([1, 2, 4, 4])).body;
    expect(batched.gradient.shape).toEqual([1, 2, 4, 4]);
    expect(batched.shape).toEqual([1, 2, 2, 2]);
    const { gradient: g, shape: _s, ...rest } = res.body;
    const { gradient: gb, shape: _sb, ...restBatched } = batched;
    expect(g.data).toEqual(gb.data);
    expect(rest).toEqual(restBatched);
  });

  it("200: stages answered in the network's shapes, channels at dim 0: maxPool2d 2 then avgPool2d 2 on x [3, 8, 4] (pool [3, 4, 2], unit of pool2 [3, 2, 1]; was [1, 3, …], and 4 channels read at dim 1 of [3, 4, 2])", async () => {
    const two = { inputs: [{ name: 'x', shape: [3, 8, 4] }], layers: [{ name: 'pool', op: 'maxPool2d', kernelSize: 2 }, { name: 'pool2', op: 'avgPool2d', kernelSize: 2 }] };
    const res = await request(app.server).post('/v1/erf').send({ spec: two, input: 'random', samples: 1, layer: 'pool', stages: false, heatmap: false, format: 'flat' }).expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ layer: 'pool', shape: [3, 4, 2], unit: { channels: null, channelCount: 3, position: [2, 1] } });
    const staged = await request(app.server).post('/v1/erf').send({ spec: two, input: 'random', samples: 1, stages: true, heatmap: false, format: 'flat' }).expect(200);
    expect(staged.body).toMatchObject({ layer: 'pool2', shape: [3, 2, 1], unit: { channelCount: 3 } });
    expect(staged.body.stages.map((s: { layer: string; shape: number[] }) => [s.layer, s.shape])).toEqual([
      ['pool', [3, 4, 2]],
      ['pool2', [3, 2, 1]],
    ]);
  });
});
