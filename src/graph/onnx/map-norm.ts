/**
 * ONNX normalisations → convlens ops (src/ops/norm-group.ts), per the ONNX operator specs:
 *   LayerNormalization (opset 17)   X, Scale, B? → layerNorm over [axis, rank) (axis −1 by default),
 *                                   epsilon 1e-5; Scale and B constants are its weight and bias.
 *                                   stash_type (the precision of the statistics) is moot: convlens
 *                                   computes them in float64. The optional Mean and InvStdDev
 *                                   outputs are not produced: a node that names them is Unsupported.
 *                                   The Scale's shape (leading 1s dropped) goes along as
 *                                   normalizedShape, so one that does not fit the input is
 *                                   SHAPE_MISMATCH, not a wrong count; one broadcast over the
 *                                   normalised dims (fewer of them than −axis) is Unsupported.
 *   RMSNormalization (opset 23)     X, scale → rmsNorm over [axis, rank) (axis −1 by default), epsilon
 *                                   1e-5; scale, a constant, is its weight, its shape (leading 1s
 *                                   dropped) the normalised dims' (one broadcast over them, fewer
 *                                   values, is Unsupported); stash_type is moot (float64 statistics).
 *   GroupNormalization (18, 21)     X, scale, bias → groupNorm; num_groups; scale and bias per group
 *                                   (opset 18: [G]) or per channel (opset 21: [C]), told by their size;
 *                                   per channel, their size is checked as the channel count.
 *                                   singleValue 'beta': ONNX's formula gives β where a group holds
 *                                   one value (N·C/G·H·W = 1), which F.group_norm refuses.
 *   InstanceNormalization (6)       input, scale [C], B [C] → instanceNorm2d with epsilon, renamed
 *                                   instanceNorm1d / instanceNorm3d by its input's rank (3, 5) once
 *                                   shapes are inferred (nameNormsByRank), as PyTorch names the module
 *                                   that exports it; any other rank keeps instanceNorm2d. A scale of
 *                                   ones and B of zeros is no affine map (torch.onnx.export writes
 *                                   them for InstanceNorm2d(affine=False) and inside GroupNorm's
 *                                   export): no parameters, as PyTorch counts. Their size is checked
 *                                   as the channel count (numFeatures). singleValue 'beta': 1×1 maps
 *                                   give β, as ONNX (and onnxruntime; F.instance_norm refuses them).
 *   BatchNormalization (7–15)       X, scale, B, mean, var → batchNorm2d with epsilon (and momentum, moot
 *                                   at inference), renamed batchNorm1d / batchNorm3d by its input's rank
 *                                   once shapes are inferred (nameNormsByRank); scale and B are γ
 *                                   and β, mean and var its buffers.
 *                                   A scale of ones and B of zeros from Constant nodes (not
 *                                   initializers) is no affine map: torch.onnx.export writes them so
 *                                   for BatchNorm2d(affine=False), which has no parameters, while an
 *                                   affine BN's γ and β are initializers even at their initial ones
 *                                   and zeros (counted: 2·C). In training mode (training_mode 1;
 *                                   before opset 14, more than one output): trainingMode, the
 *                                   batch's statistics (ops/norm.ts).
 *   LRN (1, 13)                     X → localResponseNorm (src/ops/local-response-norm.ts) with size
 *                                   (required), alpha 1e-4, beta 0.75, bias 1 as k, and ONNX's window,
 *                                   ⌊(size − 1)/2⌋ channels before c (PyTorch's ⌊size/2⌋ differs for
 *                                   an even size).
 */
import type { Graph, GraphConstant, GraphLayer } from '../graph.js';
import { inferGraph } from '../../analysis/infer.js';
import type { TensorInfo } from '../../analysis/infer.js';
import { batchNorm2d, batchNormForRank } from '../../ops/norm.js';
import { instanceNorm2d, instanceNormForRank } from '../../ops/norm-group.js';
import { constantData } from '../constant-data.js';
import { onnxChannelsBefore } from '../../ops/local-response-norm.js';
import { weightAt } from './map-conv-nd.js';
import { Unsupported } from './mapping.js';
import type { MapContext, NodeMapper } from './mapping.js';

