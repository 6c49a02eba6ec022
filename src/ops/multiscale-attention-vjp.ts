/**
 * multiscaleAttention's input gradient (its OpDef's vjp; the forward in ops/multiscale-attention.ts,
 * the kernels in ops/multiscale-attention-kernels.ts), the weights held constant (the relative tables
 * too: only their effect through q reaches x). With gY = ∂L/∂y [N·Lq, D]:
 *   gA = gY·W_proj                                          (y = a·W_projᵀ + b)
 *   per sample and head, the forward recomputed (attendMultiscaleHead, the probabilities P and the
 *   pools' x̂, 1/σ kept), then with gA_h the head's d columns:
 *   gP = gA_h·vᵀ;  gS = P ⊙ (gP − Σ_row gP ⊙ P)             (softmax)
 *   gq = gS·k/√d  (+ relPos: Σ over the key grid of gS per axis index times that axis's table row,
 *                  q·R_a[i, j] being linear in q)  (+ gA_h: residual pooling, from token 1 without the class token)
 *   gk = gSᵀ·(q/√d),  gv = Pᵀ·gA_h                          (as GEMMs: gkᵀ = (q/√d)ᵀ·gS, gvᵀ = gA_hᵀ·P)
 *   through each pool: LayerNorm's backward, ∂pre = (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂))/σ with ĝ = g ⊙ γ,
 *   the class token's row straight back, the grid's through the depthwise conv's transpose
 *   (each output's gradient times its taps into the inputs the window read); without a pool as is
 *   gX = g(q|k|v)·W_qkv                                     (qkv = x·W_qkvᵀ + b)
 * Checked against PyTorch autograd: test/fixtures/vjp/mvit.json (scripts/vjp_goldens_mvit.py) and
 * the ERF of small MViTs (scripts/erf_goldens_mvit.py). Each head goes a band of query rows at a
 * time (ops/multiscale-attention-kernels.ts SCORE_BAND): P recomputed, gS beside it in the softmax
 * module's memory (the softmax's Jacobian in SIMD there: softmaxVjpBand), ∂q's rows written, ∂kᵀ and
 * ∂vᵀ summed over the bands. Its time against the forward's (bench/mvit-calls.ts, op.vjp and op.run
 * in the same process, interleaved, medians of 5 rounds, 2026-12-06, load 10–12): 2.6× at mvit_v2_s's
 * block 0 (x [1, 25089, 96], 2.69 s / 1.05 s), 2.8× at block 5 ([1, 1569, 384]), 2.6× at block 15
 * ([1, 393, 768]), 2.0× at mvit_v1_b's block 0: over runtime/backward.ts's REVERSE_RATE of 2, so the op
 * states vjpWork, MSA_VJP_RATE (3) times its run's (ops/multiscale-attention.ts).
 */
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { gemm } from './gemm-tiles.js';
import { linearColumns } from './linear.js';
import type { Intermediate, VjpContext } from './types.js';
import { SCORE_BAND, bandProbs, bandRows, headScratch, multiscaleKernels, multiscaleQScale, poolHead, prod } from './multiscale-attention-kernels.js';
import { scoreBand, softmaxVjpBand } from './multiscale-attention-softmax.js';
import type { HeadScratch, MultiscaleAttentionPlan, MultiscaleKernels, MultiscaleRunAttrs, NormKept, PoolWeights, Thw } from './multiscale-attention-kernels.js';

/** What the VJP allocates beside ∂x (OpInferred.vjpIntermediates). */
export function multiscaleVjpIntermediates(p: MultiscaleAttentionPlan): Intermediate[] {
  const { n, dim, d } = p;
  const l = 1 + prod(p.thw);
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  const rows = bandRows(lq, lk);
  return [
    { shape: [n, 2 * l, 3 * dim], what: 'q, k and v before pooling, and their gradients' },
    { shape: [n, lq, dim], what: "the gradient of the heads' outputs" },
    { shape: [2, rows, lk], what: "a band of one head's probabilities and the gradient of its scores (the softmax module's memory)" },
    { shape: [3 * lq + 8 * lk + 3 * rows, d], what: "one head's q, k, v, their gradients, the pools' normalised tokens, kᵀ, vᵀ and the sums of ∂kᵀ and ∂vᵀ, a band's q scaled and the transposes its GEMMs read" },
    { shape: [lq + 2 * lk], what: "the pools' 1/σ per token", bytesPerElement: 8 },
  ];
}

/** headBackward's buffers: ∂q, ∂k, ∂v [·, d]; vᵀ and the sums of ∂kᵀ, ∂vᵀ [d, Lk]; a band's transposes [d, rows]; relPos's sums per axis; gS, the last band's score gradient (a view of the softmax module's memory). */
export interface BackScratch {
  gq: Float32Array;
  gk: Float32Array;
  gv: Float32Array;
  vT: Float32Array;
  gkT: Float32Array;
  gvT: Float32Array;
  aT: Float32Array;
  sums: Float64Array;
  gS: Float32Array;
}

