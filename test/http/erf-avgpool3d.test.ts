/**
 * POST /v1/erf through AvgPool3d (avgPool3d's vjp; it was 400 NO_GRADIENT at the pool): the network
 * of scripts/erf_goldens_avgpool3d.py as a JSON spec, PyTorch's state_dict as JSON weights, its clip
 * [1, 2, 8, 12, 12] in the request; the answer's gradient against autograd's x.grad
 * (test/fixtures/erf/avgpool3d.json, the runtime's side in test/runtime/erf-avgpool3d.test.ts).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErfResponse } from '../../src/http/openapi-erf.js';
import { errorOverLargest } from '../helpers.js';
import type { Wire } from '../ops/golden-cases.js';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const golden = JSON.parse(readFileSync(new URL('../fixtures/erf/avgpool3d.json', import.meta.url), 'utf8')) as {
  stateDict: Record<string, Wire>;
  cases: { name: string; layer: string; channels: number[] | null; position: number[]; gradient: Wire; frames: number[] }[];
};
const SHAPE = [1, 2, 8, 12, 12];
const spec = {
  inputs: [{ name: 'input', shape: SHAPE }],
  layers: [
    { name: 'conv0', op: 'conv3d', outChannels: 3, kernelSize: 3, padding: 1 },
    { name: 'relu', op: 'relu' },
    { name: 'pool', op: 'avgPool3d', kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    { name: 'conv1', op: 'conv3d', outChannels: 4, kernelSize: [1, 3, 3], padding: [0, 1, 1] },
  ],
};
const clip = { shape: SHAPE, data: Array.from({ length: SHAPE.reduce((a, b) => a * b) }, (_, k) => Math.fround(Math.sin(0.731 * k + 0.2))) };

describe('POST /v1/erf through Conv3d → ReLU → AvgPool3d (ceil mode, countIncludePad false) → Conv3d', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))("%s: the answer's gradient within 1e-5 of PyTorch x.grad's largest magnitude, its frame shares within 1e-5", async (_, c) => {
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec, weights: golden.stateDict, inputs: { input: clip }, layer: c.layer, ...(c.channels ? { channels: c.channels } : {}), position: c.position, format: 'flat', stages: false, heatmap: false })
      .expect(200);
    expect(ErfResponse.safeParse(res.body).success).toBe(true);
    expect(res.body).toMatchObject({ layer: c.layer, unit: { position: c.position }, input: { name: 'input', mode: 'given', samples: 1 } });
    expect(res.body.gradient.shape).toEqual(SHAPE);
    // the runtime's measured 4.1e-8 … 1.4e-7 (test/runtime/erf-avgpool3d.test.ts)
    expect(errorOverLargest(res.body.gradient.data, c.gradient.data)).toBeLessThanOrEqual(1e-5);
    const frames: number[] = res.body.temporal.frames;
    expect(Math.max(...frames.map((f, t) => Math.abs(f - c.frames[t])))).toBeLessThanOrEqual(1e-5);
  });
});
