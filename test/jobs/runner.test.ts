/**
 * The job runner over a pool whose tasks finish when the test says: a batch's lines come in model
 * order, each as soon as it and those before it are done; a full pool is waited for; cancellation
 * answers at once; one model's failure is its line, not the batch's.
 */
import { describe, expect, it } from 'vitest';
import { ConvlensError } from '../../src/errors.js';
import { prepareJob } from '../../src/jobs/request.js';
import { executeJob } from '../../src/jobs/runner.js';
import { OFFLOAD_WORKER } from '../../src/http/offload.js';
import type { RunOptions, TaskPool } from '../../src/runtime/pool.js';
import type { TaskName } from '../../src/runtime/task-names.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { deferredPool, inlinePool, tinySpec } from './helpers.js';

const tick = () => new Promise((r) => setImmediate(r));
const batchOf = (...models: string[]) => prepareJob({ kind: 'batch', models }, { maxElements: 1000, batchMax: 100 });

describe('a batch', () => {
  it('3 models on 3 threads, finishing vgg11, then alexnet, then resnet18: lines 0 and 1 come together when alexnet ends, line 2 last', async () => {
    const { pool, pending, settle } = deferredPool(3);
    const lines: Buffer[] = [];
    const progress: string[] = [];
    const done = executeJob(batchOf('alexnet', 'vgg11', 'resnet18'), {
      pool,
      signal: new AbortController().signal,
      line: (t) => void lines.push(t),
      progress: (d, n) => void progress.push(`${d}/${n}`),
    });
    await tick();
    expect(pending.map((p) => p.name)).toEqual(['alexnet', 'vgg11', 'resnet18']);
    await settle('vgg11');
    expect(lines).toEqual([]);
    await settle('alexnet');
    expect(lines.map((l) => JSON.parse(String(l)))).toEqual([
      { index: 0, name: 'alexnet', report: { name: 'alexnet' } },
      { index: 1, name: 'vgg11', report: { name: 'vgg11' } },
    ]);
    await settle('resnet18');
    expect(JSON.parse(String(await done))).toEqual({ models: 3, reports: 3, errors: 0 });
    expect(lines.map((l) => JSON.parse(String(l)).index)).toEqual([0, 1, 2]);
    expect(progress.at(0)).toBe('0/3');
    expect(progress.at(-1)).toBe('3/3');
  });

  it('on 2 threads the third model starts only when one of the first two ends', async () => {
    const { pool, pending, settle } = deferredPool(2);
    const done = executeJob(batchOf('alexnet', 'vgg11', 'resnet18'), { pool, signal: new AbortController().signal, line: () => undefined });
    await tick();
    expect(pending.map((p) => p.name)).toEqual(['alexnet', 'vgg11']);
    await settle('vgg11');
    expect(pending.map((p) => p.name)).toEqual(['alexnet', 'resnet18']);
    await settle('alexnet');
    await settle('resnet18');
    expect(JSON.parse(String(await done)).reports).toBe(3);
  });

  it("a model's catalog error is its line; an internal error is INTERNAL without internals, logged", async () => {
    const { pool, pending } = deferredPool(2);
    const lines: Buffer[] = [];
    const logged: unknown[] = [];
    const done = executeJob(batchOf('alexnet', 'vgg11'), { pool, signal: new AbortController().signal, line: (t) => void lines.push(t), log: { error: (o) => void logged.push(o) } });
    await tick();
    pending[0].reject(new ConvlensError('TIMEOUT', 'the analyze task took longer than 100 ms and was stopped'));
    pending[1].reject(new TypeError('secret internals'));
    expect(JSON.parse(String(await done))).toEqual({ models: 2, reports: 0, errors: 2 });
    expect(lines.map((l) => JSON.parse(String(l)))).toEqual([
      { index: 0, name: 'alexnet', error: { code: 'TIMEOUT', message: 'the analyze task took longer than 100 ms and was stopped' } },
      { index: 1, name: 'vgg11', error: { code: 'INTERNAL', message: 'internal error; see the service log' } },
    ]);
    expect(lines.join('')).not.toContain('secret');
    expect(logged).toHaveLength(1);
  });

  it('cancelled after the first of 4 models (1 thread): JOB_CANCELLED at once, the other models never start', async () => {
    const { pool, pending, settle } = deferredPool(1);
    const abort = new AbortController();
    const lines: Buffer[] = [];
    const done = executeJob(batchOf('alexnet', 'vgg11', 'resnet18', 'resnet34'), { pool, signal: abort.signal, line: (t) => void lines.push(t) });
    await tick();
    await settle('alexnet');
    expect(pending.map((p) => p.name)).toEqual(['vgg11']);
    abort.abort();
    await expect(done).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
    await tick();
    expect(pending.map((p) => p.name)).toEqual(['vgg11']);
    expect(lines).toHaveLength(1);
  });
});

