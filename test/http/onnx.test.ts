import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxModel } from '../graph/onnx-builder.js';
import { testApp } from './app.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url));
const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/truth.json', import.meta.url), 'utf8'));

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ BODY_LIMIT: String(150 * 1024) });
});
afterAll(async () => app.close());

describe('POST /v1/analyze with an ONNX file', () => {
  it('application/octet-stream body: the same report as for a spec, with the ONNX source', async () => {
    const res = await request(app.server).post('/v1/analyze?flops=macs').set('content-type', 'application/octet-stream').send(fixture('mobilenet_v2')).expect(200);
    expect(res.body.source).toMatchObject({ format: 'onnx', opset: 11, producer: 'pytorch 1.13.0' });
    expect(res.body.totals).toMatchObject({ params: truth.models.mobilenet_v2.params, macs: truth.models.mobilenet_v2.macs, complete: true });
    expect(res.body.conventions.flops).toBe('macs');
  });

  it('an input of ONNX type STRING (8): 400 UNSUPPORTED_DTYPE at $.graph.input[0] on /v1/analyze and /v1/run (it was analysed and run as float32)', async () => {
    const bytes = Buffer.from(onnxModel({ inputs: [{ name: 'x', shape: [1, 3, 4, 4], elemType: 8 }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }));
    const analyzed = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(bytes).expect(400);
    expect(analyzed.body.error).toMatchObject({ code: 'UNSUPPORTED_DTYPE', path: '$.graph.input[0]', input: 'x', elemType: 8 });
    const run = await request(app.server).post('/v1/run').send({ onnxBase64: bytes.toString('base64'), inputs: { x: { shape: [1, 3, 4, 4], data: Array(48).fill(1) } } }).expect(400);
    expect(run.body.error).toMatchObject({ code: 'UNSUPPORTED_DTYPE', path: '$.graph.input[0]' });
  });

  it('multipart upload (curl -F) with dynamic dims from ?input=', async () => {
    const res = await request(app.server).post('/v1/analyze?input=1,3,224,224').attach('model', fixture('resnet18'), 'resnet18.onnx').expect(200);
    expect(res.body.totals.macs).toBe(truth.models.resnet18.macs);
    expect(res.body.inputs).toEqual([{ name: 'input', shape: [1, 3, 224, 224] }]);
  });

  it.each([
    ['a "request" field (options go in the query)', (r: request.Test) => r.field('request', JSON.stringify({ options: { dtype: 'float16' } })), 'request', "form field 'request' not read"],
    ['a stray field', (r: request.Test) => r.field('bogus', '1'), 'bogus', "form field 'bogus' not read"],
    ['a second file', (r: request.Test) => r.attach('other', Buffer.from('x'), 'x.onnx'), 'other', "a second file part 'other' (after 'model') not read"],
  ])('a multipart upload with %s: 400 INVALID_OPTION naming it, never ignored', async (_, add, path, says) => {
    const res = await add(request(app.server).post('/v1/analyze?input=1,3,224,224').attach('model', fixture('resnet18'), 'resnet18.onnx')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path });
    expect(res.body.error.message).toContain(says);
  });

  it.each([
    ['no name at all', 'form-data; filename="m.onnx"'],
    ['an empty name', 'form-data; name=""; filename="m.onnx"'],
    ['a field with no name', 'form-data'],
  ])('a multipart part with %s: 400 INVALID_OPTION at body (not a field named undefined, nor a file taken)', async (_, disposition) => {
    const body = Buffer.concat([Buffer.from(`--B\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`), fixture('mobilenet_v2'), Buffer.from('\r\n--B--\r\n')]);
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'multipart/form-data; boundary=B').send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'body', message: 'a form part has no name: each needs Content-Disposition: form-data; name="…"' });
  });

  it('per-name input shapes: ?input.input=1,3,64,64; a fixed dimension cannot be overridden', async () => {
    const res = await request(app.server).post('/v1/analyze?input.input=1,3,64,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(200);
    expect(res.body.structure.resolution.finalFeatureMap).toEqual([2, 2]);
    const fixed = await request(app.server).post('/v1/analyze?input.input=2,3,64,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(fixed.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', input: 'input', dimension: 0 });
  });

  it('an input shape for a name the file has no input of (the input is "input"): 400 INVALID_OPTION at that key, with the closest name, on every surface that takes names', async () => {
    const upload = await request(app.server).post('/v1/analyze?input.inptu=1,3,64,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(upload.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input.inptu', input: 'inptu', suggestion: 'input' });
    expect(upload.body.error.message).toBe("inputShapes names 'inptu', which is not an input of this model (did you mean 'input'?); its inputs: 'input'");
    const f = fixture('resnet18').toString('base64');
    const json = await request(app.server).post('/v1/sweep').send({ onnxBase64: f, inputShapes: { input: [1, 3, 64, 64], 'in put': [1, 3, 64, 64] }, sizes: [64] }).expect(400);
    expect(json.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.inputShapes["in put"]' });
    const graphql = await request(app.server)
      .post('/graphql')
      .send({ query: 'query($f: String, $s: JSON) { analyze(onnxBase64: $f, inputShapes: $s) { name } }', variables: { f, s: { inptu: [1, 3, 64, 64] } } });
    expect(graphql.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.inputShapes.inptu' });
    const compare = await request(app.server).post('/v1/compare').send({ old: 'resnet18', new: { onnxBase64: f, inputShapes: { inptu: [1, 3, 64, 64] } } }).expect(400);
    expect(compare.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.new.inputShapes.inptu' });
    const compareQuery = await request(app.server).post('/v1/compare?input.inptu=1,3,64,64').send({ old: { onnxBase64: f }, new: 'resnet18' }).expect(400);
    expect(compareQuery.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input.inptu' });
    // the first input's own name and "" (?input=) are read as before
    await request(app.server).post('/v1/sweep').send({ onnxBase64: f, inputShapes: { input: [1, 3, 64, 64] }, sizes: [64] }).expect(200);
  });

  it('a missing dynamic dimension: 400 MISSING_DIMENSION naming the input and dimension', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'MISSING_DIMENSION', input: 'input', dimension: 2, dimParam: 'height' });
    // every surface's way to give it: the import is the same for REST, GraphQL, jobs and the CLI
    expect(res.body.error.message).toBe(
      "input 'input' dimension 2 ('height') is dynamic; give the input's shape with each N filled in: REST ?input=1,3,N,N or ?input.input=1,3,N,N; JSON bodies and GraphQL: inputShapes { \"input\": [1,3,N,N] } (an ERF's: inputShape [1,3,N,N]); the command line: --input 1,3,N,N (convlens erf: --input-shape 1,3,N,N)",
    );
  });

  it.each([
    ['truncated', () => fixture('unet').subarray(0, 300)],
    ['not ONNX', () => Buffer.from('GIF89a this is an image, not a model')],
  ])('%s: 400 ONNX_INVALID at body (the file is the body), or at the form part holding it', async (_, bytes) => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(bytes()).expect(400);
    expect(res.body.error).toMatchObject({ code: 'ONNX_INVALID', path: 'body' });
    const form = await request(app.server).post('/v1/analyze').attach('net', bytes(), 'net.onnx').expect(400);
    expect(form.body.error).toMatchObject({ code: 'ONNX_INVALID', path: 'net' });
    const inputs = { x: { shape: [1], data: [0] } };
    const run = await request(app.server).post('/v1/run').field('request', JSON.stringify({ inputs })).attach('model', bytes(), 'net.onnx').expect(400);
    expect(run.body.error).toMatchObject({ code: 'ONNX_INVALID', path: 'model' });
    const b64 = await request(app.server).post('/v1/run').send({ onnxBase64: bytes().toString('base64'), inputs }).expect(400);
    expect(b64.body.error).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64' });
  });

  it('an empty body: 400 ONNX_INVALID', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(Buffer.alloc(0)).expect(400);
    expect(res.body.error.code).toBe('ONNX_INVALID');
  });

  it.each([
    ['a spec', '{ "inputs": [{ "name": "x", "shape": [1, 3, 8, 8] }], "layers": [{ "name": "c", "op": "conv2d", "outChannels": 4, "kernelSize": 3 }] }'],
    ['a JSON array after a BOM and blanks', '\uFEFF \n [1, 2, 3]'],
  ])('%s sent as the ONNX file part: 400 ONNX_INVALID at the part, saying it reads as JSON and where a spec goes (it said only "index out of range")', async (_, text) => {
    const res = await request(app.server).post('/v1/analyze').attach('model', Buffer.from(text), { filename: 'net.json', contentType: 'application/json' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'ONNX_INVALID', path: 'model' });
    expect(res.body.error.message).toContain('it reads as JSON text: a network spec goes in a JSON body (Content-Type: application/json');
    const gif = await request(app.server).post('/v1/analyze').attach('model', Buffer.from('GIF89a not a model'), 'net.onnx').expect(400);
    expect(gif.body.error.message).not.toContain('JSON');
  });

  it('a file over the body limit: 413, raw or multipart', async () => {
    const big = Buffer.concat([fixture('shufflenet_v2_x1_0'), Buffer.alloc(60 * 1024)]);
    expect((await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(big)).status).toBe(413);
    expect((await request(app.server).post('/v1/analyze').attach('model', big, 'big.onnx')).status).toBe(413);
  });

  it('a malformed ?input: 400 INVALID_OPTION', async () => {
    const res = await request(app.server).post('/v1/analyze?input=1,3,x,224').set('content-type', 'application/octet-stream').send(fixture('unet')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input' });
  });

  it('?input dimensions are decimal digits: 1e2, +64, 0x40 and 64.0 are 400 INVALID_OPTION at query.input naming the text (Number() read them as 100, 64, 64 and 64 and the analysis ran)', async () => {
    for (const spelt of ['1,3,1e2,64', '1,3,+64,64', '1,3,0x40,64', '1,3,64.0,64']) {
      const res = await request(app.server).post(`/v1/analyze?input=${encodeURIComponent(spelt)}`).set('content-type', 'application/octet-stream').send(fixture('resnet18'));
      expect(res.status, spelt).toBe(400);
      expect(res.body.error, spelt).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input' });
      expect(res.body.error.message, spelt).toContain(JSON.stringify(spelt));
    }
    const named = await request(app.server).post('/v1/analyze?input.input=1,3,1e2,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(named.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input.input' });
  });

  it('?input spelt as --input takes it: 1x3x64x64, 1X3X64X64, 1×3×64×64 and spaces around the commas are 1,3,64,64 (the capital X was a 400, though the README says a dimension is written as --input takes it)', async () => {
    const want = await request(app.server).post('/v1/analyze?input=1,3,64,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(200);
    for (const spelt of ['1x3x64x64', '1X3X64X64', '1×3×64×64', ' 1, 3 ,64 , 64 ']) {
      const res = await request(app.server).post(`/v1/analyze?input=${encodeURIComponent(spelt)}`).set('content-type', 'application/octet-stream').send(fixture('resnet18'));
      expect([spelt, res.status]).toEqual([spelt, 200]);
      expect(res.body.totals, spelt).toEqual(want.body.totals);
      expect(res.body.inputs, spelt).toEqual(want.body.inputs);
    }
  });

  it('?input past 2^53 − 1 is 400 INVALID_OPTION at query.input, as the CLI\'s --input says (9007199254740993 was read as ...992 and the error quoted a number not given)', async () => {
    const res = await request(app.server).post('/v1/analyze?input=1,3,9007199254740993,64').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input' });
    expect(res.body.error.message).toContain('"1,3,9007199254740993,64"');
    expect(res.body.error.message).not.toContain('9007199254740992');
  });

  it('?input whose shape has more than 2^53 elements: SIZE_TOO_LARGE at query.input, the file\'s input as modelPath (it was at $.graph.input[0])', async () => {
    const res = await request(app.server).post('/v1/analyze?input=1,3,1000000000000000,1000000000000000').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SIZE_TOO_LARGE', path: 'query.input', modelPath: '$.graph.input[0]', input: 'input' });
  });
});

