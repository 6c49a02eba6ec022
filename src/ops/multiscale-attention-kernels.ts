/**
 * The kernels of multiscaleAttention (ops/multiscale-attention.ts, its formulas in the header): one
 * (sample, head)'s forward from the qkv projection's output, shared by the op's run and its VJP
 * (ops/multiscale-attention-vjp.ts), which recomputes a head with its pools' normalised tokens kept.
 *
 *   q, k, v  gathered from qkv [N·L, 3D] (columns q|k|v, head, channel), or pooled straight from it:
 *            depthwise Conv3d over the grid (taps as [Πk, d]; per output its window's taps inside the
 *            grid listed once, each channel's sum held in a register over them, four channels a pass),
 *            the class token put back, LayerNorm over d
 *   scores   = (q·1/√d as float32, PyTorch's scaler * q)·kᵀ            GEMM (kᵀ staged)
 *            (+ relPos: per query position its Hk + Wk + Tk dots q·R, the (h, w) sums formed once,
 *            added to its Lk − 1 grid scores), softmax by rows (WebAssembly SIMD,
 *            ops/multiscale-attention-softmax.ts)
 *   a_h      = probs·v (+ q: residual pooling)                          GEMM into the head's columns
 * The scores, the softmax and probs·v go a band of rows at a time (SCORE_BAND), in the softmax
 * module's memory, reused by every band, head and call; the other buffers are a call's (headScratch),
 * reused across samples and heads.
 */
import { gemm } from './gemm-tiles.js';
import { scoreBand, softmaxBand } from './multiscale-attention-softmax.js';

export type Thw = [number, number, number];
export interface PoolPlan {
  kernel: Thw;
  stride: Thw;
  out: Thw;
}
export interface MultiscaleAttentionPlan {
  n: number;
  c: number;
  dim: number;
  heads: number;
  d: number;
  thw: Thw;
  /** null where torchvision builds no pool (kernel and stride all 1) */
  poolQ: PoolPlan | null;
  poolKv: PoolPlan | null;
  qThw: Thw;
  kThw: Thw;
  /** rows of rel_pos_h/w and rel_pos_t, when relPos */
  tables: { spatial: number; temporal: number } | null;
}
/** The attributes the kernels read (MultiscaleAttentionAttrs' run-time part). */
export interface MultiscaleRunAttrs {
  residualPool: boolean;
  residualWithClsEmbed: boolean;
  eps: number;
}

export const prod = (v: readonly number[]) => v.reduce((p, x) => p * x, 1);

/** One pool's weights as the kernels read them: the conv's taps transposed to [Πk, d], the LayerNorm's affine. */
export interface PoolWeights {
  plan: PoolPlan;
  taps: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
}
/** A call's weights: the pools (null where there is none) and the relative tables at their used lengths. */
export interface MultiscaleKernels {
  q: PoolWeights | null;
  k: PoolWeights | null;
  v: PoolWeights | null;
  rel: RelTables | null;
}

type Weights = Record<string, { data: Float32Array }>;

function poolWeights(which: string, pp: PoolPlan | null, d: number, w: Weights): PoolWeights | null {
  if (!pp) return null;
  const k = prod(pp.kernel);
  const src = w[`${which}.pool.weight`].data;
  const taps = new Float32Array(k * d);
  for (let e = 0; e < d; e++) for (let t = 0; t < k; t++) taps[t * d + e] = src[e * k + t];
  return { plan: pp, taps, gamma: w[`${which}.norm_act.0.weight`].data, beta: w[`${which}.norm_act.0.bias`].data };
}

export function multiscaleKernels(p: MultiscaleAttentionPlan, w: Weights): MultiscaleKernels {
  return {
    q: poolWeights('pool_q', p.poolQ, p.d, w),
    k: poolWeights('pool_k', p.poolKv, p.d, w),
    v: poolWeights('pool_v', p.poolKv, p.d, w),
    rel: p.tables ? relTables(p, w.relPosH.data, w.relPosW.data, w.relPosT.data) : null,
  };
}

