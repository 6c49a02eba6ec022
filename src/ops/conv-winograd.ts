/**
 * Winograd F(2×2, 3×3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016)
 * for 3×3 convolutions at stride 1 and dilation 1: each 2×2 tile of outputs from the 4×4 input
 * tile d_c under it in every input channel c,
 *
 *   Y = Aᵀ [ Σ_c U_{k,c} ⊙ V_c ] A + b[k],   U_{k,c} = G g_{k,c} Gᵀ,   V_c = Bᵀ d_c B
 *   G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]       (g: the 3×3 kernel of k over c)
 *   Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
 *   Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]
 *
 * The sum over c, for each of the 16 positions ξ of the 4×4 tile, is a GEMM, U_ξ [Cout × Cin] ·
 * V_ξ [Cin × tiles]: 16·Cin multiply-adds per tile of 4 outputs against the direct sum's 36·Cin,
 * 2.25× fewer. The products run in wasm/gemm.wat's micro-kernel (U_ξ packed as its A, V_ξ's rows
 * written into its panels by its im2col); the input and output transforms in wasm/winograd.wat,
 * four tiles per SIMD step, in the GEMM module's memory (nothing is copied between modules), and so
 * does the kernels' transform U (Cout·Cin·16 floats, four kernels per step: a small part of the
 * work when the output has many tiles). Tiles are aligned to even output rows and columns, so a band of rows
 * (runtime/bands.ts) or of kernels computes each of its outputs exactly as the whole conv does:
 * the same bits. The rounding is not the direct sum's: measured against it and against PyTorch
 * (test/ops/conv-winograd.test.ts), within the goldens' tolerance.
 *
 * Layout in the GEMM module's memory (floats): [U: 16 × Kr × Cin, packed] [one block of panels]
 * [zeros: Kr] [bias: Kr] [taps: Cin ints] [V: 16 × Cin × ldv] [M: 16 × Kr × ldm] [P: Cin × Hp × Wp
 * zero-padded input] [the input rows, unpadded] [Y: Kr × 2·tc × W' outputs] (the kernels staged
 * for their transform where V and M then go), with Kr kernels (a multiple of 4) per pass and a
 * chunk of tc tile rows, both chosen to keep U and the chunk's areas within their budgets.
 */
import { block, gemmMemory, blockColumns, heapUses, im2col, mapFinalOutputs, place, wasmFloats, wasmInts } from '../tensor/gemm.js';
import { lazily, wasmInstance } from '../tensor/wasm-memory.js';
import type { RowScale } from '../tensor/gemm.js';
import type { AxisGeometry, ConvSizes } from './geometry.js';

/** wasm/winograd.wat (on the GEMM module's memory), instantiated at its first use (tensor/wasm-memory.ts lazily). */
const winogradKernels = lazily(() => {
  const instance = wasmInstance('winograd.wasm', { gemm: { memory: gemmMemory() } });
  return {
    /** wasm/winograd.wat input (byte addresses): see its header. */
    inputTransform: instance.exports.input as (src: number, rowBytes: number, planeBytes: number, C: number, rows: number, TW: number, dst: number, ldv: number, xi: number) => void,
    /** wasm/winograd.wat kernels (byte addresses): see its header. */
    kernelTransform: instance.exports.kernels as (w: number, C: number, blocks: number, dst: number, plane: number) => void,
    /** wasm/winograd.wat output (byte addresses): see its header; 1 when an output it wrote is not finite. */
    outputTransform: instance.exports.output as (m: number, ldm: number, xi: number, K: number, rows: number, TW: number, OW: number, bias: number, y: number, plane: number) => number,
  };
});

/** Floats of U, the transformed kernels of one pass (4 MiB). */
const U_BUDGET = 1 << 20;
/**
 * Floats of one chunk of tile rows' V, M, P and Y (4 MiB). 3×3 128→128 at 112², one thread,
 * interleaved (2026-12-01): chunks of 512 Ki to 4 Mi floats took 43–45 ms alike; below 512 Ki one
 * tile row of all 128 kernels no longer fits, the kernels go in passes and V is transformed for each
 * (256 Ki: 55 ms; 128 Ki: 153 ms).
 */
const CHUNK_BUDGET = 1 << 20;
/** Fewest input channels per group the transforms pay for (8→8 at 16×16: 1.06× the direct conv). */
export const WINOGRAD_MIN_CHANNELS = 8;
/**
 * Fewest output positions per image the transforms pay for: 64→64 at 14×14 (196) ran 1.52× the
 * direct conv, 256→256 at 14×14 1.51×, 512→512 at 7×7 (49) 0.93×.
 */
