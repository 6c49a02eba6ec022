/** The convolution family's kernel utilities (src/ops/kernels.ts), on small hand-worked arrays. */
import { describe, expect, it } from 'vitest';
import { addBias, flipKernels } from '../../src/ops/kernels.js';

const f32 = (...v: number[]) => Float32Array.from(v);

describe('addBias: y[n, c, i] += b[c]', () => {
  it('n=2, channels=2, plane=3, bias [1, 10]: every element of channel c gets b[c]', () => {
    const out = new Float32Array(12);
    addBias(out, f32(1, 10), 2, 2, 3);
    expect(Array.from(out)).toEqual([1, 1, 1, 10, 10, 10, 1, 1, 1, 10, 10, 10]);
  });

  it('positions [1, 2) only (a band of rows, as parallel workers add it): the rest untouched', () => {
    const out = new Float32Array(12);
    addBias(out, f32(1, 10), 2, 2, 3, 1, 2);
    expect(Array.from(out)).toEqual([0, 1, 0, 0, 10, 0, 0, 1, 0, 0, 10, 0]);
  });

  it('adds to what is there; no bias leaves the output as it was', () => {
    const out = f32(5, 6, 7, 8);
    addBias(out, f32(-1, 2), 1, 2, 2);
    expect(Array.from(out)).toEqual([4, 5, 9, 10]);
    addBias(out, undefined, 1, 2, 2);
    expect(Array.from(out)).toEqual([4, 5, 9, 10]);
  });
});

describe('flipKernels: w′[…, u, v] = w[…, Kh − 1 − u, Kw − 1 − v]', () => {
  it('two 2×3 kernels: each reversed in both axes, in place of its own', () => {
    const w = f32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    // [[1,2,3],[4,5,6]] → [[6,5,4],[3,2,1]]; [[7,8,9],[10,11,12]] → [[12,11,10],[9,8,7]]
    expect(Array.from(flipKernels(w, 2, 3))).toEqual([6, 5, 4, 3, 2, 1, 12, 11, 10, 9, 8, 7]);
    // a new array: the weight itself is not modified
    expect(Array.from(w)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('3×1 kernels flip along H only; 1×1 kernels are unchanged; flipping twice restores', () => {
    expect(Array.from(flipKernels(f32(1, 2, 3, 4, 5, 6), 3, 1))).toEqual([3, 2, 1, 6, 5, 4]);
    expect(Array.from(flipKernels(f32(1, 2, 3), 1, 1))).toEqual([1, 2, 3]);
    const w = f32(0.5, -1, 2, 3, 4, 5, 6, 7, 8);
    expect(Array.from(flipKernels(flipKernels(w, 3, 3), 3, 3))).toEqual(Array.from(w));
  });
});
