/**
 * Every preset's rules for convolution and pooling over 1 or 3 spatial axes (conv1d/conv3d,
 * maxPool1d/3d, avgPool1d/3d, adaptiveAvgPool1d/3d: src/ops/conv-nd.ts, pool-nd.ts), written over
 * any number of axes. The tools count them with the same hooks and functions as the 2-D forms:
 * thop count_convNd / count_avgpool / count_adap_avgpool walk every axis; ptflops' MODULES_MAPPING
 * lists nn.Conv1d/3d, MaxPool1d/3d, AvgPool1d/3d, AdaptiveAvgPool1d/3d beside the 2-D ones (and
 * patches F.max_pool1d/3d …); calflops patches F.conv1d/3d and the 1-D/3-D pools; torchinfo's
 * "Conv" rule covers Conv1d/3d; onnx-tool's ConvNode reads the kernel's every axis, its PoolBase
 * kernel_shape[0], and [1] only for a 2-axis kernel (onnx-tool-pools.ts profiledKernel).
 * fvcore's _DEFAULT_SUPPORTED_OPS has aten::_convolution (any rank) but only
 * aten::adaptive_avg_pool2d and the 2-D upsampling ops: a 1-D or 3-D adaptive pool or upsampling
 * counts 0 there. Resampling over 1 or 3 axes (upsample1d/3d, a 3-D or 5-D Resize): nd-resample.ts.
 * Adaptive max pooling (adaptiveMaxPool1d/2d/3d, one family: every tool lists the three ranks
 * together): thop registers nn.AdaptiveMaxPool1d/2d/3d as zero_ops; ptflops hooks them with
 * pool_flops_counter_hook and patches F.adaptive_max_pool1d/2d/3d; calflops patches those with
 * _pool_flops_compute (FLOPs, no MACs); fvcore's supported ops, ptflops' aten ops, torchinfo and
 * torchvision's metadata have none (0). onnx-tool sees what torch.onnx exports of it: a MaxPool
 * of kernel in/out (output × ΠK; an imported file's is a maxPool2d already).
 */
import { inElements, outElements, poolAxes } from './families.js';
import { RESAMPLE_ND } from './nd-resample.js';
import { moduleHook } from './ptflops-hooks.js';
import { profiledKernel, asExported } from './onnx-tool-pools.js';
import { numel } from '../ops/types.js';
import type { Family, LayerFacts, Rule } from './types.js';

/** thop's count_avgpool l_prod(x[0].shape[:-dims]) of an unbatched [C, …spatial] sample: C alone (the batch of one); its 2-D and N-D rules' note. */
export const THOP_AVGPOOL_UNBATCHED = { why: "of an unbatched [C, …spatial] sample the axes before the kernel's are C alone: the batch of one", source: 'thop/vision/basic_hooks.py count_avgpool l. 130' };

type NdFamily = 'convNd' | 'convTransposeNd' | 'maxPoolNd' | 'avgPoolNd' | 'adaptiveAvgPoolNd' | 'resampleNd' | 'adaptiveMaxPool';
type NdRules = Readonly<Partial<Record<NdFamily, Rule>>>;

const withBias = (f: LayerFacts): number => f.cost.macs + f.cost.biasOps;
const kernelVolume = (f: LayerFacts): number => (f.geometry ?? []).reduce((p, a) => p * a.kernel, 1);
const poolKernels = (f: LayerFacts): number[] => (f.geometry ?? []).map((a) => a.kernel);
/** An adaptive pool's exported kernel, ⌊in/out⌋ per spatial axis of [N, C, …spatial]. */
const adaptiveKernels = (f: LayerFacts): number[] => f.outputs[0].slice(2).map((o, k) => Math.floor(f.inputs[0][k + 2] / o));

/** Σ over outputs of adaptive-pool window lengths along one axis: [⌊j·I/O⌋, ⌈(j+1)·I/O⌉). */
function windowSum(i: number, o: number): number {
  if (i === o) return o;
  let sum = 0;
  for (let j = 0; j < o; j++) sum += Math.ceil(((j + 1) * i) / o) - Math.floor((j * i) / o);
  return sum;
}
/** thop's count_adap_avgpool over every axis: Π of the window sums (N and C, or C unbatched, pass as themselves) + one divide per output. */
function thopAdaptive(f: LayerFacts): number {
  const x = f.inputs[0];
  const y = f.outputs[0];
  return x.reduce((p, len, a) => p * windowSum(len, y[a]), 1) + outElements(f);
}
/** thop's count_avgpool: one add per pooled input (window lengths clipped to the padded input, or to the input without countIncludePad) + one divide per output. */
function thopAvgPool(f: LayerFacts): number {
  const includePad = f.attrs.countIncludePad !== false;
  // l_prod(x[0].shape[:-dims]): N·C, or C of an unbatched [C, …spatial] sample
  let windows = poolAxes(f).leading.reduce((p, d) => p * d, 1);
  for (const a of f.geometry ?? []) {
    const p = a.padBegin;
    const [lower, upper] = includePad ? [-p, a.in + p] : [0, a.in];
    let sum = 0;
    for (let i = 0; i < a.out; i++) sum += Math.max(Math.min(i * a.stride - p + a.kernel, upper) - Math.max(i * a.stride - p, lower), 0);
    windows *= sum;
  }
  return windows + outElements(f);
}