describe('PyTorch exports are all named torch_jit: a file part is named by its filename, as the CLI names a file', () => {
  it("analyze -F model=@nets/resnet18.onnx: the report is named resnet18 (it was torch_jit); the same bytes as a body without a filename keep torch_jit", async () => {
    const form = await request(app.server).post('/v1/analyze?input=1,3,224,224').attach('model', fixture('resnet18'), 'nets/resnet18.onnx').expect(200);
    expect(form.body.name).toBe('resnet18');
    const body = await request(app.server).post('/v1/analyze?input=1,3,224,224').set('content-type', 'application/octet-stream').send(fixture('resnet18')).expect(200);
    expect(body.body.name).toBe('torch_jit');
  });

  it('compare -F old=@resnet18.onnx -F new=@resnet18_folded.onnx: the Markdown title reads `resnet18` → `resnet18_folded` (it was `torch_jit` → `torch_jit`)', async () => {
    const res = await request(app.server)
      .post('/v1/compare?format=md&input=1,3,224,224')
      .field('request', '{}')
      .attach('old', fixture('resnet18'), 'resnet18.onnx')
      .attach('new', fixture('resnet18_folded'), 'resnet18_folded.onnx')
      .expect(200);
    expect(res.text.split('\n')[0]).toBe('## convlens: `resnet18` → `resnet18_folded`');
  });

  it('sweep -F model=@resnet18.onnx: the sweep is named resnet18', async () => {
    const res = await request(app.server).post('/v1/sweep').field('request', JSON.stringify({ inputShapes: { input: [1, 3, 64, 64] }, sizes: [64] })).attach('model', fixture('resnet18'), 'resnet18.onnx');
    expect(res.status, res.text).toBe(200);
    expect(res.body.name).toBe('resnet18');
  });
});