/** headBackward's buffers for one head of the plan (bands of `rows` rows: HeadScratch.rows), allocated once a call and reused across samples and heads. */
export function backScratch(p: MultiscaleAttentionPlan, rows = bandRows(1 + prod(p.qThw), 1 + prod(p.kThw))): BackScratch {
  const { d } = p;
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  return {
    gq: new Float32Array(lq * d),
    gk: new Float32Array(lk * d),
    gv: new Float32Array(lk * d),
    vT: new Float32Array(d * lk),
    gkT: new Float32Array(d * lk),
    gvT: new Float32Array(d * lk),
    aT: new Float32Array(d * rows),
    sums: new Float64Array(p.kThw[0] + p.kThw[1] + p.kThw[2]),
    gS: new Float32Array(0),
  };
}

export function multiscaleAttentionVjp(ctx: VjpContext<MultiscaleRunAttrs, MultiscaleAttentionPlan>, bandFloats = SCORE_BAND): Tensor[] {
  const p = ctx.plan;
  const { n, c, dim, heads, d } = p;
  const x = ctx.inputs[0].data;
  const gx = new Float32Array(x.length);
  const g = ctx.gradOutputs[0]?.data;
  if (!g) return [tensor(ctx.inputs[0].shape, gx)];
  const w = ctx.weights;
  const l = 1 + prod(p.thw);
  const lq = 1 + prod(p.qThw);
  const qkv = new Float32Array(n * l * 3 * dim);
  linearColumns(x, n * l, c, w.qkvWeight.data, w.qkvBias.data, 3 * dim, 0, 3 * dim, qkv);
  const kern = multiscaleKernels(p, w);
  const scr = headScratch(p, true, bandFloats);
  const gAtt = new Float32Array(n * lq * dim);
  gemm(n * lq, dim, dim, g, 0, dim, w['project.0.weight'].data, 0, dim, gAtt, 0, dim, false);
  const gQkv = new Float32Array(n * l * 3 * dim);
  const b = backScratch(p, scr.rows);
  for (let s = 0; s < n; s++) {
    for (let hd = 0; hd < heads; hd++) {
      poolHead(qkv, s, hd, p, ctx.attrs, kern, scr);
      headBackward(gAtt, s * lq * dim + hd * d, p, ctx.attrs, kern, scr, b);
      const base = s * l * 3 * dim + hd * d;
      const kept = scr.kept!;
      poolBackward(b.gq, kern.q, kept.q, p.thw, d, gQkv, base, 3 * dim);
      poolBackward(b.gk, kern.k, kept.k, p.thw, d, gQkv, base + dim, 3 * dim);
      poolBackward(b.gv, kern.v, kept.v, p.thw, d, gQkv, base + 2 * dim, 3 * dim);
    }
  }
  gemm(n * l, c, 3 * dim, gQkv, 0, 3 * dim, w.qkvWeight.data, 0, c, gx, 0, c, false);
  return [tensor(ctx.inputs[0].shape, gx)];
}

/**
 * One head's ∂q, ∂k, ∂v (pooled, [·, d], into b.gq, b.gk, b.gv) from its output gradient
 * gAtt[off + i·D + e], after poolHead (or attendMultiscaleHead) left the pooled q, k, v in scr: band by
 * band of scr.rows query rows, the probabilities P recomputed (bandProbs) and gS beside them in the
 * softmax module's memory, ∂q's rows written, ∂kᵀ and ∂vᵀ summed over the bands.
 */
export function headBackward(gAtt: Float32Array, off: number, p: MultiscaleAttentionPlan, a: MultiscaleRunAttrs, kern: MultiscaleKernels, scr: HeadScratch, b: BackScratch): void {
  const { dim, d } = p;
  const lq = 1 + prod(p.qThw);
  const lk = 1 + prod(p.kThw);
  const { k, v, qs } = scr;
  const { gq, gk, gv, vT, gkT, gvT, aT } = b;
  for (let j = 0; j < lk; j++) for (let e = 0; e < d; e++) vT[e * lk + j] = v[j * d + e];
  // autograd of self.scaler * q: grad times the same float32 scalar
  const scale = multiscaleQScale(d);
  const band = scoreBand(2 * scr.rows * lk);
  const P = band.subarray(0, scr.rows * lk);
  const gS = band.subarray(scr.rows * lk);
  let rows = 0;
  for (let r0 = 0; r0 < lq; r0 += rows) {
    rows = Math.min(scr.rows, lq - r0);
    bandProbs(p, kern, scr, r0, rows, P);
    // gP = gA_h·vᵀ, then the softmax's Jacobian row by row: gS = P ⊙ (gP − Σ_row gP ⊙ P)
    gemm(rows, lk, d, gAtt, off + r0 * dim, dim, vT, 0, lk, gS, 0, lk, false);
    softmaxVjpBand(P, gS, rows, lk);
    // gq = gS·k/√d
    gemm(rows, d, lk, gS, 0, lk, k, 0, d, gq, r0 * d, d, false);
    for (let i = r0 * d; i < (r0 + rows) * d; i++) gq[i] *= scale;
    // gkᵀ += (q/√d)ᵀ·gS
    for (let i = 0; i < rows; i++) for (let e = 0; e < d; e++) aT[e * rows + i] = qs[i * d + e];
    gemm(d, lk, rows, aT, 0, rows, gS, 0, lk, gkT, 0, lk, r0 > 0);
    // gvᵀ += gA_hᵀ·P
    for (let i = 0; i < rows; i++) for (let e = 0; e < d; e++) aT[e * rows + i] = gAtt[off + (r0 + i) * dim + e];
    gemm(d, lk, rows, aT, 0, rows, P, 0, lk, gvT, 0, lk, r0 > 0);
    if (kern.rel) relPosBackward(gS, p, kern, b, r0, rows);
  }
  b.gS = gS.subarray(0, rows * lk);
  for (let j = 0; j < lk; j++) for (let e = 0; e < d; e++) gk[j * d + e] = gkT[e * lk + j];
  for (let j = 0; j < lk; j++) for (let e = 0; e < d; e++) gv[j * d + e] = gvT[e * lk + j];
  if (a.residualPool) {
    for (let i = a.residualWithClsEmbed ? 0 : 1; i < lq; i++) for (let e = 0; e < d; e++) gq[i * d + e] += gAtt[off + i * dim + e];
  }
}

