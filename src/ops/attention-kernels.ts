/**
 * The kernels multi-head attention ops share (ops/attention.ts, ops/window-attention.ts): one
 * sequence's forward and backward (the VJPs), and the forward over every sequence of a layer with
 * its projections batched (attendSequences).
 *
 *   qkv = tokens·W_inᵀ + b_in             [S·T, 3C]   a linear layer on PyTorch's [3C, C]
 *   per sequence and head: a = softmax(q·kᵀ/√d)·v  (q scaled first, as PyTorch: divided by the
 *                                                    float32 √d, or times the op's qScale)
 *   y = a·W_oᵀ + b_o                      [S·T, C]    a linear layer on [C, C]
 */
import { gemm } from './gemm-tiles.js';
import { linearColumns } from './linear.js';
import type { Intermediate, TeamHeads, TeamLinear } from './types.js';

/** What the shared kernels need of a plan: channels C, tokens per sequence T, heads h (d = C/h). */
export interface HeadsShape {
  c: number;
  t: number;
  heads: number;
  /**
   * What q is multiplied by before q·kᵀ (and ∂q after gS·k), where the op's PyTorch module
   * multiplies q by a Python float: PyTorch takes the scalar as float32, so this is the float32
   * value (torchvision's shifted_window_attention, q * (C // num_heads) ** -0.5). Absent: q is
   * divided by the float32 √d (mhaQDivisor), as nn.MultiheadAttention.
   */
  qScale?: number;
}

/**
 * What nn.MultiheadAttention divides q by: torch 1.13's F.multi_head_attention_forward computes
 * `q / math.sqrt(E)`, a float32 tensor over a Python float, which PyTorch takes as float32: each
 * value fl(q / fl32(√d)) (torch 1.13: equal to numpy's float32 q / float32(√d) at every d from 8
 * to 192 tried; the double 1/√d times q, rounded, gives other bits for 40 of 192 N(0, 1) values at
 * d = 48: test/ops/attention-q-scale.test.ts). Its autograd divides ∂q the same way (DivBackward:
 * grad / other). torch's inference fast path (torch._native_multi_head_attention: eval, no grad, an
 * even number of heads, batch_first self-attention) multiplies by fl32(1/fl32(√d)) instead (its
 * _transform_bias_rescale_qkv): not modelled here; the same bits at d = 16 and 64, an ulp apart
 * elsewhere (77 of those 192 values).
 */
export const mhaQDivisor = (d: number): number => Math.fround(Math.sqrt(d));

export interface AttentionWeights {
  /**
   * PyTorch's W_in [3C, C] and W_o [C, C], as every GEMM reads them: the forward's projections
   * are linear layers on them (ops/linear.ts linearColumns: Wᵀ's panels read from W's rows), so no
   * run transposes them (ViT-B/16: 11 ms a block, 135 ms a forward, before)
   */
  inProj: Float32Array;
  outProj: Float32Array;
  bIn?: Float32Array;
  bOut?: Float32Array;
}


/** The projections as the kernels use them: PyTorch's [3C, C] input and [C, C] output weights and biases. */
export function attentionWeights(inProj: Float32Array, outProj: Float32Array, bIn?: Float32Array, bOut?: Float32Array): AttentionWeights {
  return { inProj, outProj, bIn, bOut };
}

export interface ForwardBuffers {
  qkv: Float32Array;
  kT: Float32Array;
  att: Float32Array;
  /** one t×t buffer per head when the backward pass needs the probabilities, else one reused */
  probs: Float32Array[];
}

export function forwardBuffers(p: HeadsShape, keepProbs = false): ForwardBuffers {
  const { t, c, heads } = p;
  const d = c / heads;
  const probs = Array.from({ length: keepProbs ? heads : 1 }, () => new Float32Array(t * t));
  return { qkv: new Float32Array(t * 3 * c), kT: new Float32Array(d * t), att: new Float32Array(t * c), probs };
}


