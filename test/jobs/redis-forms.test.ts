/**
 * A multipart job on Redis (BullMQ): its file parts are stored as bytes in keys of their own beside
 * the job (not base64 in the job's data, which every status read fetches), read by the worker that
 * runs it, and deleted when it finishes or is deleted; together at most 2 × JSON_BODY_LIMIT (the
 * memory a worker gives one job), past it 413 with nothing queued. Parameter counts are torch's
 * (fixtures/onnx/truth.json).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FILE_KEEP_MS, QUEUE_PREFIX, jobFilesLimit } from '../../src/jobs/redis.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import type { JobWorker } from '../../src/jobs/worker.js';
import { createPool } from '../../src/runtime/pool.js';
import type { TaskPool } from '../../src/runtime/pool.js';
import { startRedis, waitFor } from './helpers.js';
import type { RedisServer } from './helpers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url));
const truth = JSON.parse(fixture('truth.json').toString()) as { models: Record<string, { params: number }> };
const shufflenet = fixture('shufflenet_v2_x1_0.onnx');
const resnet18 = fixture('resnet18.onnx');
const SHAPES = { '': [1, 3, 224, 224] };

describe('multipart jobs on Redis (JSON_BODY_LIMIT 100,000: files up to 200,000 bytes a job)', () => {
  let redis: RedisServer;
  let client: Redis;
  let app: FastifyInstance;
  let pool: TaskPool;
  let worker: JobWorker | null = null;
  const env = () => ({ WORKERS: '1', REDIS_URL: redis.url, JSON_BODY_LIMIT: '100000', JOB_TTL_SECONDS: '600' });
  /** A worker taking the queue's jobs, for the case that starts it: stopped after that case, so another finds its jobs queued (no worker runs them). */
  const startWorker = async () => {
    worker = await startJobWorker(loadConfig(env()), pool, pino({ level: 'silent' }));
  };
  const fileKeys = (id: string) => client.keys(`convlens:job:${id}:file:*`);
  const post = () => request(app.server).post('/v1/jobs');
  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    pool = createPool(loadConfig({ WORKERS: '1' }));
    app = await buildApp({ config: loadConfig(env()), pool });
    await app.ready();
  });
  afterEach(async () => {
    await worker?.close();
    worker = null;
  });
  afterAll(async () => {
    await app?.close();
    await pool?.close();
    client?.disconnect();
    await redis?.stop();
  });

  it('queued (no worker yet): the file is one key of its bytes, kept JOB_TTL_SECONDS and 7 days at most, the job data holds its name only; DELETE removes it', async () => {
    expect(jobFilesLimit(loadConfig(env()))).toBe(200_000);
    const res = await post().field('request', JSON.stringify({ kind: 'analyze', inputShapes: SHAPES })).attach('model', resnet18, 'resnet18.onnx').expect(202);
    const { id } = res.body;
    expect(await fileKeys(id)).toEqual([`convlens:job:${id}:file:0`]);
    expect((await client.getBuffer(`convlens:job:${id}:file:0`))!.equals(resnet18)).toBe(true);
    const ttl = await client.pttl(`convlens:job:${id}:file:0`);
    expect(ttl).toBeGreaterThan(600_000 + FILE_KEEP_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(600_000 + FILE_KEEP_MS);
    const data = JSON.parse((await client.hget(`${QUEUE_PREFIX}:jobs:${id}`, 'data'))!);
    expect(data).toEqual({ kind: 'analyze', body: { kind: 'analyze', inputShapes: SHAPES }, total: null, files: ['model'], fileNames: { model: 'resnet18.onnx' } });
    const del = await request(app.server).delete(`/v1/jobs/${id}`).expect(200);
    expect(del.body.status).toBe('cancelled');
    expect(await fileKeys(id)).toEqual([]);
  });

  it('a request field over 128 KiB (parsed in a worker) beside a file: the file is stored whole (it was moved to the parsing worker, and the submission was 503 QUEUE_UNAVAILABLE: a detached buffer)', async () => {
    // the default JSON_BODY_LIMIT, so the field may pass OFFLOAD_JSON_BYTES (128 KiB)
    const big = await buildApp({ config: loadConfig({ WORKERS: '1', REDIS_URL: redis.url, JOB_TTL_SECONDS: '600' }), pool });
    await big.ready();
    try {
      const field = JSON.stringify({ kind: 'analyze', inputShapes: SHAPES });
      const res = await request(big.server).post('/v1/jobs').field('request', field + ' '.repeat(140_000)).attach('model', resnet18, 'resnet18.onnx');
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const { id } = res.body;
      expect(await fileKeys(id)).toEqual([`convlens:job:${id}:file:0`]);
      expect((await client.getBuffer(`convlens:job:${id}:file:0`))!.equals(resnet18)).toBe(true);
      await request(big.server).delete(`/v1/jobs/${id}`).expect(200);
    } finally {
      await big.close();
    }
  });

  it('a worker runs it: shufflenet_v2_x1_0 (165,932 bytes, 413 as onnxBase64) is done with the report POST /v1/analyze answers (2,278,604 params); its file key is gone', async () => {
    await startWorker();
    const json = await post().send({ kind: 'analyze', onnxBase64: shufflenet.toString('base64'), inputShapes: SHAPES });
    expect([json.status, json.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const res = await post().field('request', JSON.stringify({ kind: 'analyze', inputShapes: SHAPES })).attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx').expect(202);
    const job = await waitFor(app, res.body.id, ['done', 'failed', 'cancelled'], 30_000);
    expect(job.status, JSON.stringify(job.error)).toBe('done');
    expect(job.result.totals.params).toBe(truth.models.shufflenet_v2_x1_0.params);
    const sync = await request(app.server).post('/v1/analyze?input=1,3,224,224').attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx').expect(200);
    expect(job.result).toEqual(sync.body);
    expect(await fileKeys(res.body.id)).toEqual([]);
  }, 45_000);

  it('a batch with models[1] as a file part, run by a worker: lines in order, the file named by its filename (11,689,512 params)', async () => {
    await startWorker();
    const res = await post().field('request', JSON.stringify({ kind: 'batch', models: ['resnet18', { inputShapes: SHAPES }] })).attach('models[1]', resnet18, 'resnet18.onnx').expect(202);
    const results = await request(app.server).get(`/v1/jobs/${res.body.id}/results`).expect(200);
    const lines = results.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.name, l.report?.totals.params ?? l.error])).toEqual([
      [0, 'resnet18', truth.models.resnet18.params],
      [1, 'resnet18.onnx', truth.models.resnet18.params],
    ]);
  }, 45_000);

  it('files past 2 × JSON_BODY_LIMIT (two of 165,932 bytes) are 413 naming it, and nothing is queued or stored', async () => {
    const before = await client.keys('convlens:job:*:file:*');
    const counts = await client.keys(`${QUEUE_PREFIX}:jobs:*`);
    const res = await post()
      .field('request', JSON.stringify({ kind: 'batch', models: [{ inputShapes: SHAPES }, { inputShapes: SHAPES }] }))
      .attach('models[0]', shufflenet, 'a.onnx')
      .attach('models[1]', shufflenet, 'b.onnx');
    expect([res.status, res.body.error.code, res.body.error.limit]).toEqual([413, 'PAYLOAD_TOO_LARGE', 200_000]);
    expect(res.body.error.message).toContain("this job's file parts hold 331864 bytes, more than the 200000 bytes of the most a job queued on Redis may hold (2 × JSON_BODY_LIMIT");
    expect(await client.keys('convlens:job:*:file:*')).toEqual(before);
    expect((await client.keys(`${QUEUE_PREFIX}:jobs:*`)).length).toBe(counts.length);
  });

  it('a Redis without room for the file (maxmemory, noeviction) is 503 QUEUE_UNAVAILABLE, and no job is queued without its file', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    const jobs = (await client.keys(`${QUEUE_PREFIX}:jobs:*`)).length;
    await client.config('SET', 'maxmemory', String(used + 64 * 1024));
    try {
      const res = await post().field('request', JSON.stringify({ kind: 'analyze', inputShapes: SHAPES })).attach('model', shufflenet, 'shufflenet_v2_x1_0.onnx');
      expect([res.status, res.body.error.code]).toEqual([503, 'QUEUE_UNAVAILABLE']);
      expect(res.body.error.message).toMatch(/^the job queue \(Redis\) is unavailable: /);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
    expect((await client.keys(`${QUEUE_PREFIX}:jobs:*`)).length).toBe(jobs);
  });
});