/** A pool's LayerNorm as the VJP needs it: the normalised tokens x̂ [L', d] and 1/σ per token. */
export interface NormKept {
  xhat: Float32Array;
  inv: Float64Array;
}

/**
 * Floats of one band of a head's scores (SCORE_BAND: 256 KiB): the rows of Lq are taken a band of
 * ⌊SCORE_BAND / Lk⌋ at a time (at least one), each band's scores, relPos, softmax and probs·v done
 * while it sits in the core's L2, in the softmax module's memory (ops/multiscale-attention-softmax.ts),
 * reused by every band and call. Whole, mvit_v2_s block 0's scores were 25,089 × 393 floats, 39 MB
 * of fresh pages a call (the band: 166 rows).
 */
export const SCORE_BAND = 1 << 16;

/** Rows of a band of scores Lk long within `bandFloats` (at least one, at most Lq). */
export const bandRows = (lq: number, lk: number, bandFloats = SCORE_BAND): number => Math.max(1, Math.min(lq, Math.floor(bandFloats / lk)));

/** One head's buffers: q (pooled, unscaled), k, v [·, d]; kᵀ [d, Lk]; a band's q scaled [rows, d]; with `keep`, the pools' norms. */
export interface HeadScratch {
  q: Float32Array;
  qs: Float32Array;
  k: Float32Array;
  v: Float32Array;
  kT: Float32Array;
  /** rows of Lq a band of scores holds (bandRows) */
  rows: number;
  relAxes: Float32Array;
  kept: { q: NormKept; k: NormKept; v: NormKept } | null;
}

export function headScratch(p: MultiscaleAttentionPlan, keep = false, bandFloats = SCORE_BAND): HeadScratch {
  const { d } = p;
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  const rows = bandRows(lq, lk, bandFloats);
  const norm = (l: number) => ({ xhat: new Float32Array(l * d), inv: new Float64Array(l) });
  return {
    q: new Float32Array(lq * d),
    qs: new Float32Array(rows * d),
    k: new Float32Array(lk * d),
    v: new Float32Array(lk * d),
    kT: new Float32Array(d * lk),
    rows,
    relAxes: new Float32Array(p.kThw[0] + p.kThw[1] + p.kThw[2] + p.kThw[1] * p.kThw[2]),
    kept: keep ? { q: norm(lq), k: norm(lk), v: norm(lk) } : null,
  };
}

/**
 * torchvision's MultiscaleAttention scale 1/√d as `self.scaler * q` applies it: a Python float times a
 * float32 tensor, the scalar taken as float32 (fround) and the product rounded once; scaling by the
 * double instead rounds differently (d = 96: 424 of 1000 N(0, 1) q values differ by an ulp).
 */
export const multiscaleQScale = (d: number): number => Math.fround(1 / Math.sqrt(d));

/** Head `hd` of sample `s` from qkv ([N·L, 3D]): q, k, v pooled into scr (q unscaled, as relPos and the residual read it), kᵀ staged. */
export function poolHead(qkv: Float32Array, s: number, hd: number, p: MultiscaleAttentionPlan, a: MultiscaleRunAttrs, kern: MultiscaleKernels, scr: HeadScratch): void {
  const { dim, d } = p;
  const l = 1 + prod(p.thw);
  const lk = 1 + prod(p.kThw);
  const base = s * l * 3 * dim + hd * d;
  const kept = scr.kept;
  takeTokens(qkv, base + dim, 3 * dim, p.thw, d, kern.k, a.eps, scr.k, kept?.k ?? null);
  takeTokens(qkv, base + 2 * dim, 3 * dim, p.thw, d, kern.v, a.eps, scr.v, kept?.v ?? null);
  takeTokens(qkv, base, 3 * dim, p.thw, d, kern.q, a.eps, scr.q, kept?.q ?? null);
  const { k, kT } = scr;
  for (let j = 0; j < lk; j++) for (let e = 0; e < d; e++) kT[e * lk + j] = k[j * d + e];
}

