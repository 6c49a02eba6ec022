/**
 * The kernels of multiscaleAttention (ops/multiscale-attention.ts, its formulas in the header): one
 * (sample, head)'s forward from the qkv projection's output, shared by the op's run and its VJP
 * (ops/multiscale-attention-vjp.ts), which recomputes a head with its pools' normalised tokens kept.
 *
 *   q, k, v  gathered from qkv [N·L, 3D] (columns q|k|v, head, channel), or pooled straight from it:
 *            depthwise Conv3d over the grid (taps as [Πk, d], a window's bounds once per output), the
 *            class token put back, LayerNorm over d
 *   scores   = (q·1/√d as float32, PyTorch's scaler * q)·kᵀ            GEMM (kᵀ staged)
 *            (+ relPos: q·R per grid score), softmax by rows
 *   a_h      = probs·v (+ q: residual pooling)                          GEMM into the head's columns
 * Buffers are a call's (headScratch), reused across samples and heads.
 */
import { gemm } from './gemm-tiles.js';
import { softmaxRows } from './attention-kernels.js';

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

/** One head's buffers: q (pooled), q scaled, k, v [·, d]; kᵀ [d, Lk]; the probabilities [Lq, Lk]; with `keep`, the pools' norms. */
export interface HeadScratch {
  q: Float32Array;
  qs: Float32Array;
  k: Float32Array;
  v: Float32Array;
  kT: Float32Array;
  probs: Float32Array;
  acc: Float64Array;
  relAxes: Float32Array;
  kept: { q: NormKept; k: NormKept; v: NormKept } | null;
}

export function headScratch(p: MultiscaleAttentionPlan, keep = false): HeadScratch {
  const { d } = p;
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  const norm = (l: number) => ({ xhat: new Float32Array(l * d), inv: new Float64Array(l) });
  return {
    q: new Float32Array(lq * d),
    qs: new Float32Array(lq * d),
    k: new Float32Array(lk * d),
    v: new Float32Array(lk * d),
    kT: new Float32Array(d * lk),
    probs: new Float32Array(lq * lk),
    acc: new Float64Array(d),
    relAxes: new Float32Array(p.kThw[0] + p.kThw[1] + p.kThw[2]),
    kept: keep ? { q: norm(lq), k: norm(lk), v: norm(lk) } : null,
  };
}

/**
 * Head `hd` of sample `s` from qkv ([N·L, 3D]): q, k, v pooled into scr (q unscaled, as relPos and the
 * residual read it), the probabilities left in scr.probs, and probs·v (+ q) into the head's d columns
 * of out's rows [outRow, outRow + Lq) (leading dimension ldOut).
 */
export function attendMultiscaleHead(qkv: Float32Array, s: number, hd: number, p: MultiscaleAttentionPlan, a: MultiscaleRunAttrs, kern: MultiscaleKernels, scr: HeadScratch, out: Float32Array, outOff: number, ldOut: number): void {
  const { dim, d } = p;
  const l = 1 + prod(p.thw);
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  const base = s * l * 3 * dim + hd * d;
  const kept = scr.kept;
  takeTokens(qkv, base + dim, 3 * dim, p.thw, d, kern.k, a.eps, scr.k, scr.acc, kept?.k ?? null);
  takeTokens(qkv, base + 2 * dim, 3 * dim, p.thw, d, kern.v, a.eps, scr.v, scr.acc, kept?.v ?? null);
  takeTokens(qkv, base, 3 * dim, p.thw, d, kern.q, a.eps, scr.q, scr.acc, kept?.q ?? null);
  const { q, qs, k, kT, probs } = scr;
  // PyTorch: self.scaler * q in float32, then the product
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < lq * d; i++) qs[i] = scale * q[i];
  for (let j = 0; j < lk; j++) for (let e = 0; e < d; e++) kT[e * lk + j] = k[j * d + e];
  gemm(lq, lk, d, qs, 0, d, kT, 0, lk, probs, 0, lk, false);
  if (kern.rel) addRelPos(probs, q, p, kern.rel, scr.relAxes);
  softmaxRows(probs, lq, lk);
  gemm(lq, d, lk, probs, 0, lk, scr.v, 0, d, out, outOff, ldOut, false);
  if (a.residualPool) {
    for (let i = a.residualWithClsEmbed ? 0 : 1; i < lq; i++) for (let e = 0; e < d; e++) out[outOff + i * ldOut + e] += q[i * d + e];
  }
}

