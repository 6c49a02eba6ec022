import { describe, expect, it } from 'vitest';
import { gemv } from '../../src/tensor/gemm.js';
import { rng } from '../../src/tensor/random.js';

/** y[r, o] = Σ_k x[r, k]·w[o, k] in float64, the definition. */
function reference(rows: number, N: number, K: number, x: Float32Array, w: Float32Array): Float64Array {
  const y = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) y[r * N + o] += x[r * K + k] * w[o * K + k];
  return y;
}

describe('gemv (a linear layer on a few rows: x·Wᵀ with W [N × K] as it lies, wasm/gemm.wat gemv)', () => {
  it('hand-worked: x = [1, 2, 3, 4, 5], W rows [1,0,0,0,0], [1,1,1,1,1], [0,0,0,0,2], [1,-1,1,-1,1], [0.5,…], [0,…,1] -> 1, 15, 10, 3, 7.5, 5 (four rows at once, then one; K = 5: a 4-lane body and a tail)', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5]);
    const w = Float32Array.from([1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 1, -1, 1, -1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 1]);
    const y = new Float32Array(6);
    gemv(1, 6, 5, x, 0, w, 0, y, 0, 6);
    expect([...y]).toEqual([1, 15, 10, 3, 7.5, 5]);
  });

  it('offsets and a row stride: two x rows [1, 1, 1] and [2, 0, -1] against W = [[1, 2, 3], [4, 5, 6]] -> [6, 15] and [-1, 2], written 3 apart after one float', () => {
    const x = Float32Array.from([9, 1, 1, 1, 2, 0, -1]);
    const w = Float32Array.from([7, 7, 1, 2, 3, 4, 5, 6]);
    const y = new Float32Array(7).fill(-9);
    gemv(2, 2, 3, x, 1, w, 2, y, 1, 3);
    expect([...y]).toEqual([-9, 6, 15, -9, -1, 2, -9]);
  });

  it.each([
    [1, 1000, 1280],
    [3, 7, 1],
    [2, 13, 6],
    [7, 130, 700],
    [1, 3, 70000],
  ])('rows=%i N=%i K=%i equals the float64 sum within float32 rounding (slices of the weight when N·K > 2^16)', (rows, N, K) => {
    const r = rng(rows * 7 + N + K);
    const x = Float32Array.from({ length: rows * K }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: N * K }, () => r() * 2 - 1);
    const y = new Float32Array(rows * N);
    gemv(rows, N, K, x, 0, w, 0, y, 0, N);
    const want = reference(rows, N, K, x, w);
    const scale = Math.sqrt(K);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - want[i])).toBeLessThan(1e-5 * scale * 4);
  });
});
