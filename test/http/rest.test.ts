import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../../src/analysis/report.js';
import { testApp } from './app.js';

const resnet18 = JSON.parse(readFileSync(new URL('../fixtures/specs/resnet18.json', import.meta.url), 'utf8'));
const tiny = {
  name: 'tiny',
  inputs: [{ name: 'x', shape: [1, 3, 32, 32] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 16, kernelSize: 3, stride: 2 },
    { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2 },
  ],
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ BODY_LIMIT: String(256 * 1024) });
});
afterAll(async () => app.close());

describe('POST /v1/analyze', () => {
  it('a spec body returns a report that validates against the published report schema', async () => {
    const res = await request(app.server).post('/v1/analyze').send(resnet18).expect(200);
    expect(ReportSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.totals.params).toBe(11_689_512);
    expect(res.body.totals.macs).toBe(1_814_073_344);
    expect(res.body.conventions).toMatchObject({ flops: '2macs', dtype: 'float32', bytesPerElement: 4 });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('{spec, options} in the body: float16 halves the bytes, macs convention equals MACs', async () => {
    const res = await request(app.server).post('/v1/analyze').send({ spec: tiny, options: { dtype: 'float16', flops: 'macs' } }).expect(200);
    const conv = res.body.layers[0];
    expect(conv.flops).toBe(conv.macs);
    expect(conv.memoryAccess.bytes).toBe(conv.memoryAccess.elements.total * 2);
    expect(res.body.layers[1].receptiveField.size).toEqual([5, 5]);
  });

  it('options as query fields: ?flops=seed&includeBias=true&dtype=int8', async () => {
    const res = await request(app.server).post('/v1/analyze?flops=seed&includeBias=true&dtype=int8').send(tiny).expect(200);
    const conv = res.body.layers[0];
    expect(res.body.conventions).toMatchObject({ flops: 'exact', includeBias: true, bytesPerElement: 1 });
    expect(conv.flops).toBe(2 * 27 * 15 * 15 * 16); // (2·K·K·M − 1)·H'W'N + H'W'N bias adds
  });

  it('a built-in model by name with a resolution', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnet18&resolution=256').expect(200);
    expect(res.body.inputs[0].shape).toEqual([1, 3, 256, 256]);
    expect(res.body.structure.resolution.finalFeatureMap).toEqual([8, 8]);
  });

  it('an invalid spec: 400 with code, JSON path, layer and shapes', async () => {
    const bad = { inputs: [{ name: 'x', shape: [1, 64, 8, 8] }], layers: [{ name: 'conv3', op: 'conv2d', outChannels: 64, kernelSize: 3, groups: 3 }] };
    const res = await request(app.server).post('/v1/analyze').send(bad).expect(400);
    expect(res.body.error).toEqual({
      code: 'INVALID_ATTRIBUTE',
      message: "layer 'conv3': groups=3 does not divide 64 input channels (input [1, 64, 8, 8])",
      path: '$.layers[0].groups',
      layer: 'conv3',
      shapes: { input: [1, 64, 8, 8] },
    });
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  });

  it('malformed JSON: 400 INVALID_JSON', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('{"inputs": [').expect(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
  });

  it('JSON nested deeper than 64 levels: 400 INVALID_JSON, not a stack overflow', async () => {
    const deep = '{"inputs": [{"shape": [1], "data": ' + '['.repeat(100_000) + '1' + ']'.repeat(100_000) + '}]}';
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send(deep).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_JSON', message: 'the body nests deeper than 64 levels' });
  });

  it('a __proto__ key (prototype poisoning): 400 INVALID_JSON', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('{"__proto__": {"polluted": true}, "inputs": []}').expect(400);
    expect(res.body.error.code).toBe('INVALID_JSON');
  });

  it('an empty body: 400', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('');
    expect(res.status).toBe(400);
  });

  it('a bad option: 400 INVALID_OPTION with its path', async () => {
    const res = await request(app.server).post('/v1/analyze?dtype=float64').send(tiny).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.dtype' });
    const body = await request(app.server).post('/v1/analyze').send({ spec: tiny, options: { flops: 'lots' } }).expect(400);
    expect(body.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.flops' });
  });

  it('unknown keys are named, never ignored: ?resolutoin=, { spec, optoins }, { model, resoluton }, options.flop', async () => {
    const query = await request(app.server).post('/v1/analyze?model=resnet18&resolutoin=320').expect(400);
    expect(query.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.resolutoin', suggestion: 'resolution' });
    const top = await request(app.server).post('/v1/analyze').send({ spec: tiny, optoins: { dtype: 'int8' } }).expect(400);
    expect(top.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.optoins', suggestion: 'options' });
    expect(top.body.error.message).toContain("did you mean 'options'?");
    const model = await request(app.server).post('/v1/analyze').send({ model: 'resnet18', resoluton: 64 }).expect(400);
    expect(model.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.resoluton', suggestion: 'resolution' });
    const misspeltModel = await request(app.server).post('/v1/analyze').send({ modle: 'resnet18' }).expect(400);
    expect(misspeltModel.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.modle', suggestion: 'model' });
    const inside = await request(app.server).post('/v1/analyze').send({ spec: tiny, options: { flop: 'macs' } }).expect(400);
    expect(inside.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.options.flop', suggestion: 'flops' });
    const models = await request(app.server).get('/v1/models/vgg16?resolutoin=32').expect(400);
    expect(models.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.resolutoin', suggestion: 'resolution' });
  });

  it('parameters this form of request does not read are 400, not ignored: ?resolution without a model, ?input with a spec, options twice, ?model with a body', async () => {
    const res = await request(app.server).post('/v1/analyze?resolution=64').send(tiny).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.resolution' });
    const input = await request(app.server).post('/v1/analyze?input.x=1,3,8,8').send(tiny).expect(400);
    expect(input.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.input.x' });
    const twice = await request(app.server).post('/v1/analyze?dtype=int8').send({ spec: tiny, options: { flops: 'macs' } }).expect(400);
    expect(twice.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.dtype' });
    const bodyResolution = await request(app.server).post('/v1/analyze').send({ spec: tiny, resolution: 64 }).expect(400);
    expect(bodyResolution.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.resolution' });
    const both = await request(app.server).post('/v1/analyze?model=resnet18').send(tiny).expect(400);
    expect(both.body.error).toMatchObject({ code: 'SPEC_INVALID', path: '$' });
  });

  it('a bare spec with query options, and { model, resolution, options } in the body, still analyse', async () => {
    const bare = await request(app.server).post('/v1/analyze?dtype=float16').send(tiny).expect(200);
    expect(bare.body.conventions.bytesPerElement).toBe(2);
    const wrapped = await request(app.server).post('/v1/analyze').send({ model: 'resnet18', resolution: 64, options: { flops: 'macs' } }).expect(200);
    expect(wrapped.body.inputs[0].shape).toEqual([1, 3, 64, 64]);
    expect(wrapped.body.totals.flops).toBe(wrapped.body.totals.macs);
  });

  it('an unknown model: 404 UNKNOWN_MODEL at its place, with the closest name (resnt50 → resnet50) as jobs and reports give it', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnt50').expect(404);
    expect(res.body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: 'query.model', suggestion: 'resnet50' });
    expect(res.body.error.message).toMatch(/^no built-in model 'resnt50' \(did you mean 'resnet50'\?\)/);
    const body = await request(app.server).post('/v1/analyze').send({ model: 'resnt50' }).expect(404);
    expect(body.body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: '$.model', suggestion: 'resnet50' });
    const spec = await request(app.server).get('/v1/models/resnt50').expect(404);
    expect(spec.body.error).toMatchObject({ code: 'UNKNOWN_MODEL', path: 'name', suggestion: 'resnet50' });
  });

  it('a body over the limit: 413 PAYLOAD_TOO_LARGE', async () => {
    const huge = { ...tiny, description: 'x'.repeat(300 * 1024) };
    const res = await request(app.server).post('/v1/analyze').send(huge).expect(413);
    expect(res.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', path: 'body' });
  });

  it('an unsupported content type: 415 at headers.content-type, naming the type sent and the ones read', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'text/plain').send('conv2d').expect(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
    expect(res.body.error.message).toMatch(/^the content type 'text\/plain' is not read here; send application\/json, application\/octet-stream \(an ONNX file\), application\/x-npy/);
  });

  it('a JSON null body: 400 SPEC_INVALID at $ saying it was null (not empty)', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('null').expect(400);
    expect(res.body.error).toMatchObject({ code: 'SPEC_INVALID', path: '$', message: 'the body must be a network spec, { spec, options } or { model, resolution }; it was null' });
  });

  it('an empty body sent as JSON: 400 INVALID_JSON at $', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/json').send('').expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_JSON', path: '$', message: 'the body is empty; send a JSON object' });
  });

  it('?model with an empty body sent as JSON (Swagger UI\'s "Try it out" with the body cleared): no body, 200 (was 400 INVALID_JSON)', async () => {
    const res = await request(app.server).post('/v1/analyze?model=resnet18').set('content-type', 'application/json').send('').expect(200);
    expect(res.body.totals.params).toBe(11_689_512);
  });

  it('concurrent requests are all answered', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => request(app.server).post('/v1/analyze?model=mobilenet_v2')));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(new Set(results.map((r) => r.body.totals.params))).toEqual(new Set([3_504_872]));
  });
});

