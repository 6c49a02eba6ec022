/** gatherElements and scatterND (src/ops/scatter.ts): hand-worked values, folding, index checks. */
import { describe, expect, it } from 'vitest';
import { gatherElements, scatterElements, scatterND } from '../../src/ops/scatter.js';
import { errorOf } from '../helpers.js';
import { inferOf, ints, iota, run } from './op-helpers.js';

describe('gatherElements', () => {
  it('ONNX example: data [[1,2],[3,4]], indices [[0,0],[1,0]], axis 1 → [[1,1],[4,3]]', () => {
    expect(run('gatherElements', [[[2, 2], [1, 2, 3, 4]], [[2, 2], [0, 0, 1, 0]]], { dim: 1 })).toEqual([{ shape: [2, 2], data: [1, 1, 4, 3] }]);
  });

  it('negative indices count from the end; known values fold', () => {
    const r = inferOf(gatherElements, [[3], [2]], {}, [ints(10, 20, 30), ints(-1, 0)]);
    expect(r.values).toEqual([{ data: [30, 10], integer: true }]);
  });

  it('a known index out of range is INVALID_ATTRIBUTE; in the kernel INVALID_TENSOR', () => {
    expect(errorOf(() => inferOf(gatherElements, [[3], [1]], {}, [null, ints(3)])).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => run('gatherElements', [[[2, 2], [1, 2, 3, 4]], [[2, 2], [0, 5, 1, 0]]], { dim: 1 })).code).toBe('INVALID_TENSOR');
  });

  it('indices of another rank are SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(gatherElements, [[2, 3], [6]])).code).toBe('SHAPE_MISMATCH');
  });
});

describe('scatterND', () => {
  it('ONNX example 1: data 1…8, indices [[4],[3],[1],[7]], updates [9,10,11,12] → [1,11,3,10,9,6,7,12]', () => {
    const out = run('scatterND', [[[8], [1, 2, 3, 4, 5, 6, 7, 8]], [[4, 1], [4, 3, 1, 7]], [[4], [9, 10, 11, 12]]]);
    expect(out).toEqual([{ shape: [8], data: [1, 11, 3, 10, 9, 6, 7, 12] }]);
  });

  it('rows of a [3,2] matrix: indices [[2],[0]] write rows 2 and 0; reduction add sums a repeated index; cost one per update when combining', () => {
    const r = inferOf(scatterND, [[3, 2], [2, 1], [2, 2]], {}, [ints(...iota(6)), ints(2, 0), ints(7, 8, 9, 9)]);
    expect(r.values).toEqual([{ data: [9, 9, 2, 3, 7, 8], integer: true }]);
    expect(r.cost.elementwise).toBe(0);
    const add = inferOf(scatterND, [[3], [2, 1], [2]], { reduction: 'add' }, [ints(0, 0, 0), ints(1, 1), ints(5, 6)]);
    expect(add.values).toEqual([{ data: [0, 11, 0], integer: true }]);
    expect(add.cost.elementwise).toBe(2);
  });

  it('updates of the wrong shape are SHAPE_MISMATCH naming the shape they must have', () => {
    const e = errorOf(() => inferOf(scatterND, [[3, 2], [2, 1], [2, 3]]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('[2, 2]');
  });

  it('a known index out of range is INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => inferOf(scatterND, [[3], [1, 1], [1]], {}, [null, ints(3), null])).code).toBe('INVALID_ATTRIBUTE');
  });
});

describe('scatterElements', () => {
  it('ONNX example 2: data [[1,2,3,4,5]], indices [[1,3]], updates [[1.1,2.1]], axis 1 → [[1,1.1,3,2.1,5]]', () => {
    const out = run('scatterElements', [[[1, 5], [1, 2, 3, 4, 5]], [[1, 2], [1, 3]], [[1, 2], [1.1, 2.1]]], { dim: 1 });
    expect(out[0].shape).toEqual([1, 5]);
    expect(out[0].data.map((v) => Math.round(v * 10) / 10)).toEqual([1, 1.1, 3, 2.1, 5]);
  });

  it('reduction add sums repeats (ONNX example: [[1,2,3,4,5]] with [[1,1]] and [[1.1,2.1]] → 5.2 at 1); folds known values; one FLOP per update', () => {
    const r = inferOf(scatterElements, [[5], [2], [2]], { reduction: 'add' }, [ints(1, 2, 3, 4, 5), ints(1, 1), ints(10, 20)]);
    expect(r.values).toEqual([{ data: [1, 32, 3, 4, 5], integer: true }]);
    expect(r.cost.elementwise).toBe(2);
  });

  it('updates shaped unlike the indices are SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(scatterElements, [[3, 4], [2, 4], [2, 3]])).code).toBe('SHAPE_MISMATCH');
  });
});
