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
 *   element-wise = tokens·C (q divided by the float32 √d, as PyTorch does) + 5·S·h·T² (softmax: max,
 *   subtract, exp, sum, divide per score)
 * The two activation-by-activation products (q·kᵀ and attn·v) are MACs, as torchvision's published
 * GFLOPS for ViT, Swin and MaxViT count them (fvcore's bmm/matmul handles).
 * Example: ViT-B/16's encoder block at 224 (197 tokens, C = 768, h = 12): 197·(4·768² + 2·197·768)
 * = 524,391,936 MACs.
 *
 * Receptive field: every output unit of global attention reads every position, so the field is
 * global; with windows, a unit reads exactly the wh×ww window that holds it, anywhere from w − 1
 * units before it to w − 1 after it. It is reported as the box of step 1 that holds every unit's
 * window, (2·wh − 1) × (2·ww − 1) centred on the unit, with an ATTENTION_RECEPTIVE_FIELD note that
 * says so (as shiftedWindowAttention's).
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
import { tensor } from '../tensor/tensor.js';
import { attend, attendBackward, attendSequences, attentionIntermediates, chunkRows, attentionVjpIntermediates, attentionWeights, backwardScratch } from './attention-kernels.js';
import type { AttentionWeights, SequenceTokens } from './attention-kernels.js';

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
  channelsLast: true,
  tokenWidth: (plan) => plan.c,
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
      // and the token offsets of a chunk's sequences (sequences below: t int32 each, 4 bytes as a float32's)
      intermediates: [...attentionIntermediates({ c, t, s, heads: h }, a.window === undefined ? 'inputs' : undefined), { shape: [chunkRows(t, s)], what: "the offsets of a chunk's tokens in the input" }],
      vjpIntermediates: attentionVjpIntermediates({ c, t, heads: h }),
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
    // a unit's window lies anywhere from w − 1 before it to w − 1 after it: the box of step 1 holding
    // every unit's spans 2(w − 1), centred on the unit (a w-wide one left out up to w − 1 of its window:
    // window 3 put unit 0 at [−1, 1], which reads 0 … 2). The windows cut dims 2 (H) and 3 (W)
    const read = (d: number) => (d === SPATIAL_START ? win[0] : d === SPATIAL_START + 1 ? win[1] : 0);
    if (rf.dims.some((d) => read(d) === 0)) return globalOver(rf, ctx.inputs[0]);
    const span = win.map((k) => 2 * k - 1);
    ctx.warn({
      code: 'ATTENTION_RECEPTIVE_FIELD',
      severity: 'info',
      message: `layer '${ctx.layer}': windowed self-attention: each output unit reads exactly the ${win[0]}×${win[1]} window that holds it, not a window centred on the unit; the field is reported as the ${span[0]}×${span[1]} box of step 1 centred on the unit, which holds the window of every unit`,
      window: [...win],
    });
    return { global: false, dims: rf.dims, axes: rf.axes.map((ax, k) => resample(ax, 1, 2 * (read(rf.dims[k]) - 1), 0)) };
  },
  run(ctx) {
    const { c } = ctx.plan;
    const x = ctx.inputs[0].data;
    const y = new Float32Array(x.length);
    const io: SequenceTokens<{ base: Int32Array; stride: number }> = {
      each: () => sequences(ctx.plan),
      gather: ({ base, stride }, tok, row) => {
        for (let p = 0; p < base.length; p++) for (let ch = 0; ch < c; ch++) tok[(row + p) * c + ch] = x[base[p] + ch * stride];
      },
      scatter: ({ base, stride }, out, row) => {
        for (let p = 0; p < base.length; p++) for (let ch = 0; ch < c; ch++) y[base[p] + ch * stride] = out[(row + p) * c + ch];
      },
    };
    attendSequences(io, ctx.plan, weightsOf(ctx), ctx.teamLinear, ctx.teamHeads);
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

function weightsOf(ctx: { plan: AttentionPlan; weights: Record<string, { data: Float32Array }> }): AttentionWeights {
  const w = ctx.weights;
  return attentionWeights(w.inProjWeight.data, w.outProjWeight.data, w.inProjBias?.data, w.outProjBias?.data);
}

/**
 * Every sequence's tokens (a fresh `base` each): element (p, ch) of a sequence is x[base[p] + ch·stride]. A window
 * (by, bx) holds map positions (by·wh + p / ww, bx·ww + p % ww); NCHW channels are H·W apart,
 * [N, L, C] tokens' channels adjacent.
 */
function* sequences(plan: AttentionPlan): Generator<{ base: Int32Array; stride: number }> {
  const { n, c, hw, win, t } = plan;
  const [H, W] = hw ?? [t, 1];
  const [wh, ww] = win;
  const windowsX = hw ? W / ww : 1;
  const perImage = hw ? (H / wh) * windowsX : 1;
  for (let b = 0; b < n; b++) {
    for (let wi = 0; wi < perImage; wi++) {
      const base = new Int32Array(t);
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
