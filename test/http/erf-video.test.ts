/**
 * POST /v1/erf on video networks (a clip [N, C, T, H, W] as the input; each was 400 INVALID_OPTION,
 * an image input needed): a zoo model at a tiny resolution, an ONNX file sized by inputShape, the
 * position's length against the map, and stages with their temporal stride. The numbers against
 * PyTorch are test/runtime/erf-video.test.ts's and erf-mvit.test.ts's.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErfResponse } from '../../src/http/openapi-erf.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

/** Two 3×3 convs over a 1×1×7×7 image: b is [1, 1, 3, 3]. */
const twoConvs = {
  spec: {
    inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
    layers: [
      { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
      { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
    ],
  },
};

describe('POST /v1/erf: a video network (its input a clip [N, C, T, H, W]; it was 400 INVALID_OPTION, an image input needed)', () => {
  it('r3d_18 at 16×16×16, one random clip: the gradient [1, 3, 16, 16, 16], the map [1, 1, 16, 16], the final map layer4.1.relu [1, 512, 2, 1, 1] at [1, 0, 0] seeing frames 0–15 through a field of 109 frames', async () => {
    const res = await request(app.server).post('/v1/erf').send({ model: 'r3d_18', resolution: 16, samples: 1, stages: false, heatmap: false, format: 'base64' }).expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ layer: 'layer4.1.relu', shape: [1, 512, 2, 1, 1], unit: { position: [1, 0, 0] }, input: { name: 'input', mode: 'random', samples: 1 } });
    expect(res.body.gradient.shape).toEqual([1, 3, 16, 16, 16]);
    expect(res.body.magnitude.shape).toEqual([1, 1, 16, 16]);
    // T: stem k3 p1 (r 3, p 1), layer1's four k3 p1 (r 11, p 5), then per layer a stride-2 k3 and three k3 at the new stride:
    // layer2 r 13 + 3·4 = 25, j 2, p 6 + 6 = 12; layer3 r 29 + 24 = 53, j 4, p 26; layer4 r 61 + 48 = 109, j 8, p 30 + 24 = 54.
    // Unit t = 1: 8 − 54 = −46 … 62, the whole clip. H, W: stem k7 s2 p3, the same blocks: r 219, j 16
    expect(res.body.temporal.theoretical).toEqual({ global: false, size: 109, from: 0, to: 15 });
    expect(res.body.temporal.frames).toHaveLength(16);
    expect(res.body.temporal.frames.reduce((a: number, b: number) => a + b)).toBeCloseTo(1, 6);
    expect(res.body.statistics.theoretical.size).toEqual([219, 219]);
  }, 60_000);

  /** conv3d k3 p1 then k3 stride 2 p1 over a clip [1, 1, 8, 8, 8]: b is [1, 2, 4, 4, 4]. */
  const clipNet = {
    spec: {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv3d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv3d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
      ],
    },
    samples: 1,
  };

  it.each([
    ['[row, column] on a clip map', [1, 1], "position has 2 entries; 'b' [1, 2, 4, 4, 4] is a clip's map: give [t, row, column]"],
    ['four entries', [1, 1, 1, 1], "position has 4 entries; 'b' [1, 2, 4, 4, 4] is a clip's map: give [t, row, column]"],
  ])('position %s: 400 INVALID_OPTION at $.position naming the map', async (_, position, message) => {
    const res = await request(app.server).post('/v1/erf').send({ ...clipNet, position }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.position', message });
  });

  it('[t, row, column] on a 4-D map is 400 at $.position too; a frame past the clip map at $.position[0]', async () => {
    const flat = await request(app.server).post('/v1/erf').send({ ...twoConvs, input: 'random', position: [0, 1, 1] }).expect(400);
    expect(flat.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.position', message: "position has 3 entries; 'b' [1, 1, 3, 3] is a map: give [row, column]" });
    const late = await request(app.server).post('/v1/erf').send({ ...clipNet, position: [4, 0, 0] }).expect(400);
    expect(late.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.position[0]' });
  });

  it('an ONNX Conv over a clip x [1, 1, t, h, w] with dynamic dims, sized by inputShape [1, 1, 6, 8, 8] (it was refused: inputShape is [N, C, H, W]); a 6-entry inputShape is 400 at $.inputShape', async () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 't', 'h', 'w'] }],
      outputs: ['y'],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'c', attrs: { kernel_shape: { ints: [3, 3, 3] }, strides: { ints: [2, 1, 1] } } }],
      initializers: [{ name: 'w', dims: [2, 1, 3, 3, 3] }],
    });
    const onnxBase64 = Buffer.from(bytes).toString('base64');
    const res = await request(app.server).post('/v1/erf').send({ onnxBase64, inputShape: [1, 1, 6, 8, 8], weightInit: 'seed', samples: 1, stages: false, heatmap: false }).expect(200);
    // y [1, 2, 2, 6, 6], centre [1, 3, 3]: T r 3, j 2, p 0 → frames 2…4
    expect(res.body).toMatchObject({ shape: [1, 2, 2, 6, 6], unit: { position: [1, 3, 3] }, temporal: { theoretical: { global: false, size: 3, from: 2, to: 4 } } });
    expect(res.body.temporal.frames.map((f: number) => f > 0)).toEqual([false, false, true, true, true, false]);
    const six = await request(app.server).post('/v1/erf').send({ onnxBase64, inputShape: [1, 1, 1, 6, 8, 8], samples: 1 }).expect(400);
    expect(six.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.inputShape' });
  });

  it('stages over a clip: by stride over rows and columns, each with its temporalStride; an image answer has neither temporal nor temporalStride', async () => {
    const res = await request(app.server).post('/v1/erf').send({ ...clipNet, heatmap: false }).expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body.stages.map((s: { layer: string; stride: number[]; temporalStride: number }) => [s.layer, s.stride, s.temporalStride])).toEqual([
      ['a', [1, 1], 1],
      ['b', [2, 2], 2],
    ]);
    // b's centre [2, 2, 2]: T r 5, j 2, p 2 → frames 2…6
    expect(res.body.temporal.theoretical).toEqual({ global: false, size: 5, from: 2, to: 6 });
    const image = await request(app.server).post('/v1/erf').send({ ...twoConvs, input: 'random', samples: 1, heatmap: false }).expect(200);
    expect(Object.keys(image.body)).not.toContain('temporal');
    expect(Object.keys(image.body.stages[0])).toEqual(['layer', 'stride', 'shape', 'statistics']);
  });
});
