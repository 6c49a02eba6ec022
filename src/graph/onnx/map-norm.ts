/**
 * ONNX normalisations → convlens ops (src/ops/norm-group.ts), per the ONNX operator specs:
 *   LayerNormalization (opset 17)   X, Scale, B? → layerNorm over [axis, rank) (axis −1 by default),
 *                                   epsilon 1e-5; Scale and B constants are its weight and bias.
 *                                   stash_type (the precision of the statistics) is moot: convlens
 *                                   computes them in float64. The optional Mean and InvStdDev
 *                                   outputs are not produced: a node that names them is Unsupported.
 *   GroupNormalization (18, 21)     X, scale, bias → groupNorm; num_groups; scale and bias per group
 *                                   (opset 18: [G]) or per channel (opset 21: [C]), told by their size.
 *   InstanceNormalization (6)       input, scale [C], B [C] → instanceNorm2d with epsilon. A scale of
 *                                   ones and B of zeros is no affine map (torch.onnx.export writes
 *                                   them for InstanceNorm2d(affine=False) and inside GroupNorm's
 *                                   export): no parameters, as PyTorch counts.
 */
import type { GraphConstant } from '../graph.js';
import { constantData } from '../constant-data.js';
import { Unsupported } from './mapping.js';
import type { MapContext, NodeMapper } from './mapping.js';

/** The constant behind input i, or Unsupported naming the role. */
function constantInput(ctx: MapContext, i: number, role: string): GraphConstant {
  const c = ctx.constOf(i);
  if (!c) throw new Unsupported(`${role} (input ${i}) is not a constant`);
  return c;
}

/** Whether a constant holds `value` everywhere (false when its data was stripped). */
function filledWith(c: GraphConstant, value: number): boolean {
  const data = constantData(c);
  return data !== null && data.every((v) => v === value);
}

const numelOf = (c: GraphConstant) => c.shape.reduce((n, d) => n * d, 1);

/** Refuses extra outputs (a mean, an inverse standard deviation) the convlens op does not write. */
function singleOutput(ctx: MapContext, names: string): void {
  if (ctx.node.output.slice(1).some((o) => o !== '')) throw new Unsupported(`the optional outputs (${names}) are not produced`);
}

const layerNormalization: NodeMapper = (ctx) => {
  singleOutput(ctx, 'Mean, InvStdDev');
  const scale = constantInput(ctx, 1, 'Scale');
  const bias = ctx.constOf(2);
  if (ctx.node.input[2] && !bias) throw new Unsupported('B (input 2) is not a constant');
  return {
    op: 'layerNorm',
    inputs: [ctx.node.input[0]],
    attrs: { axis: ctx.a.int('axis', -1), eps: ctx.a.float('epsilon', 1e-5), bias: bias !== null },
    weights: { weight: { constant: scale.name }, ...(bias ? { bias: { constant: bias.name } } : {}) },
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
    attrs: { numGroups: groups, eps: ctx.a.float('epsilon', 1e-5), affinePer: numelOf(scale) === groups ? 'group' : 'channel' },
    weights: { weight: { constant: scale.name }, bias: { constant: bias.name } },
  };
};

const instanceNormalization: NodeMapper = (ctx) => {
  const scale = constantInput(ctx, 1, 'scale');
  const bias = constantInput(ctx, 2, 'B');
  const eps = ctx.a.float('epsilon', 1e-5);
  if (filledWith(scale, 1) && filledWith(bias, 0)) return { op: 'instanceNorm2d', inputs: [ctx.node.input[0]], attrs: { eps, affine: false } };
  return {
    op: 'instanceNorm2d',
    inputs: [ctx.node.input[0]],
    attrs: { eps, affine: true },
    weights: { weight: { constant: scale.name }, bias: { constant: bias.name } },
  };
};

export const NORM_MAPPERS: Record<string, NodeMapper> = {
  LayerNormalization: layerNormalization,
  GroupNormalization: groupNormalization,
  InstanceNormalization: instanceNormalization,
};
