/** The one explicit list of operators: the analyzer, the runtime and the catalog all read it. */
import { relu, relu6, leakyRelu, sigmoid, swish, hardSigmoid, hardSwish, softmax, dropout, clip, sigmoidLut } from './activation.js';
import { conv2d } from './conv.js';
import { conv1d, conv3d } from './conv-nd.js';
import { convTranspose1d, convTranspose3d } from './conv-transpose-nd.js';
import { upsample1d, upsample3d } from './upsample-nd.js';
import { maxPool1d, maxPool3d, avgPool1d, avgPool3d, adaptiveAvgPool1d, adaptiveAvgPool3d } from './pool-nd.js';
import { convTranspose2d } from './conv-transpose.js';
import { deformConv2d } from './deform-conv.js';
import { linear, flatten, matmul } from './linear.js';
import { multiHeadAttention } from './attention.js';
import { shiftedWindowAttention } from './window-attention.js';
import { shiftedWindowAttentionV2 } from './window-attention-v2.js';
import { relativePositionBias } from './relative-position-bias.js';
import { multiscaleAttention } from './multiscale-attention.js';
import { spatioTemporalPositionEncoding } from './spatiotemporal-position.js';
import { layerScale, positionEmbedding, classToken } from './learned.js';
import { quantizeLinear, dequantizeLinear, dynamicQuantizeLinear, qlinearAdd, qlinearMul } from './quant.js';
import { convInteger, qlinearConv, matMulInteger, qlinearMatMul } from './quant-linear.js';
import { qlinearGlobalAvgPool, qlinearConcat } from './quant-extra.js';
import { nonMaxSuppression, roiAlign } from './detection.js';
import { ifSelect, loopContinue } from './control.js';
import { loop } from './loop.js';
import { add, concat, div, mul, sub } from './merge.js';
import { batchNorm1d, batchNorm2d, batchNorm3d } from './norm.js';
import { layerNorm, groupNorm, instanceNorm1d, instanceNorm2d, instanceNorm3d } from './norm-group.js';
import { rmsNorm } from './rms-norm.js';
import { rotaryEmbedding } from './rotary-embedding.js';
import { scaledDotProductAttention } from './sdpa.js';
import { localResponseNorm } from './local-response-norm.js';
import { gelu, tanh, erfOp, mish, elu, selu, celu, softplus, softsign, hardTanh, prelu } from './activation-more.js';
import { logSoftmax } from './softmax.js';
import { maxPool2d, avgPool2d, globalAvgPool2d, adaptiveAvgPool2d, maxUnpool2d } from './pool.js';
import { adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d } from './pool-adaptive-max.js';
import { maxUnpool1d, maxUnpool3d } from './pool-unpool-nd.js';
import { channelShuffle } from './shuffle.js';
import { upsample } from './upsample.js';
import { resize } from './resize.js';
import { reshape, transpose, squeeze, unsqueeze, expand } from './movement.js';
import { split, slice, pad, gather } from './indexing.js';
import { reduceMean, reduceSum, reduceMax, reduceMin, reduceL2, reduceProd } from './reduction.js';
import { argMax, argMin } from './arg-reduction.js';
import { nonZero, gatherND } from './select.js';
import { sqrt, exp, sin, cos, log, neg, abs, sign, reciprocal, floor, ceil, pow, mod, minimum, maximum } from './math.js';
import { equal, less, greater, lessOrEqual, greaterOrEqual, logicalAnd, logicalOr, logicalXor, logicalNot, where } from './logic.js';
import { constantOfShape, range, tile, cumSum, trilu } from './sequence.js';
import { gatherElements, scatterElements, scatterND } from './scatter.js';
import { einsum } from './einsum.js';
import { topK } from './topk.js';
import { depthToSpace, spaceToDepth, pixelShuffle, pixelUnshuffle } from './space-depth.js';
import { gridSample } from './grid-sample.js';
import { shape, cast, identity } from './meta.js';
import type { OpDef } from './types.js';

export const OPS: readonly OpDef[] = [
  conv2d,
  conv1d,
  conv3d,
  convTranspose1d,
  convTranspose3d,
  maxPool1d,
  maxPool3d,
  avgPool1d,
  avgPool3d,
  adaptiveAvgPool1d,
  adaptiveAvgPool3d,
  upsample1d,
  upsample3d,
  convTranspose2d,
  deformConv2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool3d,
  maxUnpool2d,
  maxUnpool1d,
  maxUnpool3d,
  upsample,
  resize,
  linear,
  matmul,
  multiHeadAttention,
  shiftedWindowAttention,
  shiftedWindowAttentionV2,
  relativePositionBias,
  multiscaleAttention,
  spatioTemporalPositionEncoding,
  layerScale,
  positionEmbedding,
  classToken,
  quantizeLinear,
  dequantizeLinear,
  dynamicQuantizeLinear,
  qlinearConv,
  convInteger,
  qlinearMatMul,
  matMulInteger,
  qlinearAdd,
  qlinearMul,
  qlinearGlobalAvgPool,
  qlinearConcat,
  nonMaxSuppression,
  roiAlign,
  ifSelect,
  loopContinue,
  loop,
  flatten,
  batchNorm2d,
  batchNorm1d,
  batchNorm3d,
  layerNorm,
  rmsNorm,
  rotaryEmbedding,
  scaledDotProductAttention,
  groupNorm,
  instanceNorm2d,
  instanceNorm1d,
  instanceNorm3d,
  localResponseNorm,
  gelu,
  tanh,
  erfOp,
  mish,
  elu,
  selu,
  celu,
  softplus,
  softsign,
  hardTanh,
  prelu,
  logSoftmax,
  relu,
  relu6,
  leakyRelu,
  sigmoid,
  sigmoidLut,
  swish,
  hardSigmoid,
  hardSwish,
  clip,
  softmax,
  dropout,
  add,
  sub,
  mul,
  div,
  concat,
  channelShuffle,
  reshape,
  transpose,
  split,
  slice,
  pad,
  squeeze,
  unsqueeze,
  expand,
  gather,
  shape,
  cast,
  identity,
  reduceMean,
  reduceSum, reduceMax, reduceMin, reduceL2, argMax, argMin,
  sqrt, exp, sin, cos, log, neg, abs, sign, reciprocal, floor, ceil, pow, mod, minimum, maximum,
  equal, less, greater, lessOrEqual, greaterOrEqual, logicalAnd, logicalOr, logicalXor, logicalNot, where,
  constantOfShape, range, tile, cumSum, trilu,
  gatherElements, scatterND,
  einsum, topK, depthToSpace, spaceToDepth, pixelShuffle, pixelUnshuffle, gridSample,
  reduceProd, nonZero, gatherND, scatterElements,
];

export const OPS_BY_NAME: ReadonlyMap<string, OpDef> = new Map(OPS.map((op) => [op.name, op]));