describe('GraphQL with an ONNX file in base64', () => {
  it('analyze(onnxBase64, inputShapes)', async () => {
    const res = await request(app.server)
      .post('/graphql')
      .send({
        query: 'query($f: String, $s: JSON) { analyze(onnxBase64: $f, inputShapes: $s) { source { format opset } totals { params macs } layers { name sourceOpType } } }',
        variables: { f: fixture('unet').toString('base64'), s: { input: [1, 3, 64, 64] } },
      })
      .expect(200);
    const a = res.body.data.analyze;
    expect(a.source).toEqual({ format: 'onnx', opset: 13 });
    expect(a.totals).toEqual({ params: truth.models.unet.params, macs: truth.models.unet.macs });
    expect(a.layers.some((l: { sourceOpType: string }) => l.sourceOpType === 'ConvTranspose')).toBe(true);
  });

  it('a bad file: the error carries ONNX_INVALID at $.onnxBase64', async () => {
    const res = await request(app.server).post('/graphql').send({ query: '{ analyze(onnxBase64: "bm90IG9ubng=") { name } }' });
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'ONNX_INVALID', path: '$.onnxBase64' });
  });
});

// found by a hunt: PyTorch's exporter at opset 9 writes MaxPool2d(3, 2, ceil_mode=True) as pads [0, 0, 2, 2], which
// PyTorch's half-kernel rule refused (GoogLeNet's opset-9 file); ONNX allows any pads whose windows each cover the input
describe('an ONNX MaxPool with pads [0, 0, 2, 2] (kernel 3, stride 2), as opset 9 writes ceil mode', () => {
  const pool = (pads: number[]) =>
    Buffer.from(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
        outputs: ['y'],
        nodes: [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'mp', attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: pads } } }],
        opset: 9,
      }),
    ).toString('base64');

  it('runs as ceil mode: a 6×6 ramp (x = 6i + j) gives rows and columns {2, 4, 5} → [[14, 16, 17], [26, 28, 29], [32, 34, 35]]', async () => {
    const ramp = Array.from({ length: 36 }, (_, i) => i);
    const res = await request(app.server).post('/v1/run').send({ onnxBase64: pool([0, 0, 2, 2]), inputs: { x: { shape: [1, 1, 6, 6], data: ramp } }, format: 'flat' }).expect(200);
    expect(res.body.outputs[0]).toMatchObject({ shape: [1, 1, 3, 3], data: [14, 16, 17, 26, 28, 29, 32, 34, 35] });
  });

  // a review asked for the average pool's divisors beside the large pads, worked by hand on the ramp x = 6i + j
  it.each([
    // count_include_pad 0: the mean over the window's input rows {0,1,2}, {2,3,4}, {4,5} (means 1, 3, 4.5) and the same columns: 6·row + column
    [0, [7, 9, 10.5, 19, 21, 22.5, 28, 30, 31.5]],
    // count_include_pad 1: ÷ 9 always; the last window's padded row or column adds 0 ((r2, c2): (28 + 29 + 34 + 35) / 9 = 14)
    [1, [7, 9, 7, 19, 21, 15, 56 / 3, 20, 14]],
  ])('AveragePool with the same pads, count_include_pad %i: %j', async (include, expected) => {
    const onnx = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 6, 6] }],
      outputs: ['y'],
      nodes: [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], name: 'ap', attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 2, 2] }, count_include_pad: { i: include } } }],
      opset: 9,
    });
    const ramp = Array.from({ length: 36 }, (_, i) => i);
    const res = await request(app.server).post('/v1/run').send({ onnxBase64: Buffer.from(onnx).toString('base64'), inputs: { x: { shape: [1, 1, 6, 6], data: ramp } }, format: 'flat' }).expect(200);
    expect(res.body.outputs[0].shape).toEqual([1, 1, 3, 3]);
    (res.body.outputs[0].data as number[]).forEach((v, i) => expect(v, `y[${i}]`).toBeCloseTo(expected[i], 5));
  });

  it('pads whose last window reads only padding (end pads 4: window 3 starts at 6 of 6) are INVALID_ATTRIBUTE naming the window', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(Buffer.from(pool([0, 0, 4, 4]), 'base64')).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE', layer: 'mp' });
    expect(res.body.error.message).toContain('window 3 along spatial axis 0 reads only padding (input 6, kernel 3, stride 2, pads 0 and 4)');
  });
});
