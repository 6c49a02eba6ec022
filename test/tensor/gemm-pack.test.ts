/** tensor/gemm.ts packA: A's rows interleaved four at a time, k-major, in the module's memory (the layout the micro-kernel reads). */
import { describe, expect, it } from 'vitest';
import { gemm, packA, wasmFloats } from '../../src/tensor/gemm.js';

/** The layout by its definition: row i, column k at ((i >> 2)·K + k)·4 + (i & 3); rows past M are zero. */
function packedByDefinition(M: number, K: number, A: Float32Array, aOff: number, lda: number): number[] {
  const rows = (M + 3) & ~3;
  const out = new Array<number>(rows * K).fill(0);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) out[((i >> 2) * K + k) * 4 + (i & 3)] = A[aOff + i * lda + k];
  return out;
}

describe('packA', () => {
  it('M = 6, K = 3 inside a wider matrix (lda 5, offset 2): one whole block of 4 rows, then 2 rows and 2 zero rows, hand-worked', () => {
    // A[i][k] = 10·i + k + 1 at aOff + i·lda + k; the two columns of slack per row hold −1
    const [M, K, lda, aOff] = [6, 3, 5, 2];
    const A = new Float32Array(aOff + M * lda).fill(-1);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) A[aOff + i * lda + k] = 10 * i + k + 1;
    // stale values where the zero rows go must not leak through
    wasmFloats(64).fill(99, 0, 64);
    const p = packA(M, K, A, aOff, lda);
    expect(p).toEqual({ M: 6, K: 3, rows: 8 });
    expect(Array.from(wasmFloats(24).subarray(0, 24))).toEqual([
      1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33, // rows 0–3, k = 0, 1, 2
      41, 51, 0, 0, 42, 52, 0, 0, 43, 53, 0, 0, // rows 4, 5 and two zero rows
    ]);
  });

  // lda = K + 3 packs whole blocks in WebAssembly (K mod 4 columns scalar); 400 × 203 stages A in two
  // copies (PACK_STAGE); lda 100 with K = 3 is a tile of a wider A, packed by the JS loop
  for (const [M, K, lda] of [[4, 1, 4], [7, 5, 8], [9, 2, 5], [13, 17, 20], [1, 4, 7], [400, 203, 206], [8, 3, 100]] as const) {
    it(`M = ${M}, K = ${K}, lda = ${lda}: every float where the definition puts it (exact integers)`, () => {
      const A = Float32Array.from({ length: M * lda + 1 }, (_, i) => (i * 7) % 23);
      wasmFloats(((M + 3) & ~3) * K).fill(5, 0, ((M + 3) & ~3) * K);
      const p = packA(M, K, A, 1, lda);
      expect(Array.from(wasmFloats(p.rows * K).subarray(0, p.rows * K))).toEqual(packedByDefinition(M, K, A, 1, lda));
    });
  }

  it('gemm through it: M = 5 rows, K = 2, N = 9 (a partial row block and a partial panel), against the sum by hand', () => {
    const [M, N, K] = [5, 9, 2];
    const A = Float32Array.from({ length: M * K }, (_, i) => i + 1); // A[i] = [2i + 1, 2i + 2]
    const B = Float32Array.from({ length: K * N }, (_, i) => (i % 3) - 1);
    const C = new Float32Array(M * N);
    gemm(M, N, K, A, 0, K, B, 0, N, C, 0, N, false);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) expect(C[i * N + j]).toBe(A[i * K] * B[j] + A[i * K + 1] * B[N + j]);
  });
});
