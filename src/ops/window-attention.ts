/**
 * shiftedWindowAttention: Swin's (shifted) window multi-head self-attention with a learned
 * relative-position bias, over a channels-last map [N, H, W, C].
 * PyTorch: torchvision.models.swin_transformer.ShiftedWindowAttention(dim=C, window_size, shift_size,
 * num_heads, qkv_bias, proj_bias) (v1), whose forward is `shifted_window_attention`; attributes
 * `window` and `shift` (as multiHeadAttention names its window), qkvBias, projBias, numHeads:
 *   1. pad the map at the bottom and right with zeros to pH×pW, multiples of the window [wh, ww];
 *   2. a shift along an axis whose window covers the padded map (wh ≥ pH, ww ≥ pW) is set to 0;
 *   3. with a shift, roll the map by (−sh, −sw) (cyclic), so windows straddle the previous
 *      layer's window borders;
 *   4. cut it into S = N·(pH/wh)·(pW/ww) windows of T = wh·ww tokens; per window and head (d = C/h)
 *        q, k, v = x·W_qkvᵀ + b_qkv                        W_qkv [3C, C]
 *        scores  = (q/√d)·kᵀ + B[h] (+ M)                  B: relative-position bias, M: shift mask
 *        a       = softmax(scores)·v;  y = concat(heads)·W_projᵀ + b_proj
 *      B[h][p, q] = table[index[p, q], h], table [(2wh − 1)(2ww − 1), h] learned, index[p, q] =
 *      (py − qy + wh − 1)·(2ww − 1) + (px − qx + ww − 1) for window positions p, q (PyTorch's buffer
 *      relative_position_index). M (only when a shift is left): the rolled map is labelled by
 *      regions, rows [0, pH − wh) | [pH − wh, pH − sh) | [pH − sh, pH) (one region when sh = 0) times
 *      the same in columns; M[p, q] = −100 where p and q lie in different regions (tokens the roll
 *      brought together from opposite borders), else 0. A shift of a window or more runs as
 *      torchvision's: its slices (0, −w), (−w, −s), (−s, None) label a row by the last that holds it,
 *      so from pH − sh on it is region 2 and before it 0 (the middle one empty); the roll is mod pH;
 *   5. put the windows back, roll by (+sh, +sw), crop the padding.
 *   Padded tokens are zeros before the qkv projection: they take part (k = b_k, v = b_v), unmasked,
 *   as in PyTorch, and their outputs are cropped.
 *
 *   params = 3C² + C² (+ 3C qkv bias, + C proj bias) + (2wh − 1)(2ww − 1)·h
 *   buffers = T² (relative_position_index: PyTorch's int64 buffer; its values are a function of the
 *            window alone, so the kernel derives them, and a given buffer must equal them)
 *   MACs   = tokens·(4·C² + 2·T·C), tokens = N·pH·pW (padded), as PyTorch's matrix products run:
 *            qkv tokens·3C·C, q·kᵀ S·h·T·T·d, attn·v S·h·T·d·T, proj tokens·C·C
 *   exact  = tokens·3C·(2C − 1) + S·h·T²·(2d − 1) + S·h·T·d·(2T − 1) + tokens·C·(2C − 1)
 *   bias   = tokens·3C (qkv bias) + tokens·C (proj bias)
 *   element-wise = tokens·C (q scaled by 1/√d) + S·h·T² (bias added) + S·h·T² (mask added, only
 *            with a shift) + 5·S·h·T² (softmax: max, subtract, exp, sum, divide per score);
 *            padding, rolls, the partition and the table lookup move data: 0 FLOPs.
 * Example: swin_t's first block (56×56×96, window 7, h = 3): 3136·(4·96² + 2·49·96) = 145,108,992 MACs.
 *
 * Receptive field: a unit reads the tokens of the window that holds it in the (shifted) window
 * grid, and with a shift only those of its own region (the others get −100 before the softmax, a
 * weight below e⁻¹⁰⁰, not exactly 0): at most wh×ww positions, not centred on the unit, anywhere
 * from w − 1 before it to w − 1 after it. It is reported as the box of step 1 that holds every
 * unit's window, (2·min(wh, H) − 1) × (2·min(ww, W) − 1) centred on the unit, with an
 * ATTENTION_RECEPTIVE_FIELD note; when one window covers the padded map the field is global.
 *
 * Initialisation as the module's own: qkv and proj nn.Linear (weights and biases U(±1/√C)); the
 * table's trunc_normal_(std 0.02) as a uniform of the same standard deviation, U(±0.02·√3).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { Pair, nonNegInt, pairOf, posInt } from './geometry.js';
import { globalRF, resample } from './receptive-field.js';
import type { AxisRF, OpDef, VjpContext, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { attend, attendBackward, attendSequences, attentionIntermediates, attentionVjpIntermediates, attentionWeights, backwardScratch } from './attention-kernels.js';
import type { AttentionWeights, BackwardScratch, SequenceTokens } from './attention-kernels.js';

export const ShiftedWindowAttentionAttrs = z.strictObject({
  numHeads: posInt.describe('attention heads h; they split the C channels into h heads of C/h'),
  window: Pair.describe('window [wh, ww] (torchvision window_size; Swin: 7), named as multiHeadAttention names it'),
  shift: pairOf(nonNegInt).default(0),
  qkvBias: z.boolean().default(true),
  projBias: z.boolean().default(true),
  embedDim: posInt.optional(),
});
export type ShiftedWindowAttentionAttrs = z.infer<typeof ShiftedWindowAttentionAttrs>;

/** q's scale, as torchvision's q = q * (C // num_heads) ** -0.5 applies it: a Python float taken as float32. */
export const windowQScale = (d: number): number => Math.fround(d ** -0.5);