export const WINOGRAD_MIN_POSITIONS = 64;

const round4 = (n: number) => (n + 3) & ~3;
const round8 = (n: number) => (n + 7) & ~7;

/**
 * Floats per tile row of a chunk's V, M, P, unpadded input rows and Y, with `kernels` per pass (Kr
 * rows of M). P and the input rows also hold a halo of two rows a chunk, not counted here: at one
 * tile row a chunk those two areas take twice what this counts (memory only; the bits do not depend
 * on the chunk).
 */
function perTileRow(cin: number, kernels: number, geo: AxisGeometry[]): number {
  const TW = (geo[1].out + 1) >> 1;
  const Wp = 2 * TW + 8;
  return 16 * cin * TW + 16 * round4(kernels) * TW + 2 * cin * Wp + 2 * cin * geo[1].in + 2 * round4(kernels) * geo[1].out;
}

let winogradOn = true;

/**
 * Runs `run` with the Winograd path off on this thread (its convs take the direct im2col and GEMM):
 * benchmarks time the two side by side. Not for runs across a worker team (its partner threads
 * would still take it).
 */
export function withoutWinograd<T>(run: () => T): T {
  const was = winogradOn;
  winogradOn = false;
  try {
    return run();
  } finally {
    winogradOn = was;
  }
}

/**
 * Whether a conv with `cin` input channels per group and this geometry takes the Winograd path:
 * a 3×3 kernel at stride 1 and dilation 1, padding not negative, at least WINOGRAD_MIN_CHANNELS
 * input channels and WINOGRAD_MIN_POSITIONS output positions, and one tile row of four kernels
 * within the budgets. Never the kernel count nor the band: a band of rows or kernels takes the
 * path the whole conv takes, so it has its bits.
 */
export function winogradApplies(cin: number, geo: AxisGeometry[]): boolean {
  if (!winogradOn) return false;
  const [gh, gw] = geo;
  const shape = gh.kernel === 3 && gw.kernel === 3 && gh.stride === 1 && gw.stride === 1 && gh.dilation === 1 && gw.dilation === 1;
  if (!shape || gh.padBegin < 0 || gw.padBegin < 0 || gh.padEnd < 0 || gw.padEnd < 0) return false;
  if (cin < WINOGRAD_MIN_CHANNELS || gh.out * gw.out < WINOGRAD_MIN_POSITIONS) return false;
  return 16 * 4 * cin <= U_BUDGET && perTileRow(cin, 4, geo) <= CHUNK_BUDGET;
}

/**
 * U_ξ for `kernels` kernels of a group (weights from wOff, [k][c][3][3]) packed as wasm/gemm.wat's
 * A at uAt, Kr rows (a multiple of 4, at least `kernels`; rows past `kernels` zero): the weights
 * staged at stageAt, then wasm/winograd.wat's kernels.
 */
function transformKernels(w: Float32Array, wOff: number, C: number, kernels: number, Kr: number, uAt: number, stageAt: number, scale?: RowScale): void {
  const heap = wasmFloats(stageAt + Kr * C * 9);
  heap.set(w.subarray(wOff, wOff + kernels * C * 9), stageAt);
  // a folded batch norm's factors applied as the kernels are staged (ops/conv.ts convRows): w·k rounded to float32
  for (let k = 0; k < (scale ? kernels : 0); k++) {
    const f = scale!.k[scale!.at + k];
    const kernel = heap.subarray(stageAt + k * C * 9, stageAt + (k + 1) * C * 9);
    for (let i = 0; i < kernel.length; i++) kernel[i] *= f;
  }
  heap.fill(0, stageAt + kernels * C * 9, stageAt + Kr * C * 9);
  winogradKernels().kernelTransform(stageAt * 4, C, Kr >> 2, uAt * 4, Kr * C * 4);
}

/**
 * Kernels transformed for one job of bands (runtime/team-kernels.ts makes one per job and thread):
 * a band of rows transforms the same kernels as the band before it on this thread, so the
 * transform left at the start of the GEMM module's memory is used again, when nothing has used
 * that memory since (tensor/gemm.ts heapUses). Without it, every call transforms its kernels.
 */
export interface KeptKernels {
  /** What U in memory was transformed from, and heapUses when this call left it; or null. */
  from: { w: Float32Array; scale?: Float64Array; wOff: number; C: number; kernels: number; Kr: number; uses: number } | null;
}

/** A fresh KeptKernels for one job. */
export const keptKernels = (): KeptKernels => ({ from: null });

