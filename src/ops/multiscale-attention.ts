/**
 * multiscaleAttention: MViT's pooling attention over a token sequence x [N, 1 + T·H·W, C] whose first
 * token is the class token and the rest a T×H×W grid in row-major (t, h, w) order.
 * PyTorch: torchvision.models.video.mvit.MultiscaleAttention (torchvision 0.14: mvit_v1_b, mvit_v2_s),
 * built by MViT with norm_layer LayerNorm(eps 1e-6). Per sample, h heads of d = D/h channels (D the
 * output width, `outputDim`, C by default):
 *   q, k, v   = x·W_qkvᵀ + b_qkv                   W_qkv [3D, C]; columns (q|k|v, head, channel)
 *   pool(z)   = LayerNorm_d(cat(z₀, conv3d_dw(z₁…)))  Pool: the class token z₀ split off, the grid tokens
 *               [T, H, W] per channel through a depthwise Conv3d(d, d, kernel, stride, padding ⌊k/2⌋,
 *               groups d, no bias) shared by the heads, the class token put back, then LayerNorm over d
 *               (affine) of every token. q pooled with kernelQ/strideQ, k and v with kernelKv/strideKv
 *               (each only when its kernel or stride has a side above 1, as torchvision builds it);
 *               a grid side becomes ⌊(S + 2⌊k/2⌋ − k)/s⌋ + 1
 *   scores    = (q/√d)·kᵀ  [1 + Tq·Hq·Wq, 1 + Tk·Hk·Wk]
 *   relPos    (v2, `relPos`): scores[1 + p, 1 + r] += q_p·Rh[p_h, r_h] + q_p·Rw[p_w, r_w] + q_p·Rt[p_t, r_t]
 *               with R_a[i, j] = rel_pos_a[⌊i·max(Sk/Sq, 1) − (j + 1 − Sk)·max(Sq/Sk, 1)⌋] (torchvision's
 *               _add_rel_pos; the table linearly interpolated to 2·max(Sq, Sk) − 1 rows when it is not
 *               that long, F.interpolate(mode linear)); the tables are [2·max(⌊S/s_q⌋, ⌊S/s_kv⌋) − 1, d]
 *               (rel_pos_h, rel_pos_w) and [2T − 1, d] (rel_pos_t) for [T, H, W] = `relPosInputSize`
 *               (torchvision's input_size at build time: MViT divides the clip by each stride, ⌊S/s⌋,
 *               where the pools give ⌊(S + 2⌊k/2⌋ − k)/s⌋ + 1; default inputSize), S = max(H, W) and s the
 *               strides' height entry. Rows below 1 (S below both strides' height entries, or T = 0) are
 *               refused, NON_POSITIVE_SIZE, where PyTorch fails building them (negative dimension)
 *   a         = softmax(scores)·v  (+ q: residual pooling, v2's `residualPool`, on every token with
 *               `residualWithClsEmbed`, else the grid tokens only)
 *   y         = concat(heads)·W_projᵀ + b_proj       project.0 Linear(D, D)
 * Output [N, 1 + Tq·Hq·Wq, D]. Weights are named so torchvision's state_dict binds as is
 * (graph/given-weights.ts): qkvWeight, qkvBias (attn.qkv.weight, .bias), project.0.weight,
 * project.0.bias, pool_q.pool.weight, pool_q.norm_act.0.weight, pool_q.norm_act.0.bias (and pool_k,
 * pool_v), relPosH, relPosW, relPosT (attn.rel_pos_h …).
 *
 * With Lq = 1 + Tq·Hq·Wq, Lk = 1 + Tk·Hk·Wk tokens, and the pooled grids Gq, Gk (Lq − 1, Lk − 1):
 *   params = 3DC + 3D + D² + D + (d·Πkq + 2d, if q pools) + 2(d·Πkv + 2d, if k and v pool)
 *            + (2·dS + dT)·d (relPos, dS and dT the tables' rows)
 *   MACs   = N·(L·C·3D + h·d·(Gq·Πkq + 2·Gk·Πkv) + 2·h·Lq·Lk·d + h·Gq·(Hk + Wk + Tk)·d + Lq·D²)
 *            as PyTorch's ATen ops count it (torchvision_truth.py): the qkv and project addmm's, the
 *            pooling convolutions (in-channels per group 1), the two bmm's of the scores, and with
 *            relPos the two einsums and the matmul of _add_rel_pos (bmm's); the pools' convs counted only
 *            when they exist
 *   exact  = each MAC part's products and sums (2K − 1 per output of a K-long sum)
 *   bias   = N·L·3D + N·Lq·D
 *   element-wise = the three pools' LayerNorms 7 per element + N·Lq·D (the 1/√d scale of q) + 5 per score
 *            (softmax) + with relPos 3 per grid score (two sums, the add) + with residualPool 1 per token
 *            element added
 * Receptive field: global (every token reads every token, and the sequence is flattened already).
 * Initialisation as the module's own: nn.Linear and nn.Conv3d U(±1/√fan_in), LayerNorm 1 and 0, the
 * relative tables trunc_normal_(std 0.02) as a uniform of that standard deviation.
 * Input gradient (vjp, weights held constant): ops/multiscale-attention-vjp.ts, each head's forward
 * recomputed, then back through project, probs·v, softmax, the scaled scores and relPos's dependence on q,
 * residual pooling, the pools (LayerNorm, the depthwise conv's transpose, the class token around it), qkv.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { nonNegInt, posInt } from './geometry.js';
import { globalOver } from './receptive-field.js';
import type { InferContext, OpDef, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { recycle, zeroed } from '../tensor/large-buffers.js';
import { multiscaleAttentionVjp, multiscaleVjpIntermediates } from './multiscale-attention-vjp.js';
import { SCORE_BAND, attendMultiscaleHead, bandRows, headScratch, multiscaleKernels, prod } from './multiscale-attention-kernels.js';
import type { MultiscaleRunAttrs } from './multiscale-attention-kernels.js';
import { linearColumns } from './linear.js';
import type { MultiscaleAttentionPlan, PoolPlan, Thw } from './multiscale-attention-kernels.js';

const Triple = z.tuple([posInt, posInt, posInt]);
const TABLE_STD = 0.02;

/**
 * MAX_RUN_WORK units a run takes (Inferred.runWork) where its loops run far slower per operation
 * than its GEMMs (its qkv, scores, probs·v and project, 1 a MAC): a score's softmax (5 FLOPs in the
 * cost), a MAC of a pool's depthwise Conv3d, and a unit of relPos's cost (a MAC of its dots, 3 a
 * grid score for the adds). bench/op-rates.ts's multiscaleAttention cases (mvit_v2_s's blocks 0, 5
 * and 15, mvit_v1_b's block 0), each part timed alone over 3 calls, 2026-12-06, 2 vCPU, load
 * 3.4–3.6: softmax 13–15 ns a score (Math.exp a score), a pool 1.0–1.4 ns a MAC with its LayerNorm,
 * relPos 0.91–0.93 ns a unit, against 0.05–0.12 ns a MAC in the same calls' GEMMs and 0.03 ns a unit
 * for the 3×3 conv: about 150, 15 and 10 times the GEMMs' time a unit. The softmax since in
 * WebAssembly SIMD (ops/multiscale-attention-softmax.ts): block 0's 152 bands of 166 × 393 scores,
 * the band's two GEMMs against its softmax, 3 runs the same day at load 8–13: 36, 50 and 64 times a
 * GEMM MAC's time a score (the JS loop in the same processes 192–258, 3.4–4.6 times the SIMD's): 60.
 */
