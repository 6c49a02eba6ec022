/**
 * The model cache's key of an ONNX file without hashing it in the worker (runtime/file-digest.ts):
 * the route hashes the file as it streams in (http/body.ts readInto), the pool sends the digest
 * beside the task, the worker notes it for the task's file; the key is the SHA-256 of the bytes
 * wherever it is computed. Digests below are `sha256sum`'s of the fixture files.
 */
import { readFileSync } from 'node:fs';
import { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { readInto, transferable } from '../../src/http/body.js';
import { digestCounts, fileDigest, knownDigest, noteDigest } from '../../src/runtime/file-digest.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfTask } from '../../src/runtime/erf-task.js';
import { modelCache, modelKey } from '../../src/runtime/model-cache.js';
import type { RunTask } from '../../src/runtime/tasks.js';
import handle from '../../src/runtime/worker.js';
import offload from '../../src/http/offload-worker.js';
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import { erfJob } from './erf-job.js';
import { onnxRunTask } from './onnx-run-task.js';

const dir = new URL('../fixtures/networks/', import.meta.url);
const file = readFileSync(new URL('convnext_blocks_d32.onnx', dir));
const golden = JSON.parse(readFileSync(new URL('convnext_blocks_d32.json', dir), 'utf8')) as { input: { shape: number[]; data: number[] } };
/** sha256sum test/fixtures/networks/convnext_blocks_d32.onnx */
const SHA256 = '9a4021a3f5bc851a03ccc6bbe1d4b169789b633d8bea6c114df7af18e13625b4';
/** The same file with byte 67,188 (its middle, in a weight) xor 1: sha256sum of it. */
const CHANGED_SHA256 = 'a67eda7d0f0c5faa8c4ca343b235087cf86f34cc053ac20a7090638e7e7621a9';
const changed = () => {
  const b = Uint8Array.from(file);
  b[67_188] ^= 1;
  return b;
};

/** The file's bytes as a stream of chunks of these sizes, over and over. */
async function* chunks(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Buffer> {
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length];
    yield Buffer.from(bytes.subarray(at, at + n));
    at += n;
  }
}

const overflow = () => new Error('overflow');

const maxBytes = modelCache.maxBytes;
afterEach(() => {
  modelCache.clear();
  modelCache.maxBytes = maxBytes;
});

describe('a file hashed as it streams in', () => {
  it('chunks of 1, 7 and 65,536 bytes: the digest noted for the buffer is sha256sum\'s, with a Content-Length, without one, and read into a larger capacity (a view, or a copy)', async () => {
    for (const capacity of [file.length, null, file.length + 10, file.length * 3]) {
      const out = await readInto(chunks(file, [1, 7, 65_536]), capacity, Infinity, overflow, undefined, undefined, true);
      expect(out.length).toBe(file.length);
      expect(knownDigest(out)).toBe(SHA256);
    }
  });

  it('not asked: no digest noted (a .npy part, an analysis upload), and fileDigest then hashes the bytes itself, to the same hex', async () => {
    const out = await readInto(chunks(file, [65_536]), file.length, Infinity, overflow);
    expect(knownDigest(out)).toBeUndefined();
    const before = digestCounts.files;
    expect(fileDigest(out)).toBe(SHA256);
    expect(digestCounts.files).toBe(before + 1);
  });

  it('a copy made to transfer the bytes carries their digest', async () => {
    const out = await readInto(chunks(file, [65_536]), file.length * 3, Infinity, overflow, undefined, undefined, true);
    // a view of half its buffer or more: not transferable as it is
    const whole = Buffer.alloc(file.length * 2);
    file.copy(whole);
    const view = whole.subarray(0, file.length);
    expect(transferable(view)).not.toBe(view);
    expect(knownDigest(transferable(out))).toBe(SHA256);
  });
});

