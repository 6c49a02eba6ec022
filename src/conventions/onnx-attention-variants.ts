/**
 * nn.MultiheadAttention other than self-attention over one tensor of embed_dim channels, as
 * torch.onnx.export writes torch 1.13's F.multi_head_attention_forward (opsets 13 to 17), for
 * onnx-attention.ts, which finds the core (q·kᵀ, Softmax, by v, the output projection) and the
 * linear each of q, k and v comes from:
 *
 * - cross-attention (key = value ≠ query): q by the packed weight's first E rows (a MatMul and its
 *   bias Add), k and v by the other 2E (one MatMul of 2E outputs, then Slices);
 * - key ≠ value, or kdim/vdim ≠ embed_dim (q_proj_weight, k_proj_weight, v_proj_weight): three
 *   MatMuls, each over its own tensor, of E outputs;
 * - add_bias_kv: bias_k and bias_v (Expand, Tile) concatenated to k and v after the projections,
 *   one more position (Concat on axis 0 of (S, N, E)); add_zero_attn: zeros concatenated to each
 *   head's k and v (Concat on axis 1 of (N·h, S, d));
 * - batch_first False or True alike (the module transposes to (L, N, E) first).
 *
 * Each linear serves q, k or v, or k and v (2E outputs), or all three (3E): its output features E
 * times the roles. The module's facts carry the variant (attention-module.ts's MhaVariant) that the
 * presets' rules read (attention-variant-counts.ts). What the file cannot tell: the module from the
 * same ops written by hand (F.linear, cat, bmm, softmax), which counts as the module here.
 */
import type { AnalysedLayer } from '../analysis/infer.js';
import type { AttentionPlan } from '../ops/attention.js';
import { multiHeadAttention } from '../ops/attention.js';
import { numel } from '../ops/types.js';
import type { Shape } from '../ops/types.js';
import type { AttentionCore, MhaVariant } from './attention-module.js';
import { stridedView } from './onnx-strides.js';
import type { LayerFacts } from './types.js';

const outFeatures = (a: AnalysedLayer) => a.inferred!.outputs[0].at(-1)!;
const inFeatures = (a: AnalysedLayer) => a.inputShapes[0].at(-1)!;
const rows = (a: AnalysedLayer) => numel(a.inputShapes[0]) / inFeatures(a);

export interface VariantParts {
  q: AnalysedLayer;
  k: AnalysedLayer;
  v: AnalysedLayer;
  out: AnalysedLayer;
  /** the matmul q·kᵀ and its output, the scores [N·h, L, S'] */
  qk: AnalysedLayer;
  scores: Shape;
  /** positions concatenated to k (and v): bias_k, zeros */
  appended: { biasKv: number; zeroAttn: number };
}

/** The variant the linears and scores make, or null when they are no nn.MultiheadAttention. */
export function variantOf(p: VariantParts, producer: ReadonlyMap<string, AnalysedLayer>, hasBias: (a: AnalysedLayer) => boolean): MhaVariant | null {
  const e = outFeatures(p.out);
  const roles = new Map<AnalysedLayer, string>();
  for (const [role, l] of [['q', p.q], ['k', p.k], ['v', p.v]] as const) roles.set(l, (roles.get(l) ?? '') + role);
  for (const [l, r] of roles) if (!['qkv', 'kv', 'q', 'k', 'v'].includes(r) || outFeatures(l) !== e * r.length) return null;
  const [kdim, vdim] = [inFeatures(p.k), inFeatures(p.v)];
  if (inFeatures(p.q) !== e || inFeatures(p.out) !== e || (roles.get(p.k)!.length > 1 && kdim !== e)) return null;
  const [l, attended] = p.scores.slice(-2);
  const n = rows(p.q) / l;
  const keys = rows(p.k) / n;
  const { biasKv, zeroAttn } = p.appended;
  if (!Number.isInteger(n) || rows(p.v) !== rows(p.k) || biasKv > 1 || zeroAttn > 1 || keys + biasKv + zeroAttn !== attended) return null;
  const linears = [...roles.keys()];
  const addmmBias = linears.filter((a) => hasBias(a) && !stridedView(producer, a.layer.inputs[0], a.inputShapes[0])).reduce((sum, a) => sum + rows(a) * outFeatures(a), 0);
  return {
    keys,
    attended,
    kdim,
    vdim,
    biasKv: biasKv > 0,
    zeroAttn: zeroAttn > 0,
    linearMacs: [...linears, p.out].reduce((sum, a) => sum + a.inferred!.cost.macs, 0),
    addmmBias,
  };
}

