/**
 * A large job submission to the Redis queue (submitJson, given the pool) is parsed, checked and
 * written as JSON in the large-JSON worker, with the real piscina pool: the job's data in Redis is
 * byte for byte what BullMQ writes for the parsed request (JSON.stringify on the event loop), the
 * job runs the same, and the errors are submit's. Found by a probe: parsed there and cloned back,
 * checked (tensors decoded) and stringified on the event loop, an 18.8 MB run job held GET /healthz
 * for 2.6 s at p99 (4 clients), and 4 of 6 submissions timed out (503 QUEUE_UNAVAILABLE).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ConvlensError } from '../../src/errors.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { QUEUE_PREFIX, createRedisJobs, jobKeys } from '../../src/jobs/redis.js';
import type { JobQueue } from '../../src/jobs/types.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { startRedis } from './helpers.js';
import type { RedisServer } from './helpers.js';

const silent = { warn: () => undefined, error: () => undefined, info: () => undefined, debug: () => undefined } as never;

describe('a large job submission on Redis, checked and written as JSON in the worker', () => {
  let redis: RedisServer;
  let client: Redis;
  let pool: TaskPool;
  let jobs: JobQueue;
  let worker: JobWorker | null = null;
  const offloaded: unknown[] = [];
  /** The kinds of the large-JSON tasks sent. */
  const kinds: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    const config = loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_TTL_SECONDS: '600' });
    pool = createPool(config);
    const run = pool.run.bind(pool);
    pool.run = (async (task: never, payload: { kind?: string; queued?: boolean }, ...rest: never[]) => {
      if (typeof payload?.kind === 'string') kinds.push(payload.kind);
      const answer = await run(task, payload, ...rest);
      if (payload?.kind === 'job') offloaded.push({ queued: payload.queued, answer: structuredClone(answer) });
      return answer;
    }) as typeof pool.run;
    jobs = createRedisJobs({ ...config, REDIS_URL: redis.url }, silent, pool);
  }, 60_000);
  afterAll(async () => {
    await worker?.close();
    await jobs?.close();
    await pool?.close();
    client?.disconnect();
    await redis?.stop();
  });

  const dataOf = (id: string) => client.hget(`${QUEUE_PREFIX}:jobs:${id}`, 'data');
  async function result(id: string): Promise<any> {
    for (let k = 0; k < 200; k++) {
      const view = await jobs.get(id);
      if (view?.head.status === 'done') return JSON.parse(view.result!.toString());
      if (view?.head.status === 'failed') throw new Error(JSON.stringify(view.head.error));
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('not done');
  }

  const spec = { inputs: [{ name: 'x', shape: [1, 20000] }], layers: [{ name: 'r', op: 'relu' }] };
  // 20,000 values −1, 2, −1, 2, …: relu's mean is 1, min 0, max 2
  const data = Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? -1 : 2));
  const body = { kind: 'run', spec, inputs: { x: { shape: [1, 20000], data } }, format: 'base64' };
  const text = JSON.stringify(body) + ' '.repeat(30_000);

  it('a run job of 20,000 values: the worker answers its JSON bytes (no request objects), the job data is what BullMQ writes for the object, and it runs: relu mean 1', async () => {
    offloaded.length = 0;
    const large = await jobs.submitJson!(new Uint8Array(Buffer.from(text)), 'body');
    const small = await jobs.submit(JSON.parse(text));
    expect(offloaded).toHaveLength(1);
    const { queued, answer } = offloaded[0] as { queued: boolean; answer: { kind: string; total: null; json: Uint8Array } };
    expect(queued).toBe(true);
    expect(Object.keys(answer).sort()).toEqual(['json', 'kind', 'total']);
    expect(answer.json).toBeInstanceOf(Uint8Array);
    const stored = await dataOf(large.head.id);
    expect(stored).toBe(JSON.stringify({ kind: 'run', body, total: null }));
    expect(stored).toBe(await dataOf(small.head.id));
    expect(large.head).toMatchObject({ kind: 'run', status: 'queued', progress: null });
    worker = await startJobWorker(loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_TTL_SECONDS: '600' }), pool, silent);
    for (const id of [large.head.id, small.head.id]) expect((await result(id)).outputs[0]).toMatchObject({ name: 'r', shape: [1, 20000], stats: { min: 0, max: 2, mean: 1 } });
  });

  it("the service's own queue (createJobQueue with REDIS_URL) takes that path: its large submission is written in the worker, not parsed back and stringified here (index.ts kept its own submitJson)", async () => {
    const queue = await createJobQueue(loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_TTL_SECONDS: '600' }), pool, silent);
    try {
      offloaded.length = 0;
      const view = await queue.submitJson!(new Uint8Array(Buffer.from(text)), 'body');
      expect(offloaded).toHaveLength(1);
      expect(offloaded[0]).toMatchObject({ queued: true, answer: { kind: 'run', total: null } });
      expect(await dataOf(view.head.id)).toBe(JSON.stringify({ kind: 'run', body, total: null }));
    } finally {
      await queue.close();
    }
  });

  it('refused in the worker as submit refuses the object: 3 values for [1, 4], a batch of 2 with progress 0/2 accepted', async () => {
    const bad = JSON.stringify({ kind: 'run', spec, inputs: { x: { shape: [1, 4], data: [1, 2, 3] } } }) + ' '.repeat(1000);
    const refusal = async (p: Promise<unknown>) => p.then(() => null, (e: ConvlensError) => ({ code: e.code, message: e.message, details: e.details }));
    const large = await refusal(jobs.submitJson!(Buffer.from(bad), 'body'));
    expect(large).toMatchObject({ code: 'INVALID_TENSOR' });
    expect(large).toEqual(await refusal(jobs.submit(JSON.parse(bad))));
    const batch = await jobs.submitJson!(Buffer.from(JSON.stringify({ kind: 'batch', models: ['resnet18', 'alexnet'] })), 'body');
    expect(batch.head).toMatchObject({ kind: 'batch', progress: { done: 0, total: 2 } });
    expect(await dataOf(batch.head.id)).toBe(JSON.stringify({ kind: 'batch', body: { kind: 'batch', models: ['resnet18', 'alexnet'] }, total: 2 }));
  });

  it("a form's request field with an .npy part: moved to the worker and back with the job, not copied (the caller's buffer is detached), the part stored as sent and named in the data; relu of [−1, 2] is [0, 2]", async () => {
    const npy = encodeNpy(tensor([1, 2], [-1, 2]));
    const field = JSON.stringify({ kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] } });
    const form = { files: new Map([['x', new Uint8Array(npy)]]), fileNames: new Map([['x', 'x.npy']]) };
    const view = await jobs.submitJson!(field, 'request', form);
    // a copy was sent (the caller's 136 bytes kept): a 20 MB part was copied on the event loop
    expect(form.files.get('x')!.byteLength).toBe(0);
    expect((await client.getBuffer(jobKeys(view.head.id).file(0)))!.equals(Buffer.from(npy))).toBe(true);
    expect(JSON.parse((await dataOf(view.head.id))!)).toEqual({ kind: 'run', body: JSON.parse(field), total: null, files: ['x'], fileNames: { x: 'x.npy' } });
    expect((await result(view.head.id)).outputs[0]).toMatchObject({ name: 'r', shape: [1, 2], stats: { min: 0, max: 2, mean: 1 } });
  });

  it('a large GraphQL submitJob on Redis: checked and written as JSON in the worker that parsed the body (no second parse: no job task), its data what the small body stores; errors the same', async () => {
    const app = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_TTL_SECONDS: '600' }), pool });
    await app.ready();
    try {
      const query = 'mutation($r: JSON!) { submitJob(kind: run, request: $r) { kind status progress { done } } }';
      const r = { spec: { inputs: [{ name: 'x', shape: [1, 4] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 4], data: [-1, 2, -3, 4] } } };
      const post = (payload: string) => app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });
      const both = async (request: unknown) => {
        const json = JSON.stringify({ query: query.replace('{ kind', '{ id kind'), variables: { r: request } });
        const small = (await post(json)).json();
        kinds.length = 0;
        const large = (await post(json + ' '.repeat(200_000))).json();
        // the job worker started above runs jobs on this pool too (runReport): the parses are these
        return { small, large, kinds: kinds.filter((k) => k === 'graphql' || k === 'job') };
      };
      const ok = await both(r);
      expect(ok.kinds).toEqual(['graphql']);
      expect(ok.small.data.submitJob).toMatchObject({ kind: 'run', status: 'queued', progress: null });
      expect({ ...ok.large.data.submitJob, id: 0 }).toEqual({ ...ok.small.data.submitJob, id: 0 });
      const stored = await dataOf(ok.large.data.submitJob.id);
      expect(stored).toBe(JSON.stringify({ kind: 'run', body: { kind: 'run', ...r }, total: null }));
      expect(stored).toBe(await dataOf(ok.small.data.submitJob.id));
      const bad = await both({ ...r, inputs: { x: { shape: [1, 4], data: [1, 2, 3] } } });
      expect(bad.small.errors[0].extensions).toMatchObject({ code: 'INVALID_TENSOR', path: expect.stringMatching(/^\$\.request\.inputs/) });
      expect(bad.large).toEqual(bad.small);
      expect(bad.kinds).toEqual(['graphql']);
    } finally {
      await app.close();
    }
  });
});