/** One head's q, k or v ([1 + T·H·W] rows of d at src[off + row·ld]) into out [·, d]: copied, or through its pool. */
function takeTokens(src: Float32Array, off: number, ld: number, thw: Thw, d: number, pw: PoolWeights | null, eps: number, out: Float32Array, acc: Float64Array, kept: NormKept | null): void {
  if (!pw) {
    const l = 1 + prod(thw);
    for (let t = 0; t < l; t++) for (let e = 0; e < d; e++) out[t * d + e] = src[off + t * ld + e];
    return;
  }
  const [T, H, W] = thw;
  const [kt, kh, kw] = pw.plan.kernel;
  const [st, sh, sw] = pw.plan.stride;
  const [To, Ho, Wo] = pw.plan.out;
  const { taps } = pw;
  for (let e = 0; e < d; e++) out[e] = src[off + e];
  let o = d;
  for (let ot = 0; ot < To; ot++) {
    const t0 = ot * st - (kt >> 1);
    const [a0, a1] = [Math.max(0, -t0), Math.min(kt, T - t0)];
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = oh * sh - (kh >> 1);
      const [b0, b1] = [Math.max(0, -h0), Math.min(kh, H - h0)];
      for (let ow = 0; ow < Wo; ow++, o += d) {
        const w0 = ow * sw - (kw >> 1);
        const [c0, c1] = [Math.max(0, -w0), Math.min(kw, W - w0)];
        acc.fill(0);
        for (let a = a0; a < a1; a++) {
          for (let b = b0; b < b1; b++) {
            const row = off + (1 + ((t0 + a) * H + h0 + b) * W + w0) * ld;
            const tap = (a * kh + b) * kw * d;
            for (let cc = c0; cc < c1; cc++) {
              const i = row + cc * ld;
              const tp = tap + cc * d;
              for (let e = 0; e < d; e++) acc[e] += taps[tp + e] * src[i + e];
            }
          }
        }
        for (let e = 0; e < d; e++) out[o + e] = acc[e];
      }
    }
  }
  // LayerNorm over d of every token, the class token's too
  const rows = 1 + To * Ho * Wo;
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

/** _add_rel_pos on one head's scores [Lq, Lk]: the grid scores gain q·Rh + q·Rw + q·Rt (axes: scratch of Hk + Wk + Tk). */
function addRelPos(sc: Float32Array, q: Float32Array, p: MultiscaleAttentionPlan, r: RelTables, axes: Float32Array): void {
  const { d } = p;
  const [qt, qh, qw] = p.qThw;
  const [kt, kh, kw] = p.kThw;
  const lk = 1 + kt * kh * kw;
  const dot = (table: Float32Array, row: number, at: number) => {
    let acc = 0;
    for (let e = 0; e < d; e++) acc += q[at + e] * table[row * d + e];
    return Math.fround(acc);
  };
  const [relH, relW, relT] = [axes.subarray(0, kh), axes.subarray(kh, kh + kw), axes.subarray(kh + kw, kh + kw + kt)];
  for (let a = 0; a < qt; a++) {
    for (let b = 0; b < qh; b++) {
      for (let c = 0; c < qw; c++) {
        const pos = (a * qh + b) * qw + c;
        const at = (1 + pos) * d;
        for (let j = 0; j < kh; j++) relH[j] = dot(r.h, r.ih[b * kh + j], at);
        for (let j = 0; j < kw; j++) relW[j] = dot(r.w, r.iw[c * kw + j], at);
        for (let j = 0; j < kt; j++) relT[j] = dot(r.t, r.it[a * kt + j], at);
        const row = (1 + pos) * lk;
        for (let jt = 0; jt < kt; jt++) {
          for (let jh = 0; jh < kh; jh++) {
            for (let jw = 0; jw < kw; jw++) sc[row + 1 + (jt * kh + jh) * kw + jw] += Math.fround(Math.fround(relH[jh] + relW[jw]) + relT[jt]);
          }
        }
      }
    }
  }
}
