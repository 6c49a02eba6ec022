/**
 * spatioTemporalPositionEncoding: MViT's class token and separable position embedding on the grid
 * tokens of a clip, x [N, T·H·W, C] (row-major t, h, w), the patch embedding's output flattened.
 * PyTorch: torchvision.models.video.mvit.PositionalEncoding (torchvision 0.14), whose forward is
 *   y = cat(class_token, x)                                       [N, 1 + T·H·W, C]
 *   y = y + cat(class_pos, repeat_interleave(temporal_pos, H·W) + spatial_pos repeated over T)
 *       (with `tables`, mvit_v1_b's; mvit_v2_s builds it with rel_pos_embed: the class token alone)
 * i.e. y[n, 0] = class_token + class_pos, y[n, 1 + t·H·W + s] = x[n, t·H·W + s] + (temporal_pos[t] + spatial_pos[s]).
 * Weights named as the state_dict's (pos_encoding.class_token …): classToken [C], and with tables
 * spatialPos [H·W, C], temporalPos [T, C], classPos [C].
 *   params = C + (H·W + T + 1)·C with tables
 *   MACs 0; element-wise with tables T·H·W·C (the table summed) + N·(1 + T·H·W)·C (added)
 * Receptive field: the tokens', passed through (the prepended token depends on no input).
 * Input gradient: ∂x = g without its first token of each sample. Initialisation: 0 (torchvision then
 * draws every parameter from trunc_normal(std 0.02) in MViT's __init__; values do not change the analysis).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { READS_SHAPES_ONLY, ZERO_COST } from './types.js';
import type { OpDef, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const SpatioTemporalPositionAttrs = z.strictObject({
  inputSize: z.tuple([posInt, posInt, posInt]).describe('[T, H, W] of the grid tokens'),
  tables: z.boolean().default(true).describe("the learned spatial, temporal and class position tables (mvit_v1_b's); false: the class token alone (mvit_v2_s, rel_pos_embed)"),
});
type SpatioTemporalPositionAttrs = z.infer<typeof SpatioTemporalPositionAttrs>;

export const spatioTemporalPositionEncoding: OpDef<SpatioTemporalPositionAttrs, { out: number[] }> = {
  name: 'spatioTemporalPositionEncoding',
  summary: "Prepend a learned class token to a clip's grid tokens [N, T·H·W, C] and add MViT's separable (temporal + spatial) position embedding",
  pytorch: 'torchvision.models.video.mvit.PositionalEncoding',
  weightsSizedByInput: 'a spatio-temporal position embedding',
  inputNames: ['x'],
  minInputs: 1,
  // PositionalEncoding is itself a leaf module with parameters (no children): torchinfo counts its output
  innerModuleOutputs: (plan) => [plan.out],
  attrs: SpatioTemporalPositionAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length !== 3) ctx.fail('RANK_MISMATCH', `spatioTemporalPositionEncoding reads grid tokens [N, T·H·W, C], got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const [n, l, c] = x;
    const [t, h, w] = ctx.attrs.inputSize;
    if (l !== t * h * w) ctx.fail('SHAPE_MISMATCH', `a ${t}×${h}×${w} grid is ${t * h * w} tokens; the input has ${l} (${fmtShape(x)})`, 'inputSize', { shapes: { input: x } });
    const zero = { kind: 'constant', value: 0 } as const;
    const weights: WeightSpec[] = [{ name: 'classToken', shape: [c], trainable: true, init: zero }];
    if (ctx.attrs.tables) {
      weights.push(
        { name: 'spatialPos', shape: [h * w, c], trainable: true, init: zero },
        { name: 'temporalPos', shape: [t, c], trainable: true, init: zero },
        { name: 'classPos', shape: [c], trainable: true, init: zero },
      );
    }
    return {
      outputs: [[n, l + 1, c]],
      weights,
      cost: { ...ZERO_COST, elementwise: ctx.attrs.tables ? l * c + n * (l + 1) * c : 0 },
      plan: { out: [n, l + 1, c] },
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0].data;
    const [n, l, c] = ctx.inputs[0].shape;
    const [, h, w] = ctx.attrs.inputSize;
    const wt = ctx.weights;
    const pos = new Float32Array((l + 1) * c);
    pos.set(wt.classToken.data);
    if (ctx.attrs.tables) {
      const [sp, tp, cp] = [wt.spatialPos.data, wt.temporalPos.data, wt.classPos.data];
      for (let e = 0; e < c; e++) pos[e] = Math.fround(pos[e] + cp[e]);
      for (let i = 0; i < l; i++) {
        const t = Math.floor(i / (h * w));
        const s = i % (h * w);
        for (let e = 0; e < c; e++) pos[(1 + i) * c + e] = Math.fround(tp[t * c + e] + sp[s * c + e]);
      }
    }
    const out = new Float32Array(n * (l + 1) * c);
    for (let b = 0; b < n; b++) {
      const o = b * (l + 1) * c;
      out.set(pos.subarray(0, c), o);
      for (let i = 0; i < l * c; i++) out[o + c + i] = x[b * l * c + i] + pos[c + i];
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjpReads: READS_SHAPES_ONLY,
  vjp(ctx) {
    const [n, l, c] = ctx.inputs[0].shape;
    const out = new Float32Array(n * l * c);
    const g = ctx.gradOutputs[0]?.data;
    if (g) for (let b = 0; b < n; b++) out.set(g.subarray((b * (l + 1) + 1) * c, (b + 1) * (l + 1) * c), b * l * c);
    return [tensor(ctx.inputs[0].shape, out)];
  },
};