/** The constant behind input i (folded when the graph computes it from constants), or Unsupported naming the role, at that input. */
function constantInput(ctx: MapContext, i: number, role: string): GraphConstant {
  const c = weightAt(ctx, i, `${role} (input ${i})`);
  if (!c) throw new Unsupported(`${role} (input ${i}) is not a constant`, i);
  return c;
}

/** Whether a constant holds `value` everywhere (false when its data was stripped). */
function filledWith(c: GraphConstant, value: number): boolean {
  const data = constantData(c);
  return data !== null && data.every((v) => v === value);
}

const numelOf = (c: GraphConstant) => c.shape.reduce((n, d) => n * d, 1);
/**
 * [1, 1, 8] → [8]: ONNX weights may carry broadcast axes in front; with a negative axis, not below
 * its −axis normalised dims ([1, 1, 8] with axis −3 stays: the input's normalised dims begin with 1s).
 */
const stripLeadingOnes = (shape: readonly number[], axis: number) => {
  const keep = axis < 0 ? -axis : 1;
  let from = 0;
  while (from < shape.length - keep && shape[from] === 1) from++;
  return shape.slice(from);
};

/** Refuses extra outputs (a mean, an inverse standard deviation) the convlens op does not write. */
function singleOutput(ctx: MapContext, names: string): void {
  if (ctx.node.output.slice(1).some((o) => o !== '')) throw new Unsupported(`the optional outputs (${names}) are not produced`);
}

const layerNormalization: NodeMapper = (ctx) => {
  singleOutput(ctx, 'Mean, InvStdDev');
  const scale = constantInput(ctx, 1, 'Scale');
  const bias = weightAt(ctx, 2, 'B (input 2)');
  // the Scale's shape is the normalised dims' (layerNorm checks it against the input): a Scale
  // that broadcasts over them (fewer values) would not fit one weight per normalised element
  const axis = ctx.a.int('axis', -1);
  const normalizedShape = stripLeadingOnes(scale.shape, axis);
  if (axis < 0 && normalizedShape.length < -axis) throw new Unsupported(`a Scale of shape [${scale.shape.join(', ')}] broadcast over the ${-axis} normalised dims`, 1);
  if (bias && numelOf(bias) !== numelOf(scale)) throw new Unsupported(`B of shape [${bias.shape.join(', ')}] beside Scale [${scale.shape.join(', ')}]`, 2);
  return {
    op: 'layerNorm',
    inputs: [ctx.node.input[0]],
    attrs: { axis, normalizedShape, eps: ctx.a.float('epsilon', 1e-5), bias: bias !== null },
    from: { axis: 'axis', normalizedShape: 1, eps: 'epsilon' },
    weights: { weight: { constant: scale.name }, ...(bias ? { bias: { constant: bias.name } } : {}) },
  };
};

const rmsNormalization: NodeMapper = (ctx) => {
  const scale = constantInput(ctx, 1, 'scale');
  const axis = ctx.a.int('axis', -1);
  const normalizedShape = stripLeadingOnes(scale.shape, axis);
  if (axis < 0 && normalizedShape.length < -axis) throw new Unsupported(`a scale of shape [${scale.shape.join(', ')}] broadcast over the ${-axis} normalised dims`, 1);
  return {
    op: 'rmsNorm',
    inputs: [ctx.node.input[0]],
    attrs: { axis, normalizedShape, eps: ctx.a.float('epsilon', 1e-5) },
    from: { axis: 'axis', normalizedShape: 1, eps: 'epsilon' },
    weights: { weight: { constant: scale.name } },
  };
};

