/**
 * GraphQL effectiveReceptiveField: the same numbers as POST /v1/erf (hand-worked path counts of two
 * all-ones 3×3 convs), typed statistics, and catalog errors with their paths in extensions.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const gql = (query: string, variables: Record<string, unknown> = {}) => request(app.server).post('/graphql').set('accept', 'application/json').send({ query, variables });

const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
  layers: [
    { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
    { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
  ],
};
const weights = { 'a.weight': { shape: [1, 1, 3, 3], data: new Array(9).fill(1) }, 'b.weight': { shape: [1, 1, 3, 3], data: new Array(9).fill(1) } };

const QUERY = `query($spec: JSON, $inputs: JSON, $weights: JSON, $input: ErfInputMode, $samples: Int, $channels: [Int!]) {
  effectiveReceptiveField(spec: $spec, inputs: $inputs, weights: $weights, input: $input, samples: $samples, channels: $channels) {
    layer shape unit { channels channelCount position } input { name mode samples }
    gradient { shape data }
    statistics { mass theoretical { size box { top left bottom right } area } support { box { top bottom } insideTheoretical } radius { p50 p95 } gaussian { sigma } areaRatio highContribution { t side areaRatio } }
    stages { layer stride }
    heatmap { png svg }
  }
}`;

describe('GraphQL effectiveReceptiveField', () => {
  it('a given input: path counts (1,2,3,2,1)ᵀ(1,2,3,2,1) in the 5×5 field, with typed statistics', async () => {
    const res = await gql(QUERY, { spec, weights, inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } } }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data.effectiveReceptiveField;
    const v = [0, 1, 2, 3, 2, 1, 0];
    expect(r.gradient).toEqual({ shape: [1, 1, 7, 7], data: v.flatMap((a) => v.map((b) => a * b)) });
    expect(r).toMatchObject({ layer: 'b', shape: [1, 1, 3, 3], unit: { channels: null, channelCount: 1, position: [1, 1] }, input: { name: 'x', mode: 'given', samples: 1 } });
    expect(r.statistics).toMatchObject({ mass: 81, theoretical: { size: [5, 5], box: { top: 1, left: 1, bottom: 5, right: 5 }, area: 25 }, support: { box: { top: 1, bottom: 5 }, insideTheoretical: true } });
    // the centre holds 9 of 81, distance 1 another 24, distance √2 another 16: 49/81 > 1/2
    expect(r.statistics.radius.p50).toBeCloseTo(Math.SQRT2, 5);
    expect(r.statistics.highContribution.map((h: { t: number }) => h.t)).toEqual([0.2, 0.3, 0.5, 0.99]);
    expect(r.stages).toEqual([{ layer: 'b', stride: [1, 1] }]);
    expect(Buffer.from(r.heatmap.png, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it("a clip [1, 1, 8, 8, 8] (conv3d k3 p1, then k3 stride 2 p1): unit [t, row, column], ErfTemporal's frame shares and extent, stages' temporalStride; an image's temporal is null", async () => {
    const clipSpec = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv3d', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv3d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
      ],
    };
    const q = `query($spec: JSON, $position: [Int!]) { effectiveReceptiveField(spec: $spec, input: random, samples: 1, position: $position) {
      shape unit { position } magnitude { shape } temporal { frames theoretical { global size from to } } stages { layer stride temporalStride } } }`;
    const res = await gql(q, { spec: clipSpec, position: [0, 1, 1] }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const r = res.body.data.effectiveReceptiveField;
    expect(r).toMatchObject({ shape: [1, 2, 4, 4, 4], unit: { position: [0, 1, 1] }, magnitude: { shape: [1, 1, 8, 8] } });
    // b's T axis r 5, j 2, p 2: unit 0 covers −2 … 2, frames 0…2 of the clip
    expect(r.temporal.theoretical).toEqual({ global: false, size: 5, from: 0, to: 2 });
    expect(r.temporal.frames).toHaveLength(8);
    expect(r.temporal.frames.slice(3)).toEqual([0, 0, 0, 0, 0]);
    expect(r.stages).toEqual([
      { layer: 'a', stride: [1, 1], temporalStride: 1 },
      { layer: 'b', stride: [2, 2], temporalStride: 2 },
    ]);
    const bad = await gql(q, { spec: clipSpec, position: [1, 1] }).expect(200);
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.position' });
    const image = await gql('query($spec: JSON) { effectiveReceptiveField(spec: $spec, input: random, samples: 1) { temporal { frames } stages { temporalStride } } }', { spec }).expect(200);
    expect(image.body.data.effectiveReceptiveField).toEqual({ temporal: null, stages: [{ temporalStride: null }] });
  });

  it('random inputs: mode and sample count', async () => {
    const res = await gql(QUERY, { spec, input: 'random', samples: 2 }).expect(200);
    expect(res.body.data.effectiveReceptiveField.input).toEqual({ name: 'x', mode: 'random', samples: 2 });
  });

  it('a channel outside the map: data null, the catalog code and path in extensions', async () => {
    const res = await gql(QUERY, { spec, input: 'random', channels: [4] }).expect(200);
    expect(res.body.data.effectiveReceptiveField).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'INVALID_OPTION', path: '$.channels[0]' });
  });

  // found by the fuzz round: both were at $.inputShapes[""], a field neither request has
  it('an ONNX file whose input refuses inputShape: SHAPE_MISMATCH at $.inputShape (GraphQL and POST /v1/erf)', async () => {
    const onnxBase64 = readFileSync(new URL('../fixtures/onnx/resnet18_folded.onnx', import.meta.url)).toString('base64');
    const res = await gql('query($b: String) { effectiveReceptiveField(onnxBase64: $b, inputShape: [1, 3, 32, 32], samples: 1) { layer } }', { b: onnxBase64 }).expect(200);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.inputShape', modelPath: '$.graph.input[0]', dimension: 2 });
    const rest = await request(app.server).post('/v1/erf').send({ onnxBase64, inputShape: [2, 3, 224, 224], samples: 1 }).expect(400);
    expect(rest.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path: '$.inputShape', modelPath: '$.graph.input[0]', dimension: 0 });
  });

  it('it weighs 25, as run does: three in one operation are QUERY_TOO_COMPLEX, and GET does not run it', async () => {
    const one = (alias: string) => `${alias}: effectiveReceptiveField(model: "resnet18", resolution: 32, samples: 1) { layer }`;
    // under Accept: application/json a request error is 200 with errors (GraphQL over HTTP)
    const res = await gql(`{ ${one('a')} ${one('b')} ${one('c')} }`).expect(200);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    const get = await request(app.server).get('/graphql').query({ query: `{ ${one('a')} }` });
    expect(get.status).toBe(405);
  });
});

// found by a hunt: an infinite gradient made mass and the Gaussian's moments NaN, which Float refused (INTERNAL, the whole field null)
describe('effectiveReceptiveField of a gradient holding ∞ (x·x at an input given as base64 with +Infinity)', () => {
  it('mass and the Gaussian moments are null, as REST writes them; the call succeeds', async () => {
    const nanSpec = { inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'm', op: 'mul', inputs: ['x', 'x'] }] };
    // [1, 2, 3, +Infinity] as little-endian float32
    const x = { shape: [1, 1, 2, 2], dtype: 'float32', base64: 'AACAPwAAAEAAAEBAAACAfw==' };
    const res = await gql('query($s: JSON, $x: JSON) { effectiveReceptiveField(spec: $s, inputs: $x, position: [1, 1]) { statistics { mass gaussian { mean sigma } } stages { statistics { mass } } gradient { stats { nonFinite } } } }', { s: nanSpec, x }).expect(200);
    expect(res.body.errors).toBeUndefined();
    const erf = res.body.data.effectiveReceptiveField;
    expect(erf.statistics).toEqual({ mass: null, gaussian: { mean: [null, null], sigma: [null, null] } });
    expect(erf.stages.map((s: { statistics: { mass: unknown } }) => s.statistics.mass)).toEqual([null]);
    // d(x·x)/dx at the unit (1, 1) is 2·∞: the one non-finite value of the gradient
    expect(erf.gradient.stats.nonFinite).toBe(1);
  });
});
