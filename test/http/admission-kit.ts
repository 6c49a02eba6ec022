/** What the admission tests share (admission.test.ts, admission-refusals.test.ts): the budget, relu bodies, half-sent requests, a metric read back. */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { head, rawRequest } from './raw.js';
import type { RawConnection } from './raw.js';

// the requests' whole budget: no model cache set aside from it (test/http/run-cache-budget.test.ts)
export const BUDGET = 8 * 1024 * 1024;
// half-sent bodies hold their declared estimate for the whole spec (RESERVE_AHEAD_MS)
export const BUDGET_ENV = { MEMORY_BUDGET_BYTES: String(BUDGET), MODEL_CACHE_BYTES: '0', RESERVE_AHEAD_MS: '60000' };

/** A relu call on n zeros as base64 JSON. */
export const reluBody = (n: number) => Buffer.from(JSON.stringify({ inputs: [{ shape: [n], dtype: 'float32', base64: Buffer.alloc(4 * n).toString('base64') }], format: 'base64' }));

/** `n` relu calls on 1,000 floats, each with half its body sent: task requests in flight together. */
export async function halfSent(port: number, n: number) {
  const body = reluBody(1000);
  const half = body.length >> 1;
  const conns: RawConnection[] = [];
  for (let i = 0; i < n; i++) conns.push(await rawRequest(port, head('/v1/operators/relu', { 'content-type': 'application/json', 'content-length': body.length }), body.subarray(0, half)));
  return { body, half, conns };
}

/** A metric's value on the app's /metrics (0 when absent). */
export const metricOf = async (app: FastifyInstance, name: string) => {
  const text = (await request(app.server).get('/metrics')).text;
  const m = new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};
