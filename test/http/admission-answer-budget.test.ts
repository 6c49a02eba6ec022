/**
 * What an answer charges to MEMORY_BUDGET_BYTES, read from the budget's own accounting (the
 * convlens_memory_reserved_bytes gauge), not from the process: an answer larger than the whole
 * budget is refused before it runs, and a run that answers one buffer twice is charged once. Nothing
 * here is timed, slept on or raced, so the file runs beside others (the unread answers, stalls and
 * SEND_TIMEOUT_MS are test/http/admission.test.ts, alone).
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { isSharedApp, testApp } from './app.js';
import { metricOf } from './admission-kit.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  if (app && !isSharedApp(app)) await app.close();
  app = undefined;
});
const metric = (name: string) => metricOf(app!, name);

describe('answers charged to the memory budget', () => {
  // constantOfShape [1, 6, 1024, 1024] as .npy: a 24 MiB answer from a 90-byte body
  const body = Buffer.from(JSON.stringify({ inputs: [{ shape: [4], data: [1, 6, 1024, 1024] }], attributes: { value: 0.5 }, format: 'npy' }));
  const ANSWER = 6 * 1024 * 1024 * 4;
  const post = () => request(app!.server).post('/v1/operators/constantOfShape').set('content-type', 'application/json').send(body.toString());

  it('an answer larger than the whole budget (24 MiB of 16 MiB): 413 RESPONSE_TOO_LARGE naming MEMORY_BUDGET_BYTES (before it runs: its run asks for its peak first), nothing held after', async () => {
    app = await testApp({ MEMORY_BUDGET_BYTES: String(16 * 1024 * 1024), MODEL_CACHE_BYTES: '0' });
    const res = await post();
    expect([res.status, res.body.error.code, res.body.error.estimate, res.body.error.path]).toEqual([413, 'RESPONSE_TOO_LARGE', ANSWER, '$']);
    expect(res.body.error.shapes).toEqual({ output0: [1, 6, 1024, 1024] });
    expect(res.body.error.message).toContain('MEMORY_BUDGET_BYTES');
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
  });

  it('a run that captures its own output answers one 16 MiB buffer twice: charged once, so it runs on a 24 MiB budget (it was 413 with 32 MiB counted)', async () => {
    app = await testApp({ MEMORY_BUDGET_BYTES: String(24 * 1024 * 1024), MODEL_CACHE_BYTES: '0' });
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 64, 64] }], layers: [{ name: 'up', op: 'upsample', scaleFactor: 32 }] };
    const body = { spec, inputs: { x: { shape: [1, 1, 64, 64], data: new Array(4096).fill(1) } }, format: 'base64' };
    await request(app.server).post('/v1/run').send(body).expect(200);
    const captured = await request(app.server).post('/v1/run').send({ ...body, capture: ['up'] });
    expect(captured.status, JSON.stringify(captured.body.error)).toBe(200);
    expect(await metric('convlens_memory_reserved_bytes')).toBe(0);
  });
});
