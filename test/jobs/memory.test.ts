/**
 * Jobs in-process (REDIS_URL unset) over REST: 202 and a Location, the result equal to the
 * synchronous route's answer, NDJSON batch results, cancellation, the pending and byte bounds,
 * and the TTL.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ErrorResponse } from '../../src/http/responses.js';
import { RECORD_BYTES } from '../../src/jobs/memory.js';
import { testApp } from '../http/app.js';
import { inlinePool, tinySpec, waitFor } from './helpers.js';

const submit = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object });

/** An app whose pool runs tasks in-process when the test releases them. */
async function gatedApp(env: Record<string, string>) {
  const pool = inlinePool(1);
  const app = await buildApp({ config: loadConfig({ WORKERS: '1', ...env }), pool });
  await app.ready();
  return { app, pool };
}

describe('jobs on the worker pool (real workers)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it('analyze resnet18: 202 with Location, then done with the report POST /v1/analyze answers (11,689,512 params, torchvision)', async () => {
    const res = await submit(app, { kind: 'analyze', model: 'resnet18' });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    expect(res.headers.location).toBe(`/v1/jobs/${id}`);
    expect(res.json()).toMatchObject({ kind: 'analyze', finishedAt: null, expiresAt: null, progress: null, links: { results: `/v1/jobs/${id}/results` } });
    const job = await waitFor(app, id);
    expect(job.status).toBe('done');
    expect(job.result.totals.params).toBe(11_689_512);
    const sync = await app.inject({ method: 'POST', url: '/v1/analyze?model=resnet18' });
    expect(job.result).toEqual(sync.json());
    expect(Date.parse(job.expiresAt) - Date.parse(job.finishedAt)).toBe(3600 * 1000);
  });

  it('run: relu of [-1, 2] is [0, 2] (mean 1, std 1), in the encoding the request used (flat)', async () => {
    const job = await waitFor(app, (await submit(app, { kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [-1, 2] } } })).json().id);
    expect(job.result).toEqual({ source: { format: 'spec' }, outputs: [{ name: 'r', shape: [1, 2], data: [0, 2], stats: { min: 0, max: 2, mean: 1, std: 1, nonFinite: 0 } }], captured: [] });
  });

  // found by a hunt: a job's id in upper case (RFC 4122 reads a UUID's hex digits in either case) was 404
  it('the id in upper case names the same job: GET, its results and DELETE (relu of [-1, 2] → [0, 2]); GraphQL job(id) too', async () => {
    const { id } = (await submit(app, { kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [-1, 2] } } })).json();
    await waitFor(app, id);
    const upper = (id as string).toUpperCase();
    expect((await app.inject({ url: `/v1/jobs/${upper}` })).json()).toMatchObject({ id, status: 'done' });
    const results = await app.inject({ url: `/v1/jobs/${upper}/results`, headers: { accept: 'application/x-ndjson' } });
    expect(JSON.parse(results.body).outputs[0].data).toEqual([0, 2]);
    const gql = await app.inject({ method: 'POST', url: '/graphql', payload: { query: `{ job(id: "${upper}") { id status } }` } });
    expect(gql.json().data.job).toEqual({ id, status: 'done' });
    expect((await app.inject({ method: 'DELETE', url: `/v1/jobs/${upper}` })).json()).toMatchObject({ id, status: 'done' });
    expect((await app.inject({ url: `/v1/jobs/${id}` })).statusCode).toBe(404);
  });

  it('batch [resnet18, squeezenet1_1, a broken ONNX file]: NDJSON lines in order (11,689,512 and 1,235,496 params), the broken one ONNX_INVALID', async () => {
    const res = await submit(app, { kind: 'batch', models: ['resnet18', 'squeezenet1_1', { onnxBase64: 'AAAA', name: 'broken.onnx' }], options: { dtype: 'float16' } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();
    const results = await app.inject({ url: `/v1/jobs/${id}/results`, headers: { accept: 'application/x-ndjson' } });
    expect(results.statusCode).toBe(200);
    expect(results.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(results.body.endsWith('\n')).toBe(true);
    const lines = results.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.name])).toEqual([
      [0, 'resnet18'],
      [1, 'squeezenet1_1'],
      [2, 'broken.onnx'],
    ]);
    expect(lines[0].report.totals.params).toBe(11_689_512);
    expect(lines[1].report.totals.params).toBe(1_235_496);
    // the batch's options apply to every model: float16 is 2 bytes per element
    expect(lines[1].report.conventions).toMatchObject({ dtype: 'float16', bytesPerElement: 2 });
    expect(lines[2].error).toMatchObject({ code: 'ONNX_INVALID', path: '$.models[2].onnxBase64' });
    const job = await waitFor(app, id);
    expect(job).toMatchObject({ status: 'done', progress: { done: 3, total: 3 }, result: { models: 3, reports: 2, errors: 1 } });
  });

  it('a request the synchronous route refuses is refused at submission, with its code and path, and nothing is queued', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ kind: 'analyze', model: 'resnet19' }, 404, 'UNKNOWN_MODEL', '$.model'],
      [{ kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [1] } } }, 400, 'INVALID_TENSOR', '$.inputs.x'],
      [{ kind: 'batch', models: ['resnet18', { spec: tinySpec, resoluton: 3 }] }, 400, 'INVALID_OPTION', '$.models[1].resoluton'],
      [{ kind: 'sweep' }, 400, 'INVALID_OPTION', '$.kind'],
      // a job's report is JSON: erf (HTML only) was ignored, the job done without it
      [{ kind: 'analyze', model: 'resnet18', options: { erf: true } }, 400, 'INVALID_OPTION', '$.options.erf'],
    ];
    for (const [payload, status, code, path] of cases) {
      const res = await submit(app, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(ErrorResponse.parse(res.json()).error).toMatchObject({ code, path });
    }
    const counts = (await app.inject({ url: '/metrics' })).body.split('\n').filter((l) => l.startsWith('convlens_jobs{'));
    expect(counts).toEqual(['convlens_jobs{state="queued"} 0', 'convlens_jobs{state="running"} 0']);
  });

  it('an ONNX body (application/octet-stream) is 415 at headers.content-type: jobs take JSON (files as onnxBase64) or a multipart form', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([1, 2, 3]) });
    expect(res.statusCode).toBe(415);
    // the content type is at fault, as on the other routes (it was at body)
    expect(res.json().error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', path: 'headers.content-type' });
  });

  it('unknown ids are 404 JOB_NOT_FOUND on every route (a UUID nobody issued, and a string that is not one)', async () => {
    for (const id of ['0b6f4bd2-3f5d-4b53-9a54-3c1f1f9e2f10', 'not-a-job']) {
      for (const [method, url] of [['GET', `/v1/jobs/${id}`], ['DELETE', `/v1/jobs/${id}`], ['GET', `/v1/jobs/${id}/results`]] as const) {
        const res = await app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().error.code).toBe('JOB_NOT_FOUND');
      }
    }
  });

  it('an empty id (DELETE /v1/jobs/) is 404 JOB_NOT_FOUND saying no id was given (it said "no job ;")', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/v1/jobs/' });
      expect(res.statusCode, method).toBe(404);
      expect(res.json().error).toEqual({ code: 'JOB_NOT_FOUND', message: 'no job id given: name the job, /v1/jobs/{id} (POST /v1/jobs answers its id)', path: 'id' });
    }
  });

  it('results with Accept: application/json only are 406 NOT_ACCEPTABLE; */* and application/* are fine', async () => {
    const { id } = (await submit(app, { kind: 'analyze', spec: tinySpec })).json();
    await waitFor(app, id);
    const refused = await app.inject({ url: `/v1/jobs/${id}/results`, headers: { accept: 'application/json' } });
    expect(refused.statusCode).toBe(406);
    expect(refused.json().error.code).toBe('NOT_ACCEPTABLE');
    for (const accept of ['*/*', 'application/*', 'application/json, application/x-ndjson;q=0.5']) {
      const res = await app.inject({ url: `/v1/jobs/${id}/results`, headers: { accept } });
      expect(res.statusCode, accept).toBe(200);
      expect(JSON.parse(res.body).layers[0].name).toBe('r');
    }
    expect((await app.inject({ url: `/v1/jobs/${id}/results`, headers: { accept: 'application/x-ndjson;q=0' } })).statusCode).toBe(406);
    // the most specific range decides, as for every other Accept (the */* beside it was enough before)
    const notNdjson = await app.inject({ url: `/v1/jobs/${id}/results`, headers: { accept: 'application/x-ndjson;q=0, */*' } });
    expect(notNdjson.statusCode).toBe(406);
    expect(notNdjson.json().error).toMatchObject({ code: 'NOT_ACCEPTABLE', path: 'headers.accept' });
  });

  it('DELETE of a running ResNet-50 run at 448×448 stops its task in the worker pool (outcome cancelled), rather than letting it finish', async () => {
    const count = async (outcome: string) =>
      Number(new RegExp(`^convlens_task_seconds_count\\{task="run",outcome="${outcome}"\\} (\\d+)$`, 'm').exec((await app.inject({ url: '/metrics' })).body)?.[1] ?? 0);
    const cancelled = () => count('cancelled');
    const [before, okBefore] = [await cancelled(), await count('ok')];
    // about 16 GMACs, seconds on one worker: still running when the DELETE comes (ResNet-18 at 224,
    // 0.25–0.46 s here, could end between the poll that saw it running and the DELETE)
    const input = Buffer.from(new Float32Array(3 * 448 * 448).fill(0.5).buffer).toString('base64');
    const { id } = (await submit(app, { kind: 'run', model: 'resnet50', resolution: 448, inputs: { shape: [1, 3, 448, 448], dtype: 'float32', base64: input } })).json();
    await waitFor(app, id, ['running']);
    const del = await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.json()).toMatchObject({ status: 'cancelled', error: { code: 'JOB_CANCELLED' } });
    for (let i = 0; i < 100 && (await cancelled()) === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await cancelled()).toBe(before + 1);
    expect(await count('ok')).toBe(okBefore);
  });

  it('DELETE on a finished job forgets it: the answer is the job as it was, then 404', async () => {
    const { id } = (await submit(app, { kind: 'analyze', spec: tinySpec })).json();
    await waitFor(app, id);
    const del = await app.inject({ method: 'DELETE', url: `/v1/jobs/${id}` });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ id, status: 'done' });
    expect((await app.inject({ url: `/v1/jobs/${id}` })).statusCode).toBe(404);
  });
});

