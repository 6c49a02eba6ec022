/**
 * Names of Object.prototype's members (`constructor`, `toString`, `valueOf`, `hasOwnProperty`,
 * `isPrototypeOf`) are ordinary tensor and layer names (README): every analysis, format and route
 * that takes a network answers them as it answers any name. A lookup of a name in a plain object
 * found the prototype's member instead (memory: 500 INTERNAL, "reading 'bytes'").
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

/** x: 1×3×8×8; conv 3→4 3×3 pad 1; relu; conv 4→4 3×3 pad 1; residual add of the two. */
const spec = {
  name: 'prototype-names',
  inputs: [{ name: 'constructor', shape: [1, 3, 8, 8] }],
  layers: [
    { name: 'toString', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'valueOf', op: 'relu' },
    { name: 'hasOwnProperty', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 'isPrototypeOf', op: 'add', inputs: ['valueOf', 'hasOwnProperty'] },
  ],
};
// by hand: params 4·3·9 + 4 = 112 and 4·4·9 + 4 = 148; MACs 108·64 = 6,912 and 144·64 = 9,216
const PARAMS = 112 + 148;
const MACS = 6_912 + 9_216;

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

describe('tensors and layers named after Object.prototype members', () => {
  it('POST /v1/analyze with every extra analysis: 200, the counts worked by hand, memory names each tensor', async () => {
    const res = await request(app.server)
      .post('/v1/analyze?memory=true&explain=true&deployed=true&depth=2&device=raspberry-pi-5&convention=fvcore')
      .send(spec)
      .expect(200);
    expect(res.body.totals).toMatchObject({ params: PARAMS, macs: MACS });
    expect(res.body.layers.map((l: { name: string }) => l.name)).toEqual(['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']);
    // float32: the input 3·64·4 = 768 bytes, each layer's output 4·64·4 = 1,024
    const peak = res.body.memory.peak;
    expect(peak.layer).toBe('isPrototypeOf');
    expect(peak.bytes).toBe(768 + 3 * 1024);
    expect(res.body.explain.layers.map((l: { name: string }) => l.name)).toEqual(['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']);
    expect(res.body.convention.convlensMacs).toBe(MACS);
    expect(res.body.roofline.totals.seconds).toBeGreaterThan(0);
  });

  it.each(['md', 'csv', 'html'])('format %s: 200 and each name in the rendering', async (format) => {
    // csv shows no module summary: depth there is refused (INVALID_OPTION), as the CLI's --depth with csv is
    const res = await request(app.server).post(`/v1/analyze?format=${format}&memory=true${format === 'csv' ? '' : '&depth=2'}`).send(spec).expect(200);
    for (const name of ['toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']) expect(res.text).toContain(name);
  });

  it('POST /v1/sweep, /v1/compare and /v1/run take them too', async () => {
    const sweep = await request(app.server).post('/v1/sweep').send({ spec, sizes: [8, 16] });
    expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
    // the MACs grow with the positions: 4× at 16×16; the peak with them (the input 3,072 bytes, each output 4,096)
    expect(sweep.body.sizes.map((p: { macs: number }) => p.macs)).toEqual([MACS, MACS * 4]);
    expect(sweep.body.sizes.map((p: { peakActivationBytes: number }) => p.peakActivationBytes)).toEqual([768 + 3 * 1024, 3072 + 3 * 4096]);
    const compare = await request(app.server).post('/v1/compare').send({ old: { spec }, new: { spec } });
    expect(compare.status, JSON.stringify(compare.body)).toBe(200);
    const run = await request(app.server)
      .post('/v1/run')
      .send({ spec, inputs: { constructor: { shape: [1, 3, 8, 8], data: new Array(192).fill(0) } }, seed: 1 });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.outputs).toMatchObject([{ name: 'isPrototypeOf', shape: [1, 4, 8, 8] }]);
  });
});