/**
 * Rows [r0, r0 + rows) of a pooled head's probabilities into sc (a scoreBand view, [rows, Lk]): their
 * q scaled into scr.qs (PyTorch: self.scaler * q in float32, then the product), (q/√d)·kᵀ, relPos,
 * the softmax by rows.
 */
export function bandProbs(p: MultiscaleAttentionPlan, kern: MultiscaleKernels, scr: HeadScratch, r0: number, rows: number, sc: Float32Array): void {
  const { d } = p;
  const lk = 1 + prod(p.kThw);
  const { q, qs, kT } = scr;
  const scale = multiscaleQScale(d);
  for (let i = 0, at = r0 * d; i < rows * d; i++) qs[i] = scale * q[at + i];
  gemm(rows, lk, d, qs, 0, d, kT, 0, lk, sc, 0, lk, false);
  if (kern.rel) addRelPos(sc, q, p, kern.rel, scr.relAxes, r0, rows);
  softmaxBand(sc, rows, lk);
}

/**
 * Head `hd` of sample `s` from qkv ([N·L, 3D]): q, k, v pooled into scr, then band by band the
 * probabilities and probs·v (+ q) into the head's d columns of out's rows [outRow, outRow + Lq)
 * (leading dimension ldOut).
 */
export function attendMultiscaleHead(qkv: Float32Array, s: number, hd: number, p: MultiscaleAttentionPlan, a: MultiscaleRunAttrs, kern: MultiscaleKernels, scr: HeadScratch, out: Float32Array, outOff: number, ldOut: number): void {
  const { d } = p;
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  poolHead(qkv, s, hd, p, a, kern, scr);
  const sc = scoreBand(scr.rows * lk);
  for (let r0 = 0; r0 < lq; r0 += scr.rows) {
    const rows = Math.min(scr.rows, lq - r0);
    bandProbs(p, kern, scr, r0, rows, sc);
    gemm(rows, d, lk, sc, 0, lk, scr.v, 0, d, out, outOff + r0 * ldOut, ldOut, false);
  }
  if (a.residualPool) {
    const { q } = scr;
    for (let i = a.residualWithClsEmbed ? 0 : 1; i < lq; i++) for (let e = 0; e < d; e++) out[outOff + i * ldOut + e] += q[i * d + e];
  }
}

/** One head's q, k or v ([1 + T·H·W] rows of d at src[off + row·ld]) into out [·, d]: copied, or through its pool. */
function takeTokens(src: Float32Array, off: number, ld: number, thw: Thw, d: number, pw: PoolWeights | null, eps: number, out: Float32Array, kept: NormKept | null): void {
  if (!pw) {
    const l = 1 + prod(thw);
    for (let t = 0; t < l; t++) for (let e = 0; e < d; e++) out[t * d + e] = src[off + t * ld + e];
    return;
  }
  poolGrid(src, off, ld, thw, d, pw, out);
  // LayerNorm over d of every token, the class token's too
  const rows = 1 + prod(pw.plan.out);
  const { gamma, beta } = pw;
  for (let t = 0; t < rows; t++) {
    const r = t * d;
    let mean = 0;
    for (let e = 0; e < d; e++) mean += out[r + e];
    mean /= d;
    let v = 0;
    for (let e = 0; e < d; e++) v += (out[r + e] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + eps);
    if (kept) {
      kept.inv[t] = inv;
      for (let e = 0; e < d; e++) kept.xhat[r + e] = (out[r + e] - mean) * inv;
    }
    for (let e = 0; e < d; e++) out[r + e] = (out[r + e] - mean) * inv * gamma[e] + beta[e];
  }
}

/**
 * A pool's depthwise Conv3d (padding ⌊k/2⌋, no bias) from the grid tokens at src[off + (1 + g)·ld]
 * into out's rows 1…, the class token copied to row 0. Per output, its window's taps inside the grid
 * as offsets into taps and src; each channel's sum held in a register over the window (windowSums).
 */