export const MSA_SOFTMAX_SCORE = 60;
export const MSA_POOL_MAC = 15;
export const MSA_REL_POS_UNIT = 10;
/**
 * The VJP's work as a multiple of the forward's run (Inferred.vjpWork), above runtime/backward.ts's
 * REVERSE_RATE of 2: it recomputes each head's pools, scores and softmax, then four GEMMs of the
 * scores' size, relPos's sums and the pools' transposes. bench/mvit-calls.ts, op.vjp against op.run
 * in the same process, interleaved, 5 rounds, 2026-12-06, load 10–12: 2.6 at mvit_v2_s's block 0,
 * 2.8 at block 5, 2.6 at block 15, 2.0 at mvit_v1_b's block 0 (2.5, 2.7,
 * 2.4, 2.5 in the same runs for main before the score bands and the SIMD softmax); alone in a
 * process at load 5 (3 rounds) 1.8, 2.8, 2.2 and 3.2: noisy, 3 about their middle-high.
 */
export const MSA_VJP_RATE = 3;

export const MultiscaleAttentionAttrs = z.strictObject({
  inputSize: Triple.describe('[T, H, W] of the grid tokens after the class token (torchvision passes it as thw)'),
  numHeads: posInt.describe('h'),
  outputDim: posInt.optional().describe("D, the attention's width (torchvision's output_dim; default C)"),
  kernelQ: Triple.default([1, 1, 1]).describe("q's pooling kernel [kt, kh, kw] (kernel_q)"),
  kernelKv: Triple.default([1, 1, 1]).describe("k's and v's pooling kernel (kernel_kv)"),
  strideQ: Triple.default([1, 1, 1]).describe("q's pooling stride (stride_q)"),
  strideKv: Triple.default([1, 1, 1]).describe("k's and v's pooling stride (stride_kv)"),
  residualPool: z.boolean().default(false).describe("MViT v2's residual pooling: the pooled q added to the attention's output (residual_pool)"),
  residualWithClsEmbed: z.boolean().default(true).describe('the residual pooling adds to the class token too (residual_with_cls_embed)'),
  relPos: z.boolean().default(false).describe("MViT v2's decomposed relative-position bias (rel_pos_embed: rel_pos_h, rel_pos_w, rel_pos_t)"),
  relPosInputSize: z
    .tuple([nonNegInt, nonNegInt, nonNegInt])
    .optional()
    .describe("[T, H, W] that sizes the relative tables (torchvision's input_size when the block is built: MViT's clip divided by conv_proj's and the earlier q strides, ⌊S/s⌋); default inputSize; the tables are interpolated to the grids at forward"),
  eps: z.number().positive().default(1e-6).describe("the pools' LayerNorm epsilon (torchvision's MViT: 1e-6)"),
});
export type MultiscaleAttentionAttrs = z.infer<typeof MultiscaleAttentionAttrs>;

