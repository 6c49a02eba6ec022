/**
 * C[M×N] (+)= A[M×K] · B[K×N], row-major, for conv, transposed conv, linear and matmul.
 *
 * The arithmetic runs in a WebAssembly SIMD micro-kernel (wasm/gemm.wat): a 4×8 tile of f32x4
 * accumulators starting at the row's bias. A is packed once into the module's memory, 4 rows
 * interleaved k-major; B is produced block by block (BLOCK columns) as 8-column panels (K×8
 * floats each) by a fill callback: plain GEMM copies B's rows, convolution writes its im2col
 * columns straight into the panels (in WebAssembly from a staged input: ops/conv-im2col.ts), so
 * no column matrix is ever materialised. Products with fewer than 8 columns skip packing: they
 * are bound by reading A once. A linear layer on a few rows (a classifier head) is `gemv`: its
 * weight streamed through the module's memory in slices, four weight rows per pass over x.
 */
import { block, gemmHeap, gemv as gemvKernel, pack, wasmFloats } from './gemm-module.js';

export { GEMM_FMA, block, gemmMemory, heapUses, im2col, mapOnHeap, place, wasmFloats, wasmInts } from './gemm-module.js';

/** Output columns per packed block of B, at most (a block stays in L2: K·columns·4 bytes, blockColumns). */
export const BLOCK = 256;

/**
 * Bytes of B's panels per block: the kernel reads the whole block once per 4 rows of A, so it must
 * stay in the core's L2 (1 MiB per core on the EPYC these machines run, sysfs cache/index2; lscpu's
 * 2 MiB counts both cores; shared with A's rows and the output): a 3×3 conv of 512 channels (K = 4,608) with 256-column blocks streamed 4.7 MB
 * from L3 per 4 rows, which two threads then share (the split's bands ran 0.7 of the one-thread
 * time each instead of 0.5). A narrower block reads A once more per block: K·4 bytes per row,
 * against (rows / 4)·K·columns·4 for B. Smaller blocks gained nothing on one thread: ResNet-50's
 * convs (best of 10 each, 2026-11-30) took 343.4 ms with 1 MiB, 345.0 with 512 KiB, 347.6 with
 * 256 KiB, 343.1 with 128 KiB.
 */
const BLOCK_BYTES = 1 << 20;

/** Columns per block of B for depth K: BLOCK, or fewer (a multiple of 8) so that the block stays within BLOCK_BYTES. */
export const blockColumns = (K: number): number => Math.max(8, Math.min(BLOCK, Math.floor(BLOCK_BYTES / 4 / K / 8) * 8));

/** Floats of the kernel's output area beyond one block: several blocks' outputs are copied out to C per row at once. */
const OUT_CHUNK = 1 << 18;

/** Columns of the kernel's output area for `rows` rows of A: a multiple of BLOCK, rows·columns ≤ OUT_CHUNK unless one block is more. */
export function outColumns(rows: number): number {
  return Math.max(BLOCK, Math.floor(OUT_CHUNK / Math.max(1, rows) / BLOCK) * BLOCK);
}

/** Floats gemmPacked uses for rows (a multiple of 4) × K: packed A, one block of panels, the output area, the bias. */
export function workingSetFloats(rows: number, K: number): number {
  return rows * K + K * BLOCK + rows * outColumns(rows) + rows;
}
/** Floats of A staged at once for pack (wasm/gemm.wat's pack: whole 4-row blocks of A, staged row-major, into packA's layout; rows of a larger A go in several copies). */
const PACK_STAGE = 1 << 16;
/** Floats of a weight staged at once for gemv (a slice of its rows; about 256 KiB, L2-sized). */
const GEMV_STAGE = 1 << 16;
/** Most floats gemv stages (x rows and one weight row): beyond, a JavaScript loop (16 MiB). */
const GEMV_MAX = 1 << 22;
/** Floats from 0 that gemmPacked with this packed A uses (A, one block of panels, its output): scratch may follow. */
export function workingSet(Ap: PackedA): number {
  return workingSetFloats(Ap.rows, Ap.K);
}

/**
 * Fills columns [col, col + width) of B into `panels`: column j of the block goes to
 * panels[(j >> 3)·K·8 + k·8 + (j & 7)]. The last panel's columns past `width` are already zero.
 */
export type PanelFill = (col: number, width: number, panels: Float32Array, K: number) => void;

/** A packed in the module's memory (from byte 0), ready for gemmPacked. */
export interface PackedA {
  M: number;
  K: number;
  /** M rounded up to a multiple of 4 */
  rows: number;
  /** A large A, not packed yet: gemmPacked packs it `tile` rows at a time (see packA). */
  deferred?: { A: Float32Array; aOff: number; lda: number; tile: number; scale?: RowScale };
}

