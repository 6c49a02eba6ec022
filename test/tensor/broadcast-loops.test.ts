/**
 * tensor/broadcast-loops.ts: the collapsed layouts of the common broadcasts and the values of the
 * flat loops, each against hand-worked arrays (and a strided reference walk for the odd shapes).
 */
import { describe, expect, it } from 'vitest';
import { arith, arithAll, broadcastRows, collapseBroadcast, ROW_KERNELS } from '../../src/tensor/broadcast-loops.js';
import { broadcastStrides } from '../../src/tensor/nd.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const t = (shape: number[], data: number[]) => tensor(shape, data);
const collapsed = (out: number[], ...shapes: number[][]) => collapseBroadcast(out, shapes.map((s) => broadcastStrides(s, out)));
const values = (x: Tensor) => [...x.data];

/** The definition, one output element at a time: the source index from the multi-index and the strides. */
function reference(f: (x: number, y: number) => number, a: Tensor, b: Tensor, out: number[]): number[] {
  const [sa, sb] = [broadcastStrides(a.shape, out), broadcastStrides(b.shape, out)];
  const n = out.reduce((p, d) => p * d, 1);
  return Array.from({ length: n }, (_, flat) => {
    let [ia, ib, rest] = [0, 0, flat];
    for (let d = out.length - 1; d >= 0; d--) {
      const i = rest % out[d];
      rest = (rest - i) / out[d];
      ia += i * sa[d];
      ib += i * sb[d];
    }
    return Math.fround(f(a.data[ia], b.data[ib]));
  });
}

describe('collapseBroadcast: size-1 dims dropped, contiguous pairs merged', () => {
  it('same shape [2,3,4] and [2,3,4]: one row of 24, strides 1 and 1', () => {
    expect(collapsed([2, 3, 4], [2, 3, 4], [2, 3, 4])).toEqual({ sizes: [24], strides: [[1], [1]] });
  });
  it('trailing vector [4] against [1,2,3,4] (LayerNorm bias, Linear bias): 6 rows × 4, strides (4,1) and (0,1)', () => {
    expect(collapsed([1, 2, 3, 4], [1, 2, 3, 4], [4])).toEqual({ sizes: [6, 4], strides: [[4, 1], [0, 1]] });
  });
  it('per channel [3,1,1] against [1,3,2,2] (layer scale): 3 rows × 4, strides (4,1) and (1,0)', () => {
    expect(collapsed([1, 3, 2, 2], [1, 3, 2, 2], [3, 1, 1])).toEqual({ sizes: [3, 4], strides: [[4, 1], [1, 0]] });
  });
  it('per channel [1,3,1,1] against [2,3,2,2] (batch 2): three dims stay, b strides (0,1,0)', () => {
    expect(collapsed([2, 3, 2, 2], [2, 3, 2, 2], [1, 3, 1, 1])).toEqual({ sizes: [2, 3, 4], strides: [[12, 4, 1], [0, 1, 0]] });
  });
  it('a scalar [] against [2,3]: one row of 6, b stride 0', () => {
    expect(collapsed([2, 3], [2, 3], [])).toEqual({ sizes: [6], strides: [[1], [0]] });
  });
  it('outer product [2,1] × [1,3]: 2 × 3 with strides (1,0) and (0,1)', () => {
    expect(collapsed([2, 3], [2, 1], [1, 3])).toEqual({ sizes: [2, 3], strides: [[1, 0], [0, 1]] });
  });
  it('one element everywhere [1,1]: rank 0', () => {
    expect(collapsed([1, 1], [1, 1], [1])).toEqual({ sizes: [], strides: [[], []] });
  });
});

