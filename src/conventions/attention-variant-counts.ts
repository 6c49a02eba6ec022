/**
 * What each tool counts for nn.MultiheadAttention's variants (attention-module.ts's MhaVariant:
 * cross-attention, kdim/vdim ≠ embed_dim, add_bias_kv, add_zero_attn) on the PyTorch module, for the
 * presets' attention rules. N sequences (the batch), L queries and S keys per sequence, S' = S + 1 for
 * bias_k + 1 for add_zero_attn the positions attended, E = embed_dim, h heads; torch 1.13's
 * F.multi_head_attention_forward, Python path (the tools leave gradients on):
 *
 * - thop count_multihead_attention (basic_hooks.py l. 184-205, registered on torch ≥ 2.0 only):
 *   N·(E·(2·L·E + S·(kdim + vdim)) + 2·L·S'·E) = convlens's MACs of the module, + softmax
 *   N·h·L·(3S' − 1).
 * - ptflops multihead_attention_counter_hook (pytorch_ops.py l. 180-243), from the inputs' shapes:
 *   per sequence L·E (q scaling) + L·E² + S·kdim² + S·vdim² (its "initial projections", each input
 *   dim squared) + (L + 2S)·E with in_proj_bias + h·(L·S·⌊E/h⌋ + L·S + L·S·⌊vdim/h⌋) + L·vdim·(vdim + 1)
 *   (S without the appended positions); plus the patched torch.bmm (2·N·L·S'·E) and F.softmax
 *   (N·h·L·S').
 * - ptflops-aten: the projections and both bmm (convlens's MACs), the output projection's bias
 *   (addmm) and the input projections' biases where their input is no strided 3-D view.
 * - calflops: F.linear of each projection, 2 FLOPs per MAC, bias not counted, + F.softmax N·h·L·S'
 *   (torch.bmm is not patched); its MACs the projections'.
 * - fvcore: convlens's MACs (aten::linear, aten::bmm), as for self-attention; torchinfo 0 (not a leaf).
 */
import type { AttentionPlan } from '../ops/attention.js';
import type { MhaVariant } from './attention-module.js';
import type { LayerFacts } from './types.js';

/** The variant an attention layer's facts carry (onnx-attention-variants.ts), or undefined. */
export const mhaVariant = (f: LayerFacts): MhaVariant | undefined => (f.plan as { variant?: MhaVariant } | null)?.variant;

const has = (f: LayerFacts, name: string) => f.weights.some((w) => w.name === name);

function dims(f: LayerFacts) {
  const p = f.plan as AttentionPlan;
  return { n: p.s, l: p.t, e: p.c, h: p.heads };
}

export const VARIANT_COUNTS = {
  thop(f: LayerFacts, v: MhaVariant): number {
    const { n, l, h } = dims(f);
    return f.cost.macs + n * h * l * (3 * v.attended - 1);
  },
  /** ptflops' module hook (divided by the batch with the other hooks) */
  ptflopsHook(f: LayerFacts, v: MhaVariant): number {
    const { n, l, e, h } = dims(f);
    const s = v.keys;
    const projections = l * e * e + s * v.kdim * v.kdim + s * v.vdim * v.vdim + (has(f, 'inProjBias') ? (l + 2 * s) * e : 0);
    const heads = h * (l * s * Math.floor(e / h) + l * s + l * s * Math.floor(v.vdim / h));
    return n * (l * e + projections + heads + l * v.vdim * (v.vdim + 1));
  },
  /** ptflops' patched torch.bmm and F.softmax, for the whole batch */
  ptflopsPatched(f: LayerFacts, v: MhaVariant): number {
    const { n, l, e, h } = dims(f);
    return 2 * n * l * v.attended * e + n * h * l * v.attended;
  },
  ptflopsAten(f: LayerFacts, v: MhaVariant): number {
    const { n, l, e } = dims(f);
    return f.cost.macs + v.addmmBias + (has(f, 'outProjBias') ? n * l * e : 0);
  },
  calflops(f: LayerFacts, v: MhaVariant): number {
    const { n, l, h } = dims(f);
    return 2 * v.linearMacs + n * h * l * v.attended;
  },
  calflopsMacs: (_f: LayerFacts, v: MhaVariant): number => v.linearMacs,
};
