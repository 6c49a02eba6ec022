import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { inputShapes } from '../../src/http/rest.js';
import { testApp } from './app.js';
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
    const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
      const stream = res as unknown as NodeJS.ReadableStream;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => done(null, Buffer.concat(chunks)));
    };
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
    const rank = await post(attrs({ outChannels: 2, kernelSize: 3 }), [1, 4, 4]).expect(400);
    expect(rank.body.error).toMatchObject({ code: 'RANK_MISMATCH', path: 'body', shapes: { input0: [1, 4, 4] } });
    // a JSON body's errors stay at its own paths
    const json = await request(app.server).post('/v1/operators/conv2d').send({ inputs: [{ shape: [1, 1, 4, 4], data: new Array(16).fill(1) }], attributes: { outChannels: 2, kernelSize: 3, padding: -1 } }).expect(400);
    expect(json.body.error.path).toBe('$.attributes.padding');
  });

  it('unknown fields, query parameters, form fields and file parts are 400 INVALID_OPTION naming them, not ignored', async () => {
    const field = await request(app.server).post('/v1/operators/relu').send({ inputs: [x3], atributes: {} }).expect(400);
    expect(field.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.atributes', suggestion: 'attributes' });
    const query = await request(app.server).post('/v1/operators/relu?format=flat').send({ inputs: [x3] }).expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const npy = encodeNpy(tensor([1, 1, 2, 2], [1, -2, 3, -4]));
    const npyQuery = await request(app.server).post('/v1/operators/leakyRelu?atributes={}').set('content-type', 'application/x-npy').send(npy).expect(400);
    expect(npyQuery.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.atributes', suggestion: 'attributes' });
    const formField = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').field('requets', '{}').expect(400);
    expect(formField.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'requets', suggestion: 'request' });
    const file = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').attach('weight.bias', npy, 'b.npy').expect(400);
    expect(file.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'weight.bias' });
  });

  it('a misnamed input: 400 INVALID_TENSOR with the closest input name (X → x)', async () => {
    const res = await request(app.server).post('/v1/operators/conv2d').send({ inputs: { X: x3 }, attributes: { outChannels: 1, kernelSize: 2 } }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.X', suggestion: 'x' });
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
    expect(res.body.error.message).toBe('runningVar[1] is -5: a variance plus eps (0.00001) must be positive to fold (σ = √(var + eps))');
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

describe('POST /v1/run', () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/networks/resnet18_w16.json', import.meta.url), 'utf8'));
  const onnx = readFileSync(new URL('../fixtures/networks/resnet18_w16.onnx', import.meta.url));

  it('an ONNX file with its weights (multipart) on an input tensor equals PyTorch', async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .attach('model', onnx, 'net.onnx')
      .field('request', JSON.stringify({ inputs: { input: golden.input }, format: 'flat', capture: ['/layer4/layer4.1/relu_1/Relu'] }))
      .expect(200);
    expect(res.body.outputs.map((o: { name: string }) => o.name)).toEqual(['output']);
    expect(scaledError(Float32Array.from(res.body.outputs[0].data), golden.output.data)).toBeLessThanOrEqual(1e-4);
    expect(res.body.captured).toMatchObject([{ name: '/layer4/layer4.1/relu_1/Relu', shape: [1, 128, 2, 2] }]);
  });

  it('the same file as base64 in JSON', async () => {
    const res = await request(app.server).post('/v1/run').send({ onnxBase64: onnx.toString('base64'), inputs: golden.input, format: 'flat' }).expect(200);
    expect(res.body.outputs[0].name).toBe('output');
    expect(scaledError(Float32Array.from(res.body.outputs[0].data), golden.output.data)).toBeLessThanOrEqual(1e-4);
  });

  it('a spec with seeded weights is reproducible, and other seeds differ', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 2, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 3, kernelSize: 3 }, { name: 'r', op: 'relu' }] };
    const body = (seed: number) => ({ spec, inputs: { x: { shape: [1, 2, 4, 4], data: randomData(32, 9) } }, seed, format: 'flat' });
    const a = await request(app.server).post('/v1/run').send(body(1)).expect(200);
    const b = await request(app.server).post('/v1/run').send(body(1)).expect(200);
    const c = await request(app.server).post('/v1/run').send(body(2)).expect(200);
    expect(a.body.outputs.map((o: { name: string }) => o.name)).toEqual(['r']);
    expect(a.body.outputs[0].data).toEqual(b.body.outputs[0].data);
    expect(a.body.outputs[0].data).not.toEqual(c.body.outputs[0].data);
  });

  it('weights from the request replace seeded ones, by <layer>.<role>', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 2] }], layers: [{ name: 'fc', op: 'flatten' }, { name: 'lin', op: 'linear', outFeatures: 1 }] };
    const res = await request(app.server)
      .post('/v1/run')
      .send({ spec, inputs: { x: { shape: [1, 1, 1, 2], data: [3, 4] } }, weights: { 'lin.weight': { shape: [1, 2], data: [10, 100] }, 'lin.bias': { shape: [1], data: [0.5] } } })
      .expect(200);
    // 3·10 + 4·100 + 0.5
    expect(res.body.outputs).toMatchObject([{ name: 'lin', data: [430.5] }]);
  });

  it('a stripped ONNX file cannot run from the file, but can from a seed', async () => {
    const stripped = readFileSync(new URL('../fixtures/onnx/unet.onnx', import.meta.url));
    const input = { shape: [1, 3, 64, 64], dtype: 'float32', base64: Buffer.alloc(3 * 64 * 64 * 4).toString('base64') };
    const fromFile = await request(app.server).post('/v1/run').attach('model', stripped, 'unet.onnx').field('request', JSON.stringify({ inputs: { input } })).expect(400);
    expect(fromFile.body.error.code).toBe('INVALID_TENSOR');
    const seeded = await request(app.server)
      .post('/v1/run')
      .attach('model', stripped, 'unet.onnx')
      .field('request', JSON.stringify({ inputs: { input }, weightInit: 'seed' }))
      .expect(200);
    expect(seeded.body.outputs).toMatchObject([{ name: 'output', shape: [1, 2, 64, 64] }]);
  });

  it('outputs in graph order and captures in request order, each named, also when names are integer-like (621 after out)', async () => {
    // x = [−1, 7]: '10' = relu(x) = [0, 7]; out = relu6('10') = [0, 6]; '621' = relu(x) = [0, 7]
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 2] }],
      layers: [{ name: '10', op: 'relu' }, { name: 'out', op: 'relu6' }, { name: '621', op: 'relu', inputs: 'x' }],
    };
    const res = await request(app.server)
      .post('/v1/run')
      .send({ spec, inputs: { x: { shape: [1, 1, 1, 2], data: [-1, 7] } }, capture: ['out', '10'], format: 'flat' })
      .expect(200);
    expect(res.body.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data])).toEqual([
      ['out', [0, 6]],
      ['621', [0, 7]],
    ]);
    expect(res.body.captured.map((o: { name: string; data: number[] }) => [o.name, o.data])).toEqual([
      ['out', [0, 6]],
      ['10', [0, 7]],
    ]);
  });

  it('unknown fields and parameters are 400 INVALID_OPTION naming them: captur, ?format, resolution with a spec, a stray file', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const inputs = { x: { shape: [1, 1, 1, 2], data: [1, 2] } };
    const field = await request(app.server).post('/v1/run').send({ spec, inputs, captur: ['r'] }).expect(400);
    expect(field.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.captur', suggestion: 'capture' });
    const query = await request(app.server).post('/v1/run?format=flat').send({ spec, inputs }).expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const resolution = await request(app.server).post('/v1/run').send({ spec, inputs, resolution: 64 }).expect(400);
    expect(resolution.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.resolution' });
    const npy = encodeNpy(tensor([1, 1, 1, 2], [1, 2]));
    const file = await request(app.server).post('/v1/run').attach('x', npy, 'x.npy').attach('weight.r', npy, 'w.npy').field('request', JSON.stringify({ spec })).expect(400);
    expect(file.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'weight.r' });
    const ok = await request(app.server).post('/v1/run').attach('x', npy, 'x.npy').field('request', JSON.stringify({ spec, format: 'json' })).expect(200);
    expect(ok.body.outputs).toMatchObject([{ name: 'r', data: [[[[1, 2]]]] }]);
  });

  it('GraphQL run and runOperator', async () => {
    const res = await request(app.server)
      .post('/graphql')
      .send({
        query: 'query($i: JSON!) { run(model: "squeezenet1_1", resolution: 64, inputs: $i, seed: 3) { outputs { name tensor { shape } } } }',
        variables: { i: { shape: [1, 3, 64, 64], data: randomData(3 * 64 * 64, 4) } },
      })
      .expect(200);
    expect(res.body.data.run.outputs).toEqual([{ name: 'flatten', tensor: { shape: [1, 1000] } }]);
  });
});