export type { MultiscaleAttentionPlan } from './multiscale-attention-kernels.js';


/** A grid side after torchvision's pooling conv (padding ⌊k/2⌋): ⌊(S + 2⌊k/2⌋ − k)/s⌋ + 1. */
export function pooledSide(size: number, kernel: number, stride: number): number {
  return Math.floor((size + 2 * Math.floor(kernel / 2) - kernel) / stride) + 1;
}

/** The [T, H, W] after q's pooling: the next block's grid (the input's where q does not pool). */
export function pooledGrid(thw: readonly number[], kernel: readonly number[], stride: readonly number[]): Thw {
  if (prod(kernel) === 1 && prod(stride) === 1) return [thw[0], thw[1], thw[2]];
  return [0, 1, 2].map((a) => pooledSide(thw[a], kernel[a], stride[a])) as Thw;
}

function poolPlan(thw: Thw, kernel: Thw, stride: Thw): PoolPlan | null {
  if (prod(kernel) === 1 && prod(stride) === 1) return null;
  return { kernel, stride, out: pooledGrid(thw, kernel, stride) };
}

/**
 * Rows of rel_pos_h/w and rel_pos_t as torchvision's MultiscaleAttention.__init__ sizes them from its
 * input_size (relPosInputSize, default the grid read): size = max(H, W) over the strides' height entry.
 * PyTorch fails on a negative row count (torch.zeros: negative dimension); so does the op, naming it.
 */
function relTableRows(ctx: InferContext<MultiscaleAttentionAttrs>, a: MultiscaleAttentionAttrs, thw: Thw): { spatial: number; temporal: number } {
  const given = a.relPosInputSize !== undefined;
  const [t, h, w] = a.relPosInputSize ?? thw;
  const size = Math.max(h, w);
  const [sq, skv] = [a.strideQ[1], a.strideKv[1]];
  const spatial = 2 * Math.max(Math.floor(size / sq), Math.floor(size / skv)) - 1;
  const temporal = 2 * t - 1;
  const sizedBy = `${given ? 'relPosInputSize' : 'inputSize'} ${t}×${h}×${w}`;
  if (spatial < 1) {
    const field = given ? 'relPosInputSize' : skv >= sq ? 'strideKv' : 'strideQ';
    ctx.fail(
      'NON_POSITIVE_SIZE',
      `multiscaleAttention's rel_pos_h and rel_pos_w would have 2·max(⌊${size}/${sq}⌋, ⌊${size}/${skv}⌋) − 1 = ${spatial} rows: ${sizedBy} has its larger spatial side ${size} below both strides' height entries (strideQ ${sq}, strideKv ${skv}); PyTorch fails building them (negative dimension)`,
      field,
    );
  }
  if (temporal < 1) {
    ctx.fail('NON_POSITIVE_SIZE', `multiscaleAttention's rel_pos_t would have 2·${t} − 1 = ${temporal} rows (${sizedBy}); PyTorch fails building it (negative dimension)`, 'relPosInputSize');
  }
  return { spatial, temporal };
}