describe('analyze and run', () => {
  it('a full pool (OVERLOADED twice) is waited for: the third attempt runs and the result is the report', async () => {
    const pool = inlinePool();
    pool.overloaded = 2;
    const job = prepareJob({ kind: 'analyze', spec: tinySpec }, { maxElements: 1000, batchMax: 1 });
    const report = JSON.parse(String(await executeJob(job, { pool, signal: new AbortController().signal, line: () => undefined })));
    expect(pool.calls).toEqual(['analyze', 'analyze', 'analyze']);
    expect(report.layers.map((l: { name: string; outputShape: number[] }) => [l.name, l.outputShape])).toEqual([['r', [1, 2]]]);
  });

  it('a spec whose contents are wrong (layerz, as README says: checked in a worker as the network is built) is queued, then fails with the SPEC_INVALID POST /v1/analyze answers, at $.spec.layerz', async () => {
    const job = prepareJob({ kind: 'analyze', spec: { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], layerz: [] } }, { maxElements: 1000, batchMax: 1 });
    const failed = await executeJob(job, { pool: inlinePool(), signal: new AbortController().signal, line: () => undefined }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ConvlensError);
    expect(failed).toMatchObject({ code: 'SPEC_INVALID', details: { path: '$.spec.layerz', suggestion: 'layers' } });
  });

  it('a batch line\'s ONNX inputShapes errors are at its own place, $.models[0].inputShapes[""] (they were at $.inputShapes[""], a field the batch has not)', async () => {
    const onnxBase64 = Buffer.from(onnxModel({ inputs: [{ name: 'x', shape: ['N', 3, 'H', 'W'] }], outputs: ['y'], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })).toString('base64');
    const job = prepareJob({ kind: 'batch', models: [{ onnxBase64, inputShapes: { '': [1, 3, 4, 4], x: [1, 3, 8, 8] } }] }, { maxElements: 1000, batchMax: 1 });
    const lines: Buffer[] = [];
    await executeJob(job, { pool: inlinePool(), signal: new AbortController().signal, line: (t) => void lines.push(t) });
    expect(JSON.parse(String(lines[0])).error).toMatchObject({ code: 'INVALID_OPTION', path: '$.models[0].inputShapes[""]' });
  });

  it('a run answers what POST /v1/run answers: relu of [-1, 2] is [0, 2], in the request encoding (flat)', async () => {
    const job = prepareJob({ kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [-1, 2] } } }, { maxElements: 1000, batchMax: 1 });
    const result = JSON.parse(String(await executeJob(job, { pool: inlinePool(), signal: new AbortController().signal, line: () => undefined })));
    expect(result).toEqual({ source: { format: 'spec' }, outputs: [{ name: 'r', shape: [1, 2], data: [0, 2], stats: { min: 0, max: 2, mean: 1, std: 1, nonFinite: 0 } }], captured: [] });
  });

  // found by a hunt: a run job's result came back as tensors and was written as JSON on the event loop (an analysis's is written in its worker)
  it('a run job is run and written as JSON in one task of the large-JSON worker (runReport), its bytes moved back: relu of [-1, 2] is [0, 2]', async () => {
    const pool = inlinePool();
    const seen: { task: string; kind: unknown; filename?: string; bytes: boolean }[] = [];
    const run = pool.run.bind(pool);
    pool.run = (async (task: TaskName, payload: unknown, transfer?: unknown, options?: { filename?: string }) => {
      const out = await run(task, payload, transfer, options);
      seen.push({ task, kind: (payload as { kind?: unknown }).kind, filename: options?.filename, bytes: out instanceof Uint8Array });
      return out;
    }) as typeof pool.run;
    const job = prepareJob({ kind: 'run', spec: tinySpec, inputs: { x: { shape: [1, 2], data: [-1, 2] } } }, { maxElements: 1000, batchMax: 1 });
    const result = await executeJob(job, { pool, signal: new AbortController().signal, line: () => undefined });
    expect(seen).toEqual([{ task: 'run', kind: 'runReport', filename: OFFLOAD_WORKER, bytes: true }]);
    expect(JSON.parse(String(result)).outputs[0].data).toEqual([0, 2]);
  });

  it('a run whose 1000 outputs could take 1000 × 26 + 512 + (256 + 2 × 1 + 12 × 2) bytes as flat JSON fails JOB_RESULT_TOO_LARGE under a 20,000-byte limit, before encoding; as base64 (6 bytes a value) it fits', async () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1000] }], layers: [{ name: 'r', op: 'relu' }] };
    const request = (format?: string) =>
      prepareJob({ kind: 'run', spec, inputs: { x: { shape: [1, 1000], data: Array.from({ length: 1000 }, (_, i) => i / 7) } }, ...(format ? { format } : {}) }, { maxElements: 10_000, batchMax: 1 });
    const ctx = { pool: inlinePool(), signal: new AbortController().signal, line: () => undefined, maxResultBytes: 20_000 };
    await expect(executeJob(request(), ctx)).rejects.toMatchObject({ code: 'JOB_RESULT_TOO_LARGE', details: { estimate: 26_794, limit: 20_000 } });
    const result = await executeJob(request('base64'), ctx);
    expect(result.length).toBeLessThanOrEqual(20_000);
    expect(JSON.parse(String(result)).outputs[0]).toMatchObject({ shape: [1, 1000], dtype: 'float32' });
  });

  it('NOT_READY from the pool (the service closing: runtime/pool.ts stopStarting) cancels the job, JOB_CANCELLED as the queue\'s close says it, not a failed job with the request\'s 503', async () => {
    const pool: TaskPool = {
      threads: 1,
      queued: 0,
      workerMemory: () => [],
      stopStarting: () => undefined,
      run: async () => {
        throw new ConvlensError('NOT_READY', 'the service is shutting down before this task got a worker');
      },
      close: async () => undefined,
    };
    const job = prepareJob({ kind: 'analyze', model: 'resnet18' }, { maxElements: 1000, batchMax: 1 });
    await expect(executeJob(job, { pool, signal: new AbortController().signal, line: () => undefined })).rejects.toMatchObject({ code: 'JOB_CANCELLED', message: 'the service stopped before the job finished' });
  });

  it('OVERLOADED after the ONNX bytes were transferred to a worker is not retried (they are gone): the error stands', async () => {
    const calls: number[] = [];
    const pool: TaskPool = {
      threads: 1,
      queued: 0,
      workerMemory: () => [],
      stopStarting: () => undefined,
      run: async (_task, _payload, transfer) => {
        calls.push(1);
        // what a transfer does to the caller's buffer
        structuredClone(transfer?.[0], { transfer: transfer as Transferable[] });
        throw new ConvlensError('OVERLOADED', 'busy');
      },
      close: async () => undefined,
    };
    const job = prepareJob({ kind: 'analyze', onnxBase64: 'AAAA' }, { maxElements: 1000, batchMax: 1 });
    await expect(executeJob(job, { pool, signal: new AbortController().signal, line: () => undefined })).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(calls).toHaveLength(1);
  });

  it('cancelled while its task is in a worker: JOB_CANCELLED without waiting for the task, and the pool was given the signal that stops it', async () => {
    const pool = inlinePool();
    const signals: (AbortSignal | undefined)[] = [];
    const run = pool.run.bind(pool);
    Object.assign(pool, {
      run: (task: TaskName, payload: unknown, _transfer?: Transferable[], options?: RunOptions) => {
        signals.push(options?.signal);
        return run(task, payload);
      },
    });
    pool.hold();
    const abort = new AbortController();
    const job = prepareJob({ kind: 'analyze', model: 'resnet18' }, { maxElements: 1000, batchMax: 1 });
    const done = executeJob(job, { pool, signal: abort.signal, line: () => undefined });
    await tick();
    expect(signals).toEqual([abort.signal]);
    abort.abort();
    await expect(done).rejects.toMatchObject({ code: 'JOB_CANCELLED', message: 'the job was cancelled (DELETE /v1/jobs/{id})' });
    pool.release();
  });
});
