/**
 * calflops (calculate-flops.pytorch, github.com/MrYxJ/calculate-flops.pytorch @ 29ca584,
 * 2024-03-01), calculate_flops(model, input_shape) → (flops, macs, params). Derived from
 * DeepSpeed's flops profiler: it patches torch.nn.functional and a few tensor functions
 * (calflops/pytorch_ops.py _patch_functionals l. 452-503, _patch_tensor_methods l. 506-525) and
 * puts the model in eval mode (flops_counter.py l. 111). Each patched call returns (FLOPs, MACs):
 * conv and linear FLOPs = 2·MACs (+ conv bias, never linear bias), everything else FLOPs with 0
 * MACs. Modules reach the same functions (nn.ReLU → F.relu), so module and functional forms count
 * alike; nn.ReLU6 calls F.hardtanh, which is not patched (0), and `+` / `*` are not patched (0).
 *
 * Transcribed as they are, two slips of _conv_trans_flops_compute (l. 128-171): it takes
 * Cout = weight.shape[1] (that is Cout/g) and divides by groups again, and sizes the bias term with
 * the forward-conv output formula on the input ((H + 2p − d(k−1) − 1)/s + 1), not the transposed
 * one. _upsample_flops_compute (l. 229-251) counts prod(size) (no N·C) when given a size, and the
 * input's element count when given a scale factor (its product with the scale is discarded).
 *
 * Published (README "Benchmark", torchvision at 1×3×224×224, FLOPs(Total) and Macs(Total) to 6
 * significant digits): resnet50 8211110000 / 4089180000, vgg16 30973800000 / 15470300000,
 * resnet18 3636250000 / 1814070000, vgg16_bn 31000900000 / 15470300000, squeezenet1_1
 * 705014000 / 349152000, densenet121 5716880000 / 2834160000.
 */
import { MVIT_SOURCE, byCalls } from './multiscale-attention.js';
import { VARIANT_COUNTS, mhaVariant } from './attention-variant-counts.js';
import { affine, attentionDims, convDims, inElements, linearDims, lrnPatchedCalls, matmulOperands, transposedMacs } from './families.js';
import { calflopsInterpolate, calflopsMacsResample, calflopsRaises } from './nd-resample.js';
import { ndRules } from './nd-rules.js';
import { numpyPrintedFlops } from './numpy-einsum.js';
import { v2Dims, withCpb } from './window-attention-v2.js';
import type { ConventionPreset, LayerFacts, Rule } from './types.js';
import { numel } from '../ops/types.js';

const OPS = 'calflops/pytorch_ops.py';

/**
 * The output spatial positions _conv_flops_compute sizes its bias term with: the forward-conv
 * formula with symmetric padding p (padding="same" becomes ⌊d(k−1)/2⌋ per side).
 */
function calflopsConvOut(f: LayerFacts): number {
  const g = f.geometry!;
  const same = f.attrs.padding === 'same';
  let positions = 1;
  for (const a of g) {
    const p = same ? Math.floor((a.dilation * (a.kernel - 1)) / 2) : a.padBegin;
    positions *= Math.floor((a.in + 2 * p - (a.dilation * (a.kernel - 1) + 1)) / a.stride) + 1;
  }
  return positions;
}

/** _conv_flops_compute: MACs = k·Cin·(Cout/g) per output position; FLOPs = 2·MACs + Cout per output position with a bias. */
function conv(f: LayerFacts): { flops: number; macs: number } {
  const d = convDims(f);
  const positions = d.n * calflopsConvOut(f);
  const macs = d.kh * d.kw * d.cin * (d.cout / d.groups) * positions;
  return { flops: 2 * macs + (d.bias ? d.cout * positions : 0), macs };
}

/** _conv_trans_flops_compute with its slips (see the header). */
function convTranspose(f: LayerFacts, positions?: 'input' | 'output'): { flops: number; macs: number } {
  const d = convDims(f);
  const weightOut = d.cout / d.groups; // weight.shape[1]
  const macs = positions ? transposedMacs(d, positions) : d.kh * d.kw * d.cin * Math.floor(weightOut / d.groups) * d.n * d.h * d.w;
  return { flops: 2 * macs + (d.bias ? weightOut * d.n * calflopsConvOut(f) : 0), macs };
}

