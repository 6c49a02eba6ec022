/**
 * A finished job forgotten for room in the in-process store (JOB_STORE_MAX_BYTES) before its
 * expiresAt is answered 410 JOB_EVICTED, naming JOB_STORE_MAX_BYTES, until that expiresAt; then 404
 * as any expired job. Found by a hunt: with JOB_STORE_MAX_BYTES=10000000 and JOB_TTL_SECONDS=60,
 * four resnet50 runs capturing conv1: job 1 said expiresAt 13:17:35, and at 13:16:52 GET was 404
 * "it may have finished more than JOB_TTL_SECONDS ago, or been deleted", neither of which it had.
 */
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ErrorResponse } from '../../src/http/responses.js';
import { inlinePool, waitFor } from './helpers.js';

const submit = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object });
/** A relu run over `n` float32 inputs: its input holds 4n bytes while it waits, its result about 8n + 200 as flat JSON. */
const run = (n: number) => ({ kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, n] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, n], data: new Array(n).fill(1) } } });

async function app(env: Record<string, string>) {
  const pool = inlinePool(1);
  const a = await buildApp({ config: loadConfig({ WORKERS: '1', ...env }), pool });
  await a.ready();
  return { app: a, pool };
}

describe('a job evicted for room', () => {
  it('JOB_STORE_MAX_BYTES=4000, JOB_TTL_SECONDS=60: the first of equal runs, evicted when a later one finishes, is 410 JOB_EVICTED on GET, results, DELETE and GraphQL until its expiresAt; the others stay 200', async () => {
    const { app: a } = await app({ JOB_STORE_MAX_BYTES: '4000', JOB_TTL_SECONDS: '60' });
    try {
      const first = await waitFor(a, (await submit(a, run(40))).json().id);
      const status = async (id: string) => (await a.inject({ url: `/v1/jobs/${id}` })).statusCode;
      const ids = [first.id as string];
      for (let n = 2; n <= 40 && (await status(first.id)) === 200; n++) ids.push((await waitFor(a, (await submit(a, run(40))).json().id)).id);
      expect(ids.length).toBeGreaterThan(2);
      expect(Date.now()).toBeLessThan(Date.parse(first.expiresAt));
      const get = await a.inject({ url: `/v1/jobs/${first.id}` });
      expect(get.statusCode).toBe(410);
      expect(ErrorResponse.safeParse(get.json()).success).toBe(true);
      const { error } = get.json();
      expect(error).toMatchObject({ code: 'JOB_EVICTED', path: 'id', expiresAt: first.expiresAt, limit: 4000 });
      expect(error.message).toMatch(new RegExp(`^job ${first.id} was evicted at \\S+Z, before its expiresAt \\(${first.expiresAt.replace(/\./g, '\\.')}\\), to make room for newer jobs in the in-process job store: JOB_STORE_MAX_BYTES \\(4000 bytes\\)`));
      expect(Date.parse(error.evictedAt)).toBeLessThan(Date.parse(first.expiresAt));
      const results = await a.inject({ url: `/v1/jobs/${first.id}/results` });
      expect([results.statusCode, results.json().error.code]).toEqual([410, 'JOB_EVICTED']);
      const del = await a.inject({ method: 'DELETE', url: `/v1/jobs/${first.id}` });
      expect([del.statusCode, del.json().error.code]).toEqual([410, 'JOB_EVICTED']);
      const gql = await a.inject({ method: 'POST', url: '/graphql', payload: { query: `{ job(id: "${first.id}") { id status } }` } });
      expect(gql.json().errors[0].extensions.code).toBe('JOB_EVICTED');
      expect(await Promise.all(ids.slice(1).map(status))).toEqual(ids.slice(1).map(() => 200));
      // a job nobody issued is still 404
      expect((await a.inject({ url: '/v1/jobs/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    } finally {
      await a.close();
    }
  });

  it('JOB_TTL_SECONDS=1: an evicted job is 410 until its expiresAt, then 404 JOB_NOT_FOUND as an expired one', async () => {
    const { app: a } = await app({ JOB_STORE_MAX_BYTES: '4000', JOB_TTL_SECONDS: '1' });
    try {
      // two results of 400 values in base64 (about 2,400 bytes each) do not fit in 4000 together
      const first = await waitFor(a, (await submit(a, { ...run(400), format: 'base64' })).json().id);
      const second = await waitFor(a, (await submit(a, { ...run(400), format: 'base64' })).json().id);
      expect([first.status, second.status]).toEqual(['done', 'done']);
      const get = await a.inject({ url: `/v1/jobs/${first.id}` });
      expect([get.statusCode, get.json().error.code]).toEqual([410, 'JOB_EVICTED']);
      await new Promise((r) => setTimeout(r, Date.parse(first.expiresAt) - Date.now() + 50));
      const later = await a.inject({ url: `/v1/jobs/${first.id}` });
      expect([later.statusCode, later.json().error.code]).toEqual([404, 'JOB_NOT_FOUND']);
    } finally {
      await a.close();
    }
  });

  it('a submission refused for room (503) evicts nothing: the finished result it could not use stays readable (it was forgotten on the way)', async () => {
    const { app: a, pool } = await app({ JOB_STORE_MAX_BYTES: '4000', JOB_TTL_SECONDS: '60' });
    try {
      const done = await waitFor(a, (await submit(a, run(10))).json().id);
      pool.hold();
      // 3000 input bytes held while it runs, beside the finished result
      const running = await submit(a, run(750));
      expect(running.statusCode).toBe(202);
      // 1200 more bytes fit neither beside both nor with the finished result gone
      const refused = await submit(a, run(300));
      expect([refused.statusCode, refused.json().error.code]).toEqual([503, 'OVERLOADED']);
      expect((await a.inject({ url: `/v1/jobs/${done.id}` })).statusCode).toBe(200);
      pool.release();
      await waitFor(a, running.json().id);
    } finally {
      await a.close();
    }
  });
});
