/**
 * gather folds known integer values along any axis of any rank (a Loop body's boxes[i] on folded
 * int64 boxes [M, 4], then box[0]): the values are what the kernel would write.
 */
import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { inferOf, ints, run } from './op-helpers.js';

const gather = OPS_BY_NAME.get('gather')!;
// boxes [3, 4] = rows [0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]
const boxes = ints(0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23);

describe('gather folding of known values', () => {
  it('axis 0 of an int [3, 4] by the scalar index 1: the row [10, 11, 12, 13], as the kernel gives', () => {
    const r = inferOf(gather, [[3, 4], []], { axis: 0 }, [boxes, ints(1)]);
    expect(r.outputs).toEqual([[4]]);
    expect(r.values![0]!.data).toEqual([10, 11, 12, 13]);
    expect(run('gather', [[[3, 4], [...boxes.data]], [[], [1]]], { axis: 0 })[0].data).toEqual([10, 11, 12, 13]);
  });

  it('axis 1 of an int [3, 4] by indices [3, -4]: columns 3 and 0 of each row, [3, 0, 13, 10, 23, 20]', () => {
    const r = inferOf(gather, [[3, 4], [2]], { axis: 1 }, [boxes, ints(3, -4)]);
    expect(r.outputs).toEqual([[3, 2]]);
    expect(r.values![0]!.data).toEqual([3, 0, 13, 10, 23, 20]);
    expect(r.values![0]!.integer).toBe(true);
  });

  it('a float table of rank 2 is not folded (a learned embedding stays a layer, its parameters counted)', () => {
    const r = inferOf(gather, [[2, 2], []], { axis: 0 }, [{ data: [0.5, 1.5, 2.5, 3.5], integer: false }, ints(1)]);
    expect(r.values![0]).toBeNull();
  });
});
