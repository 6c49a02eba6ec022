import { describe, expect, it } from 'vitest';
import { transposeUnits } from '../../src/ops/kernels.js';
import { sumToShape } from '../../src/ops/vjp-kernels.js';
import { scatterAdd } from '../../src/ops/vjp-plumbing.js';

describe('VJP building blocks (hand-worked)', () => {
  it('sumToShape [2,3] → [1,3] sums the rows; → [2,1] sums the columns; → [] sums all; same shape copies', () => {
    const g = Float32Array.from([1, 2, 3, 10, 20, 30]);
    expect(Array.from(sumToShape(g, [2, 3], [1, 3]).data)).toEqual([11, 22, 33]);
    expect(Array.from(sumToShape(g, [2, 3], [2, 1]).data)).toEqual([6, 60]);
    expect(Array.from(sumToShape(g, [2, 3], [3]).data)).toEqual([11, 22, 33]);
    expect(Array.from(sumToShape(g, [2, 3], []).data)).toEqual([66]);
    const same = sumToShape(g, [2, 3], [2, 3]);
    expect(Array.from(same.data)).toEqual(Array.from(g));
    expect(same.data).not.toBe(g);
  });

  it('sumToShape [2,2,2] → [2,1,2] (a middle dim)', () => {
    const g = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(sumToShape(g, [2, 2, 2], [2, 1, 2]).data)).toEqual([4, 6, 12, 14]);
  });

  it('scatterAdd: a [2,2] gradient into the odd columns of a 2×4 input, twice, adds up', () => {
    const gx = new Float32Array(8);
    scatterAdd(Float32Array.from([1, 2, 3, 4]), [2, 2], 1, [4, 2], gx);
    scatterAdd(Float32Array.from([1, 1, 1, 1]), [2, 2], 1, [4, 2], gx);
    expect(Array.from(gx)).toEqual([0, 2, 0, 3, 0, 4, 0, 5]);
  });

  it('transposeUnits: a 2×3 matrix of 2-float kernels, reversed, and a 40×33 matrix across tiles', () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const dst = new Float32Array(12);
    transposeUnits(src, 0, 2, 3, 2, dst, 0, true);
    // block (r, c) = [src 2(3r+c)+1, +2] lands at 2(2c+r), reversed
    expect(Array.from(dst)).toEqual([2, 1, 8, 7, 4, 3, 10, 9, 6, 5, 12, 11]);
    const [rows, cols] = [40, 33];
    const big = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const out = new Float32Array(big.length);
    transposeUnits(big, 0, rows, cols, 1, out, 0, false);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expect(out[c * rows + r]).toBe(r * cols + c);
  });
});
