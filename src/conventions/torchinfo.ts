/**
 * torchinfo (github.com/TylerYep/torchinfo @ 5c4164f, 1.8.0 and later), summary(model,
 * input_size).total_mult_adds, printed as "Total mult-adds". LayerInfo.calculate_macs
 * (torchinfo/layer_info.py l. 264-286) counts only modules with parameters, from the parameter
 * count and the output size, and only leaf modules reach the total (model_statistics.py l. 30-33):
 *
 *   a module whose class name contains "Conv" (Conv2d, ConvTranspose2d, DeformConv2d):
 *       (weight + bias elements) · N · H'·W'           ("ignore C": output positions)
 *   a module whose class name contains "Linear":
 *       (weight + bias elements) · prod(output[:-1])
 *   any other module with parameters (BatchNorm2d, …): (its parameter elements) · N
 *
 * So the bias counts once per output position, BN counts 2·C·N (γ and β times the batch), and a
 * transposed conv is counted over OUTPUT positions with all Cin·(Cout/g)·k weights at each:
 * g times the usual output-position count. Layers without parameters and functional calls count 0.
 *
 * Published: tests/test_output/resnet50.out (torchvision resnet50, input (2, 3, 224, 224)):
 * "Total mult-adds (G): 8.18"; README and tests/test_output/resnet152.out: 11.51 G at batch 1;
 * tests/test_output/single_input_all_cols.out: per-layer Mult-Adds of SingleInputNet at batch 7
 * (1,048,320 / 2,248,960 / 112,350 / 3,570).
 */
import { MVIT_SOURCE, byCalls } from './multiscale-attention.js';
import { convDims, hasWeight, linearDims, transposedMacs, weightShape } from './families.js';
import { ndRules } from './nd-rules.js';
import type { ConventionPreset, Family, LayerFacts } from './types.js';
import { numel } from '../ops/types.js';
import { withCpb } from './window-attention-v2.js';

const LI = 'torchinfo/layer_info.py';

/**
 * The families PyTorch implements as a leaf module (no child modules) that holds its own parameters
 * and is called as a module, so torchinfo's forward hook sees it with num_params > 0: the layers
 * whose outputs its "Forward/backward pass size" sums (model_statistics.py l. 30-35, layer_info.py
 * `is_leaf_layer = not any(self.module.children())`). Not here, though convlens gives them
 * parameters: nn.MultiheadAttention and torchvision's ShiftedWindowAttention (modules with children,
 * whose projections are called as F.linear on the children's weights, so no child's hook runs), a
 * ConvNeXt block's layer scale, ViT's class token and position embedding (parameters of a module
 * with children). Measured: scripts/memory_footprint_truth.py (test/fixtures/memory/footprint.json).
 */
export const TORCHINFO_LEAF_FAMILIES: ReadonlySet<Family> = new Set<Family>([
  'conv',
  'convNd',
  'convTranspose',
  'convTransposeNd',
  'deformConv',
  'linear',
  'batchNorm',
  'layerNorm',
  // nn.RMSNorm (torch ≥ 2.4): a leaf module holding its γ, as nn.LayerNorm (not measured: the truth
  // script's torch 1.13 has no RMSNorm)
  'rmsNorm',
  'groupNorm',
  'instanceNorm',
  'prelu',
]);

const paramElements = (f: LayerFacts): number => f.weights.filter((w) => w.trainable).reduce((s, w) => s + numel(w.shape), 0);

/** "Conv" modules: every parameter element once per output position (batch included, channels not). */
function convLike(f: LayerFacts): number {
  const y = f.outputs[0];
  return paramElements(f) * y[0] * y[2] * y[3];
}