describe('other routes', () => {
  it('GET /healthz', async () => {
    const res = await request(app.server).get('/healthz').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', workers: 2 });
  });

  it('GET /v1/schema/network and /v1/schema/report serve the committed JSON Schemas', async () => {
    const net = await request(app.server).get('/v1/schema/network').expect(200);
    expect(net.body).toEqual(JSON.parse(readFileSync(new URL('../../schema/network.schema.json', import.meta.url), 'utf8')));
    const rep = await request(app.server).get('/v1/schema/report').expect(200);
    expect(rep.body).toEqual(JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')));
  });

  it('GET /v1/models lists the zoo; GET /v1/models/:name returns a spec', async () => {
    const list = await request(app.server).get('/v1/models').expect(200);
    expect(list.body.models.map((m: { name: string }) => m.name)).toContain('resnet50');
    const spec = await request(app.server).get('/v1/models/vgg16?resolution=32').expect(200);
    expect(spec.body.inputs[0].shape).toEqual([1, 3, 32, 32]);
    await request(app.server).get('/v1/models/nope').expect(404);
  });

  it('GET /v1/operators: every op with its PyTorch equivalent and attribute schema', async () => {
    const res = await request(app.server).get('/v1/operators').expect(200);
    const conv = res.body.operators.find((o: { name: string }) => o.name === 'conv2d');
    expect(conv).toMatchObject({ pytorch: 'torch.nn.Conv2d', inputs: ['x'] });
    expect(conv.attributes.properties.groups.default).toBe(1);
  });

  // found by a hunt: an id of 201 characters echoed the whole path (5,000+ characters) as the message and the path
  it.each([
    ['/v1/jobs/' + 'a'.repeat(201), 'id', 201],
    ['/v1/jobs/' + 'a'.repeat(5000) + '/results', 'id', 5000],
    ['/v1/models/' + 'c'.repeat(250), 'name', 250],
  ])('a path segment over 200 characters: 404 NOT_FOUND at the parameter it stands in, the segment cut to 40 (%#)', async (url, param, length) => {
    const res = await request(app.server).get(url).expect(404);
    const shown = url.replace(/([ac])\1{200,}/, (run) => `${run.slice(0, 40)}… (${length} characters)`);
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: `no route GET ${shown}: its ${param} is over 200 characters, longer than any name or id here`, path: param });
  });

  it('an unknown route: 404 NOT_FOUND in the error format, with no suggestion when no route is near', async () => {
    const res = await request(app.server).get('/v2/whatever').expect(404);
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message: 'no route GET /v2/whatever', path: '/v2/whatever' });
  });

  it.each([
    ['post', '/v1/analyse?model=resnet18', '/v1/analyze', 'no route POST /v1/analyse (did you mean POST /v1/analyze?)'],
    ['post', '/v1/analyze/?model=resnet18', '/v1/analyze', 'no route POST /v1/analyze/ (did you mean POST /v1/analyze?)'],
    ['get', '/v1/model/resnet50', '/v1/models/resnet50', 'no route GET /v1/model/resnet50 (did you mean GET /v1/models/resnet50?)'],
    ['get', '/health', '/healthz', 'no route GET /health (did you mean GET /healthz?)'],
    ['post', '/v1/model', '/v1/models', 'no route POST /v1/model (did you mean /v1/models? it answers GET, HEAD)'],
  ] as const)("a route a typo away (%s %s): 404 NOT_FOUND naming it in the message and `suggestion` (it said only 'no route')", async (method, url, suggestion, message) => {
    const res = await request(app.server)[method](url).expect(404);
    expect(res.body.error).toEqual({ code: 'NOT_FOUND', message, path: url.split('?')[0], suggestion });
  });
});