describe('the worker takes the digest the pool sends beside the task', () => {
  const task = (bytes: Uint8Array): RunTask => onnxRunTask(bytes, golden.input);
  type Answer = { ok: boolean; value: { outputs: Record<string, { data: Float32Array }> } };
  // the answer as the pool receives it (its buffers moved: Piscina.move's wrapper)
  const run = (bytes: Uint8Array, fileDigest?: string): Answer => {
    const answer = handle({ task: 'run', payload: task(bytes) as never, fileDigest }) as Answer & { [Piscina.valueSymbol]?: Answer };
    return answer[Piscina.valueSymbol] ?? answer;
  };

  it('two runs of the file with its digest: the second hits the cache, neither hashes the file; the same file with no digest (the command line) hashes it and hits the same entry', () => {
    const before = digestCounts.files;
    const first = run(Uint8Array.from(file), SHA256);
    expect(first.ok).toBe(true);
    expect(modelCache.size).toBe(1);
    const second = run(Uint8Array.from(file), SHA256);
    expect(modelCache.size).toBe(1);
    expect(digestCounts.files).toBe(before);
    expect(second.value.outputs).toEqual(first.value.outputs);
    run(Uint8Array.from(file));
    expect(digestCounts.files).toBe(before + 1);
    expect(modelCache.size).toBe(1);
  });

  it('one byte changed, with its own digest: another entry (a miss); the key begins with sha256sum\'s hex of the bytes', () => {
    run(Uint8Array.from(file), SHA256);
    expect(run(changed(), CHANGED_SHA256).ok).toBe(true);
    expect(modelCache.size).toBe(2);
    expect(modelKey(file, {}, 1, 2)).toBe(`${SHA256}:1:2:[]`);
    expect(modelKey(changed(), {}, 1, 2)).toBe(`${CHANGED_SHA256}:1:2:[]`);
  });

  it('a large JSON request parsed in a worker (http/offload-worker.ts): the digest beside it is noted for its file part "model": a hit, nothing hashed', () => {
    run(Uint8Array.from(file), SHA256);
    const before = digestCounts.files;
    const json = JSON.stringify({ inputs: { input: golden.input } });
    offload({ kind: 'run', json, where: 'request', files: new Map([['model', Uint8Array.from(file)]]), maxElements: 1 << 24, fileDigest: SHA256 });
    expect(digestCounts.files).toBe(before);
    expect(modelCache.size).toBe(1);
    offload({ kind: 'run', json, where: 'request', files: new Map([['model', Uint8Array.from(file)]]), maxElements: 1 << 24 });
    expect(digestCounts.files).toBe(before + 1);
  });

  it('a digest sent with a task is noted for that task\'s file only: another file sent after it without one is hashed', () => {
    run(Uint8Array.from(file), SHA256);
    const before = digestCounts.files;
    run(changed());
    expect(digestCounts.files).toBe(before + 1);
    expect(modelCache.size).toBe(2);
  });
});

describe('ERF samples through the model cache', () => {
  const job = (bytes: Uint8Array, samples: number, mode: 'random' | 'luo' = 'random') => erfJob({ source: { kind: 'onnx', bytes, inputShapes: {} } })({ samples, mode, weightInit: 'file', seed: 5 });

  it.each(['random', 'luo'] as const)('%s, 3 samples of convnext_blocks_d32.onnx: one digest for the request (none hashed per sample), one import in the cache, and the gradient and stages bit for bit those of the samples imported each (cache off)', async (mode) => {
    modelCache.maxBytes = 0;
    const off = await computeErf(inlineRunner, job(Uint8Array.from(file), 3, mode));
    modelCache.maxBytes = maxBytes;
    const before = digestCounts.files;
    const on = await computeErf(inlineRunner, job(Uint8Array.from(file), 3, mode));
    expect(digestCounts.files).toBe(before);
    expect(modelCache.size).toBe(1);
    expect(on.inputs).toBe(3);
    expect(Array.from(on.gradient.data)).toEqual(Array.from(off.gradient.data));
    expect(on.stages).toEqual(off.stages);
    expect(on.stats).toEqual(off.stats);
  });

  it('no digest and no more samples than lanes (one sample; 2 samples on 2 workers): each imported as before, the file not hashed, nothing cached; with the route\'s digest, cached', async () => {
    const before = digestCounts.files;
    await computeErf(inlineRunner, job(Uint8Array.from(file), 1));
    const twoLanes = Object.assign(async <T>(task: ErfTask) => erfTask(task) as T, { parallel: 2 });
    await computeErf(twoLanes, job(Uint8Array.from(file), 2));
    expect(digestCounts.files).toBe(before);
    expect(modelCache.size).toBe(0);
    const bytes = Uint8Array.from(file);
    noteDigest(bytes, SHA256);
    await computeErf(twoLanes, job(bytes, 2));
    expect(modelCache.size).toBe(1);
  });
});
