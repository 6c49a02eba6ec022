/**
 * Every preset's rules for convolution and pooling over 1 or 3 spatial axes (conv1d/conv3d,
 * maxPool1d/3d, avgPool1d/3d, adaptiveAvgPool1d/3d: src/ops/conv-nd.ts, pool-nd.ts), written over
 * any number of axes. The tools count them with the same hooks and functions as the 2-D forms:
 * thop count_convNd / count_avgpool / count_adap_avgpool walk every axis; ptflops' MODULES_MAPPING
 * lists nn.Conv1d/3d, MaxPool1d/3d, AvgPool1d/3d, AdaptiveAvgPool1d/3d beside the 2-D ones (and
 * patches F.max_pool1d/3d …); calflops patches F.conv1d/3d and the 1-D/3-D pools; torchinfo's
 * "Conv" rule covers Conv1d/3d; onnx-tool's ConvNode and PoolBase read the kernel's every axis.
 * fvcore's _DEFAULT_SUPPORTED_OPS has aten::_convolution (any rank) but only
 * aten::adaptive_avg_pool2d: a 1-D or 3-D adaptive pool counts 0 there.
 */
import { inElements, outElements } from './families.js';
import type { Family, LayerFacts, Rule } from './types.js';

type NdFamily = 'convNd' | 'maxPoolNd' | 'avgPoolNd' | 'adaptiveAvgPoolNd';
type NdRules = Readonly<Partial<Record<NdFamily, Rule>>>;

const withBias = (f: LayerFacts): number => f.cost.macs + f.cost.biasOps;
const kernelVolume = (f: LayerFacts): number => (f.geometry ?? []).reduce((p, a) => p * a.kernel, 1);

