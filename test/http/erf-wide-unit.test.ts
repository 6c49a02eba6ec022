/**
 * An ERF of a layer with millions of channels and no `channels` (the unit sums them all) is refused
 * at its sizes, quickly: the target used to list every channel (an array and a set of 16,777,216
 * entries, 1.1–1.8 GB of the process's memory outside the budget) before any size was checked, and
 * the task ran into TASK_TIMEOUT_MS (found by fuzzing).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = await testApp({ WORKERS: '1', MEMORY_BUDGET_BYTES: String(32 * 2 ** 20), MAX_TENSOR_ELEMENTS: '262144', TASK_TIMEOUT_MS: '10000' });
});
afterAll(async () => app.close());

describe('POST /v1/erf of a 16,777,216-channel conv, all channels', () => {
  it('a 1×1 conv 1 → 16,777,216 on 1×1×1×1 (output and weight over the 262,144-element limit): 413 within 3 s, not a 503 TIMEOUT after 10 s', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 16_777_216, kernelSize: 1 }] };
    const started = performance.now();
    const res = await request(app.server).post('/v1/erf').send({ spec });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toMatch(/^(TENSOR_TOO_LARGE|GRAPH_TOO_LARGE)$/);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
