/**
 * A run's inputs and weights by the names PyTorch gives them, and the answer's media type by Accept's
 * q-values. Found by a black-box hunt of the run surfaces: a .npy part named `input.1` (torch.onnx.export's
 * name for an unnamed input) was skipped for its dot ("give the input tensor(s)"); weights named as
 * a PyTorch state_dict names them (`bn1.running_mean`, an ONNX file's initializer `c1.weight`) were
 * refused; an ONNX run's unknown input name was INVALID_OPTION "inputShapes names 'X'" (a field the
 * request did not have); `Accept: application/json, application/x-npy;q=0.5` answered a .npy request in .npy.
 * PyTorch's values: scripts/state_dict_goldens.py.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { binary, testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

interface Json {
  shape: number[];
  data: number[];
}
interface Net {
  spec: unknown;
  input: Json;
  stateDict: Record<string, Json>;
  output: Json;
}
const NETS = JSON.parse(readFileSync(new URL('../fixtures/state-dicts/nets.json', import.meta.url), 'utf8')) as Record<'bn' | 'tokens', Net>;

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

describe("weights by their PyTorch state_dict names equal PyTorch's outputs", () => {
  const body = (net: Net, extra: Record<string, unknown> = {}) => ({ spec: net.spec, inputs: { x: net.input }, weights: net.stateDict, format: 'flat', ...extra });

  it('conv1 → bn1 (running_mean, running_var, num_batches_tracked) → relu → layer_scale [C, 1, 1] → fc: the whole state_dict in JSON (bn1.running_mean was 400 "did you mean bn1.runningMean")', async () => {
    const res = await request(app.server).post('/v1/run').send(body(NETS.bn)).expect(200);
    expect(scaledError(Float32Array.from(flat(res)), NETS.bn.output.data)).toBeLessThanOrEqual(1e-5);
    // the seeded weights give another answer: the given ones were read
    const seeded = await request(app.server).post('/v1/run').send(body(NETS.bn, { weights: {} })).expect(200);
    expect(scaledError(Float32Array.from(flat(seeded)), NETS.bn.output.data)).toBeGreaterThan(0.01);
  });

  it('the same state_dict as .npy parts weights.<key> (num_batches_tracked as int64, as torch saves it)', async () => {
    let req = request(app.server).post('/v1/run').field('request', JSON.stringify({ spec: NETS.bn.spec, format: 'flat' }));
    req = req.attach('x', npy(NETS.bn.input.shape, NETS.bn.input.data), 'x.npy');
    for (const [key, t] of Object.entries(NETS.bn.stateDict)) {
      const bytes = key.endsWith('num_batches_tracked') ? int64Npy(t.data[0]) : npy(t.shape, t.data);
      req = req.attach(`weights.${key}`, bytes, `${key}.npy`);
    }
    const res = await req.expect(200);
    expect(scaledError(Float32Array.from(flat(res)), NETS.bn.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it("class_token → pos_embedding → nn.MultiheadAttention (in_proj_weight, out_proj.weight): ViT's names; GraphQL run alike", async () => {
    const res = await request(app.server).post('/v1/run').send(body(NETS.tokens)).expect(200);
    expect(res.body.outputs[0].shape).toEqual(NETS.tokens.output.shape);
    expect(scaledError(Float32Array.from(flat(res)), NETS.tokens.output.data)).toBeLessThanOrEqual(1e-5);
    const gql = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($s: JSON, $i: JSON!, $w: JSON) { run(spec: $s, inputs: $i, weights: $w) { outputs { tensor { data } } } }', variables: { s: NETS.tokens.spec, i: { x: NETS.tokens.input }, w: NETS.tokens.stateDict } })
      .expect(200);
    expect(gql.body.errors).toBeUndefined();
    expect(scaledError(Float32Array.from(gql.body.data.run.outputs[0].tensor.data.flat(3)), NETS.tokens.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it('an ONNX file: its initializer c1.weight binds by that name (JSON and a part weights.c1.weight): 3·[1, 2] + 0.5 = [3.5, 6.5]; the node-name form as before', async () => {
    const conv = Buffer.from(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 1, 2] }],
        outputs: ['y'],
        nodes: [{ op: 'Conv', name: '/c1/Conv', inputs: ['x', 'c1.weight', 'c1.bias'], outputs: ['y'], attrs: { kernel_shape: { ints: [1, 1] } } }],
        initializers: [
          { name: 'c1.weight', dims: [1, 1, 1, 1], data: [1] },
          { name: 'c1.bias', dims: [1], data: [0] },
        ],
      }),
    );
    const x = { shape: [1, 1, 1, 2], data: [1, 2] };
    const w = { shape: [1, 1, 1, 1], data: [3] };
    const b = { shape: [1], data: [0.5] };
    const json = await request(app.server).post('/v1/run').send({ onnxBase64: conv.toString('base64'), inputs: { x }, weights: { 'c1.weight': w, 'c1.bias': b }, format: 'flat' }).expect(200);
    expect(flat(json)).toEqual([3.5, 6.5]);
    const part = await request(app.server)
      .post('/v1/run')
      .attach('model', conv, 'net.onnx')
      .attach('weights.c1.weight', npy([1, 1, 1, 1], [3]), 'w.npy')
      .field('request', JSON.stringify({ inputs: { x }, format: 'flat' }))
      .expect(200);
    expect(flat(part)).toEqual([3, 6]);
    const node = await request(app.server).post('/v1/run').send({ onnxBase64: conv.toString('base64'), inputs: { x }, weights: { '/c1/Conv.weight': w }, format: 'flat' }).expect(200);
    expect(flat(node)).toEqual([3, 6]);
  });
});

describe('POST /v1/erf takes the same names', () => {
  it("conv c (ones) → bn (bn.running_var 3, num_batches_tracked): the unit's input gradient is γ/√(3 + 1e-5) over its 3×3 field", async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
        { name: 'bn', op: 'batchNorm2d' },
      ],
    };
    const weights = { 'c.weight': { shape: [1, 1, 3, 3], data: new Array(9).fill(1) }, 'bn.running_var': { shape: [1], data: [3] }, 'bn.num_batches_tracked': { shape: [], data: [7] } };
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec, layer: 'bn', inputs: { x: { shape: [1, 1, 5, 5], data: new Array(25).fill(1) } }, weights, stages: false, heatmap: false, format: 'flat' })
      .expect(200);
    const g = res.body.gradient.data as number[];
    const inside = (i: number) => Math.floor(i / 5) >= 1 && Math.floor(i / 5) <= 3 && i % 5 >= 1 && i % 5 <= 3;
    for (let i = 0; i < 25; i++) expect(g[i]).toBeCloseTo(inside(i) ? 1 / Math.sqrt(3 + 1e-5) : 0, 6);
  });
});

/** A .npy of one int64 value, shape () (torch.save of num_batches_tracked through numpy). */
function int64Npy(v: number): Buffer {
  const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = Buffer.from(`${header}${' '.repeat(pad % 64)}\n`, 'latin1');
  const lead = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  const data = Buffer.alloc(8);
  data.writeBigInt64LE(BigInt(v));
  return Buffer.concat([lead, h, data]);
}

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
