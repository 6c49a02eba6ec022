/**
 * Issue 9, defect 6: a worker gives memory back after a large task (runtime/memory.ts): over
 * WORKER_HEAP_LIMIT_MB (V8 heap + array buffers + WebAssembly memory of the thread) it collects
 * its garbage before answering, instead of sleeping on it in Atomics.wait.
 */
import { describe, expect, it } from 'vitest';
import { collectIfOver } from '../../src/runtime/memory.js';
import { workerHeapLimitMb } from '../../src/runtime/limits.js';

const MB = 2 ** 20;

describe('collectIfOver', () => {
  it('WORKER_HEAP_LIMIT_MB from the environment: 256 by default, 64 when set, the default when invalid', () => {
    expect(workerHeapLimitMb({})).toBe(256);
    expect(workerHeapLimitMb({ WORKER_HEAP_LIMIT_MB: '64' })).toBe(64);
    expect(workerHeapLimitMb({ WORKER_HEAP_LIMIT_MB: 'lots' })).toBe(256);
  });

  it('under the limit: nothing collected', () => {
    const { heapUsed, external } = process.memoryUsage();
    expect(collectIfOver(heapUsed + external + 512 * MB)).toBe(false);
  });

  it('80 MB of garbage arrays over a limit below it: collected at once, the heap falls by most of it', () => {
    let garbage: number[][] | null = Array.from({ length: 100 }, (_, i) => Array.from({ length: 100_000 }, (_, j) => i + j + 0.5));
    const held = process.memoryUsage().heapUsed;
    garbage = null;
    expect(garbage).toBeNull();
    expect(collectIfOver(held - 40 * MB)).toBe(true);
    expect((held - process.memoryUsage().heapUsed) / MB).toBeGreaterThan(60);
  });
});
