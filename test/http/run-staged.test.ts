/**
 * POST /v1/run (and GraphQL run) through a data-dependent size: NonMaxSuppression keeps 3 of its
 * bound of 6 boxes, then Gather/Mul read the kept rows. The run goes in stages (runtime/run-staged.ts)
 * instead of being refused; the values are worked by hand (boxes 0, 2 and 4, doubled).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOXES, KEPT, SCORES, nmsModel } from '../runtime/nms-model.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const onnx = Buffer.from(nmsModel()).toString('base64');
const inputs = { boxes: { shape: [1, 6, 4], data: BOXES }, scores: { shape: [1, 1, 6], data: SCORES } };

describe('POST /v1/run through NonMaxSuppression (3 of 6 boxes kept)', () => {
  it('runs in stages: the kept boxes 0, 2, 4 doubled, shape [3, 4]; twice (the second from the model cache)', async () => {
    for (let k = 0; k < 2; k++) {
      const res = await request(app.server).post('/v1/run').send({ onnxBase64: onnx, inputs, format: 'flat' }).expect(200);
      expect(res.body.outputs).toMatchObject([{ name: 'kept', shape: [3, 4], data: KEPT }]);
    }
  });

  it('GraphQL run gives the same', async () => {
    const res = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($o: String, $i: JSON!) { run(onnxBase64: $o, inputs: $i) { outputs { name tensor { shape data } } } }', variables: { o: onnx, i: inputs } })
      .expect(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.run.outputs[0]).toEqual({ name: 'kept', tensor: { shape: [3, 4], data: KEPT } });
  });
});

describe('POST /v1/run through NonMaxSuppression with captures', () => {
  it("capture ['nms', 'gather']: staged, NMS's selection at its real [3, 3] (batch 0, class 0, boxes 0, 2, 4) and the kept rows before doubling, in the order asked", async () => {
    const res = await request(app.server).post('/v1/run').send({ onnxBase64: onnx, inputs, capture: ['nms', 'gather'], format: 'flat' }).expect(200);
    expect(res.body.outputs).toMatchObject([{ name: 'kept', shape: [3, 4], data: KEPT }]);
    expect(res.body.captured).toMatchObject([
      { name: 'nms', shape: [3, 3], data: [0, 0, 0, 0, 0, 2, 0, 0, 4] },
      { name: 'gather', shape: [3, 4], data: KEPT.map((v) => v / 2) },
    ]);
  });
});
