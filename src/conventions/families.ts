/**
 * The op family of a layer, by the identity of its OpDef object (imported from src/ops, never by
 * comparing names; a Resize's also by its input's rank: familyOf3d5d), and the facts a preset rule
 * reads about it. A new op in src/ops/registry.ts
 * without a family here fails test/conventions/count.test.ts, so every preset decides on it.
 */
import type { AnalysedLayer } from '../analysis/infer.js';
import { relu, relu6, leakyRelu, sigmoid, swish, hardSigmoid, hardSwish, softmax, dropout, clip, sigmoidLut } from '../ops/activation.js';
import { conv2d } from '../ops/conv.js';
import { convTranspose2d } from '../ops/conv-transpose.js';
import { deformConv2d } from '../ops/deform-conv.js';
import type { AxisGeometry } from '../ops/geometry.js';
import { linear, flatten, matmul } from '../ops/linear.js';
import { add, concat, div, mul, sub } from '../ops/merge.js';
import { batchNorm1d, batchNorm2d, batchNorm3d } from '../ops/norm.js';
import { maxPool2d, avgPool2d, globalAvgPool2d, adaptiveAvgPool2d, maxUnpool2d } from '../ops/pool.js';
import { channelShuffle } from '../ops/shuffle.js';
import { upsample } from '../ops/upsample.js';
import { resize } from '../ops/resize.js';
import { reshape, transpose, squeeze, unsqueeze, expand } from '../ops/movement.js';
import { split, slice, pad, gather } from '../ops/indexing.js';
import { reduceMean } from '../ops/reduction.js';
import { shape, cast, identity } from '../ops/meta.js';
import { multiHeadAttention } from '../ops/attention.js';
import { shiftedWindowAttention } from '../ops/window-attention.js';
import { relativePositionBias } from '../ops/relative-position-bias.js';
import { shiftedWindowAttentionV2 } from '../ops/window-attention-v2.js';
import { multiscaleAttention } from '../ops/multiscale-attention.js';
import { spatioTemporalPositionEncoding } from '../ops/spatiotemporal-position.js';
import { layerScale, positionEmbedding, classToken } from '../ops/learned.js';
import { quantizeLinear, dequantizeLinear, dynamicQuantizeLinear, qlinearAdd, qlinearMul } from '../ops/quant.js';
import { convInteger, qlinearConv, matMulInteger, qlinearMatMul } from '../ops/quant-linear.js';
import { qlinearGlobalAvgPool, qlinearConcat } from '../ops/quant-extra.js';
import { nonMaxSuppression, roiAlign } from '../ops/detection.js';
import { ifSelect, loopContinue } from '../ops/control.js';
import { loop } from '../ops/loop.js';
import { layerNorm, groupNorm, instanceNorm1d, instanceNorm2d, instanceNorm3d } from '../ops/norm-group.js';
import { localResponseNorm } from '../ops/local-response-norm.js';
import { rmsNorm } from '../ops/rms-norm.js';
import { rotaryEmbedding } from '../ops/rotary-embedding.js';
import { scaledDotProductAttention } from '../ops/sdpa.js';
import { gelu, tanh, erfOp, mish, elu, selu, celu, softplus, softsign, hardTanh, prelu } from '../ops/activation-more.js';
import { logSoftmax } from '../ops/softmax.js';
import { reduceSum, reduceMax, reduceMin, reduceL2, reduceProd } from '../ops/reduction.js';
import { argMax, argMin } from '../ops/arg-reduction.js';
import { nonZero, gatherND } from '../ops/select.js';
import { sqrt, exp, sin, cos, log, neg, abs, sign, reciprocal, floor, ceil, pow, mod, minimum, maximum } from '../ops/math.js';
import { equal, less, greater, lessOrEqual, greaterOrEqual, logicalAnd, logicalOr, logicalXor, logicalNot, where } from '../ops/logic.js';
import { constantOfShape, range, tile, cumSum, trilu } from '../ops/sequence.js';
import { gatherElements, scatterElements, scatterND } from '../ops/scatter.js';
import { einsum } from '../ops/einsum.js';
import { topK } from '../ops/topk.js';
import { depthToSpace, spaceToDepth, pixelShuffle, pixelUnshuffle } from '../ops/space-depth.js';
import { gridSample } from '../ops/grid-sample.js';
import { conv1d, conv3d } from '../ops/conv-nd.js';
import { convTranspose1d, convTranspose3d } from '../ops/conv-transpose-nd.js';
import { upsample1d, upsample3d } from '../ops/upsample-nd.js';
import { maxPool1d, maxPool3d, avgPool1d, avgPool3d, adaptiveAvgPool1d, adaptiveAvgPool3d } from '../ops/pool-nd.js';
import { maxUnpool1d, maxUnpool3d } from '../ops/pool-unpool-nd.js';
import { adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d } from '../ops/pool-adaptive-max.js';
import type { OpDef, Shape } from '../ops/types.js';
import { numel } from '../ops/types.js';
import type { Family, LayerFacts } from './types.js';

