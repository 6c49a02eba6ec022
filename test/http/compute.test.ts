/** POST /v1/operators/{name} and /v1/transforms/fold-batchnorm (/v1/run and its request forms: run.test.ts). */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { binary, testApp } from './app.js';
import { onnxModel } from '../graph/onnx-builder.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ MAX_TENSOR_ELEMENTS: String(1 << 22) });
});
afterAll(async () => app.close());

const x3 = { shape: [1, 1, 3, 3], data: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]] };
const randomData = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};

describe('POST /v1/operators/{name}', () => {
  it('conv2d with given weights; outChannels and kernelSize come from the weight; cost reported', async () => {
    const res = await request(app.server)
      .post('/v1/operators/conv2d')
      .send({ inputs: { x: x3 }, weights: { weight: { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] } } })
      .expect(200);
    expect(res.body.outputs[0]).toMatchObject({ shape: [1, 1, 2, 2], data: [[[[37, 47], [67, 77]]]] });
    expect(res.body.outputs[0].stats).toEqual({ min: 37, max: 77, mean: 57, std: Math.sqrt(250), nonFinite: 0 });
    expect(res.body).toMatchObject({ operator: 'conv2d', pytorch: 'torch.nn.Conv2d', cost: { params: 4, macs: 16 } });
  });

  it('log([−1, 0, 1]) = [NaN, −Infinity, 0]: JSON has no such numbers, so data holds null for them and stats.nonFinite counts 2; base64 carries them exactly', async () => {
    const res = await request(app.server).post('/v1/operators/log').send({ inputs: [{ shape: [3], data: [-1, 0, 1] }] }).expect(200);
    expect(res.body.outputs[0]).toMatchObject({ data: [null, null, 0], stats: { min: null, max: 0, mean: null, std: null, nonFinite: 2 } });
    const b64 = await request(app.server).post('/v1/operators/log').send({ inputs: [{ shape: [3], data: [-1, 0, 1] }], format: 'base64' }).expect(200);
    const y = new Float32Array(new Uint8Array(Buffer.from(b64.body.outputs[0].base64, 'base64')).buffer);
    expect([Number.isNaN(y[0]), y[1], y[2]]).toEqual([true, -Infinity, 0]);
  });

  it('responds in the request\'s encoding: base64 in, base64 out; format asks for another', async () => {
    const b64 = Buffer.from(new Float32Array([-1, 2, -3, 4]).buffer).toString('base64');
    const res = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: [4], dtype: 'float32', base64: b64 }] }).expect(200);
    const bytes = Buffer.from(res.body.outputs[0].base64, 'base64');
    expect(Array.from(new Float32Array(new Uint8Array(bytes).buffer))).toEqual([0, 2, 0, 4]);
    const asJson = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: [2, 2], data: [-1, 2, -3, 4] }] }).expect(200);
    expect(asJson.body.outputs[0].data).toEqual([0, 2, 0, 4]);
  });

  it('a tensor in the request JSON and as a .npy part of the same name: 400 INVALID_TENSOR at its path (the file silently won)', async () => {
    const npy = encodeNpy(tensor([1, 1, 2, 2], [0, 0, 0, 0]));
    const json = { shape: [1, 1, 2, 2], data: [1, 2, 3, 4] };
    const op = await request(app.server).post('/v1/operators/relu').field('request', JSON.stringify({ inputs: { x: json } })).attach('x', npy, 'x.npy').expect(400);
    expect(op.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.x', message: "inputs.x is given twice, as a file part 'x' and in \"request\"" });
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 1 }] };
    const run = await request(app.server)
      .post('/v1/run')
      .field('request', JSON.stringify({ spec, inputs: { x: json }, weights: { 'c.weight': { shape: [1, 1, 1, 1], data: [2] } } }))
      .attach('weights.c.weight', encodeNpy(tensor([1, 1, 1, 1], [3])), 'w.npy')
      .expect(400);
    expect(run.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weights["c.weight"]' });
  });

  it('/v1/run: an input the network does not have is INVALID_TENSOR at $.inputs.<name> with the closest name (y was ignored, or fed into x); "input" still stands for the only input', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const t = { shape: [1, 1, 2, 2], data: [1, -2, 3, -4] };
    const extra = await request(app.server).post('/v1/run').send({ spec, inputs: { x: t, y: t } }).expect(400);
    expect(extra.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.y', message: `the network has no input 'y'; its inputs are 'x' ("" or "input" stands for the only one)` });
    const misnamed = await request(app.server).post('/v1/run').send({ spec: { ...spec, inputs: [{ name: 'image', shape: [1, 1, 2, 2] }] }, inputs: { imag: t } }).expect(400);
    expect(misnamed.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.imag', suggestion: 'image' });
    for (const alias of ['input', '']) {
      const res = await request(app.server).post('/v1/run').send({ spec, inputs: { [alias]: t } }).expect(200);
      expect(res.body.outputs[0].data).toEqual([1, 0, 3, 0]);
    }
  });

  it('/v1/run: the only input given twice, by its name and as "input" or "" (or as both aliases), is INVALID_TENSOR naming both keys (it said the network has no input \'input\', "input" standing for the only one)', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const t = { shape: [1, 1, 2, 2], data: [1, -2, 3, -4] };
    const both = await request(app.server).post('/v1/run').send({ spec, inputs: { x: t, input: t } }).expect(400);
    expect(both.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.input', message: `the network's only input 'x' is given twice, as 'x' and as 'input' ("" and "input" stand for it): give it once` });
    const aliases = await request(app.server).post('/v1/run').send({ spec, inputs: { '': t, input: t } }).expect(400);
    expect(aliases.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.input', message: `the network's only input 'x' is given twice, as '' and as 'input' ("" and "input" stand for it): give it once` });
  });

  it('/v1/run of an ONNX file whose only input is "in0" (dynamic H, W): "input" and "" stand for it, as for a spec (was 400 at $.inputShapes.input); a name it lacks is at $.inputs.<name>', async () => {
    const onnx = onnxModel({
      inputs: [{ name: 'in0', shape: [1, 1, 'h', 'w'] }],
      outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['in0'], outputs: ['y'], name: 'r' }],
    });
    const onnxBase64 = Buffer.from(onnx).toString('base64');
    const t = { shape: [1, 1, 2, 2], data: [1, -2, 3, -4] };
    for (const key of ['input', '', 'in0']) {
      const res = await request(app.server).post('/v1/run').send({ onnxBase64, inputs: { [key]: t } }).expect(200);
      expect(res.body.outputs[0]).toMatchObject({ name: 'y', shape: [1, 1, 2, 2], data: [1, 0, 3, 0] });
    }
    const wrong = await request(app.server).post('/v1/run').send({ onnxBase64, inputs: { nope: t } }).expect(400);
    expect(wrong.body.error).toMatchObject({ path: '$.inputs.nope' });
    // a wrong rank under the alias is at the alias (it was $.inputs[""])
    const rank = await request(app.server).post('/v1/run').send({ onnxBase64, inputs: { input: { shape: [1, 4], data: [1, 2, 3, 4] } } }).expect(400);
    expect(rank.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.inputs.input' });
  });

  it('/v1/operators: a layer error is at $.attributes.<name> (was $.groups), a weight\'s at $.weights.<role> (was $.weights["conv2d.weight"])', async () => {
    const x = { shape: [1, 1, 4, 4], data: new Array(16).fill(1) };
    const groups = await request(app.server).post('/v1/operators/conv2d').send({ inputs: [x], attributes: { outChannels: 2, kernelSize: 1, groups: 2 } }).expect(400);
    expect(groups.body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE', path: '$.attributes.groups' });
    const kernel = await request(app.server).post('/v1/operators/conv2d').send({ inputs: [x], attributes: { outChannels: 1, kernelSize: 9 } }).expect(400);
    expect(kernel.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: expect.stringMatching(/^\$\.attributes\.kernelSize/) });
    const weight = await request(app.server)
      .post('/v1/operators/conv2d')
      .send({ inputs: [x], attributes: { outChannels: 1, kernelSize: 1 }, weights: { weight: { shape: [1, 2, 1, 1], data: [1, 1] } } })
      .expect(400);
    expect(weight.body.error.path).toBe('$.weights.weight');
  });

  it('.npy upload (multipart and raw body) and .npy response', async () => {
    const npy = encodeNpy(tensor([1, 1, 2, 2], [1, -2, 3, -4]));
    const multi = await request(app.server).post('/v1/operators/relu6').attach('x', npy, 'x.npy').buffer(true).parse(binary).expect(200);
    expect(multi.headers['content-type']).toBe('application/x-npy');
    expect(Array.from(decodeNpy(multi.body, 'y', 16).data)).toEqual([1, 0, 3, 0]);
    const raw = await request(app.server)
      .post('/v1/operators/leakyRelu?attributes=' + encodeURIComponent(JSON.stringify({ negativeSlope: 0.5 })) + '&format=json')
      .set('content-type', 'application/x-npy')
      .send(npy)
      .expect(200);
    expect(raw.body.outputs[0].data).toEqual([[[[1, -1], [3, -2]]]]);
  });

  it('maxPool2d returns indices on request; maxUnpool2d puts values back', async () => {
    const pool = await request(app.server)
      .post('/v1/operators/maxPool2d')
      .send({ inputs: [{ shape: [1, 1, 2, 4], data: [1, 5, 2, 0, 3, 4, 8, 7] }], attributes: { kernelSize: 2, returnIndices: true } })
      .expect(200);
    // flat data in, flat data out
    expect(pool.body.outputs.map((o: { data: unknown }) => o.data)).toEqual([
      [5, 8],
      [1, 6],
    ]);
    const unpool = await request(app.server)
      .post('/v1/operators/maxUnpool2d')
      .send({ inputs: [pool.body.outputs[0], pool.body.outputs[1]].map(({ shape, data }: { shape: number[]; data: unknown }) => ({ shape, data })), attributes: { kernelSize: 2 } })
      .expect(200);
    expect(unpool.body.outputs[0].data).toEqual([0, 5, 0, 0, 0, 0, 8, 0]);
  });

  it('maxPool3d returns plane indices t·H·W + h·W + w on request; maxUnpool3d puts values back', async () => {
    // a 2×2×2 volume, kernel (1, 2, 2): slice 0's maximum 5 at (0, 0, 1) = 1, slice 1's 8 at (1, 1, 0) = 6
    const pool = await request(app.server)
      .post('/v1/operators/maxPool3d')
      .send({ inputs: [{ shape: [1, 1, 2, 2, 2], data: [1, 5, 2, 0, 3, 4, 8, 7] }], attributes: { kernelSize: [1, 2, 2], returnIndices: true } })
      .expect(200);
    expect(pool.body.outputs.map((o: { data: unknown }) => o.data)).toEqual([
      [5, 8],
      [1, 6],
    ]);
    const unpool = await request(app.server)
      .post('/v1/operators/maxUnpool3d')
      .send({ inputs: [pool.body.outputs[0], pool.body.outputs[1]].map(({ shape, data }: { shape: number[]; data: unknown }) => ({ shape, data })), attributes: { kernelSize: [1, 2, 2] } })
      .expect(200);
    expect(unpool.body.outputs[0]).toMatchObject({ shape: [1, 1, 2, 2, 2], data: [0, 5, 0, 0, 0, 0, 8, 0] });
  });

  it('shape of a 2×3 tensor is [2, 3] with zero cost (it was 500: its value, known from shapes alone, was folded out of the one-layer report)', async () => {
    const res = await request(app.server).post('/v1/operators/shape').send({ inputs: [{ shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }] }).expect(200);
    expect(res.body.outputs[0]).toMatchObject({ shape: [2], data: [2, 3] });
    expect(res.body.cost).toMatchObject({ params: 0, macs: 0, flops: 0 });
    const gql = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($x: JSON!) { runOperator(name: "shape", inputs: [$x]) { outputs { tensor { data } } cost { params macs } } }', variables: { x: { shape: [4, 1, 5], data: Array(20).fill(0) } } })
      .expect(200);
    expect(gql.body.errors).toBeUndefined();
    expect(gql.body.data.runOperator).toEqual({ outputs: [{ tensor: { data: [4, 1, 5] } }], cost: { params: 0, macs: 0 } });
  });

  it('ifSelect and loopContinue with outputs 16,777,216 (a 130-byte body): 400 at once naming the 4,096 limit; they held a worker 37–69 s and then answered 500', async () => {
    const three = [{ shape: [1], data: [1] }, { shape: [2], data: [1, 2] }, { shape: [2], data: [3, 4] }];
    for (const name of ['ifSelect', 'loopContinue']) {
      const started = performance.now();
      const res = await request(app.server).post(`/v1/operators/${name}`).send({ inputs: three, attributes: { outputs: 16_777_216 } }).expect(400);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(res.body.error).toMatchObject({ path: '$.attributes.outputs' });
      expect(res.body.error.message).toContain('at most 4096 outputs');
    }
    const spec = { inputs: [{ name: 'x', shape: [1, 4, 8, 8] }], layers: [{ name: 'i', op: 'ifSelect', inputs: ['x', 'x', 'x'], outputs: 4_294_967_296 }] };
    const analysed = await request(app.server).post('/v1/analyze').send(spec).expect(400);
    expect(analysed.body.error).toMatchObject({ path: '$.layers[0].outputs', layer: 'i' });
  });

  it('/v1/run checks the network before its inputs: resnet19 without inputs is 404 UNKNOWN_MODEL at $.model, onnxBase64 "" and "!!!!" are ONNX_INVALID at $.onnxBase64 (all were "give the input tensor(s)"; "!!!!" then read as an empty file)', async () => {
    const model = await request(app.server).post('/v1/run').send({ model: 'resnet19' }).expect(404);
    expect(model.body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.model', suggestion: 'resnet18' });
    const empty = await request(app.server).post('/v1/run').send({ onnxBase64: '' }).expect(400);
    expect(empty.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64', message: "$.onnxBase64 is empty: give the ONNX file's bytes in base64" });
    const text = await request(app.server).post('/v1/sweep').send({ onnxBase64: 'AA!!', sizes: [64] }).expect(400);
    expect(text.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64', message: '$.onnxBase64 is not base64: "!" at character 2' });
    // Node's decoder stops at the padding: the file's bytes after it were dropped silently
    const padded = await request(app.server).post('/v1/sweep').send({ onnxBase64: 'CAc=CAc=', sizes: [64] }).expect(400);
    expect(padded.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64', message: '$.onnxBase64 is not base64: "C" at character 4, after the = padding' });
    const compared = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: { onnxBase64: '!!!!' } }).expect(400);
    expect(compared.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.new.onnxBase64' });
    const job = await request(app.server).post('/v1/jobs').send({ kind: 'analyze', onnxBase64: '!!!!' }).expect(400);
    expect(job.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64' });
    const gql = await request(app.server).post('/graphql').send({ query: '{ analyze(onnxBase64: "!!!!") { name } }' }).expect(200);
    expect(gql.body.errors[0].extensions).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64' });
  });

  it('sigmoidLut reports its max error', async () => {
    const res = await request(app.server).post('/v1/operators/sigmoidLut').send({ inputs: [{ shape: [1], data: [0] }], attributes: { tableSize: 1024, interpolate: true } }).expect(200);
    expect(res.body.maxError).toBeGreaterThan(0);
    expect(res.body.maxError).toBeLessThan(3e-4);
  });

  it('errors: unknown operator 404, bad attribute 400 with path, mismatched shapes 400, malformed tensor 400', async () => {
    expect((await request(app.server).post('/v1/operators/conv9d').send({ inputs: [x3] })).body.error.code).toBe('UNKNOWN_OPERATOR');
    const bad = await request(app.server).post('/v1/operators/conv2d').send({ inputs: [x3], attributes: { outChannels: 2, kernelSize: 2, groups: 0 } }).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'SPEC_INVALID', path: '$.attributes.groups' });
    const mismatch = await request(app.server).post('/v1/operators/add').send({ inputs: [{ shape: [2], data: [1, 2] }, { shape: [3], data: [1, 2, 3] }] }).expect(400);
    expect(mismatch.body.error.code).toBe('SHAPE_MISMATCH');
    const malformed = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: [3], data: [1, 2] }] }).expect(400);
    expect(malformed.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs[0]' });
    const big = await request(app.server).post('/v1/operators/relu').send({ inputs: [{ shape: [1 << 23], base64: '' }] }).expect(413);
    expect(big.body.error.code).toBe('TENSOR_TOO_LARGE');
    // an output over the limit, found before anything runs: the layer and its JSONPath
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 4, 4] }], layers: [{ name: 'up', op: 'upsample', scaleFactor: 2048 }] };
    const grown = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, 1, 4, 4], data: Array(16).fill(1) } } }).expect(413);
    expect(grown.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', layer: 'up', path: '$.spec.layers[0]', shapes: { output: [1, 1, 8192, 8192] } });
  });

  it('a raw .npy body: its errors at the query (query.attributes.padding, query.seed) and the body, where the client gave them, not at $.… of a JSON body it did not send', async () => {
    const npy = (shape: number[]) => encodeNpy(tensor(shape, new Array(shape.reduce((a, c) => a * c, 1)).fill(1)));
    const post = (url: string, shape = [1, 1, 4, 4]) => request(app.server).post(url).set('content-type', 'application/x-npy').send(npy(shape));
    const attrs = (a: unknown) => `/v1/operators/conv2d?attributes=${encodeURIComponent(JSON.stringify(a))}`;
    const padding = await post(attrs({ outChannels: 2, kernelSize: 3, padding: -1 })).expect(400);
    expect(padding.body.error).toMatchObject({ code: 'SPEC_INVALID', path: 'query.attributes.padding', issues: [{ path: 'query.attributes.padding' }] });
    const kernel = await post(attrs({ outChannels: 2, kernelSize: 9 })).expect(400);
    expect(kernel.body.error).toMatchObject({ code: 'KERNEL_TOO_LARGE', path: 'query.attributes.kernelSize', shapes: { input0: [1, 1, 4, 4] } });
    const notObject = await post(attrs([1])).expect(400);
    expect(notObject.body.error).toMatchObject({ code: 'SPEC_INVALID', path: 'query.attributes', message: 'query.attributes: attributes must be an object' });
    const seed = await post(`${attrs({ outChannels: 2, kernelSize: 3 })}&seed=99999999999999999999`).expect(400);
    expect(seed.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.seed', message: 'query.seed: must be an integer from 0 to 4294967295' });
    // (a 3-D [1, 4, 4] is one unbatched sample conv2d takes, as nn.Conv2d: a 2-D one is refused)
    const rank = await post(attrs({ outChannels: 2, kernelSize: 3 }), [4, 4]).expect(400);
    expect(rank.body.error).toMatchObject({ code: 'RANK_MISMATCH', path: 'body', shapes: { input0: [4, 4] } });
    // a JSON body's errors stay at its own paths
    const json = await request(app.server).post('/v1/operators/conv2d').send({ inputs: [{ shape: [1, 1, 4, 4], data: new Array(16).fill(1) }], attributes: { outChannels: 2, kernelSize: 3, padding: -1 } }).expect(400);
    expect(json.body.error.path).toBe('$.attributes.padding');
    // on /v1/run (no raw .npy there) the content type is at fault, as for any body a route does not read (it was at body)
    const run = await post('/v1/run').expect(415);
    expect(run.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
  });

  it('unknown fields, query parameters and form fields are 400 INVALID_OPTION naming them, not ignored; a file part the op has no input for, INVALID_TENSOR', async () => {
    const field = await request(app.server).post('/v1/operators/relu').send({ inputs: [x3], atributes: {} }).expect(400);
    expect(field.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.atributes', suggestion: 'attributes' });
    const query = await request(app.server).post('/v1/operators/relu?format=flat').send({ inputs: [x3] }).expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const npy = encodeNpy(tensor([1, 1, 2, 2], [1, -2, 3, -4]));
    const npyQuery = await request(app.server).post('/v1/operators/leakyRelu?atributes={}').set('content-type', 'application/x-npy').send(npy).expect(400);
    expect(npyQuery.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.atributes', suggestion: 'attributes' });
    const formField = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').field('requets', '{}').expect(400);
    expect(formField.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'requets', suggestion: 'request' });
    // a part is an input by its name, dots and all, unless it is weights.<role>: relu has no input 'weight.bias'
    const file = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').attach('weight.bias', npy, 'b.npy').expect(400);
    expect(file.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["weight.bias"]' });
  });

  it('an Accept that allows neither JSON nor .npy (application/xml, */*;q=0) is 406 NOT_ACCEPTABLE at accept on /v1/operators, /v1/run and fold-batchnorm, as on the report routes (it answered 200 JSON); */* and application/x-npy are answered', async () => {
    const relu = { inputs: [{ shape: [2], data: [1, -1] }] };
    for (const accept of ['application/xml', '*/*;q=0']) {
      for (const [url, body] of [['/v1/operators/relu', relu], ['/v1/run', { model: 'resnet18' }], ['/v1/transforms/fold-batchnorm', {}]] as const) {
        const res = await request(app.server).post(url).set('accept', accept).send(body).expect(406);
        expect(res.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept' });
      }
    }
    for (const accept of ['*/*', 'application/x-npy', 'application/json;q=0.5, text/html', 'application/json ;q=1']) {
      await request(app.server).post('/v1/operators/relu').set('accept', accept).send(relu).expect(200);
    }
    // fold-batchnorm answers JSON only (a review: Accept application/x-npy was answered JSON)
    const fold = await request(app.server).post('/v1/transforms/fold-batchnorm').set('accept', 'application/x-npy').send({}).expect(406);
    expect(fold.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept', offered: ['application/json'] });
    // each route's OpenAPI document lists the 406
    const doc = (await request(app.server).get('/openapi.json').expect(200)).body;
    for (const route of ['/v1/run', '/v1/operators/{name}', '/v1/transforms/fold-batchnorm']) expect(Object.keys(doc.paths[route].post.responses)).toContain('406');
  });

  // a leftover of earlier sessions: Accept: application/x-npy was answered JSON, format alone chose
  it('Accept: application/x-npy without a format answers one output as .npy (relu of [1, -2, 3] → [1, 0, 3]); a format in the body wins; a JSON answer it refuses is 406 at headers.accept', async () => {
    const relu = { inputs: [{ shape: [3], data: [1, -2, 3] }] };
    const npy = await request(app.server).post('/v1/operators/relu').set('accept', 'application/x-npy').send(relu).buffer(true).parse(binary).expect(200);
    expect(npy.headers['content-type']).toBe('application/x-npy');
    expect(Array.from(decodeNpy(npy.body, 'y', 16).data)).toEqual([1, 0, 3]);
    // preferred by q as well; equal q keeps the request's encoding (JSON)
    const preferred = await request(app.server).post('/v1/operators/relu').set('accept', 'application/json;q=0.5, application/x-npy').send(relu).buffer(true).parse(binary).expect(200);
    expect(preferred.headers['content-type']).toBe('application/x-npy');
    const tie = await request(app.server).post('/v1/operators/relu').set('accept', 'application/json, application/x-npy').send(relu).expect(200);
    expect(tie.body.outputs[0].data).toEqual([1, 0, 3]);
    // a format in the body wins over Accept's preference; JSON refused by Accept is 406
    const asked = await request(app.server).post('/v1/operators/relu').set('accept', 'application/x-npy;q=1, application/json;q=0.1').send({ ...relu, format: 'flat' }).expect(200);
    expect(asked.body.outputs[0].data).toEqual([1, 0, 3]);
    const refused = await request(app.server).post('/v1/operators/relu').set('accept', 'application/x-npy').send({ ...relu, format: 'json' }).expect(406);
    expect(refused.body.error).toEqual({
      code: 'NOT_ACCEPTABLE',
      message: 'this answer is JSON: its format is json; Accept allows only application/x-npy: allow application/json, or ask for one tensor as npy',
      path: 'headers.accept',
      offered: ['application/json'],
    });
    // topK answers two tensors (values, indices): a .npy file holds one
    const topK = await request(app.server).post('/v1/operators/topK').set('accept', 'application/x-npy').send({ inputs: [{ shape: [3], data: [1, 3, 2] }], attributes: { k: 1 } }).expect(406);
    expect(topK.body.error.message).toBe('this answer is JSON: a .npy file holds one tensor and this answer has 2; Accept allows only application/x-npy: allow application/json, or ask for one tensor as npy');
    // a run: one output as .npy, through the offloaded JSON path as well (the spec's relu of [-1, 2] → [0, 2])
    const run = { spec: { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 2], data: [-1, 2] } } };
    const ran = await request(app.server).post('/v1/run').set('accept', 'application/x-npy').send(run).buffer(true).parse(binary).expect(200);
    expect(ran.headers['content-type']).toBe('application/x-npy');
    expect(Array.from(decodeNpy(ran.body, 'r', 16).data)).toEqual([0, 2]);
    const captured = await request(app.server).post('/v1/run').set('accept', 'application/x-npy').send({ ...run, capture: ['r'] }).expect(406);
    expect(captured.body.error.path).toBe('headers.accept');
  });

  // found by a hunt: 215 bytes held a worker for the whole task timeout (9·10^10 combinations at 80 M/s), under the limit as MACs
  it("a run of einsum 'ab,cd->' over a [3000, 100] tile is 413 WORK_TOO_LARGE before running: 9·10^10 combinations · 2 operands · 100 units", async () => {
    const body = { spec: { inputs: [{ name: 'x', shape: [1, 1] }], layers: [{ name: 'e', op: 'tile', repeats: [3000, 100] }, { name: 'y', op: 'einsum', equation: 'ab,cd->', inputs: ['e', 'e'] }] }, inputs: { x: { shape: [1, 1], data: [1] } } };
    const res = await request(app.server).post('/v1/run').send(body).expect(413);
    expect(res.body.error).toMatchObject({ code: 'WORK_TOO_LARGE', layer: 'y', path: '$.spec.layers[1]', layerWork: 1.8e13 + 1 });
  });

  // found by a review: the 406 came once the kernels had run (the work wasted); the count of an answer's tensors is known before
  it('a JSON answer Accept refuses is 406 before any kernel runs: a gather whose index 7 is out of range for [1, 3] (a kernel-time INVALID_TENSOR under */*) is 406 under application/x-npy', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 3] }, { name: 'i', shape: [1] }], layers: [{ name: 'g', op: 'gather', inputs: ['x', 'i'], axis: 1 }] };
    const body = { spec, inputs: { x: { shape: [1, 3], data: [1, 2, 3] }, i: { shape: [1], data: [7] } }, capture: ['g'] };
    const ran = await request(app.server).post('/v1/run').set('accept', '*/*').send(body).expect(400);
    expect(ran.body.error).toMatchObject({ code: 'INVALID_TENSOR', layer: 'g', message: expect.stringContaining('indices[0] = 7 is out of range') });
    const refused = await request(app.server).post('/v1/run').set('accept', 'application/x-npy').send(body).expect(406);
    expect(refused.body.error).toEqual({
      code: 'NOT_ACCEPTABLE',
      message: 'this answer is JSON: a .npy file holds one tensor and this answer has captures beside its outputs; Accept allows only application/x-npy: allow application/json, or ask for one tensor as npy',
      path: 'headers.accept',
      offered: ['application/json'],
    });
    // the same body past the offload threshold (parsed in a worker): the same 406
    const padded = JSON.stringify(body).replace('{', '{' + ' '.repeat(200_000));
    const big = await request(app.server).post('/v1/run').set('accept', 'application/x-npy').set('content-type', 'application/json').send(padded).expect(406);
    expect(big.body.error.path).toBe('headers.accept');
  });

  // found by a review: Accept could choose .npy but not refuse it; a .npy request was answered .npy whatever Accept said
  it('an Accept that refuses .npy (application/json, application/x-npy;q=0): a .npy request is answered base64 in JSON; format npy is 406; every answer says Vary: Accept', async () => {
    const accept = 'application/json, application/x-npy;q=0';
    const npy = encodeNpy(tensor([3], new Float32Array([1, -2, 3])));
    const res = await request(app.server).post('/v1/operators/relu').set('accept', accept).set('content-type', 'application/x-npy').send(Buffer.from(npy)).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.vary).toMatch(/accept/i);
    expect(res.body.outputs[0]).toMatchObject({ shape: [3], dtype: 'float32', base64: Buffer.from(new Float32Array([1, 0, 3]).buffer).toString('base64') });
    const asked = await request(app.server).post('/v1/operators/relu').set('accept', accept).send({ inputs: [{ shape: [3], data: [1, -2, 3] }], format: 'npy' }).expect(406);
    expect(asked.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept', offered: ['application/x-npy'], message: `this answer is a .npy file: its format is npy; Accept allows only ${accept}: ask for another format, or allow application/x-npy` });
  });

  // found by a hunt: a parameter given as an input was reported at $.attributes.<name>, which the call never sent
  it('tile with repeats [-1] as inputs[1], topK with k 5 of 3 as inputs[1]: INVALID_ATTRIBUTE at $.inputs[1]; repeats as an attribute stays at $.attributes', async () => {
    const tile = await request(app.server).post('/v1/operators/tile').send({ inputs: [{ shape: [1], data: [1] }, { shape: [1], data: [-1] }] }).expect(400);
    expect(tile.body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE', path: '$.inputs[1]' });
    const topK = await request(app.server).post('/v1/operators/topK').send({ inputs: [{ shape: [3], data: [1, 2, 3] }, { shape: [1], data: [5] }] }).expect(400);
    expect(topK.body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE', path: '$.inputs[1]', message: "layer 'topK': k=5 is not in 0…3 (axis 0 of [3])" });
    const attr = await request(app.server).post('/v1/operators/topK').send({ inputs: [{ shape: [3], data: [1, 2, 3] }], attributes: { k: 5 } }).expect(400);
    expect(attr.body.error.path).toBe('$.attributes.k');
  });

  it('a misnamed input: 400 INVALID_TENSOR with the closest input name (X → x)', async () => {
    const res = await request(app.server).post('/v1/operators/conv2d').send({ inputs: { X: x3 }, attributes: { outChannels: 1, kernelSize: 2 } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.X', suggestion: 'x' });
  });

  describe('inputs as an object: by the op\'s names (in its order) or by position "0", "1", …, never both; every key checked (a fuzz of 2026-12-04: each was 200)', () => {
    const t = (...data: number[]) => ({ shape: [data.length], data });
    const col = (v: number) => ({ shape: [1, 1], data: [v] });
    it.each([
      ['relu { "1" }: relu has one input, "0"', 'relu', { 1: t(1, -1) }, '$.inputs["1"]', 'relu takes one input (x), by position "0": there is no input "1"'],
      ['sub { a, b, "7" }: names and a position (the third tensor was dropped)', 'sub', { a: t(1), b: t(10), 7: t(5) }, '$.inputs["7"]', 'give sub\'s inputs by name (a, b) or by position ("0", "1", …), not both: \'a\' and \'7\''],
      ['relu { x, "0" }: x twice (the "0" one was dropped)', 'relu', { x: t(1), 0: t(-5) }, '$.inputs["0"]', 'give relu\'s inputs by name (x) or by position ("0", "1", …), not both: \'x\' and \'0\''],
      ['add { "0", "2" }: a gap (closed up to [0, 1])', 'add', { 0: t(1), 2: t(2) }, '$.inputs["1"]', 'add\'s input "1" is missing: positions run from "0" without gaps (given "0", "2")'],
      ['relu { "007" }: not a position, nor a name', 'relu', { '007': t(1) }, '$.inputs["007"]', "relu has no input '007'; its inputs are x"],
      ['add { foo, constructor }: names a variadic op does not have (they were added)', 'add', { foo: t(1), constructor: t(10) }, '$.inputs.foo', 'add has no input \'foo\'; its inputs are a, b; more than these go by position, every one of them ("0", "1", … "2", …)'],
      ['deformConv2d { x, mask }: the mask without its offset (it was read as the offset)', 'deformConv2d', { x: { shape: [1, 1, 3, 3], data: Array(9).fill(1) }, mask: { shape: [1, 9, 1, 1], data: Array(9).fill(1) } }, '$.inputs.offset', 'deformConv2d takes its inputs in order (x, offset, mask): \'mask\' is given without \'offset\' before it; give \'offset\' too (an empty tensor, { "shape": [0], "data": [] }, where deformConv2d reads an empty one as left out)'],
      ['relu { "99999999999999999999" }: a position past 2^53, named as given (not "100000000000000000000")', 'relu', { '99999999999999999999': t(1) }, '$.inputs["99999999999999999999"]', 'relu takes one input (x), by position "0": there is no input "99999999999999999999"'],
    ])('%s: 400 INVALID_TENSOR at that key', async (_, op, inputs, path, message) => {
      const res = await request(app.server).post(`/v1/operators/${op}`).send({ inputs, attributes: op === 'deformConv2d' ? { outChannels: 1, kernelSize: 3 } : {} }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path, message });
    });

    it('relu { } and add { }: 400 INVALID_TENSOR "needs its inputs" at $.inputs (relu\'s was a TypeError, a 500, in a first version of the check)', async () => {
      for (const op of ['relu', 'add']) {
        const res = await request(app.server).post(`/v1/operators/${op}`).send({ inputs: {} }).expect(400);
        expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs' });
      }
    });

    it('concat by names takes the op\'s order whatever the keys\' ({ b: [2], a: [1] } is [1, 2]; it was [2, 1]), and by position the positions\' ({ "1": [2], "0": [1] } is [1, 2])', async () => {
      for (const inputs of [{ b: col(2), a: col(1) }, { 1: col(2), 0: col(1) }]) {
        const res = await request(app.server).post('/v1/operators/concat').send({ inputs, attributes: { dim: 1 } }).expect(200);
        expect(res.body.outputs[0]).toMatchObject({ shape: [1, 2], data: [1, 2] });
      }
    });

    it('a .npy part "5" beside the part "x" on relu: 400 at $.inputs["5"] (the part was ignored); GraphQL runOperator\'s inputs { "3" } too', async () => {
      const npy = encodeNpy(tensor([2], [1, -1]));
      const file = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').attach('5', npy, '5.npy').expect(400);
      expect(file.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["5"]' });
      const gql = await request(app.server)
        .post('/graphql')
        .send({ query: 'query($i: JSON!) { runOperator(name: "relu", inputs: $i) { outputs { tensor { data } } } }', variables: { i: { 3: t(1, -1) } } });
      expect(gql.body.data?.runOperator ?? null).toBeNull();
      expect(gql.body.errors[0].extensions).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["3"]' });
      expect(gql.body.errors[0].message).toContain('there is no input "3"');
    });
  });

  it('a large dense conv is split between a worker and its partner thread (once the partner is up: the first split of a worker spawns it and runs alone) and equals the single-worker result', async () => {
    const body = {
      inputs: [{ shape: [1, 32, 40, 40], data: randomData(32 * 1600, 1) }],
      weights: { weight: { shape: [64, 32, 3, 3], data: randomData(64 * 288, 2) }, bias: { shape: [64], data: randomData(64, 3) } },
      attributes: { padding: 1 },
      format: 'flat',
    };
    let split = await request(app.server).post('/v1/operators/conv2d').send(body).expect(200);
    // either pool worker may take a call; each spawns its partner on its first split (20 s at most: a loaded machine delays its start)
    for (const until = Date.now() + 20_000; split.body.workers !== 2 && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      split = await request(app.server).post('/v1/operators/conv2d').send(body).expect(200);
    }
    expect(split.body.workers).toBe(2);
    // the same conv through the single-worker path: a depthwise-free grouped call is never split, so compare with the kernel in-process
    const { runOperator } = await import('../../src/runtime/operator.js');
    const single = runOperator({
      name: 'conv2d',
      inputs: [tensor(body.inputs[0].shape, Float32Array.from(body.inputs[0].data))],
      attributes: body.attributes,
      weights: { weight: tensor([64, 32, 3, 3], Float32Array.from(body.weights.weight.data)), bias: tensor([64], Float32Array.from(body.weights.bias.data)) },
      training: false,
      seed: 0,
      maxElements: 1 << 24,
    });
    expect(split.body.outputs[0].shape).toEqual([1, 64, 40, 40]);
    expect(scaledError(Float32Array.from(split.body.outputs[0].data), single.outputs[0].data)).toBe(0);
  });
});

describe('POST /v1/transforms/fold-batchnorm', () => {
  it('w\' = w·γ/σ, b\' = (b − μ)·γ/σ + β, by hand: σ = √(3.99999 + 1e-5) = 2', async () => {
    const res = await request(app.server)
      .post('/v1/transforms/fold-batchnorm')
      .send({
        weight: { shape: [2, 1, 1, 1], data: [2, -1] },
        bias: { shape: [2], data: [1, 0] },
        gamma: { shape: [2], data: [3, 1] },
        beta: { shape: [2], data: [0.5, 0] },
        runningMean: { shape: [2], data: [1, 2] },
        runningVar: { shape: [2], data: [3.99999, 3.99999] },
      })
      .expect(200);
    // channel 0: 2·3/2 = 3, (1 − 1)·3/2 + 0.5 = 0.5; channel 1: −1·1/2 = −0.5, (0 − 2)·1/2 = −1
    expect(res.body.weight.data).toEqual([3, -0.5]);
    expect(res.body.bias.data).toEqual([0.5, -1]);
  });

  it('a negative running variance (−5 at channel 1, eps 1e-5): 400 INVALID_TENSOR at $.runningVar naming the channel (every folded value was null)', async () => {
    const v = (data: number[]) => ({ shape: [2], data });
    const res = await request(app.server)
      .post('/v1/transforms/fold-batchnorm')
      .send({ weight: { shape: [2, 1, 1, 1], data: [2, -1] }, gamma: v([1, 1]), beta: v([0, 0]), runningMean: v([0, 0]), runningVar: v([1, -5]) })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.runningVar', index: 1 });
    expect(res.body.error.message).toBe('runningVar[1] is -5: a variance plus eps (0.00001) must be positive in float32 to fold (σ = √(var + eps))');
  });

  it('a zero running variance with eps 1e-320 (0 in float32, where BN sums them): 400 at $.runningVar, channel 0 (the weights were ±Infinity, answered null); eps 1e-40 (a float32 subnormal) folds', async () => {
    const v = (data: number[]) => ({ shape: [2], data });
    const body = (eps: number) => ({ weight: { shape: [2, 1, 1, 1], data: [1, 2] }, gamma: v([1, 1]), beta: v([0, 0]), runningMean: v([0, 0]), runningVar: v([0, 1]), eps });
    const res = await request(app.server).post('/v1/transforms/fold-batchnorm').send(body(1e-320)).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.runningVar', index: 0 });
    const tiny = await request(app.server).post('/v1/transforms/fold-batchnorm').send(body(1e-40)).expect(200);
    // channel 0: 1 / √1e-40 = 1e20, as float32; channel 1: 2 / √(1 + 1e-40) = 2
    expect(tiny.body.weight.data).toEqual([Math.fround(1e20), 2]);
  });

  it('finite operands that fold past float32 (weight 1e17, var 0, eps 1e-45: 1e17 / √1e-45 ≈ 3.2e39): 400 at $.weight, channel 0; γ 1e30 (the scale itself 3.2e52) at $.runningVar (both were ±Infinity, answered null)', async () => {
    const v = (data: number[]) => ({ shape: [2], data });
    const fold = (weight: number[], gamma: number[]) =>
      request(app.server).post('/v1/transforms/fold-batchnorm').send({ weight: { shape: [2, 1, 1, 1], data: weight }, gamma: v(gamma), beta: v([0, 0]), runningMean: v([0, 0]), runningVar: v([0, 1]), eps: 1e-45 });
    const weight = await fold([1e17, 1], [1, 1]).expect(400);
    expect(weight.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.weight', index: 0 });
    expect(weight.body.error.message).toBe(`folding channel 0 overflows float32: γ/√(var + eps) = ${1 / Math.sqrt(1e-45)} scales weight[0] (${Math.fround(1e17)}) past ±3.4028235e38`);
    const scale = await fold([1, 1], [1e30, 1]).expect(400);
    expect(scale.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.runningVar', index: 0 });
  });

  it('cast to a type that is not one (banana): 400 at $.attributes.to listing the dtypes (it answered the input unchanged)', async () => {
    const res = await request(app.server).post('/v1/operators/cast').send({ inputs: [{ shape: [2], data: [1.5, -2.5] }], attributes: { to: 'banana' } }).expect(400);
    expect(res.body.error.path).toBe('$.attributes.to');
    expect(res.body.error.message).toContain('must be one of float32, float64, float16, bfloat16, int8');
    const int = await request(app.server).post('/v1/operators/cast').send({ inputs: [{ shape: [2], data: [1.5, -2.5] }], attributes: { to: 'int32' } }).expect(200);
    expect(int.body.outputs[0].data).toEqual([1, -2]);
  });

  it('cast to "other" (an ONNX string or complex type, which convlens does not hold): 400 UNSUPPORTED_OPERATOR when run (it answered the input as floats)', async () => {
    const res = await request(app.server).post('/v1/operators/cast').send({ inputs: [{ shape: [2], data: [1.5, -2.5] }], attributes: { to: 'other' } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', layer: 'cast' });
    expect(res.body.error.message).toContain('to "other"');
  });

  it('the same fold with .npy parts named after the fields (w and b as files, BN in "request")', async () => {
    const res = await request(app.server)
      .post('/v1/transforms/fold-batchnorm')
      .attach('weight', encodeNpy(tensor([2, 1, 1, 1], [2, -1])), 'w.npy')
      .attach('bias', encodeNpy(tensor([2], [1, 0])), 'b.npy')
      .field('request', JSON.stringify({ gamma: { shape: [2], data: [3, 1] }, beta: { shape: [2], data: [0.5, 0] }, runningMean: { shape: [2], data: [1, 2] }, runningVar: { shape: [2], data: [3.99999, 3.99999] }, format: 'flat' }))
      .expect(200);
    expect(res.body.weight.data).toEqual([3, -0.5]);
    expect(res.body.bias.data).toEqual([0.5, -1]);
  });

  it('a misspelt field: 400 INVALID_OPTION naming it (gama → gamma), before "gamma is required"', async () => {
    const t = (n: number) => ({ shape: [n], data: Array(n).fill(1) });
    const res = await request(app.server)
      .post('/v1/transforms/fold-batchnorm')
      .send({ weight: { shape: [2, 1, 1, 1], data: [1, 1] }, gama: t(2), beta: t(2), runningMean: t(2), runningVar: t(2) })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.gama', suggestion: 'gamma' });
  });

  it('mismatched BN sizes: 400 SHAPE_MISMATCH naming the field', async () => {
    const t = (n: number) => ({ shape: [n], data: Array(n).fill(1) });
    const res = await request(app.server)
      .post('/v1/transforms/fold-batchnorm')
      .send({ weight: { shape: [2, 1, 1, 1], data: [1, 1] }, gamma: t(3), beta: t(2), runningMean: t(2), runningVar: t(2) })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.gamma' });
  });
});
