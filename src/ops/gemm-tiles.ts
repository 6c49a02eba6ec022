/**
 * The GEMM of tensor/gemm.ts in tiles, so its working set in WebAssembly memory (packed A, the B
 * panels of one block, the output area and bias: tensor/gemm.ts workingSetFloats) stays within
 * KERNEL_SCRATCH whatever M and K are. The module's memory only grows; untiled, one conv with
 * K = Cin·Kh·Kw in the millions would keep gigabytes in a worker for good, or fail to grow.
 *
 *   C[M×N] (+)= Σ over K-tiles [k0, k0 + kc) of A[i0:i0+mc, k0:k0+kc] · B[k0:k0+kc, :]
 *
 * Tiles of K accumulate into C (the first sets it unless `accumulate`). Products that fit in one
 * tile (every conv and linear layer of the zoo) take the untiled path unchanged.
 */
import { KERNEL_SCRATCH } from '../limits.js';
import { BLOCK, gemm as gemmWhole, gemmPacked, outColumns, packA, workingSetFloats } from '../tensor/gemm.js';

/** Fills rows [k0, k0 + K) of B for columns [col, col + width) into panels, as tensor/gemm.ts's PanelFill lays them out. */
export type RowPanelFill = (k0: number, col: number, width: number, panels: Float32Array, K: number) => void;

/** Rows of A (mc, a multiple of 4 unless it is all of M) and depth (kc) of one tile within `budget` floats. */
export function gemmTiles(M: number, K: number, budget = KERNEL_SCRATCH): { mc: number; kc: number } {
  const rows = (M + 3) & ~3;
  if (workingSetFloats(rows, K) <= budget) return { mc: M, kc: K };
  // the output block (mc·BLOCK) takes at most a quarter of the budget; packed A and the panels share the rest
  const mc = Math.min(M, Math.max(4, Math.floor(budget / 4 / BLOCK / 4) * 4));
  const mRows = (mc + 3) & ~3;
  const kc = Math.max(1, Math.min(K, Math.floor((budget - mRows * (outColumns(mRows) + 1)) / (mRows + BLOCK))));
  return { mc, kc };
}

/** C (+)= A·B with B produced by `fill`, tile by tile. */
export function gemmTiled(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  fill: RowPanelFill,
  C: Float32Array,
  cOff: number,
  ldc: number,
  accumulate: boolean,
  budget = KERNEL_SCRATCH,
): void {
  const { mc, kc } = gemmTiles(M, K, budget);
  for (let i0 = 0; i0 < M; i0 += mc) {
    const m = Math.min(mc, M - i0);
    for (let k0 = 0; k0 < K; k0 += kc) {
      const k = Math.min(kc, K - k0);
      const Ap = packA(m, k, A, aOff + i0 * lda + k0, lda);
      gemmPacked(N, Ap, (col, width, panels, depth) => fill(k0, col, width, panels, depth), C, cOff + i0 * ldc, ldc, accumulate || k0 > 0);
    }
  }
}

/** tensor/gemm.ts's gemm (C (+)= A·B, row-major with leading dimensions), its WebAssembly working set bounded. */
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
  budget = KERNEL_SCRATCH,
  /** Take tensor/gemm.ts's few-columns loop (its sums in float64): by default when N < 8; a band of a larger product passes the whole's choice, so its bits are the whole's. */
  few = N < 8,
): void {
  const { mc, kc } = gemmTiles(M, K, budget);
  // a few columns never pack (one pass over A); one tile is the untiled product
  if (few || (mc === M && kc === K)) {
    gemmWhole(M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, accumulate, few);
    return;
  }
  gemmTiled(M, N, K, A, aOff, lda, (k0, col, width, panels, depth) => {
    for (let k = 0; k < depth; k++) {
      const row = bOff + (k0 + k) * ldb + col;
      for (let j = 0; j < width; j++) panels[(j >> 3) * depth * 8 + k * 8 + (j & 7)] = B[row + j];
    }
  }, C, cOff, ldc, accumulate, budget);
}
