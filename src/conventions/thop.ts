/**
 * thop (ultralytics-thop 2.1.6, github.com/ultralytics/thop @ fbb5e19, the same thop/ tree as tag
 * v2.1.6, 2026-07-30). `profile(model, inputs)` registers a forward hook per nn.Module type
 * (thop/profile.py register_hooks, l. 40-119) and sums the hooks' `total_ops`; it calls the figure
 * MACs. Functions (F.relu, F.interpolate, torch.add, `+`) are invisible to it: a layer the PyTorch
 * source applies functionally counts 0.
 *
 * Published: README "Expected output: MACs: 4133742592.0, Parameters: 25557032.0" for
 * torchvision's resnet50 at 1×3×224×224; the v2.0.x README table (MACs(G) to 2 decimals: resnet50
 * 4.13, vgg16 15.47, resnet18 1.82, mobilenet_v2 0.33 …), benchmark/evaluate_famous_models.py.
 *
 * Earlier releases differ: before 2.0.16 ("Fix ConvTranspose", 2025-08-20) transposed convs were
 * counted over output positions as plain convs; before 2.1.0 avg pooling counted 1 per output and
 * adaptive pooling (in/out + 1) per output (float kernel), and LeakyReLU had its own (zero) rule.
 */
import { MVIT_SOURCE, byCalls } from './multiscale-attention.js';
import { VARIANT_COUNTS, mhaVariant } from './attention-variant-counts.js';
import { affine, attentionDims, convDims, inElements, linearDims, outElements, poolAxes, resampleMode, transposedMacs } from './families.js';
import { THOP_AVGPOOL_UNBATCHED, ndRules } from './nd-rules.js';
import { withCpb } from './window-attention-v2.js';
import type { ConventionPreset, LayerFacts, Rule } from './types.js';

const HOOKS = 'thop/vision/basic_hooks.py';
const CALC = 'thop/vision/calc_func.py';

/** Every rule here is a module hook: a functional call is never seen. */
const moduleOnly = (r: Rule): Rule => ({ ...r, count: (f, ctx) => (f.functional ? 0 : r.count(f, ctx)) });

/** Per-axis sum of window lengths of an average pool (count_avgpool: clipped to the padded bounds with countIncludePad, else to the input). */
function avgPoolWindows(f: LayerFacts): number {
  const g = f.geometry!;
  const includePad = f.attrs.countIncludePad !== false;
  let windows = 1;
  for (const a of g) {
    // PyTorch modules pad symmetrically: padding p on both sides
    const p = a.padBegin;
    const [lower, upper] = includePad ? [-p, a.in + p] : [0, a.in];
    let sum = 0;
    for (let i = 0; i < a.out; i++) sum += Math.max(Math.min(i * a.stride - p + a.kernel, upper) - Math.max(i * a.stride - p, lower), 0);
    windows *= sum;
  }
  return windows;
}

/** Sum over outputs of adaptive-pool window lengths along one axis: [⌊j·I/O⌋, ⌈(j+1)·I/O⌉). */
function adaptiveWindowSum(i: number, o: number): number {
  if (i === o) return o;
  let sum = 0;
  for (let j = 0; j < o; j++) sum += Math.ceil(((j + 1) * i) / o) - Math.floor((j * i) / o);
  return sum;
}

/** Softmax rows and features along the layer's dim. */
function softmaxRows(f: LayerFacts): { rows: number; features: number } {
  const x = f.inputs[0];
  const dim = typeof f.attrs.dim === 'number' ? f.attrs.dim : 1;
  const features = x[dim < 0 ? x.length + dim : dim];
  return { rows: inElements(f) / features, features };
}

/**
 * count_adap_avgpool walks every axis of x and y (`zip(x[0].shape, y.shape)`): an axis it leaves
 * alone (N, C) counts its length, a pooled one its window sum; so an unbatched [C, H, W] sample
 * counts as the batch of one.
 */
const adaptive: Rule = {
  count: (f) => {
    const y = f.outputs[0];
    return f.inputs[0].reduce((p, len, a) => p * adaptiveWindowSum(len, y[a]), 1) + outElements(f);
  },
  why: 'adaptive average pooling: one add per pooled input (summed window lengths, every axis walked: N·C as they are) + one divide per output',
  source: `${HOOKS} count_adap_avgpool l. 133-149 (zip(x[0].shape, y.shape) l. 145)`,
  unbatched: { why: 'of an unbatched [C, …spatial] sample C is walked as it is: the batch of one', source: `${HOOKS} count_adap_avgpool l. 145` },
};

/** Upsample cost per output element by mode (count_upsample): nearest 0, bilinear 11, bicubic 259. */
const UPSAMPLE_OPS = { nearest: 0, linear: 11, cubic: 259 } as const;