describe('routes that read no query parameter', () => {
  it.each([
    ['GET', '/v1/models?x=1', 'x'],
    ['GET', '/v1/operators?verbose=true', 'verbose'],
    ['GET', '/v1/devices?kind=gpu', 'kind'],
    ['GET', '/v1/conventions?x', 'x'],
    ['GET', '/v1/schema/report?v=2', 'v'],
    ['GET', '/v1/jobs/00000000-0000-4000-8000-000000000000?wait=1', 'wait'],
    ['DELETE', '/v1/jobs/00000000-0000-4000-8000-000000000000?force=1', 'force'],
  ])('%s %s: 400 INVALID_OPTION at query.<key> (it was ignored)', async (method, url, key) => {
    const res = await request(app.server)[method === 'GET' ? 'get' : 'delete'](url).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: `query.${key}` });
  });

  it('POST /v1/jobs?x=1 with a body: 400 at query.x, and nothing is queued; without the query it is accepted (202)', async () => {
    const refused = await request(app.server).post('/v1/jobs?x=1').send({ kind: 'analyze', model: 'resnet18' }).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_OPTION', path: 'query.x' });
    await request(app.server).post('/v1/jobs').send({ kind: 'analyze', model: 'resnet18' }).expect(202);
    // the probes take whatever a monitor appends
    await request(app.server).get('/healthz?probe=1').expect(200);
  });
});

