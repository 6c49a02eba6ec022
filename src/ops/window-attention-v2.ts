/**
 * shiftedWindowAttentionV2: Swin V2's (shifted) window multi-head self-attention over a channels-last
 * map [N, H, W, C]: cosine attention with a learned per-head logit scale, and a continuous position
 * bias (CPB) computed by a small MLP from the window's relative coordinates.
 * PyTorch: torchvision.models.swin_transformer.ShiftedWindowAttentionV2(dim=C, window_size, shift_size,
 * num_heads, qkv_bias, proj_bias) (torchvision 0.14: swin_v2_t/s/b), whose forward is
 * `shifted_window_attention` with `logit_scale`. Attributes as shiftedWindowAttention's; padding to a
 * window multiple, the shift dropped along an axis the window covers, the cyclic roll, the window
 * partition and the −100 shift mask are window-attention.ts's steps 1–5. Per window and head (d = C/h):
 *   q, k, v = x·W_qkvᵀ + b_qkv                  W_qkv [3C, C]; the k third of b_qkv read as 0 (PyTorch
 *                                               zeroes a copy of it at every forward: a value given there has no effect)
 *   scores  = (q/‖q‖)·(k/‖k‖)ᵀ·exp(min(s_h, ln 100)) + B[h] (+ M)   s = logit_scale [h, 1, 1]; ‖·‖ over the
 *                                               head's d, at least 1e-12 (F.normalize)
 *   a       = softmax(scores)·v;  y = concat(heads)·W_projᵀ + b_proj
 * The bias: over the R = (2wh − 1)(2ww − 1) offsets (Δy, Δx), Δy from −(wh − 1) to wh − 1 (rows), then Δx,
 *   table[r] = sign(u)·log2(|u| + 1)/3 per axis, u = 8·Δ/(w − 1)     (buffer relative_coords_table [1, 2wh − 1, 2ww − 1, 2])
 *   cpb      = ReLU(table·W₀ᵀ + b₀)·W₂ᵀ                              (cpb_mlp.0 [512, 2] + bias [512]; cpb_mlp.2 [h, 512], no bias)
 *   B[h][p, q] = 16·sigmoid(cpb[index[p, q], h])                     (index: v1's relative_position_index)
 * Weights are named so torchvision's state_dict binds as is (graph/given-weights.ts): qkvWeight, qkvBias,
 * projWeight, projBias (attn.qkv.weight …), logitScale, relativeCoordsTable, relativePositionIndex
 * (snake_case), and the MLP's roles are its keys themselves: cpb_mlp.0.weight, cpb_mlp.0.bias, cpb_mlp.2.weight.
 *
 *   params  = 4C² (+ 3C qkv bias, + C proj bias) + h (logit_scale) + 512·2 + 512 + 512·h (cpb_mlp)
 *   buffers = 2R (relative_coords_table, float32) + T² (relative_position_index, int64): both are fixed
 *             by the window, so the kernel derives them; a given index must equal PyTorch's
 *   MACs    = tokens·(4·C² + 2·T·C) + R·512·(2 + h)      tokens = N·pH·pW (padded), as v1's, plus the CPB
 *             MLP's two matrix products, counted once per forward (not per image or window): PyTorch runs
 *             the MLP once on the table, torchvision_truth.py's ATen count sees its two mm's of R rows, and
 *             torchvision's published GFLOPS include it (swin_v2_t at 256: 5,921,028,096 without it, 5.92 G;
 *             + 12 blocks' 225·512·(2 + h) = 18,662,400 → 5,939,690,496, the published 5.94)
 *   exact   = v1's + R·512·(2·2 − 1) + R·h·(2·512 − 1)
 *   bias    = tokens·3C (qkv bias: F.linear adds its zeroed k third too) + tokens·C (proj bias) + R·512 (b₀)
 *   element-wise = 2·tokens·(3C + 2h) (q and k normalised: a square, a sum and a divide per element, a
 *             norm's sqrt and clamp per head vector) + S·h·T²·(1 + 1 + 5) (the logit scale, the bias, the
 *             softmax's 5) + S·h·T² (mask, only with a shift) + 2h (clamp, exp of the scale)
 *             + R·512 (ReLU) + R·h·5 (sigmoid's 4, the ×16)
 * Receptive field: shiftedWindowAttention's (the same windows and mask).
 * Initialisation as the module's own: qkv, proj and cpb_mlp nn.Linear (U(±1/√fan_in)); logit_scale log 10.
 * Input gradient (vjp, weights held constant, the logit scale and the bias B then constants): per
 * window the forward is recomputed and attention-kernels.ts's attendBackward applied with the scores
 * read as (q̂·k̂ᵀ)·s_h, q̂ = q/n_q, so ∂q̂ = gS·k̂·s_h and ∂k̂ = gSᵀ·q̂·s_h; then back through F.normalize,
 *   ∂q = (∂q̂ − q̂·(q̂·∂q̂))/n_q   when n_q = ‖q‖ > 1e-12,   ∂q̂/1e-12 when the norm is clamped (autograd's:
 *   clamp_min passes no gradient to the norm there), and the same for k;
 * the zeroed k bias is a constant. Padded tokens' gradients are dropped (a padded token with no qkv
 * bias has q = k = 0 and a gradient of ∂q̂·10¹², as PyTorch's, but only into itself), and the rolls
 * only move gradients back. Checked against PyTorch autograd (scripts/goldens_swin_v2.py).
 */
