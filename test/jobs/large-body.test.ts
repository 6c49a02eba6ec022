/**
 * POST /v1/jobs with a JSON body over OFFLOAD_JSON_BYTES (128 KiB) is parsed in a worker of the pool,
 * as the synchronous routes' large bodies are, with the same answers. Found by a hunt: parsed on
 * the event loop (up to JSON_BODY_LIMIT, 64 MiB), a 30 MB body of spaces held GET /healthz for
 * 0.9–2.1 s.
 */
import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { OFFLOAD_JSON_BYTES } from '../../src/http/body.js';
import { OFFLOAD_WORKER } from '../../src/http/offload.js';
import { createMemoryJobs } from '../../src/jobs/memory.js';
import type { TaskName } from '../../src/runtime/task-names.js';
import { encodeNpy } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { inlinePool, tinySpec, waitFor } from './helpers.js';

describe('a large job submission is parsed in a worker', () => {
  let app: FastifyInstance;
  const parsed: unknown[] = [];
  beforeAll(async () => {
    const pool = inlinePool(1, (task, p, options) => {
      if (p.kind === 'job') parsed.push({ task, filename: options?.filename, bytes: (p.json as Uint8Array).byteLength });
    });
    app = await buildApp({ config: loadConfig({ WORKERS: '1' }), pool });
    await app.ready();
  });
  afterAll(async () => app.close());
  // each case counts its own parses
  beforeEach(() => {
    parsed.length = 0;
  });
  const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload });

  it('an analysis padded with spaces past 128 KiB (200,000 bytes): parsed there (its bytes moved), then queued and done as a small one', async () => {
    expect(OFFLOAD_JSON_BYTES).toBe(131_072);
    const json = JSON.stringify({ kind: 'analyze', spec: tinySpec });
    const res = await post(json + ' '.repeat(200_000 - json.length));
    expect(res.statusCode, res.body).toBe(202);
    expect(parsed).toEqual([{ task: 'analyze', filename: OFFLOAD_WORKER, bytes: 200_000 }]);
    expect((await waitFor(app, res.json().id)).result.totals.layers).toBe(1);
    // at 128 KiB and under, on the event loop as before
    parsed.length = 0;
    expect((await post(json + ' '.repeat(131_072 - json.length))).statusCode).toBe(202);
    expect(parsed).toEqual([]);
  });

  it('200,000 bytes that are not JSON, or a request the route refuses: the answers a small body gets (400 INVALID_JSON, 400 INVALID_OPTION at $.kind)', async () => {
    const bad = await post(`{"kind": "analyze",${' '.repeat(200_000)}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_JSON');
    const small = await post('{"kind": "analyze",');
    expect(bad.json().error.message.replace(/\d+/g, 'N')).toBe(small.json().error.message.replace(/\d+/g, 'N'));
    const sweep = await post(JSON.stringify({ kind: 'sweep', pad: ' '.repeat(200_000) }));
    expect([sweep.statusCode, sweep.json().error.code, sweep.json().error.path]).toEqual([400, 'INVALID_OPTION', '$.kind']);
    expect(parsed.length).toBe(2);
  });
});

describe('a job submission is parsed with GRAPHQL_MAX_TOKENS at any size, as the event loop parsed it before b5eafde', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ config: loadConfig({ WORKERS: '1', GRAPHQL_MAX_TOKENS: '100' }), pool: inlinePool(1) });
    await app.ready();
  });
  afterAll(async () => app.close());

  // body.ts spares a "__proto__" key only in a variable a document passes as inputs, the document read
  // within GRAPHQL_MAX_TOKENS: this one has over 160 tokens (150 fields), over 100, so nothing is spared and
  // the key is refused, at 406 bytes and padded to 140,406. The large body was parsed with the default
  // 10,000 tokens: spared, it reached the job's fields and was 400 INVALID_OPTION (query, variables).
  it('a "__proto__" key in a body of query and variables (a document of over 160 tokens): 400 INVALID_JSON at $.variables.v.__proto__ small and large', async () => {
    const query = `{ run(inputs: $v) { ${Array(150).fill('a').join(' ')} } }`;
    const body = JSON.stringify({ kind: 'analyze', model: 'resnet18', query, variables: { v: 1 } }).replace('"v":1', '"v":{"__proto__":{}}');
    expect(body.length).toBe(406);
    for (const payload of [body, body + ' '.repeat(140_000)]) {
      const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'INVALID_JSON', path: '$.variables.v.__proto__' });
    }
  });
});

// Parsed in the worker and cloned back as objects, a 26 MB run job of 1.5 M numbers was then checked
// and its tensors decoded on the event loop (jobs/request.ts prepareJob): GET /healthz stalled
// 280–720 ms a submission. Now the worker prepares it, and only the prepared job comes back, its
// tensors' buffers moved (runtime/task-answer.ts).
describe('a large job submission is prepared in the worker; only the prepared job comes back', () => {
  let app: FastifyInstance;
  const sent: { kind: unknown; where?: unknown; limits?: unknown; files?: string[] }[] = [];
  const back: unknown[] = [];
  beforeAll(async () => {
    const pool = inlinePool(1);
    const run = pool.run.bind(pool);
    pool.run = (async (task: TaskName, payload: unknown, transfer?: unknown, options?: { filename?: string }) => {
      const p = payload as { kind?: unknown; where?: unknown; limits?: unknown; files?: Map<string, Uint8Array> };
      const mine = p.kind === 'job' || p.kind === 'json';
      if (mine) sent.push({ kind: p.kind, where: p.where, limits: p.limits, ...(p.files && { files: [...p.files.keys()] }) });
      const value = await run(task, payload, transfer, options);
      if (mine) back.push(value);
      return value;
    }) as typeof pool.run;
    app = await buildApp({ config: loadConfig({ WORKERS: '1', MAX_TENSOR_ELEMENTS: '100000', JOB_BATCH_MAX: '7' }), pool });
    await app.ready();
  });
  afterAll(async () => app.close());
  beforeEach(() => {
    sent.length = 0;
    back.length = 0;
  });
  const spec = { inputs: [{ name: 'x', shape: [1, 20000] }], layers: [{ name: 'r', op: 'relu' }] };
  // 20,000 values −1, 2, −1, 2, …: relu's mean is 1, min 0, max 2
  const data = Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? -1 : 2));
  const body = JSON.stringify({ kind: 'run', spec, inputs: { x: { shape: [1, 20000], data } }, format: 'base64' });

  it('a run job of 20,000 values in 200,000 bytes: the worker answers the prepared run (a Float32Array input), and the job is done (relu mean 1)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload: body + ' '.repeat(200_000 - body.length) });
    expect(res.statusCode, res.body).toBe(202);
    expect(sent).toEqual([{ kind: 'job', where: 'body', limits: { maxElements: 100_000, batchMax: 7 } }]);
    const prepared = back[0] as { kind: string; task: { inputs: Record<string, { data: unknown }> } };
    expect(prepared.kind).toBe('run');
    expect(prepared.task.inputs.x.data).toBeInstanceOf(Float32Array);
    expect((prepared.task.inputs.x.data as Float32Array).length).toBe(20_000);
    const job = await waitFor(app, res.json().id);
    expect(job.status, JSON.stringify(job.error)).toBe('done');
    expect(job.result.outputs[0]).toMatchObject({ name: 'r', shape: [1, 20000], stats: { min: 0, max: 2, mean: 1 } });
  });

  it('refused in the worker as on the event loop: a shape over MAX_TENSOR_ELEMENTS, a batch over JOB_BATCH_MAX, small and large', async () => {
    const big = JSON.stringify({ kind: 'run', spec, inputs: { x: { shape: [1, 200000], data: [1] } } });
    const batch = JSON.stringify({ kind: 'batch', models: Array(8).fill('resnet18') });
    for (const json of [big, batch]) {
      const small = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload: json });
      const large = await app.inject({ method: 'POST', url: '/v1/jobs', headers: { 'content-type': 'application/json' }, payload: json + ' '.repeat(140_000) });
      expect(small.statusCode).toBeGreaterThanOrEqual(400);
      expect([large.statusCode, large.json().error]).toEqual([small.statusCode, small.json().error]);
    }
    expect(sent.map((s) => s.kind)).toEqual(['job', 'job']);
  });

  // item 2: a form's `request` field over 128 KiB was parsed with JSON.parse on the event loop, unbounded by the offload path
  it('a form whose request field is over 128 KiB, with an .npy part: parsed and prepared in the worker with its files; relu of [−1, 2] is [0, 2]', async () => {
    const npy = encodeNpy(tensor([1, 2], [-1, 2]));
    const field = JSON.stringify({ kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'r', op: 'relu' }] }, format: 'base64' });
    const res = await request(app.server).post('/v1/jobs').field('request', field + ' '.repeat(140_000)).attach('x', npy, 'x.npy');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(sent).toEqual([{ kind: 'job', where: 'request', limits: { maxElements: 100_000, batchMax: 7 }, files: ['x'] }]);
    const job = await waitFor(app, res.body.id);
    expect(job.status, JSON.stringify(job.error)).toBe('done');
    expect(job.result.outputs[0]).toMatchObject({ name: 'r', shape: [1, 2], stats: { min: 0, max: 2, mean: 1 } });
    // not JSON, or not an object: the small field's answers, at `request`
    for (const bad of ['{"kind": "run",', '[1, 2]']) {
      const small = await request(app.server).post('/v1/jobs').field('request', bad);
      const large = await request(app.server).post('/v1/jobs').field('request', bad + ' '.repeat(140_000));
      expect([large.status, large.body.error.code, large.body.error.path]).toEqual([small.status, small.body.error.code, 'request']);
      expect(large.body.error.message.replace(/\d+/g, 'N')).toBe(small.body.error.message.replace(/\d+/g, 'N'));
    }
  });
});

describe('the in-process queue on its own (createMemoryJobs, not only through createJobQueue) takes a large submission through a worker', () => {
  it('submitJson: the request parsed and prepared in the worker (one job task, its limits), the run job done: relu of [−1, 2, −3, 4] is [0, 2, 0, 4]', async () => {
    const sent: Array<{ kind: unknown; limits: unknown }> = [];
    const pool = inlinePool(1, (_task, p) => void sent.push({ kind: p.kind, limits: p.limits }));
    // without a submitJson of its own, GraphQL's submitJob and POST /v1/jobs parsed a large submission on the event loop
    const queue = createMemoryJobs(loadConfig({ WORKERS: '1', MAX_TENSOR_ELEMENTS: '1000', JOB_BATCH_MAX: '3' }), pool);
    try {
      const json = JSON.stringify({ kind: 'run', spec: { inputs: [{ name: 'x', shape: [1, 4] }], layers: [{ name: 'r', op: 'relu' }] }, inputs: { x: { shape: [1, 4], data: [-1, 2, -3, 4] } } });
      const view = await queue.submitJson(Buffer.from(json + ' '.repeat(140_000)), 'body');
      expect(sent[0]).toEqual({ kind: 'job', limits: { maxElements: 1000, batchMax: 3 } });
      let done = await queue.get(view.head.id);
      for (let k = 0; k < 100 && done?.head.status !== 'done'; k++) {
        await new Promise((r) => setTimeout(r, 20));
        done = await queue.get(view.head.id);
      }
      expect(done?.head.status).toBe('done');
      expect(JSON.parse(done!.result!.toString()).outputs[0]).toMatchObject({ name: 'r', data: [0, 2, 0, 4] });
    } finally {
      await queue.close();
    }
  });
});