let transforms = 0;

/** Passes of the kernels' transform since the module loaded (a diagnostic: specs check a job's bands share one). */
export const kernelTransforms = (): number => transforms;

/**
 * The output rows where a kernel's Winograd outputs, in some image, are not finite: flags[k · rows
 * + r] for the call's kernel k (every group's) and output row r, within the call's band of rows
 * only (ops/conv-direct.ts recomputes them). A row, not a tile row: a band that ends inside a tile
 * computes its other row from input rows that may not be there (a team's partner reads its band's
 * rows as they are staged), and a row's own outputs decide for it the same way in any split.
 */
export interface NonFiniteRows {
  rows: number;
  flags: Uint8Array;
}

/** Flags the output rows [r0, r1) of a chunk's Y (kernels from `k0`, its first row `y0`) that hold an output not finite. */
function flagNonFinite(y: Float32Array, yAt: number, kernels: number, chunkRows: number, OW: number, k0: number, y0: number, r0: number, r1: number, found: NonFiniteRows): void {
  for (let k = 0; k < kernels; k++) {
    const at = yAt + k * chunkRows * OW;
    for (let r = r0; r < r1; r++) {
      for (let i = at + (r - y0) * OW; i < at + (r - y0 + 1) * OW; i++) {
        if (Number.isFinite(y[i])) continue;
        found.flags[(k0 + k) * found.rows + r] = 1;
        break;
      }
    }
  }
}

/**
 * Output rows [from, to) of a convolution that winogradApplies to, written into `out` (the whole
 * output, [N, Cout, H', W']), the bias added: ops/conv.ts convRows's contract. A fused activation
 * in force (tensor/gemm.ts withEpilogue) maps every output as it is copied out, as the GEMM's own
 * copy-out does. Returns the rows whose outputs are not finite (null when all are), which the
 * caller recomputes by the direct sum.
 */