import type { Intermediate, OpDef, RunContext, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { gemm } from './gemm-tiles.js';
import { linearColumns } from './linear.js';
import { attendBackward, attentionIntermediates, attentionVjpIntermediates, attentionWeights, chunkRows, softmaxRows } from './attention-kernels.js';
import { ShiftedWindowAttentionAttrs, gatherTokens, refuseRelativePositionIndex, relativePositionIndex, shiftedWindowAttention, windowVjp, windows } from './window-attention.js';
import type { TokenWindow, WindowPlan } from './window-attention.js';

/** cpb_mlp's hidden width (torchvision's nn.Linear(2, 512)). */
export const CPB_HIDDEN = 512;
const LOG_100 = Math.log(100);
const NORM_EPS = 1e-12;
const MASK = -100;

/**
 * The shape [1, 2wh − 1, 2ww − 1, width] of a tensor over the window's relative offsets, as PyTorch
 * holds it: the relative_coords_table buffer (width 2) and what cpb_mlp's modules make of it (512,
 * then h). The one place it is derived: innerModuleOutputs and conventions/window-attention-v2.ts
 * cpbModules read it.
 */
export function cpbTableShape(win: readonly [number, number], width: number): number[] {
  return [1, 2 * win[0] - 1, 2 * win[1] - 1, width];
}

/** PyTorch's relative_coords_table [2wh − 1, 2ww − 1, 2], in float32 step by step as torch computes it. */
export function relativeCoordsTable(wh: number, ww: number): Float32Array {
  const f = Math.fround;
  // torch: (Δ / (w − 1)) · 8, then sign(u)·log2(|u| + 1) / 3 (a window of 1: 0/0, NaN, as PyTorch)
  const axis = (delta: number, w: number) => {
    const u = f(f(delta / (w - 1)) * 8);
    return f(f(Math.sign(u) * f(Math.log2(f(Math.abs(u) + 1)))) / 3);
  };
  const out = new Float32Array((2 * wh - 1) * (2 * ww - 1) * 2);
  let i = 0;
  for (let dy = -(wh - 1); dy <= wh - 1; dy++) {
    for (let dx = -(ww - 1); dx <= ww - 1; dx++) {
      out[i++] = axis(dy, wh);
      out[i++] = axis(dx, ww);
    }
  }
  return out;
}

export const shiftedWindowAttentionV2: OpDef<ShiftedWindowAttentionAttrs, WindowPlan> = {
  name: 'shiftedWindowAttentionV2',
  summary: "Swin V2's (shifted) window multi-head cosine attention with a learned logit scale and a continuous position bias (an MLP), over a channels-last [N, H, W, C] map",
  pytorch: 'torchvision.models.swin_transformer.ShiftedWindowAttentionV2',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  channelsLast: true,
  tokenWidth: (plan) => plan.c,
  // cpb_mlp = Linear(2, 512) → ReLU → Linear(512, h), called as modules on the [1, 2wh−1, 2ww−1, 2] table
  innerModuleOutputs: (plan) => [CPB_HIDDEN, plan.heads].map((width) => cpbTableShape(plan.win, width)),
  attrs: ShiftedWindowAttentionAttrs,
  attrsFromWeights: shiftedWindowAttention.attrsFromWeights,
  infer(ctx) {
    // the same input checks, padding, shift rule and windows as v1 (its plan); weights and cost are V2's
    const { plan, cost: v1 } = shiftedWindowAttention.infer(ctx);
    const { c, heads, win, t, s, masked } = plan;
    const a = ctx.attrs;
    const tokens = s * t;
    const rows = (2 * win[0] - 1) * (2 * win[1] - 1);
    const scores = s * heads * t * t;
    const linearInit = { kind: 'fanIn', fanIn: c } as const;
    const weights: WeightSpec[] = [{ name: 'qkvWeight', shape: [3 * c, c], trainable: true, init: linearInit }];
    if (a.qkvBias) weights.push({ name: 'qkvBias', shape: [3 * c], trainable: true, init: linearInit });
    weights.push({ name: 'projWeight', shape: [c, c], trainable: true, init: linearInit });
    if (a.projBias) weights.push({ name: 'projBias', shape: [c], trainable: true, init: linearInit });
    weights.push(
      { name: 'logitScale', shape: [heads, 1, 1], trainable: true, init: { kind: 'constant', value: Math.log(10) } },
      { name: 'cpb_mlp.0.weight', shape: [CPB_HIDDEN, 2], trainable: true, init: { kind: 'fanIn', fanIn: 2 } },
      { name: 'cpb_mlp.0.bias', shape: [CPB_HIDDEN], trainable: true, init: { kind: 'fanIn', fanIn: 2 } },
      { name: 'cpb_mlp.2.weight', shape: [heads, CPB_HIDDEN], trainable: true, init: { kind: 'fanIn', fanIn: CPB_HIDDEN } },
      // buffers fixed by the window; zeros stand for "derive it" (the seeded stand-in of a buffer nobody gave)
      { name: 'relativeCoordsTable', shape: cpbTableShape(win, 2), trainable: false, init: { kind: 'constant', value: 0 } },
      { name: 'relativePositionIndex', shape: [t * t], trainable: false, init: { kind: 'constant', value: 0 }, dtype: 'int64' },
    );
    const cpbMacs = rows * CPB_HIDDEN * (2 + heads);
    return {
      outputs: [[...ctx.inputs[0]]],
      weights,
      cost: {
        macs: v1.macs + cpbMacs,
        exactMacOps: v1.exactMacOps + rows * CPB_HIDDEN * 3 + rows * heads * (2 * CPB_HIDDEN - 1),
        biasOps: v1.biasOps + rows * CPB_HIDDEN,
        elementwise: 2 * tokens * (3 * c + 2 * heads) + 7 * scores + (masked ? scores : 0) + 2 * heads + rows * CPB_HIDDEN + 5 * rows * heads,
      },
      plan,
      intermediates: [...attentionIntermediates({ c, t, s, heads }), ...kernelIntermediates(plan, rows, a.qkvBias)],
      // the VJP derives the bias once too (kernelsOf), and keeps a window's norms of q and k
      vjpIntermediates: [
        ...attentionVjpIntermediates({ c, t, heads }),
        ...kernelIntermediates(plan, rows, a.qkvBias),
        { shape: [2 * heads, t], what: `the norms of a window's q and k per head (2 × ${heads} × ${t})`, bytesPerElement: 8 },
      ],
    };
  },
  receptiveField: (ctx) => shiftedWindowAttention.receptiveField(ctx),
  refuseGivenWeight: refuseRelativePositionIndex,
  run(ctx) {
    const { c, t, s, heads } = ctx.plan;
    const x = ctx.inputs[0].data;
    const y = new Float32Array(x.length);
    const k = kernelsOf(ctx);
    const max = chunkRows(t, s);
    const tok = new Float32Array(max * c);
    const qkv = new Float32Array(max * 3 * c);
    const att = new Float32Array(max * c);
    const out = new Float32Array(max * c);
    const scratch = { kT: new Float32Array((c / heads) * t), sc: new Float32Array(t * t) };
    let chunk: TokenWindow[] = [];
    const flush = () => {
      const rows = chunk.length * t;
      chunk.forEach((src, i) => gatherTokens(x, src, c, tok, i * t));
      linearColumns(tok, rows, c, k.qkvWeight, k.qkvBias, 3 * c, 0, 3 * c, qkv);
      chunk.forEach((src, i) => {
        for (let hd = 0; hd < heads; hd++) cosineHead(qkv, i * t, ctx.plan, k, hd, src.labels, scratch, att);
      });
      linearColumns(att, rows, c, k.projWeight, k.projBias, c, 0, c, out);
      chunk.forEach((src, i) => {
        for (let p = 0; p < t; p++) if (src.at[p] >= 0) y.set(out.subarray((i * t + p) * c, (i * t + p + 1) * c), src.at[p]);
      });
      chunk = [];
    };
    for (const src of windows(ctx.plan)) {
      chunk.push(src);
      if (chunk.length * t === max) flush();
    }
    if (chunk.length > 0) flush();
    return [tensor(ctx.outputs[0], y)];
  },
  vjp: (ctx) =>
    windowVjp(ctx, () => {
      const { c, t, heads } = ctx.plan;
      const k = kernelsOf(ctx);
      const w = attentionWeights(k.qkvWeight, k.projWeight, k.qkvBias, k.projBias);
      const norms = new Float64Array(2 * heads * t);
      return (src, { tok, gOut, gTok, f, b }) => {
        linearColumns(tok, t, c, k.qkvWeight, k.qkvBias, 3 * c, 0, 3 * c, f.qkv);
        // each head's probabilities kept, q and k left normalised in f.qkv
        for (let hd = 0; hd < heads; hd++) cosineHead(f.qkv, 0, ctx.plan, k, hd, src.labels, { kT: f.kT, sc: f.probs[hd], norms }, f.att);
        attendBackward(gOut, w, ctx.plan, f, b, gTok, { logitScale: k.scale, toProjection: (gQkv) => normaliseBackward(f.qkv, gQkv, norms, ctx.plan) });
      };
    }),
  vjpReads: () => ({ inputs: true, outputs: false }),
};

/** What kernelsOf allocates (forward and VJP alike): the bias per head, the CPB MLP's rows, the qkv bias with its k third zeroed. */
function kernelIntermediates({ c, t, heads }: WindowPlan, rows: number, qkvBias: boolean): Intermediate[] {
  return [
    { shape: [heads, t, t], what: `the continuous position bias of each head (${heads} × ${t} × ${t})` },
    { shape: [rows, CPB_HIDDEN + heads + 2], what: `the position-bias MLP's input, hidden layer and output over the ${rows} relative offsets` },
    ...(qkvBias ? [{ shape: [3 * c], what: 'the qkv bias with its k third zeroed' }] : []),
  ];
}

interface V2Kernels {
  qkvWeight: Float32Array;
  /** b_qkv with its k third zeroed, as PyTorch's forward reads it */
  qkvBias?: Float32Array;
  projWeight: Float32Array;
  projBias?: Float32Array;
  /** exp(min(logit_scale, ln 100)) per head */
  scale: Float64Array;
  /** 16·sigmoid(cpb) looked up per head as t×t planes */
  bias: Float32Array;
}

function kernelsOf(ctx: RunContext<ShiftedWindowAttentionAttrs, WindowPlan>): V2Kernels {
  const { c, t, heads, win } = ctx.plan;
  const wt = ctx.weights;
  // a given relativePositionIndex was checked before the run (refuseGivenWeight): the window's is used
  const index = relativePositionIndex(win[0], win[1]);
  const given = wt.relativeCoordsTable?.data;
  const table = given && given.some((v) => v !== 0) ? given : relativeCoordsTable(win[0], win[1]);
  const rows = table.length / 2;
  const hidden = new Float32Array(rows * CPB_HIDDEN);
  linearColumns(table, rows, 2, wt['cpb_mlp.0.weight'].data, wt['cpb_mlp.0.bias'].data, CPB_HIDDEN, 0, CPB_HIDDEN, hidden);
  for (let i = 0; i < hidden.length; i++) if (!(hidden[i] > 0) && !Number.isNaN(hidden[i])) hidden[i] = 0;
  const cpb = new Float32Array(rows * heads);
  linearColumns(hidden, rows, CPB_HIDDEN, wt['cpb_mlp.2.weight'].data, undefined, heads, 0, heads, cpb);
  const bias = new Float32Array(heads * t * t);
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < t * t; i++) bias[hd * t * t + i] = 16 / (1 + Math.exp(-cpb[index[i] * heads + hd]));
  }
  const logit = wt.logitScale.data;
  // torch.clamp(max=ln 100) passes NaN through
  const scale = Float64Array.from({ length: heads }, (_, hd) => Math.fround(Math.exp(logit[hd] > LOG_100 ? Math.fround(LOG_100) : logit[hd])));
  let qkvBias = wt.qkvBias?.data;
  if (qkvBias) {
    qkvBias = Float32Array.from(qkvBias);
    qkvBias.fill(0, c, 2 * c);
  }
  return { qkvWeight: wt.qkvWeight.data, qkvBias, projWeight: wt.projWeight.data, projBias: wt.projBias?.data, scale, bias };
}

