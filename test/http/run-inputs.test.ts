/**
 * A run's inputs and weights by the names PyTorch gives them, and the answer's media type by Accept's
 * q-values. Found by a black-box hunt of the run surfaces: a .npy part named `input.1` (torch.onnx.export's
 * name for an unnamed input) was skipped for its dot ("give the input tensor(s)"); weights named as
 * a PyTorch state_dict names them (`bn1.running_mean`, an ONNX file's initializer `c1.weight`) were
 * refused; an ONNX run's unknown input name was INVALID_OPTION "inputShapes names 'X'" (a field the
 * request did not have); `Accept: application/json, application/x-npy;q=0.5` answered a .npy request in .npy.
 * PyTorch's values: scripts/state_dict_goldens.py.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { binary, testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const npy = (shape: number[], data: number[]) => encodeNpy(tensor(shape, data));
const flat = (res: request.Response, i = 0) => res.body.outputs[i].data as number[];

/** y = op(a, b) on two [1, 2] inputs named as torch.onnx.export names them. */
const twoInputs = (op: string) =>
  Buffer.from(
    onnxModel({
      inputs: [
        { name: 'input.1', shape: [1, 2] },
        { name: 'input', shape: [1, 2] },
      ],
      outputs: ['y'],
      nodes: [{ op, name: `/${op}`, inputs: ['input.1', 'input'], outputs: ['y'] }],
    }),
  );
/** relu of one [1, 2] input. */
const oneInput = (name: string) => Buffer.from(onnxModel({ inputs: [{ name, shape: [1, 2] }], outputs: ['y'], nodes: [{ op: 'Relu', name: '/Relu', inputs: [name], outputs: ['y'] }] }));

describe('.npy parts are inputs by their name, dots and all', () => {
  it('input.1 (torch.onnx.export without input_names): relu([−1, 2]) = [0, 2] (it was 400 "give the input tensor(s)")', async () => {
    const res = await request(app.server).post('/v1/run').attach('model', oneInput('input.1'), 'net.onnx').attach('input.1', npy([1, 2], [-1, 2]), 'x.npy').field('request', '{"format":"flat"}').expect(200);
    expect(flat(res)).toEqual([0, 2]);
  });

  it('two inputs input.1 and input: [5, 7] − [1, 2] = [4, 5], each part to its input', async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .attach('model', twoInputs('Sub'), 'net.onnx')
      .attach('input', npy([1, 2], [1, 2]), 'b.npy')
      .attach('input.1', npy([1, 2], [5, 7]), 'a.npy')
      .field('request', '{"format":"flat"}')
      .expect(200);
    expect(flat(res)).toEqual([4, 5]);
  });

  it('a part that is no input and no weights.<…>: 400 INVALID_TENSOR at $.inputs["input.2"] naming it, with the closest input', async () => {
    const res = await request(app.server).post('/v1/run').attach('model', oneInput('input.1'), 'net.onnx').attach('input.2', npy([1, 2], [-1, 2]), 'x.npy').expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["input.2"]', suggestion: 'input.1' });
    expect(res.body.error.message).toContain("no input 'input.2'");
  });
});

describe("an ONNX run's input name the file lacks is the spec's and zoo's error: INVALID_TENSOR at $.inputs.<name> with the closest", () => {
  const spec = { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
  const X = { shape: [1, 2], data: [1, 2] };

  it('JSON and multipart, as a spec answers (it was INVALID_OPTION "inputShapes names \'X\'")', async () => {
    const bySpec = await request(app.server).post('/v1/run').send({ spec, inputs: { X } }).expect(400);
    const byJson = await request(app.server).post('/v1/run').send({ onnxBase64: oneInput('x').toString('base64'), inputs: { X } }).expect(400);
    const byPart = await request(app.server).post('/v1/run').attach('model', oneInput('x'), 'net.onnx').attach('X', npy([1, 2], [1, 2]), 'x.npy').expect(400);
    const error = bySpec.body.error;
    expect(error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.X', suggestion: 'x' });
    expect(byJson.body.error).toEqual(error);
    expect(byPart.body.error).toEqual(error);
  });

  it('a weight the file stores given as an input: INVALID_TENSOR at $.inputs.<name>, saying to give it in "weights"', async () => {
    const conv = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 1, 2] }],
      outputs: ['y'],
      nodes: [{ op: 'Conv', name: '/c1/Conv', inputs: ['x', 'c1.weight'], outputs: ['y'], attrs: { kernel_shape: { ints: [1, 1] } } }],
      initializers: [{ name: 'c1.weight', dims: [1, 1, 1, 1], data: [1] }],
    });
    const res = await request(app.server)
      .post('/v1/run')
      .send({ onnxBase64: Buffer.from(conv).toString('base64'), inputs: { x: { shape: [1, 1, 1, 2], data: [1, 2] }, 'c1.weight': { shape: [1, 1, 1, 1], data: [3] } } })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["c1.weight"]' });
    expect(res.body.error.message).toContain('give it in "weights"');
  });
});

describe("Accept's q-values choose a tensor answer's media type (RFC 9110 §12.5.1)", () => {
  const relu = npy([3], [1, -2, 3]);
  const run = (accept: string) =>
    request(app.server).post('/v1/run').set('accept', accept).attach('model', oneInput('x'), 'net.onnx').attach('x', npy([1, 2], [-1, 2]), 'x.npy').buffer(true).parse(binary).expect(200);

  it('application/json, application/x-npy;q=0.5 with a .npy request: JSON, base64 (it was .npy); on /v1/operators too', async () => {
    const res = await run('application/json, application/x-npy;q=0.5');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const out = JSON.parse(res.body.toString()).outputs[0];
    expect(Array.from(new Float32Array(new Uint8Array(Buffer.from(out.base64, 'base64')).buffer))).toEqual([0, 2]);
    const op = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/x-npy').set('accept', 'application/x-npy;q=0.2, application/json;q=0.9').send(relu).expect(200);
    expect(op.headers['content-type']).toMatch(/^application\/json/);
    expect(op.body.outputs[0].base64).toBe(Buffer.from(new Float32Array([1, 0, 3]).buffer).toString('base64'));
  });

  it('equal q (both listed, */*) or no Accept: the request\'s own encoding, .npy for a .npy request, as before', async () => {
    for (const accept of ['application/json, application/x-npy', '*/*', 'application/x-npy;q=0.5, application/json;q=0.5']) {
      const res = await run(accept);
      expect([accept, res.headers['content-type']]).toEqual([accept, 'application/x-npy']);
      expect(Array.from(decodeNpy(res.body, 'y', 16).data)).toEqual([0, 2]);
    }
    const none = await request(app.server).post('/v1/run').attach('model', oneInput('x'), 'net.onnx').attach('x', npy([1, 2], [-1, 2]), 'x.npy').buffer(true).parse(binary).expect(200);
    expect(none.headers['content-type']).toBe('application/x-npy');
  });
});
