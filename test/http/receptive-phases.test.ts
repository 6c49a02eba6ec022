/**
 * Over HTTP: a Focus stem (a space-to-depth written as four strided slices joined along C, then a
 * 3×3 conv padded 1; test/analysis/receptive-phases.test.ts) through POST /v1/analyze and /v1/erf.
 * The field is 6×6 at stride 2, padding 2 (Focus 2/2 p 0, then 2 + 2·2, p 0 + 1·2), no MISALIGNED_PATHS
 * (until 2026-12-06 the concat warned it); the ERF of unit (1, 1) with all-ones weights and input
 * covers the box [0, 5] × [0, 5] exactly, as autograd does (scripts/goldens_rf_phases.py, focus_conv).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => app.close());

const phase = (name: string, r0: number, c0: number) => ({ name, op: 'slice', inputs: 'x', starts: [r0, c0], ends: [8, 8], axes: [2, 3], steps: [2, 2] });
const focus = {
  name: 'focus',
  inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
  layers: [phase('x0', 0, 0), phase('x1', 1, 0), phase('x2', 0, 1), phase('x3', 1, 1), { name: 'cat', op: 'concat', inputs: ['x0', 'x1', 'x2', 'x3'], dim: 1 }, { name: 'conv', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1, bias: false }],
};

describe('a Focus stem over HTTP: its field, no MISALIGNED_PATHS, and its ERF inside the box', () => {
  it('POST /v1/analyze: cat 2×2/2 padding 0, conv 6×6/2 padding 2; no MISALIGNED_PATHS', async () => {
    const res = await request(app.server).post('/v1/analyze').send(focus).expect(200);
    const rf = (name: string) => res.body.layers.find((l: { name: string }) => l.name === name).receptiveField;
    expect(rf('cat')).toMatchObject({ size: [2, 2], stride: [2, 2], padding: [0, 0] });
    expect(rf('conv')).toMatchObject({ size: [6, 6], stride: [2, 2], padding: [2, 2] });
    expect(res.body.warnings.map((w: { code: string }) => w.code)).not.toContain('MISALIGNED_PATHS');
  });

  it('POST /v1/erf at unit (1, 1): the theoretical box rows and columns 0 … 5, the gradient\'s support the same 36 pixels', async () => {
    const res = await request(app.server)
      .post('/v1/erf')
      .send({ spec: focus, weights: { 'conv.weight': { shape: [1, 4, 3, 3], data: new Array(36).fill(1) } }, inputs: { x: { shape: [1, 1, 8, 8], data: new Array(64).fill(1) } }, position: [1, 1], format: 'flat', stages: false, heatmap: false })
      .expect(200);
    const s = res.body.statistics;
    expect(s.theoretical).toMatchObject({ size: [6, 6], box: { top: 0, left: 0, bottom: 5, right: 5 } });
    expect(s.support).toEqual({ box: { top: 0, left: 0, bottom: 5, right: 5 }, pixels: 36, insideTheoretical: true });
  });
});