describe('arith: each broadcast case, hand-worked', () => {
  const x = t([1, 2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  it('same shape: [1,2] + [10,20] = [11,22]; − and × and ÷ likewise', () => {
    const [a, b] = [t([2], [1, 2]), t([2], [10, 20])];
    expect(values(arith('add', a, b, [2]))).toEqual([11, 22]);
    expect(values(arith('sub', a, b, [2]))).toEqual([-9, -18]);
    expect(values(arith('mul', a, b, [2]))).toEqual([10, 40]);
    expect(values(arith('div', b, a, [2]))).toEqual([10, 10]);
  });
  it('scalar on the right: x / 2 halves every element; scalar on the left: 12 − x', () => {
    expect(values(arith('div', x, t([], [2]), x.shape))).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6]);
    expect(values(arith('sub', t([1], [12]), x, x.shape))).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });
  it('trailing vector [3]: x + [100, 200, 300] adds per position of the last dim', () => {
    expect(values(arith('add', x, t([3], [100, 200, 300]), x.shape))).toEqual([101, 202, 303, 104, 205, 306, 107, 208, 309, 110, 211, 312]);
  });
  it('per channel [2,1,1] on the left against [1,2,2,3]: [10, −1] × x scales channel 0 by 10 and channel 1 by −1', () => {
    expect(values(arith('mul', t([2, 1, 1], [10, -1]), x, x.shape))).toEqual([10, 20, 30, 40, 50, 60, -7, -8, -9, -10, -11, -12]);
  });
  it('per row [1,2,2,1] (a mean per position): x − [2, 5, 8, 11] centres each row of 3', () => {
    expect(values(arith('sub', x, t([1, 2, 2, 1], [2, 5, 8, 11]), x.shape))).toEqual([-1, 0, 1, -1, 0, 1, -1, 0, 1, -1, 0, 1]);
  });
  it('outer product: [1,2]ᵀ ⊗ [1,10,100] = [[1,10,100],[2,20,200]] (both operands broadcast)', () => {
    expect(values(arith('mul', t([2, 1], [1, 2]), t([3], [1, 10, 100]), [2, 3]))).toEqual([1, 10, 100, 2, 20, 200]);
  });
  it('two one-element tensors [1,1] ÷ [1]: [7/2] with shape [1,1]', () => {
    expect(arith('div', t([1, 1], [7]), t([1], [2]), [1, 1])).toEqual({ shape: [1, 1], data: Float32Array.of(3.5) });
  });
  it('an empty output [0,3] gives no elements', () => {
    expect(arith('add', t([0, 3], []), t([3], [1, 2, 3]), [0, 3]).data.length).toBe(0);
  });
  it('division rounds as float32 division: 1 / 3 is fround(1/3), not 1 · fround(1/3)', () => {
    expect(arith('div', t([1], [1]), t([1], [3]), [1]).data[0]).toBe(Math.fround(1 / 3));
  });
  it('odd rank-4 broadcasts [2,1,3,1] ∘ [1,4,1,2] agree with the element-by-element definition', () => {
    const a = t([2, 1, 3, 1], [1, -2, 3, -4, 5, -6]);
    const b = t([1, 4, 1, 2], [0.5, 2, -1, 4, 8, -0.25, 3, 1.5]);
    const fs = { add: (p: number, q: number) => p + q, sub: (p: number, q: number) => p - q, mul: (p: number, q: number) => p * q, div: (p: number, q: number) => p / q };
    for (const op of ['add', 'sub', 'mul', 'div'] as const) expect(values(arith(op, a, b, [2, 4, 3, 2]))).toEqual(reference(fs[op], a, b, [2, 4, 3, 2]));
  });
});

describe('arithAll and in-place rows', () => {
  it('three operands fold left to right: ([1,2] − [10]) − [[1],[2]] = [[-10,-9],[-11,-10]]', () => {
    expect(values(arithAll('sub', [t([2], [1, 2]), t([1], [10]), t([2, 1], [1, 2])], [2, 2]))).toEqual([-10, -9, -11, -10]);
  });
  it('writing into the left operand\'s own buffer gives the same values as a new buffer', () => {
    const a = t([2, 3], [1, 2, 3, 4, 5, 6]);
    broadcastRows(ROW_KERNELS.mul, a, t([3], [2, 3, 4]), [2, 3], a.data);
    expect(values(a)).toEqual([2, 6, 12, 8, 15, 24]);
  });
});
