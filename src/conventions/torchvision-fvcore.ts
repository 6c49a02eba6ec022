/**
 * torchvision's published "GFLOPS" and fvcore's FlopCountAnalysis: both count one multiply-add as
 * one "flop", and differ on what else they count.
 *
 * torchvision: the `_ops` field of every weights' meta (torchvision/models/resnet.py
 * ResNet50_Weights.IMAGENET1K_V1 "_ops": 4.089; vgg.py VGG16_Weights "_ops": 15.47), shown as
 * "GFLOPS" at https://pytorch.org/vision/stable/models.html. Measured with a TorchDispatchMode
 * counter over aten.convolution / mm / addmm / bmm (the counter torch.utils.flop_counter grew
 * from): conv N·Cout·H'·W'·(Cin/g)·k, transposed conv over input positions, linear rows·in·out;
 * no bias, no BN, no activation, no pooling. That is convlens's own MAC convention. The score
 * products of attention (q·kᵀ, attn·v) are aten.bmm calls, so they count: ViT-B/16's 17.564.
 *
 * fvcore 0.1.6 (github.com/facebookresearch/fvcore @ 3378afe): FlopCountAnalysis traces the model
 * with torch.jit and counts the aten ops in _DEFAULT_SUPPORTED_OPS (fvcore/nn/flop_count.py
 * l. 28-46), handles in fvcore/nn/jit_handles.py. Besides conv and linear it counts batch norm,
 * adaptive average pooling and nearest/bilinear upsampling; ReLU, max pooling, avg_pool2d, add,
 * mul, cat … are not counted (skipped as unsupported or in _IGNORED_OPS, jit_analysis.py l. 30).
 * Of the newer families it counts layer, group and instance norm (5 per element with affine,
 * 4 without), einsum (numpy's optimal path), grid sampling (4 per output) and attention's
 * projections and score products (aten::linear, aten::bmm); GELU, softmax, the learned tensors'
 * adds and multiplies, reductions, element-wise math and the quantized ops are not counted.
 * The model is assumed in eval mode (FlopCountAnalysis does not switch it: in training mode BN
 * counts 5 per element, norm_flop_counter).
 */
import { MVIT_SOURCE, byCalls } from './multiscale-attention.js';
import { affine, convDims, inElements, intMacs, linearDims, matmulOperands, outElements, transposedMacs } from './families.js';
import type { EinsumPlan } from '../ops/einsum.js';
import { ndRules } from './nd-rules.js';
import { canonicalEquation, numpyPrintedFlops } from './numpy-einsum.js';
import { windowMacs, withCpb } from './window-attention-v2.js';
import type { ConventionPreset, LayerFacts, Rule } from './types.js';
import { numel } from '../ops/types.js';

const FV = 'fvcore/nn/jit_handles.py';

/**
 * fvcore's einsum (einsum_flop_jit): the equation's letters renamed in order of appearance; two
 * shapes are counted exactly, "abc,abd->acd" (n·c·t·p) and "abc,adc->adb" (n·t·g·c); any other
 * equation is numpy's optimal-path "Optimized FLOP count" as printed ("%.3e", so four significant
 * digits) halved, rounded down (src/conventions/numpy-einsum.ts). bi,bi->bi at [3, 7]: numpy
 * prints 2.200e+01, fvcore 11; maxvit_t's q·kᵀ of 9,834,496 label products prints 1.967e+07,
 * fvcore 9,835,000 (⌊19,668,993 / 2⌋ said 9,834,496). Three or more operands: convlens's MACs.
 */
function fvcoreEinsum(f: LayerFacts): number {
  const p = f.plan as EinsumPlan;
  if (f.inputs.length > 2) return f.cost.macs || f.cost.elementwise;
  const eq = canonicalEquation(String(f.attrs.equation));
  if (eq === 'abc,abd->acd' || eq === 'abc,adc->adb') return numel(p.sizes);
  return Math.floor(numpyPrintedFlops(f) / 2);
}

/**
 * What fvcore counts per output element of a 2-D resampling, by the aten op its mode traces to
 * (flop_count.py l. 42-43): upsample's modes, and a 4-D Resize's (linear: bilinear, as torch.onnx
 * writes it). Bicubic (aten::upsample_bicubic2d), nearest-exact (aten::_upsample_nearest_exact2d)
 * and a Resize's cubic are in neither _DEFAULT_SUPPORTED_OPS nor _IGNORED_OPS: 0, as the ops fvcore
 * does not count.
 */
const FVCORE_RESAMPLE: Readonly<Record<string, number>> = { nearest: 1, bilinear: 4, linear: 4 };

