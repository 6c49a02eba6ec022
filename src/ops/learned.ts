/**
 * Learned tensors applied to activations, which transformers and modern CNNs hold as bare
 * nn.Parameters rather than inside a layer (so a spec can state their parameters):
 *   layerScale         y = γ ⊙ x, γ one value per channel of `dim` (ConvNeXt's layer_scale [C, 1, 1]
 *                      on NCHW, CaiT's on tokens with dim −1). params C; 1 FLOP per element.
 *                      γ starts at `init` (torchvision's ConvNeXt: 1e-6).
 *   positionEmbedding  y = x + P, P of x's shape without the batch (ViT's pos_embedding [1, L, C],
 *                      broadcast over N). params numel(x)/N; 1 FLOP per element. P starts at 0
 *                      (torchvision draws it from N(0, 0.02²); values do not change the analysis).
 *   classToken         y = cat([t.expand(N, k, C), x], dim 1) for tokens x [N, L, C]: k learned
 *                      tokens prepended (ViT's class_token [1, 1, C], zeros at start as in
 *                      torchvision). params k·C; no arithmetic.
 * No MACs. Receptive field: layerScale and positionEmbedding pass it through (a constant per
 * position and channel moves no information between positions); classToken's output is a token
 * sequence, which carries the field of x (the prepended tokens depend on no input).
 * Input gradients (the weights held constant): layerScale ∂x = γ ⊙ g; positionEmbedding ∂x = g;
 * classToken ∂x = g without its first k tokens of each sample.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { normalizeAxis } from './axes.js';
import { posInt } from './geometry.js';
import { READS_SHAPES_ONLY, ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const LayerScaleAttrs = z.strictObject({
  dim: z.number().int().default(1).describe('the channel dim γ runs along (1 for NCHW, −1 for tokens)'),
  init: z.number().default(1e-6).describe("γ's starting value (torchvision's ConvNeXt: 1e-6)"),
});
type LayerScaleAttrs = z.infer<typeof LayerScaleAttrs>;

export const layerScale: OpDef<LayerScaleAttrs, { inner: number; channels: number }> = {
  name: 'layerScale',
  summary: 'Multiply each channel by a learned scale γ (ConvNeXt and CaiT layer scale)',
  pytorch: 'torch.mul(nn.Parameter(torch.full((C, 1, 1), init)), x)',
  inputNames: ['x'],
  minInputs: 1,
  attrs: LayerScaleAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 2) ctx.fail('RANK_MISMATCH', `layerScale needs a channel dim besides the batch, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const dim = normalizeAxis(ctx, ctx.attrs.dim, x.length, 'dim');
    const channels = x[dim];
    return {
      outputs: [x],
      weights: [{ name: 'weight', shape: [channels], trainable: true, init: { kind: 'constant', value: ctx.attrs.init } }],
      cost: { ...ZERO_COST, elementwise: numel(x) },
      plan: { inner: Math.max(1, numel(x.slice(dim + 1))), channels },
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  fusesIntoConvEpilogue: true, // point-wise with a per-channel constant
  run(ctx) {
    const x = ctx.inputs[0].data;
    const g = ctx.weights.weight.data;
    const { inner, channels } = ctx.plan;
    const out = new Float32Array(x.length);
    // element i's scale is γ[(i / inner) mod channels]: walk channel by channel
    for (let base = 0, c = 0; base < x.length; base += inner, c = (c + 1) % channels) {
      const s = g[c];
      for (let i = base; i < base + inner; i++) out[i] = s * x[i];
    }
    return [tensor(ctx.inputs[0].shape, out)];
  },
  vjpReads: READS_SHAPES_ONLY,
  vjp(ctx) {
    const x = ctx.inputs[0];
    const g = ctx.gradOutputs[0]?.data;
    const out = new Float32Array(x.data.length);
    if (!g) return [tensor(x.shape, out)];
    const gamma = ctx.weights.weight.data;
    const { inner, channels } = ctx.plan;
    // the forward's walk: γ[c] scales channel c's run of `inner` elements
    for (let base = 0, c = 0; base < out.length; base += inner, c = (c + 1) % channels) {
      const s = gamma[c];
      for (let i = base; i < base + inner; i++) out[i] = s * g[i];
    }
    return [tensor(x.shape, out)];
  },
};

export const positionEmbedding: OpDef<Record<string, never>, null> = {
  name: 'positionEmbedding',
  summary: 'Add a learned tensor of the input shape without the batch (ViT position embedding)',
  pytorch: 'x + nn.Parameter(torch.empty(1, L, C))',
  // P has L tokens: torchvision's ViT refuses any other image size ("Wrong image height!")
  weightsSizedByInput: 'a position embedding',
  inputNames: ['x'],
  minInputs: 1,
  attrs: z.strictObject({}),
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 2) ctx.fail('RANK_MISMATCH', `positionEmbedding needs dims besides the batch, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    return {
      outputs: [x],
      weights: [{ name: 'weight', shape: [1, ...x.slice(1)], trainable: true, init: { kind: 'constant', value: 0 } }],
      cost: { ...ZERO_COST, elementwise: numel(x) },
      plan: null,
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0].data;
    const p = ctx.weights.weight.data;
    const out = new Float32Array(x.length);
    // the same P for every sample of the batch
    for (let base = 0; base < x.length; base += p.length) for (let i = 0; i < p.length; i++) out[base + i] = x[base + i] + p[i];
    return [tensor(ctx.inputs[0].shape, out)];
  },
  vjpReads: READS_SHAPES_ONLY,
  // x + P: the gradient passes through unchanged
  vjp: (ctx) => [tensor(ctx.inputs[0].shape, ctx.gradOutputs[0] ? ctx.gradOutputs[0].data.slice() : new Float32Array(ctx.inputs[0].data.length))],
};

export const ClassTokenAttrs = z.strictObject({ tokens: posInt.default(1).describe('k, the learned tokens prepended to the sequence') });
type ClassTokenAttrs = z.infer<typeof ClassTokenAttrs>;

export const classToken: OpDef<ClassTokenAttrs, null> = {
  name: 'classToken',
  summary: 'Prepend k learned tokens to a token sequence [N, L, C] (ViT class token)',
  pytorch: 'torch.cat([nn.Parameter(torch.zeros(1, k, C)).expand(N, -1, -1), x], dim=1)',
  inputNames: ['x'],
  minInputs: 1,
  attrs: ClassTokenAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length !== 3) ctx.fail('RANK_MISMATCH', `classToken reads tokens [N, L, C], got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const [n, l, c] = x;
    const k = ctx.attrs.tokens;
    return {
      outputs: [[n, l + k, c]],
      weights: [{ name: 'weight', shape: [1, k, c], trainable: true, init: { kind: 'constant', value: 0 } }],
      cost: ZERO_COST,
      plan: null,
    };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run(ctx) {
    const x = ctx.inputs[0];
    const t = ctx.weights.weight.data;
    const [n, l, c] = x.shape;
    const out = new Float32Array(n * (l + t.length / c) * c);
    // per sample: the k tokens, then the sample's L tokens
    for (let s = 0, o = 0; s < n; s++) {
      out.set(t, o);
      o += t.length;
      out.set(x.data.subarray(s * l * c, (s + 1) * l * c), o);
      o += l * c;
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjpReads: READS_SHAPES_ONLY,
  vjp(ctx) {
    const x = ctx.inputs[0];
    const [n, l, c] = x.shape;
    const out = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (!g) return [tensor(x.shape, out)];
    const k = ctx.outputs[0][1] - l;
    // each sample's gradient rows after its k prepended tokens
    for (let s = 0; s < n; s++) out.set(g.subarray((s * (l + k) + k) * c, (s + 1) * (l + k) * c), s * l * c);
    return [tensor(x.shape, out)];
  },
};
