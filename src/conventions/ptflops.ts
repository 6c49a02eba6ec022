/**
 * ptflops (github.com/sovrasov/flops-counter.pytorch @ d612c75; the ptflops/ tree of tag v0.7.5,
 * released as 0.7.5/0.7.6), get_model_complexity_info(model, (3, H, W)); the figure is printed as
 * "GMac". Two backends:
 *
 * `pytorch` (the README benchmark's first column): a forward hook per nn.Module type
 * (ptflops/pytorch_ops.py MODULES_MAPPING l. 271-321) AND, on top, patched torch.nn.functional
 * and tensor functions (FUNCTIONAL_MAPPING l. 422-450, TENSOR_OPS_MAPPING l. 453-469, patched in
 * pytorch_engine.py patch_functional l. 348-390). An nn.ReLU module calls F.relu inside its forward,
 * so a ReLU is counted twice: once by relu_flops_counter_hook (output elements) and once by the
 * patched F.relu (input elements). The same holds for nn.MaxPool2d/AvgPool2d/AdaptiveAvgPool2d
 * (pool hook + patched F.*pool*) and nn.Upsample (hook + patched F.interpolate). nn.ReLU6 and
 * nn.LeakyReLU call F.hardtanh / F.leaky_relu, which are not patched: counted once. Python
 * operators (`out += identity`, `x * s`) are not patched: residual additions and SE scalings count 0.
 * The hook table is looked up by the module's exact type (pytorch_engine.py is_supported_instance
 * l. 311-314): a subclass of a hooked class gets no hook (torchvision's Conv3DSimple and
 * Conv3DNoTemporal: r3d_18 prints 1,589,580,176, its residual convs left out), marked by the spec's
 * `subclassed`. get_flops_pytorch (l. 64-71) divides the hooks' total by the batch
 * (compute_average_flops_cost l. 180-199) and adds the patched functions' counts undivided, and
 * upsample_flops_counter_hook counts output[0], one sample: a rule's `hook` and `count`. Where that
 * departs from the tool's own rules per image, ptflops-defects.ts says so beside the family.
 *
 * `aten` (the README's second column, the default from 0.7.3 on in the README's words): a
 * TorchDispatchMode over aten.convolution / mm / matmul / addmm / bmm only (ptflops/aten_ops.py),
 * bias included for conv and addmm.
 *
 * Published (README "Benchmark", torchvision, 224×224, MACs(G) to 2 decimals): pytorch backend
 * resnet50 4.13, vgg16 15.52, resnet18 1.83, alexnet 0.72, mobilenet_v2 0.32, inception_v3 5.75,
 * densenet121 2.90, googlenet 1.51, shufflenet_v2_x1_0 0.15, efficientnet_b0 0.41,
 * mobilenet_v3_large 0.23; aten backend resnet50 4.09, vgg16 15.48, resnet18 1.81, alexnet 0.71.
 */
import { MVIT_SOURCE, byCalls } from './multiscale-attention.js';
import { VARIANT_COUNTS, mhaVariant } from './attention-variant-counts.js';
import { affine, attentionDims, convDims, inElements, linearDims, lrnPatchedCalls, matmulOperands, outElements, transposedMacs } from './families.js';
import { ptflopsInterpolate } from './nd-resample.js';
import { ndRules } from './nd-rules.js';
import { v2Dims, windowMacs, withCpb } from './window-attention-v2.js';
import { ptflopsDefects } from './ptflops-defects.js';
import { moduleHook, upsampleHook } from './ptflops-hooks.js';
import type { ConventionPreset, LayerFacts, Rule, RuleContext } from './types.js';
import { numel } from '../ops/types.js';

const OPS = 'ptflops/pytorch_ops.py';
const ATEN = 'ptflops/aten_ops.py';

/** Per-position extra FLOPs of torchvision's DeformConv2d: 4×5 bilinear + 4 for fractional coordinates, + 1 with a mask (l. 95-102). */
const DEFORM_EXTRA = 24;

