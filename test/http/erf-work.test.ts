/**
 * An ERF's samples are one request's work: each random input is a forward and a reverse pass of
 * its own (a task each), and MAX_RUN_WORK holds all of them together. Two 3×3 convs over 1×1×7×7:
 * about 25·9 + 9·9 = 306 MACs and 34 outputs forward, and the reverse pass at twice its forward
 * (backward.ts REVERSE_RATE), so about 1,020 units a sample: with MAX_RUN_WORK 10,000, 8 samples
 * (~8,200) fit and 64 (~65,000) do not.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance;
const before = process.env.MAX_RUN_WORK;
beforeAll(async () => {
  // the workers read the engine's limits from the environment (runtime/limits.ts), which they inherit when spawned
  process.env.MAX_RUN_WORK = '10000';
  app = await testApp({ MAX_RUN_WORK: '10000', WORKERS: '1' });
});
afterAll(async () => {
  await app.close();
  if (before === undefined) delete process.env.MAX_RUN_WORK;
  else process.env.MAX_RUN_WORK = before;
});

const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
  layers: [
    { name: 'a', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
    { name: 'b', op: 'conv2d', outChannels: 1, kernelSize: 3, bias: false },
  ],
};

describe('POST /v1/erf: MAX_RUN_WORK covers every sample', () => {
  it('8 samples fit (about 5,400 units of 10,000)', async () => {
    const res = await request(app.server).post('/v1/erf').send({ spec, samples: 8, stages: false }).expect(200);
    expect(res.body.input).toMatchObject({ samples: 8 });
  });

  it('64 samples (about 43,500 units) are 413 WORK_TOO_LARGE, saying the estimate is for all 64 samples together', async () => {
    const res = await request(app.server).post('/v1/erf').send({ spec, samples: 64, stages: false }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'WORK_TOO_LARGE', limit: 10000 });
    expect(res.body.error.estimate).toBeGreaterThan(10000);
    expect(res.body.error.message).toContain('for all 64 samples together');
  });
});