/**
 * One sequence: tokens [t, C] → out [t, C] (with the output bias); q|k|v and the probabilities left
 * in f (the VJPs read them). `addScores(head, scores)` adds to the t×t scores of a head before the
 * softmax (Swin's relative-position bias and shift mask).
 */
export function attend(tok: Float32Array, w: AttentionWeights, plan: HeadsShape, f: ForwardBuffers, out: Float32Array, addScores?: (head: number, scores: Float32Array) => void): void {
  const { c, t } = plan;
  linearColumns(tok, t, c, w.inProj, w.bIn, 3 * c, 0, 3 * c, f.qkv);
  attendHeads(f.qkv, 0, plan, f, f.att, addScores);
  linearColumns(f.att, t, c, w.outProj, w.bOut, c, 0, c, out);
}

/**
 * The heads of one sequence whose q|k|v are rows [row, row + t) of `qkv` ([·, 3C]: q scaled here,
 * in place): each head's softmax(q·kᵀ/√d)·v into its d columns of rows [row, row + t) of `att`
 * ([·, C]). Scratch from f: kT, and the scores in probs (one per head when kept).
 */
export function attendHeads(qkv: Float32Array, row: number, plan: HeadsShape, f: Pick<ForwardBuffers, 'kT' | 'probs'>, att: Float32Array, addScores?: (head: number, scores: Float32Array) => void): void {
  for (let hd = 0; hd < plan.heads; hd++) attendHead(qkv, row, plan, f, att, hd, addScores);
}

/**
 * Head `hd` of attendHeads: its q scaled in place, softmax(q·kᵀ/√d)·v into its d columns of `att`.
 * It reads and writes only its own columns, so heads can be computed apart (a team's bands:
 * runtime/team-kernels.ts) with the same bits.
 */
export function attendHead(qkv: Float32Array, row: number, plan: HeadsShape, f: Pick<ForwardBuffers, 'kT' | 'probs'>, att: Float32Array, hd: number, addScores?: (head: number, scores: Float32Array) => void): void {
  const { c, t, heads } = plan;
  const d = c / heads;
  const { kT } = f;
  const first = row * 3 * c;
  const sc = f.probs[Math.min(hd, f.probs.length - 1)];
  const [qOff, kOff, vOff] = [first + hd * d, first + c + hd * d, first + 2 * c + hd * d];
  // PyTorch scales q before the product: times the op's float32 scale, or over the float32 √d
  // (a double quotient of two float32 values rounded once to float32 is the float32 quotient)
  if (plan.qScale !== undefined) {
    const scale = plan.qScale;
    for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) qkv[p * 3 * c + qOff + e] *= scale;
  } else {
    const divisor = mhaQDivisor(d);
    for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) qkv[p * 3 * c + qOff + e] /= divisor;
  }
  for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) kT[e * t + p] = qkv[p * 3 * c + kOff + e];
  gemm(t, t, d, qkv, qOff, 3 * c, kT, 0, t, sc, 0, t, false);
  addScores?.(hd, sc);
  softmaxRows(sc, t, t);
  gemm(t, d, t, sc, 0, t, qkv, vOff, 3 * c, att, row * c + hd * d, c, false);
}

/** How an op lays out its sequences' tokens, for attendSequences. */
export interface SequenceTokens<S> {
  /** Every sequence, in order, each a fresh object (a chunk holds several). */
  each(): Iterable<S>;
  /** Sequence s's t tokens into rows [row, row + t) of tok ([·, C]). */
  gather(s: S, tok: Float32Array, row: number): void;
  /** Rows [row, row + t) of out ([·, C]) back into the op's output, as sequence s's tokens. */
  scatter(s: S, out: Float32Array, row: number): void;
  /** Added to head `head`'s t×t scores of sequence s before the softmax. */
  addScores?(s: S, head: number, scores: Float32Array): void;
}

