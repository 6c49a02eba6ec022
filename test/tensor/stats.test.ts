/** Summary statistics of result tensors (src/tensor/stats.ts): hand-worked values, NaN, slices, and a million values against pairwise sums. */
import { describe, expect, it } from 'vitest';
import { stats, statsInSteps } from '../../src/tensor/stats.js';
import { tensor } from '../../src/tensor/tensor.js';

function collect<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

describe('tensor statistics', () => {
  it('summary statistics: population std', () => {
    expect(stats(tensor([4], [1, 2, 3, 4]))).toEqual({ min: 1, max: 4, mean: 2.5, std: Math.sqrt(1.25), nonFinite: 0 });
  });

  it('summary statistics of 1…10 (two groups of four and a tail of two): mean 5.5, std √8.25; min and max in the tail', () => {
    expect(stats(tensor([10], [5, 6, 7, 8, 4, 3, 2, 9, 10, 1]))).toEqual({ min: 1, max: 10, mean: 5.5, std: Math.sqrt(8.25), nonFinite: 0 });
    expect(stats(tensor([1], [-3]))).toEqual({ min: -3, max: -3, mean: -3, std: 0, nonFinite: 0 });
  });

  it('a NaN is skipped by min and max (in every lane of the four) and makes mean and std NaN', () => {
    for (let at = 0; at < 4; at++) {
      const data = [1, -2, 5, 0.5];
      data[at] = NaN;
      const s = stats(tensor([8], [...data, 3, 3, 3, 3]));
      const rest = data.filter((v) => !Number.isNaN(v)).concat(3);
      expect([s.min, s.max]).toEqual([Math.min(...rest), Math.max(...rest)]);
      expect(Number.isNaN(s.mean) && Number.isNaN(s.std)).toBe(true);
      expect(s.nonFinite).toBe(1);
    }
  });

  it('nonFinite counts NaN, +Infinity and −Infinity: log([−1, 0, 1, 2]) has NaN and −Infinity, 2; [Infinity, 1] has 1; finite data 0', () => {
    expect(stats(tensor([4], Float32Array.from([-1, 0, 1, 2], Math.log))).nonFinite).toBe(2);
    expect(stats(tensor([2], [Infinity, 1]))).toMatchObject({ max: Infinity, nonFinite: 1 });
    expect(stats(tensor([3], [3.4e38, 3.4e38, 3.4e38])).nonFinite).toBe(0);
  });

  it('mean and std of 1,000,003 values of mean 1000 and spread 1: within 1e-12 of exact sums, whatever the slice', () => {
    const n = 1_000_003;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 1000 + Math.sin(i * 0.7);
    // reference: float32 values are exact in float64, and sums of 2^k of them pairwise lose at most log2(n) ulps
    const pairwise = (f: (i: number) => number, lo: number, hi: number): number => (hi - lo <= 8 ? Array.from({ length: hi - lo }, (_, k) => f(lo + k)).reduce((a, b) => a + b, 0) : pairwise(f, lo, (lo + hi) >> 1) + pairwise(f, (lo + hi) >> 1, hi));
    const mean = pairwise((i) => data[i], 0, n) / n;
    const std = Math.sqrt(pairwise((i) => (data[i] - mean) ** 2, 0, n) / n);
    const t = tensor([n], data);
    for (const s of [stats(t), collect(statsInSteps(t, 65_537))]) {
      expect(Math.abs(s.mean - mean) / mean).toBeLessThan(1e-12);
      expect(Math.abs(s.std - std) / std).toBeLessThan(1e-9);
    }
    expect(collect(statsInSteps(t, 65_537))).toEqual(stats(t));
    // any slice gives the same numbers: none (Infinity), under one group of four, one element
    for (const slice of [Infinity, 3, 1]) expect(collect(statsInSteps(tensor([10], [5, 6, 7, 8, 4, 3, 2, 9, 10, 1]), slice))).toEqual({ min: 1, max: 10, mean: 5.5, std: Math.sqrt(8.25), nonFinite: 0 });
  });

  it('stats in steps pause between slices and give stats()\'s numbers', () => {
    const t = tensor([10], [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]);
    const steps = statsInSteps(t, 3);
    let pauses = 0;
    let r = steps.next();
    while (!r.done) {
      pauses++;
      r = steps.next();
    }
    expect(pauses).toBeGreaterThanOrEqual(4);
    expect(r.value).toEqual(stats(t));
  });
});