export const torchinfo: ConventionPreset = {
  name: 'torchinfo',
  tool: 'torchinfo',
  version: 'torchinfo 1.8.0 (commit 5c4164f1e2e1)',
  source: [
    `github.com/TylerYep/torchinfo ${LI} (calculate_macs l. 264-286)`,
    'github.com/TylerYep/torchinfo torchinfo/model_statistics.py (l. 30-33: leaf layers only)',
    'github.com/TylerYep/torchinfo tests/test_output/resnet50.out (batch 2: Total mult-adds (G): 8.18)',
  ],
  unit: 'MACs',
  summary: "Parameter elements × output positions for conv-like modules (bias included), × rows for linear, × batch for any other module with parameters (BN, LayerNorm, GroupNorm: 2·C·N; RMSNorm: its γ·N; PReLU); modules without parameters, non-leaf modules (nn.MultiheadAttention holds out_proj, so its own projections and score products count 0; a block's layer scale, ViT's class token and position embedding) and functional calls count 0.",
  rules: {
    conv: { count: convLike, why: 'Conv2d: (weight + bias elements)·N·H\'·W\' = MACs + one bias add per output element', source: `${LI} calculate_macs l. 275-279` },
    convTranspose: {
      count: (f, ctx) => {
        if (!ctx.convTranspose) return convLike(f);
        const d = convDims(f);
        const y = f.outputs[0];
        return transposedMacs(d, ctx.convTranspose) + (hasWeight(f, 'bias') ? numel(weightShape(f, 'bias')) * y[0] * y[2] * y[3] : 0);
      },
      why: 'ConvTranspose2d ("Conv" in the class name): (Cin·(Cout/g)·k + Cout)·N·H\'·W\', output positions',
      source: `${LI} calculate_macs l. 275-279`,
    },
    deformConv: { count: convLike, why: 'DeformConv2d ("Conv" in the class name): (weight + bias elements)·N·H\'·W\'', source: `${LI} calculate_macs l. 275-279` },
    linear: {
      count: (f) => {
        const d = linearDims(f);
        return paramElements(f) * d.rows;
      },
      why: 'Linear: (in·out + out bias)·rows',
      source: `${LI} calculate_macs l. 280-281`,
    },
    batchNorm: {
      count: (f) => paramElements(f) * f.outputs[0][0],
      why: 'BatchNorm2d (a module with parameters): (γ + β elements)·N = 2·C·N',
      source: `${LI} calculate_macs l. 282-283`,
    },
    layerNorm: {
      count: (f) => paramElements(f) * f.outputs[0][0],
      why: 'LayerNorm (a module with parameters): (γ + β elements)·N; without elementwise_affine 0',
      source: `${LI} calculate_macs l. 282-283`,
    },
    groupNorm: {
      count: (f) => paramElements(f) * f.outputs[0][0],
      why: 'GroupNorm (a module with parameters): (γ + β elements)·N = 2·C·N; without affine 0',
      source: `${LI} calculate_macs l. 282-283`,
    },
    instanceNorm: {
      count: (f) => paramElements(f) * f.outputs[0][0],
      why: 'InstanceNorm2d with affine: (γ + β elements)·N; without (the default) 0',
      source: `${LI} calculate_macs l. 282-283`,
    },
    prelu: {
      count: (f) => paramElements(f) * f.outputs[0][0],
      why: 'PReLU (a module with parameters): slope elements·N',
      source: `${LI} calculate_macs l. 282-283`,
    },
    rmsNorm: {
      count: (f) => (f.functional ? 0 : paramElements(f) * f.outputs[0][0]),
      why: 'nn.RMSNorm (torch ≥ 2.4, a leaf module with parameters): its γ elements·N; without elementwise_affine, or as F.rms_norm, 0',
      source: `${LI} calculate_macs l. 282-283; torchinfo/model_statistics.py l. 30-32 (leaf layers)`,
    },
    rotaryEmbedding: {
      count: () => 0,
      why: 'rotary embedding: no parameters (the cos/sin caches are buffers or inputs) and no module of its own in torch: 0',
      source: `${LI} calculate_macs l. 272-286 (named_parameters only)`,
    },
    sdpa: {
      count: () => 0,
      why: 'F.scaled_dot_product_attention is a function with no parameters: 0 (q·kᵀ and attn·v not counted)',
      source: `${LI} calculate_macs l. 272-286 (named_parameters only)`,
    },
    multiscaleAttention: byCalls(
      () => torchinfo.rules,
      "MViT multiscale attention (MultiscaleAttention and its Pools have children: not leaves, so rel_pos_h/w/t count nowhere): its leaf modules: qkv and project.0 ((in·out + out)·rows), each pool's Conv3d (weight elements·N·h·T'·H'·W') and LayerNorm ((γ + β)·N = 2d·N); the matmuls and einsums are functions: 0",
      `${LI} calculate_macs l. 275-283; ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => torchinfo.rules,
      { count: () => 0 },
      "Swin V2 window attention (ShiftedWindowAttentionV2, a module with children: not a leaf; qkv and proj applied with F.linear, so their hooks never run): 0; its position-bias MLP's nn.Linear leaves, once per forward over R = (2wh − 1)(2ww − 1) rows: (2·512 + 512)·R and 512·h·R; its nn.ReLU has no parameters: 0",
      `${LI} calculate_macs l. 280-281; torchvision 0.14 swin_transformer.py l. 366`,
    ),
    ...ndRules('torchinfo'),
  },
};