function familyOf(family: Family, ...ops: OpDef[]): [OpDef, Family][] {
  return ops.map((op) => [op, family]);
}

export const FAMILY_OF: ReadonlyMap<OpDef, Family> = new Map<OpDef, Family>([
  [conv2d, 'conv'],
  [convTranspose2d, 'convTranspose'],
  [deformConv2d, 'deformConv'],
  [linear, 'linear'],
  [matmul, 'matmul'],
  [batchNorm2d, 'batchNorm'],
  [batchNorm1d, 'batchNorm'],
  [batchNorm3d, 'batchNorm'],
  [maxPool2d, 'maxPool'],
  [avgPool2d, 'avgPool'],
  [globalAvgPool2d, 'globalAvgPool'],
  [adaptiveAvgPool2d, 'adaptiveAvgPool'],
  [maxUnpool2d, 'maxUnpool'],
  // a scatter over 1 or 3 axes as over 2: no arithmetic under any convention
  [maxUnpool1d, 'maxUnpool'],
  [maxUnpool3d, 'maxUnpool'],
  [upsample, 'resample'],
  // of a 3-D or 5-D tensor: resampleNd (familyOf3d5d)
  [resize, 'resample'],
  [relu, 'relu'],
  [relu6, 'relu6'],
  [leakyRelu, 'leakyRelu'],
  [sigmoid, 'sigmoid'],
  [sigmoidLut, 'sigmoidLut'],
  [swish, 'swish'],
  [hardSigmoid, 'hardSigmoid'],
  [hardSwish, 'hardSwish'],
  [clip, 'clip'],
  [softmax, 'softmax'],
  [dropout, 'dropout'],
  [add, 'add'],
  [sub, 'sub'],
  [mul, 'mul'],
  [div, 'div'],
  [concat, 'concat'],
  [reduceMean, 'reduceMean'],
  [multiHeadAttention, 'attention'],
  [shiftedWindowAttention, 'attention'],
  [shiftedWindowAttentionV2, 'windowAttentionV2'],
  [multiscaleAttention, 'multiscaleAttention'],
  [einsum, 'einsum'],
  [layerScale, 'layerScale'],
  [positionEmbedding, 'positionEmbedding'],
  // a learned tensor added to activations inside a module's forward, as ViT's position embedding
  [relativePositionBias, 'positionEmbedding'],
  [spatioTemporalPositionEncoding, 'positionEmbedding'],
  [classToken, 'classToken'],
  [layerNorm, 'layerNorm'],
  [rmsNorm, 'rmsNorm'],
  [rotaryEmbedding, 'rotaryEmbedding'],
  [scaledDotProductAttention, 'sdpa'],
  [groupNorm, 'groupNorm'],
  [instanceNorm2d, 'instanceNorm'],
  [instanceNorm1d, 'instanceNorm'],
  [instanceNorm3d, 'instanceNorm'],
  [localResponseNorm, 'localResponseNorm'],
  [gelu, 'gelu'],
  [tanh, 'tanh'],
  [erfOp, 'erf'],
  [mish, 'mish'],
  [elu, 'elu'],
  [selu, 'selu'],
  [celu, 'celu'],
  [softplus, 'softplus'],
  [softsign, 'softsign'],
  [hardTanh, 'hardTanh'],
  [prelu, 'prelu'],
  [logSoftmax, 'logSoftmax'],
  [range, 'range'],
  [cumSum, 'cumSum'],
  [nonZero, 'nonZero'],
  [topK, 'topK'],
  [gridSample, 'gridSample'],
  [nonMaxSuppression, 'nms'],
  [roiAlign, 'roiAlign'],
  ...familyOf('convNd', conv1d, conv3d),
  ...familyOf('convTransposeNd', convTranspose1d, convTranspose3d),
  ...familyOf('resampleNd', upsample1d, upsample3d),
  ...familyOf('maxPoolNd', maxPool1d, maxPool3d),
  ...familyOf('avgPoolNd', avgPool1d, avgPool3d),
  ...familyOf('adaptiveAvgPoolNd', adaptiveAvgPool1d, adaptiveAvgPool3d),
  ...familyOf('adaptiveMaxPool', adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d),
  ...familyOf('reduce', reduceSum, reduceMax, reduceMin, reduceL2, reduceProd),
  ...familyOf('argReduce', argMax, argMin),
  ...familyOf('mathUnary', sqrt, exp, sin, cos, log, neg, abs, sign, reciprocal, floor, ceil),
  ...familyOf('mathBinary', pow, mod, minimum, maximum),
  ...familyOf('logic', equal, less, greater, lessOrEqual, greaterOrEqual, logicalAnd, logicalOr, logicalXor, logicalNot, where),
  ...familyOf('scatter', scatterND, scatterElements),
  ...familyOf('quantize', quantizeLinear, dequantizeLinear, dynamicQuantizeLinear),
  ...familyOf('quantConv', qlinearConv, convInteger),
  ...familyOf('quantMatmul', qlinearMatMul, matMulInteger),
  ...familyOf('quantArithmetic', qlinearAdd, qlinearMul, qlinearGlobalAvgPool, qlinearConcat),
  ...familyOf(
    'layout',
    ...[flatten, reshape, transpose, squeeze, unsqueeze, expand, split, slice, pad, gather, shape, cast, identity, channelShuffle],
    ...[gatherElements, gatherND, tile, trilu, constantOfShape, depthToSpace, spaceToDepth, pixelShuffle, pixelUnshuffle, ifSelect, loopContinue, loop],
  ),
]);