function poolGrid(src: Float32Array, off: number, ld: number, thw: Thw, d: number, pw: PoolWeights, out: Float32Array): void {
  const T = thw[0];
  const H = thw[1];
  const W = thw[2];
  const { kernel, stride } = pw.plan;
  const kt = kernel[0];
  const kh = kernel[1];
  const kw = kernel[2];
  const To = pw.plan.out[0];
  const Ho = pw.plan.out[1];
  const Wo = pw.plan.out[2];
  for (let e = 0; e < d; e++) out[e] = src[off + e];
  const tapAt = new Int32Array(kt * kh * kw);
  const srcAt = new Int32Array(kt * kh * kw);
  let o = d;
  for (let ot = 0; ot < To; ot++) {
    const t0 = ot * stride[0] - (kt >> 1);
    const a0 = Math.max(0, -t0);
    const a1 = Math.min(kt, T - t0);
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = oh * stride[1] - (kh >> 1);
      const b0 = Math.max(0, -h0);
      const b1 = Math.min(kh, H - h0);
      for (let ow = 0; ow < Wo; ow++, o += d) {
        const w0 = ow * stride[2] - (kw >> 1);
        const c0 = Math.max(0, -w0);
        const c1 = Math.min(kw, W - w0);
        let n = 0;
        for (let a = a0; a < a1; a++) {
          for (let b = b0; b < b1; b++) {
            const row = off + (1 + ((t0 + a) * H + h0 + b) * W + w0) * ld;
            const tap = (a * kh + b) * kw * d;
            for (let cc = c0; cc < c1; cc++, n++) {
              srcAt[n] = row + cc * ld;
              tapAt[n] = tap + cc * d;
            }
          }
        }
        windowSums(src, srcAt, pw.taps, tapAt, n, d, out, o);
      }
    }
  }
}

/** out[o + e] = Σ_k taps[tapAt[k] + e] · src[srcAt[k] + e] for each channel e < d, four channels a pass. */
function windowSums(src: Float32Array, srcAt: Int32Array, taps: Float32Array, tapAt: Int32Array, n: number, d: number, out: Float32Array, o: number): void {
  let e = 0;
  for (; e + 3 < d; e += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < n; k++) {
      const i = srcAt[k] + e;
      const tp = tapAt[k] + e;
      s0 += taps[tp] * src[i];
      s1 += taps[tp + 1] * src[i + 1];
      s2 += taps[tp + 2] * src[i + 2];
      s3 += taps[tp + 3] * src[i + 3];
    }
    out[o + e] = s0;
    out[o + e + 1] = s1;
    out[o + e + 2] = s2;
    out[o + e + 3] = s3;
  }
  for (; e < d; e++) {
    let s0 = 0;
    for (let k = 0; k < n; k++) s0 += taps[tapAt[k] + e] * src[srcAt[k] + e];
    out[o + e] = s0;
  }
}