const groupNormalization: NodeMapper = (ctx) => {
  const groups = ctx.a.int('num_groups');
  if (groups === undefined) throw new Unsupported('num_groups is missing');
  const scale = constantInput(ctx, 1, 'scale');
  const bias = constantInput(ctx, 2, 'bias');
  return {
    op: 'groupNorm',
    inputs: [ctx.node.input[0]],
    // per channel, the scale's size is the channel count, which groupNorm checks against the input
    attrs: { numGroups: groups, eps: ctx.a.float('epsilon', 1e-5), singleValue: 'beta', ...(numelOf(scale) === groups ? { affinePer: 'group' } : { numChannels: numelOf(scale) }) },
    from: { numGroups: 'num_groups', eps: 'epsilon', numChannels: 1 },
    weights: { weight: { constant: scale.name }, bias: { constant: bias.name } },
  };
};

const instanceNormalization: NodeMapper = (ctx) => {
  const scale = constantInput(ctx, 1, 'scale');
  const bias = constantInput(ctx, 2, 'B');
  const eps = ctx.a.float('epsilon', 1e-5);
  // scale and B hold one value per channel: the instance norm checks that count against the input
  const numFeatures = numelOf(scale);
  if (numelOf(bias) !== numFeatures) throw new Unsupported(`B of shape [${bias.shape.join(', ')}] beside scale [${scale.shape.join(', ')}]`, 2);
  const from = { eps: 'epsilon', numFeatures: 1 };
  if (filledWith(scale, 1) && filledWith(bias, 0)) return { op: instanceNorm2d.name, inputs: [ctx.node.input[0]], attrs: { eps, affine: false, numFeatures, singleValue: 'beta' }, from };
  return {
    op: instanceNorm2d.name,
    inputs: [ctx.node.input[0]],
    attrs: { eps, affine: true, numFeatures, singleValue: 'beta' },
    from,
    weights: { weight: { constant: scale.name }, bias: { constant: bias.name } },
  };
};

/** A Constant node's value (not a stored initializer, a view or a fold) equal to `value` everywhere. */
const literalFilledWith = (c: GraphConstant, value: number) => !c.initializer && c.countsAs === undefined && c.folded === undefined && filledWith(c, value);

const batchNormalization: NodeMapper = (ctx) => {
  const roles = ['weight', 'bias', 'runningMean', 'runningVar'] as const;
  const [scale, bias, mean, variance] = roles.map((r, i) => constantInput(ctx, i + 1, r));
  // in training mode (torch.onnx.export of a model in train()) the node normalises by the batch's statistics
  const training = ctx.opset >= 14 ? ctx.a.int('training_mode', 0) === 1 : ctx.node.output.filter((o) => o !== '').length > 1;
  const attrs = { eps: ctx.a.float('epsilon', 1e-5), momentum: 1 - ctx.a.float('momentum', 0.9), ...(training && { trainingMode: true }) };
  const stats = { runningMean: { constant: mean.name }, runningVar: { constant: variance.name } };
  const from = { eps: 'epsilon', momentum: 'momentum', trainingMode: 'training_mode' };
  if (literalFilledWith(scale, 1) && literalFilledWith(bias, 0)) return { op: 'batchNorm2d', inputs: [ctx.node.input[0]], attrs: { ...attrs, affine: false }, weights: stats, from };
  return { op: 'batchNorm2d', inputs: [ctx.node.input[0]], attrs, weights: { weight: { constant: scale.name }, bias: { constant: bias.name }, ...stats }, from };
};

/** The ONNX normalisations named by their input's rank: the op they map to first, and PyTorch's name for a rank. */
const BY_RANK = new Map<string, { mapped: string; forRank: (rank: number) => string }>([
  ['BatchNormalization', { mapped: batchNorm2d.name, forRank: (r) => batchNormForRank(r).name }],
  ['InstanceNormalization', { mapped: instanceNorm2d.name, forRank: (r) => instanceNormForRank(r).name }],
]);

/**
 * A BatchNormalization maps to batchNorm2d, an InstanceNormalization to instanceNorm2d, before its
 * input's rank is known; once the graph's shapes are (import.ts settle: `tensors` when a Loop needed
 * them; else the ranks the graph states, statedRanks, and only where one is not, the graph inferred
 * here), each takes PyTorch's name for that rank
 * (ops/norm.ts batchNormForRank: batchNorm1d on (N, C) or (N, C, L), batchNorm3d on (N, C, D, H, W);
 * ops/norm-group.ts instanceNormForRank: instanceNorm1d on (N, C, L), instanceNorm3d on
 * (N, C, D, H, W)). Where inference fails, the first name stays (the caller's analysis then reports
 * why). If branches and unrolled Loops are inlined into the graph: their layers are the graph's. The
 * bodies of Loops kept whole (loop-body.ts) name theirs each time they are inferred, which inferring
 * the graph does: `bodies` with such a layer have the graph inferred here too.
 */
