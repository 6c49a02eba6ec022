/**
 * C[M×N] (+)= A[M×K] · B[K×N], row-major, for conv, transposed conv, linear and matmul.
 *
 * A is packed once as doubles (JS multiplies in double; converting each float32 load would cost
 * a conversion per multiply), 4 rows interleaved and zero-padded to a multiple of 4. B is produced block by
 * block, BLOCK columns at a time, as 8-column panels (K×8 contiguous doubles) by a fill callback:
 * plain GEMM copies B's rows, convolution writes its im2col columns straight into the panels, so
 * no column matrix is ever materialised. A 4×8 register tile then runs over every panel: per k,
 * 4 values of A and 8 of B feed 32 accumulators. Plain JS; the next step is WASM SIMD.
 */

/** Output columns per packed block of B (a block stays in L2: K·BLOCK·8 bytes). */
export const BLOCK = 256;

let packedA = new Float64Array(4 * 1024);
let packedB = new Float64Array(8 * 1024);
const tile = new Float64Array(32);

/**
 * Fills columns [col, col + width) of B into `panels`: column j of the block goes to
 * panels[(j >> 3)·K·8 + k·8 + (j & 7)]. Columns past `width` in the last panel must be zero.
 */
export type PanelFill = (col: number, width: number, panels: Float64Array, K: number) => void;

/**
 * A as doubles in blocks of 4 rows, k-major inside a block (row i, column k at
 * ((i >> 2)·K + k)·4 + (i & 3)), so the kernel walks one index instead of four; rows past M are 0.
 */
export function packA(M: number, K: number, A: Float32Array, aOff: number, lda: number): Float64Array {
  const rows = (M + 3) & ~3;
  const Ap = rows * K <= packedA.length ? packedA : (packedA = new Float64Array(rows * K));
  Ap.fill(0, (rows - 4) * K, rows * K);
  for (let i = 0; i < M; i++) {
    const src = aOff + i * lda;
    const dst = (i >> 2) * K * 4 + (i & 3);
    for (let k = 0; k < K; k++) Ap[dst + k * 4] = A[src + k];
  }
  return Ap;
}

export function gemmPacked(M: number, N: number, K: number, Ap: Float64Array, fill: PanelFill, C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void {
  if (!accumulate) for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  const Bp = K * BLOCK <= packedB.length ? packedB : (packedB = new Float64Array(K * BLOCK));
  for (let jb = 0; jb < N; jb += BLOCK) {
    const width = Math.min(BLOCK, N - jb);
    const panelsInBlock = (width + 7) >> 3;
    Bp.fill(0, (panelsInBlock - 1) * K * 8, panelsInBlock * K * 8);
    fill(jb, width, Bp, K);
    for (let pj = 0; pj < width; pj += 8) {
      const panel = (pj >> 3) * K * 8;
      const j = jb + pj;
      const cols = Math.min(8, width - pj);
      for (let i = 0; i < M; i += 4) {
        const aBlock = i * K;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s04 = 0, s05 = 0, s06 = 0, s07 = 0;
        let s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0, s16 = 0, s17 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s24 = 0, s25 = 0, s26 = 0, s27 = 0;
        let s30 = 0, s31 = 0, s32 = 0, s33 = 0, s34 = 0, s35 = 0, s36 = 0, s37 = 0;
        for (let q = aBlock, p = panel, end = aBlock + K * 4; q < end; q += 4, p += 8) {
          const x0 = Ap[q], x1 = Ap[q + 1], x2 = Ap[q + 2], x3 = Ap[q + 3];
          const y0 = Bp[p], y1 = Bp[p + 1], y2 = Bp[p + 2], y3 = Bp[p + 3];
          const y4 = Bp[p + 4], y5 = Bp[p + 5], y6 = Bp[p + 6], y7 = Bp[p + 7];
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3; s04 += x0 * y4; s05 += x0 * y5; s06 += x0 * y6; s07 += x0 * y7;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3; s14 += x1 * y4; s15 += x1 * y5; s16 += x1 * y6; s17 += x1 * y7;
          s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3; s24 += x2 * y4; s25 += x2 * y5; s26 += x2 * y6; s27 += x2 * y7;
          s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3; s34 += x3 * y4; s35 += x3 * y5; s36 += x3 * y6; s37 += x3 * y7;
        }
        const c0 = cOff + i * ldc + j;
        if (cols === 8 && i + 4 <= M) {
          const c1 = c0 + ldc;
          const c2 = c1 + ldc;
          const c3 = c2 + ldc;
          C[c0] += s00; C[c0 + 1] += s01; C[c0 + 2] += s02; C[c0 + 3] += s03; C[c0 + 4] += s04; C[c0 + 5] += s05; C[c0 + 6] += s06; C[c0 + 7] += s07;
          C[c1] += s10; C[c1 + 1] += s11; C[c1 + 2] += s12; C[c1 + 3] += s13; C[c1 + 4] += s14; C[c1 + 5] += s15; C[c1 + 6] += s16; C[c1 + 7] += s17;
          C[c2] += s20; C[c2 + 1] += s21; C[c2 + 2] += s22; C[c2 + 3] += s23; C[c2 + 4] += s24; C[c2 + 5] += s25; C[c2 + 6] += s26; C[c2 + 7] += s27;
          C[c3] += s30; C[c3 + 1] += s31; C[c3 + 2] += s32; C[c3 + 3] += s33; C[c3 + 4] += s34; C[c3 + 5] += s35; C[c3 + 6] += s36; C[c3 + 7] += s37;
          continue;
        }
        // an edge tile: fewer than 4 rows of C or 8 columns left
        tile[0] = s00; tile[1] = s01; tile[2] = s02; tile[3] = s03; tile[4] = s04; tile[5] = s05; tile[6] = s06; tile[7] = s07;
        tile[8] = s10; tile[9] = s11; tile[10] = s12; tile[11] = s13; tile[12] = s14; tile[13] = s15; tile[14] = s16; tile[15] = s17;
        tile[16] = s20; tile[17] = s21; tile[18] = s22; tile[19] = s23; tile[20] = s24; tile[21] = s25; tile[22] = s26; tile[23] = s27;
        tile[24] = s30; tile[25] = s31; tile[26] = s32; tile[27] = s33; tile[28] = s34; tile[29] = s35; tile[30] = s36; tile[31] = s37;
        for (let r = 0; r < 4 && i + r < M; r++) for (let c = 0; c < cols; c++) C[c0 + r * ldc + c] += tile[r * 8 + c];
      }
    }
  }
}

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
  const Ap = packA(M, K, A, aOff, lda);
  gemmPacked(M, N, K, Ap, (col, width, panels) => {
    for (let k = 0; k < K; k++) {
      const row = bOff + k * ldb + col;
      for (let j = 0; j < width; j++) panels[(j >> 3) * K * 8 + k * 8 + (j & 7)] = B[row + j];
    }
  }, C, cOff, ldc, accumulate);
}
