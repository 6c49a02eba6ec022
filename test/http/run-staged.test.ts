/**
 * POST /v1/run (and GraphQL run) through a data-dependent size: NonMaxSuppression keeps 3 of its
 * bound of 6 boxes, then Gather/Mul read the kept rows. The run goes in stages (runtime/run-staged.ts)
 * instead of being refused; the values are worked by hand (boxes 0, 2 and 4, doubled).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

// three pairs of boxes ([y1, x1, y2, x2]), each pair overlapping by IoU ≥ 0.9: NMS at 0.5 keeps 0, 2, 4
const BOXES = [0, 0, 10, 10, 0, 0, 10, 9.5, 20, 20, 30, 30, 20, 20, 30, 29.5, 40, 40, 50, 50, 40, 41, 50, 50];
const SCORES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
const onnx = Buffer.from(
  onnxModel({
    inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 1, 6] }],
    outputs: ['kept'],
    initializers: [
      { name: 'max', dims: [1], data: [6], type: 'int64' },
      { name: 'iou', dims: [1], data: [0.5] },
      { name: 'col', dims: [], data: [2], type: 'int64' },
      { name: 'rows', dims: [2], data: [6, 4], type: 'int64' },
      { name: 'two', dims: [1], data: [2] },
    ],
    nodes: [
      { op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max', 'iou'], outputs: ['sel'], name: 'nms' },
      { op: 'Gather', inputs: ['sel', 'col'], outputs: ['idx'], name: 'pick', attrs: { axis: { i: 1 } } },
      { op: 'Reshape', inputs: ['boxes', 'rows'], outputs: ['b2'], name: 'flat' },
      { op: 'Gather', inputs: ['b2', 'idx'], outputs: ['g'], name: 'gather', attrs: { axis: { i: 0 } } },
      { op: 'Mul', inputs: ['g', 'two'], outputs: ['kept'], name: 'scale' },
    ],
  }),
).toString('base64');
const inputs = { boxes: { shape: [1, 6, 4], data: BOXES }, scores: { shape: [1, 1, 6], data: SCORES } };
const KEPT = [0, 0, 20, 20, 40, 40, 60, 60, 80, 80, 100, 100];

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

describe('POST /v1/run through NonMaxSuppression with a capture', () => {
  it('runs unstaged as before (a stage would lose the capture): the NMS output is planned for 6 rows and got 3, so 400 naming the layer', async () => {
    const res = await request(app.server).post('/v1/run').send({ onnxBase64: onnx, inputs, capture: ['nms'] }).expect(400);
    expect(res.body.error.message).toMatch(/layer 'nms' wrote 'sel' as \[3, 3\]/);
  });
});
