import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fullCollections, interleaved, median, pairedRatio, pickSides, releaseNow, threadCpu } from '../../bench/sides.js';
import { tensor } from '../../src/tensor/tensor.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

describe('bench sides: samples taken in turn, and the full collections among them', () => {
  it('two sides, 0 s: one warm-up round, then at least 5 rounds, each side in turn with its prepare just before it', async () => {
    const order: string[] = [];
    const s = await interleaved([() => order.push('a'), () => order.push('b')], 0, (i) => order.push(`prepare ${i}`));
    expect(s.warm.map((w) => w.length)).toEqual([1, 1]);
    expect(s.samples).toBe(5);
    expect(order.slice(0, 4)).toEqual(['prepare 0', 'a', 'prepare 1', 'b']);
    expect(order).toHaveLength(4 * 6);
    expect(s.fullCollections).toEqual({ count: 0, ms: 0 });
  });

  it('pairedRatio is the median of the per-round ratios: rounds (4, 2), (9, 3), (2, 2) → 2', () => {
    const s = { rounds: [[4, 9, 2], [2, 3, 2]] } as Parameters<typeof pairedRatio>[0];
    expect(pairedRatio(s, 0, 1)).toBe(2);
  });

  it('pickSides takes sides 3 and 1 of four, in that order: their medians, rounds and warm-ups; the samples and collections stay', () => {
    const four = [0, 1, 2, 3];
    const s = { wall: [1, 2, 3, 4], cpu: [5, 6, 7, 8], busiest: [9, 10, 11, 12], best: [0.5, 1.5, 2.5, 3.5], samples: 2, rounds: four.map((i) => [i, i + 10]), warm: four.map((i) => [i * 100]), fullCollections: { count: 1, ms: 3 } };
    const picked = pickSides(s, [3, 1]);
    expect(picked).toEqual({ wall: [4, 2], cpu: [8, 6], busiest: [12, 10], best: [3.5, 1.5], samples: 2, rounds: [[3, 13], [1, 11]], warm: [[300], [100]], fullCollections: { count: 1, ms: 3 } });
    // the round-by-round ratio of the picked pair: (3/1, 13/11) → median of two is the upper one
    expect(pairedRatio(picked, 0, 1)).toBe(3);
  });

  it('releaseNow: a 2 MiB output given twice is released once (2 MiB, its buffer detached); a 1 KiB one is left to the collector', () => {
    const big = tensor([512, 1024], new Float32Array(512 * 1024));
    const small = tensor([256], new Float32Array(256));
    expect(releaseNow([big, small, big])).toBe(2 * 2 ** 20);
    expect([big.data.buffer.byteLength, small.data.buffer.byteLength]).toEqual([0, 1024]);
  });

  it('fullCollections counts two forced full collections, not scavenges (V8 may add one of its own: at least 2; 20 scavenges count under 20)', async () => {
    const counting = fullCollections();
    gc();
    gc();
    const seen = await counting.stop();
    expect(seen.count).toBeGreaterThanOrEqual(2);
    expect(seen.ms).toBeGreaterThan(0);
    const scavenging = fullCollections();
    for (let i = 0; i < 20; i++) gc({ type: 'minor' });
    expect((await scavenging.stop()).count).toBeLessThan(20);
  });

  it('a full collection inside a timed round is in the sides, one of the warm-up is not', async () => {
    let calls = 0;
    const s = await interleaved([() => calls++ === 0 && gc(), () => calls === 4 && gc()], 0);
    expect(s.fullCollections.count).toBe(1);
  });

  it('the clock times the side alone, not the per-thread CPU reads around it: a side that busy-waits 2 ms, 0.05 s of rounds → its median wall over 2 ms by less than one read', async () => {
    // a busy wait, not a timer: a timer's own lateness would be in the figure
    const wait2 = () => {
      const end = performance.now() + 2;
      while (performance.now() < end);
    };
    const reads: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = performance.now();
      threadCpu();
      reads.push(performance.now() - t);
    }
    const s = await interleaved([wait2], 0.05);
    expect(Math.min(...s.rounds[0])).toBeGreaterThanOrEqual(0.002);
    // before 2026-12-01 a read before and one after were in every sample (0.44 ms each with the bench's 21 threads)
    expect((s.wall[0] - 0.002) * 1000).toBeLessThan(median(reads));
  });
});
