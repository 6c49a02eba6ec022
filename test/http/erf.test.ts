/**
 * POST /v1/erf end to end over the worker pool: hand-worked gradients of a small spec, PyTorch's
 * gradient of an ONNX network sent with its weights (multipart, .npy input), random inputs, the
 * .npy answer, and 4xx answers with codes and JSON paths.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErfResponse } from '../../src/http/openapi-erf.js';
import { decodeNpy, decodeTensor, encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { swin } from '../../src/zoo/swin.js';
import { mvit } from '../../src/zoo/mvit.js';
import type { MvitConfig } from '../../src/zoo/mvit.js';
import { readNetworkGolden } from '../zoo/network-golden.js';
import type { SwinConfig } from '../../src/zoo/swin.js';
import { onnxModel } from '../graph/onnx-builder.js';
import type { Wire } from '../ops/golden-cases.js';
import { binary, testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url);

/** Two 3×3 convs (all-ones weights) over a 1×1×7×7 input: the 3×3 output's centre unit (1, 1). */
const twoConvs = {
  spec: {
    inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
    layers: [
      { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
      { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
    ],
  },
  weights: { 'a.weight': { shape: [1, 1, 3, 3], data: new Array(9).fill(1) }, 'b.weight': { shape: [1, 1, 3, 3], data: new Array(9).fill(1) } },
};

describe('POST /v1/erf', () => {
  it('a given input: the gradient counts paths (1,2,3,2,1)ᵀ(1,2,3,2,1) inside the 5×5 field at rows and columns 1…5; statistics and heatmaps', async () => {
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ ...twoConvs, inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } }, format: 'flat' })
      .expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    const v = [0, 1, 2, 3, 2, 1, 0];
    expect(res.body.gradient.data).toEqual(v.flatMap((r) => v.map((c) => r * c)));
    expect(res.body).toMatchObject({ layer: 'b', shape: [1, 1, 3, 3], unit: { channels: null, channelCount: 1, position: [1, 1] }, input: { name: 'x', mode: 'given', samples: 1 } });
    const s = res.body.statistics;
    expect(s.theoretical).toMatchObject({ size: [5, 5], box: { top: 1, left: 1, bottom: 5, right: 5 }, area: 25, centre: [3, 3] });
    expect(s.support).toEqual({ box: { top: 1, left: 1, bottom: 5, right: 5 }, pixels: 25, insideTheoretical: true });
    // mass (1+2+3+2+1)² = 81; the centre holds 9, the four at distance 1 hold 4·6 = 24
    expect(s.mass).toBe(81);
    expect(s.gaussian.mean).toEqual([3, 3]);
    // variance per axis: Σ (1,2,3,2,1)·d² / 9 = (4 + 2 + 0 + 2 + 4)/9
    expect(s.gaussian.sigma[0]).toBeCloseTo(Math.sqrt(12 / 9), 10);
    // the stage before (a, stride 1) and the unit's own layer
    expect(res.body.stages.map((st: { layer: string }) => st.layer)).toEqual(['b']);
    const png = Buffer.from(res.body.heatmap.png, 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(res.body.heatmap.svg).toMatch(/^<svg /);
  });

  it('an ONNX network with its weights, as a multipart form with a .npy input, gives PyTorch x.grad (MobileNetV2, features.13 unit (1, 2), all channels)', async () => {
    const golden = JSON.parse(readFileSync(fixture('networks/mobilenet_v2_w050.json'), 'utf8')) as { input: { shape: number[]; data: number[] } };
    const { cases } = JSON.parse(readFileSync(fixture('erf/networks.json'), 'utf8')) as { cases: { network: string; channels: null | number[]; gradient: unknown }[] };
    const want = decodeTensor(cases.find((c) => c.network === 'mobilenet_v2_w050' && c.channels === null)!.gradient, '$', 1 << 20);
    const npy = encodeNpy(tensor(golden.input.shape, Float32Array.from(golden.input.data)));
    const res = await request(app.server)
      .post('/v1/erf')
      .attach('model', readFileSync(fixture('networks/mobilenet_v2_w050.onnx')), 'net.onnx')
      .attach('input', Buffer.from(npy), 'x.npy')
      .field('request', JSON.stringify({ layer: '/features/features.13/Add', position: [1, 2], format: 'base64', stages: false, heatmap: false }))
      .expect(200);
    expect(res.body.layer).toBe('/features/features.13/Add');
    const { shape, dtype, base64 } = res.body.gradient;
    const got = decodeTensor({ shape, dtype, base64 }, '$', 1 << 20);
    let max = 0;
    let err = 0;
    want.data.forEach((w, k) => {
      max = Math.max(max, Math.abs(w));
      err = Math.max(err, Math.abs(got.data[k] - w));
    });
    expect(err / max).toBeLessThanOrEqual(1e-4);
    expect(res.body.heatmap).toBeNull();
  });

  it("a Swin V2 (shiftedWindowAttentionV2's vjp; it was 400 NO_GRADIENT at features.3.1.attn) with torchvision's state_dict as JSON weights gives PyTorch x.grad (final map unit (2, 3), all channels); random inputs answer too", async () => {
    const golden = JSON.parse(readFileSync(fixture('networks/swin_v2_spec_tiny.json'), 'utf8')) as { config: SwinConfig; resolution: number; numClasses: number; input: Wire; stateDict: Record<string, Wire> };
    const { cases } = JSON.parse(readFileSync(fixture('erf/swin_v2.json'), 'utf8')) as { cases: { channels: null | number[]; position: number[]; gradient: Wire }[] };
    const want = cases.find((c) => c.channels === null)!;
    const spec = swin('swin_v2_spec_tiny', golden.config, golden.resolution, golden.numClasses);
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec, weights: golden.stateDict, inputs: { input: golden.input }, layer: 'permute', position: want.position, format: 'flat', stages: false, heatmap: false })
      .expect(200);
    expect(res.body).toMatchObject({ layer: 'permute', shape: [1, 16, 5, 5], input: { name: 'input', mode: 'given', samples: 1 } });
    let max = 0;
    let err = 0;
    want.gradient.data.forEach((w, k) => {
      max = Math.max(max, Math.abs(w));
      err = Math.max(err, Math.abs(res.body.gradient.data[k] - w));
    });
    expect(err / max).toBeLessThanOrEqual(1e-5);
    const random = await request(app.server).post('/v1/erf').send({ spec, input: 'random', samples: 2, seed: 1, format: 'flat', heatmap: false }).expect(200);
    expect(random.body.layer).toBe('permute');
    expect(Math.max(...random.body.gradient.data)).toBeGreaterThan(0);
  });

  it("a small MViT v2 (multiscaleAttention's and maxPool3d's vjps; it was 400 NO_GRADIENT at blocks.2.attn), its clip [1, 3, 4, 32, 32] itself, torchvision's state_dict as JSON weights: PyTorch x.grad of logits 3 and 7", async () => {
    const golden = JSON.parse(readFileSync(fixture('networks/mvit_v2_tiny.json'), 'utf8')) as { input: Wire; stateDict: Record<string, Wire> };
    const { cases } = JSON.parse(readFileSync(fixture('erf/mvit.json'), 'utf8')) as { cases: { network: string; layer: string; channels: null | number[]; gradient: Wire }[] };
    const want = cases.find((c) => c.network === 'mvit_v2_tiny.json' && c.layer === 'head.1' && c.channels !== null)!;
    const g = readNetworkGolden<MvitConfig & { frames: number }>('mvit_v2_tiny.json');
    const spec = mvit('mvit_v2_tiny', g.config, g.resolution, g.config.frames, g.numClasses);
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec, weights: golden.stateDict, inputs: { input: golden.input }, layer: 'head.1', channels: want.channels, format: 'flat', stages: false, heatmap: false })
      .expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ layer: 'head.1', shape: [1, 10], input: { name: 'input', mode: 'given', samples: 1 }, temporal: { theoretical: { global: true, size: 4, from: 0, to: 3 } } });
    expect(res.body.gradient.shape).toEqual([1, 3, 4, 32, 32]);
    let max = 0;
    let err = 0;
    want.gradient.data.forEach((w, k) => {
      max = Math.max(max, Math.abs(w));
      err = Math.max(err, Math.abs(res.body.gradient.data[k] - w));
    });
    // measured 3.9e-7 (the runtime's, test/runtime/erf-mvit.test.ts)
    expect(err / max).toBeLessThanOrEqual(1e-5);
  });

  it('random inputs: the mean of |gradient| over K samples, non-negative, inside the theoretical field; per-stage statistics', async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 2, 16, 16] }],
      layers: [
        { name: 'c1', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'r1', op: 'relu' },
        { name: 'c2', op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 },
        { name: 'r2', op: 'relu' },
        { name: 'c3', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
      ],
    };
    const res = await request(app.server).post('/v1/erf').send({ spec, input: 'random', samples: 3, seed: 5, format: 'flat' }).expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body.input).toEqual({ name: 'x', mode: 'random', samples: 3 });
    expect(res.body.gradient.name).toBe('meanAbsGradient');
    expect(Math.min(...res.body.gradient.data)).toBeGreaterThanOrEqual(0);
    expect(res.body.statistics.support.insideTheoretical).toBe(true);
    // c3 is the final map (stride 2): unit (4, 4) sees rows 8·… — r = 1 + 2 + 2 + 2·2 = 9
    expect(res.body.statistics.theoretical.size).toEqual([9, 9]);
    expect(res.body.stages.map((s: { layer: string; stride: number[] }) => [s.layer, s.stride])).toEqual([
      ['r1', [1, 1]],
      ['c3', [2, 2]],
    ]);
    const again = await request(app.server).post('/v1/erf').send({ spec, input: 'random', samples: 3, seed: 5, format: 'flat' }).expect(200);
    expect(again.body.gradient.data).toEqual(res.body.gradient.data);
  });

  it("Luo et al.'s setting re-draws seeded weights per sample (a different mean than random's), and keeps weights given in the request (the same mean)", async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c1', op: 'conv2d', outChannels: 2, kernelSize: 3 }, { name: 'r', op: 'relu' }, { name: 'c2', op: 'conv2d', outChannels: 2, kernelSize: 3 }] };
    const post = (body: Record<string, unknown>) => request(app.server).post('/v1/erf').send({ spec, samples: 3, seed: 2, stages: false, heatmap: false, format: 'flat', ...body }).expect(200);
    const random = (await post({ input: 'random' })).body;
    const luo = (await post({ input: 'luo' })).body;
    expect(luo.input).toEqual({ name: 'x', mode: 'luo', samples: 3 });
    expect(luo.gradient.data).not.toEqual(random.gradient.data);
    const weights = { 'c1.weight': { shape: [2, 1, 3, 3], data: Array.from({ length: 18 }, (_, i) => ((i * 7) % 5) - 2) }, 'c2.weight': { shape: [2, 2, 3, 3], data: Array.from({ length: 36 }, (_, i) => ((i * 3) % 7) - 3) }, 'c1.bias': { shape: [2], data: [0.5, -0.5] }, 'c2.bias': { shape: [2], data: [1, 0] } };
    const givenRandom = (await post({ input: 'random', weights })).body;
    const givenLuo = (await post({ input: 'luo', weights })).body;
    expect(givenLuo.gradient.data).toEqual(givenRandom.gradient.data);
  });

  it('an Accept that allows neither JSON nor .npy (application/xml) is 406 NOT_ACCEPTABLE at accept, as on the compute routes (a fuzz of 2026-12-04: it was 200 JSON); application/x-npy is answered', async () => {
    const body = { ...twoConvs, inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } } };
    const res = await request(app.server).post('/v1/erf').set('accept', 'application/xml').send(body).expect(406);
    expect(res.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept', offered: ['application/json', 'application/x-npy'] });
    await request(app.server).post('/v1/erf').set('accept', 'application/x-npy').send(body).expect(200);
  });

  it('format npy: the gradient as a .npy file, its statistics in x-erf-statistics', async () => {
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ ...twoConvs, inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } }, format: 'npy' })
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/x-npy');
    const t = decodeNpy(new Uint8Array(res.body as Buffer), '$', 1 << 20);
    expect(t.shape).toEqual([1, 1, 7, 7]);
    expect(t.data[3 * 7 + 3]).toBe(9);
    expect(JSON.parse(res.headers['x-erf-statistics'])).toMatchObject({ layer: 'b', mass: 81 });
  });

  // found by a hunt: the header carried the layer's name raw, and node refused 卷积 (a 500); café went out as the byte 0xE9
  it('format npy of a layer named 卷积→1 or café: x-erf-statistics is ASCII JSON (\\u escapes) that parses to the name', async () => {
    for (const name of ['卷积→1', 'café']) {
      const spec = { inputs: [{ name: 'x', shape: [1, 1, 5, 5] }], layers: [{ name, op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false }] };
      const res = await request(app.server)
        .post('/v1/erf')
        .send({ spec, weights: { [`${name}.weight`]: { shape: [1, 1, 3, 3], data: new Array(9).fill(1) } }, inputs: { x: { shape: [1, 1, 5, 5], data: new Array(25).fill(1) } }, format: 'npy' })
        .buffer(true)
        .parse(binary)
        .expect(200);
      const header = res.headers['x-erf-statistics'] as string;
      expect(header, name).toMatch(/^[\x20-\x7e]+$/);
      expect(JSON.parse(header)).toMatchObject({ layer: name, mass: 9 });
    }
  });

  // found by a hunt: the limits were checked on every layer, so vgg11 and vgg16's classifier refused their ERF at any resolution
  it('a layer after the unit is not checked against the limits: a linear layer of 1024 × 131072 weights (over MAX_TENSOR_ELEMENTS) after the chosen conv', async () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 3, 64, 64] }],
      layers: [{ name: 'c', op: 'conv2d', outChannels: 32, kernelSize: 3, padding: 1 }, { name: 'f', op: 'flatten' }, { name: 'fc', op: 'linear', outFeatures: 1024 }],
    };
    const res = await request(app.server).post('/v1/erf').send({ spec, samples: 1, layer: 'c', stages: false, heatmap: false }).expect(200);
    expect(res.body.statistics.theoretical.size).toEqual([3, 3]);
    // the classifier itself is still refused as a unit
    const fc = await request(app.server).post('/v1/erf').send({ spec, samples: 1, layer: 'fc', stages: false, heatmap: false }).expect(413);
    expect(fc.body.error).toMatchObject({ code: 'TENSOR_TOO_LARGE', layer: 'fc', path: '$.spec.layers[2]' });
  });

  // found by a hunt: [5, 5] was read as [5]; a constant unit answered a field of no pixels; a near name had no suggestion
  it('a channel given twice is INVALID_OPTION at its second place; a near layer name is suggested; the input is said to be the input', async () => {
    const twice = await request(app.server).post('/v1/erf').send({ ...twoConvs, input: 'random', samples: 1, channels: [0, 0] }).expect(400);
    expect(twice.body.error).toMatchObject({ code: 'INVALID_OPTION', path: '$.channels[1]', layer: 'b', message: 'channel 0 is given twice (channels[0] and channels[1]); the unit sums each channel once' });
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 7, 7] }], layers: [{ name: 'conv1', op: 'conv2d', outChannels: 1, kernelSize: 3 }] };
    const near = await request(app.server).post('/v1/erf').send({ spec, samples: 1, layer: 'conv' }).expect(400);
    expect(near.body.error).toMatchObject({ code: 'UNKNOWN_INPUT', path: '$.layer', suggestion: 'conv1' });
    expect(near.body.error.message).toBe("no layer or tensor named 'conv' (did you mean 'conv1'?) to take the gradient of (layers: conv1)");
    const input = await request(app.server).post('/v1/erf').send({ spec, samples: 1, layer: 'x' }).expect(400);
    expect(input.body.error.message).toBe("'x' is the network's input, not a layer after it to take the gradient of (layers: conv1)");
  });

  // found by a review: a unit in a head no declared output reads (an auxiliary classifier) was refused as not depending on the input; before, it answered a field of no pixels
  it('a unit in a head no declared output reads (b beside the output a, both 3×3 convs of x): computed, its field rows and columns 2…4 of the 7×7 input, 9 pixels', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 7, 7] }], layers: [{ name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, inputs: ['x'] }, { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, inputs: ['x'] }], outputs: ['a'] };
    const res = await request(app.server).post('/v1/erf').send({ spec, layer: 'b', samples: 1, stages: false, heatmap: false }).expect(200);
    expect(res.body.unit.position).toEqual([2, 2]);
    expect(res.body.statistics.theoretical.box).toEqual({ top: 2, left: 2, bottom: 4, right: 4 });
    expect(res.body.statistics.support).toEqual({ box: { top: 2, left: 2, bottom: 4, right: 4 }, pixels: 9, insideTheoretical: true });
  });

  it('a unit no input reaches (an ONNX tensor computed from an initializer alone, [2, 2]) is NO_GRADIENT at $.layer, not a field of no pixels', async () => {
    const onnx = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      outputs: ['y', 'kn'],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' },
        { op: 'Neg', inputs: ['k'], outputs: ['kn'], name: 'neg' },
      ],
      initializers: [{ name: 'k', dims: [2, 2], data: [1, 2, 3, 4] }],
    });
    const res = await request(app.server).post('/v1/erf').send({ onnxBase64: Buffer.from(onnx).toString('base64'), samples: 1, layer: 'kn' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'NO_GRADIENT', path: '$.layer' });
    expect(res.body.error.message).toMatch(/^'kn' \[2, 2\] does not depend on the input/);
    // the input's own layer is answered
    await request(app.server).post('/v1/erf').send({ onnxBase64: Buffer.from(onnx).toString('base64'), samples: 1, layer: 'r', stages: false, heatmap: false }).expect(200);
  });

  it.each([
    ['by its name', '$.inputs.x', { x: { shape: [1, 2, 5, 5], data: new Array(50).fill(1) } }],
    ['as the one bare tensor', '$.inputs.input', { shape: [1, 2, 5, 5], data: new Array(50).fill(1) }],
  ])('a given tensor [1, 2, 5, 5] %s that an ONNX file with x [1, 1, h, w] refuses is SHAPE_MISMATCH at %s (it was $.inputShapes[""], a field /v1/erf does not have)', async (_, path, inputs) => {
    const onnx = onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 'h', 'w'] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }] });
    const res = await request(app.server).post('/v1/erf').send({ onnxBase64: Buffer.from(onnx).toString('base64'), inputs, layer: 'r' }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'SHAPE_MISMATCH', path, input: 'x', dimension: 1 });
    expect(res.body.error.message).toBe("input 'x' dimension 1 is 1 in the model, but 2 was given");
  });

  it('Accept: application/x-npy without a format answers the gradient as .npy; a JSON format Accept refuses is 406 before any gradient is computed', async () => {
    const body = { ...twoConvs, inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } } };
    const npy = await request(app.server).post('/v1/erf').set('accept', 'application/x-npy').send(body).buffer(true).parse(binary).expect(200);
    expect(npy.headers['content-type']).toBe('application/x-npy');
    expect(decodeNpy(new Uint8Array(npy.body as Buffer), '$', 1 << 20).data[3 * 7 + 3]).toBe(9);
    const refused = await request(app.server).post('/v1/erf').set('accept', 'application/x-npy').send({ ...body, format: 'base64' }).expect(406);
    expect(refused.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept', message: expect.stringContaining('its format is base64') });
  });

  it.each([
    ['an unknown key', { ...twoConvs, input: 'random', sampels: 2 }, 'INVALID_OPTION', '$.sampels'],
    ['a channel outside the map', { ...twoConvs, input: 'random', channels: [1] }, 'INVALID_OPTION', '$.channels[0]'],
    ['a position outside the map', { ...twoConvs, input: 'random', position: [0, 3] }, 'INVALID_OPTION', '$.position[1]'],
    ['an unknown layer', { ...twoConvs, input: 'random', layer: 'bb' }, 'UNKNOWN_INPUT', '$.layer'],
    ['input given without inputs', { ...twoConvs, input: 'given' }, 'INVALID_TENSOR', '$.inputs'],
    ['inputs with random', { ...twoConvs, input: 'random', inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } } }, 'INVALID_OPTION', '$.inputs'],
    ['too many samples', { ...twoConvs, samples: 65 }, 'INVALID_OPTION', '$.samples'],
    ['an input of the wrong shape', { ...twoConvs, inputs: { x: { shape: [1, 1, 6, 6], data: new Array(36).fill(1) } } }, 'SHAPE_MISMATCH', '$.inputs.x'],
    ['an input the network does not have (it fed x)', { ...twoConvs, input: 'given', inputs: { foo: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) } } }, 'INVALID_TENSOR', '$.inputs.foo'],
    ['an extra input beside x (it was ignored)', { ...twoConvs, input: 'given', inputs: { x: { shape: [1, 1, 7, 7], data: new Array(49).fill(1) }, zz: { shape: [1], data: [1] } } }, 'INVALID_TENSOR', '$.inputs.zz'],
    ['a spec error, located under $.spec', { spec: { ...twoConvs.spec, layers: [{ name: 'a', op: 'relu', inputs: ['nope'] }] } }, 'UNKNOWN_INPUT', '$.spec.layers[0].inputs[0]'],
    ['no network', { input: 'random' }, 'SPEC_INVALID', '$'],
    ['an unknown model', { model: 'resnet5' }, 'UNKNOWN_MODEL', '$.model'],
    ['a unit reached only through argMax (it was 200, all zeros)', { spec: { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layers: [{ name: 'a', op: 'argMax', dim: 1, keepDim: true }] }, stages: false }, 'NO_GRADIENT', '$.spec.layers[0]'],
  ])('%s is a 400 with its code and path', async (_, body, code, path) => {
    const res = await request(app.server).post('/v1/erf').send(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toMatchObject({ code, path });
  });
});

// found by a hunt: a text/plain body's 415 advised application/octet-stream and application/x-npy, which /v1/erf refuses too
describe('POST /v1/erf: a body type it does not read', () => {
  it.each(['text/plain', 'application/x-npy'])('%s is 415 at headers.content-type advising JSON or multipart only', async (type) => {
    const res = await request(app.server).post('/v1/erf').set('content-type', type).send('abc').expect(415);
    expect(res.body.error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `the content type '${type}' is not read here; send application/json or multipart/form-data (the ONNX "model", .npy files and a JSON "request" field)`,
      path: 'headers.content-type',
    });
  });
});

describe('POST /v1/erf: a tensor given twice', () => {
  it('x in the request JSON and as a .npy part: 400 INVALID_TENSOR at $.inputs.x (the file silently won)', async () => {
    const x = { shape: [1, 1, 7, 7], data: new Array(49).fill(1) };
    const res = await request(app.server)
      .post('/v1/erf')
      .field('request', JSON.stringify({ ...twoConvs, input: 'given', inputs: { x } }))
      .attach('x', encodeNpy(tensor([1, 1, 7, 7], new Array(49).fill(0))), 'x.npy')
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TENSOR', path: '$.inputs.x' });
  });
});
