/**
 * A run whose answer is over MAX_RESPONSE_BYTES is refused before its first layer
 * (runtime/answer-bound.ts): the outputs' and captures' shapes are inferred before any kernel runs.
 * Timed against the run itself (seconds of work; the refusal well under a second once the model is
 * cached), so this file runs alone (vitest.config.ts SERIAL); the operator and GraphQL bounds,
 * untimed, are test/http/answer-before-compute.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** ResNet-101 at 512 with seeded weights (about 40 GMACs): several seconds of work. */
const heavy = (capture: string[]) => ({
  model: 'resnet101',
  resolution: 512,
  inputs: { shape: [1, 3, 512, 512], dtype: 'float32', base64: Buffer.alloc(3 * 512 * 512 * 4).toString('base64') },
  seed: 1,
  capture,
  format: 'base64',
});

describe('POST /v1/run: the outputs and captures, before the first layer', () => {
  it('capturing conv1 of ResNet-101 at 512 ([1, 64, 256, 256], 22 MB as base64) under 1 MiB: 413 refused before running, naming fc and conv1; once the model is cached, in well under a second (the run takes seconds: 3.4 s on 2 vCPUs)', async () => {
    app = await testApp({ MAX_RESPONSE_BYTES: String(1 << 20), WORKERS: '1' });
    for (const cached of [false, true]) {
      const t0 = performance.now();
      const res = await request(app.server).post('/v1/run').send(heavy(['conv1']));
      expect([res.status, res.body.error?.code]).toEqual([413, 'RESPONSE_TOO_LARGE']);
      expect(res.body.error.shapes).toEqual({ fc: [1, 1000], conv1: [1, 64, 256, 256] });
      expect(res.body.error.message).toContain("('fc' [1, 1000], 'conv1' [1, 64, 256, 256]: 4195304 values as base64)");
      expect(res.body.error.message).toContain('refused before running');
      if (cached) expect(performance.now() - t0).toBeLessThan(1000);
    }
  });
});