/**
 * An ONNX Resize of a 3-D or 5-D tensor resamples over 1 or 3 axes: family resampleNd, as the
 * upsample1d/3d that torch.onnx exports as such a Resize (nd-resample.ts); of any other rank it is
 * resample, as upsample. Else null: the op's family alone decides.
 */
function familyOf3d5d(op: OpDef, x: Shape | undefined): Family | null {
  return op === resize && x && (x.length === 3 || x.length === 5) ? 'resampleNd' : null;
}

/** How the PyTorch source applies a layer: a function call, a module of a subclass, or (neither) a module of the op's own class. */
export interface SourceMarks {
  functional?: boolean;
  subclassed?: boolean;
}

/** The facts of an analysed layer, or null when convlens could not analyse it (unsupported, or downstream of one). */
export function layerFacts(a: AnalysedLayer, marks: SourceMarks = {}): LayerFacts | null {
  if (!a.op || !a.inferred) return null;
  const family = familyOf3d5d(a.op, a.inputShapes[0]) ?? FAMILY_OF.get(a.op);
  if (!family) return null;
  const plan = a.inferred.plan as { geo?: AxisGeometry[] } | null;
  return {
    name: a.layer.name,
    family,
    op: a.op,
    plan: a.inferred.plan,
    attrs: a.layer.attrs,
    inputs: a.inputShapes,
    outputs: a.inferred.outputs,
    weights: a.inferred.weights.map((w) => ({ name: w.name, shape: w.shape, trainable: w.trainable })),
    geometry: plan && Array.isArray(plan.geo) ? plan.geo : null,
    fixedSize: a.inferred.fixedSize === true,
    cost: a.inferred.cost,
    functional: marks.functional === true,
    subclassed: marks.subclassed === true,
    ...(a.inferred.unbatched !== undefined && { unbatched: a.inferred.unbatched }),
  };
}

// ---- shared readings of the facts, used by every preset --------------------------------------

export const elements = (s: Shape): number => numel(s);
export const outElements = (f: LayerFacts): number => numel(f.outputs[0]);
export const inElements = (f: LayerFacts): number => numel(f.inputs[0]);
/**
 * What F.local_response_norm's patched calls see (torch/nn/functional.py): Tensor.mul twice and
 * Tensor.add once over the input's elements, and an average pool over the squares padded to
 * C + size − 1 channels (avg_pool3d for a 4-D input, avg_pool2d for a 3-D one).
 */
export const lrnPatchedCalls = (f: LayerFacts): number => {
  const [n, c, ...rest] = f.inputs[0];
  return 3 * inElements(f) + n * (c + Number(f.attrs.size) - 1) * numel(rest);
};
export const hasWeight = (f: LayerFacts, role: string): boolean => f.weights.some((w) => w.name === role);
export const weightShape = (f: LayerFacts, role = 'weight'): Shape => f.weights.find((w) => w.name === role)?.shape ?? [];

/**
 * A conv-like layer's dimensions. Weight [Cout, Cin/g, kh, kw] for conv and deformConv,
 * [Cin, Cout/g, kh, kw] for convTranspose; N and the spatial sizes from the input and output.
 */
export interface ConvDims {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  kh: number;
  kw: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
  bias: boolean;
}

export function convDims(f: LayerFacts): ConvDims {
  const x = f.inputs[0];
  const y = f.outputs[0];
  const w = weightShape(f);
  return {
    n: x[0],
    cin: x[1],
    cout: y[1],
    groups: typeof f.attrs.groups === 'number' ? f.attrs.groups : 1,
    kh: w[2],
    kw: w[3],
    h: x[2],
    w: x[3],
    outH: y[2],
    outW: y[3],
    bias: hasWeight(f, 'bias'),
  };
}