export function nameNormsByRank(graph: Graph, tensors: ReadonlyMap<string, Pick<TensorInfo, 'shape'>> | null, maxFolded?: number, bodies: readonly Graph[] = []): void {
  const named = toName(graph);
  if (named.length === 0 && !bodies.some((b) => toName(b).length > 0)) return;
  let rankOf = (l: GraphLayer): number | undefined => tensors?.get(l.inputs[0])?.shape?.length;
  if (!tensors) {
    // where every rank is stated (after a Conv, a Reshape, at a graph input) no inference is needed: it costs as much as the analysis
    const stated = statedRanks(graph);
    rankOf = (l) => stated(l.inputs[0]);
    if (named.some((l) => rankOf(l) === undefined) || bodies.some((b) => toName(b).length > 0)) {
      try {
        const shapes = inferGraph(graph, { maxFolded }).tensors;
        rankOf = (l) => shapes.get(l.inputs[0])?.shape?.length;
      } catch {
        return;
      }
    }
  }
  for (const l of named) {
    const rank = rankOf(l);
    if (rank !== undefined) l.op = BY_RANK.get(l.source!.opType)!.forRank(rank);
  }
}

/**
 * Ranks the graph states without inference: a graph input's; the output of a Reshape to a constant
 * shape (the decomposed GroupNorm's [N, G, −1]), that shape's length; of a Conv or ConvTranspose
 * layer bound to its weight, the weight's rank (ONNX: W (M, C/group, k₁ … kₙ) for X (N, C, D₁ … Dₙ),
 * and the output's rank is X's).
 */
function statedRanks(graph: Graph): (tensor: string) => number | undefined {
  const producer = new Map<string, GraphLayer>();
  for (const l of graph.layers) for (const o of l.outputs) producer.set(o, l);
  const inputs = new Map(graph.inputs.map((i) => [i.name, i.shape.length]));
  return (tensor) => {
    if (inputs.has(tensor)) return inputs.get(tensor);
    const l = producer.get(tensor);
    const opType = l?.source?.opType;
    if (!l || l.outputs[0] !== tensor) return undefined;
    if (opType === 'Reshape') {
      const shape = graph.constants.get(l.inputs[1] ?? '');
      return shape?.shape.length === 1 ? shape.shape[0] : undefined;
    }
    const w = l.weights?.weight;
    return (opType === 'Conv' || opType === 'ConvTranspose') && w && !w.transpose ? graph.constants.get(w.constant)?.shape.length : undefined;
  };
}

/** The layers of a graph still under the name they were mapped to before their rank was known. */
const toName = (graph: Graph) => graph.layers.filter((l) => BY_RANK.get(l.source?.opType ?? '')?.mapped === l.op);

const lrn: NodeMapper = (ctx) => {
  const size = ctx.a.int('size');
  if (size === undefined) throw new Unsupported('LRN without its required attribute size');
  const attrs = { size, alpha: ctx.a.float('alpha', 1e-4), beta: ctx.a.float('beta', 0.75), k: ctx.a.float('bias', 1) };
  const from = { size: 'size', alpha: 'alpha', beta: 'beta', k: 'bias' };
  return { op: 'localResponseNorm', inputs: [ctx.node.input[0]], attrs: size >= 1 ? { ...attrs, channelsBefore: onnxChannelsBefore(size) } : attrs, from };
};

export const NORM_MAPPERS: Record<string, NodeMapper> = {
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  RMSNormalization: rmsNormalization,
  GroupNormalization: groupNormalization,
  InstanceNormalization: instanceNormalization,
  LRN: lrn,
};