/**
 * Attention as calflops sees it (calculate_flops leaves gradients on, so eval-mode torch runs
 * nn.MultiheadAttention's Python path, not its native fast path). nn.MultiheadAttention (ViT):
 * F.linear for the packed input projection and the output projection (2·tokens·4C² FLOPs,
 * tokens·4C² MACs, bias not counted), F.softmax one per score; its torch.bmm score products are not
 * patched (0). Swin's windowed attention: F.linear likewise, Tensor.matmul twice (patched:
 * 2·prod(a)·b[-1] FLOPs, prod(a)·b[-1] MACs each) and F.softmax.
 */
function calflopsAttention(f: LayerFacts): { flops: number; macs: number } {
  const variant = mhaVariant(f);
  if (variant) return { flops: VARIANT_COUNTS.calflops(f, variant), macs: VARIANT_COUNTS.calflopsMacs(f, variant) };
  const a = attentionDims(f);
  const scores = a.s * a.h * a.t * a.t;
  const projections = a.tokens * 4 * a.c * a.c;
  const products = f.attrs.window === undefined ? 0 : 2 * a.tokens * a.t * a.c;
  return { flops: 2 * (projections + products) + scores, macs: projections + products };
}
/** Swin V2's window attention: F.linear qkv and proj, attn.matmul(v) (Tensor.matmul); q·kᵀ is the `@` operator (Tensor.__matmul__, not patched). */
function v2Window(f: LayerFacts): { flops: number; macs: number } {
  const d = v2Dims(f);
  const macs = d.tokens * 4 * d.c * d.c + d.tokens * d.t * d.c;
  return { flops: 2 * macs + d.scores, macs };
}
const V2_SOURCE = `${OPS} _linear_flops_compute l. 37-40, _relu_flops_compute l. 43-44, _matmul_flops_compute l. 274-279, _softmax_flops_compute l. 254-255, _patch_tensor_methods l. 507-508 (torch.matmul, Tensor.matmul: not the @ operator); torchvision 0.14 swin_transformer.py l. 182, 212, 366`;
const ATTENTION_WHY =
  'attention: F.linear projections (2·tokens·4C², bias not counted; a variant\'s own dims: cross-attention, kdim/vdim, add_bias_kv) + F.softmax (1 per score, over the positions attended); the score products count only as Tensor.matmul (Swin-style windows), not as nn.MultiheadAttention\'s torch.bmm (not patched)';
const ATTENTION_SOURCE = `${OPS} _linear_flops_compute l. 37-40, _matmul_flops_compute l. 274-279, _softmax_flops_compute l. 254-255, _patch_tensor_methods l. 511 (torch.bmm commented out)`;

/** np.einsum_path's optimal FLOP count as calflops reads it, int(float(printed)): "%.3e", four significant digits (src/conventions/numpy-einsum.ts; maxvit_t's q·kᵀ, 19,668,993, reads 19,670,000); more operands: 2·convlens's (operands − 1)·L, an upper bound. */
function numpyEinsumFlops(f: LayerFacts): number {
  if (f.inputs.length > 2) return 2 * (f.cost.macs || f.cost.elementwise);
  return numpyPrintedFlops(f);
}

const perElement = (why: string, source: string): Rule => ({ count: (f) => inElements(f), why, source });

