/**
 * relativePositionBias: attention scores scaled and given a learned relative-position bias, the
 * step of MaxViT's attention between q·kᵀ and the softmax (the projections, the two products and
 * the softmax are linear, einsum and softmax layers around it: src/zoo/maxvit.ts).
 * PyTorch: torchvision.models.maxvit.RelativePositionalMultiHeadAttention (0.14), whose forward does
 *   k = k * scale_factor;  s = einsum(q, k);  s + get_relative_positional_bias()
 * on scores x [..., h, T, T] of h heads over the T = wh·ww tokens of a wh×ww partition (MaxViT:
 * window [7, 7], scale_factor = C^−0.5 of the C channels, not of a head's):
 *   y[..., hd, p, q] = scale·x[..., hd, p, q] + table[index[p, q], hd]
 *   index[p, q] = (py − qy + wh − 1)·(2ww − 1) + (px − qx + ww − 1)   for positions p = (py, px),
 *     q = (qy, qx) row-major in the partition: torchvision's _get_relative_position_index, Swin's
 *     relative_position_index (window-attention.ts relativePositionIndex), as a [T, T] buffer
 *   PyTorch scales k before the product; scaling the product is the same sum, to float32 rounding.
 *
 *   params  = (2wh − 1)(2ww − 1)·h     relative_position_bias_table
 *   buffers = T²                        relative_position_index (int64 [T, T]; its values are a
 *             function of the window alone, so the kernel derives them, and a given one must equal them)
 *   MACs 0; element-wise numel(x) (the bias added) + numel(x) (the scale, when it is not 1)
 * Example: maxvit_t's first window attention (64 windows of 7×7, 2 heads): 64·2·49² = 307,328
 * scores, 169·2 = 338 params.
 *
 * Receptive field: the scores' own, passed through (a constant per score moves nothing between
 * positions). Input gradient (the weights held constant): ∂x = scale·g.
 * Initialisation as the module's: the table's trunc_normal_(std 0.02) as a uniform of the same
 * standard deviation, U(±0.02·√3).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { Pair } from './geometry.js';
import { READS_SHAPES_ONLY, ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { refuseRelativePositionIndex, relativePositionIndex } from './window-attention.js';
import { tensor } from '../tensor/tensor.js';

export const RelativePositionBiasAttrs = z.strictObject({
  window: Pair.describe('the partition [wh, ww] whose T = wh·ww tokens the scores pair (torchvision MaxViT partition_size: 7)'),
  scale: z.number().finite().default(1).describe("the scores' factor before the bias (torchvision MaxViT: scale_factor = C^−0.5)"),
});
export type RelativePositionBiasAttrs = z.infer<typeof RelativePositionBiasAttrs>;

export interface RelativePositionBiasPlan {
  win: [number, number];
  heads: number;
  /** tokens per partition */
  t: number;
}

const pair = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const TABLE_STD = 0.02;

export const relativePositionBias: OpDef<RelativePositionBiasAttrs, RelativePositionBiasPlan> = {
  name: 'relativePositionBias',
  summary: "Scale attention scores [..., h, T, T] and add a learned relative-position bias per head (MaxViT's attention, before its softmax)",
  pytorch: 'torchvision.models.maxvit.RelativePositionalMultiHeadAttention: einsum(q, k * scale_factor) + get_relative_positional_bias()',
  inputNames: ['scores'],
  minInputs: 1,
  attrs: RelativePositionBiasAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 3) ctx.fail('RANK_MISMATCH', `relativePositionBias reads scores [..., heads, T, T], got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const win = pair(ctx.attrs.window);
    const t = win[0] * win[1];
    const [heads, rows, cols] = x.slice(-3);
    if (rows !== t || cols !== t) {
      ctx.fail('SHAPE_MISMATCH', `a ${win[0]}×${win[1]} window pairs ${t} tokens: the scores' last two dims must be ${t} × ${t}, got ${fmtShape(x)}`, 'window', { shapes: { input: x } });
    }
    const scaled = ctx.attrs.scale !== 1;
    return {
      outputs: [[...x]],
      weights: [
        // U(±a) has std a/√3: a = 0.02·√3, i.e. fan_in = 1/a²
        { name: 'relativePositionBiasTable', shape: [(2 * win[0] - 1) * (2 * win[1] - 1), heads], trainable: true, init: { kind: 'fanIn', fanIn: 1 / (3 * TABLE_STD * TABLE_STD) } },
        // torchvision registers it as an int64 buffer of [T, T] (_get_relative_position_index)
        { name: 'relativePositionIndex', shape: [t, t], trainable: false, init: { kind: 'constant', value: 0 }, dtype: 'int64' },
      ],
      cost: { ...ZERO_COST, elementwise: (scaled ? 2 : 1) * numel(x) },
      plan: { win, heads, t },
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  refuseGivenWeight: refuseRelativePositionIndex,
  run(ctx) {
    const x = ctx.inputs[0].data;
    const { scale } = ctx.attrs;
    const bias = biasPlanes(ctx.plan, ctx.weights);
    const y = new Float32Array(x.length);
    // the same h × T × T planes for every leading index
    for (let base = 0; base < x.length; base += bias.length) for (let i = 0; i < bias.length; i++) y[base + i] = scale * x[base + i] + bias[i];
    return [tensor(ctx.inputs[0].shape, y)];
  },
  vjpReads: READS_SHAPES_ONLY,
  vjp(ctx) {
    const g = ctx.gradOutputs[0]?.data;
    const gx = new Float32Array(ctx.inputs[0].data.length);
    if (g) for (let i = 0; i < gx.length; i++) gx[i] = ctx.attrs.scale * g[i];
    return [tensor(ctx.inputs[0].shape, gx)];
  },
};

/** B[hd][p, q] = table[index[p, q], hd] as h planes of T × T (the window's index: a given one was checked before the run, refuseGivenWeight). */
function biasPlanes({ win, heads, t }: RelativePositionBiasPlan, weights: Record<string, { data: Float32Array }>): Float32Array {
  const index = relativePositionIndex(win[0], win[1]);
  const table = weights.relativePositionBiasTable.data;
  const bias = new Float32Array(heads * t * t);
  for (let hd = 0; hd < heads; hd++) for (let i = 0; i < t * t; i++) bias[hd * t * t + i] = table[index[i] * heads + hd];
  return bias;
}
