/**
 * POST /v1/run and /v1/analyze on an ONNX file with a Loop kept whole (torchvision's
 * paste_masks_in_image, scripts/export_detection.py): the service answers the report and PyTorch's
 * pasted masks, the loop run iteration by iteration behind the route.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledError } from '../helpers.js';
import { testApp } from '../http/app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({});
});
afterAll(async () => app.close());

const dir = new URL('../fixtures/onnx/detection/', import.meta.url);
const golden = JSON.parse(readFileSync(new URL('paste_masks.json', dir), 'utf8'));
const onnx = readFileSync(new URL('paste_masks.onnx', dir));

describe('the paste loop through the HTTP routes', () => {
  it('POST /v1/analyze: complete, the loop layer at its trip count 3, output [3, 1, 20, 24], a DATA_DEPENDENT_SHAPE warning', async () => {
    const res = await request(app.server).post('/v1/analyze').set('content-type', 'application/octet-stream').send(onnx).expect(200);
    expect(res.body.totals.complete).toBe(true);
    expect(res.body.outputs[0].shape).toEqual([3, 1, 20, 24]);
    expect(res.body.warnings.map((w: { code: string }) => w.code)).toContain('DATA_DEPENDENT_SHAPE');
  });

  it("POST /v1/run: PyTorch's pasted masks within 1e-5", async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .attach('model', onnx, 'paste.onnx')
      .field('request', JSON.stringify({ inputs: golden.inputs, format: 'flat' }))
      .expect(200);
    const out = res.body.outputs[0];
    expect(out.shape).toEqual(golden.output.shape);
    expect(scaledError(Float32Array.from(out.data), golden.output.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('a Loop that runs no iteration with a scan output, through POST /v1/run (scripts/export_loop_no_iteration.py: M folds to 0)', () => {
  const zeroScan = readFileSync(new URL('../fixtures/onnx/control/loop_shapes_zero_scan.onnx', import.meta.url));
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/control/no_iteration_truth.json', import.meta.url), 'utf8'));

  it("answers ONNX Runtime's outputs: y = x [2, 3], ys empty [0, 2, 3] (the loop was unsupported)", async () => {
    const res = await request(app.server)
      .post('/v1/run')
      .attach('model', zeroScan, 'zero.onnx')
      .field('request', JSON.stringify({ inputs: { x: truth.input }, format: 'flat' }))
      .expect(200);
    const byName = Object.fromEntries(res.body.outputs.map((o: { name: string; shape: number[]; data: number[] }) => [o.name, [o.shape, o.data]]));
    expect(byName).toEqual({ y: [truth.cases.loop_shapes_zero_scan.y.shape, truth.cases.loop_shapes_zero_scan.y.data], ys: [[0, 2, 3], []] });
  });
});