/** Floats of packed A above which packA defers packing to gemmPacked, a tile of rows at a time (2 MiB: ResNet-18 1.29-1.42x its memory budget against 1.45-1.46x with 4 MiB tiles, no slower). */
const PACK_TILE = 1 << 19;

/**
 * Packs A: row i, column k at ((i >> 2)·K + k)·4 + (i & 3); rows past M are zero. An A over
 * PACK_TILE floats (ResNet's 512×4608 layer4 weights: 9.4 MB) is packed later by gemmPacked, a
 * tile of rows at a time, each tile's product done before the next is packed: the module's memory
 * then holds one tile, not the whole packed A (it only grows, and a run's RSS counts every page
 * it ever touched), for B's panels filled once per tile (K·N floats against the tile's
 * rows·K·N multiply-adds). The layout's bounds hold (workingSet(Ap) is the whole A's, so a
 * caller's scratch after it is never overwritten); where a tile's would not, A is packed now.
 */
export function packA(M: number, K: number, A: Float32Array, aOff: number, lda: number, scale?: RowScale): PackedA {
  const rows = (M + 3) & ~3;
  if (rows * K > PACK_TILE) {
    const tile = Math.max(4, Math.floor(PACK_TILE / K / 4) * 4);
    const tileUse = Math.max(workingSetFloats(tile, K), tile * K + PACK_STAGE + 4 * lda);
    if (tile < M && tileUse <= workingSetFloats(rows, K)) return { M, K, rows, deferred: { A, aOff, lda, tile, ...(scale && { scale }) } };
  }
  return packNow(M, K, A, aOff, lda, scale);
}

/**
 * A factor per row of A applied as it is packed: row i is read as A[i, k]·k[at + i] rounded to
 * float32, the values runtime/fuse.ts foldInto writes (a batch norm folded into a conv's weight,
 * k in float64), so a fold needs no copy of the weight.
 */
export interface RowScale {
  k: Float64Array;
  at: number;
}

/** Rows [i, i + n) of A (from `src`, `lda` apart) scaled into h at `dst` with the same spacing (RowScale). */
function scaledRows(h: Float32Array, dst: number, A: Float32Array, src: number, lda: number, K: number, n: number, k: Float64Array, at: number): void {
  // copied, then scaled where it lies: w·f rounded to float32 as it is stored (one array in the loop: faster than reading A)
  h.set(A.subarray(src, src + (n - 1) * lda + K), dst);
  for (let r = 0; r < n; r++) {
    const f = k[at + r];
    const row = h.subarray(dst + r * lda, dst + r * lda + K);
    for (let j = 0; j < K; j++) row[j] *= f;
  }
}

function packNow(M: number, K: number, A: Float32Array, aOff: number, lda: number, scale?: RowScale): PackedA {
  const rows = (M + 3) & ~3;
  const full = M & ~3;
  // whole blocks of 4 rows in WebAssembly (wasm/gemm.wat pack: a 4×4 transpose by shuffles per four
  // columns), from A's rows staged after the packed area PACK_STAGE floats at a time: ~0.3 ns per
  // float against 2.3 for the JS loop with stride-4 stores. Every conv packs its weights each run
  // (~10 % of MobileNetV2's and ResNet's forward before). A tile of a wider A (lda well past K:
  // ops/gemm-tiles.ts) keeps the JS loop, which reads only the tile's columns.
  const staged = full > 0 && lda <= 4 * K + 64;
  const perCopy = Math.max(1, Math.floor(PACK_STAGE / (4 * lda)));
  const h = wasmFloats(rows * K + (staged ? perCopy * 4 * lda : 0));
  if (staged) {
    const stage = rows * K;
    for (let b0 = 0; b0 < full >> 2; b0 += perCopy) {
      const nb = Math.min(perCopy, (full >> 2) - b0);
      const src = aOff + b0 * 4 * lda;
      if (scale) scaledRows(h, stage, A, src, lda, K, nb * 4, scale.k, scale.at + b0 * 4);
      else h.set(A.subarray(src, src + (nb * 4 - 1) * lda + K), stage);
      pack(stage * 4, K, lda, nb, b0 * 16 * K);
    }
  }
  // JS: whole blocks of 4 rows, the packed block written in order, four source rows read side by side
  for (let i = staged ? full : 0; i < full; i += 4) {
    const s0 = aOff + i * lda;
    const [s1, s2, s3] = [s0 + lda, s0 + 2 * lda, s0 + 3 * lda];
    let d = i * K;
    if (scale) {
      const [f0, f1, f2, f3] = [scale.k[scale.at + i], scale.k[scale.at + i + 1], scale.k[scale.at + i + 2], scale.k[scale.at + i + 3]];
      for (let k = 0; k < K; k++, d += 4) {
        h[d] = A[s0 + k] * f0;
        h[d + 1] = A[s1 + k] * f1;
        h[d + 2] = A[s2 + k] * f2;
        h[d + 3] = A[s3 + k] * f3;
      }
      continue;
    }
    for (let k = 0; k < K; k++, d += 4) {
      h[d] = A[s0 + k];
      h[d + 1] = A[s1 + k];
      h[d + 2] = A[s2 + k];
      h[d + 3] = A[s3 + k];
    }
  }
  if (full < M) {
    // the last, partial block: rows past M are zero
    h.fill(0, full * K, rows * K);
    for (let i = full; i < M; i++) {
      const src = aOff + i * lda;
      const dst = full * K + (i & 3);
      const f = scale ? scale.k[scale.at + i] : 1;
      // (× 1 changes no float32 value)
      for (let k = 0; k < K; k++) h[dst + k * 4] = A[src + k] * f;
    }
  }
  return { M, K, rows };
}