export interface WindowPlan {
  n: number;
  h: number;
  w: number;
  c: number;
  heads: number;
  win: [number, number];
  /** the shift left after PyTorch's rule (0 along an axis the window covers) */
  shift: [number, number];
  /** float32 (C / heads)^−½, q's scale (attention-kernels.ts HeadsShape.qScale) */
  qScale: number;
  /** padded map */
  ph: number;
  pw: number;
  /** tokens per window T and windows S (over the batch) */
  t: number;
  s: number;
  masked: boolean;
}

const pair = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const TABLE_STD = 0.02;

/** PyTorch's relative_position_index: [T·T] row-major over (p, q). */
export function relativePositionIndex(wh: number, ww: number): Int32Array {
  const t = wh * ww;
  const idx = new Int32Array(t * t);
  for (let p = 0; p < t; p++) {
    for (let q = 0; q < t; q++) {
      const dy = Math.floor(p / ww) - Math.floor(q / ww) + wh - 1;
      const dx = (p % ww) - (q % ww) + ww - 1;
      idx[p * t + q] = dy * (2 * ww - 1) + dx;
    }
  }
  return idx;
}

export const shiftedWindowAttention: OpDef<ShiftedWindowAttentionAttrs, WindowPlan> = {
  name: 'shiftedWindowAttention',
  summary: "Swin's (shifted) window multi-head self-attention with a relative-position bias, over a channels-last [N, H, W, C] map",
  pytorch: 'torchvision.models.swin_transformer.ShiftedWindowAttention',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  channelsLast: true,
  tokenWidth: (plan) => plan.c,
  attrs: ShiftedWindowAttentionAttrs,
  attrsFromWeights(weights, attrs) {
    const w = weights.qkvWeight;
    if (!w || w.length !== 2) return attrs;
    return { embedDim: w[1], qkvBias: weights.qkvBias !== undefined, projBias: weights.projBias !== undefined, ...attrs };
  },
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    if (x.length !== 4) ctx.fail('RANK_MISMATCH', `input must be a channels-last map (N, H, W, C), as Swin's blocks carry it, got shape ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const [n, h, w, c] = x;
    if (a.embedDim !== undefined && a.embedDim !== c) ctx.fail('CHANNEL_MISMATCH', `embedDim=${a.embedDim} but the input ${fmtShape(x)} has ${c} channels (last dim)`, 'embedDim', { shapes: { input: x } });
    if (c % a.numHeads !== 0) ctx.fail('INVALID_ATTRIBUTE', `numHeads=${a.numHeads} does not divide embedDim ${c}`, 'numHeads');
    const win = pair(a.window);
    const asked = pair(a.shift);
    const ph = Math.ceil(h / win[0]) * win[0];
    const pw = Math.ceil(w / win[1]) * win[1];
    const shift: [number, number] = [win[0] >= ph ? 0 : asked[0], win[1] >= pw ? 0 : asked[1]];
    const t = win[0] * win[1];
    const tokens = n * ph * pw;
    const s = tokens / t;
    const heads = a.numHeads;
    const d = c / heads;
    const masked = shift[0] + shift[1] > 0;
    const rows = (2 * win[0] - 1) * (2 * win[1] - 1);
    const linearInit = { kind: 'fanIn', fanIn: c } as const;
    const weights: WeightSpec[] = [{ name: 'qkvWeight', shape: [3 * c, c], trainable: true, init: linearInit }];
    if (a.qkvBias) weights.push({ name: 'qkvBias', shape: [3 * c], trainable: true, init: linearInit });
    weights.push({ name: 'projWeight', shape: [c, c], trainable: true, init: linearInit });
    if (a.projBias) weights.push({ name: 'projBias', shape: [c], trainable: true, init: linearInit });
    // U(±a) has std a/√3: a = 0.02·√3, i.e. fan_in = 1/a²
    weights.push({ name: 'relativePositionBiasTable', shape: [rows, heads], trainable: true, init: { kind: 'fanIn', fanIn: 1 / (3 * TABLE_STD * TABLE_STD) } });
    // torchvision registers it as an int64 buffer (define_relative_position_index): 8 bytes an element in weights memory
    weights.push({ name: 'relativePositionIndex', shape: [t * t], trainable: false, init: { kind: 'constant', value: 0 }, dtype: 'int64' });
    const scores = s * heads * t * t;
    return {
      outputs: [[...x]],
      weights,
      cost: {
        macs: tokens * (4 * c * c + 2 * t * c),
        exactMacOps: tokens * 3 * c * (2 * c - 1) + scores * (2 * d - 1) + s * heads * t * d * (2 * t - 1) + tokens * c * (2 * c - 1),
        biasOps: (a.qkvBias ? tokens * 3 * c : 0) + (a.projBias ? tokens * c : 0),
        elementwise: tokens * c + scores + (masked ? scores : 0) + 5 * scores,
      },
      plan: { n, h, w, c, heads, win, shift, ph, pw, t, s, masked, qScale: windowQScale(d) },
      // and kernelsOf's relative-position bias of every head, looked up once (heads × t × t)
      intermediates: [...attentionIntermediates({ c, t, s, heads }), { shape: [heads, t, t], what: `the relative-position bias of each head (${heads} × ${t} × ${t})` }],
      // the VJP looks the bias up once too (kernelsOf)
      vjpIntermediates: [...attentionVjpIntermediates({ c, t, heads }), { shape: [heads, t, t], what: `the relative-position bias of each head (${heads} × ${t} × ${t})` }],
    };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    const { win, shift, h, w, ph, pw } = ctx.plan;
    if (!rf || rf.global) return rf;
    const sizes = rf.dims.map((d) => ctx.inputs[0][d] ?? 1);
    if (win[0] >= ph && win[1] >= pw) {
      ctx.warn({
        code: 'ATTENTION_RECEPTIVE_FIELD',
        severity: 'info',
        message: `layer '${ctx.layer}': one ${win[0]}×${win[1]} window covers the ${h}×${w} map: every output unit reads every position, so the receptive field is global`,
        window: null,
      });
      return globalRF(rf, sizes);
    }
    // a shift of the padded side or more labels every row of that axis one region (torchvision's
    // slice (−s, None) holds them all) and rolls it by s mod side: with a remainder, windows join rows
    // of both borders unmasked, so a unit may read the whole axis (a 6-row map, window 2, shift 7:
    // row 0's window holds row 5)
    const wraps = [0, 1].map((k) => shift[k] >= [ph, pw][k] && shift[k] % [ph, pw][k] !== 0);
    // the field's axes sit at tensor dims 1 (H) and 2 (W) of [N, H, W, C]; an axis moved elsewhere (channels) is not one the windows cut
    const read = (d: number) => (d === 1 ? (wraps[0] ? h : Math.min(win[0], h)) : d === 2 ? (wraps[1] ? w : Math.min(win[1], w)) : 0);
    if (rf.dims.some((d) => read(d) === 0)) return globalRF(rf, sizes);
    // a unit's window lies anywhere from w − 1 before it to w − 1 after it: the box that holds every
    // unit's at step 1 spans 2(w − 1), centred on the unit (a w-wide box centred on it left out up to
    // w − 1 of its window's positions: unit 12 of a 7-window grid reads 7…13, not 9…15)
    const span = (d: number) => 2 * (read(d) - 1) + 1;
    const wrapped = ['rows', 'columns'].filter((_, k) => wraps[k]);
    const shifted =
      shift[0] + shift[1] > 0
        ? ` in the grid shifted by ${shift[0]}×${shift[1]} (` +
          (wrapped.length < 2 ? 'positions the cyclic shift brings in from the opposite border are masked by −100' : '') +
          (wrapped.length === 1 ? '; ' : '') +
          (wrapped.length ? `along ${wrapped.join(' and ')} the shift is the padded ${ph}×${pw} map's side or more and leaves no mask, so a window joins both borders and the field spans the axis` : '') +
          ')'
        : '';
    ctx.warn({
      code: 'ATTENTION_RECEPTIVE_FIELD',
      severity: 'info',
      message: `layer '${ctx.layer}': windowed self-attention: each output unit reads the ${win[0]}×${win[1]} window that holds it${shifted}, not a window centred on the unit; the field is reported as the ${span(1)}×${span(2)} box of step 1 centred on the unit, which holds the window of every unit`,
      window: [...win],
    });
    const axes: AxisRF[] = rf.axes.map((ax, k) => resample(ax, 1, span(rf.dims[k]) - 1, 0));
    return { ...rf, axes };
  },
  run(ctx) {
    const { c } = ctx.plan;
    const x = ctx.inputs[0].data;
    const y = new Float32Array(x.length);
    const k = kernelsOf(ctx);
    const io: SequenceTokens<{ at: Int32Array; labels: Int32Array }> = {
      each: () => windows(ctx.plan),
      gather: (src, tok, row) => gatherTokens(x, src, c, tok, row),
      scatter: (src, out, row) => {
        for (let p = 0; p < src.at.length; p++) if (src.at[p] >= 0) y.set(out.subarray((row + p) * c, (row + p + 1) * c), src.at[p]);
      },
      addScores: (src, hd, sc) => k.addScores(hd, sc, src.labels),
    };
    attendSequences(io, ctx.plan, k.w, ctx.teamLinear, ctx.teamHeads);
    return [tensor(ctx.outputs[0], y)];
  },
  /**
   * ∂L/∂x, weights held constant (windowVjp): per window the forward is recomputed and attention-kernels.ts's
   * attendBackward applied (the bias and mask are constants added to the scores); padded tokens'
   * gradients are dropped, as cropping does, and the rolls only move them back.
   */
  vjp: (ctx) =>
    windowVjp(ctx, () => {
      const k = kernelsOf(ctx);
      return (src, { tok, out, gOut, gTok, f, b }) => {
        attend(tok, k.w, ctx.plan, f, out, (hd, sc) => k.addScores(hd, sc, src.labels));
        attendBackward(gOut, k.w, ctx.plan, f, b, gTok);
      };
    }),
  vjpReads: () => ({ inputs: true, outputs: false }),
  refuseGivenWeight: refuseRelativePositionIndex,
};

/**
 * ∂L/∂x of a window attention (V1's vjp and V2's): `prepare` (called once there is an output
 * gradient) gives the step that fills gTok from one window's tokens and output gradient, gathered
 * into the scratch; the map's positions take their rows of gTok (every position lies in exactly one
 * window; padded tokens' gradients are dropped, as cropping does, and the rolls only move them back).
 */
export function windowVjp(ctx: VjpContext<unknown, WindowPlan>, prepare: () => (src: TokenWindow, s: BackwardScratch) => void): Tensor[] {
  const { c, t } = ctx.plan;
  const x = ctx.inputs[0].data;
  const g = ctx.gradOutputs[0]?.data;
  const gx = new Float32Array(x.length);
  if (!g) return [tensor(ctx.inputs[0].shape, gx)];
  const step = prepare();
  const s = backwardScratch(ctx.plan);
  for (const src of windows(ctx.plan)) {
    gatherTokens(x, src, c, s.tok);
    gatherTokens(g, src, c, s.gOut);
    step(src, s);
    for (let p = 0; p < t; p++) if (src.at[p] >= 0) gx.set(s.gTok.subarray(p * c, p * c + c), src.at[p]);
  }
  return [tensor(ctx.inputs[0].shape, gx)];
}

interface WindowKernels {
  w: AttentionWeights;
  /** adds head hd's relative-position bias, and the shift mask when there is one, to its t×t scores */
  addScores(hd: number, sc: Float32Array, labels: Int32Array): void;
}

function kernelsOf(ctx: { plan: WindowPlan; weights: Record<string, { data: Float32Array }> }): WindowKernels {
  const { t, heads, win, masked } = ctx.plan;
  const wt = ctx.weights;
  // a given relativePositionIndex was checked before the run (refuseGivenWeight): the window's is used
  const index = relativePositionIndex(win[0], win[1]);
  // the bias per head as t×t planes, looked up once: B[h][p, q] = table[index[p, q], h]
  const table = wt.relativePositionBiasTable.data;
  const bias = new Float32Array(heads * t * t);
  for (let hd = 0; hd < heads; hd++) for (let i = 0; i < t * t; i++) bias[hd * t * t + i] = table[index[i] * heads + hd];
  return {
    w: attentionWeights(wt.qkvWeight.data, wt.projWeight.data, wt.qkvBias?.data, wt.projBias?.data),
    addScores(hd, sc, labels) {
      const off = hd * t * t;
      for (let i = 0; i < t * t; i++) sc[i] += bias[off + i];
      if (!masked) return;
      for (let p = 0; p < t; p++) for (let q = 0; q < t; q++) if (labels[p] !== labels[q]) sc[p * t + q] += -100;
    },
  };
}

/**
 * OpDef.refuseGivenWeight of Swin V1 and V2's attention and MaxViT's relativePositionBias: a given
 * relativePositionIndex (a PyTorch state_dict carries it) must be PyTorch's index for the window,
 * element for element in row-major order (its shape is checked as every weight's); all zeros is
 * the seeded stand-in of a buffer nobody gave (weights.ts's constant rule). The kernels derive the
 * index from the window.
 */
export function refuseRelativePositionIndex(role: string, given: Float32Array, plan: { win: readonly [number, number] }): string | null {
  if (role !== 'relativePositionIndex' || given.every((v) => v === 0)) return null;
  const { win } = plan;
  const index = relativePositionIndex(win[0], win[1]);
  const bad = given.findIndex((v, i) => v !== index[i]);
  if (bad < 0) return null;
  return `relativePositionIndex[${bad}] = ${given[bad]}, but a ${win[0]}×${win[1]} window's relative-position index there is ${index[bad]} (torchvision's relative_position_index; the buffer is fixed by the window)`;
}

/** One window's tokens: where each is in x, and its shift-mask region. */
export interface TokenWindow {
  /** offset in x of token p's channels, −1 for a padded token */
  at: Int32Array;
  /** token p's shift-mask region */
  labels: Int32Array;
}

/**
 * Every window of the rolled, padded map (fresh arrays each): `at[p]` is the offset in x of token p's channels (−1
 * for a padded token) and `labels[p]` its shift-mask region. Rolling by −shift puts original row
 * (r + sh) mod pH at row r.
 */
export function* windows(plan: WindowPlan): Generator<TokenWindow> {
  const { n, h, w, c, win, shift, ph, pw, t, masked } = plan;
  const [wh, ww] = win;
  // torchvision labels by slices (0, −w), (−w, −s), (−s, None), each position by the last that holds
  // it: with s ≥ w the middle one is empty and the last overlaps the first (rows from pH − s on are 2)
  const region = (r: number, size: number, wsize: number, sft: number) => (sft === 0 ? 0 : r >= size - sft ? 2 : r >= size - wsize ? 1 : 0);
  for (let b = 0; b < n; b++) {
    for (let wy = 0; wy < ph / wh; wy++) {
      for (let wx = 0; wx < pw / ww; wx++) {
        const at = new Int32Array(t);
        const labels = new Int32Array(t);
        for (let p = 0; p < t; p++) {
          const ry = wy * wh + Math.floor(p / ww);
          const rx = wx * ww + (p % ww);
          const oy = (ry + shift[0]) % ph;
          const ox = (rx + shift[1]) % pw;
          at[p] = oy < h && ox < w ? ((b * h + oy) * w + ox) * c : -1;
          labels[p] = masked ? region(ry, ph, wh, shift[0]) * 3 + region(rx, pw, ww, shift[1]) : 0;
        }
        yield { at, labels };
      }
    }
  }
}

/** A window's tokens [t, C] from the channels-last map into rows [row, row + t) of tok; padded tokens are zeros (V1's and V2's). */
export function gatherTokens(x: Float32Array, src: { at: Int32Array }, c: number, tok: Float32Array, row = 0): void {
  for (let p = 0; p < src.at.length; p++) {
    const o = src.at[p];
    const to = (row + p) * c;
    if (o >= 0) tok.set(x.subarray(o, o + c), to);
    else tok.fill(0, to, to + c);
  }
}