const calflopsFlops: ConventionPreset['rules'] = {
  conv: { count: (f) => conv(f).flops, why: 'F.conv2d: 2·MACs + one bias add per output element', source: `${OPS} _conv_flops_compute l. 83-125` },
  convTranspose: {
    count: (f, ctx) => convTranspose(f, ctx.convTranspose).flops,
    why: 'F.conv_transpose2d: 2·N·H·W·k·Cin·⌊(Cout/g)/g⌋ (input positions) + (Cout/g) bias adds per position of the forward-conv formula',
    source: `${OPS} _conv_trans_flops_compute l. 128-171`,
  },
  linear: {
    count: (f) => {
      const d = linearDims(f);
      return 2 * d.rows * d.ci * d.co;
    },
    why: 'F.linear: 2·rows·in·out, bias not counted',
    source: `${OPS} _linear_flops_compute l. 37-40`,
  },
  matmul: {
    count: (f) => {
      const { a, b } = matmulOperands(f);
      return 2 * numel(a) * b[b.length - 1];
    },
    why: 'torch.matmul: 2·prod(a.shape)·b[-1]',
    source: `${OPS} _matmul_flops_compute l. 274-279`,
  },
  batchNorm: { count: (f) => inElements(f) * (affine(f) ? 2 : 1), why: 'F.batch_norm (eval): 2 per element with affine, 1 without', source: `${OPS} _batch_norm_flops_compute l. 174-189` },
  relu: perElement('F.relu: 1 per element', `${OPS} _relu_flops_compute l. 43-44`),
  relu6: { count: (f) => (f.functional ? inElements(f) : 0), why: 'nn.ReLU6 calls F.hardtanh, not patched: 0; F.relu6: 1 per element', source: `${OPS} _patch_functionals l. 470` },
  leakyRelu: perElement('F.leaky_relu: 1 per element', `${OPS} _leaky_relu_flops_compute l. 55-56`),
  swish: perElement('F.silu: 1 per element', `${OPS} _silu_flops_compute l. 63-64`),
  softmax: perElement('F.softmax: 1 per element', `${OPS} _softmax_flops_compute l. 254-255`),
  maxPool: perElement('F.max_pool2d: 1 per input element', `${OPS} _pool_flops_compute l. 71-80`),
  avgPool: perElement('F.avg_pool2d: 1 per input element', `${OPS} _pool_flops_compute l. 71-80`),
  adaptiveAvgPool: perElement('F.adaptive_avg_pool2d: 1 per input element', `${OPS} _pool_flops_compute l. 71-80`),
  globalAvgPool: perElement('F.adaptive_avg_pool2d: 1 per input element', `${OPS} _pool_flops_compute l. 71-80`),
  resample: {
    count: calflopsInterpolate,
    unsupported: calflopsRaises,
    why: "F.interpolate over 2 axes: prod(size) given a tuple size, the int itself given one int (no N·C; a Resize's sizes, attribute or input tensor, read as the tuple of its output's spatial sizes); the input elements given a scale factor (a per-axis scale tuple whose length is not the batch size makes calflops raise TypeError)",
    source: `${OPS} _upsample_flops_compute l. 229-251 (tuple ** len(input), the batch, l. 247-250), patched l. 496-497`,
  },
  add: { count: (f) => (f.functional ? numel(f.outputs[0]) : 0), why: 'torch.add: 1 per output element; the `+` operator is not patched: 0', source: `${OPS} _add_flops_compute l. 324-325` },
  mul: { count: (f) => (f.functional ? numel(f.outputs[0]) : 0), why: 'torch.mul: 1 per output element; the `*` operator is not patched: 0', source: `${OPS} _mul_flops_compute l. 320-321` },
  layerNorm: { count: (f) => inElements(f) * (affine(f) ? 5 : 4), why: 'F.layer_norm: 5 per element with affine, 4 without', source: `${OPS} _layer_norm_flops_compute l. 192-201` },
  groupNorm: { count: (f) => inElements(f) * (affine(f) ? 5 : 4), why: 'F.group_norm: 5 per element with affine, 4 without', source: `${OPS} _group_norm_flops_compute l. 204-211` },
  instanceNorm: { count: (f) => inElements(f) * (affine(f) ? 5 : 4), why: 'F.instance_norm: 5 per element with affine, 4 without', source: `${OPS} _instance_norm_flops_compute l. 214-226` },
  localResponseNorm: {
    count: lrnPatchedCalls,
    why: 'F.local_response_norm is not patched, but what it calls is: Tensor.mul twice and Tensor.add once, 1 per element each, and F.avg_pool3d 1 per element of the squares padded to C + size − 1 channels; pad, pow and / are not patched',
    source: `${OPS} _patch_tensor_methods Tensor.mul l. 518, Tensor.add l. 521 (_elementwise_flops_compute l. 328-350), F.avg_pool3d l. 484 (_pool_flops_compute l. 71-80)`,
  },
  gelu: perElement('F.gelu: 1 per element', `${OPS} _gelu_flops_compute l. 67-68`),
  elu: perElement('F.elu: 1 per element', `${OPS} _elu_flops_compute l. 51-52`),
  prelu: perElement('F.prelu: 1 per element', `${OPS} _prelu_flops_compute l. 47-48`),
  attention: { count: (f) => calflopsAttention(f).flops, why: ATTENTION_WHY, source: ATTENTION_SOURCE },
  multiscaleAttention: byCalls(
    () => calflopsFlops,
    "MViT multiscale attention: F.linear qkv and project (2·rows·in·out, bias not counted), the pools' F.conv3d (2·MACs, no bias) and F.layer_norm (5 per element), torch.matmul q·kᵀ and attn·v (2·prod(a)·b[-1]), and with relative positions torch.einsum twice (numpy's optimal FLOPs as printed) and the temporal torch.matmul; Tensor.softmax (not F.softmax), the `*` scaling and the adds are not patched: 0",
    `${OPS} _linear_flops_compute l. 37-40, _conv_flops_compute l. 83-125, _layer_norm_flops_compute l. 192-201, _matmul_flops_compute l. 274-279, _einsum_flops_compute l. 290-309; ${MVIT_SOURCE}`,
  ),
  windowAttentionV2: withCpb(
    () => calflopsFlops,
    { count: (f) => v2Window(f).flops },
    "Swin V2 window attention: F.linear qkv and proj (2·tokens·4C², bias not counted), attn.matmul(v) (Tensor.matmul: 2·tokens·T·C) and F.softmax (1 per score); q·kᵀ is the `@` operator, not patched: 0; its position-bias MLP's modules once per forward: F.linear 2·R·512·2 and 2·R·512·h, F.relu R·512 (R = (2wh − 1)(2ww − 1))",
    V2_SOURCE,
  ),
  ...ndRules('calflops'),
  rmsNorm: {
    count: () => 0,
    why: 'F.rms_norm is not patched (nn.RMSNorm calls it; it runs torch.rms_norm, no patched call inside): 0, where F.layer_norm counts 5 per element',
    source: `${OPS} _patch_functionals l. 452-503 (normalizations l. 475-479: batch, layer, instance, group), MODULE_HOOK_MAPPING l. 442-450`,
  },
  rotaryEmbedding: {
    count: () => 0,
    why: "rotary embedding: no patched function of it; the rotation is the `*` and `+` operators (transformers' apply_rotary_pos_emb), not patched (torch.mul/add and Tensor.mul/add are): 0",
    source: `${OPS} _patch_functionals l. 452-503, _patch_tensor_methods l. 506-525`,
  },
  sdpa: {
    count: () => 0,
    why: 'F.scaled_dot_product_attention is not patched (its products run inside the aten op, past the patched torch.matmul): 0',
    source: `${OPS} _patch_functionals l. 452-503, _patch_tensor_methods l. 506-525`,
  },
  einsum: { count: (f) => numpyEinsumFlops(f), why: "torch.einsum: numpy's optimal-path FLOP count as printed (%.3e: four significant digits; a two-operand contraction: 2·L + 1, L the product of every label size)", source: `${OPS} _einsum_flops_compute l. 290-309` },
};

