/**
 * POST /v1/run hashes the ONNX file part "model" as it streams in and sends the SHA-256 to the pool
 * beside the task (runtime/file-digest.ts), for the worker's model cache key: the digest is
 * `sha256sum`'s of the file, a second run of the file hits the worker's cache, a file with one byte
 * changed misses; POST /v1/erf's samples get it too. A request's large JSON (parsed in a worker: http/offload.ts) gets it too; a
 * client's field named like it is not read.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import type { RunOptions, TaskPool } from '../../src/runtime/pool.js';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';

const dir = new URL('../fixtures/networks/', import.meta.url);
const file = readFileSync(new URL('convnext_blocks_d32.onnx', dir));
const golden = JSON.parse(readFileSync(new URL('convnext_blocks_d32.json', dir), 'utf8')) as { input: { shape: number[]; data: number[] } };
/** sha256sum test/fixtures/networks/convnext_blocks_d32.onnx */
const SHA256 = '9a4021a3f5bc851a03ccc6bbe1d4b169789b633d8bea6c114df7af18e13625b4';
/** The same file with byte 67,188 (its middle, in a weight) xor 1: sha256sum of it. */
const CHANGED_SHA256 = 'a67eda7d0f0c5faa8c4ca343b235087cf86f34cc053ac20a7090638e7e7621a9';
const changed = Buffer.from(file);
changed[67_188] ^= 1;
const npy = Buffer.from(encodeNpy(tensor(golden.input.shape, Float32Array.from(golden.input.data))));

const config = loadConfig({ WORKERS: '1' });
const real = createPool(config);
/** The run tasks' options, as the route gave them to the pool; the ERF's gradient tasks'. */
const sent: RunOptions[] = [];
const erfSent: RunOptions[] = [];
const pool = new Proxy(real, {
  get(target, key) {
    if (key === 'run') {
      return (task: string, payload: unknown, transfer?: Transferable[], options: RunOptions = {}) => {
        if (task === 'run') sent.push(options);
        if (task === 'erf' && (payload as { kind: string }).kind === 'gradient') erfSent.push(options);
        return target.run(task as never, payload, transfer, options);
      };
    }
    const value = Reflect.get(target, key) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as TaskPool;

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ config, pool });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await real.close();
});

const entries = () => real.workerMemory()[0].modelCacheEntries;
const run = (bytes: Buffer, requestField: object = { format: 'base64' }) => request(app.server).post('/v1/run').attach('model', bytes, 'net.onnx').attach('input', npy, 'x.npy').field('request', JSON.stringify(requestField)).expect(200);

describe('POST /v1/run: the file\'s SHA-256 from the route', () => {
  it('twice the same file: the digest sent is sha256sum\'s, the second run hits the worker\'s cache (one entry) with the same outputs; one byte changed: its own digest, another entry', async () => {
    const first = await run(file);
    expect(sent.at(-1)!.fileDigest).toBe(SHA256);
    expect(entries()).toBe(1);
    const second = await run(file);
    expect(sent.at(-1)!.fileDigest).toBe(SHA256);
    expect(entries()).toBe(1);
    expect(second.body.outputs).toEqual(first.body.outputs);
    await run(changed);
    expect(sent.at(-1)!.fileDigest).toBe(CHANGED_SHA256);
    expect(entries()).toBe(2);
  });

  it('a large "request" field (its inputs in JSON: parsed in a worker) gets the digest too, and hits the same entry; a client\'s fileDigest field is refused, not read', async () => {
    const before = entries();
    const inputs = { input: { shape: golden.input.shape, data: golden.input.data } };
    const big = { inputs, format: 'base64' };
    expect(JSON.stringify(big).length).toBeGreaterThan(1 << 17);
    await request(app.server).post('/v1/run').attach('model', file, 'net.onnx').field('request', JSON.stringify(big)).expect(200);
    expect(sent.at(-1)!.fileDigest).toBe(SHA256);
    expect(entries()).toBe(before);
    const forged = await request(app.server).post('/v1/run').attach('model', file, 'net.onnx').attach('input', npy, 'x.npy').field('request', JSON.stringify({ fileDigest: CHANGED_SHA256 })).expect(400);
    expect(forged.body.error.path).toBe('$.fileDigest');
  });

  it('onnxBase64 in a JSON body: no digest sent (the worker hashes the file, as before), and the run hits the same entry', async () => {
    const before = entries();
    sent.length = 0;
    const res = await request(app.server)
      .post('/v1/run')
      .send({ onnxBase64: file.toString('base64'), inputs: { input: golden.input } });
    expect(res.status).toBe(200);
    expect(sent.at(-1)?.fileDigest).toBeUndefined();
    expect(entries()).toBe(before);
  });
});

describe('POST /v1/erf: its samples look the file up by the route\'s digest', () => {
  it('a given input (one sample): its task carries the digest the route hashed as the file arrived (sha256sum\'s), and hits the runs\' entry (the same input shape)', async () => {
    const before = entries();
    erfSent.length = 0;
    await request(app.server).post('/v1/erf').attach('model', file, 'net.onnx').attach('input', npy, 'x.npy').field('request', JSON.stringify({ stages: false, heatmap: false })).expect(200);
    expect(erfSent.map((o) => o.fileDigest)).toEqual([SHA256]);
    expect(entries()).toBe(before);
  });

  it('3 random samples: each sample\'s task carries the digest; the one worker imports the file once for them and caches it (one entry more: keyed by the file\'s own input shape)', async () => {
    const before = entries();
    erfSent.length = 0;
    await request(app.server).post('/v1/erf').attach('model', file, 'net.onnx').field('request', JSON.stringify({ input: 'random', samples: 3, stages: false, heatmap: false })).expect(200);
    expect(erfSent.map((o) => o.fileDigest)).toEqual([SHA256, SHA256, SHA256]);
    expect(entries()).toBe(before + 1);
  });
});