/** Σ over outputs of adaptive-pool window lengths along one axis: [⌊j·I/O⌋, ⌈(j+1)·I/O⌉). */
function windowSum(i: number, o: number): number {
  if (i === o) return o;
  let sum = 0;
  for (let j = 0; j < o; j++) sum += Math.ceil(((j + 1) * i) / o) - Math.floor((j * i) / o);
  return sum;
}
/** thop's count_adap_avgpool over every axis: Π of the window sums (N and C pass as themselves) + one divide per output. */
function thopAdaptive(f: LayerFacts): number {
  const x = f.inputs[0];
  const y = f.outputs[0];
  return x.reduce((p, len, a) => p * windowSum(len, y[a]), 1) + outElements(f);
}
/** thop's count_avgpool: one add per pooled input (window lengths clipped to the padded input, or to the input without countIncludePad) + one divide per output. */
function thopAvgPool(f: LayerFacts): number {
  const x = f.inputs[0];
  const includePad = f.attrs.countIncludePad !== false;
  let windows = x[0] * x[1];
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
/** ptflops: module hook (unless functional) + the patched function the module calls. */
const twice = (why: string, source: string): Rule => ({ count: (f) => (f.functional ? 0 : inElements(f)) + inElements(f), why, source });

const MACS: Rule = { count: (f) => f.cost.macs, why: 'conv over 1 or 3 axes: N·Cout·ΠO·(Cin/g)·ΠK, bias not counted', source: 'as conv2d (any rank)' };

export const ND_RULES: Readonly<Record<string, NdRules>> = {
  torchvision: { convNd: { ...MACS, source: 'aten.convolution: batch·prod(w.shape)·prod(out spatial) (torchvision/models/video/resnet.py R3D_18_Weights meta "_ops": 40.697)' } },
  fvcore: {
    convNd: { ...MACS, source: 'fvcore/nn/jit_handles.py conv_flop_count l. 129-153 (any rank)' },
  },
  thop: {
    convNd: moduleOnly({ ...MACS, source: 'thop/vision/basic_hooks.py count_convNd l. 32-51 (nn.Conv1d/Conv3d, profile.py l. 48-50)' }),
    avgPoolNd: moduleOnly({ count: thopAvgPool, why: 'nn.AvgPool1d/3d: one add per pooled input over every axis + one divide per output', source: 'thop/vision/basic_hooks.py count_avgpool l. 118-130' }),
    adaptiveAvgPoolNd: moduleOnly({ count: thopAdaptive, why: 'nn.AdaptiveAvgPool1d/3d: one add per pooled input (Π of the window sums) + one divide per output', source: 'thop/vision/basic_hooks.py count_adap_avgpool l. 133-149' }),
  },
  ptflops: {
    convNd: { count: withBias, why: 'nn.Conv1d/3d: per output position ΠK·Cin·(Cout/g), plus the bias', source: 'ptflops/pytorch_ops.py conv_flops_counter_hook l. 60-92, MODULES_MAPPING l. 273-275' },
    maxPoolNd: twice('nn.MaxPool1d/3d: 2 per input element (pool hook + patched F.max_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 433-435'),
    avgPoolNd: twice('nn.AvgPool1d/3d: 2 per input element (pool hook + patched F.avg_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 430-432'),
    adaptiveAvgPoolNd: twice('nn.AdaptiveAvgPool1d/3d: 2 per input element (pool hook + patched F.adaptive_avg_pool1d/3d)', 'ptflops/pytorch_ops.py pool_flops_counter_hook l. 46-48, FUNCTIONAL_MAPPING l. 436-438'),
  },
  'ptflops-aten': {
    convNd: { count: withBias, why: 'aten.convolution: batch·prod(w.shape)·ΠO + one bias add per output element', source: 'ptflops/aten_ops.py conv_flop_count l. 71-95' },
  },
  calflops: {
    convNd: { count: (f) => 2 * f.cost.macs + f.cost.biasOps, why: 'F.conv1d/3d: 2·MACs + one bias add per output element', source: 'calflops/pytorch_ops.py _conv_flops_compute l. 83-125' },
    maxPoolNd: { count: inElements, why: 'F.max_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
    avgPoolNd: { count: inElements, why: 'F.avg_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
    adaptiveAvgPoolNd: { count: inElements, why: 'F.adaptive_avg_pool1d/3d: 1 per input element', source: 'calflops/pytorch_ops.py _pool_flops_compute l. 71-80' },
  },
  'calflops-macs': {
    convNd: { ...MACS, source: 'calflops/pytorch_ops.py _conv_flops_compute l. 83-125' },
  },
  torchinfo: {
    convNd: { count: withBias, why: 'Conv1d/Conv3d ("Conv" in the class name): (weight + bias elements)·N·ΠO = MACs + one bias add per output', source: 'torchinfo/layer_info.py calculate_macs l. 275-279' },
  },
  'onnx-tool': {
    convNd: { count: withBias, why: 'Conv: output elements × prod(kernel[1:]) + one add per output with a bias', source: 'onnx_tool/node.py ConvNode._profile_core (any rank)' },
    maxPoolNd: { count: (f) => outElements(f) * kernelVolume(f), why: 'MaxPool: output elements × ΠK compares', source: 'onnx_tool/node.py PoolBase._profile_core l. 1446-1451' },
    avgPoolNd: { count: (f) => outElements(f) * kernelVolume(f), why: 'AveragePool: output elements × ΠK (PoolBase charges CMP)', source: 'onnx_tool/node.py PoolBase._profile_core l. 1446-1451' },
    adaptiveAvgPoolNd: {
      count: (f) => (f.outputs[0].slice(2).every((d) => d === 1) ? inElements(f) + 4 * outElements(f) : outElements(f) * f.inputs[0].slice(2).reduce((p, d, a) => p * Math.floor(d / f.outputs[0][2 + a]), 1)),
      why: 'adaptive pooling exports as GlobalAveragePool (to 1: 1 per input + 4 per output) or AveragePool with kernel ⌊in/out⌋ per axis',
      source: 'onnx_tool/node.py GlobalAveragePoolNode l. 1526-1530, PoolBase l. 1446-1451',
    },
  },
};

/** The N-D rules of a preset, to spread into its rule table. */
export const ndRules = (preset: string): Readonly<Partial<Record<Family, Rule>>> => ND_RULES[preset] ?? {};