/**
 * C (+)= A·B (+ bias[biasOff + i] on row i, when given), B produced block by block by `fill`. The
 * kernel writes several blocks side by side into its output area (outColumns wide), which is then
 * copied out to C one row at a time; the bias is the kernel's starting value.
 */
export function gemmPacked(N: number, Ap: PackedA, fill: PanelFill, C: Float32Array, cOff: number, ldc: number, accumulate: boolean, bias?: Float32Array, biasOff = 0): void {
  if (Ap.deferred) {
    // a large A a tile of rows at a time (packA): each tile packed, then its product, then the next
    const { A, aOff, lda, tile, scale } = Ap.deferred;
    for (let i0 = 0; i0 < Ap.M; i0 += tile) {
      const m = Math.min(tile, Ap.M - i0);
      gemmPacked(N, packNow(m, Ap.K, A, aOff + i0 * lda, lda, scale && { k: scale.k, at: scale.at + i0 }), fill, C, cOff + i0 * ldc, ldc, accumulate, bias, biasOff + i0);
    }
    return;
  }
  const { M, K, rows } = Ap;
  const bBase = rows * K;
  // a product narrower than a block (a late conv's 7×7 = 49 positions) lays out only the columns
  // it uses, for its panels and its output area: pages of the module's memory never touched stay
  // out of the process's resident memory (ResNet-18's 512×4608 convs touched 3.7 MiB more)
  const cols = N < BLOCK ? (N + 7) & ~7 : BLOCK;
  const outBase = bBase + K * cols;
  const chunk = N < BLOCK ? cols : outColumns(rows);
  const biasAt = outBase + rows * chunk;
  let heap = wasmFloats(biasAt + rows);
  heap.fill(0, biasAt, biasAt + rows);
  if (bias) heap.set(bias.subarray(biasOff, biasOff + M), biasAt);
  const bw = blockColumns(K);
  for (let c0 = 0; c0 < N; c0 += chunk) {
    const cw = Math.min(chunk, N - c0);
    for (let jb = c0; jb < c0 + cw; jb += bw) {
      const width = Math.min(bw, c0 + cw - jb);
      const panels = (width + 7) >> 3;
      heap = gemmHeap();
      const view = heap.subarray(bBase, bBase + panels * K * 8);
      view.fill(0, (panels - 1) * K * 8);
      fill(jb, width, view, K);
      block(0, bBase * 4, (outBase + jb - c0) * 4, K, rows >> 2, panels, biasAt * 4, chunk * 4);
    }
    // final values (the bias was the kernel's start, nothing accumulates after): the fused
    // activation while they are in cache, in as few calls as the layout allows: on the output
    // area when its rows are contiguous, else on C just after the copy when C's are (a small
    // plane: ldc = cw), else row by row
    heap = gemmHeap();
    const mapping = epilogue && bias && !accumulate ? epilogue : null;
    if (mapping && cw === chunk) mapping.map(heap.subarray(outBase, outBase + M * chunk));
    for (let i = 0; i < M; i++) {
      const src = outBase + i * chunk;
      const dst = cOff + i * ldc + c0;
      if (mapping && cw !== chunk && ldc !== cw) mapping.map(heap.subarray(src, src + cw));
      if (accumulate) for (let j = 0; j < cw; j++) C[dst + j] += heap[src + j];
      else C.set(heap.subarray(src, src + cw), dst);
    }
    if (mapping && cw !== chunk && ldc === cw) mapping.map(C.subarray(cOff + c0, cOff + c0 + M * cw));
    if (mapping) {
      mapping.covered += M * cw;
      epilogueFloats += M * cw;
    }
  }
}

/** The activation applied to the GEMM's outputs as they are copied out (withEpilogue), and how many floats it has mapped. */
let epilogue: { map: (v: Float32Array) => void; covered: number } | null = null;
let epilogueFloats = 0;

