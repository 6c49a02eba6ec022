/**
 * MViT's multiscale attention (torchvision 0.14's MultiscaleAttention, family multiscaleAttention) as
 * the counting tools see it. The module holds modules (qkv, pool_q/k/v, each a depthwise nn.Conv3d and
 * an nn.LayerNorm, project.0) and calls functions (torch.matmul for q·kᵀ and attn·v; in v2 _add_rel_pos's
 * two torch.einsum and one torch.matmul): multiscaleCalls writes each call as the op convlens has for it,
 * and a preset's rule (byCalls) is what its own rules count for those calls: thop and torchinfo their
 * module hooks only; ptflops the hooks and its patched torch.matmul; calflops its patched F.linear,
 * F.conv3d, F.layer_norm, torch.matmul and torch.einsum; fvcore and ptflops-aten the aten ops. No tool
 * counts `self.scaler * q`, attn.softmax (Tensor.softmax: ptflops and calflops patch F.softmax) or
 * the adds (Python operators, in-place adds).
 *
 * Measured (scripts/convention_truth.py, test/fixtures/conventions/truth.json, 1×3×16×224×224), every
 * preset equal to its tool, mvit_v1_b / mvit_v2_s: fvcore 70,803,884,928 / 64,456,924,584; thop
 * 56,333,137,152 / 49,686,009,600; ptflops 70,896,008,272 / 64,323,830,320; ptflops-aten
 * 70,741,865,872 / 64,362,058,480; calflops 141,462,324,672 / 128,739,782,544 FLOPs
 * (70,599,407,808 / 64,025,721,024 MACs); torchinfo 56,312,046,736 / 49,637,807,728. mvit_v1_b's
 * blocks.0.attn under thop: qkv 693,660,672 + project.0 231,220,224 + pool_k and pool_v, each conv
 * 1,016,064 and LayerNorm 150,912. The torchvision preset counts the op's MACs, PyTorch's ATen count
 * (scripts/torchvision_truth.py) and the published GFLOPS (70.6, 64.22). onnx-tool printed nothing:
 * its shape inference cannot read the export (onnx-tool-newer.ts says why), so it lists the layers.
 */
import type { MultiscaleAttentionPlan } from '../ops/multiscale-attention.js';
import { conv3d } from '../ops/conv-nd.js';
import { einsum } from '../ops/einsum.js';
import { linear, matmul } from '../ops/linear.js';
import { layerNorm } from '../ops/norm-group.js';
import { L, V, add, dims, mul, sub } from './explain-expr.js';
import type { Parts } from './explain-expr.js';
import type { Family, LayerFacts, Rule, RuleContext } from './types.js';
import { innerCallFacts } from './inner-calls.js';

export const MVIT_SOURCE = 'torchvision 0.14 models/video/mvit.py l. 178-303 (MultiscaleAttention, Pool, _add_rel_pos)';

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

/**
 * What MultiscaleAttention.forward calls (torchvision 0.14.1 mvit.py l. 288-320, Pool.forward l. 82-105,
 * _add_rel_pos l. 123-180), in order, as the ops convlens has for them: the modules qkv (nn.Linear on
 * [N, L, C]); pool_k, pool_v, pool_q, each an nn.Conv3d (depthwise, no bias) on the grid tokens
 * [N·h, d, T, H, W] and an nn.LayerNorm(d) on [N, h, 1 + G, d]; project.0 (nn.Linear on [N, Lq, D]);
 * and the functions torch.matmul (q·kᵀ, attn·v) and, with relative positions, torch.einsum twice
 * (bythwc,hkc->bythwk and bythwc,wkc->bythwk) and torch.matmul ([Tq, N·h·Hq·Wq, d]·[Tq, d, Tk]). Left
 * out as no tool's table holds them: `self.scaler * q` and the adds (Python operators), Tensor.softmax
 * (not F.softmax), tensor_split, cat, reshape and the index tables' integer arithmetic.
 */
export function multiscaleCalls(f: LayerFacts): LayerFacts[] {
  const p = f.plan as MultiscaleAttentionPlan;
  const a = f.attrs as { relPos?: boolean; eps?: number };
  const { n, dim, heads: h, d } = p;
  const lq = 1 + p.qThw[0] * p.qThw[1] * p.qThw[2];
  const lk = 1 + p.kThw[0] * p.kThw[1] * p.kThw[2];
  const pool = (which: string, plan: NonNullable<MultiscaleAttentionPlan['poolQ']>) => [
    innerCallFacts(`${f.name}.${which}.pool`, 'convNd', conv3d, [[n * h, d, ...p.thw]], {
      outChannels: d,
      kernelSize: plan.kernel,
      stride: plan.stride,
      padding: plan.kernel.map((k) => Math.floor(k / 2)),
      groups: d,
      bias: false,
    }, false),
    innerCallFacts(`${f.name}.${which}.norm_act.0`, 'layerNorm', layerNorm, [[n, h, 1 + plan.out[0] * plan.out[1] * plan.out[2], d]], { eps: a.eps ?? 1e-6 }, false),
  ];
  const [qt, qh, qw] = p.qThw;
  const [kt, kh, kw] = p.kThw;
  const rel = a.relPos
    ? [
        innerCallFacts(`${f.name}.rel_pos_h`, 'einsum', einsum, [[n, h, qt, qh, qw, d], [qh, kh, d]], { equation: 'bythwc,hkc->bythwk' }, true),
        innerCallFacts(`${f.name}.rel_pos_w`, 'einsum', einsum, [[n, h, qt, qh, qw, d], [qw, kw, d]], { equation: 'bythwc,wkc->bythwk' }, true),
        innerCallFacts(`${f.name}.rel_pos_t`, 'matmul', matmul, [[qt, n * h * qh * qw, d], [qt, d, kt]], {}, true),
      ]
    : [];
  return [
    innerCallFacts(`${f.name}.qkv`, 'linear', linear, [f.inputs[0]], { outFeatures: 3 * dim, bias: true }, false),
    ...(p.poolKv ? [...pool('pool_k', p.poolKv), ...pool('pool_v', p.poolKv)] : []),
    ...(p.poolQ ? pool('pool_q', p.poolQ) : []),
    innerCallFacts(`${f.name}.scores`, 'matmul', matmul, [[n, h, lq, d], [n, h, d, lk]], {}, true),
    ...rel,
    innerCallFacts(`${f.name}.attend`, 'matmul', matmul, [[n, h, lq, lk], [n, h, lk, d]], {}, true),
    innerCallFacts(`${f.name}.project.0`, 'linear', linear, [[n, lq, dim]], { outFeatures: dim, bias: true }, false),
  ];
}

/**
 * A preset's multiscaleAttention rule: the sum of what its own rules (its table, read when counting)
 * count for each call of the forward (multiscaleCalls), module hooks apart (`hook`, divided by the
 * batch as the tool divides any module hook).
 */
export function byCalls(rules: () => Readonly<Partial<Record<Family, Rule>>>, why: string, source: string): Rule {
  const sum = (f: LayerFacts, ctx: RuleContext, part: 'count' | 'hook') =>
    multiscaleCalls(f).reduce((s, m) => {
      const fn = rules()[m.family]?.[part];
      return s + (fn ? fn(m, ctx) : 0);
    }, 0);
  return { count: (f, ctx) => sum(f, ctx, 'count'), hook: (f, ctx) => sum(f, ctx, 'hook'), why, source };
}
