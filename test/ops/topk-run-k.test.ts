/**
 * topK with k computed from tensor values (analysed at the bound, the axis size): a run takes the
 * real k, as torch.topk does; a later layer planned for the bound refuses it in runGraph
 * (runtime/run-shapes.ts), runtime/run-staged.ts re-infers the rest with it.
 */
import { describe, expect, it } from 'vitest';
import { topK } from '../../src/ops/topk.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const call = (k: number) =>
  topK.run({ attrs: topK.attrs.parse({}), plan: { axis: 0, k: 5, dataDependent: true }, inputs: [tensor([5], [3, 9, 1, 7, 5]), tensor([1], [k])], weights: {}, outputs: [[5], [5]], training: false, seed: 0 });

describe('topK with a computed k at run time', () => {
  it('k = 2 of [3, 9, 1, 7, 5] (bound 5): values [9, 7], indices [1, 3], as torch.topk(x, 2)', () => {
    const [values, indices] = call(2);
    expect(values.shape).toEqual([2]);
    expect(Array.from(values.data)).toEqual([9, 7]);
    expect(Array.from(indices.data)).toEqual([1, 3]);
  });

  it('k past the axis (6 of 5) is INVALID_TENSOR at k ($.inputs[1]), not a read out of bounds', () => {
    expect(errorOf(() => call(6))).toMatchObject({ code: 'INVALID_TENSOR', message: 'k = 6 at run time is not a count of axis 0 of [5] (integers 0…5)', details: { path: '$.inputs[1]' } });
  });
});