/**
 * Head `hd` of the window whose q|k|v are rows [row, row + t) of qkv ([·, 3C]): its q and k normalised
 * in place, the scaled cosine scores plus the bias (and mask), softmax (left in f.sc), times v into its
 * d columns of att. With f.norms (the VJP's, one window: row 0), token p's max(‖q‖, 1e-12) is kept at
 * norms[2·(hd·t + p)], its k's next to it.
 */
function cosineHead(qkv: Float32Array, row: number, plan: WindowPlan, k: V2Kernels, hd: number, labels: Int32Array, f: { kT: Float32Array; sc: Float32Array; norms?: Float64Array }, att: Float32Array): void {
  const { c, t, heads, masked } = plan;
  const d = c / heads;
  const { kT, sc } = f;
  const first = row * 3 * c;
  const [qOff, kOff, vOff] = [first + hd * d, first + c + hd * d, first + 2 * c + hd * d];
  for (let p = 0; p < t; p++) {
    const nq = normalise(qkv, qOff + p * 3 * c, d);
    const nk = normalise(qkv, kOff + p * 3 * c, d);
    if (f.norms) {
      f.norms[2 * (hd * t + p)] = nq;
      f.norms[2 * (hd * t + p) + 1] = nk;
    }
    for (let e = 0; e < d; e++) kT[e * t + p] = qkv[kOff + p * 3 * c + e];
  }
  gemm(t, t, d, qkv, qOff, 3 * c, kT, 0, t, sc, 0, t, false);
  const scale = k.scale[hd];
  const off = hd * t * t;
  for (let i = 0; i < t * t; i++) sc[i] = Math.fround(sc[i] * scale) + k.bias[off + i];
  if (masked) for (let p = 0; p < t; p++) for (let q = 0; q < t; q++) if (labels[p] !== labels[q]) sc[p * t + q] += MASK;
  softmaxRows(sc, t, t);
  gemm(t, d, t, sc, 0, t, qkv, vOff, 3 * c, att, row * c + hd * d, c, false);
}

