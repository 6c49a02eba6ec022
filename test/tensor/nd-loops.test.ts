/**
 * tensor/nd.ts's permute (dims collapsed, tiled when the source's unit-stride dim moves),
 * stridedSlice (contiguous runs copied as blocks) and transpose2d, against hand-worked arrays and
 * their element-by-element definitions: permute's y[i₀ … iₖ] = x[… i_d at position perm[d] …],
 * stridedSlice's y[i] = x[start + i·step] on every axis.
 */
import { describe, expect, it } from 'vitest';
import { permute, stridedSlice, transpose2d } from '../../src/tensor/nd.js';
import { strides, tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const iota = (shape: number[]) => tensor(shape, Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => i));

/** A definition, one output element at a time: output index i along axis d reads x at the sum over axes of offset(d, i). */
function byDefinition(x: Tensor, out: number[], offset: (d: number, i: number) => number): number[] {
  const n = out.reduce((p, d) => p * d, 1);
  return Array.from({ length: n }, (_, flat) => {
    let [src, rest] = [0, flat];
    for (let d = out.length - 1; d >= 0; d--) {
      const i = rest % out[d];
      rest = (rest - i) / out[d];
      src += offset(d, i);
    }
    return x.data[src];
  });
}

/** permute's definition: output axis d is x's axis perm[d]. */
function reference(x: Tensor, perm: number[]): number[] {
  const own = strides(x.shape);
  return byDefinition(x, perm.map((p) => x.shape[p]), (d, i) => i * own[perm[d]]);
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

/** stridedSlice's definition: y[i] = x[start + i·step] on every axis. */
function sliceReference(x: Tensor, starts: number[], steps: number[], out: number[]): number[] {
  const own = strides(x.shape);
  return byDefinition(x, out, (d, i) => (starts[d] + i * steps[d]) * own[d]);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('stridedSlice', () => {
  it('channels 1–2 of a [1,4,4,4] iota (a split at batch 1): one run, 16 … 47', () => {
    expect([...stridedSlice(iota([1, 4, 4, 4]), [0, 1, 0, 0], [1, 1, 1, 1], [1, 2, 4, 4]).data]).toEqual(range(16, 48));
  });
  it('channels 2–3 of a [2,4,4,4] iota: a run per batch item, 32 … 63 then 96 … 127', () => {
    expect([...stridedSlice(iota([2, 4, 4, 4]), [0, 2, 0, 0], [1, 1, 1, 1], [2, 2, 4, 4]).data]).toEqual([...range(32, 64), ...range(96, 128)]);
  });
  it('every other row of a [6,16] iota: rows 0, 2, 4 whole, 0 … 15, 32 … 47, 64 … 79', () => {
    expect([...stridedSlice(iota([6, 16]), [0, 0], [2, 1], [3, 16]).data]).toEqual([...range(0, 16), ...range(32, 48), ...range(64, 80)]);
  });
  it('columns 1–2 of a [2,3] iota (runs of 2, element by element): [[1,2],[4,5]]', () => {
    expect([...stridedSlice(iota([2, 3]), [0, 1], [1, 1], [2, 2]).data]).toEqual([1, 2, 4, 5]);
  });
  it.each([
    [[1, 116, 28, 28], [0, 58, 0, 0], [1, 1, 1, 1], [1, 58, 28, 28]], // ShuffleNet's split, second half
    [[3, 5, 8, 4], [1, 1, 2, 0], [1, 1, 1, 1], [2, 3, 5, 4]], // a run of 20 per (n, c)
    [[3, 5, 8, 4], [0, 4, 7, 0], [1, -1, -2, 1], [3, 3, 4, 4]], // reversed axes before a whole one: runs of 4, element by element
    [[4, 6, 20], [3, 0, 0], [-1, 2, 1], [4, 3, 20]], // runs of 20 under a reversed batch and a stepped axis
    [[2, 40], [0, 1], [1, 3], [2, 13]], // a step on the last axis: no run
    [[5, 7, 9], [0, 0, 0], [1, 1, 1], [5, 7, 9]], // the whole tensor: one run
    [[1, 1, 1, 64], [0, 0, 0, 8], [1, 1, 1, 1], [1, 1, 1, 40]], // the last axis alone partial
  ])('%j from %j by %j into %j matches the definition', (shape, starts, steps, out) => {
    const x = iota(shape);
    const y = stridedSlice(x, starts, steps, out);
    expect(y.shape).toEqual(out);
    expect([...y.data]).toEqual(sliceReference(x, starts, steps, out));
  });
});

describe('transpose2d', () => {
  it('2 × 3 by hand, and 33 × 70 (partial tiles both ways) as the definition', () => {
    expect([...transpose2d(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3)]).toEqual([1, 4, 2, 5, 3, 6]);
    const x = iota([33, 70]);
    expect([...transpose2d(x.data, 33, 70)]).toEqual(reference(x, [1, 0]));
  });
});