/** The op's output [N·Lq, D] from x [N·L, C]: qkv, each (sample, head) attended in bands of at most bandFloats scores, the projection. */
export function multiscaleForward(x: Float32Array, p: MultiscaleAttentionPlan, a: MultiscaleRunAttrs, w: Record<string, { data: Float32Array }>, bandFloats = SCORE_BAND): Float32Array {
  const { n, c, dim, heads } = p;
  const l = 1 + prod(p.thw);
  const lq = 1 + prod(p.qThw);
  // large ones in the run's pooled buffers, the scratch given back after (tensor/large-buffers.ts)
  const qkv = zeroed(n * l * 3 * dim);
  linearColumns(x, n * l, c, w.qkvWeight.data, w.qkvBias.data, 3 * dim, 0, 3 * dim, qkv);
  const kern = multiscaleKernels(p, w);
  const scr = headScratch(p, false, bandFloats);
  const att = zeroed(n * lq * dim);
  for (let s = 0; s < n; s++) for (let hd = 0; hd < heads; hd++) attendMultiscaleHead(qkv, s, hd, p, a, kern, scr, att, s * lq * dim + hd * p.d, dim);
  recycle(qkv);
  const y = zeroed(n * lq * dim);
  linearColumns(att, n * lq, dim, w['project.0.weight'].data, w['project.0.bias'].data, dim, 0, dim, y);
  recycle(att);
  return y;
}

