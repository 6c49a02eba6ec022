/**
 * A replica on Redis closing while a client reads a job's results (http/jobs.ts): the stream ends
 * with a NOT_READY line (the job, queued with no worker, is not over and stays in Redis for the
 * other replicas), and the close does not wait for the client's keep-alive connection. Before, the
 * stream's last Redis read ran after the server had closed its idle connections, and a keep-alive
 * client (undici's fetch) held the close for its keep-alive timeout: 70 s measured.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { startRedis, tinySpec } from './helpers.js';
import type { RedisServer } from './helpers.js';

let redis: RedisServer;
let pool: TaskPool;
beforeAll(async () => {
  redis = await startRedis();
  pool = createPool(loadConfig({ WORKERS: '1' }));
});
afterAll(async () => {
  await pool?.close();
  await redis?.stop();
});

describe('a replica on Redis closing with a results stream open', () => {
  it('the stream ends with NOT_READY, and the close takes under 5 s with the keep-alive client still connected', async () => {
    const app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), pool });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const submitted = await fetch(`http://127.0.0.1:${port}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'analyze', spec: tinySpec }) });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const res = await fetch(`http://127.0.0.1:${port}/v1/jobs/${id}/results`);
    expect(res.status).toBe(200);
    const body = res.text();
    const started = performance.now();
    await app.close();
    expect(performance.now() - started).toBeLessThan(5000);
    const lines = (await body).trim().split('\n');
    expect(JSON.parse(lines.at(-1)!).error).toMatchObject({ code: 'NOT_READY', path: 'id' });
  }, 30_000);
});
