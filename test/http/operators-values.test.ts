/**
 * POST /v1/operators for operators whose inputs are values, not feature maps (OpDef.valueInputs):
 * constantOfShape's shape and range's bounds decide the output's shape, so the call takes them as
 * constants, and the layer runs even though every input is known (it used to fold away, leaving no
 * layer to answer: a 400). PyTorch's answers: torch.full((2, 3), 1.5), torch.arange(1, 8, 2.5),
 * torch.arange(5, 0, -2).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app.close());

const call = (name: string, body: object) => request(app.server).post(`/v1/operators/${name}`).send(body);

describe('operators whose inputs are values', () => {
  it('constantOfShape(shape = [2, 3], value 1.5) is torch.full((2, 3), 1.5): six 1.5s of shape [2, 3]', async () => {
    const res = await call('constantOfShape', { inputs: [{ shape: [2], data: [2, 3] }], attributes: { value: 1.5 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.outputs[0].shape).toEqual([2, 3]);
    expect(res.body.outputs[0].data).toEqual([
      [1.5, 1.5, 1.5],
      [1.5, 1.5, 1.5],
    ]);
    expect(res.body.outputs[0].stats).toMatchObject({ min: 1.5, max: 1.5, mean: 1.5 });
  });

  it('range(1, 8, 2.5) is torch.arange(1, 8, 2.5) = [1, 3.5, 6]: ⌈(8 − 1)/2.5⌉ = 3 elements, one FLOP each; range(5, 0, −2) = [5, 3, 1]', async () => {
    const res = await call('range', { inputs: [{ shape: [], data: 1 }, { shape: [], data: 8 }, { shape: [], data: 2.5 }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.outputs[0]).toMatchObject({ shape: [3], data: [1, 3.5, 6] });
    expect(res.body.cost).toMatchObject({ params: 0, macs: 0, flops: 3 });
    const down = await call('range', { inputs: [{ shape: [], data: 5 }, { shape: [], data: 0 }, { shape: [], data: -2 }] });
    expect(down.status, JSON.stringify(down.body)).toBe(200);
    expect(down.body.outputs[0].data).toEqual([5, 3, 1]);
  });

  it('a negative dimension is still INVALID_ATTRIBUTE naming the shape, a shape of rank 2 is refused (ONNX: 1-D), a zero delta is named, each at its input ($.inputs[0], $.inputs[2])', async () => {
    const neg = await call('constantOfShape', { inputs: [{ shape: [2], data: [2, -1] }] });
    expect(neg.status).toBe(400);
    expect(neg.body.error).toMatchObject({ code: 'INVALID_ATTRIBUTE' });
    expect(neg.body.error.message).toContain('negative dimension -1');
    const rank2 = await call('constantOfShape', { inputs: [{ shape: [2, 1], data: [2, 3] }] });
    expect(rank2.status).toBe(400);
    expect(rank2.body.error.message).toContain('shape must be a 1-D tensor');
    const zero = await call('range', { inputs: [{ shape: [], data: 0 }, { shape: [], data: 4 }, { shape: [], data: 0 }] });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toContain('range delta is 0');
    // each at the input at fault, not $.inputs (which of three?)
    expect([neg.body.error.path, rank2.body.error.path, zero.body.error.path]).toEqual(['$.inputs[0]', '$.inputs[0]', '$.inputs[2]']);
  });
});