/** x[at, at + d) divided by n = max(‖x‖₂, 1e-12), as F.normalize; returns n. */
function normalise(x: Float32Array, at: number, d: number): number {
  let ss = 0;
  for (let e = 0; e < d; e++) ss += x[at + e] * x[at + e];
  const n = Math.max(Math.sqrt(ss), NORM_EPS);
  for (let e = 0; e < d; e++) x[at + e] /= n;
  return n;
}

/**
 * ∂L/∂q̂ and ∂L/∂k̂ of one window (gQkv's q and k thirds, [t, 3C]) into ∂L/∂q and ∂L/∂k in place, q̂ = q/n
 * (qkv holds q̂, k̂; norms as cosineHead keeps them): (∂q̂ − q̂·(q̂·∂q̂))/n, or ∂q̂/n where n was clamped to 1e-12.
 */
function normaliseBackward(qkv: Float32Array, gQkv: Float32Array, norms: Float64Array, plan: WindowPlan): void {
  const { c, t, heads } = plan;
  const d = c / heads;
  for (let hd = 0; hd < heads; hd++) {
    for (let p = 0; p < t; p++) {
      for (let j = 0; j < 2; j++) {
        const at = p * 3 * c + j * c + hd * d;
        const n = norms[2 * (hd * t + p) + j];
        let dot = 0;
        if (n > NORM_EPS) for (let e = 0; e < d; e++) dot += qkv[at + e] * gQkv[at + e];
        for (let e = 0; e < d; e++) gQkv[at + e] = (gQkv[at + e] - qkv[at + e] * dot) / n;
      }
    }
  }
}
