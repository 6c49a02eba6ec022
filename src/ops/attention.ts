/**
 * multiHeadAttention: multi-head self-attention over a feature map's positions (ViT, BoTNet and
 * Swin-style hybrids written as specs), or over a token sequence.
 * PyTorch: torch.nn.MultiheadAttention(embed_dim=C, num_heads=h, bias, batch_first=True) applied as
 * mha(t, t, t, need_weights=False) to t = x.flatten(2).transpose(1, 2) (N×L×C tokens, L = H·W, row
 * major), the result transposed back to N×C×H×W. A [N, L, C] input is the token sequence itself.
 * With `window` [wh, ww] the map is cut into (H/wh)·(W/ww) windows of T = wh·ww tokens (Swin's
 * window partition, without shift or relative-position bias), each attended on its own with the
 * same weights; without it every sequence is the whole map (T = L).
 *
 *   S sequences of T tokens (S·T = N·H·W = tokens), d = C/h per head:
 *   q, k, v = t·Wqᵀ + bq, t·Wkᵀ + bk, t·Wvᵀ + bv        W_in = [Wq; Wk; Wv] is [3C, C]
 *   head i: a = softmax(q_i·k_iᵀ / √d)·v_i               (T×d)·(d×T), then (T×T)·(T×d)
 *   y = concat(heads)·Woᵀ + bo
 *   params = 3C² + C² (+ 3C + C biases) = 4·C² + 4·C      (nn.MultiheadAttention's in_proj, out_proj)
 *   MACs   = tokens·3C·C      QKV projection
 *          + S·h·T·T·d       q·kᵀ   = tokens·T·C
 *          + S·h·T·d·T       attn·v = tokens·T·C
 *          + tokens·C·C      output projection
 *          = tokens·(4·C² + 2·T·C)
 *   exact  = tokens·3C·(2C − 1) + S·h·T²·(2d − 1) + S·h·T·d·(2T − 1) + tokens·C·(2C − 1)
 *   bias   = tokens·4C (one add per projected element) when bias
 *   element-wise = tokens·C (q scaled by 1/√d, as PyTorch does) + 5·S·h·T² (softmax: max,
 *   subtract, exp, sum, divide per score)
 * The two activation-by-activation products (q·kᵀ and attn·v) are MACs, as torchvision's published
 * GFLOPS for ViT, Swin and MaxViT count them (fvcore's bmm/matmul handles).
 * Example: ViT-B/16's encoder block at 224 (197 tokens, C = 768, h = 12): 197·(4·768² + 2·197·768)
 * = 524,391,936 MACs.
 *
 * Receptive field: every output unit of global attention reads every position, so the field is
 * global; with windows, a unit reads exactly the wh×ww window that holds it. That field is not
 * centred on the unit, so it is reported as a window of size (wh, ww) and step 1 centred on the
 * unit, with an ATTENTION_RECEPTIVE_FIELD note that says so.
 *
 * Initialisation as PyTorch's: in_proj xavier_uniform_ on [3C, C], bound √(6/(C + 3C)) =
 * 1/√(2C/3), i.e. the fan-in rule with fan_in = 2C/3; out_proj.weight kaiming_uniform_(a = √5),
 * fan_in C; both biases 0.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { Pair, posInt } from './geometry.js';
import { NCHW_RANK, SPATIAL_START } from './common.js';
import { globalOver, globalRF, resample } from './receptive-field.js';
import type { OpDef, WeightSpec } from './types.js';
import { gemm } from './gemm-tiles.js';
import { tensor } from '../tensor/tensor.js';
import { linearColumns } from './linear.js';

export const MultiHeadAttentionAttrs = z.strictObject({
  numHeads: posInt.describe('attention heads h; they split the C channels into h heads of C/h'),
  embedDim: posInt.optional(),
  bias: z.boolean().default(true),
  window: Pair.optional(),
});
export type MultiHeadAttentionAttrs = z.infer<typeof MultiHeadAttentionAttrs>;

export interface AttentionPlan {
  n: number;
  c: number;
  heads: number;
  /** spatial [H, W] of an NCHW input; null for [N, L, C] tokens */
  hw: [number, number] | null;
  /** window [wh, ww], or the whole map */
  win: [number, number];
  /** tokens per sequence T and sequences S */
  t: number;
  s: number;
}

