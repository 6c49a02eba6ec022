/**
 * NumPy broadcasting, one rule for shapes, folded constants, matmul's batch dims, expand and the
 * element-wise kernels. Shape cases are the NumPy manual's (numpy.org, "Broadcasting").
 */
import { describe, expect, it } from 'vitest';
import { broadcastIndex, broadcastShapes, broadcastStrides, broadcastValue } from '../../src/ops/broadcast.js';
import { div, sub } from '../../src/ops/merge.js';
import { inferOf, ints, run } from './op-helpers.js';

describe('broadcastShapes (NumPy manual examples)', () => {
  it.each([
    [[[8, 1, 6, 1], [7, 1, 5]], [8, 7, 6, 5]],
    [[[5, 4], [1]], [5, 4]],
    [[[5, 4], [4]], [5, 4]],
    [[[15, 3, 5], [15, 1, 5]], [15, 3, 5]],
    [[[15, 3, 5], [3, 5]], [15, 3, 5]],
    [[[15, 3, 5], [3, 1]], [15, 3, 5]],
    [[[2, 1], [1, 3], [4, 1, 1]], [4, 2, 3]],
    [[[], [3]], [3]],
  ])('%j → %j', (shapes, want) => {
    expect(broadcastShapes(shapes)).toEqual(want);
  });

  it.each([
    [[[3], [4]]],
    [[[2, 1], [8, 4, 3]]],
  ])('%j do not broadcast → null', (shapes) => {
    expect(broadcastShapes(shapes)).toBeNull();
  });
});

describe('broadcastStrides: per output dim, the operand\'s stride, 0 where it is broadcast', () => {
  it.each([
    [[2, 3], [2, 3], [3, 1]],
    [[3, 1], [2, 3, 4], [0, 1, 0]],
    [[1, 4], [3, 4], [0, 1]],
    [[2, 1, 3], [2, 5, 3], [3, 0, 1]],
    [[], [2, 2], [0, 0]],
  ])('%j read as %j → %j', (from, to, want) => {
    expect(broadcastStrides(from, to)).toEqual(want);
  });
});

describe('broadcastIndex: the source element of every output element, row-major', () => {
  it('[3,1] as [2,3,2]: element (b, i, j) reads i', () => {
    expect(Array.from(broadcastIndex([3, 1], [2, 3, 2]))).toEqual([0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2]);
  });

  it('[1,2] as [3,2]: the row repeats', () => {
    expect(Array.from(broadcastIndex([1, 2], [3, 2]))).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('[2,1,3] as [2,2,3]: each row of 3 read twice', () => {
    expect(Array.from(broadcastIndex([2, 1, 3], [2, 2, 3]))).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
  });

  it('same shape is the identity; a scalar fills; an empty output reads nothing', () => {
    expect(Array.from(broadcastIndex([2, 2], [2, 2]))).toEqual([0, 1, 2, 3]);
    expect(Array.from(broadcastIndex([], [2, 2]))).toEqual([0, 0, 0, 0]);
    expect(Array.from(broadcastIndex([], []))).toEqual([0]);
    expect(broadcastIndex([2], [0, 2]).length).toBe(0);
  });
});

describe('folding constants with broadcasting', () => {
  it('broadcastValue [2,1] [10, 20] → [2,3], integer kept', () => {
    expect(broadcastValue(ints(10, 20), [2, 1], [2, 3])).toEqual({ data: [10, 10, 10, 20, 20, 20], integer: true });
  });

  it('sub folds [2] − [1]: [7, 5] − [2] = [5, 3]', () => {
    expect(inferOf(sub, [[2], [1]], {}, [ints(7, 5), ints(2)]).values).toEqual([{ data: [5, 3], integer: true }]);
  });

  it('div truncates integers as ONNX int64 does (−7/2 = −3), not floats (7/2 = 3.5)', () => {
    expect(inferOf(div, [[2], [1]], {}, [ints(7, -7), ints(2)]).values).toEqual([{ data: [3, -3], integer: true }]);
    expect(inferOf(div, [[1], [1]], {}, [{ data: [7], integer: false }, ints(2)]).values).toEqual([{ data: [3.5], integer: false }]);
  });
});

describe('kernels that broadcast', () => {
  it('add [2,1] + [3]: [[1],[2]] + [10,20,30] = [[11,21,31],[12,22,32]]', () => {
    const [y] = run('add', [
      [[2, 1], [1, 2]],
      [[3], [10, 20, 30]],
    ]);
    expect(y).toEqual({ shape: [2, 3], data: [11, 21, 31, 12, 22, 32] });
  });

  it('matmul [2,1,1,2] @ [3,2,1]: batch dims broadcast to [2,3]; y[i,j] = a_i · b_j', () => {
    // a0 = [1, 2], a1 = [3, 4]; b0 = [1, 0]ᵀ, b1 = [0, 1]ᵀ, b2 = [1, 1]ᵀ
    const [y] = run('matmul', [
      [[2, 1, 1, 2], [1, 2, 3, 4]],
      [[3, 2, 1], [1, 0, 0, 1, 1, 1]],
    ]);
    expect(y).toEqual({ shape: [2, 3, 1, 1], data: [1, 2, 3, 3, 4, 7] });
  });

  it('matmul [2,2,2] @ [2,2]: the batch-less operand is shared by every batch', () => {
    // A0 = I, A1 = [[0,1],[1,0]] (swaps rows); B = [[1,2],[3,4]]
    const [y] = run('matmul', [
      [[2, 2, 2], [1, 0, 0, 1, 0, 1, 1, 0]],
      [[2, 2], [1, 2, 3, 4]],
    ]);
    expect(y).toEqual({ shape: [2, 2, 2], data: [1, 2, 3, 4, 3, 4, 1, 2] });
  });
});