export const thop: ConventionPreset = {
  name: 'thop',
  tool: 'thop (ultralytics-thop)',
  version: 'ultralytics-thop 2.1.6 (commit fbb5e19468a9)',
  source: [
    'github.com/ultralytics/thop thop/profile.py (register_hooks l. 40-119)',
    `github.com/ultralytics/thop ${HOOKS}`,
    `github.com/ultralytics/thop ${CALC}`,
    'github.com/ultralytics/thop README.md (resnet50: MACs 4133742592, params 25557032)',
  ],
  unit: 'MACs',
  summary: "Module hooks only: conv and linear MACs without bias, batch, layer, group, instance and RMS norm (nn.RMSNorm, torch ≥ 2.4) 4 per element (2 for the normalisation, doubled when affine), average and adaptive pooling (one add per pooled input + one divide per output), upsampling per output by mode (bilinear 11, bicubic 259, linear 5, trilinear 31, nearest 0), PReLU 1 per element, softmax 3·features − 1 per row; nn.MultiheadAttention its projections, both score products and the softmax (torch ≥ 2.0 only: on older torch the hook is not registered and attention counts 0). ReLU, GELU and the other activations without a hook, max pooling, dropout, additions, einsum, parameters applied in a parent's forward (ConvNeXt's layer scale, ViT's class token and position embedding) and functional calls (F.scaled_dot_product_attention, a rotary embedding's arithmetic) count 0.",
  rules: {
    conv: moduleOnly({
      count: (f) => f.cost.macs,
      why: 'conv: N·Cout·H\'·W\'·(Cin/g)·k (output volume × input channels/g × kernel), bias not counted',
      source: `${HOOKS} count_convNd l. 32-51; ${CALC} calculate_conv2d_flops l. 27-34`,
    }),
    convTranspose: moduleOnly({
      count: (f, ctx) => transposedMacs(convDims(f), ctx.convTranspose ?? 'input'),
      why: 'transposed conv over input positions: N·Cin·H·W·(Cout/g)·k, bias not counted',
      source: `${HOOKS} count_convtNd l. 54-65; ${CALC} calculate_conv2d_flops (transpose) l. 27-34`,
    }),
    linear: moduleOnly({
      count: (f) => {
        const d = linearDims(f);
        return d.ci * d.rows * d.co;
      },
      why: 'linear: in_features × output elements, bias not counted',
      source: `${HOOKS} count_linear l. 169-176`,
    }),
    batchNorm: moduleOnly({
      count: (f) => 2 * inElements(f) * (affine(f) ? 2 : 1),
      why: 'batch norm: 2 per element, doubled with affine (4 per element for nn.BatchNorm2d)',
      source: `${HOOKS} count_normalization l. 68-79; ${CALC} calculate_norm l. 37-39`,
    }),
    avgPool: moduleOnly({
      // l_prod(x[0].shape[:-dims]): the axes before the kernel's, N·C, or C of an unbatched [C, H, W]
      count: (f) => poolAxes(f).leading.reduce((p, d) => p * d, 1) * avgPoolWindows(f) + outElements(f),
      why: 'average pooling: one add per pooled input (window lengths clipped as PyTorch pads, times the axes before the kernel\'s: N·C) + one divide per output',
      source: `${HOOKS} count_avgpool l. 118-130 (l_prod(x[0].shape[:-dims]) l. 130)`,
      unbatched: THOP_AVGPOOL_UNBATCHED,
    }),
    adaptiveAvgPool: moduleOnly(adaptive),
    globalAvgPool: moduleOnly({ ...adaptive, why: 'global average pooling (nn.AdaptiveAvgPool2d(1)): N·C·H·W adds + N·C divides' }),
    resample: moduleOnly({
      count: (f) => UPSAMPLE_OPS[resampleMode(f)] * outElements(f),
      why: 'nn.Upsample: nearest 0, bilinear 11, bicubic 259 per output element (F.interpolate is not seen)',
      source: `${HOOKS} count_upsample l. 152-166`,
    }),
    softmax: moduleOnly({
      count: (f) => {
        const x = f.inputs[0];
        const dim = typeof f.attrs.dim === 'number' ? f.attrs.dim : 1;
        const features = x[dim < 0 ? x.length + dim : dim];
        return (inElements(f) / features) * (3 * features - 1);
      },
      why: 'softmax: per row, features exp + (features − 1) adds + features divides',
      source: `${HOOKS} count_softmax l. 98-115; ${CALC} calculate_softmax l. 42-48`,
    }),
    logSoftmax: moduleOnly({
      count: (f) => {
        const { rows, features } = softmaxRows(f);
        return rows * (3 * features - 1) + rows;
      },
      why: 'nn.LogSoftmax: the softmax count per row (3·features − 1) + one log per row',
      source: `${HOOKS} count_softmax l. 98-115 (LogSoftmax: + batch_size)`,
    }),
    layerNorm: moduleOnly({
      count: (f) => 2 * inElements(f) * (affine(f) ? 2 : 1),
      why: 'nn.LayerNorm (and subclasses such as ConvNeXt\'s LayerNorm2d): 2 per element, doubled with elementwise_affine',
      source: `${HOOKS} count_normalization l. 68-79; profile.py register_hooks l. 58 (rules found through the MRO, l. 139)`,
    }),
    groupNorm: moduleOnly({
      count: (f) => 2 * inElements(f) * (affine(f) ? 2 : 1),
      why: 'nn.GroupNorm: 2 per element, doubled with affine',
      source: `${HOOKS} count_normalization l. 68-79; profile.py register_hooks l. 59`,
    }),
    instanceNorm: moduleOnly({
      count: (f) => 2 * inElements(f) * (affine(f) ? 2 : 1),
      why: 'nn.InstanceNorm2d (a _NormBase): 2 per element, doubled with affine',
      source: `${HOOKS} count_normalization l. 68-79; profile.py register_hooks l. 57`,
    }),
    prelu: moduleOnly({
      count: (f) => inElements(f),
      why: 'nn.PReLU (eval): 1 per input element',
      source: `${HOOKS} count_prelu l. 90-95`,
    }),
    attention: moduleOnly({
      count: (f) => {
        if (f.attrs.window !== undefined) return 0;
        const variant = mhaVariant(f);
        if (variant) return VARIANT_COUNTS.thop(f, variant);
        const a = attentionDims(f);
        return f.cost.macs + a.s * a.h * a.t * (3 * a.t - 1);
      },
      why: "global attention as nn.MultiheadAttention (torch ≥ 2.0, whose forward hooks see keyword inputs): projections tokens·4C² + both score products 2·tokens·T·C + softmax 3T − 1 per score row; a variant (cross-attention, kdim/vdim ≠ C, add_bias_kv, add_zero_attn) the module's MACs + softmax 3S′ − 1 per score row over the S′ positions attended; no hook (0) on older torch. Windowed attention (torchvision's Swin ShiftedWindowAttention applies its weights with F.linear): 0",
      source: `${HOOKS} count_multihead_attention l. 184-205; profile.py l. 121-122 (_HOOK_TAKES_KWARGS); torchvision swin_transformer.py l. 177, 213`,
    }),
    rmsNorm: moduleOnly({
      count: (f) => 2 * inElements(f) * (affine(f) ? 2 : 1),
      why: 'nn.RMSNorm (torch ≥ 2.4) by the norms\' hook: 2 per element, doubled with elementwise_affine (4 per element); F.rms_norm is a function: 0',
      source: `profile.py l. 124-125 (register_hooks[nn.RMSNorm] = count_normalization when hasattr(nn, "RMSNorm")); ${HOOKS} count_normalization l. 68-79; ${CALC} calculate_norm l. 37-39`,
    }),
    rotaryEmbedding: {
      count: () => 0,
      why: 'rotary embedding: torch has no module for it (the rotation is tensor arithmetic in the model\'s forward, transformers\' apply_rotary_pos_emb), and thop sees modules only: 0',
      source: 'thop/profile.py register_hooks l. 40-119, 121-128 (no rotary module)',
    },
    sdpa: {
      count: () => 0,
      why: 'F.scaled_dot_product_attention is a function, invisible to thop\'s module hooks: 0 (q·kᵀ and attn·v not counted)',
      source: 'thop/profile.py register_hooks l. 40-119, 121-128 (modules only)',
    },
    multiscaleAttention: byCalls(
      () => thop.rules,
      "MViT multiscale attention (torchvision's MultiscaleAttention, a module with children): its modules' hooks: qkv and project.0 (nn.Linear: in_features × output elements), each pool's nn.Conv3d (depthwise: output elements × kernel) and nn.LayerNorm (4 per element: elementwise_affine); torch.matmul, torch.einsum and Tensor.softmax are functions: 0",
      `${HOOKS} count_linear l. 169-176, count_convNd l. 32-51, count_normalization l. 68-79; ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => thop.rules,
      { count: () => 0 },
      "Swin V2 window attention (torchvision's ShiftedWindowAttentionV2): qkv and proj applied with F.linear, the products, normalisations and softmax no modules: 0; its position-bias MLP's modules, once per forward over the (2wh − 1)(2ww − 1) = R offsets, as any nn.Linear and nn.ReLU: cpb_mlp.0 2·R·512, cpb_mlp.2 512·R·h (in_features × output elements), the ReLU 0",
      `${HOOKS} count_linear l. 169-176; torchvision 0.14 swin_transformer.py l. 366 (self.cpb_mlp(self.relative_coords_table))`,
    ),
    ...ndRules('thop'),
  },
};
