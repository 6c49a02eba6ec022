/**
 * tensor/nd.ts's permute (dims collapsed, tiled when the source's unit-stride dim moves) and
 * transpose2d, against hand-worked arrays and the element-by-element definition
 * y[i₀ … iₖ] = x[… i_d at position perm[d] …].
 */
import { describe, expect, it } from 'vitest';
import { permute, transpose2d } from '../../src/tensor/nd.js';
import { strides, tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const iota = (shape: number[]) => tensor(shape, Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => i));

/** The definition, one output element at a time. */
function reference(x: Tensor, perm: number[]): number[] {
  const out = perm.map((p) => x.shape[p]);
  const own = strides(x.shape);
  const n = out.reduce((p, d) => p * d, 1);
  return Array.from({ length: n }, (_, flat) => {
    let [src, rest] = [0, flat];
    for (let d = out.length - 1; d >= 0; d--) {
      const i = rest % out[d];
      rest = (rest - i) / out[d];
      src += i * own[perm[d]];
    }
    return x.data[src];
  });
}

describe('permute', () => {
  it('[2,3] transposed: [[0,1,2],[3,4,5]] → [[0,3],[1,4],[2,5]]', () => {
    expect(permute(iota([2, 3]), [1, 0])).toEqual({ shape: [3, 2], data: Float32Array.of(0, 3, 1, 4, 2, 5) });
  });
  it('NCHW → NHWC [1,2,2,2]: channel values interleave per position', () => {
    expect([...permute(iota([1, 2, 2, 2]), [0, 2, 3, 1]).data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });
  it.each([
    [[1, 96, 7, 9], [0, 2, 3, 1]], // NCHW → NHWC, rows and columns cross 32-element tiles
    [[1, 7, 9, 96], [0, 3, 1, 2]], // NHWC → NCHW
    [[2, 3, 40, 5], [0, 3, 1, 2]], // batch outside the tiled pair
    [[2, 35, 3, 33], [3, 1, 2, 0]], // dims between the tiled pair
    [[2, 3, 4, 5], [3, 2, 1, 0]], // full reversal
    [[4, 1, 6], [2, 1, 0]], // a size-1 dim dropped
    [[3, 4, 5], [0, 1, 2]], // identity: one contiguous copy
    [[3, 4, 5], [1, 0, 2]], // rows of 5 stay contiguous
    [[1, 1], [1, 0]], // one element
    [[0, 3], [1, 0]], // empty
  ])('%j by %j matches the definition', (shape, perm) => {
    const x = iota(shape);
    const y = permute(x, perm);
    expect(y.shape).toEqual(perm.map((p) => shape[p]));
    expect([...y.data]).toEqual(reference(x, perm));
  });
});

describe('transpose2d', () => {
  it('2 × 3 by hand, and 33 × 70 (partial tiles both ways) as the definition', () => {
    expect([...transpose2d(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3)]).toEqual([1, 4, 2, 5, 3, 6]);
    const x = iota([33, 70]);
    expect([...transpose2d(x.data, 33, 70)]).toEqual(reference(x, [1, 0]));
  });
});