/**
 * nn.MultiheadAttention's parameters as its state_dict holds them: in_proj_weight packed when kdim
 * = vdim = embed_dim (else q_proj_weight, k_proj_weight, v_proj_weight), in_proj_bias, bias_k and
 * bias_v (add_bias_kv), out_proj's weight and bias. The plain module's are the packed ones.
 */
function mhaWeights(m: AttentionCore, v: Pick<MhaVariant, 'kdim' | 'vdim' | 'biasKv'> = { kdim: m.c, vdim: m.c, biasKv: false }): LayerFacts['weights'] {
  const c = m.c;
  const packed = v.kdim === c && v.vdim === c;
  return [
    ...(packed
      ? [{ name: 'inProjWeight', shape: [3 * c, c], trainable: true }]
      : [
          { name: 'qProjWeight', shape: [c, c], trainable: true },
          { name: 'kProjWeight', shape: [c, v.kdim], trainable: true },
          { name: 'vProjWeight', shape: [c, v.vdim], trainable: true },
        ]),
    ...(m.inBias ? [{ name: 'inProjBias', shape: [3 * c], trainable: true }] : []),
    ...(v.biasKv ? ['biasK', 'biasV'].map((name) => ({ name, shape: [1, 1, c], trainable: true })) : []),
    { name: 'outProjWeight', shape: [c, c], trainable: true },
    ...(m.outBias ? [{ name: 'outProjBias', shape: [c], trainable: true }] : []),
  ];
}

/** What mhaFacts reads of a recognised module (onnx-attention.ts's AttentionModule). */
export interface MhaModule extends AttentionCore {
  output: Shape;
  strided: boolean;
}

/**
 * The output projection's facts as nn.MultiheadAttention's, plain (self-attention over `inputs[0]`)
 * or a variant (`variant`, over the query's, key's and value's tokens): op, plan, attributes,
 * weights and MACs. onnx-attention.ts's attentionFacts and variantFacts both read it.
 */
export function mhaFacts(f: LayerFacts, m: MhaModule, inputs: Shape[], variant?: MhaVariant): LayerFacts {
  const { c, t, s, heads } = m;
  const plan: AttentionPlan & { variant?: MhaVariant } = { n: s, c, heads, hw: null, win: [t, 1], t, s, ...(variant ? { variant } : {}) };
  const attrs = { numHeads: heads, bias: m.inBias && m.outBias, ...(variant ? { kdim: variant.kdim, vdim: variant.vdim, addBiasKv: variant.biasKv, addZeroAttn: variant.zeroAttn } : {}) };
  return {
    ...f,
    family: 'attention',
    op: multiHeadAttention,
    plan,
    attrs,
    inputs,
    outputs: [m.output],
    weights: mhaWeights(m, variant),
    geometry: null,
    fixedSize: false,
    cost: { ...f.cost, macs: m.macs },
    strided: m.strided,
  };
}

/** What variantFacts reads of a recognised module (onnx-attention.ts's AttentionModule). */
interface VariantModule extends MhaModule {
  variant: MhaVariant;
  /** the query's, key's and value's tokens */
  sources: [Shape, Shape, Shape];
}

/** The output projection's facts as the variant of nn.MultiheadAttention: op, plan (with the variant), weights, MACs. */
export function variantFacts(f: LayerFacts, m: VariantModule): LayerFacts {
  return mhaFacts(f, m, m.sources, m.variant);
}