/** F.interpolate(mode 'linear', align_corners False) of a table [rows, d] to `size` rows; the table itself when it has them. */
function interpolateRows(table: Float32Array, d: number, size: number): Float32Array {
  const rows = table.length / d;
  if (rows === size) return table;
  const f = Math.fround;
  const scale = f(rows / size);
  const out = new Float32Array(size * d);
  for (let i = 0; i < size; i++) {
    const src = Math.max(f(f(scale * f(i + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    const i1 = i0 < rows - 1 ? i0 + 1 : i0;
    const l1 = f(src - i0);
    const l0 = f(1 - l1);
    for (let e = 0; e < d; e++) out[i * d + e] = l0 * table[i0 * d + e] + l1 * table[i1 * d + e];
  }
  return out;
}

/** For one axis: R[i][j] = table[⌊dist(i, j)⌋] as torchvision's _add_rel_pos indexes it, per (i, j) a row offset into the table. */
function axisIndex(sq: number, sk: number): Int32Array {
  const f = Math.fround;
  const qRatio = f(Math.max(sk / sq, 1));
  const kRatio = f(Math.max(sq / sk, 1));
  const idx = new Int32Array(sq * sk);
  for (let i = 0; i < sq; i++) for (let j = 0; j < sk; j++) idx[i * sk + j] = Math.trunc(f(f(i * qRatio) - f(f(j + f(1 - sk)) * kRatio)));
  return idx;
}

/** The three tables at their used lengths, and per axis the row each (query, key) position pair reads. */
export interface RelTables { h: Float32Array; w: Float32Array; t: Float32Array; ih: Int32Array; iw: Int32Array; it: Int32Array }

function relTables(p: MultiscaleAttentionPlan, h: Float32Array, w: Float32Array, t: Float32Array): RelTables {
  const [qt, qh, qw] = p.qThw;
  const [kt, kh, kw] = p.kThw;
  return {
    h: interpolateRows(h, p.d, 2 * Math.max(qh, kh) - 1),
    w: interpolateRows(w, p.d, 2 * Math.max(qw, kw) - 1),
    t: interpolateRows(t, p.d, 2 * Math.max(qt, kt) - 1),
    ih: axisIndex(qh, kh),
    iw: axisIndex(qw, kw),
    it: axisIndex(qt, kt),
  };
}

/** table row `row` (of d) · q[at, at + d), four partial sums, rounded to float32 as PyTorch's einsum leaves it. */
function dotRow(q: Float32Array, at: number, table: Float32Array, row: number, d: number): number {
  const t = row * d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let e = 0;
  for (; e + 3 < d; e += 4) {
    s0 += q[at + e] * table[t + e];
    s1 += q[at + e + 1] * table[t + e + 1];
    s2 += q[at + e + 2] * table[t + e + 2];
    s3 += q[at + e + 3] * table[t + e + 3];
  }
  for (; e < d; e++) s0 += q[at + e] * table[t + e];
  return Math.fround(s0 + s1 + (s2 + s3));
}

/**
 * _add_rel_pos on rows [r0, r0 + rows) of one head's scores (sc [rows, Lk]): the grid scores gain
 * q·Rh + q·Rw + q·Rt (axes: scratch of Hk + Wk + Tk + Hk·Wk, the last the (h, w) sums, formed once a
 * query position); row 0, the class token's, gains nothing.
 */
function addRelPos(sc: Float32Array, q: Float32Array, p: MultiscaleAttentionPlan, r: RelTables, axes: Float32Array, r0: number, rows: number): void {
  const { d } = p;
  const [, qh, qw] = p.qThw;
  const [kt, kh, kw] = p.kThw;
  const lk = 1 + kt * kh * kw;
  const khw = kh * kw;
  const [relH, relW, relT, hw] = [axes.subarray(0, kh), axes.subarray(kh, kh + kw), axes.subarray(kh + kw, kh + kw + kt), axes.subarray(kh + kw + kt, kh + kw + kt + khw)];
  for (let i = Math.max(1, r0); i < r0 + rows; i++) {
    const pos = i - 1;
    const c = pos % qw;
    const b = Math.floor(pos / qw) % qh;
    const a = Math.floor(pos / (qw * qh));
    const at = i * d;
    for (let j = 0; j < kh; j++) relH[j] = dotRow(q, at, r.h, r.ih[b * kh + j], d);
    for (let j = 0; j < kw; j++) relW[j] = dotRow(q, at, r.w, r.iw[c * kw + j], d);
    for (let j = 0; j < kt; j++) relT[j] = dotRow(q, at, r.t, r.it[a * kt + j], d);
    for (let jh = 0; jh < kh; jh++) for (let jw = 0; jw < kw; jw++) hw[jh * kw + jw] = relH[jh] + relW[jw];
    let at2 = (i - r0) * lk + 1;
    for (let jt = 0; jt < kt; jt++, at2 += khw) {
      const t = relT[jt];
      for (let x = 0; x < khw; x++) sc[at2 + x] += Math.fround(hw[x] + t);
    }
  }
}