/** conv_flops_counter_hook: per output (or, transposed, input) position k·Cin·(Cout/g), plus bias N·Cout·H'·W'. */
function convHook(f: LayerFacts, extraPerPosition = 0): number {
  const d = convDims(f);
  const perPosition = d.kh * d.kw * (d.cin * (d.cout / d.groups) + extraPerPosition);
  return perPosition * d.n * d.outH * d.outW + (d.bias ? outElements(f) : 0);
}

/**
 * A layer's count in ptflops: its module's hook (MODULES_MAPPING; none for a function call or a
 * subclass: ptflops-hooks.ts), divided by the batch with the other hooks (`hook`), and the patched
 * functions (FUNCTIONAL_MAPPING, TENSOR_OPS_MAPPING) the module or the call runs, not divided
 * (`count`): pytorch_engine.py get_flops_pytorch l. 64-71, compute_average_flops_cost l. 180-199.
 */
const hooked = (hook: (f: LayerFacts, ctx: RuleContext) => number, why: string, source: string): Rule => ({ hook: moduleHook(hook), count: () => 0, why, source });
const patched = (fn: (f: LayerFacts) => number, why: string, source: string): Rule => ({ count: fn, why, source });
/**
 * A layer ptflops sees as an nn.Module whose forward calls a patched function: the hook and the
 * function each add their count. Applied functionally (or as a subclass), only the function counts.
 */
const hookAndFunction = (hook: (f: LayerFacts) => number, fn: (f: LayerFacts) => number, why: string, source: string): Rule => ({ hook: moduleHook(hook), count: fn, why, source });

