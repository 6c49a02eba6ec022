/** POST /v1/run, names that are JavaScript object properties, multipart forms and large JSON bodies (split from compute.test.ts). */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { inputShapes } from '../../src/http/rest.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ MAX_TENSOR_ELEMENTS: String(1 << 22) });
});
afterAll(async () => app.close());

const randomData = (n: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => r() * 2 - 1);
};


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

  it('unknown fields and parameters are 400 naming them: captur, ?format, resolution with a spec (INVALID_OPTION); a stray file, an input by its name (INVALID_TENSOR)', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 2] }], layers: [{ name: 'r', op: 'relu' }] };
    const inputs = { x: { shape: [1, 1, 1, 2], data: [1, 2] } };
    const field = await request(app.server).post('/v1/run').send({ spec, inputs, captur: ['r'] }).expect(400);
    expect(field.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.captur', suggestion: 'capture' });
    const query = await request(app.server).post('/v1/run?format=flat').send({ spec, inputs }).expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.format' });
    const resolution = await request(app.server).post('/v1/run').send({ spec, inputs, resolution: 64 }).expect(400);
    expect(resolution.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.resolution' });
    const npy = encodeNpy(tensor([1, 1, 1, 2], [1, 2]));
    // a part is an input by its name, dots and all (input.1), unless it is weights.<…> or model: 'weight.r' is no input of the spec
    const file = await request(app.server).post('/v1/run').attach('x', npy, 'x.npy').attach('weight.r', npy, 'w.npy').field('request', JSON.stringify({ spec })).expect(400);
    expect(file.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs["weight.r"]' });
    expect(file.body.error.message).toContain("no input 'weight.r'");
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

  it('/v1/operators/concat: inputs named constructor, __proto__, toString are names concat lacks (its inputs are a, b, then positions): 400 INVALID_TENSOR at $.inputs.constructor (since 2026-12-04; they were three inputs in the order given); by position "0", "1", "2" they are [1, 2, 3]', async () => {
    const body = '{"attributes": {"dim": 0}, "inputs": {"constructor": {"shape": [1], "data": [1]}, "__proto__": {"shape": [1], "data": [2]}, "toString": {"shape": [1], "data": [3]}}}';
    const res = await request(app.server).post('/v1/operators/concat').set('content-type', 'application/json').send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.constructor' });
    const positions = '{"attributes": {"dim": 0}, "inputs": {"2": {"shape": [1], "data": [3]}, "0": {"shape": [1], "data": [1]}, "1": {"shape": [1], "data": [2]}}}';
    const ok = await request(app.server).post('/v1/operators/concat').set('content-type', 'application/json').send(positions).expect(200);
    expect(ok.body.outputs[0].data).toEqual([1, 2, 3]);
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
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input', message: 'query.input is given 2 times; give each input\'s shape once' });
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