/**
 * Applies the activation in force (withEpilogue) to `v`, final outputs a kernel other than
 * gemmPacked wrote in this module's memory before copying them out (ops/conv-winograd.ts), and
 * counts them as covered; false when none is in force.
 */
export function mapFinalOutputs(v: Float32Array): boolean {
  if (!epilogue) return false;
  epilogue.map(v);
  epilogue.covered += v.length;
  epilogueFloats += v.length;
  return true;
}

/** mapFinalOutputs without counting: outputs counted once already, then replaced (ops/conv-direct.ts). */
export function remapFinalOutputs(v: Float32Array): boolean {
  if (!epilogue) return false;
  epilogue.map(v);
  return true;
}

/** Floats mapped by epilogues since the module loaded (a diagnostic: specs check the path is taken). */
export function epilogueMapped(): number {
  return epilogueFloats;
}

/**
 * Runs `run` with `map` (a point-wise map in place, e.g. a fused ReLU6) applied to every output of
 * a gemmPacked call that writes final values (given a bias, which is the kernel's start, and not
 * accumulating) in the kernel's output area before the copy to C: the values are those of `map`
 * over C afterwards, bit for bit, without a second pass over C in memory. `covered` counts the
 * floats mapped; the caller knows from it whether the whole result was (a path without the bias
 * in the kernel, e.g. a depthwise or a tiled conv, maps nothing). `map` must not call the GEMM.
 */
export function withEpilogue<T>(map: (v: Float32Array) => void, run: () => T): { result: T; covered: number } {
  const outer = epilogue;
  const mine = { map, covered: 0 };
  epilogue = mine;
  try {
    return { result: run(), covered: mine.covered };
  } finally {
    epilogue = outer;
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
  /** The few-columns loop (sums in float64, rounded once), by default when N < 8; a band of a larger product passes false (ops/gemm-tiles.ts gemm). */
  few = N < 8,
): void {
  if (few) {
    // matrix × a few vectors: one pass over A, nothing to pack
    for (let i = 0; i < M; i++) {
      const a = aOff + i * lda;
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0, b = bOff + j; k < K; k++, b += ldb) s += A[a + k] * B[b];
        C[cOff + i * ldc + j] = accumulate ? C[cOff + i * ldc + j] + s : s;
      }
    }
    return;
  }
  gemmPacked(N, packA(M, K, A, aOff, lda), (col, width, panels) => {
    for (let k = 0; k < K; k++) {
      const row = bOff + k * ldb + col;
      for (let j = 0; j < width; j++) panels[(j >> 3) * K * 8 + k * 8 + (j & 7)] = B[row + j];
    }
  }, C, cOff, ldc, accumulate);
}

/**
 * Y[yOff + r·ldy + o] = Σ_k X[xOff + r·K + k]·W[wOff + o·K + k] for r < rows, o < N: rows of x
 * times Wᵀ with W [N × K] row-major, as a linear layer's weight lies (no transpose, no packing:
 * each weight is read once, so the product is bound by that read). The x rows are staged once,
 * then W slice by slice (GEMV_STAGE floats, whole rows), each slice against every x row
 * (wasm/gemm.wat gemv: f32x4 partial sums over k mod 4, then the K mod 4 tail). The module's
 * memory holds at most the x rows, one slice and its outputs.
 */
export function gemv(rows: number, N: number, K: number, X: Float32Array, xOff: number, W: Float32Array, wOff: number, Y: Float32Array, yOff: number, ldy: number): void {
  if (rows === 0 || N === 0) return;
  if ((rows + 1) * K > GEMV_MAX) {
    // x rows too long to stage (the module's memory only grows): the same products in JavaScript, summed in float64 in k order (other rounding than the f32x4 partial sums)
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < N; o++) {
        let s = 0;
        for (let k = 0, a = xOff + r * K, b = wOff + o * K; k < K; k++) s += X[a + k] * W[b + k];
        Y[yOff + r * ldy + o] = s;
      }
    }
    return;
  }
  const per = Math.max(1, Math.min(N, Math.floor(GEMV_STAGE / Math.max(1, K))));
  const xAt = 0;
  const yAt = (rows * K + 3) & ~3;
  const wAt = (yAt + per + 3) & ~3;
  const h = wasmFloats(wAt + per * K);
  h.set(X.subarray(xOff, xOff + rows * K), xAt);
  for (let o0 = 0; o0 < N; o0 += per) {
    const n = Math.min(per, N - o0);
    h.set(W.subarray(wOff + o0 * K, wOff + (o0 + n) * K), wAt);
    for (let r = 0; r < rows; r++) {
      gemvKernel(wAt * 4, (xAt + r * K) * 4, yAt * 4, K, n);
      Y.set(h.subarray(yAt, yAt + n), yOff + r * ldy + o0);
    }
  }
}