/**
 * Tokens a chunk of sequences holds at most (at least one sequence): its projections' operands are
 * 6 × tokens × C floats (tokens, q|k|v, the heads' output, the output), so a large map is done in
 * parts of bounded memory, each projection still one GEMM wide enough to split.
 */
export const CHUNK_TOKENS = 4096;

/**
 * What attendSequences allocates beside the output, for OpInferred.intermediates (held to the
 * tensor limit, counted in a run's peak): one t × t buffer of a head's scores and one of its keys
 * transposed, C/h × t (both reused across heads and sequences), and a chunk's tokens, their q|k|v,
 * the heads' outputs and the output projection before it is scattered back (rows × 6C, rows = the
 * sequences a chunk holds × t: `tok`, `qkv`, `att` and `out`, all alive at the chunk's end; the
 * projection was left out, and kᵀ, until the memory fuzz measured them: 13,312 bytes a run held
 * beyond its charge at [1, 8, 16, 16]). A sequence of 16,384 tokens makes a 1 GiB score buffer
 * from a 128 KiB input. `tokensFrom` 'inputs': a sequence is the whole input (no window
 * attribute), so its shape alone sizes the scores (Intermediate.sizedBy).
 */
/** Tokens in attendSequences' first (largest) chunk: whole sequences of t, up to CHUNK_TOKENS, at least one. */
export const chunkRows = (t: number, s: number): number => Math.min(s, Math.max(1, Math.floor(CHUNK_TOKENS / t))) * t;

export function attentionIntermediates({ c, t, s, heads }: HeadsShape & { s: number }, tokensFrom?: 'inputs'): Intermediate[] {
  const rows = chunkRows(t, s);
  return [
    { shape: [t, t], what: `the scores of one sequence's head (${t} × ${t} tokens)`, ...(tokensFrom && { sizedBy: tokensFrom }) },
    { shape: [rows, 6 * c], what: `a chunk of ${rows} tokens with their q|k|v, attention outputs and output projection` },
    { shape: [c / heads, t], what: `a head's keys transposed (${c / heads} × ${t})` },
  ];
}

/**
 * The forward over every sequence: a chunk's tokens gathered one after another, its QKV projection
 * as one linear layer over all of them, each sequence's heads (attendHeads), then the output
 * projection as one linear layer, scattered back. A projection goes to `teamLinear` (the run's
 * team of threads, RunContext.teamLinear), else linearColumns here: the same bits either way; so do
 * a sequence's heads when no scores are added (a ViT layer's) to `teamHeads`, one job a sequence
 * (it declines small ones: windows). From
 * 8 rows an output's sums do not depend on how many rows the chunk has; a chunk under 8 rows (a
 * lone short sequence, the last few of T < 8 tokens) takes linearColumns' gemv, whose sums are
 * grouped otherwise: within float32 rounding of the others.
 */