const moduleOnly = (r: Rule): Rule => ({ ...r, count: (f, ctx) => (f.functional ? 0 : r.count(f, ctx)) });
/** ptflops: module hook (none for a function call or a subclass; divided by the batch) + the patched function the module calls. */
const twice = (why: string, source: string): Rule => ({ hook: moduleHook(inElements), count: inElements, why, source });

/** A transposed conv's N·Cout·ΠO·(Cin/g)·ΠK: its MACs counted over output positions (all taps, as a plain conv would). */
function transposedOutputMacs(f: LayerFacts): number {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const groups = typeof f.attrs.groups === 'number' ? f.attrs.groups : 1;
  return y[0] * y[1] * y.slice(2).reduce((p, d) => p * d, 1) * (x[1] / groups) * kernelVolume(f);
}
/** Input positions (the tool's own rule, convlens's MACs) unless the request moves them to output positions. */
const transposed = (f: LayerFacts, positions?: 'input' | 'output'): number => (positions === 'output' ? transposedOutputMacs(f) : f.cost.macs);
const TRANSPOSED: Rule = {
  count: (f, ctx) => transposed(f, ctx.convTranspose),
  why: 'transposed conv over 1 or 3 axes, over input positions: N·Cin·ΠI·(Cout/g)·ΠK, bias not counted',
  source: 'as convTranspose2d (any rank)',
};
const transposedWithBias = (why: string, source: string): Rule => ({ count: (f, ctx) => transposed(f, ctx.convTranspose) + f.cost.biasOps, why, source });

const MACS: Rule = { count: (f) => f.cost.macs, why: 'conv over 1 or 3 axes: N·Cout·ΠO·(Cin/g)·ΠK, bias not counted', source: 'as conv2d (any rank)' };