/**
 * An aten op fvcore has no handle for: not in _DEFAULT_SUPPORTED_OPS (flop_count.py l. 28-46) nor in
 * _IGNORED_OPS (jit_analysis.py l. 30-89), so JitModelAnalysis._analyze counts it in unsupported_ops
 * (l. 581-585) and _warn_unsupported_ops logs it (l. 495-502); it adds no flops.
 */
const unsupportedOp = (why: string, ops: string): Rule => ({
  count: () => 0,
  why,
  source: `fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS l. 28-46 and jit_analysis.py _IGNORED_OPS l. 30-89 (neither holds ${ops}); jit_analysis.py _analyze l. 581-585, _warn_unsupported_ops l. 495-502`,
});

/** torchvision: convlens's MACs (the same rule, measured against torchvision in test/zoo). */
const macsOnly = (why: string, source: string): Rule => ({ count: (f) => f.cost.macs, why, source });

export const torchvision: ConventionPreset = {
  name: 'torchvision',
  tool: 'torchvision (model docs "GFLOPS", weights meta "_ops")',
  version: 'torchvision ≥ 0.15 weights metadata',
  source: [
    'https://pytorch.org/vision/stable/models.html (Table of all available classification weights: GFLOPS)',
    'github.com/pytorch/vision torchvision/models/resnet.py ResNet50_Weights.IMAGENET1K_V1 meta "_ops": 4.089',
    'github.com/pytorch/vision torchvision/models/vgg.py VGG16_Weights.IMAGENET1K_V1 meta "_ops": 15.47',
  ],
  unit: 'MACs',
  summary: 'Multiply-accumulates of convolutions, linear layers and activation products (attention\'s q·kᵀ and attn·v, einsum, matmul) only, bias excluded; published as "GFLOPS" with 3 decimals (ViT-B/16 17.564).',
  rules: {
    conv: macsOnly('conv: N·Cout·H\'·W\'·(Cin/g)·k multiply-adds, no bias', 'aten.convolution: batch·prod(w.shape)·prod(out spatial)'),
    convTranspose: {
      count: (f, ctx) => transposedMacs(convDims(f), ctx.convTranspose ?? 'input'),
      why: 'transposed conv over input positions: N·Cin·H·W·(Cout/g)·k, no bias',
      source: 'aten.convolution (transposed): batch·prod(w.shape)·prod(input spatial)',
    },
    deformConv: macsOnly('deformable conv: the conv part N·Cout·H\'·W\'·(Cin/g)·k', 'as conv'),
    linear: macsOnly('linear: rows·in·out, no bias', 'aten.addmm / aten.mm: M·K·N'),
    matmul: macsOnly('matmul: batch·M·K·N', 'aten.mm / aten.bmm'),
    attention: macsOnly(
      "attention: the projections (aten.addmm/mm, tokens·4C²) and both score products (aten.bmm, q·kᵀ and attn·v, 2·tokens·T·C); softmax and scaling not counted",
      'aten.addmm / aten.mm / aten.bmm (torchvision/models/vision_transformer.py ViT_B_16_Weights meta "_ops": 17.564)',
    ),
    multiscaleAttention: macsOnly(
      "MViT multiscale attention: qkv and project (tokens·3DC, Lq·D²), the q/k/v pooling Conv3d's (one in-channel per group), both score products (2·h·Lq·Lk·d) and with relative positions _add_rel_pos's einsums and matmul (h·Gq·(Hk + Wk + Tk)·d); LayerNorms, scaling, softmax and adds not counted",
      'aten.addmm / aten.convolution / aten.bmm (torchvision docs GFLOPS: mvit_v1_b 70.6, mvit_v2_s 64.22; scripts/torchvision_truth.py measures 70,599,407,808 and 64,223,815,872)',
    ),
    windowAttentionV2: macsOnly(
      "Swin V2 window attention: qkv and proj (tokens·4C²), both score products (2·tokens·T·C) and the position-bias MLP's two linears once per forward (R·512·(2 + h), R = (2wh − 1)(2ww − 1)); normalisations, logit scale, sigmoid and softmax not counted",
      'aten.addmm / aten.mm / aten.bmm (torchvision/models/swin_transformer.py Swin_V2_T_Weights meta "_ops": 5.94)',
    ),
    einsum: macsOnly('einsum of a contraction: lowered to aten.bmm, batch·M·K·N', 'aten.bmm (torch.einsum lowers to bmm)'),
    quantConv: {
      count: intMacs,
      why: "quantized conv: the integer multiply-accumulates; torchvision's quantized weights publish the float model's _ops",
      source: 'torchvision/models/quantization/resnet.py ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1 meta "_ops": 4.089',
    },
    quantMatmul: {
      count: intMacs,
      why: "quantized linear/matmul: the integer multiply-accumulates, as the float model's _ops",
      source: 'torchvision/models/quantization/mobilenetv3.py MobileNet_V3_Large_QuantizedWeights meta "_ops": 0.217',
    },
    ...ndRules('torchvision'),
  },
};