const COMMON = {
  tool: 'calflops',
  version: 'calculate-flops.pytorch commit 29ca58443fc1 (2024-03-01)',
  source: [
    `github.com/MrYxJ/calculate-flops.pytorch ${OPS}`,
    'github.com/MrYxJ/calculate-flops.pytorch calflops/calculate_pipline.py',
    'github.com/MrYxJ/calculate-flops.pytorch README.md (Benchmark: torchvision, FLOPs(Total), Macs(Total))',
  ],
} as const;

export const calflops: ConventionPreset = {
  name: 'calflops',
  ...COMMON,
  tool: 'calflops (its FLOPs figure)',
  source: [...COMMON.source],
  unit: 'FLOPs',
  summary: 'FLOPs: 2·MACs of conv, linear and matmul, conv bias adds (not linear bias), batch norm 2 per element, layer/group/instance norm 5 per element (4 without affine), ReLU, LeakyReLU, SiLU, GELU, ELU, PReLU, softmax and every pooling 1 per (input) element, einsum numpy\'s optimal FLOPs, F.interpolate prod(size) given a size (an int size the int itself) and the input elements given a scale; attention its F.linear projections and softmax (nn.MultiheadAttention\'s torch.bmm score products are not patched; a Swin-style window\'s Tensor.matmul products are); ReLU6 (nn), sigmoid, hardswish, tanh, F.rms_norm, F.scaled_dot_product_attention, `+` and `*` (residuals, layer scale, position embedding, a rotary embedding) count 0.',
  rules: calflopsFlops,
};