export const ND_RULES: Readonly<Record<string, NdRules>> = {
  torchvision: {
    convNd: { ...MACS, source: 'aten.convolution: batch·prod(w.shape)·prod(out spatial) (torchvision/models/video/resnet.py R3D_18_Weights meta "_ops": 40.697)' },
    convTransposeNd: { ...TRANSPOSED, source: 'aten.convolution (transposed): batch·prod(w.shape)·prod(input spatial)' },
  },
  fvcore: {
    convNd: { ...MACS, source: 'fvcore/nn/jit_handles.py conv_flop_count l. 129-153 (any rank)' },
    convTransposeNd: { ...TRANSPOSED, source: 'fvcore/nn/jit_handles.py conv_flop_count l. 129-153 (x_shape when transposed)' },
  },
  thop: {
    convNd: moduleOnly({ ...MACS, source: 'thop/vision/basic_hooks.py count_convNd l. 32-51 (nn.Conv1d/Conv3d, profile.py l. 48-50)' }),
    convTransposeNd: moduleOnly({ ...TRANSPOSED, source: 'thop/vision/basic_hooks.py count_convtNd l. 54-65; calc_func.py calculate_conv2d_flops (transpose) l. 27-34' }),
    avgPoolNd: moduleOnly({ count: thopAvgPool, why: 'nn.AvgPool1d/3d: one add per pooled input over every axis (times N·C) + one divide per output', source: 'thop/vision/basic_hooks.py count_avgpool l. 118-130 (l_prod(x[0].shape[:-dims]) l. 130)', unbatched: THOP_AVGPOOL_UNBATCHED }),
    resampleNd: RESAMPLE_ND.thop,
    adaptiveAvgPoolNd: moduleOnly({ count: thopAdaptive, why: 'nn.AdaptiveAvgPool1d/3d: one add per pooled input (Π of the window sums) + one divide per output', source: 'thop/vision/basic_hooks.py count_adap_avgpool l. 133-149' }),
    adaptiveMaxPool: { count: () => 0, why: 'nn.AdaptiveMaxPool1d/2d/3d are registered as zero_ops: 0', source: 'thop/profile.py register_hooks (nn.AdaptiveMaxPool1d/2d/3d: zero_ops)' },
  },
  ptflops: {
    convNd: {
      hook: moduleHook(withBias),
      count: () => 0,
      why: 'nn.Conv1d/3d: per output position ΠK·Cin·(Cout/g), plus the bias; a module of a subclass (torchvision\'s Conv3DSimple, Conv3DNoTemporal) 0',
      source: 'ptflops/pytorch_ops.py conv_flops_counter_hook l. 60-92, MODULES_MAPPING l. 273-275; ptflops/pytorch_engine.py is_supported_instance l. 311-314',
    },
    convTransposeNd: {
      ...transposedWithBias('nn.ConvTranspose1d/3d: per input position ΠK·Cin·(Cout/g), plus one bias add per output element', 'ptflops/pytorch_ops.py conv_flops_counter_hook(transpose=True) l. 60-92, MODULES_MAPPING l. 310-312'),
      hook: moduleHook((f, ctx) => transposed(f, ctx.convTranspose) + f.cost.biasOps),
      count: () => 0,
    },
    maxPoolNd: twice('nn.MaxPool1d/3d: 2 per input element (pool hook + patched F.max_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 433-435'),
    avgPoolNd: twice('nn.AvgPool1d/3d: 2 per input element (pool hook + patched F.avg_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 430-432'),
    resampleNd: RESAMPLE_ND.ptflops,
    adaptiveAvgPoolNd: twice('nn.AdaptiveAvgPool1d/3d: 2 per input element (pool hook + patched F.adaptive_avg_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 436-438'),
    adaptiveMaxPool: twice('nn.AdaptiveMaxPool1d/2d/3d: 2 per input element (pool hook + patched F.adaptive_max_pool1d/2d/3d); functional: 1', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, MODULES_MAPPING l. 289-294, FUNCTIONAL_MAPPING l. 439-441'),
  },
  'ptflops-aten': {
    convNd: { count: withBias, why: 'aten.convolution: batch·prod(w.shape)·ΠO + one bias add per output element', source: 'ptflops/aten_ops.py conv_flop_count l. 71-95' },
    convTransposeNd: transposedWithBias('transposed aten.convolution: batch·prod(w.shape)·ΠI + one bias add per output element', 'ptflops/aten_ops.py conv_flop_count l. 71-95'),
  },
  calflops: {
    convNd: { count: (f) => 2 * f.cost.macs + f.cost.biasOps, why: 'F.conv1d/3d: 2·MACs + one bias add per output element', source: 'calflops/pytorch_ops.py _conv_flops_compute l. 83-125' },
    maxPoolNd: { count: inElements, why: 'F.max_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
    avgPoolNd: { count: inElements, why: 'F.avg_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
    adaptiveAvgPoolNd: { count: inElements, why: 'F.adaptive_avg_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
    adaptiveMaxPool: { count: inElements, why: 'F.adaptive_max_pool1d/2d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80, patched l. 491-493' },
    resampleNd: RESAMPLE_ND.calflops,
    convTransposeNd: {
      count: (f, ctx) => 2 * (ctx.convTranspose ? transposed(f, ctx.convTranspose) : calflopsTransposedMacs(f)) + calflopsTransposedBias(f),
      why: 'F.conv_transpose1d/3d: 2·N·ΠI·ΠK·Cin·⌊(Cout/g)/g⌋ + (Cout/g) bias adds per position of the forward-conv formula (the 2-D slips, over every axis)',
      source: 'calflops/pytorch_ops.py _conv_trans_flops_compute l. 128-171',
    },
  },
  'calflops-macs': {
    convNd: { ...MACS, source: 'calflops/pytorch_ops.py _conv_flops_compute l. 83-125' },
    convTransposeNd: { count: (f, ctx) => (ctx.convTranspose ? transposed(f, ctx.convTranspose) : calflopsTransposedMacs(f)), why: 'F.conv_transpose1d/3d: N·ΠI·ΠK·Cin·⌊(Cout/g)/g⌋ (input positions; groups divided twice, as for 2-D)', source: 'calflops/pytorch_ops.py _conv_trans_flops_compute l. 128-171' },
  },
  torchinfo: {
    convNd: { count: withBias, why: 'Conv1d/Conv3d ("Conv" in the class name): (weight + bias elements)·N·ΠO = MACs + one bias add per output', source: 'torchinfo/layer_info.py calculate_macs l. 275-279' },
    convTransposeNd: {
      count: (f, ctx) => {
        if (ctx.convTranspose) return transposed(f, ctx.convTranspose) + f.cost.biasOps;
        const y = f.outputs[0];
        const params = f.weights.filter((w) => w.trainable).reduce((p, w) => p + numel(w.shape), 0);
        return params * y[0] * y.slice(2).reduce((p, d) => p * d, 1);
      },
      why: 'ConvTranspose1d/3d ("Conv" in the class name): (Cin·(Cout/g)·ΠK + Cout)·N·ΠO, output positions',
      source: 'torchinfo/layer_info.py calculate_macs l. 275-279',
    },
  },
  'onnx-tool': {
    convNd: { count: withBias, why: 'Conv: output elements × prod(kernel[1:]) + one add per output with a bias', source: 'onnx_tool/node.py ConvNode._profile_core (any rank)' },
    convTransposeNd: {
      count: (f, ctx) => (ctx.convTranspose ? transposed(f, ctx.convTranspose) : numel(f.outputs[0]) * numel(f.weights.find((w) => w.name === 'weight')!.shape.slice(1))) + f.cost.biasOps,
      why: 'ConvTranspose: output elements × volume(weight[1:]) = N·Cout·ΠO·(Cout/g)·ΠK + one add per output with a bias',
      source: 'onnx_tool/node.py ConvTransposeNode._profile_core l. 2724-2736',
    },
    resampleNd: RESAMPLE_ND['onnx-tool'],
    maxPoolNd: asExported({ count: (f) => outElements(f) * profiledKernel(poolKernels(f)), why: 'MaxPool: output elements × k compares (1-D), × k_d only over 3 axes (PoolBase multiplies kernel_shape[1] only for a 2-axis kernel)', source: 'onnx_tool/node.py PoolBase._profile_core l. 1446-1451' }, 'window'),
    adaptiveMaxPool: asExported({
      count: (f) => outElements(f) * profiledKernel(adaptiveKernels(f)),
      why: 'nn.AdaptiveMaxPool1d/2d/3d exports as MaxPool with kernel in/out (torch.onnx exports divisible sizes only): output elements × kernel compares (kh·kw in 2-D; k_d alone in 3-D, as PoolBase reads the kernel)',
      source: 'onnx_tool/node.py PoolBase._profile_core l. 1446-1451; torch/onnx/symbolic_opset9.py _adaptive_pool',
    }, 'adaptiveMax'),
    avgPoolNd: asExported({ count: (f) => outElements(f) * profiledKernel(poolKernels(f)), why: 'AveragePool: output elements × k (1-D), × k_d only over 3 axes (PoolBase charges CMP, and multiplies kernel_shape[1] only for a 2-axis kernel)', source: 'onnx_tool/node.py PoolBase._profile_core l. 1446-1451' }, 'window'),
    adaptiveAvgPoolNd: asExported({
      count: (f) => (f.outputs[0].slice(2).every((d) => d === 1) ? inElements(f) + 4 * outElements(f) : outElements(f) * profiledKernel(adaptiveKernels(f))),
      why: 'adaptive pooling exports as GlobalAveragePool (to 1: 1 per input + 4 per output) or AveragePool with kernel ⌊in/out⌋ per axis: output elements × k (1-D), × k_d alone (3-D)',
      source: 'onnx_tool/node.py GlobalAveragePoolNode l. 1526-1530, PoolBase l. 1446-1451',
    }, 'adaptiveAvg'),
  },
};

/** calflops' _conv_trans_flops_compute over any rank: weight.shape[1] (Cout/g) divided by groups again, over input positions. */
function calflopsTransposedMacs(f: LayerFacts): number {
  const x = f.inputs[0];
  const groups = typeof f.attrs.groups === 'number' ? f.attrs.groups : 1;
  const weightOut = f.outputs[0][1] / groups;
  return x[0] * x.slice(2).reduce((p, d) => p * d, 1) * kernelVolume(f) * x[1] * Math.floor(weightOut / groups);
}
/** Its bias term: (Cout/g) per position of the forward-conv output formula on the input, ⌊(I + 2p − d(K − 1) − 1)/s⌋ + 1 per axis. */
function calflopsTransposedBias(f: LayerFacts): number {
  if (!f.weights.some((w) => w.name === 'bias')) return 0;
  const groups = typeof f.attrs.groups === 'number' ? f.attrs.groups : 1;
  const positions = (f.geometry ?? []).reduce((p, a) => p * (Math.floor((a.in + 2 * a.padBegin - (a.dilation * (a.kernel - 1) + 1)) / a.stride) + 1), 1);
  return (f.outputs[0][1] / groups) * f.inputs[0][0] * positions;
}

/** The N-D rules of a preset, to spread into its rule table. */
export const ndRules = (preset: string): Readonly<Partial<Record<Family, Rule>>> => ND_RULES[preset] ?? {};