const pair = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export const multiHeadAttention: OpDef<MultiHeadAttentionAttrs, AttentionPlan> = {
  name: 'multiHeadAttention',
  summary: 'Multi-head self-attention over the positions of a feature map (or over windows of it), or over [N, L, C] tokens',
  pytorch: 'torch.nn.MultiheadAttention',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  attrs: MultiHeadAttentionAttrs,
  attrsFromWeights(weights, attrs) {
    const w = weights.inProjWeight;
    if (!w || w.length !== 2) return attrs;
    return { embedDim: w[1], bias: weights.inProjBias !== undefined, ...attrs };
  },
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    if (x.length !== NCHW_RANK && x.length !== 3) {
      ctx.fail('RANK_MISMATCH', `input must be a feature map (N, C, H, W) or tokens (N, L, C), got shape ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    }
    const spatial = x.length === NCHW_RANK;
    const n = x[0];
    const c = spatial ? x[1] : x[2];
    if (a.embedDim !== undefined && a.embedDim !== c) {
      ctx.fail('CHANNEL_MISMATCH', `embedDim=${a.embedDim} but the input ${fmtShape(x)} has ${c} ${spatial ? 'channels' : 'features'}`, 'embedDim', { shapes: { input: x } });
    }
    if (c % a.numHeads !== 0) ctx.fail('INVALID_ATTRIBUTE', `numHeads=${a.numHeads} does not divide embedDim ${c}`, 'numHeads');
    const hw: [number, number] | null = spatial ? [x[2], x[3]] : null;
    let win: [number, number] = hw ?? [x[1], 1];
    if (a.window !== undefined) {
      if (!hw) return ctx.fail('INVALID_ATTRIBUTE', `window needs a feature map (N, C, H, W); the input ${fmtShape(x)} is a token sequence`, 'window');
      win = pair(a.window);
      if (hw[0] % win[0] !== 0 || hw[1] % win[1] !== 0) {
        ctx.fail('INVALID_ATTRIBUTE', `window ${fmtShape(win)} does not tile the ${hw[0]}×${hw[1]} map (pad the map to a multiple of the window first, as Swin does)`, 'window', {
          shapes: { input: x },
        });
      }
    }
    const t = win[0] * win[1];
    const tokens = spatial ? n * x[2] * x[3] : n * x[1];
    const s = tokens / t;
    const h = a.numHeads;
    const d = c / h;
    const weights: WeightSpec[] = [{ name: 'inProjWeight', shape: [3 * c, c], trainable: true, init: { kind: 'fanIn', fanIn: (2 * c) / 3 } }];
    if (a.bias) weights.push({ name: 'inProjBias', shape: [3 * c], trainable: true, init: { kind: 'constant', value: 0 } });
    weights.push({ name: 'outProjWeight', shape: [c, c], trainable: true, init: { kind: 'fanIn', fanIn: c } });
    if (a.bias) weights.push({ name: 'outProjBias', shape: [c], trainable: true, init: { kind: 'constant', value: 0 } });
    const scores = s * h * t * t;
    return {
      outputs: [[...x]],
      weights,
      cost: {
        macs: tokens * (4 * c * c + 2 * t * c),
        exactMacOps: tokens * 3 * c * (2 * c - 1) + scores * (2 * d - 1) + s * h * t * d * (2 * t - 1) + tokens * c * (2 * c - 1),
        biasOps: a.bias ? tokens * 4 * c : 0,
        elementwise: tokens * c + 5 * scores,
      },
      plan: { n, c, heads: h, hw, win, t, s },
    };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    const { hw, win } = ctx.plan;
    if (!rf || rf.global) return rf;
    // a token sequence (N, T, C): every token reads every token, and the projections mix C
    if (!hw) return globalOver(rf, ctx.inputs[0]);
    if (win[0] === hw[0] && win[1] === hw[1]) {
      ctx.warn({
        code: 'ATTENTION_RECEPTIVE_FIELD',
        severity: 'info',
        message: `layer '${ctx.layer}': global self-attention over the ${hw[0]}×${hw[1]} map: every output unit reads every position, so the receptive field is global`,
        window: null,
      });
      return globalRF(rf, ctx.inputs[0].slice(SPATIAL_START));
    }
    ctx.warn({
      code: 'ATTENTION_RECEPTIVE_FIELD',
      severity: 'info',
      message: `layer '${ctx.layer}': windowed self-attention: each output unit reads exactly the ${win[0]}×${win[1]} window that holds it (not a window centred on the unit); the field is reported as a ${win[0]}×${win[1]} window of step 1`,
      window: [...win],
    });
    return { global: false, dims: rf.dims, axes: rf.axes.map((ax, i) => resample(ax, 1, win[i] - 1, 0)) };
  },
  run(ctx) {
    const { c, t } = ctx.plan;
    const x = ctx.inputs[0].data;
    const y = new Float32Array(x.length);
    const w = weightsOf(ctx);
    const tok = new Float32Array(t * c);
    const out = new Float32Array(t * c);
    const f = forwardBuffers(ctx.plan);
    for (const { base, stride } of sequences(ctx.plan)) {
      for (let p = 0; p < t; p++) for (let ch = 0; ch < c; ch++) tok[p * c + ch] = x[base[p] + ch * stride];
      attend(tok, w, ctx.plan, f, out);
      for (let p = 0; p < t; p++) for (let ch = 0; ch < c; ch++) y[base[p] + ch * stride] = out[p * c + ch];
    }
    return [tensor(ctx.outputs[0], y)];
  },
  /**
   * ∂L/∂x, weights held constant, by the chain rule through each sequence (recomputing its
   * forward, then attendBackward).
   */
  vjp(ctx) {
    const { c, t } = ctx.plan;
    const x = ctx.inputs[0].data;
    const g = ctx.gradOutputs[0]?.data;
    const gx = new Float32Array(x.length);
    if (!g) return [tensor(ctx.inputs[0].shape, gx)];
    const w = weightsOf(ctx);
    const { tok, out, gOut, gTok, f, b } = backwardScratch(ctx.plan);
    for (const { base, stride } of sequences(ctx.plan)) {
      for (let p = 0; p < t; p++) {
        for (let ch = 0; ch < c; ch++) {
          tok[p * c + ch] = x[base[p] + ch * stride];
          gOut[p * c + ch] = g[base[p] + ch * stride];
        }
      }
      attend(tok, w, ctx.plan, f, out);
      attendBackward(gOut, w, ctx.plan, f, b, gTok);
      for (let p = 0; p < t; p++) for (let ch = 0; ch < c; ch++) gx[base[p] + ch * stride] += gTok[p * c + ch];
    }
    return [tensor(ctx.inputs[0].shape, gx)];
  },
};

/** What the shared kernels need of a plan: channels C, tokens per sequence T, heads h (d = C/h). */
export interface HeadsShape {
  c: number;
  t: number;
  heads: number;
}

export interface AttentionWeights {
  /**
   * PyTorch's W_in [3C, C] and W_o [C, C], as every GEMM reads them: the forward's projections
   * are linear layers on them (ops/linear.ts linearColumns: Wᵀ's panels read from W's rows), so no
   * run transposes them (ViT-B/16: 11 ms a block, 135 ms a forward, before)
   */
  inRaw: Float32Array;
  outRaw: Float32Array;
  bIn?: Float32Array;
  bOut?: Float32Array;
}

function weightsOf(ctx: { plan: AttentionPlan; weights: Record<string, { data: Float32Array }> }): AttentionWeights {
  const w = ctx.weights;
  return attentionWeights(w.inProjWeight.data, w.outProjWeight.data, w.inProjBias?.data, w.outProjBias?.data);
}

/** The projections as the kernels use them: PyTorch's [3C, C] input and [C, C] output weights and biases. */
export function attentionWeights(inRaw: Float32Array, outRaw: Float32Array, bIn?: Float32Array, bOut?: Float32Array): AttentionWeights {
  return { inRaw, outRaw, bIn, bOut };
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
 * Every sequence's tokens: element (p, ch) of a sequence is x[base[p] + ch·stride]. A window
 * (by, bx) holds map positions (by·wh + p / ww, bx·ww + p % ww); NCHW channels are H·W apart,
 * [N, L, C] tokens' channels adjacent.
 */
function* sequences(plan: AttentionPlan): Generator<{ base: Int32Array; stride: number }> {
  const { n, c, hw, win, t } = plan;
  const [H, W] = hw ?? [t, 1];
  const [wh, ww] = win;
  const windowsX = hw ? W / ww : 1;
  const perImage = hw ? (H / wh) * windowsX : 1;
  const base = new Int32Array(t);
  for (let b = 0; b < n; b++) {
    for (let wi = 0; wi < perImage; wi++) {
      const y0 = Math.floor(wi / windowsX) * wh;
      const x0 = (wi % windowsX) * ww;
      for (let p = 0; p < t; p++) {
        const pos = (y0 + Math.floor(p / ww)) * W + x0 + (p % ww);
        base[p] = b * H * W * c + (hw ? pos : pos * c);
      }
      yield { base, stride: hw ? H * W : 1 };
    }
  }
}

/**
 * One sequence: tokens [t, C] → out [t, C] (with the output bias); q|k|v and the probabilities left
 * in f. `addScores(head, scores)` adds to the t×t scores of a head before the softmax (Swin's
 * relative-position bias and shift mask).
 */
export function attend(tok: Float32Array, w: AttentionWeights, plan: HeadsShape, f: ForwardBuffers, out: Float32Array, addScores?: (head: number, scores: Float32Array) => void): void {
  const { c, t, heads } = plan;
  const d = c / heads;
  const { qkv, kT, att } = f;
  const scale = 1 / Math.sqrt(d);
  linearColumns(tok, t, c, w.inRaw, w.bIn, 3 * c, 0, 3 * c, qkv);
  for (let hd = 0; hd < heads; hd++) {
    const sc = f.probs[Math.min(hd, f.probs.length - 1)];
    const [qOff, kOff, vOff] = [hd * d, c + hd * d, 2 * c + hd * d];
    // PyTorch scales q before the product
    for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) qkv[p * 3 * c + qOff + e] *= scale;
    for (let p = 0; p < t; p++) for (let e = 0; e < d; e++) kT[e * t + p] = qkv[p * 3 * c + kOff + e];
    gemm(t, t, d, qkv, qOff, 3 * c, kT, 0, t, sc, 0, t, false);
    addScores?.(hd, sc);
    for (let p = 0; p < t; p++) {
      const row = p * t;
      let max = -Infinity;
      for (let q = 0; q < t; q++) if (sc[row + q] > max) max = sc[row + q];
      let sum = 0;
      for (let q = 0; q < t; q++) {
        const e = Math.exp(sc[row + q] - max);
        sc[row + q] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let q = 0; q < t; q++) sc[row + q] *= inv;
    }
    gemm(t, d, t, sc, 0, t, qkv, vOff, 3 * c, att, hd * d, c, false);
  }
  linearColumns(att, t, c, w.outRaw, w.bOut, c, 0, c, out);
}


export interface BackwardBuffers {
  gAtt: Float32Array;
  gQkv: Float32Array;
  gP: Float32Array;
}

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
 * ∂L/∂tokens of one sequence, weights held constant, after `attend` left its q|k|v and every
 * head's probabilities P in f (forwardBuffers(…, true)): gA = gY·W_o; per head gP = gA_h·v_hᵀ,
 * gv_h = Pᵀ·gA_h, gS = P ⊙ (gP − Σ_row gP ⊙ P), gq_h = gS·k_h/√d, gk_h = gSᵀ·q_h (q scaled);
 * gX = [gq | gk | gv]·W_in. Constants added to the scores (a bias, a mask) do not change it.
 */
export function attendBackward(gOut: Float32Array, w: AttentionWeights, plan: HeadsShape, f: ForwardBuffers, b: BackwardBuffers, gTok: Float32Array): void {
  const { c, t, heads } = plan;
  const d = c / heads;
  const { gAtt, gQkv, gP } = b;
  const scale = 1 / Math.sqrt(d);
  // gA = gY·W_o (W_o is [C, C], y = a·W_oᵀ)
  gemm(t, c, c, gOut, 0, c, w.outRaw, 0, c, gAtt, 0, c, false);
  gQkv.fill(0);
  for (let hd = 0; hd < heads; hd++) {
    const P = f.probs[hd];
    const [qOff, kOff, vOff] = [hd * d, c + hd * d, 2 * c + hd * d];
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
          // gv[q] += P[p, q]·gA[p]; gq[p] += gS[p, q]·k[q]/√d; gk[q] += gS[p, q]·q_scaled[p]
          gQkv[q * 3 * c + vOff + e] += pa * gAtt[p * c + hd * d + e];
          gQkv[p * 3 * c + qOff + e] += gs * f.qkv[q * 3 * c + kOff + e] * scale;
          gQkv[q * 3 * c + kOff + e] += gs * f.qkv[p * 3 * c + qOff + e];
        }
      }
    }
  }
  // gX = gQKV·W_in (W_in is [3C, C], qkv = x·W_inᵀ)
  gemm(t, c, 3 * c, gQkv, 0, 3 * c, w.inRaw, 0, c, gTok, 0, c, false);
}