export function winogradRows(
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | undefined,
  p: ConvSizes,
  from: number,
  to: number,
  out: Float32Array,
  /** Floats of U per pass and of a chunk of tile rows (specs pass small ones: more passes and chunks, the same bits). */
  budgets = { kernels: U_BUDGET, chunk: CHUNK_BUDGET },
  kept?: KeptKernels,
  /** A factor per output channel applied to the weight as its kernels are staged (ops/conv.ts convRows). */
  scale?: Float64Array,
): NonFiniteRows | null {
  const [gh, gw] = p.geo;
  const [H, W, OH, OW] = [gh.in, gw.in, gh.out, gw.out];
  const C = p.cin / p.groups;
  const K = p.cout / p.groups;
  const plane = OH * OW;
  const TW = (OW + 1) >> 1;
  const Wp = 2 * TW + 8;
  const [ty0, ty1] = [from >> 1, (to + 1) >> 1];
  // kernels per pass (U within its budget), then tile rows per chunk (the chunk within its)
  let kc = Math.min(round4(K), Math.max(4, Math.floor(budgets.kernels / 16 / C / 4) * 4));
  while (kc > 4 && perTileRow(C, kc, p.geo) > budgets.chunk) kc -= 4;
  const Kr = kc;
  kc = Math.min(kc, K);
  const tc = Math.max(1, Math.min(ty1 - ty0, Math.floor(budgets.chunk / perTileRow(C, Kr, p.geo))));
  const Hp = 2 * tc + 2;
  const ldv = tc * TW + 4;
  const ldm = round8(tc * TW + 3);
  const bw = blockColumns(C);
  // the layout (floats, each area a multiple of 4 from the last)
  const panelsAt = 16 * Kr * C;
  const zeroAt = panelsAt + round4(C * bw);
  const biasAt = zeroAt + Kr;
  const tapsAt = biasAt + Kr;
  const vAt = tapsAt + round4(C);
  const mAt = vAt + 16 * C * ldv;
  const pAt = mAt + 16 * Kr * ldm;
  const xsAt = pAt + round4(C * Hp * Wp + 8);
  const yAt = xsAt + round4(C * Hp * W);
  // the kernels are staged for their transform where V and M go after it
  const end = Math.max(yAt + Kr * 2 * tc * OW + 8, vAt + Kr * C * 9);
  // the kernels this job's last band left in memory, if nothing used it since (read before this call's own uses)
  let left = kept?.from && kept.from.uses === heapUses() ? kept.from : null;
  let notFinite: NonFiniteRows | null = null;
  const ints = wasmInts(end);
  for (let c = 0; c < C; c++) ints[tapsAt + c] = c * ldv * 4;
  const heap = wasmFloats(end);
  heap.fill(0, zeroAt, biasAt);
  const [pt, pl] = [gh.padBegin, gw.padBegin];
  for (let g = 0; g < p.groups; g++) {
    for (let k0 = 0; k0 < K; k0 += kc) {
      const kernels = Math.min(kc, K - k0);
      const wOff = (g * K + k0) * C * 9;
      if (!(left && left.w === weight && left.scale === scale && left.wOff === wOff && left.C === C && left.kernels === kernels && left.Kr === Kr)) {
        transformKernels(weight, wOff, C, kernels, Kr, 0, vAt, scale && { k: scale, at: g * K + k0 });
        transforms++;
        left = null; // U now holds this pass's kernels, whatever the last call left
      }
      heap.fill(0, biasAt, biasAt + Kr);
      if (bias) heap.set(bias.subarray(g * K + k0, g * K + k0 + kernels), biasAt);
      for (let b = 0; b < p.n; b++) {
        const xOff = (b * p.cin + g * C) * H * W;
        const outOff = (b * p.cout + g * K + k0) * plane;
        for (let tyA = ty0; tyA < ty1; tyA += tc) {
          const rows = Math.min(tc, ty1 - tyA);
          const Tc = rows * TW;
          // P: padded rows 2·tyA … 2·tyA + 2·rows + 1, i.e. input rows [iyA, iyB) placed at row iyA + pt − 2·tyA
          const iyA = Math.max(0, 2 * tyA - pt);
          const iyB = Math.min(H, 2 * (tyA + rows) + 2 - pt);
          heap.fill(0, pAt, pAt + C * Hp * Wp + 8);
          if (iyB > iyA) {
            const n = iyB - iyA;
            for (let c = 0; c < C; c++) heap.set(x.subarray(xOff + (c * H + iyA) * W, xOff + (c * H + iyB) * W), xsAt + c * n * W);
            for (let c = 0; c < C; c++) place((xsAt + c * n * W) * 4, W * 4, n, (pAt + (c * Hp + iyA + pt - 2 * tyA) * Wp + pl) * 4, Wp * 4);
          }
          winogradKernels().inputTransform(pAt * 4, Wp * 4, Hp * Wp * 4, C, rows, TW, vAt * 4, ldv * 4, C * ldv * 4);
          for (let xi = 0; xi < 16; xi++) {
            for (let jb = 0; jb < Tc; jb += bw) {
              const width = Math.min(bw, Tc - jb);
              const panels = (width + 7) >> 3;
              im2col((vAt + xi * C * ldv) * 4, tapsAt * 4, C, jb, width, ldv, 0, 1, panelsAt * 4);
              block((xi * Kr * C) * 4, panelsAt * 4, (mAt + xi * Kr * ldm + jb) * 4, C, Kr >> 2, panels, zeroAt * 4, ldm * 4);
            }
          }
          const notAllFinite = winogradKernels().outputTransform(mAt * 4, ldm * 4, Kr * ldm * 4, kernels, rows, TW, OW, biasAt * 4, yAt * 4, 2 * rows * OW * 4);
          // the band's rows of this chunk, kernel by kernel (contiguous in both)
          const r0 = Math.max(from, 2 * tyA);
          const r1 = Math.min(to, 2 * (tyA + rows), OH);
          if (notAllFinite) {
            // an input or weight not finite (rare), or a tile's other row read unstaged rows: which of the band's rows, before the epilogue maps them
            notFinite ??= { rows: OH, flags: new Uint8Array(p.cout * OH) };
            flagNonFinite(heap, yAt, kernels, 2 * rows, OW, g * K + k0, 2 * tyA, r0, r1, notFinite);
          }
          const span = (r1 - r0) * OW;
          // a fused activation (tensor/gemm.ts withEpilogue) on the final values while they are in cache
          const whole = span === 2 * rows * OW;
          if (whole) mapFinalOutputs(heap.subarray(yAt, yAt + kernels * span));
          for (let k = 0; k < kernels; k++) {
            const src = yAt + k * 2 * rows * OW + (r0 - 2 * tyA) * OW;
            if (!whole) mapFinalOutputs(heap.subarray(src, src + span));
            out.set(heap.subarray(src, src + span), outOff + k * plane + r0 * OW);
          }
        }
      }
      if (kept) kept.from = { w: weight, ...(scale && { scale }), wOff, C, kernels, Kr, uses: heapUses() };
    }
  }
  return notFinite;
}