export const fvcore: ConventionPreset = {
  name: 'fvcore',
  tool: 'fvcore FlopCountAnalysis',
  version: 'fvcore 0.1.6 (commit 3378afe0d71d, 2026-02-25)',
  source: [
    'github.com/facebookresearch/fvcore fvcore/nn/flop_count.py (_DEFAULT_SUPPORTED_OPS, l. 28-46)',
    'github.com/facebookresearch/fvcore fvcore/nn/jit_handles.py',
    'github.com/facebookresearch/fvcore fvcore/nn/jit_analysis.py (_IGNORED_OPS, l. 30)',
    'github.com/facebookresearch/fvcore docs/flop_count.md',
  ],
  unit: 'FLOPs',
  summary: 'fvcore calls its figure "flops" but counts one fused multiply-add as one flop: conv, linear, matmul, einsum and attention (projections + both score products) MACs without bias, plus batch norm (eval: 2 per element with affine), layer/group/instance norm (5 per element with affine, 4 without), adaptive average pooling (1 per input element, 2-D only), 2-D upsampling (nearest 1, bilinear 4 per output element; bicubic, nearest-exact and 1-D and 3-D upsampling are unsupported ops, 0) and grid sampling (4 per output); activations, softmax, element-wise arithmetic and reductions count 0, and so do aten::rms_norm and aten::scaled_dot_product_attention (unsupported ops, warned about: an SDPA\'s score products are not counted).',
  rules: {
    conv: {
      count: (f) => f.cost.macs,
      why: 'conv: batch·prod(w.shape)·H\'·W\' = N·Cout·(Cin/g)·k·H\'·W\', bias not counted',
      source: `${FV} conv_flop_count l. 129-153`,
    },
    convTranspose: {
      count: (f, ctx) => transposedMacs(convDims(f), ctx.convTranspose ?? 'input'),
      why: 'transposed conv over input positions: batch·prod(w.shape)·H·W, bias not counted',
      source: `${FV} conv_flop_count l. 129-153 (x_shape when transposed)`,
    },
    linear: {
      count: (f) => {
        const d = linearDims(f);
        return d.rows * d.ci * d.co;
      },
      why: 'linear (aten::linear / addmm): rows·in·out, bias not counted',
      source: `${FV} addmm_flop_jit l. 84-98, linear_flop_jit l. 101-112`,
    },
    matmul: {
      count: (f) => {
        const { a, b } = matmulOperands(f);
        return numel(a) * b[b.length - 1];
      },
      why: 'matmul: prod(a.shape)·b[-1]',
      source: `${FV} matmul_flop_jit l. 219-229`,
    },
    batchNorm: {
      count: (f) => inElements(f) * (affine(f) ? 2 : 1),
      why: 'batch norm (eval): 2 per element with affine, 1 without',
      source: `${FV} batchnorm_flop_jit l. 253-260`,
    },
    adaptiveAvgPool: {
      count: (f) => inElements(f),
      why: 'adaptive average pooling: 1 per input element',
      source: 'fvcore/nn/flop_count.py l. 44: elementwise_flop_counter(1, 0)',
    },
    globalAvgPool: {
      count: (f) => inElements(f),
      why: 'global average pooling (aten::adaptive_avg_pool2d): 1 per input element',
      source: 'fvcore/nn/flop_count.py l. 44: elementwise_flop_counter(1, 0)',
    },
    resample: {
      count: (f) => (FVCORE_RESAMPLE[String(f.attrs.mode)] ?? 0) * outElements(f),
      why: 'upsampling over 2 axes: nearest (aten::upsample_nearest2d) 1, bilinear (aten::upsample_bilinear2d) 4 per output element; bicubic (aten::upsample_bicubic2d) and nearest-exact (aten::_upsample_nearest_exact2d) are not supported ops: 0',
      source: 'fvcore/nn/flop_count.py l. 42-43: upsample_nearest2d (0, 1), upsample_bilinear2d (0, 4); the others neither there (l. 28-46) nor in _IGNORED_OPS (jit_analysis.py l. 30): skipped as unsupported',
    },
    attention: {
      count: (f) => f.cost.macs,
      why: "attention (nn.MultiheadAttention's Python path): the projections (aten::linear, tokens·4C²) and both score products (aten::bmm, 2·tokens·T·C); the scaling, softmax and bias adds are not counted",
      source: `${FV} linear_flop_jit l. 101-112, bmm_flop_jit l. 115-126`,
    },
    multiscaleAttention: byCalls(
      () => fvcore.rules,
      "MViT multiscale attention: qkv and project (aten::linear: rows·in·out), the pools' depthwise convs (aten::_convolution) and LayerNorms (5 per element), q·kᵀ and attn·v (aten::matmul: prod(a)·b[-1]), and with relative positions _add_rel_pos's two einsums (numpy's optimal path, as printed, halved) and its matmul; the scaling, softmax and adds are not counted",
      `${FV} linear_flop_jit l. 101-112, conv_flop_jit l. 156-173, norm_flop_counter l. 232-250, matmul_flop_jit l. 219-229, einsum_flop_jit l. 176-216; ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => fvcore.rules,
      { count: windowMacs },
      "Swin V2 window attention: qkv and proj (aten::linear, tokens·4C²), q·kᵀ (`@`) and attn·v (aten::matmul, 2·tokens·T·C), and its position-bias MLP's linears once per forward (R·512·2 + R·512·h); F.normalize, the logit scale's clamp and exp, the multiplies, sigmoid, softmax and bias adds are not counted",
      `${FV} linear_flop_jit l. 101-112, matmul_flop_jit l. 219-229; torchvision 0.14 swin_transformer.py l. 182 (the @ operator), 212 (attn.matmul(v)), 366 (cpb_mlp)`,
    ),
    einsum: {
      count: fvcoreEinsum,
      why: 'einsum: two operands through np.einsum_path\'s optimal FLOP count as printed (%.3e: four significant digits) / 2, rounded down (a contraction: about the product of every label size; an outer product: half of it); abc,abd->acd and abc,adc->adb exactly the product; one operand likewise; three or more: convlens\'s (operands − 1)·L, an upper bound of the optimal path',
      source: `${FV} einsum_flop_jit l. 176-216`,
    },
    layerNorm: {
      count: (f) => inElements(f) * (affine(f) ? 5 : 4),
      why: 'layer norm: 5 per input element with affine, 4 without',
      source: `${FV} norm_flop_counter l. 232-250 (flop_count.py l. 40: aten::layer_norm)`,
    },
    groupNorm: {
      count: (f) => inElements(f) * (affine(f) ? 5 : 4),
      why: 'group norm: 5 per input element with affine, 4 without',
      source: `${FV} norm_flop_counter l. 232-250 (flop_count.py l. 39: aten::group_norm)`,
    },
    instanceNorm: {
      count: (f) => inElements(f) * (affine(f) ? 5 : 4),
      why: 'instance norm: 5 per input element with affine, 4 without',
      source: `${FV} norm_flop_counter l. 232-250 (flop_count.py l. 41: aten::instance_norm)`,
    },
    gridSample: {
      count: (f) => 4 * outElements(f),
      why: 'grid sampling: 4 per output element (bilinear assumed, whatever the mode)',
      source: 'fvcore/nn/flop_count.py l. 45: aten::grid_sampler elementwise_flop_counter(0, 4)',
    },
    // the transformer families of torch ≥ 2.0/2.4: their aten ops are in neither _DEFAULT_SUPPORTED_OPS nor _IGNORED_OPS, so
    // _analyze counts them among the unsupported ops (jit_analysis.py l. 581-585) and logs "Unsupported operator … encountered"
    rmsNorm: unsupportedOp(
      "nn.RMSNorm / F.rms_norm trace to aten::rms_norm, which fvcore has no handle for (unlike aten::layer_norm): skipped as an unsupported operator, with a warning: 0",
      'aten::rms_norm',
    ),
    rotaryEmbedding: unsupportedOp(
      "the rotation is tensor arithmetic (aten::mul, aten::add, aten::neg beside aten::slice and aten::cat): no handle for the arithmetic (skipped as unsupported, with a warning), the slicing and cat in _IGNORED_OPS: 0",
      'aten::mul, aten::add, aten::neg',
    ),
    sdpa: unsupportedOp(
      "F.scaled_dot_product_attention traces to aten::scaled_dot_product_attention, which fvcore has no handle for: skipped as an unsupported operator, with a warning, so neither q·kᵀ nor attn·v counts: 0",
      'aten::scaled_dot_product_attention',
    ),
    ...ndRules('fvcore'),
  },
};