export const multiscaleAttention: OpDef<MultiscaleAttentionAttrs, MultiscaleAttentionPlan> = {
  name: 'multiscaleAttention',
  summary: "MViT's multiscale (pooling) attention over a class token and a T×H×W token grid [N, 1 + T·H·W, C]: q, k, v pooled by depthwise Conv3d + LayerNorm, v2's decomposed relative-position bias and residual pooling",
  pytorch: 'torchvision.models.video.mvit.MultiscaleAttention',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  channelsLast: true,
  tokenWidth: (plan) => plan.dim,
  // its modules with parameters: qkv, each pool's Conv3d ([N·h, d, T', H', W']) and LayerNorm ([N, h, L', d]), project.0
  innerModuleOutputs: ({ n, dim, heads, d, thw, poolQ, poolKv, qThw, kThw }) => [
    [n, 1 + prod(thw), 3 * dim],
    ...(poolKv ? [0, 1].flatMap(() => [[n * heads, d, ...kThw], [n, heads, 1 + prod(kThw), d]]) : []),
    ...(poolQ ? [[n * heads, d, ...qThw], [n, heads, 1 + prod(qThw), d]] : []),
    [n, 1 + prod(qThw), dim],
  ],
  attrs: MultiscaleAttentionAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    if (x.length !== 3) ctx.fail('RANK_MISMATCH', `multiscaleAttention reads tokens [N, 1 + T·H·W, C], got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const [n, l, c] = x;
    const thw = [...a.inputSize] as Thw;
    if (l !== 1 + prod(thw)) {
      ctx.fail('SHAPE_MISMATCH', `a class token and a ${thw.join('×')} grid are ${1 + prod(thw)} tokens; the input has ${l} (${fmtShape(x)})`, 'inputSize', { shapes: { input: x } });
    }
    const dim = a.outputDim ?? c;
    const heads = a.numHeads;
    if (dim % heads !== 0) ctx.fail('INVALID_ATTRIBUTE', `outputDim ${dim} is not a multiple of numHeads ${heads}`, 'numHeads');
    const d = dim / heads;
    const poolQ = poolPlan(thw, [...a.kernelQ] as Thw, [...a.strideQ] as Thw);
    const poolKv = poolPlan(thw, [...a.kernelKv] as Thw, [...a.strideKv] as Thw);
    const qThw = poolQ?.out ?? thw;
    const kThw = poolKv?.out ?? thw;
    let tables: MultiscaleAttentionPlan['tables'] = null;
    if (a.relPos) tables = relTableRows(ctx, a, thw);
    const linearInit = (fanIn: number) => ({ kind: 'fanIn', fanIn }) as const;
    const weights: WeightSpec[] = [
      { name: 'qkvWeight', shape: [3 * dim, c], trainable: true, init: linearInit(c) },
      { name: 'qkvBias', shape: [3 * dim], trainable: true, init: linearInit(c) },
      { name: 'project.0.weight', shape: [dim, dim], trainable: true, init: linearInit(dim) },
      { name: 'project.0.bias', shape: [dim], trainable: true, init: linearInit(dim) },
    ];
    const poolWeights = (which: string, p: PoolPlan) =>
      weights.push(
        { name: `${which}.pool.weight`, shape: [d, 1, ...p.kernel], trainable: true, init: linearInit(prod(p.kernel)) },
        { name: `${which}.norm_act.0.weight`, shape: [d], trainable: true, init: { kind: 'constant', value: 1 } },
        { name: `${which}.norm_act.0.bias`, shape: [d], trainable: true, init: { kind: 'constant', value: 0 } },
      );
    if (poolQ) poolWeights('pool_q', poolQ);
    if (poolKv) (poolWeights('pool_k', poolKv), poolWeights('pool_v', poolKv));
    if (tables) {
      const init = { kind: 'fanIn', fanIn: 1 / (3 * TABLE_STD * TABLE_STD) } as const;
      weights.push(
        { name: 'relPosH', shape: [tables.spatial, d], trainable: true, init },
        { name: 'relPosW', shape: [tables.spatial, d], trainable: true, init },
        { name: 'relPosT', shape: [tables.temporal, d], trainable: true, init },
      );
    }
    const gq = prod(qThw);
    const gk = prod(kThw);
    const lq = 1 + gq;
    const lk = 1 + gk;
    const kq = poolQ ? prod(poolQ.kernel) : 0;
    const kkv = poolKv ? prod(poolKv.kernel) : 0;
    const relK = kThw[0] + kThw[1] + kThw[2];
    const scores = n * heads * lq * lk;
    const poolMacs = n * heads * d * ((poolQ ? gq * kq : 0) + (poolKv ? 2 * gk * kkv : 0));
    const macs = n * (l * c * 3 * dim + lq * dim * dim) + poolMacs + 2 * scores * d + (tables ? n * heads * gq * relK * d : 0);
    const exactMacOps =
      n * l * 3 * dim * (2 * c - 1) +
      n * lq * dim * (2 * dim - 1) +
      n * heads * d * ((poolQ ? gq * (2 * kq - 1) : 0) + (poolKv ? 2 * gk * (2 * kkv - 1) : 0)) +
      scores * (2 * d - 1) +
      n * heads * lq * d * (2 * lk - 1) +
      (tables ? n * heads * gq * relK * (2 * d - 1) : 0);
    const normed = n * heads * ((poolQ ? lq : 0) + (poolKv ? 2 * lk : 0)) * d;
    const elementwise = 7 * normed + n * lq * dim + 5 * scores + (tables ? 3 * n * heads * gq * gk : 0) + (a.residualPool ? n * heads * (a.residualWithClsEmbed ? lq : gq) * d : 0);
    const plan: MultiscaleAttentionPlan = { n, c, dim, heads, d, thw, poolQ, poolKv, qThw, kThw, tables };
    const relPosUnits = tables ? n * heads * gq * (relK * d + 3 * gk) : 0;
    const runWork = macs + elementwise + (MSA_SOFTMAX_SCORE - 5) * scores + (MSA_POOL_MAC - 1) * poolMacs + (MSA_REL_POS_UNIT - 1) * relPosUnits;
    return {
      outputs: [[n, lq, dim]],
      weights,
      cost: { macs, exactMacOps, biasOps: n * l * 3 * dim + n * lq * dim, elementwise },
      runWork,
      vjpWork: MSA_VJP_RATE * runWork,
      plan,
      intermediates: [
        { shape: [n, l, 3 * dim], what: 'q, k and v before pooling' },
        { shape: [lq + bandRows(lq, lk) + 3 * lk, d], what: "one head's pooled q, k, kᵀ and v, a band's q scaled (reused across samples and heads)" },
        { shape: [bandRows(lq, lk), lk], what: "a band of one head's scores (the softmax module's memory, reused across bands, heads and calls)" },
        { shape: [n, lq, dim], what: 'the heads concatenated before the projection' },
      ],
      vjpIntermediates: multiscaleVjpIntermediates(plan),
    };
  },
  receptiveField: (ctx) => globalOver(ctx.rf[0], ctx.inputs[0]),
  run: (ctx) => [tensor(ctx.outputs[0], multiscaleForward(ctx.inputs[0].data, ctx.plan, ctx.attrs, ctx.weights))],
  vjp: (ctx) => multiscaleAttentionVjp(ctx),
  vjpReads: () => ({ inputs: true, outputs: false }),
};
