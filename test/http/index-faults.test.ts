/**
 * Indices out of range over POST /v1/operators and in a spec's run: 400 at the indices tensor
 * (`$.inputs[1]` of the call, `$.layers[i].inputs[1]` of a network), the element named by its
 * coordinates and value, the axis, the data's shape and the valid range, with the layer named once.
 * They pointed at `$`, said "layer 'gatherND': gatherND: index 7" and, for scatterElements,
 * "gatherElements index 7". The ranges are PyTorch's and ONNX's: [−dim, dim − 1].
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

const call = (name: string, body: object) => request(app.server).post(`/v1/operators/${name}`).send(body);

describe('an index out of range is 400 at the indices, naming the element', () => {
  it.each([
    ['gatherElements', 'dim 1, indices [[0, 5], [1, 0]] into [2, 2]', { inputs: [{ shape: [2, 2], data: [1, 2, 3, 4] }, { shape: [2, 2], data: [0, 5, 1, 0] }], attributes: { dim: 1 } }, "indices[0, 1] = 5 is out of range for axis 1 of data [2, 2] (valid: integers -2…1)"],
    ['gather', 'indices [7] into [3]', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [1], data: [7] }] }, 'indices[0] = 7 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['gatherND', 'indices [[1], [-4]] into [3]', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2, 1], data: [1, -4] }] }, 'indices[1, 0] = -4 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['scatterElements', 'indices [0, 3] into [3]', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2], data: [0, 3] }, { shape: [2], data: [9, 9] }] }, 'indices[1] = 3 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['scatterND', 'indices [[0], [1.5]] into [3]', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2, 1], data: [0, 1.5] }, { shape: [2], data: [9, 9] }] }, 'indices[1, 0] = 1.5 is not an integer for axis 0 of data [3] (valid: integers -3…2)'],
  ])('%s, %s: 400 at $.inputs[1]', async (op, _case, body, message) => {
    const res = await call(op, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ path: '$.inputs[1]', layer: op, message: `layer '${op}': ${message}` });
    expect(['INVALID_TENSOR', 'INVALID_ATTRIBUTE']).toContain(res.body.error.code);
  });

  it("a spec's gatherND layer 'pick' run on indices [[2], [3]] into x [3]: 400 INVALID_TENSOR at $.spec.layers[0].inputs[1]", async () => {
    const spec = {
      inputs: [
        { name: 'x', shape: [3] },
        { name: 'i', shape: [2, 1] },
      ],
      layers: [{ name: 'pick', op: 'gatherND', inputs: ['x', 'i'] }],
    };
    const res = await request(app.server)
      .post('/v1/run')
      .send({ spec, inputs: { x: { shape: [3], data: [1, 2, 3] }, i: { shape: [2, 1], data: [2, 3] } } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'INVALID_TENSOR',
      path: '$.spec.layers[0].inputs[1]',
      layer: 'pick',
      message: "layer 'pick': indices[1, 0] = 3 is out of range for axis 0 of data [3] (valid: integers -3…2)",
    });
  });
});
