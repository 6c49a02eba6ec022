/**
 * A large A (over 2^19 floats packed) is packed by gemmPacked a tile of rows at a time
 * (tensor/gemm.ts packA: the module's memory then holds one tile): the product, its bias and a
 * fused epilogue are those of the definition, and a caller's scratch after workingSet(Ap) (where
 * a conv stages its input) is never written.
 */
import { describe, expect, it } from 'vitest';
import { gemmPacked, packA, wasmFloats, withEpilogue, workingSet } from '../../src/tensor/gemm.js';
import { rng } from '../../src/tensor/random.js';

describe('GEMM with a large A packed a tile at a time', () => {
  it('M=302 K=4000 (1.2 M floats: deferred, tiles of 128, 128 and 46 rows) N=37: C = relu(bias + A·B) within 1e-5 of its scale (float32 sums of 4000), ReLU epilogue over all M·N, scratch after workingSet untouched', () => {
    const [M, K, N] = [302, 4000, 37];
    const r = rng(5);
    const A = Float32Array.from({ length: M * K }, () => r() * 2 - 1);
    const B = Float32Array.from({ length: K * N }, () => r() * 2 - 1);
    const bias = Float32Array.from({ length: M }, () => r() * 2 - 1);
    const Ap = packA(M, K, A, 0, K);
    expect(Ap.deferred?.tile).toBe(128);
    // a caller's scratch right after the whole A's working set, as conv-im2col stages its input there
    const at = workingSet(Ap);
    const marks = Float32Array.from({ length: 64 }, (_, i) => i + 0.5);
    wasmFloats(at + 64).set(marks, at);
    const fill = (col: number, width: number, panels: Float32Array) => {
      for (let k = 0; k < K; k++) for (let j = 0; j < width; j++) panels[(j >> 3) * K * 8 + k * 8 + (j & 7)] = B[k * N + col + j];
    };
    const C = new Float32Array(M * N);
    const { covered } = withEpilogue((v) => v.forEach((x, i) => (v[i] = Math.max(x, 0))), () => gemmPacked(N, Ap, fill, C, 0, N, false, bias));
    expect(covered).toBe(M * N);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = bias[i];
        for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
        err = Math.max(err, Math.abs(C[i * N + j] - Math.max(s, 0)));
        scale = Math.max(scale, Math.abs(s));
      }
    }
    expect(err / scale).toBeLessThan(1e-5);
    expect([...wasmFloats(at + 64).subarray(at, at + 64)]).toEqual([...marks]);
  });

  it('a small A (64×100) is packed at once, as before', () => {
    const A = new Float32Array(64 * 100);
    expect(packA(64, 100, A, 0, 100).deferred).toBeUndefined();
  });
});
