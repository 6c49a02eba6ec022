/** reshape, transpose, squeeze, unsqueeze, expand (src/ops/movement.ts): values rearranged, never changed. */
import { describe, expect, it } from 'vitest';
import { reshape, squeeze, transpose, unsqueeze } from '../../src/ops/movement.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, iota, ints, run } from './op-helpers.js';

describe('reshape (ONNX: 0 copies the input dim, −1 is inferred)', () => {
  it('[2,3,4] to [0, −1] → [2,12]: the same values in the same order, no FLOPs', () => {
    expect(run('reshape', [[[2, 3, 4], iota(24)]], { shape: [0, -1] })).toEqual([{ shape: [2, 12], data: iota(24) }]);
    expect(layer(analyze(net([2, 3, 4], { op: 'reshape', shape: [0, -1] })), 'l0').flops).toBe(0);
  });

  it('[2,3] to [3, −1] → [3,2]; allowZero makes 0 a real size ([0, 6] no longer fits 6 elements)', () => {
    expect(inferOf(reshape, [[2, 3]], { shape: [3, -1] }).outputs).toEqual([[3, 2]]);
    expect(errorOf(() => inferOf(reshape, [[2, 3]], { shape: [0, 6], allowZero: true })).code).toBe('SHAPE_MISMATCH');
  });

  it('two −1 entries are INVALID_ATTRIBUTE; 6 elements into [4, −1] is SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(reshape, [[2, 3]], { shape: [-1, -1] })).code).toBe('INVALID_ATTRIBUTE');
    const e = errorOf(() => inferOf(reshape, [[2, 3]], { shape: [4, -1] }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('[2, 3] (6 elements)');
  });

  it('a known value passes through (shape arithmetic stays foldable)', () => {
    expect(inferOf(reshape, [[2, 2]], { shape: [4] }, [ints(1, 2, 3, 4)]).values).toEqual([ints(1, 2, 3, 4)]);
  });

  it('receptive field: merging H and W makes it global; a channel-splitting view [1,4,4,4] → [1,2,2,4,4] keeps it', () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 };
    expect(layer(analyze(net([1, 2, 4, 4], conv, { op: 'reshape', shape: [1, 4, 16] })), 'l1').receptiveField).toMatchObject({ global: true });
    expect(layer(analyze(net([1, 2, 4, 4], conv, { op: 'reshape', shape: [1, 2, 2, 4, 4] })), 'l1').receptiveField).toMatchObject({ size: [3, 3], global: false });
  });
});

describe('transpose (y.shape[i] = x.shape[perm[i]])', () => {
  it('[2,3] with the default perm (reversed): [[1,2,3],[4,5,6]] → [[1,4],[2,5],[3,6]]', () => {
    expect(run('transpose', [[[2, 3], [1, 2, 3, 4, 5, 6]]])).toEqual([{ shape: [3, 2], data: [1, 4, 2, 5, 3, 6] }]);
  });

  it('[1,2,3] perm [0,2,1]: y[0,j,i] = x[0,i,j]', () => {
    expect(run('transpose', [[[1, 2, 3], iota(6)]], { perm: [0, 2, 1] })).toEqual([{ shape: [1, 3, 2], data: [0, 3, 1, 4, 2, 5] }]);
  });

  it('perm [0, 0, 1] is not a permutation: INVALID_ATTRIBUTE at perm', () => {
    const e = errorOf(() => inferOf(transpose, [[1, 2, 3]], { perm: [0, 0, 1] }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.perm');
  });

  it('NCHW → NHWC keeps the 3×3 field of the conv before it (the spatial axes moved, not merged)', () => {
    const r = analyze(net([1, 2, 5, 5], { op: 'conv2d', outChannels: 2, kernelSize: 3 }, { op: 'transpose', perm: [0, 2, 3, 1] }));
    expect(layer(r, 'l1').outputShape).toEqual([1, 3, 3, 2]);
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [3, 3], global: false });
  });
});

describe('squeeze and unsqueeze', () => {
  it('squeeze [1,3,1,2]: every size-1 axis → [3,2]; axes [−2] → [1,3,2]', () => {
    expect(inferOf(squeeze, [[1, 3, 1, 2]]).outputs).toEqual([[3, 2]]);
    expect(inferOf(squeeze, [[1, 3, 1, 2]], { axes: [-2] }).outputs).toEqual([[1, 3, 2]]);
  });

  it('squeezing axis 1 of size 3 is SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(squeeze, [[1, 3, 1, 2]], { axes: [1] })).code).toBe('SHAPE_MISMATCH');
  });

  it('unsqueeze [3,2] axes [0, −1] index the rank-4 output → [1,3,2,1]; the data is unchanged', () => {
    expect(inferOf(unsqueeze, [[3, 2]], { axes: [0, -1] }).outputs).toEqual([[1, 3, 2, 1]]);
    expect(run('unsqueeze', [[[3, 2], iota(6)]], { axes: [1] })).toEqual([{ shape: [3, 1, 2], data: iota(6) }]);
  });

  it('unsqueeze needs axes', () => {
    expect(errorOf(() => inferOf(unsqueeze, [[3, 2]])).details.path).toBe('$.axes');
  });
});

describe('expand (bidirectional broadcast to a shape)', () => {
  it('[3,1] [1,2,3] to [2,1,2] → [2,3,2]: each value repeated along the broadcast dims', () => {
    expect(run('expand', [
      [[3, 1], [1, 2, 3]],
      [[3], [2, 1, 2]],
    ])).toEqual([{ shape: [2, 3, 2], data: [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3] }]);
  });

  it('[3] to [2] does not broadcast: SHAPE_MISMATCH', () => {
    expect(errorOf(() => run('expand', [
      [[3], [1, 2, 3]],
      [[1], [2]],
    ])).code).toBe('SHAPE_MISMATCH');
  });

  it('[4] (a folded shape) to [-1, 3, 7, 1]: INVALID_ATTRIBUTE, -1 is not a size (was a 500 allocating -84 values)', () => {
    expect(errorOf(() => run('expand', [
      [[1], [4]],
      [[4], [-1, 3, 7, 1]],
    ])).code).toBe('INVALID_ATTRIBUTE');
  });
});