export function attendSequences<S>(io: SequenceTokens<S>, plan: HeadsShape, w: AttentionWeights, teamLinear?: TeamLinear, teamHeads?: TeamHeads): void {
  const { c, t } = plan;
  const per = Math.max(1, Math.floor(CHUNK_TOKENS / t));
  // a head's kᵀ and scores, made when a sequence's heads run here: one the team takes has its members' own (runtime/team-kernels.ts)
  let scratch: { kT: Float32Array; probs: Float32Array[] } | null = null;
  let tok: Float32Array | null = null;
  let att: Float32Array | null = null;
  const project = (x: Float32Array, rows: number, weight: Float32Array, bias: Float32Array | undefined, co: number): Float32Array => {
    const team = teamLinear?.(x, rows, c, weight, bias, co);
    if (team) return team;
    const y = new Float32Array(rows * co);
    linearColumns(x, rows, c, weight, bias, co, 0, co, y);
    return y;
  };
  const run = (chunk: S[]) => {
    const rows = chunk.length * t;
    // sized by the first chunk, the largest (a ViT's one sequence: t rows, not CHUNK_TOKENS)
    tok ??= new Float32Array(rows * c);
    att ??= new Float32Array(rows * c);
    const x = tok.subarray(0, rows * c);
    chunk.forEach((s, i) => io.gather(s, x, i * t));
    const qkv = project(x, rows, w.inProj, w.bIn, 3 * c);
    const heads = att.subarray(0, rows * c);
    chunk.forEach((s, i) => {
      // a long sequence without added scores (a ViT's): its heads across the team when it takes them
      const team = io.addScores ? null : teamHeads?.(qkv.subarray(i * t * 3 * c, (i + 1) * t * 3 * c), t, c, plan.heads);
      if (team) heads.set(team, i * t * c);
      else attendHeads(qkv, i * t, plan, (scratch ??= { kT: new Float32Array((c / plan.heads) * t), probs: [new Float32Array(t * t)] }), heads, io.addScores && ((hd, sc) => io.addScores!(s, hd, sc)));
    });
    const out = project(heads, rows, w.outProj, w.bOut, c);
    chunk.forEach((s, i) => io.scatter(s, out, i * t));
  };
  let chunk: S[] = [];
  for (const s of io.each()) {
    chunk.push(s);
    if (chunk.length === per) {
      run(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) run(chunk);
}

export interface BackwardBuffers {
  gAtt: Float32Array;
  gQkv: Float32Array;
  gP: Float32Array;
}

/**
 * What backwardScratch allocates, for OpInferred.vjpIntermediates (asked with a gradient's memory):
 * each head's t × t probabilities kept for attendBackward, the gradient of a head's scores (t × t),
 * and a sequence's rows: its tokens, outputs and their gradients (4C), q|k|v and their gradients
 * (6C), the attention outputs and their gradient (2C), and one head's keys transposed (C / heads).
 */
export function attentionVjpIntermediates({ c, t, heads }: HeadsShape & { c: number; t: number }): Intermediate[] {
  return [
    { shape: [heads, t, t], what: `each head's probabilities, kept for the reverse pass (${heads} × ${t} × ${t})` },
    { shape: [t, t], what: `the gradient of one head's scores (${t} × ${t})` },
    { shape: [t, 12 * c + c / heads], what: `a sequence's ${t} tokens with their q|k|v, outputs and gradients` },
  ];
}

export type BackwardScratch = ReturnType<typeof backwardScratch>;

/** One sequence's buffers for a VJP (the forward recomputed, then attendBackward), allocated once per call. */
export function backwardScratch(p: HeadsShape & { c: number; t: number }) {
  const n = p.t * p.c;
  return { tok: new Float32Array(n), out: new Float32Array(n), gOut: new Float32Array(n), gTok: new Float32Array(n), f: forwardBuffers(p, true), b: backwardBuffers(p) };
}

export function backwardBuffers(p: HeadsShape): BackwardBuffers {
  const { t, c } = p;
  return { gAtt: new Float32Array(t * c), gQkv: new Float32Array(t * 3 * c), gP: new Float32Array(t * t) };
}

/**
 * How attendBackward reads a head's scores. By default PyTorch's scaled dot product, (q/√d)·kᵀ with
 * q stored scaled (attendHead): ∂q = (gS·k) / fl32(√d), or (gS·k)·qScale; with `logitScale`, Swin V2's cosine attention, (q·kᵀ)·s_h with q and
 * k as f.qkv holds them (normalised: window-attention-v2.ts), s_h one per head.
 */
export interface BackwardScores {
  logitScale?: ArrayLike<number>;
  /**
   * Maps ∂L/∂(q|k|v as f.qkv holds them), [t, 3C], in place to ∂L/∂(q|k|v as the input projection
   * made them) before ∂L/∂tokens is taken (Swin V2: back through the normalisation of q and k).
   */
  toProjection?: (gQkv: Float32Array) => void;
}

/**
 * ∂L/∂tokens of one sequence, weights held constant, after `attend` left its q|k|v and every
 * head's probabilities P in f (forwardBuffers(…, true)): gA = gY·W_o; per head gP = gA_h·v_hᵀ,
 * gv_h = Pᵀ·gA_h, gS = P ⊙ (gP − Σ_row gP ⊙ P), gq_h = (gS·k_h)/fl32(√d) (or ·qScale), gk_h = gSᵀ·q_h (q scaled);
 * with a logit scale s_h (BackwardScores), gq_h = gS·k_h·s_h and gk_h = gSᵀ·q_h·s_h;
 * gX = [gq | gk | gv]·W_in. Constants added to the scores (a bias, a mask) do not change it.
 */
export function attendBackward(gOut: Float32Array, w: AttentionWeights, plan: HeadsShape, f: ForwardBuffers, b: BackwardBuffers, gTok: Float32Array, scores: BackwardScores = {}): void {
  const { c, t, heads } = plan;
  const d = c / heads;
  const { gAtt, gQkv, gP } = b;
  // gA = gY·W_o (W_o is [C, C], y = a·W_oᵀ)
  gemm(t, c, c, gOut, 0, c, w.outProj, 0, c, gAtt, 0, c, false);
  gQkv.fill(0);
  for (let hd = 0; hd < heads; hd++) {
    const P = f.probs[hd];
    const [qOff, kOff, vOff] = [hd * d, c + hd * d, 2 * c + hd * d];
    // ∂scores/∂q = k·qScale, ∂scores/∂k = q·kScale, q and k as stored; MultiheadAttention's ∂q is
    // gS·k divided by the float32 √d once summed, as PyTorch's DivBackward (qDivisor)
    const qDivisor = scores.logitScale || plan.qScale !== undefined ? 0 : mhaQDivisor(d);
    const qScale = scores.logitScale ? scores.logitScale[hd] : (plan.qScale ?? 1);
    const kScale = scores.logitScale ? scores.logitScale[hd] : 1;
    for (let p = 0; p < t; p++) {
      // gP[p, q] = Σ_e gA[p, e]·v[q, e]; then the softmax's Jacobian row by row
      let dot = 0;
      for (let q = 0; q < t; q++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += gAtt[p * c + hd * d + e] * f.qkv[q * 3 * c + vOff + e];
        gP[p * t + q] = s;
        dot += s * P[p * t + q];
      }
      for (let q = 0; q < t; q++) gP[p * t + q] = P[p * t + q] * (gP[p * t + q] - dot);
    }
    for (let p = 0; p < t; p++) {
      for (let q = 0; q < t; q++) {
        const pa = P[p * t + q];
        const gs = gP[p * t + q];
        for (let e = 0; e < d; e++) {
          // gv[q] += P[p, q]·gA[p]; gq[p] += gS[p, q]·k[q]·qScale; gk[q] += gS[p, q]·q[p]·kScale
          gQkv[q * 3 * c + vOff + e] += pa * gAtt[p * c + hd * d + e];
          gQkv[p * 3 * c + qOff + e] += gs * f.qkv[q * 3 * c + kOff + e] * qScale;
          gQkv[q * 3 * c + kOff + e] += gs * f.qkv[p * 3 * c + qOff + e] * kScale;
        }
      }
    }
    if (qDivisor) for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) gQkv[p * 3 * c + qOff + e] /= qDivisor;
  }
  scores.toProjection?.(gQkv);
  // gX = gQKV·W_in (W_in is [3C, C], qkv = x·W_inᵀ)
  gemm(t, c, 3 * c, gQkv, 0, 3 * c, w.inProj, 0, c, gTok, 0, c, false);
}

/** Softmax of each of `rows` rows of `cols` scores in place (the row's maximum subtracted first, as PyTorch's softmax). */
export function softmaxRows(sc: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) if (sc[r + j] > m) m = sc[r + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(sc[r + j] - m);
      sc[r + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) sc[r + j] *= inv;
  }
}
