/**
 * Jobs on a real redis-server (BullMQ): two API replicas and a worker, so a job submitted to one
 * replica is answered by the other and run by the worker; cancellation from any replica; the
 * `convlens worker` command on SIGTERM with Redis unreachable (within 8 s: its other cases, which time
 * nothing, are test/jobs/worker-command.test.ts, beside other files); and a Redis that stops
 * answering or is away is 503 QUEUE_UNAVAILABLE.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import { guard, jobKeys } from '../../src/jobs/redis.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { ZOO } from '../../src/zoo/index.js';
import { startRedis, tinySpec, waitFor, watchCommands } from './helpers.js';
import type { RedisServer } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const quiet = pino({ level: 'silent' });
const submit = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object });

describe('jobs on Redis: two replicas and a worker', () => {
  let redis: RedisServer;
  let a: FastifyInstance;
  let b: FastifyInstance;
  let pool: TaskPool;
  let worker: JobWorker | null = null;
  const env = () => ({ WORKERS: '1', REDIS_URL: redis.url });
  beforeAll(async () => {
    redis = await startRedis();
    // the replicas share one small pool (they only validate: the worker runs the jobs)
    pool = createPool(loadConfig({ WORKERS: '1' }));
    a = await buildApp({ config: loadConfig(env()), pool });
    b = await buildApp({ config: loadConfig(env()), pool });
    await Promise.all([a.ready(), b.ready()]);
  });
  afterAll(async () => {
    await worker?.close();
    await Promise.all([a?.close(), b?.close()]);
    await pool?.close();
    await redis?.stop();
  });

  it('with no worker running a job stays queued on both replicas; DELETE on the other replica cancels it, and no worker ever runs it', async () => {
    const res = await submit(a, { kind: 'analyze', spec: tinySpec });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    expect((await waitFor(b, id, ['queued'])).startedAt).toBeNull();
    const del = await b.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.json()).toMatchObject({ id, status: 'cancelled', error: { code: 'JOB_CANCELLED' } });
    expect((await waitFor(a, id)).status).toBe('cancelled');
    // started later, the worker does not see it
    worker = await startJobWorker(loadConfig(env()), pool, quiet);
    await new Promise((r) => setTimeout(r, 300));
    expect((await waitFor(a, id)).status).toBe('cancelled');
  });

  it('analyze resnet50 submitted to A, read from B: the report POST /v1/analyze answers (25,557,032 params, torchvision)', async () => {
    const { id } = (await submit(a, { kind: 'analyze', model: 'resnet50' })).json();
    const job = await waitFor(b, id);
    expect(job.status).toBe('done');
    expect(job.result.totals.params).toBe(25_557_032);
    expect(job.result).toEqual((await b.inject({ method: 'POST', url: '/v1/analyze?model=resnet50' })).json());
    expect(job.startedAt).not.toBeNull();
  });

  it('a batch submitted to B streams from A as NDJSON in model order; its status counts the broken file', async () => {
    const { id } = (await submit(b, { kind: 'batch', models: ['mobilenet_v2', { onnxBase64: 'AAAA', name: 'broken.onnx' }, 'resnet18'] })).json();
    const res = await a.inject({ url: `/v1/jobs/${id}/results` });
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.name, l.report?.totals.params ?? l.error.code])).toEqual([
      [0, 'mobilenet_v2', 3_504_872],
      [1, 'broken.onnx', 'ONNX_INVALID'],
      [2, 'resnet18', 11_689_512],
    ]);
    expect(await waitFor(b, id)).toMatchObject({ status: 'done', progress: { done: 3, total: 3 }, result: { models: 3, reports: 2, errors: 1 } });
  });

  it('a failing run job is failed with the catalog error the synchronous route gives (SHAPE_MISMATCH-like codes come through intact)', async () => {
    // a relu net fed a [1, 3] tensor where it declares [1, 2]
    const { id } = (await submit(a, { kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 3], data: [1, 2, 3] } } })).json();
    const job = await waitFor(b, id);
    const sync = (await a.inject({ method: 'POST', url: '/v1/run', payload: { spec: tinySpec, inputs: { x: { shape: [1, 3], data: [1, 2, 3] } } } })).json();
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe(sync.error.code);
    expect(job.error.code).not.toBe('INTERNAL');
  });

  it('DELETE of a running batch (100 models, 1 thread) from the other replica: cancelled within seconds, most models never run', async () => {
    const models = Array.from({ length: 100 }, (_, i) => ZOO[i % ZOO.length].name);
    const { id } = (await submit(a, { kind: 'batch', models })).json();
    await waitFor(b, id, ['running']);
    const started = performance.now();
    const del = await b.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(performance.now() - started).toBeLessThan(3000);
    const job = del.json().status === 'cancelled' ? del.json() : await waitFor(a, id);
    expect(job).toMatchObject({ status: 'cancelled', error: { code: 'JOB_CANCELLED' } });
    expect(job.progress.done).toBeLessThan(100);
    // the stream holds the lines made before it stopped, then the error
    const lines = (await a.inject({ url: `/v1/jobs/${id}/results` })).body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ error: job.error });
    expect(lines.slice(0, -1).map((l) => l.index)).toEqual(lines.slice(0, -1).map((_, i) => i));
  });

  it('JOB_TTL_SECONDS=1 on both sides: the finished job reads 404 once a second has passed', async () => {
    const short = await buildApp({ config: loadConfig({ ...env(), JOB_TTL_SECONDS: '1' }), pool });
    try {
      const { id } = (await submit(short, { kind: 'analyze', spec: tinySpec })).json();
      const job = await waitFor(short, id);
      await new Promise((r) => setTimeout(r, Date.parse(job.expiresAt) - Date.now() + 50));
      expect((await short.inject({ url: `/v1/jobs/${id}` })).json().error.code).toBe('JOB_NOT_FOUND');
    } finally {
      await short.close();
    }
  });

  it('the convlens_jobs gauge reads the queue: nothing waiting once the jobs are done', async () => {
    const metrics = (await a.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('convlens_jobs{state="queued"} 0');
  });
});

describe('the `convlens worker` command', () => {
  it('SIGTERM while Redis cannot be reached (a closed port): it stops within seconds and exits 0 (it waited for a connection, deaf to the signal, for 10 minutes)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], { cwd: root, env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', WORKERS: '1', LOG_LEVEL: 'info' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // started and trying to connect: its first connection error is logged
    for (let i = 0; i < 200 && !out.includes('ECONNREFUSED'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('ECONNREFUSED');
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 8000))]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, out.slice(-2000)).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(8000);
    expect(out).toContain('stopped before the queue on REDIS_URL could be reached');
    // started without the server's V8 flag, it ran as a child with it (no warning), and the SIGTERM reached that child
    expect(out).not.toContain('started without --initial-old-space-size=128');
  }, 45_000);
});

// found by a hunt: a DELETE answered 503 "retry later" deleted the job once Redis answered again, and
// a results stream Redis stopped answering ended with no error line (a 200 of 0 bytes)
describe('Redis that stops answering (SIGSTOP) and comes back', () => {
  it('a DELETE answered 503 says it may still take effect, and it does once Redis answers; a results stream ends with an error line', async () => {
    const redis = await startRedis();
    const pool = createPool(loadConfig({ WORKERS: '1' }));
    const app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), pool });
    // Redis paused as the second stream's 200 head goes out: after the route has read the job, before the stream's first read
    let pauseAtHead: (() => void) | null = null;
    app.addHook('onSend', async (request, _reply, payload) => {
      if (pauseAtHead && request.url.endsWith('/results')) {
        redis.pause();
        pauseAtHead();
        pauseAtHead = null;
      }
      return payload;
    });
    const commands = await watchCommands(redis);
    try {
      const first = (await submit(app, { kind: 'analyze', spec: tinySpec })).json().id as string;
      // the stream of a queued job past its first read: Redis has been asked for the job's lines, which
      // the stream reads once it has seen the job (a fixed 300 ms was not always enough at load 17)
      const stream = app.inject({ url: `/v1/jobs/${first}/results` });
      await commands.until('lrange', jobKeys(first).lines);
      // and one whose first read is not answered: its head went out, so it ends with a line too (it was
      // a reset connection: LIGHT_ECONNRESET)
      const paused = new Promise<void>((resolve) => (pauseAtHead = resolve));
      const unread = app.inject({ url: `/v1/jobs/${first}/results` });
      await paused;
      // a submit stops at its first read (the queue's counts), which changes nothing: retry later;
      // and a DELETE. Sent together: each waits out its own 5 s guard (one after the other took 10 s)
      const [late, del] = await Promise.all([submit(app, { kind: 'analyze', spec: tinySpec }), app.inject({ method: 'DELETE', url: `/v1/jobs/${first}` })]);
      expect([late.statusCode, late.json().error.code]).toEqual([503, 'QUEUE_UNAVAILABLE']);
      expect(late.json().error.message).toMatch(/; retry later$/);
      expect(del.statusCode).toBe(503);
      expect(del.json().error.message).toContain(`the cancellation may still take effect once it answers: GET /v1/jobs/${first} tells, before you send it again`);
      for (const res of [await stream, await unread]) {
        expect(res.statusCode).toBe(200);
        const lines = res.body.trim().split('\n').map((l) => JSON.parse(l));
        expect(lines).toHaveLength(1);
        expect(lines[0].error).toMatchObject({ code: 'QUEUE_UNAVAILABLE', linesSent: 0 });
      }
      redis.resume();
      // what the DELETE's 503 said may happen did: the job is cancelled
      expect((await waitFor(app, first, ['cancelled'])).status).toBe('cancelled');
    } finally {
      redis.resume();
      commands.close();
      await app.close();
      await pool.close();
      await redis.stop();
    }
  }, 60_000);
});

describe('guard: a Redis call that does not answer in 5 s', () => {
  it("is QUEUE_UNAVAILABLE with the change's advice and details in place of \"retry later\" (a submit's: the job id it may still queue)", async () => {
    vi.useFakeTimers();
    try {
      const client = { status: 'ready' } as unknown as Parameters<typeof guard>[0];
      const hung = guard(client, () => new Promise<never>(() => {}), { advice: 'the job may still be queued once it answers, as j1', details: { job: 'j1' } });
      const plain = guard(client, () => new Promise<never>(() => {}));
      const [a, b] = [hung.catch((e: unknown) => e), plain.catch((e: unknown) => e)];
      await vi.advanceTimersByTimeAsync(5000);
      expect(await a).toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: 'the job queue (Redis) is unavailable: no answer in 5000 ms; the job may still be queued once it answers, as j1', details: { job: 'j1' } });
      expect(await b).toMatchObject({ code: 'QUEUE_UNAVAILABLE', message: 'the job queue (Redis) is unavailable: no answer in 5000 ms; retry later' });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Redis away', () => {
  it('POST and GET answer 503 QUEUE_UNAVAILABLE (a closed port), not a hang or a 500', async () => {
    const redis = await startRedis();
    await redis.stop();
    const pool = createPool(loadConfig({ WORKERS: '1' }));
    const app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url }), pool });
    try {
      const res = await submit(app, { kind: 'analyze', spec: tinySpec });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('QUEUE_UNAVAILABLE');
      const get = await app.inject({ url: '/v1/jobs/0b6f4bd2-3f5d-4b53-9a54-3c1f1f9e2f10' });
      expect(get.statusCode).toBe(503);
      // validation still answers first, without Redis
      expect((await submit(app, { kind: 'sweep' })).statusCode).toBe(400);
    } finally {
      await app.close();
      await pool.close();
    }
  }, 30_000);
});