/** Transposed-conv MACs over input positions (each input pixel scatters a kernel) or output positions (each output gathers Cin/g·k taps). */
export function transposedMacs(d: ConvDims, positions: 'input' | 'output'): number {
  return positions === 'input'
    ? d.n * d.cin * d.h * d.w * (d.cout / d.groups) * d.kh * d.kw
    : d.n * d.cout * d.outH * d.outW * (d.cin / d.groups) * d.kh * d.kw;
}

/** Linear: rows (every leading dimension), in and out features. */
export function linearDims(f: LayerFacts): { rows: number; ci: number; co: number; bias: boolean } {
  const x = f.inputs[0];
  const ci = x[x.length - 1];
  return { rows: numel(x) / ci, ci, co: f.outputs[0][f.outputs[0].length - 1], bias: hasWeight(f, 'bias') };
}

/** Matmul operands as given (before NumPy's vector promotion). */
export function matmulOperands(f: LayerFacts): { a: Shape; b: Shape } {
  return { a: f.inputs[0], b: f.inputs[1] };
}

/** BN's affine flag (γ and β present). */
export const affine = (f: LayerFacts): boolean => hasWeight(f, 'weight');

/** Interpolation mode of a resampling layer: nearest, linear or cubic (upsample's bilinear/bicubic included). */
export function resampleMode(f: LayerFacts): 'nearest' | 'linear' | 'cubic' {
  const m = f.attrs.mode;
  if (m === 'bilinear' || m === 'linear') return 'linear';
  if (m === 'bicubic' || m === 'cubic') return 'cubic';
  return 'nearest';
}

/**
 * A pooling layer's input as [leading, pooled]: the axes before its pooled (spatial) axes, N·C of
 * [N, C, …spatial] or C of an unbatched [C, …spatial] sample (src/ops/unbatched.ts), and the
 * pooled axes (the op's windowedAxes; else those the layer read unbatched, globalAvgPool2d's H and W
 * of [C, H, W]; else all but N and C). The tools that read
 * `x.shape[:-dims]` or `zip(x.shape, y.shape)` see the same split; those that read `shape[0]`,
 * `shape[1]` and `shape[2:]` do not (thop.ts, onnx-tool.ts say where).
 */
export function poolAxes(f: LayerFacts): { leading: Shape; pooled: Shape; unbatched: boolean } {
  const x = f.inputs[0];
  const spatial = Math.min(f.op.windowedAxes ?? f.unbatched ?? x.length - 2, x.length);
  return { leading: x.slice(0, x.length - spatial), pooled: x.slice(x.length - spatial), unbatched: x.length === spatial + 1 };
}

/** Pooling window [kh, kw] from the plan's geometry. */
export function poolKernel(f: LayerFacts): [number, number] {
  const g = f.geometry;
  return g ? [g[0].kernel, g[1].kernel] : [1, 1];
}

/**
 * An attention layer's S sequences of T tokens, C channels and h heads (attention.ts's plan), whether
 * its projections have biases, and whether its input projection reads a non-contiguous 3-D view
 * (f.strided, else multiHeadAttention's PyTorch: x.flatten(2).transpose(1, 2) of a map with C > 1
 * and H·W > 1, or (N, L, C) tokens at N > 1 and L > 1, after the module's batch_first transpose;
 * windows and Swin's partitions are reshaped copies).
 */
export function attentionDims(f: LayerFacts): { s: number; t: number; c: number; h: number; tokens: number; bias: boolean; strided: boolean } {
  const p = f.plan as { s: number; t: number; c: number; heads: number; n?: number; hw?: [number, number] | null };
  const global = f.op === multiHeadAttention && f.attrs.window === undefined;
  const strided = f.strided ?? (global && (p.hw ? p.c > 1 && p.hw[0] * p.hw[1] > 1 : (p.n ?? 1) > 1 && p.t > 1));
  return { s: p.s, t: p.t, c: p.c, h: p.heads, tokens: p.s * p.t, bias: hasWeight(f, 'inProjBias') || hasWeight(f, 'qkvBias'), strided };
}

/** The normalisation's first statistics dim (norm-group.ts's plan): ConvNeXt's LayerNorm2d normalises dim 1, nn.LayerNorm the trailing dims. */
export function normFirstDim(f: LayerFacts): number {
  const p = f.plan as { dims: number[] };
  return p.dims[0];
}

/** Quantized conv/matmul's integer multiply-accumulates (quant-linear.ts's intMacs). */
export const intMacs = (f: LayerFacts): number => f.cost.intMacs ?? 0;
