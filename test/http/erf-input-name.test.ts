/**
 * inputName over HTTP: POST /v1/erf and GraphQL's effectiveReceptiveField measure the ERF at the
 * named input of a two-input spec (test/fixtures/erf/two-streams.json: rgb through a 3×3 conv, depth
 * through a 3×3 conv of dilation 2, added), hand-worked: the sum's centre unit (4, 4) has
 * ∂/∂rgb[3 + u, 3 + v] = ca.weight[u, v] and ∂/∂depth[2 + 2u, 2 + 2v] = cb.weight[u, v]. A name the
 * network has no input for is 400 INVALID_OPTION at $.inputName, its inputs listed.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErfResponse } from '../../src/http/openapi-erf.js';
import { testApp } from './app.js';
import { WA, WB, depthGradient, rgbGradient, twoStreams } from '../runtime/two-streams.js';
import * as twoDynamic from '../runtime/two-dynamic.js';
import { onnxModel } from '../graph/onnx-builder.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const spec = twoStreams;
const weights = { 'ca.weight': { shape: [1, 1, 3, 3], data: WA }, 'cb.weight': { shape: [1, 1, 3, 3], data: WB } };
const inputs = { rgb: { shape: [1, 1, 9, 9], data: new Array(81).fill(1) }, depth: { shape: [1, 1, 9, 9], data: new Array(81).fill(2) } };

const UNKNOWN = "the network has no input 'dpeth' (did you mean 'depth'?); its inputs are 'rgb' [1, 1, 9, 9], 'depth' [1, 1, 9, 9]";

describe('POST /v1/erf inputName', () => {
  const erf = (body: Record<string, unknown>) => request(app.server).post('/v1/erf').send({ spec, weights, format: 'flat', heatmap: false, ...body });

  it('given inputs: without inputName the first input (rgb, ca.weight at rows and columns 3…5); inputName depth: cb.weight at the even rows and columns 2…6', async () => {
    const first = await erf({ inputs }).expect(200);
    expect(first.body.input).toEqual({ name: 'rgb', mode: 'given', samples: 1 });
    expect(first.body.gradient.data).toEqual(rgbGradient);
    const second = await erf({ inputs, inputName: 'depth' }).expect(200);
    expect(ErfResponse.safeParse(second.body).success).toBe(true);
    expect(second.body).toMatchObject({ layer: 'sum', unit: { position: [4, 4] }, input: { name: 'depth', mode: 'given', samples: 1 } });
    expect(second.body.gradient.data).toEqual(depthGradient);
    expect(second.body.statistics.support).toEqual({ box: { top: 2, left: 2, bottom: 6, right: 6 }, pixels: 9, insideTheoretical: true });
  });

  it('random inputs on the two-input network: mean |gradient| over 2 samples is |cb.weight| placed (a linear net)', async () => {
    const res = await erf({ inputName: 'depth', samples: 2 }).expect(200);
    expect(res.body.input).toEqual({ name: 'depth', mode: 'random', samples: 2 });
    expect(res.body.gradient).toMatchObject({ name: 'meanAbsGradient', data: depthGradient.map(Math.abs) });
  });

  it('an unknown name: 400 INVALID_OPTION at $.inputName listing the inputs; an empty one at $.inputName too', async () => {
    const res = await erf({ inputs, inputName: 'dpeth' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.inputName', message: UNKNOWN, suggestion: 'depth' });
    const empty = await erf({ inputs, inputName: '' }).expect(400);
    expect(empty.body.error).toMatchObject({ path: '$.inputName' });
  });
});

describe('POST /v1/erf: given tensors size each dynamic input of an ONNX file, as a run\'s do', () => {
  // test/runtime/two-dynamic.ts: at a 5×5 a, wa placed on rows and columns 1…3; at b, wb
  const onnxBase64 = Buffer.from(twoDynamic.twoDynamicOnnx()).toString('base64');
  const five = (v: number) => ({ shape: [1, 1, 5, 5], data: new Array(25).fill(v) });
  const erf = (body: Record<string, unknown>) => request(app.server).post('/v1/erf').send({ onnxBase64, position: [1, 1], stages: false, heatmap: false, format: 'flat', ...body });

  it('a and b [1, 1, 5, 5] (both dims dynamic; one tensor sized only the first before): the sum 3×3, at a wa placed on rows and columns 1…3, at b wb', async () => {
    const at = await erf({ inputs: { a: five(1), b: five(2) } }).expect(200);
    expect(at.body).toMatchObject({ layer: 'add', shape: [1, 1, 3, 3], input: { name: 'a', mode: 'given' } });
    expect(at.body.gradient.data).toEqual(twoDynamic.placed(twoDynamic.WA));
    const bt = await erf({ inputs: { a: five(1), b: five(2) }, inputName: 'b' }).expect(200);
    expect(bt.body.gradient.data).toEqual(twoDynamic.placed(twoDynamic.WB));
  });

  it('b a 3-D tensor for the 4-D input: 400 SHAPE_MISMATCH at $.inputs.b, also beside an inputShape that sizes a (it was at $.inputShape.b, a key the request never wrote)', async () => {
    const flat = { a: five(1), b: { shape: [1, 5, 5], data: new Array(25).fill(2) } };
    const res = await erf({ inputs: flat }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.inputs.b' });
    const beside = await erf({ inputs: flat, inputShape: [1, 1, 5, 5] }).expect(400);
    expect(beside.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.inputs.b' });
    // a fault at the shape the request set stays at it
    const own = await erf({ inputs: { a: five(1), b: five(2) }, inputShape: [1, 5, 5] }).expect(400);
    expect(own.body.error).toMatchObject({ path: '$.inputShape' });
  });

  // one tensor named for the second input sizes that input only: the first is missing, not b's shape (two
  // outputs, ya and yb, so that a and b may differ)
  // (it sized the first input too: its static 9×9 refused at $.inputs.b, or its dynamic dims taken from b)
  const firstOf = (a: (string | number)[]) =>
    Buffer.from(
      onnxModel({
        inputs: [{ name: 'a', shape: a }, { name: 'b', shape: [1, 1, 'h2', 'w2'] }],
        outputs: ['ya', 'yb'],
        nodes: [
          { op: 'Conv', inputs: ['a', 'wa'], outputs: ['ya'], name: 'ca', attrs: { kernel_shape: { ints: [3, 3] } } },
          { op: 'Conv', inputs: ['b', 'wb'], outputs: ['yb'], name: 'cb', attrs: { kernel_shape: { ints: [3, 3] } } },
        ],
        initializers: [{ name: 'wa', dims: [1, 1, 3, 3], data: WA }, { name: 'wb', dims: [1, 1, 3, 3], data: WB }],
      }),
    ).toString('base64');
  it.each([
    ['/v1/erf', { stages: false, heatmap: false, format: 'flat' }],
    ['/v1/run', {}],
  ])("%s with b alone: a static [1, 1, 9, 9] is 400 INVALID_TENSOR 'no tensor for input 'a' [1, 1, 9, 9]' at $.inputs.a (was SHAPE_MISMATCH 'a dimension 2 is 9 … 5 was given' at $.inputs.b); a dynamic is MISSING_DIMENSION naming a (was 'no tensor for input 'a' [1, 1, 5, 5]', b's shape)", async (route, extra) => {
    const post = (model: string) => request(app.server).post(route).send({ onnxBase64: model, inputs: { b: five(2) }, ...extra }).expect(400);
    expect((await post(firstOf([1, 1, 9, 9]))).body.error).toMatchObject({ code: 'INVALID_TENSOR', message: "no tensor for input 'a' [1, 1, 9, 9]", path: '$.inputs.a' });
    expect((await post(firstOf([1, 1, 'h', 'w']))).body.error).toMatchObject({ code: 'MISSING_DIMENSION', input: 'a' });
  });
});

describe('GraphQL effectiveReceptiveField inputName', () => {
  const QUERY = `query($spec: JSON, $inputs: JSON, $weights: JSON, $inputName: String) {
    effectiveReceptiveField(spec: $spec, inputs: $inputs, weights: $weights, inputName: $inputName, stages: false) {
      layer input { name mode samples } gradient { shape data } statistics { support { box { top left bottom right } pixels } }
    }
  }`;
  const gql = (variables: Record<string, unknown>) => request(app.server).post('/graphql').set('accept', 'application/json').send({ query: QUERY, variables: { spec, weights, inputs, ...variables } });

  it('inputName depth: the gradient at depth, cb.weight at the even rows and columns 2…6; without it, rgb', async () => {
    const res = await gql({ inputName: 'depth' }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data.effectiveReceptiveField;
    expect(r.input).toEqual({ name: 'depth', mode: 'given', samples: 1 });
    expect(r.gradient).toEqual({ shape: [1, 1, 9, 9], data: depthGradient });
    expect(r.statistics.support).toEqual({ box: { top: 2, left: 2, bottom: 6, right: 6 }, pixels: 9 });
    const first = await gql({}).expect(200);
    expect(first.body.data.effectiveReceptiveField.gradient.data).toEqual(rgbGradient);
  });

  it('an unknown name: data null, INVALID_OPTION at $.inputName in extensions, the inputs listed', async () => {
    const res = await gql({ inputName: 'dpeth' }).expect(200);
    expect(res.body.data.effectiveReceptiveField).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.inputName' });
    expect(res.body.errors[0].message).toContain(UNKNOWN);
  });
});