/** _add_rel_pos's part of ∂q for query rows [r0, r0 + rows) (gS their band [rows, Lk]): grid query p gains Σ_a Σ_j (Σ of gS[p] over the key grid at axis index j)·R_a[p_a, j]. */
function relPosBackward(gS: Float32Array, p: MultiscaleAttentionPlan, kern: MultiscaleKernels, b: BackScratch, r0: number, rows: number): void {
  const r = kern.rel!;
  const { d } = p;
  const [, qh, qw] = p.qThw;
  const [kt, kh, kw] = p.kThw;
  const lk = 1 + kt * kh * kw;
  const { sums, gq } = b;
  const [sh, sw, st] = [0, kh, kh + kw];
  const add = (table: Float32Array, idx: Int32Array, at: number, sk: number, i: number, from: number) => {
    for (let j = 0; j < sk; j++) {
      const sj = sums[from + j];
      const row = idx[i * sk + j] * d;
      for (let e = 0; e < d; e++) gq[at + e] += sj * table[row + e];
    }
  };
  for (let i = Math.max(1, r0); i < r0 + rows; i++) {
    const pos = i - 1;
    const wc = pos % qw;
    const hb = Math.floor(pos / qw) % qh;
    const ta = Math.floor(pos / (qw * qh));
    const row = (i - r0) * lk + 1;
    sums.fill(0);
    for (let jt = 0; jt < kt; jt++) {
      for (let jh = 0; jh < kh; jh++) {
        for (let jw = 0; jw < kw; jw++) {
          const gs = gS[row + (jt * kh + jh) * kw + jw];
          sums[sh + jh] += gs;
          sums[sw + jw] += gs;
          sums[st + jt] += gs;
        }
      }
    }
    const at = i * d;
    add(r.h, r.ih, at, kh, hb, sh);
    add(r.w, r.iw, at, kw, wc, sw);
    add(r.t, r.it, at, kt, ta, st);
  }
}

/**
 * ∂L/∂(one head's q, k or v before its pool) added into dst[off + row·ld + e] from g ([·, d], the
 * pooled tokens' gradient, overwritten): through the LayerNorm and the depthwise conv's transpose, or as is without a pool.
 */
function poolBackward(g: Float32Array, pw: PoolWeights | null, kept: NormKept, thw: Thw, d: number, dst: Float32Array, off: number, ld: number): void {
  if (!pw) {
    const l = 1 + prod(thw);
    for (let t = 0; t < l; t++) for (let e = 0; e < d; e++) dst[off + t * ld + e] += g[t * d + e];
    return;
  }
  const [T, H, W] = thw;
  const [kt, kh, kw] = pw.plan.kernel;
  const [st, sh, sw] = pw.plan.stride;
  const [To, Ho, Wo] = pw.plan.out;
  const { taps, gamma } = pw;
  const { xhat, inv } = kept;
  for (let t = 0; t < 1 + To * Ho * Wo; t++) {
    const r = t * d;
    let m1 = 0;
    let m2 = 0;
    for (let e = 0; e < d; e++) {
      const gh = g[r + e] * gamma[e];
      m1 += gh;
      m2 += gh * xhat[r + e];
    }
    m1 /= d;
    m2 /= d;
    for (let e = 0; e < d; e++) g[r + e] = inv[t] * (g[r + e] * gamma[e] - m1 - xhat[r + e] * m2);
  }
  // the class token passes around the conv
  for (let e = 0; e < d; e++) dst[off + e] += g[e];
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
        for (let a = a0; a < a1; a++) {
          for (let b = b0; b < b1; b++) {
            const row = off + (1 + ((t0 + a) * H + h0 + b) * W + w0) * ld;
            const tap = (a * kh + b) * kw * d;
            for (let cc = c0; cc < c1; cc++) {
              const i = row + cc * ld;
              const tp = tap + cc * d;
              for (let e = 0; e < d; e++) dst[i + e] += taps[tp + e] * g[o + e];
            }
          }
        }
      }
    }
  }
}