describe('names that are also properties of JavaScript objects (issue 9, defect 8)', () => {
  const t = (data: number[]) => ({ shape: [1, 2], data });

  it('/v1/run: inputs named constructor, __proto__ and toString (JSON) add up: [1, −10] + [2, 3] + [4, 5] = [7, −2], relu → [7, 0]', async () => {
    const spec = {
      name: 'names',
      inputs: ['constructor', '__proto__', 'toString'].map((name) => ({ name, shape: [1, 2] })),
      layers: [
        { name: 'sum', op: 'add', inputs: ['constructor', '__proto__', 'toString'] },
        { name: 'hasOwnProperty', op: 'relu', inputs: ['sum'] },
      ],
    };
    // written by hand: JSON.stringify of an object literal would not keep an own __proto__ key
    const inputs = `{"constructor": ${JSON.stringify(t([1, -10]))}, "__proto__": ${JSON.stringify(t([2, 3]))}, "toString": ${JSON.stringify(t([4, 5]))}}`;
    const res = await request(app.server).post('/v1/run').set('content-type', 'application/json').send(`{"spec": ${JSON.stringify(spec)}, "inputs": ${inputs}}`).expect(200);
    // flat data in, flat data out
    expect(res.body.outputs).toEqual([{ name: 'hasOwnProperty', shape: [1, 2], data: [7, 0], stats: { min: 0, max: 7, mean: 3.5, std: 3.5, nonFinite: 0 } }]);
  });

  it('/v1/run: a spec whose input is constructor and whose output layer is __proto__ answers the output by that name: relu([−1, 2]) = [0, 2]', async () => {
    const spec = { name: 'names', inputs: [{ name: 'constructor', shape: [1, 2] }], layers: [{ name: '__proto__', op: 'relu', inputs: ['constructor'] }] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { constructor: t([-1, 2]) }, capture: ['__proto__'] }).expect(200);
    expect(res.body.outputs).toEqual([{ name: '__proto__', shape: [1, 2], data: [0, 2], stats: { min: 0, max: 2, mean: 1, std: 1, nonFinite: 0 } }]);
    expect(res.body.captured.map((c: { name: string }) => c.name)).toEqual(['__proto__']);
  });

  it('/v1/operators/concat: inputs named constructor, __proto__, toString are three inputs, in the order given: [1, 2, 3]', async () => {
    const body = '{"attributes": {"dim": 0}, "inputs": {"constructor": {"shape": [1], "data": [1]}, "__proto__": {"shape": [1], "data": [2]}, "toString": {"shape": [1], "data": [3]}}}';
    const res = await request(app.server).post('/v1/operators/concat').set('content-type', 'application/json').send(body).expect(200);
    expect(res.body.outputs[0].data).toEqual([1, 2, 3]);
  });

  it('?input.constructor and ?input.__proto__ (POST /v1/analyze with an ONNX file) are input names, kept as own entries', () => {
    const query = Object.assign(Object.create(null), { 'input.constructor': '1,3,8,8', 'input.__proto__': '1,1,4,4' }) as Record<string, unknown>;
    const shapes = inputShapes(query);
    expect(Object.keys(shapes).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(shapes, '__proto__') && shapes.__proto__).toEqual([1, 1, 4, 4]);
    expect(inputShapes(Object.create(null)).toString).toBeUndefined();
  });

  it('?input given twice (?input=1,3,224,224&input=1,3,32,32): 400 INVALID_OPTION at query.input (the last silently won)', async () => {
    expect(() => inputShapes({ input: ['1,3,224,224', '1,3,32,32'] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', details: expect.objectContaining({ path: 'query.input' }) }));
    const res = await request(app.server).post('/v1/analyze?input=1,3,224,224&input=1,3,32,32').set('content-type', 'application/octet-stream').send(readFileSync(new URL('../fixtures/onnx/resnet18.onnx', import.meta.url))).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input', message: 'input is given 2 times; give each input\'s shape once' });
  });

  it('a form part named constructor (refused by the form parser): 400 INVALID_OPTION saying to send it in "request", not a 500', async () => {
    const npy = encodeNpy(tensor([2], [1, -2]));
    const res = await request(app.server).post('/v1/operators/relu').attach('constructor', npy, 'c.npy').expect(400);
    expect(res.body.error.code).toBe('INVALID_OPTION');
    expect(res.body.error.message).toContain('"request"');
  });

  it('a __proto__ key anywhere but among tensor names is still refused as prototype poisoning: 400 INVALID_JSON', async () => {
    const res = await request(app.server).post('/v1/run').set('content-type', 'application/json').send('{"model": "resnet18", "__proto__": {"polluted": true}}').expect(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('multipart forms (issue 9, defect 10)', () => {
  it('a "request" field nested 5,000 deep: 400 INVALID_JSON (the depth limit of JSON bodies), not a 500', async () => {
    const deep = '{"model": "resnet18", "inputs": {"x": {"shape": [1], "data": ' + '['.repeat(5000) + '1' + ']'.repeat(5000) + '}}}';
    const res = await request(app.server).post('/v1/run').field('request', deep).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_JSON', path: 'request' });
    expect(res.body.error.message).toContain('nests deeper than 64 levels');
  });

  it('a part without a name, and "request" given twice: 400 INVALID_OPTION; 17 fields before a file (16 allowed): 413, not a 500', async () => {
    const boundary = 'xyz';
    const part = (disposition: string, body: string) => `--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n${body}\r\n`;
    const send = (parts: string[]) => request(app.server).post('/v1/run').set('content-type', `multipart/form-data; boundary=${boundary}`).send(parts.join('') + `--${boundary}--\r\n`);
    const nameless = await send([part('form-data', '{}'), part('form-data; name="request"', '{"model": "resnet18"}')]);
    expect([nameless.status, nameless.body.error.code]).toEqual([400, 'INVALID_OPTION']);
    const twice = await send([part('form-data; name="request"', '{}'), part('form-data; name="request"', '{"model": "resnet18"}')]);
    expect([twice.status, twice.body.error.code, twice.body.error.path]).toEqual([400, 'INVALID_OPTION', 'request']);
    const many = await send([...Array.from({ length: 17 }, (_, i) => part(`form-data; name="f${i}"`, '{}')), part('form-data; name="x"; filename="x.npy"', 'abc')]);
    expect([many.status, many.body.error.code, many.body.error.path, many.body.error.limit]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'body', 16]);
    expect(many.body.error.message).toBe('the multipart form has more than 16 fields; it reads one, "request"');
    // 33 files: the limit said in words, not busboy's "reach files limit"
    const files = await send(Array.from({ length: 33 }, (_, i) => part(`form-data; name="x${i}"; filename="x${i}.npy"`, 'abc')));
    expect([files.status, files.body.error.code, files.body.error.path, files.body.error.limit]).toEqual([413, 'PAYLOAD_TOO_LARGE', 'body', 32]);
    expect(files.body.error.message).toBe('the multipart form has more than 32 file parts; a request takes at most 32 files');
  });

  it('a raw .npy body on the routes that read a network (/v1/analyze, /v1/run, /v1/erf, /v1/compare, /v1/sweep): 415 UNSUPPORTED_MEDIA_TYPE at headers.content-type, not SPEC_INVALID "the body must be a JSON object"', async () => {
    const npy = readFileSync(new URL('../../examples/input-1x3x64x64.npy', import.meta.url));
    for (const url of ['/v1/analyze', '/v1/run', '/v1/erf', '/v1/compare', '/v1/sweep']) {
      const res = await request(app.server).post(url).set('content-type', 'application/x-npy').send(npy);
      expect([url, res.status, res.body.error.code]).toEqual([url, 415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
  });

  it('a form whose Content-Type names another boundary (abc, the body uses xyz) or an empty one: 400 INCOMPLETE_BODY at headers.content-type naming it, not an empty form ("give the network") on /v1/run, /v1/erf and /v1/analyze', async () => {
    const body = `--xyz\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"model": "resnet18"}\r\n--xyz--\r\n`;
    for (const url of ['/v1/run', '/v1/erf', '/v1/analyze']) {
      const wrong = await request(app.server).post(url).set('content-type', 'multipart/form-data; boundary=abc').send(body);
      expect([wrong.status, wrong.body.error.code, wrong.body.error.path]).toEqual([400, 'INCOMPLETE_BODY', 'headers.content-type']);
      expect(wrong.body.error.message).toContain("'abc', never opens a part (a line --abc)");
      const empty = await request(app.server).post(url).set('content-type', 'multipart/form-data; boundary=').send(body);
      expect([empty.status, empty.body.error.code]).toEqual([400, 'INCOMPLETE_BODY']);
      expect(empty.body.error.message).toContain('an empty boundary');
    }
    // the boundary the body uses, its first part cut before it ends: the part's end is what is missing, at body
    const cut = await request(app.server).post('/v1/run').set('content-type', 'multipart/form-data; boundary=xyz').send('--xyz\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"model": "squeezenet1_1"');
    expect([cut.status, cut.body.error.code, cut.body.error.path]).toEqual([400, 'INCOMPLETE_BODY', 'body']);
    expect(cut.body.error.message).toContain('ended in the middle of its first part: the body opens it (--xyz)');
    // the boundary the body uses is read as before (its one part, a field, is not the ONNX file /v1/analyze reads)
    const right = await request(app.server).post('/v1/analyze').set('content-type', 'multipart/form-data; boundary=xyz').send(body);
    expect([right.status, right.body.error.code, right.body.error.path]).toEqual([400, 'INVALID_OPTION', 'request']);
  });

  it('a form cut short (no closing boundary): 400, not a 500', async () => {
    const boundary = 'xyz';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"model": "resnet18"}\r\n--${boundary}\r\nContent-Disposition: form-data; name="x"; filename="x.npy"\r\n\r\nabc`;
    const res = await request(app.server).post('/v1/run').set('content-type', `multipart/form-data; boundary=${boundary}`).send(body);
    expect(res.status).toBe(400);
  });
});

describe('large JSON bodies are parsed in a worker (over OFFLOAD_JSON_BYTES, 128 KiB): the same answers and errors as small ones', () => {
  // 300,000 numbers ≈ 2 MiB of JSON; values k/8 are exact in float32
  const n = 300_000;
  const values = Array.from({ length: n }, (_, k) => ((k % 17) - 8) / 8);
  const relu = values.map((v) => Math.max(0, v));

  it('/v1/operators/relu on a [1, 300000] tensor: y = max(0, x), nested JSON in, nested JSON out (streamed)', async () => {
    const res = await request(app.server).post('/v1/operators/relu').send({ inputs: { x: { shape: [1, n], data: [values] } } }).expect(200);
    expect(res.body.outputs[0].shape).toEqual([1, n]);
    expect(res.body.outputs[0].data).toEqual([relu]);
  });

  it('/v1/run with a spec and the same tensor; errors keep their code and path ($.inputs.x)', async () => {
    const spec = { name: 'r', inputs: [{ name: 'x', shape: [1, n] }], layers: [{ name: 'y', op: 'relu', inputs: ['x'] }] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, n], data: values } }, format: 'flat' }).expect(200);
    expect(res.body.outputs[0].data).toEqual(relu);
    const bad = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, n + 1], data: values } } }).expect(400);
    expect(bad.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.x' });
    const invalid = await request(app.server).post('/v1/run').set('content-type', 'application/json').send(`{"spec": ${JSON.stringify(spec)}, "inputs": {"x": ${JSON.stringify({ shape: [1, n], data: values })}}`).expect(400);
    expect(invalid.body.error.code).toBe('INVALID_JSON');
  });

  it('/v1/analyze with a 12,000-layer spec (~1.3 MiB): the report of the same spec analysed in a worker', async () => {
    const layers = Array.from({ length: 12_000 }, (_, i) => ({ name: `relu_number_${i}`, op: 'relu', inputs: [i === 0 ? 'x' : `relu_number_${i - 1}`] }));
    const res = await request(app.server).post('/v1/analyze').send({ name: 'deep', inputs: [{ name: 'x', shape: [1, 3, 4, 4] }], layers }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.layers).toHaveLength(12_000);
    expect(res.body.layers[11_999]).toMatchObject({ name: 'relu_number_11999', outputShape: [1, 3, 4, 4] });
  });
});