describe('bounds and cancellation (a pool that runs when the test says)', () => {
  it('JOB_MAX_PENDING=1 on 1 thread: one running, one waiting, the third is 503 OVERLOADED; cancelling them answers at once', async () => {
    const { app, pool } = await gatedApp({ JOB_MAX_PENDING: '1' });
    try {
      pool.hold();
      const a = (await submit(app, { kind: 'analyze', spec: tinySpec })).json();
      const b = (await submit(app, { kind: 'analyze', spec: tinySpec })).json();
      expect([a.status, b.status]).toEqual(['running', 'queued']);
      const c = await submit(app, { kind: 'analyze', spec: tinySpec });
      expect(c.statusCode).toBe(503);
      expect(c.json().error).toMatchObject({ code: 'OVERLOADED', message: '1 jobs are waiting (JOB_MAX_PENDING); retry later' });
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('convlens_jobs{state="queued"} 1');
      expect(metrics).toContain('convlens_jobs{state="running"} 1');

      const cancelB = (await app.inject({ method: 'DELETE', url: `/v1/jobs/${b.id}` })).json();
      expect(cancelB).toMatchObject({ status: 'cancelled', startedAt: null, error: { code: 'JOB_CANCELLED' } });
      // the running one, though its task is still held in the pool
      const cancelA = (await app.inject({ method: 'DELETE', url: `/v1/jobs/${a.id}` })).json();
      expect(cancelA).toMatchObject({ status: 'cancelled', error: { code: 'JOB_CANCELLED', message: 'the job was cancelled (DELETE /v1/jobs/{id})' } });
      expect(cancelA.finishedAt).not.toBeNull();
      // its results stream ends with the error line
      expect(JSON.parse((await app.inject({ url: `/v1/jobs/${a.id}/results` })).body)).toEqual({ error: cancelA.error });

      pool.release();
      const d = await waitFor(app, (await submit(app, { kind: 'analyze', spec: tinySpec })).json().id);
      expect(d.status).toBe('done');
      // the cancelled job's late result was dropped
      expect((await app.inject({ url: `/v1/jobs/${a.id}` })).json().status).toBe('cancelled');
    } finally {
      pool.release();
      await app.close();
    }
  });

  it('JOB_TTL_SECONDS=1: a finished job reads 200 with expiresAt = finishedAt + 1 s, then 404 after it', async () => {
    const { app } = await gatedApp({ JOB_TTL_SECONDS: '1' });
    try {
      const job = await waitFor(app, (await submit(app, { kind: 'analyze', spec: tinySpec })).json().id);
      expect(Date.parse(job.expiresAt) - Date.parse(job.finishedAt)).toBe(1000);
      await new Promise((r) => setTimeout(r, Date.parse(job.expiresAt) - Date.now() + 50));
      expect((await app.inject({ url: `/v1/jobs/${job.id}` })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('JOB_STORE_MAX_BYTES: inputs that do not fit are 503; a result that alone does not fit fails JOB_RESULT_TOO_LARGE; the oldest results are forgotten first', async () => {
    const { app, pool } = await gatedApp({ JOB_STORE_MAX_BYTES: '4000' });
    try {
      // 1200 float32 inputs hold 4800 bytes, more than the whole store: 413, no retry makes them fit (it was 503 "retry later")
      const big = await submit(app, { kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 1200] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 1200], data: new Array(1200).fill(1) } } });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.message).toMatch(/^this job's inputs \(its ONNX files and tensors\) hold 4800 bytes, more than the whole in-process job store \(JOB_STORE_MAX_BYTES, 4000 bytes\)/);
      // 800 fit alone, but not beside a held 800: 503, retry later
      pool.hold();
      const half = { kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 800] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 800], data: new Array(800).fill(1) } } };
      const held = await submit(app, half);
      expect(held.statusCode).toBe(202);
      const full = await submit(app, half);
      expect(full.statusCode).toBe(503);
      expect(full.json().error.message).toMatch(/^the job store is full: this job's 3200 input bytes do not fit in JOB_STORE_MAX_BYTES \(4000\)/);
      pool.release();
      await waitFor(app, held.json().id);
      // resnet18's report is far over 4000 bytes
      const report = await waitFor(app, (await submit(app, { kind: 'analyze', model: 'resnet18' })).json().id);
      expect(report.status).toBe('failed');
      expect(report.error).toMatchObject({ code: 'JOB_RESULT_TOO_LARGE', limit: 4000 });
      // in bytes, as the synchronous route sends the same report (its ×, · and − two bytes each; they were counted as one)
      const sync = await app.inject({ method: 'POST', url: '/v1/analyze', payload: { model: 'resnet18' } });
      expect(Buffer.byteLength(sync.body)).toBeGreaterThan(sync.body.length);
      expect(report.error.bytes).toBe(Buffer.byteLength(sync.body));
      // equal runs of relu over 40 ones, each result S bytes: {"source":{"format":"spec"},"outputs":[{"name":"r","shape":[1,40],"data":[…],
      // "stats":{"min":1,"max":1,"mean":1,"std":0,"nonFinite":0}}],"captured":[]} is 149 characters besides the data, and
      // the data 40 ones and 39 commas: S = 149 + 79 = 228. Each finished job takes its record too (RECORD_BYTES, 2,400):
      // 2,628 bytes, and two (5,256) do not fit in 4,000, so the first is forgotten when the second finishes.
      // (Records were free: the first went when the (floor(4000 / 228) + 1) = 18th finished.)
      const run = { kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 40] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 40], data: new Array(40).fill(1) } } };
      const ids: string[] = [];
      const status = async (id: string) => (await app.inject({ url: `/v1/jobs/${id}` })).statusCode;
      for (let n = 1; n <= 40 && (ids.length === 0 || (await status(ids[0])) === 200); n++) ids.push((await waitFor(app, (await submit(app, run)).json().id)).id);
      const size = Buffer.byteLength(JSON.stringify((await app.inject({ url: `/v1/jobs/${ids.at(-1)}` })).json().result));
      expect(size).toBe(228);
      expect(RECORD_BYTES).toBe(2400);
      expect(ids.length).toBe(2);
      // evicted for room before its expiresAt: 410 JOB_EVICTED (test/jobs/eviction.test.ts), not an expired job's 404
      expect(await status(ids[0])).toBe(410);
      expect(await Promise.all(ids.slice(1).map(status))).toEqual(ids.slice(1).map(() => 200));
    } finally {
      await app.close();
    }
  });

  it('SEND_TIMEOUT_MS 200: a results stream idle for 1 s while its job waits (nothing to send) stays open, and carries the line once the job is done', async () => {
    const { app, pool } = await gatedApp({ SEND_TIMEOUT_MS: '200' });
    try {
      pool.hold();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const { id } = (await submit(app, { kind: 'analyze', spec: tinySpec })).json();
      const res = await fetch(`http://127.0.0.1:${port}/v1/jobs/${id}/results`);
      expect(res.status).toBe(200);
      const body = res.text();
      await new Promise((r) => setTimeout(r, 1000));
      pool.release();
      const lines = (await body).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]).totals.layers).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('closing the app ends an open results stream at once (the job is cancelled, not waited for), its last line a NOT_READY error saying so', async () => {
    const { app, pool } = await gatedApp({});
    pool.hold();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const { id } = (await submit(app, { kind: 'batch', models: ['resnet18', 'alexnet'] })).json();
    const res = await fetch(`http://127.0.0.1:${port}/v1/jobs/${id}/results`);
    expect(res.status).toBe(200);
    const started = performance.now();
    const body = res.text();
    await app.close();
    const lines = (await body).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]).error).toMatchObject({ code: 'NOT_READY', path: 'id' });
    expect(JSON.parse(lines[0]).error.message).toMatch(/^the service is stopping before job [-0-9a-f]+ finished/);
    expect(performance.now() - started).toBeLessThan(2000);
    pool.release();
  });
});
