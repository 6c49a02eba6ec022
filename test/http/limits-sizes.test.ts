/**
 * Size limits, answered from the configuration before or without running anything:
 * MAX_TENSOR_ELEMENTS at the request path of the tensor or field, MEMORY_BUDGET_BYTES's charge,
 * JSON_BODY_LIMIT and MAX_RESPONSE_BYTES. Nothing here is timed, slept on or measured, so the file
 * runs beside others (the limits raced against time are test/http/limits.test.ts, alone).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { binary, isSharedApp, sharedApp, testApp } from './app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  if (app && !isSharedApp(app)) await app.close();
  app = undefined;
});

describe('MAX_TENSOR_ELEMENTS on the operator route names the tensor, or the field an output grows from, at its request path', () => {
  const limited = sharedApp({ WORKERS: '1', MAX_TENSOR_ELEMENTS: '1000' });
  it("a conv's padded input over the limit (replicate padding 20 on [1,1,1,1]: 41×41 = 1,681 > 1,000, output [1,1,1,1]): 413 TENSOR_TOO_LARGE at $.attributes, which set its size (it was $.weights.intermediate, no such field), the message in the op's words", async () => {
    app = limited.get();
    const body = { inputs: { x: { shape: [1, 1, 1, 1], data: [1] } }, attributes: { outChannels: 1, kernelSize: 1, stride: 100, padding: 20, paddingMode: 'replicate' } };
    const rest = await request(app.server).post('/v1/operators/conv2d').send(body).expect(413);
    expect(rest.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.attributes', layer: 'conv2d', shapes: { intermediate: [1, 1, 41, 41] } });
    expect(rest.body.error.message).toContain('its input padded in paddingMode replicate');
  });

  it('a seeded weight over the limit: 413 TENSOR_TOO_LARGE at $.weights.weight over REST (JSON and a form) and GraphQL runOperator (it was at $, the whole request); an input at its own path as before', async () => {
    app = limited.get();
    const x = { shape: [1, 1, 8, 8], data: new Array(64).fill(0.5) };
    const body = { inputs: { x }, attributes: { outChannels: 64, kernelSize: 5 } };
    const rest = await request(app.server).post('/v1/operators/conv2d').send(body).expect(413);
    expect(rest.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.weights.weight', layer: 'conv2d', shapes: { weight: [64, 1, 5, 5] } });
    const form = await request(app.server).post('/v1/operators/conv2d').attach('x', encodeNpy(tensor([1, 1, 8, 8], new Array(64).fill(0.5))), 'x.npy').field('request', JSON.stringify({ attributes: body.attributes })).expect(413);
    expect(form.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.weights.weight' });
    const query = 'query($x: JSON!) { runOperator(name: "conv2d", inputs: $x, attributes: { outChannels: 64, kernelSize: 5 }) { operator } }';
    const gql = await request(app.server).post('/graphql').send({ query, variables: { x: { x } } }).expect(200);
    expect(gql.body.errors[0].extensions).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.weights.weight' });
    const input = await request(app.server).post('/v1/operators/relu').send({ inputs: { x: { shape: [2000], data: new Array(2000).fill(1) } } }).expect(413);
    expect(input.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.inputs.x' });
  });

  it('an output over the limit (upsample ×8 of 8×8 to 64×64 = 4,096 > 1,000): 413 TENSOR_TOO_LARGE at $.attributes, the field it grows from (it was at $), over JSON, a form, a raw .npy body (query.attributes) and GraphQL; layer and shape in details', async () => {
    app = limited.get();
    const x = { shape: [1, 1, 8, 8], data: new Array(64).fill(0.5) };
    const attributes = { scaleFactor: 8 };
    const rest = await request(app.server).post('/v1/operators/upsample').send({ inputs: { x }, attributes }).expect(413);
    expect(rest.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.attributes', layer: 'upsample', shapes: { output: [1, 1, 64, 64] } });
    const npy = encodeNpy(tensor([1, 1, 8, 8], new Array(64).fill(0.5)));
    const form = await request(app.server).post('/v1/operators/upsample').attach('x', npy, 'x.npy').field('request', JSON.stringify({ attributes })).expect(413);
    expect(form.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.attributes', layer: 'upsample' });
    const raw = await request(app.server).post(`/v1/operators/upsample?attributes=${encodeURIComponent(JSON.stringify(attributes))}`).set('content-type', 'application/x-npy').send(npy).expect(413);
    expect(raw.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: 'query.attributes', layer: 'upsample' });
    const query = 'query($x: JSON!) { runOperator(name: "upsample", inputs: $x, attributes: { scaleFactor: 8 }) { operator } }';
    const gql = await request(app.server).post('/graphql').send({ query, variables: { x: { x } } }).expect(200);
    expect(gql.body.errors[0].extensions).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.attributes', layer: 'upsample' });
  });

  it('an output over the limit from the inputs alone (add of [1, 40] and [40, 1] broadcast to 1,600 > 1,000, no attributes): 413 TENSOR_TOO_LARGE at $.inputs (it was at $)', async () => {
    app = limited.get();
    const a = { shape: [1, 40], data: new Array(40).fill(1) };
    const b = { shape: [40, 1], data: new Array(40).fill(2) };
    const res = await request(app.server).post('/v1/operators/add').send({ inputs: [a, b] }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.inputs', layer: 'add', shapes: { output: [40, 40] } });
  });

  it("attention's scores over a whole sequence over the limit (multiHeadAttention on [1, 40, 2], numHeads 1: 40 × 40 = 1,600 > 1,000): at $.inputs, whose tokens size them, though the call gives attributes; with a window attribute (8×4 on a [1, 2, 8, 8] map: 32 × 32 = 1,024) at $.attributes", async () => {
    app = limited.get();
    const tokens = { shape: [1, 40, 2], data: new Array(80).fill(0.5) };
    const res = await request(app.server).post('/v1/operators/multiHeadAttention').send({ inputs: [tokens], attributes: { numHeads: 1 } }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.inputs', layer: 'multiHeadAttention', shapes: { intermediate: [40, 40] } });
    const map = { shape: [1, 2, 8, 8], data: new Array(128).fill(0.5) };
    const windowed = await request(app.server).post('/v1/operators/multiHeadAttention').send({ inputs: [map], attributes: { numHeads: 1, window: [8, 4] } }).expect(413);
    expect(windowed.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.attributes', layer: 'multiHeadAttention', shapes: { intermediate: [32, 32] } });
  });

  it("the same scores over the memory budget (multiHeadAttention on [1, 2048, 8], numHeads 1: 2,048² floats = 16 MiB, MEMORY_BUDGET_BYTES 8 MiB): 413 GRAPH_TOO_LARGE at $.inputs too (it was $.attributes, the memory charge's own rule)", async () => {
    app = await testApp({ WORKERS: '1', MEMORY_BUDGET_BYTES: String(8 * 2 ** 20) });
    const tokens = { shape: [1, 2048, 8], dtype: 'float32', base64: Buffer.alloc(2048 * 8 * 4).toString('base64') };
    const res = await request(app.server).post('/v1/operators/multiHeadAttention').send({ inputs: [tokens], attributes: { numHeads: 1 } }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.inputs' });
  });

  it('a spec layer\'s output over the limit over REST /v1/run: at that layer, $.spec.layers[1] (as SPEC_INVALID names layers), with its name and shape', async () => {
    app = limited.get();
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'act', op: 'relu' }, { name: 'up', op: 'upsample', scaleFactor: 8 }] };
    const res = await request(app.server).post('/v1/run').send({ spec, inputs: { x: { shape: [1, 1, 8, 8], data: new Array(64).fill(1) } } }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', path: '$.spec.layers[1]', layer: 'up', shapes: { output: [1, 1, 64, 64] } });
  });
});

/** A relu call on n float32 values as base64 JSON (about 5.33·n bytes). */
const reluBase64 = (n: number) => JSON.stringify({ inputs: [{ shape: [n], dtype: 'float32', base64: Buffer.alloc(4 * n).toString('base64') }] });

