/**
 * C[M×N] (+)= A[M×K] · B[K×N], row-major with leading dimensions, for conv (im2col), transposed
 * conv, linear and matmul. A 4×8 register tile: per k, 4 loads of A and 8 of B feed 32
 * accumulators, so each loaded value is used 8 or 4 times. B's 8-column panel is packed
 * contiguous once and stays in L1 while every 4-row block of A streams past it.
 * Plain JS; the next step is WASM SIMD.
 */
let scratch = new Float32Array(8 * 1024);

export function gemm(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  const M4 = M - (M % 4);
  const N8 = N - (N % 8);
  // B's 8-column panel, packed contiguous (K×8) once and reused by every 4-row block of A.
  const panel = K * 8 <= scratch.length ? scratch : (scratch = new Float32Array(K * 8));
  for (let j = 0; j < N8; j += 8) {
    for (let k = 0, b = bOff + j, p = 0; k < K; k++, b += ldb, p += 8) {
      panel[p] = B[b]; panel[p + 1] = B[b + 1]; panel[p + 2] = B[b + 2]; panel[p + 3] = B[b + 3];
      panel[p + 4] = B[b + 4]; panel[p + 5] = B[b + 5]; panel[p + 6] = B[b + 6]; panel[p + 7] = B[b + 7];
    }
    for (let i = 0; i < M4; i += 4) {
      const a0 = aOff + i * lda;
      const a1 = a0 + lda;
      const a2 = a1 + lda;
      const a3 = a2 + lda;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0, s05 = 0, s06 = 0, s07 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0, s16 = 0, s17 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s24 = 0, s25 = 0, s26 = 0, s27 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0, s34 = 0, s35 = 0, s36 = 0, s37 = 0;
      for (let k = 0, p = 0; k < K; k++, p += 8) {
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        const y0 = panel[p], y1 = panel[p + 1], y2 = panel[p + 2], y3 = panel[p + 3];
        const y4 = panel[p + 4], y5 = panel[p + 5], y6 = panel[p + 6], y7 = panel[p + 7];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3; s04 += x0 * y4; s05 += x0 * y5; s06 += x0 * y6; s07 += x0 * y7;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3; s14 += x1 * y4; s15 += x1 * y5; s16 += x1 * y6; s17 += x1 * y7;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3; s24 += x2 * y4; s25 += x2 * y5; s26 += x2 * y6; s27 += x2 * y7;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3; s34 += x3 * y4; s35 += x3 * y5; s36 += x3 * y6; s37 += x3 * y7;
      }
      const c0 = cOff + i * ldc + j;
      const c1 = c0 + ldc;
      const c2 = c1 + ldc;
      const c3 = c2 + ldc;
      C[c0] += s00; C[c0 + 1] += s01; C[c0 + 2] += s02; C[c0 + 3] += s03; C[c0 + 4] += s04; C[c0 + 5] += s05; C[c0 + 6] += s06; C[c0 + 7] += s07;
      C[c1] += s10; C[c1 + 1] += s11; C[c1 + 2] += s12; C[c1 + 3] += s13; C[c1 + 4] += s14; C[c1 + 5] += s15; C[c1 + 6] += s16; C[c1 + 7] += s17;
      C[c2] += s20; C[c2 + 1] += s21; C[c2 + 2] += s22; C[c2 + 3] += s23; C[c2 + 4] += s24; C[c2 + 5] += s25; C[c2 + 6] += s26; C[c2 + 7] += s27;
      C[c3] += s30; C[c3 + 1] += s31; C[c3 + 2] += s32; C[c3 + 3] += s33; C[c3 + 4] += s34; C[c3 + 5] += s35; C[c3 + 6] += s36; C[c3 + 7] += s37;
    }
  }
  for (let i = 0; i < M4; i += 4) {
    const a0 = aOff + i * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    const c0 = cOff + i * ldc;
    for (let j = N8; j < N; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, b = bOff + j; k < K; k++, b += ldb) {
        const y = B[b];
        s0 += A[a0 + k] * y;
        s1 += A[a1 + k] * y;
        s2 += A[a2 + k] * y;
        s3 += A[a3 + k] * y;
      }
      C[c0 + j] += s0;
      C[c0 + ldc + j] += s1;
      C[c0 + 2 * ldc + j] += s2;
      C[c0 + 3 * ldc + j] += s3;
    }
  }
  for (let i = M4; i < M; i++) {
    const a = aOff + i * lda;
    const c = cOff + i * ldc;
    for (let k = 0; k < K; k++) {
      const x = A[a + k];
      if (x === 0) continue;
      const b = bOff + k * ldb;
      for (let j = 0; j < N; j++) C[c + j] += x * B[b + j];
    }
  }
}
