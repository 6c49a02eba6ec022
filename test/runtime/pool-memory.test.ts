/**
 * Each worker's memory as its last task left it (runtime/task-answer.ts workerMemory, kept by the
 * pool for /metrics): its thread, V8 heap, buffers and model cache; a worker replaced after a
 * timeout is dropped, and its successor is listed under its own thread from its first task.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReportOptionsSchema } from '../../src/analysis/extras.js';
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/runtime/pool.js';
import { tensor } from '../../src/tensor/tensor.js';

const sleeper = new URL('./sleep-worker.mjs', import.meta.url).href;
const exiter = new URL('./exit-worker.mjs', import.meta.url).href;
const pool = createPool(loadConfig({ WORKERS: '1', TASK_TIMEOUT_MS: '1500', MAX_QUEUE: '4' }));
afterAll(() => pool.close());

/** conv 1→4, 3×3 on 1×1×8×8: 40 parameters */
const spec = { inputs: [{ name: 'x', shape: [1, 1, 8, 8] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 4, kernelSize: 3 }] };
const run = (seed: number) =>
  pool.run('run', { source: { kind: 'spec', spec }, inputs: { x: tensor([1, 1, 8, 8], new Float32Array(64).fill(1)) }, weights: {}, weightInit: 'seed', training: false, seed, capture: [], maxElements: 1 << 20 });

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("the pool's record of its workers' memory", () => {
  it('none before a task; after an analysis one thread, its heap in use between 1 MiB and the heap limit, an empty model cache', async () => {
    expect(pool.workerMemory()).toEqual([]);
    await pool.run('analyze', { source: { kind: 'spec', spec }, options: ReportOptionsSchema.parse({}) });
    const [m, ...more] = pool.workerMemory();
    expect(more).toEqual([]);
    expect(m.heapUsedBytes).toBeGreaterThan(1 << 20);
    expect(m.heapUsedBytes).toBeLessThan(4 * 2 ** 30);
    expect(m.externalBytes).toBeGreaterThanOrEqual(0);
    expect([m.modelCacheEntries, m.modelCacheBytes]).toEqual([0, 0]);
  });

  it('a run keeps its model: one entry, its one layer (4,096 bytes); the same run again keeps it once, now with its 40 seeded float32 weights (160 bytes)', async () => {
    await run(1);
    const [m] = pool.workerMemory();
    expect([m.modelCacheEntries, m.modelCacheBytes]).toEqual([1, 4096]);
    await run(1);
    const [again] = pool.workerMemory();
    expect([again.modelCacheEntries, again.modelCacheBytes]).toEqual([1, 4096 + 160]);
  });

  it('a worker replaced after a timeout leaves the record; the next task lists its successor under another thread', async () => {
    const before = pool.workerMemory()[0].thread;
    await expect(pool.run('operator', { ms: 3000 }, undefined, { filename: sleeper })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await until(() => pool.workerMemory().length === 0);
    expect(pool.workerMemory()).toEqual([]);
    await pool.run('analyze', { source: { kind: 'spec', spec }, options: ReportOptionsSchema.parse({}) });
    const after = pool.workerMemory();
    expect(after).toHaveLength(1);
    expect(after[0].thread).not.toBe(before);
    expect(after[0].modelCacheEntries).toBe(0);
  });

  // a review found a crashed worker listed for good: piscina's workerDestroy came after the thread's exit, its threadId then −1
  it('a worker whose thread ends (a crash, or out of heap) leaves the record too', async () => {
    expect(await pool.run('operator', {}, undefined, { filename: exiter })).toBe(1);
    const [crashing] = pool.workerMemory();
    await expect(pool.run('operator', { exit: true }, undefined, { filename: exiter })).rejects.toThrow();
    await until(() => pool.workerMemory().every((m) => m.thread !== crashing.thread));
    expect(pool.workerMemory().map((m) => m.thread)).not.toContain(crashing.thread);
    expect(await pool.run('operator', {}, undefined, { filename: exiter })).toBe(1);
    expect(pool.workerMemory()).toHaveLength(1);
  });
});