describe('JSON bodies and text fields are bounded below V8\'s longest string (issue 9, defect 1)', () => {
  const jsonLimited = sharedApp({ JSON_BODY_LIMIT: '65536', BODY_LIMIT: String(1 << 20) });
  it('JSON_BODY_LIMIT=65536 (BODY_LIMIT 1 MiB): a 133 KB JSON body is 413 PAYLOAD_TOO_LARGE naming JSON_BODY_LIMIT; the same tensor as a .npy part runs', async () => {
    app = jsonLimited.get();
    const json = reluBase64(25_000);
    expect(json.length).toBeGreaterThan(130_000);
    const res = await request(app.server).post('/v1/operators/relu').set('content-type', 'application/json').send(json).expect(413);
    expect(res.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 65536 });
    expect(res.body.error.message).toContain('JSON_BODY_LIMIT');
    const npy = encodeNpy(tensor([25_000], new Float32Array(25_000).fill(-1)));
    const ok = await request(app.server).post('/v1/operators/relu').attach('x', npy, 'x.npy').field('request', '{"format": "base64"}').expect(200);
    expect(ok.body.outputs[0].shape).toEqual([25_000]);
    await request(app.server).get('/healthz').expect(200);
  });

  it('the "request" field of a form over JSON_BODY_LIMIT: 413 naming the field, not a string built past the limit', async () => {
    app = jsonLimited.get();
    const res = await request(app.server).post('/v1/run').field('request', reluBase64(25_000)).expect(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.body.error.message).toMatch(/"request" field.*JSON_BODY_LIMIT/);
  });
});

describe('answers are bounded before they are encoded (issue 9, defect 7)', () => {
  it('MAX_RESPONSE_BYTES=100000: relu of 10,000 values as nested JSON (up to 26 bytes each) is 413 RESPONSE_TOO_LARGE; as base64 (53 KB) and .npy (40 KB) it is answered', async () => {
    app = await testApp({ MAX_RESPONSE_BYTES: '100000' });
    const x = { shape: [100, 100], data: Array.from({ length: 100 }, () => new Array(100).fill(-0.5)) };
    const res = await request(app.server).post('/v1/operators/relu').send({ inputs: [x] }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 100_000, path: '$.format' });
    expect(res.body.error.estimate).toBeGreaterThan(10_000 * 25);
    const b64 = await request(app.server).post('/v1/operators/relu').send({ inputs: [x], format: 'base64' }).expect(200);
    expect(Buffer.from(b64.body.outputs[0].base64, 'base64')).toEqual(Buffer.alloc(40_000));
    const npy = await request(app.server).post('/v1/operators/relu').send({ inputs: [x], format: 'npy' }).buffer(true).parse(binary).expect(200);
    expect(npy.headers['content-type']).toBe('application/x-npy');
    expect(decodeNpy(npy.body, 'y', 1 << 20).data).toEqual(new Float32Array(10_000));
  });
});
