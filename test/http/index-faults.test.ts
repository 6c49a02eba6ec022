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
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

const RUN = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

const call = (name: string, body: object) => request(app.server).post(`/v1/operators/${name}`).send(body);

describe('an index out of range is 400 at the indices, naming the element', () => {
  it.each([
    ['gatherElements', 'dim 1, indices [[0, 5], [1, 0]] into [2, 2]', 'INVALID_TENSOR', { inputs: [{ shape: [2, 2], data: [1, 2, 3, 4] }, { shape: [2, 2], data: [0, 5, 1, 0] }], attributes: { dim: 1 } }, "indices[0, 1] = 5 is out of range for axis 1 of data [2, 2] (valid: integers -2…1)"],
    ['gather', 'indices [7] into [3] (a rank-1 value: folded, so refused at analysis)', 'INVALID_ATTRIBUTE', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [1], data: [7] }] }, 'indices[0] = 7 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['gather', 'scalar indices 7 into [3]', 'INVALID_ATTRIBUTE', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [], data: 7 }] }, 'indices = 7 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['gatherND', 'indices [[1], [-4]] into [3]', 'INVALID_TENSOR', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2, 1], data: [1, -4] }] }, 'indices[1, 0] = -4 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['scatterElements', 'indices [0, 3] into [3] (folded at analysis)', 'INVALID_ATTRIBUTE', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2], data: [0, 3] }, { shape: [2], data: [9, 9] }] }, 'indices[1] = 3 is out of range for axis 0 of data [3] (valid: integers -3…2)'],
    ['scatterND', 'indices [[0], [1.5]] into [3]', 'INVALID_TENSOR', { inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [2, 1], data: [0, 1.5] }, { shape: [2], data: [9, 9] }] }, 'indices[1, 0] = 1.5 is not an integer for axis 0 of data [3] (valid: integers -3…2)'],
  ])('%s, %s: 400 %s at $.inputs[1]', async (op, _case, code, body, message) => {
    const res = await call(op, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ code, path: '$.inputs[1]', layer: op, message: `layer '${op}': ${message}` });
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

  it("an ONNX Gather 'g' after a Relu, its indices [0, 7] a graph input: 400 INVALID_TENSOR at the node's input[1] ($.graph.node[1].input[1]: ONNX's field is input), with its opType as analysis errors have it", () => {
    const bytes = onnxModel({
      inputs: [
        { name: 'x', shape: [3] },
        { name: 'i', shape: [2] },
      ],
      outputs: ['y'],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Gather', inputs: ['r', 'i'], outputs: ['y'], name: 'g' },
      ],
    });
    const e = errorOf(() => runGraph(importOnnx(bytes).graph, { x: tensor([3], [1, 2, 3]), i: tensor([2], [0, 7]) }, RUN));
    expect(e).toMatchObject({ code: 'INVALID_TENSOR', message: "layer 'g': indices[1] = 7 is out of range for axis 0 of data [3] (valid: integers -3…2)" });
    expect(e.details).toMatchObject({ path: '$.graph.node[1].input[1]', layer: 'g', opType: 'Gather' });
  });

  it("an ONNX Gather whose indices [0, 7] are an initializer: 400 INVALID_ATTRIBUTE at analysis, at $.graph.node[0].input[1]", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [3] }],
      outputs: ['y'],
      nodes: [{ op: 'Gather', inputs: ['x', 'i'], outputs: ['y'], name: 'g' }],
      initializers: [{ name: 'i', dims: [2], data: [0, 7], type: 'int64' }],
    });
    const e = errorOf(() => analyzeGraph(importOnnx(bytes).graph, DEFAULTS));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE' });
    expect(e.details).toMatchObject({ path: '$.graph.node[0].input[1]', layer: 'g' });
  });
});
