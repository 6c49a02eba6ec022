import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

/** A run that takes several seconds: ResNet-101 at 512 with seeded weights (about 40 GMACs). */
const heavy = () => ({ model: 'resnet101', resolution: 512, inputs: { shape: [1, 3, 512, 512], dtype: 'float32', base64: Buffer.alloc(3 * 512 * 512 * 4).toString('base64') }, seed: 1 });

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('limits', () => {
  it('a task over TASK_TIMEOUT_MS: 503 TIMEOUT, and the service keeps answering', async () => {
    // long enough for a fresh worker to start after the aborted one is replaced
    app = await testApp({ WORKERS: '1', TASK_TIMEOUT_MS: '1500' });
    const res = await request(app.server).post('/v1/run').send(heavy()).expect(503);
    expect(res.body.error.code).toBe('TIMEOUT');
    await request(app.server).get('/healthz').expect(200);
    const after = await request(app.server).post('/v1/analyze?model=resnet18').expect(200);
    expect(after.body.totals.params).toBe(11_689_512);
  });

  it('more tasks than workers plus MAX_QUEUE: the extra ones get 503 OVERLOADED, every request is answered', async () => {
    // tasks stay in flight for seconds, so all five requests arrive while two are taken
    app = await testApp({ WORKERS: '1', MAX_QUEUE: '1', TASK_TIMEOUT_MS: '3000' });
    const results = await Promise.all(Array.from({ length: 5 }, () => request(app!.server).post('/v1/run').send(heavy())));
    const codes = results.map((r) => (r.status === 200 ? 'ok' : r.body.error.code));
    expect(codes).toContain('OVERLOADED');
    expect(results.every((r) => r.status === 200 || r.status === 503)).toBe(true);
  });
});
