/**
 * An ERF's summary (runtime/erf-task.ts summaryTask: the mean |gradient| map, its statistics, the
 * stages' maps, the heatmap) asks the request's memory budget for what it holds before it computes
 * them (analysis/erf.ts ERF_SUMMARY_BYTES_PER_PIXEL, measured as the task's peak resident memory:
 * 28–29 bytes a pixel at 2048² and 4096²). Before, a one-channel 8192² map held about 1 GB beyond
 * the request's reservation (a first-contact review, 2026-12-07). The request: a 3×3 conv 1 → 1 on
 * x [1, 1, 1024, 1024], one random sample, no stages, the heatmap (the route's default): its summary
 * asks 1024² × (32 + 4 for the heatmap) bytes and the averaged gradient's 1024² × 4 (a random
 * sample's |gradient| is averaged over its samples): 41,943,040 bytes, of which the body's share of
 * the reservation covers a few hundred.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { admissionOf } from '../../src/http/admission.js';
import { testApp } from './app.js';

const MiB = 1024 * 1024;
const S = 1024;
const SUMMARY = S * S * (32 + 4) + S * S * 4;
const body = { spec: { inputs: [{ name: 'x', shape: [1, 1, S, S] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 }] }, samples: 1, stages: false, format: 'npy' };

const apps: FastifyInstance[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});
const serve = async (budget: number) => {
  const app = await testApp({ WORKERS: '1', MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000', MEMORY_BUDGET_BYTES: String(budget) });
  apps.push(app);
  return app;
};

describe("an ERF's summary within the memory budget", () => {
  it(`a 3×3 conv on x 1×1×${S}×${S}, one random sample: with a 32 MiB budget 413 GRAPH_TOO_LARGE at $.spec.inputs, its statistics needing ${SUMMARY} bytes; with 96 MiB 200`, async () => {
    const small = await serve(32 * MiB);
    const refused = await request(small.server).post('/v1/erf').send(body);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'GRAPH_TOO_LARGE', path: '$.spec.inputs', limit: 32 * MiB });
    expect(refused.body.error.message).toContain(`the ERF's statistics of its ${S}×${S} map needs about ${SUMMARY} bytes of memory`);
    // what the body's share of the reservation (its JSON × 4) does not cover
    expect(refused.body.error.needed).toBeGreaterThan(SUMMARY - 4096);
    expect(refused.body.error.needed).toBeLessThan(SUMMARY);
    // the budget is given back, refused or not
    for (let t = 0; t < 50 && admissionOf(small)!.budget.used > 0; t++) await new Promise((r) => setTimeout(r, 20));
    expect(admissionOf(small)!.budget.used).toBe(0);
    const enough = await serve(96 * MiB);
    const ran = await request(enough.server).post('/v1/erf').send(body);
    expect(ran.status).toBe(200);
  });
});
