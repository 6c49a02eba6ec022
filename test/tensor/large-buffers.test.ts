/**
 * tensor/large-buffers.ts: dead buffers of at least 16 MiB used again within a run (and a cached
 * model's next run) instead of fresh pages, never one a caller still holds.
 */
import { describe, expect, it } from 'vitest';
import { LARGE_BUFFER_BYTES, LargeBufferPool, largeBuffers, recycle, withLargeBuffers, zeroed } from '../../src/tensor/large-buffers.js';
import { uncleared } from '../../src/tensor/tensor.js';

const MiB = 2 ** 20;

describe('LargeBufferPool', () => {
  it('16, 24 and 32 MiB free: a 20 MiB request takes the 24 (the smallest that holds it), a 40 MiB one none', () => {
    const pool = new LargeBufferPool();
    pool.cap = 100 * MiB;
    const [b16, b24, b32] = [16, 24, 32].map((m) => new ArrayBuffer(m * MiB));
    for (const b of [b32, b16, b24]) expect(pool.give(b)).toBe(true);
    expect(pool.freeBytes).toBe(72 * MiB);
    expect(pool.take(20 * MiB)).toBe(b24);
    expect(pool.take(40 * MiB)).toBeUndefined();
    expect([pool.hits, pool.misses, pool.freeBytes]).toEqual([1, 1, 48 * MiB]);
    // a request raises the cap to its size (a run holds that much at once anyway)
    expect(pool.cap).toBe(100 * MiB);
    pool.take(120 * MiB);
    expect(pool.cap).toBe(120 * MiB);
  });

  it('past the cap the smallest free buffers go, detached (16 + 24 + 32 MiB with a 60 MiB cap: the 16 goes)', () => {
    const pool = new LargeBufferPool();
    pool.cap = 60 * MiB;
    const [b16, b24, b32] = [16, 24, 32].map((m) => new ArrayBuffer(m * MiB));
    pool.give(b24);
    pool.give(b16);
    expect(pool.freeBytes).toBe(40 * MiB);
    pool.give(b32);
    expect([pool.holds(b16), pool.holds(b24), pool.holds(b32)]).toEqual([false, true, true]);
    expect(b16.byteLength).toBe(0);
    expect(pool.trim(0)).toBe(56 * MiB);
    expect([b24.byteLength, b32.byteLength, pool.freeBytes]).toEqual([0, 0, 0]);
    // every byte let go is counted (the executor adds them to what its next scavenge frees): 16 + 56
    expect(pool.letGo).toBe(72 * MiB);
  });

  it('refuses a buffer under 16 MiB and one it already holds', () => {
    const pool = new LargeBufferPool();
    pool.cap = 100 * MiB;
    const big = new ArrayBuffer(LARGE_BUFFER_BYTES);
    expect(pool.give(new ArrayBuffer(LARGE_BUFFER_BYTES - 4))).toBe(false);
    expect(pool.give(big)).toBe(true);
    expect(pool.give(big)).toBe(false);
    expect(pool.freeBytes).toBe(LARGE_BUFFER_BYTES);
  });
});

describe('zeroed, uncleared and recycle', () => {
  const n = LARGE_BUFFER_BYTES / 4 + 1024;

  it('outside a run: fresh arrays, and recycle keeps nothing', () => {
    const a = zeroed(n);
    a[0] = 5;
    recycle(a);
    expect(largeBuffers.freeBytes).toBe(0);
    expect(zeroed(n).buffer).not.toBe(a.buffer);
  });

  it('in a run: scratch given back is the next large array (zeroed clears it; uncleared of fewer floats views its start)', () => {
    largeBuffers.cap = 64 * MiB;
    try {
      withLargeBuffers(() => {
        const scratch = zeroed(n);
        scratch.fill(7);
        recycle(scratch);
        const again = zeroed(n);
        expect(again.buffer).toBe(scratch.buffer);
        expect([again[0], again[n - 1]]).toEqual([0, 0]);
        again.fill(3);
        recycle(again);
        const fewer = uncleared(n - 1024);
        expect(fewer.buffer).toBe(scratch.buffer);
        expect([fewer.length, fewer.byteOffset, fewer[0]]).toEqual([n - 1024, 0, 3]);
        // a view into another array is never given back
        recycle(fewer.subarray(16));
        expect(largeBuffers.freeBytes).toBe(0);
      });
    } finally {
      largeBuffers.cap = 0;
      largeBuffers.trim(0);
    }
  });
});