export const calflopsMacs: ConventionPreset = {
  name: 'calflops-macs',
  ...COMMON,
  tool: 'calflops (its MACs figure)',
  source: [...COMMON.source],
  unit: 'MACs',
  summary: "calflops' MACs figure: multiply-accumulates of conv, transposed conv, linear and matmul only, no bias; of nn.MultiheadAttention only the F.linear projections (its torch.bmm score products are not patched).",
  rules: {
    conv: { count: (f) => conv(f).macs, why: 'F.conv2d: k·Cin·(Cout/g) per output position', source: `${OPS} _conv_flops_compute l. 83-125` },
    convTranspose: { count: (f, ctx) => convTranspose(f, ctx.convTranspose).macs, why: 'F.conv_transpose2d: N·H·W·k·Cin·⌊(Cout/g)/g⌋ (input positions)', source: `${OPS} _conv_trans_flops_compute l. 128-171` },
    linear: {
      count: (f) => {
        const d = linearDims(f);
        return d.rows * d.ci * d.co;
      },
      why: 'F.linear: rows·in·out',
      source: `${OPS} _linear_flops_compute l. 37-40`,
    },
    matmul: {
      count: (f) => {
        const { a, b } = matmulOperands(f);
        return numel(a) * b[b.length - 1];
      },
      why: 'torch.matmul: prod(a.shape)·b[-1]',
      source: `${OPS} _matmul_flops_compute l. 274-279`,
    },
    attention: { count: (f) => calflopsAttention(f).macs, why: 'attention: the MACs of the patched F.linear projections (tokens·4C²) and, for Swin-style windows, of Tensor.matmul (2·tokens·T·C)', source: ATTENTION_SOURCE },
    multiscaleAttention: byCalls(
      () => calflopsMacs.rules,
      "MViT multiscale attention: the MACs of F.linear qkv and project, of the pools' F.conv3d and of torch.matmul (q·kᵀ, attn·v and, with relative positions, the temporal matmul); torch.einsum and F.layer_norm have FLOPs but no MACs: 0",
      `${OPS} _linear_flops_compute l. 37-40, _conv_flops_compute l. 83-125, _matmul_flops_compute l. 274-279, _einsum_flops_compute l. 290-309 (MACs 0); ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => calflopsMacs.rules,
      { count: (f) => v2Window(f).macs },
      "Swin V2 window attention: the MACs of F.linear qkv and proj (tokens·4C²) and of attn.matmul(v) (tokens·T·C; q·kᵀ is the `@` operator, not patched), and of its position-bias MLP's F.linear once per forward (R·512·2 + R·512·h)",
      V2_SOURCE,
    ),
    ...ndRules('calflops-macs'),
    sdpa: { count: () => 0, why: 'F.scaled_dot_product_attention is not patched: no MACs (q·kᵀ and attn·v not counted)', source: `${OPS} _patch_functionals l. 452-503, _patch_tensor_methods l. 506-525` },
    resample: calflopsMacsResample('2 axes'),
    resampleNd: calflopsMacsResample('1 or 3 axes'),
  },
};
