/**
 * MViT's multiscale attention (torchvision 0.14's MultiscaleAttention, family multiscaleAttention) as
 * the counting tools see it. Only one count is measured: PyTorch's ATen ops (scripts/torchvision_truth.py,
 * export_catalog.count_macs: the qkv and project addmm's, the pooling convolutions, the bmm's of the
 * scores and of _add_rel_pos's einsums and matmul), which is the op's MACs and torchvision's published
 * GFLOPS (mvit_v1_b 70,599,407,808 = 70.6, mvit_v2_s 64,223,815,872 = 64.22): the torchvision preset.
 * How the module-hooking tools (fvcore's jit handles, thop's and ptflops' module hooks and patched
 * functions, calflops, torchinfo) and onnx-tool's export profile count it has not been measured against
 * the tools here, so those presets do not guess: the layers are listed in `unsupported`, counted 0.
 */
import type { MultiscaleAttentionPlan } from '../ops/multiscale-attention.js';
import { L, V, add, dims, mul, sub } from './explain-expr.js';
import type { Parts } from './explain-expr.js';
import type { LayerFacts, Rule } from './types.js';

export const MVIT_SOURCE = 'torchvision 0.14 models/video/mvit.py l. 178-303 (MultiscaleAttention, Pool, _add_rel_pos)';

/** A preset's rule for a tool whose count of MultiscaleAttention convlens has not measured: unsupported, never a silent 0. */
export function notTranscribed(tool: string): Rule {
  return {
    count: () => 0,
    unsupported: true,
    why: `not supported: how ${tool} counts MViT's MultiscaleAttention (its pooling Conv3d and LayerNorm modules inside the attention, torch.matmul and the einsums of _add_rel_pos) has not been measured against the tool, so convlens has no rule for it; listed as unsupported, counted 0`,
    source: MVIT_SOURCE,
  };
}

/**
 * multiscale-attention.ts's formulas for explain.ts: with L input tokens, Lq = 1 + Gq and Lk = 1 + Gk
 * after pooling, h heads of d, pooling kernels of Πkq and Πkv: the qkv and project linears, the pools'
 * depthwise convs (each only where it exists), both score products, and with relPos the three
 * einsums of _add_rel_pos over the grid queries; element-wise the pools' LayerNorms (7 per element),
 * q's scaling, the softmax's 5 per score, the bias's 3 per grid score, the residual pooling's add.
 */
export function multiscaleAttentionParts(f: LayerFacts): Parts {
  const p = f.plan as MultiscaleAttentionPlan;
  const { n, c, dim, heads: h, d } = p;
  const a = f.attrs as { relPos?: boolean; residualPool?: boolean; residualWithClsEmbed?: boolean };
  const gq = p.qThw[0] * p.qThw[1] * p.qThw[2];
  const gk = p.kThw[0] * p.kThw[1] * p.kThw[2];
  const l = f.inputs[0][1];
  const tokens = V('N·L', n, l);
  const queries = V('N·Lq', n, 1 + gq);
  const scores = V('N·h·Lq·Lk', n, h, 1 + gq, 1 + gk);
  const heads = V('N·h·d', n, h, d);
  const kq = p.poolQ ? p.poolQ.kernel : null;
  const kkv = p.poolKv ? p.poolKv.kernel : null;
  const pools = [...(kq ? [mul(V('Gq', ...p.qThw), V('Πkq', ...kq))] : []), ...(kkv ? [mul(L(2), V('Gk', ...p.kThw), V('Πkv', ...kkv))] : [])];
  const poolsExact = [
    ...(kq ? [mul(V('Gq', ...p.qThw), sub(mul(L(2), V('Πkq', ...kq)), L(1)))] : []),
    ...(kkv ? [mul(L(2), V('Gk', ...p.kThw), sub(mul(L(2), V('Πkv', ...kkv)), L(1)))] : []),
  ];
  const rel = a.relPos ? V('N·h·Gq', n, h, gq) : null;
  const relK = V('Hk + Wk + Tk', p.kThw[0] + p.kThw[1] + p.kThw[2]);
  const normed = (kq ? 1 + gq : 0) + (kkv ? 2 * (1 + gk) : 0);
  return {
    macs: add(
      mul(tokens, V('C', c), V('3D', 3 * dim)),
      mul(queries, V('D²', dim, dim)),
      ...(pools.length ? [mul(heads, add(...pools))] : []),
      mul(L(2), scores, V('d', d)),
      ...(rel ? [mul(rel, relK, V('d', d))] : []),
    ),
    exact: add(
      mul(tokens, V('3D', 3 * dim), sub(mul(L(2), V('C', c)), L(1))),
      mul(queries, V('D', dim), sub(mul(L(2), V('D', dim)), L(1))),
      ...(poolsExact.length ? [mul(heads, add(...poolsExact))] : []),
      mul(scores, sub(mul(L(2), V('d', d)), L(1))),
      mul(V('N·h·Lq·d', n, h, 1 + gq, d), sub(mul(L(2), V('Lk', 1 + gk)), L(1))),
      ...(rel ? [mul(rel, relK, sub(mul(L(2), V('d', d)), L(1)))] : []),
    ),
    bias: add(mul(tokens, V('3D', 3 * dim)), mul(queries, V('D', dim))),
    elementwise: add(
      ...(normed ? [mul(V('LayerNorm per element', 7), heads, V('pooled tokens', normed))] : []),
      mul(queries, V('D (q scaled)', dim)),
      mul(V('softmax per score', 5), scores),
      ...(rel ? [mul(V('bias per grid score', 3), rel, V('Gk', gk))] : []),
      ...(a.residualPool ? [mul(heads, V(a.residualWithClsEmbed === false ? 'Gq (residual pool)' : 'Lq (residual pool)', a.residualWithClsEmbed === false ? gq : 1 + gq))] : []),
    ),
    params: add(...f.weights.filter((w) => w.trainable).map((w) => dims(w.name, w.shape))),
  };
}