export const ptflops: ConventionPreset = {
  name: 'ptflops',
  tool: 'ptflops, pytorch backend',
  version: 'ptflops 0.7.5 (commit d612c7547445)',
  source: [
    `github.com/sovrasov/flops-counter.pytorch ${OPS}`,
    'github.com/sovrasov/flops-counter.pytorch ptflops/pytorch_engine.py (patch_functional l. 348-390)',
    'github.com/sovrasov/flops-counter.pytorch README.md (Benchmark: torchvision, MACs(G) (pytorch))',
  ],
  unit: 'MACs',
  summary: "Module hooks plus patched functions: conv and linear MACs with their bias adds, batch norm 2 per element, ReLU and pooling counted twice (module hook + the patched F.relu / F.*pool* it calls: 2 per element), nn.Upsample its hook 1 per output + F.interpolate (a size: the output elements; a scale s: N·C·ΠI·s^d over d axes, a float where the output is floor(I·s); the float sum is truncated once, to the printed total); ReLU6 and LeakyReLU once; GELU, ELU and PReLU twice as ReLU; nn.LayerNorm 1 per element (not its subclasses: ConvNeXt's LayerNorm2d counts 0), GroupNorm and InstanceNorm 1 or 2; nn.MultiheadAttention by its hook (projections, both score products, scaling, softmax and biases), which fails on torchvision's ViT (keyword call); residual `+`, SE `*`, layer scale and position embedding not counted, nor nn.RMSNorm (no hook), F.rms_norm and F.scaled_dot_product_attention (not patched). Hooks are looked up by exact type: a subclass of a hooked class (the spec's `subclassed`: torchvision's Conv3DSimple and Conv3DNoTemporal, r3d_18's and mc3_18's residual convs) counts 0. At batch N the hooks' total is divided by N (per image) but the patched functions' counts are not, and nn.Upsample's hook counts one sample before that division.",
  rules: {
    conv: hooked((f) => convHook(f), 'conv: k·Cin·(Cout/g) per output position (= the MACs) + one bias add per output element', `${OPS} conv_flops_counter_hook l. 60-92`),
    convTranspose: hooked(
      (f, ctx) => {
        const d = convDims(f);
        return transposedMacs(d, ctx.convTranspose ?? 'input') + (d.bias ? outElements(f) : 0);
      },
      'transposed conv over input positions: N·H·W·k·Cin·(Cout/g) + one bias add per output element',
      `${OPS} conv_flops_counter_hook (transpose=True) l. 60-92, MODULES_MAPPING l. 309-311`,
    ),
    deformConv: hooked((f) => convHook(f, DEFORM_EXTRA + (f.inputs.length > 2 && f.inputs[2].length > 0 ? 1 : 0)), 'DeformConv2d: k·(Cin·Cout/g + 24, + 1 with a mask) per output position + bias', `${OPS} deformable_conv_flops_counter_hook l. 95-102`),
    linear: hooked(
      (f) => {
        const d = linearDims(f);
        return (d.ci * d.co + (d.bias ? d.co : 0)) * d.rows;
      },
      'linear: (in·out + out bias) per row',
      `${OPS} linear_flops_counter_hook l. 35-43`,
    ),
    matmul: patched(
      (f) => {
        const { a, b } = matmulOperands(f);
        return numel(a) * b[b.length - 1];
      },
      'torch.matmul (patched): prod(a.shape)·b[-1]',
      `${OPS} _matmul_tensor_flops_hook l. 385-387`,
    ),
    batchNorm: hooked((f) => inElements(f) * (affine(f) ? 2 : 1), 'batch norm: 1 per element, 2 with affine', `${OPS} bn_flops_counter_hook l. 51-57`),
    relu: hookAndFunction(outElements, inElements, 'nn.ReLU: 2 per element (module hook + the patched F.relu it calls); F.relu alone: 1', `${OPS} relu_flops_counter_hook l. 30-32 + FUNCTIONAL_MAPPING F.relu l. 424`),
    relu6: {
      hook: moduleHook(inElements),
      count: (f) => (f.functional ? inElements(f) : 0),
      why: 'nn.ReLU6: 1 per element (its F.hardtanh is not patched); F.relu6: 1',
      source: `${OPS} MODULES_MAPPING nn.ReLU6 l. 281, FUNCTIONAL_MAPPING F.relu6 l. 427`,
    },
    leakyRelu: hooked(outElements, 'nn.LeakyReLU: 1 per element (module hook; F.leaky_relu is not patched)', `${OPS} MODULES_MAPPING nn.LeakyReLU l. 280`),
    swish: patched(inElements, 'SiLU: 1 per element, through the patched F.silu (no module hook for nn.SiLU)', `${OPS} FUNCTIONAL_MAPPING F.silu l. 449-450`),
    softmax: patched(inElements, 'softmax: 1 per element, through the patched F.softmax', `${OPS} FUNCTIONAL_MAPPING F.softmax l. 443`),
    maxPool: hookAndFunction(inElements, inElements, 'nn.MaxPool2d: 2 per input element (pool hook + patched F.max_pool2d); functional: 1', `${OPS} pool_flops_counter_hook l. 46-48 + FUNCTIONAL_MAPPING l. 434`),
    avgPool: hookAndFunction(inElements, inElements, 'nn.AvgPool2d: 2 per input element (pool hook + patched F.avg_pool2d); functional: 1', `${OPS} pool_flops_counter_hook l. 46-48 + FUNCTIONAL_MAPPING l. 431`),
    adaptiveAvgPool: hookAndFunction(inElements, inElements, 'nn.AdaptiveAvgPool2d: 2 per input element (pool hook + patched F.adaptive_avg_pool2d); functional: 1', `${OPS} pool_flops_counter_hook l. 46-48 + FUNCTIONAL_MAPPING l. 437`),
    globalAvgPool: hookAndFunction(inElements, inElements, 'nn.AdaptiveAvgPool2d(1): 2 per input element (pool hook + patched F.adaptive_avg_pool2d); functional: 1', `${OPS} pool_flops_counter_hook l. 46-48 + FUNCTIONAL_MAPPING l. 437`),
    resample: hookAndFunction(
      upsampleHook,
      ptflopsInterpolate,
      'nn.Upsample: its hook 1 per output element of one sample (output[0]) + the patched F.interpolate: N·C·prod(size) (an int size: N·C·size²), or N·C·H·W·s² for a scale factor s (a float: ×1.5 on 1×2×5×5 is 112.5 where the output has 98; ptflops truncates only its total), N·C·H·W·⌊s_h⌋·⌊s_w⌋ for a per-axis tuple; F.interpolate alone: the function only',
      `${OPS} upsample_flops_counter_hook l. 21-27, MODULES_MAPPING l. 308; _interpolate_functional_flops_hook l. 351-382, FUNCTIONAL_MAPPING l. 445-446`,
    ),
    add: patched((f) => (f.functional ? outElements(f) : 0), 'addition: 0 for the `+`/`+=` operator (not patched); torch.add / Tensor.add: 1 per output element', `${OPS} TENSOR_OPS_MAPPING torch.add l. 467-468, _elementwise_tensor_flops_hook l. 397-419`),
    mul: patched((f) => (f.functional ? outElements(f) : 0), 'multiplication: 0 for the `*` operator (not patched); torch.mul / Tensor.mul: 1 per output element', `${OPS} TENSOR_OPS_MAPPING torch.mul l. 465-466`),
    attention: {
      hook: moduleHook((f) => {
        const variant = mhaVariant(f);
        if (variant) return VARIANT_COUNTS.ptflopsHook(f, variant);
        const a = attentionDims(f);
        // Swin's ShiftedWindowAttention has no entry in MODULES_MAPPING
        if (f.attrs.window !== undefined) return 0;
        return a.s * (4 * a.t * a.c * a.c + 2 * a.t * a.t * a.c + a.h * a.t * a.t + 2 * a.t * a.c + (a.bias ? 3 * a.t * a.c : 0));
      }),
      // Swin's shifted_window_attention: F.linear (not patched), Tensor.matmul twice and F.softmax (patched);
      // with gradients on (ptflops does not switch them off), torch 1.13 runs MHA's Python path: its torch.bmm and F.softmax are the patched ones
      count: (f) => {
        const variant = mhaVariant(f);
        if (variant) return VARIANT_COUNTS.ptflopsPatched(f, variant);
        const a = attentionDims(f);
        return 2 * a.tokens * a.t * a.c + a.s * a.h * a.t * a.t;
      },
      why: "global attention (nn.MultiheadAttention's hook, called with positional q, k, v): per sequence T·C (q scaling) + 3T·C² (+ 3T·C input bias) + h·(2T²·d + T²) + T·C·(C + 1) (output projection, bias always), plus what the hooked module's Python path calls on torch 1.13: patched torch.bmm (2·tokens·T·C) and F.softmax (one per score); a variant (cross-attention, kdim/vdim, add_bias_kv, add_zero_attn) by the hook's own formula on each input's dims (L·C² + S·kdim² + S·vdim² …, S′ positions in bmm and softmax); torchvision's ViT calls it with keywords, the hook then fails and ptflops returns None. Windowed (Swin's F.linear, Tensor.matmul, F.softmax): the two patched matmuls 2·tokens·T·C + one per score",
      source: `${OPS} multihead_attention_counter_hook l. 180-243, TENSOR_OPS_MAPPING torch.bmm l. 458, Tensor.matmul l. 455, FUNCTIONAL_MAPPING F.softmax l. 443`,
    },
    multiscaleAttention: byCalls(
      () => ptflops.rules,
      "MViT multiscale attention (MultiscaleAttention, no entry in MODULES_MAPPING; its children are hooked): qkv and project.0 by the nn.Linear hook ((in·out + out)·rows), each pool's nn.Conv3d (its MACs, no bias) and nn.LayerNorm (1 per element) hooks, divided by the batch; the patched torch.matmul for q·kᵀ, attn·v and _add_rel_pos's temporal matmul (prod(a)·b[-1]), not divided; torch.einsum, Tensor.softmax and the `*` scaling are not patched: 0",
      `${OPS} linear_flops_counter_hook l. 35-43, conv_flops_counter_hook l. 60-92, bn_flops_counter_hook l. 51-57, _matmul_tensor_flops_hook l. 385-387; ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => ptflops.rules,
      {
        // F.linear is not patched and `@` (q·kᵀ) is Tensor.__matmul__, not patched: attn.matmul(v) and F.softmax, for the whole batch
        count: (f) => {
          const d = v2Dims(f);
          return d.tokens * d.t * d.c + d.scores;
        },
      },
      "Swin V2 window attention (ShiftedWindowAttentionV2, no entry in MODULES_MAPPING): the patched Tensor.matmul of attn·v (tokens·T·C) and F.softmax (one per score), for the whole batch; q·kᵀ is the `@` operator, not patched, and F.linear, F.normalize, the logit scale and the sigmoid are not patched either; its position-bias MLP's modules by their hooks, once per forward over R = (2wh − 1)(2ww − 1) offsets (divided by the batch as every hook): cpb_mlp.0 R·(2·512 + 512 bias), nn.ReLU R·512 + the patched F.relu R·512, cpb_mlp.2 R·512·h",
      `${OPS} linear_flops_counter_hook l. 35-43, relu_flops_counter_hook l. 30-32, TENSOR_OPS_MAPPING Tensor.matmul l. 455, FUNCTIONAL_MAPPING F.relu l. 424, F.softmax l. 443; torchvision 0.14 swin_transformer.py l. 182 (the @ operator), 212 (attn.matmul(v)), 366 (cpb_mlp)`,
    ),
    layerNorm: hooked(
      (f) => (f.attrs.over === 'channels' ? 0 : inElements(f)),
      "nn.LayerNorm: 1 per element (bn_flops_counter_hook; LayerNorm has no `affine` attribute); ConvNeXt's LayerNorm2d (a subclass: the table is looked up by exact type) and F.layer_norm: 0",
      `${OPS} bn_flops_counter_hook l. 51-57, MODULES_MAPPING nn.LayerNorm l. 304; ptflops/pytorch_engine.py is_supported_instance l. 311-314`,
    ),
    groupNorm: hooked((f) => inElements(f) * (affine(f) ? 2 : 1), 'nn.GroupNorm: 1 per element, 2 with affine', `${OPS} bn_flops_counter_hook l. 51-57, MODULES_MAPPING nn.GroupNorm l. 303`),
    instanceNorm: hooked((f) => inElements(f) * (affine(f) ? 2 : 1), 'nn.InstanceNorm2d: 1 per element, 2 with affine', `${OPS} bn_flops_counter_hook l. 51-57, MODULES_MAPPING nn.InstanceNorm2d l. 301`),
    localResponseNorm: patched(
      lrnPatchedCalls,
      'nn.LocalResponseNorm is not in MODULES_MAPPING (a zero-op, with a warning), but the patched calls inside F.local_response_norm count, not divided by the batch: Tensor.mul twice and Tensor.add once (1 per element each) and F.avg_pool3d (1 per element of the squares padded to C + size − 1 channels)',
      `${OPS} MODULES_MAPPING l. 271-321, FUNCTIONAL_MAPPING F.avg_pool3d l. 432, TENSOR_OPS_MAPPING Tensor.mul, Tensor.add l. 466-468; ptflops/pytorch_engine.py l. 69-71, 233`,
    ),
    gelu: hookAndFunction(outElements, inElements, 'nn.GELU: 2 per element (module hook + the patched F.gelu it calls); F.gelu alone: 1', `${OPS} MODULES_MAPPING nn.GELU l. 323-324 + FUNCTIONAL_MAPPING F.gelu l. 428`),
    elu: hookAndFunction(outElements, inElements, 'nn.ELU: 2 per element (module hook + the patched F.elu it calls); F.elu alone: 1', `${OPS} MODULES_MAPPING nn.ELU l. 279 + FUNCTIONAL_MAPPING F.elu l. 426`),
    prelu: hookAndFunction(outElements, inElements, 'nn.PReLU: 2 per element (module hook + the patched F.prelu it calls); F.prelu alone: 1', `${OPS} MODULES_MAPPING nn.PReLU l. 278 + FUNCTIONAL_MAPPING F.prelu l. 425`),
    rmsNorm: {
      count: () => 0,
      why: "nn.RMSNorm is not in MODULES_MAPPING (no hook: 'Warning: module RMSNorm is treated as a zero-op' when verbose) and F.rms_norm is not patched (it runs torch.rms_norm, no patched call inside): 0",
      source: `${OPS} MODULES_MAPPING l. 271-321, FUNCTIONAL_MAPPING l. 422-447; ptflops/pytorch_engine.py add_flops_counter_hook_function l. 230-235`,
    },
    rotaryEmbedding: {
      count: () => 0,
      why: "rotary embedding: no module or function of it in MODULES_MAPPING or FUNCTIONAL_MAPPING; the rotation is the `*` and `+` operators (transformers' apply_rotary_pos_emb), which are not patched: 0",
      source: `${OPS} MODULES_MAPPING l. 271-321, FUNCTIONAL_MAPPING l. 422-447, TENSOR_OPS_MAPPING l. 453-469 (torch.mul/add, Tensor.mul/add: not the operators)`,
    },
    sdpa: {
      count: () => 0,
      why: 'F.scaled_dot_product_attention is not in FUNCTIONAL_MAPPING (its products run inside the aten op, past the patched torch.matmul/bmm): 0',
      source: `${OPS} FUNCTIONAL_MAPPING l. 422-447, TENSOR_OPS_MAPPING l. 453-469`,
    },
    ...ndRules('ptflops'),
  },
  // get_flops_pytorch (pytorch_engine.py l. 69-71, 93) sums the hooks' ints and the patched functions' returns (F.interpolate's a float at a scale) and returns int() of the sum
  printedTotal: Math.trunc,
  // the rules countWith counted by (the conv families' unbatched forms among them), not this table's own
  defects: (model) => ptflopsDefects(model),
};

export const ptflopsAten: ConventionPreset = {
  name: 'ptflops-aten',
  tool: 'ptflops, aten backend',
  version: 'ptflops 0.7.5 (commit d612c7547445)',
  source: [
    `github.com/sovrasov/flops-counter.pytorch ${ATEN}`,
    'github.com/sovrasov/flops-counter.pytorch ptflops/aten_engine.py',
    'github.com/sovrasov/flops-counter.pytorch README.md (Benchmark: torchvision, MACs(G) (aten))',
  ],
  unit: 'MACs',
  summary: 'Only aten.convolution, mm, matmul, addmm and bmm: conv and linear MACs with their bias adds (a linear on a 4-D input goes through matmul + add_, without its bias), attention\'s projections with their biases and both score products (bmm); nothing else (RMS norm and rotary embedding: 0).',
  rules: {
    conv: {
      count: (f) => f.cost.macs + (convDims(f).bias ? outElements(f) : 0),
      why: 'aten.convolution: batch·prod(w.shape)·H\'·W\' + one bias add per output element',
      source: `${ATEN} conv_flop_count l. 71-95`,
    },
    convTranspose: {
      count: (f, ctx) => {
        const d = convDims(f);
        return transposedMacs(d, ctx.convTranspose ?? 'input') + (d.bias ? outElements(f) : 0);
      },
      why: 'transposed aten.convolution over input positions: batch·prod(w.shape)·H·W + bias adds',
      source: `${ATEN} conv_flop_count l. 71-95`,
    },
    linear: {
      count: (f) => {
        const d = linearDims(f);
        // aten::linear is addmm (bias counted) for 2-D and contiguous 3-D inputs, matmul + add_ (bias not counted) beyond
        const addmm = f.inputs[0].length <= 2 || (f.inputs[0].length === 3 && !f.strided);
        return d.rows * d.ci * d.co + (d.bias && addmm ? d.rows * d.co : 0);
      },
      why: 'aten.addmm: batch·in·out + batch·out bias for 2-D and contiguous 3-D inputs; on 4-D inputs (ConvNeXt\'s channels-last MLP) and a 3-D view that is not contiguous (an imported file\'s Transpose before the MatMul) aten::linear is matmul + add_, and the bias is not counted',
      source: `${ATEN} addmm_flop l. 36-54, matmul_flop l. 23-33; torch aten/src/ATen/native/Linear.cpp linear()`,
    },
    matmul: {
      count: (f) => {
        const { a, b } = matmulOperands(f);
        return numel(a) * b[b.length - 1];
      },
      why: 'aten.mm / matmul: prod(a.shape)·b[-1]',
      source: `${ATEN} matmul_flop l. 23-33`,
    },
    attention: {
      count: (f) => {
        const variant = mhaVariant(f);
        if (variant) return VARIANT_COUNTS.ptflopsAten(f, variant);
        const a = attentionDims(f);
        // the output projection reaches aten.addmm (2-D rows): its bias counts, C per token; the input projection
        // too on contiguous 3-D tokens (3C per token), not on a strided view (matmul + add_: 0)
        return f.cost.macs + (a.bias ? a.tokens * (a.strided ? 1 : 4) * a.c : 0);
      },
      why: 'attention: the projections (aten.addmm, with their biases: tokens·4C) and both score products (aten.bmm) = convlens\'s MACs + tokens·4C; an input projection over a strided view (a map\'s x.flatten(2).transpose(1, 2), tokens at batch > 1) goes through aten.matmul + add_: + tokens·C only',
      source: `${ATEN} matmul_flop l. 23-33, addmm_flop l. 36-54, bmm_flop l. 57-68`,
    },
    multiscaleAttention: byCalls(
      () => ptflopsAten.rules,
      "MViT multiscale attention: qkv and project on contiguous 3-D tokens (aten.addmm with their biases), the pools' depthwise convs (aten.convolution, no bias), q·kᵀ and attn·v (aten.bmm through matmul), and with relative positions _add_rel_pos's einsums and matmul (aten.bmm); LayerNorms, scaling, softmax and adds are not counted",
      `${ATEN} addmm_flop l. 36-54, conv_flop_count l. 71-95, bmm_flop l. 57-68; ${MVIT_SOURCE}`,
    ),
    windowAttentionV2: withCpb(
      () => ptflopsAten.rules,
      {
        count: (f) => {
          const d = v2Dims(f);
          const bias = (f.weights.some((w) => w.name === 'qkvBias') ? 3 * d.c : 0) + (f.weights.some((w) => w.name === 'projBias') ? d.c : 0);
          return windowMacs(f) + d.tokens * bias;
        },
      },
      "Swin V2 window attention: qkv and proj on contiguous 3-D windows (aten.addmm, with their biases: tokens·4C), q·kᵀ (`@`) and attn·v (aten.bmm through matmul: 2·tokens·T·C); its position-bias MLP's linears on the 4-D table (aten.mm through matmul + add_: R·512·2 + R·512·h, bias not counted), once per forward",
      `${ATEN} matmul_flop l. 23-33, addmm_flop l. 36-54, bmm_flop l. 57-68; torchvision 0.14 swin_transformer.py l. 182 (the @ operator), 212 (attn.matmul(v)), 366 (cpb_mlp)`,
    ),
    einsum: {
      count: (f) => f.cost.macs,
      why: 'einsum of a contraction: lowered to aten.bmm, batch·M·K·N',
      source: `${ATEN} bmm_flop l. 57-68`,
    },
    rmsNorm: {
      count: () => 0,
      why: 'aten.rms_norm reaches only element-wise and reduction aten ops (pow, mean, add, rsqrt, mul), none in ATEN_OPS_MAPPING: 0',
      source: `${ATEN} ATEN_OPS_MAPPING l. 109-116 (mm, matmul, addmm, bmm, convolution)`,
    },
    rotaryEmbedding: {
      count: () => 0,
      why: 'the rotation reaches aten.mul, add, neg, slice and cat, none in ATEN_OPS_MAPPING: 0',
      source: `${ATEN} ATEN_OPS_MAPPING l. 109-116 (mm, matmul, addmm, bmm, convolution)`,
    },
    ...ndRules('ptflops-aten'),
  },
};
