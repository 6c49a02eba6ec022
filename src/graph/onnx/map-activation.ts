/**
 * ONNX activations → convlens ops (src/ops/activation-more.ts, softmax.ts), per the ONNX specs
 * (attribute defaults as there): Erf, Tanh, Softsign, Mish (opset 18) one to one; Elu (alpha 1),
 * Selu (alpha ≈ 1.6733, gamma ≈ 1.0507), Celu (alpha 1), Softplus (log(1 + eˣ): beta 1, and
 * convlens's threshold 20 changes nothing in float32), Gelu (opset 20: approximate 'none' | 'tanh');
 * PRelu with a constant slope of one value (one learned parameter) or one value per channel
 * ([C, 1, 1] as torch exports it, or [1, C, 1, 1] …: the slopes run along the dim where the slope's
 * one non-1 axis lands after right-aligned broadcasting); Softmax and LogSoftmax (opset 13+: one
 * axis, −1 by default; before: axis 1 by default and the input coerced to 2-D at the axis);
 * Swish (opset 24: x·sigmoid(alpha·x), alpha 1 by default) as swish (SiLU) where alpha is 1; another
 * alpha is Unsupported at the attribute (convlens's swish has none).
 */
import { Unsupported } from './mapping.js';
import type { MapContext, NodeMapper } from './mapping.js';

const direct = (op: string): NodeMapper => (ctx) => ({ op, inputs: [ctx.node.input[0]], attrs: {} });

const prelu: NodeMapper = (ctx) => {
  const slope = ctx.constOf(1);
  if (!slope) throw new Unsupported('the slope (input 1) is not a constant', 1);
  const dims = slope.shape;
  const n = dims.reduce((p, d) => p * d, 1);
  if (n === 1) return { op: 'prelu', inputs: [ctx.node.input[0]], attrs: { numParameters: 1 }, weights: { weight: { constant: slope.name } } };
  const big = dims.flatMap((d, i) => (d !== 1 ? [i] : []));
  if (big.length !== 1) throw new Unsupported(`a slope of shape [${dims.join(', ')}]: only one shared slope or one per channel is supported`, 1);
  // right-aligned broadcasting: axis i of the slope meets the input's dim −(rank_slope − i)
  const channelDim = -(dims.length - big[0]);
  return { op: 'prelu', inputs: [ctx.node.input[0]], attrs: { numParameters: n, channelDim }, weights: { weight: { constant: slope.name } } };
};

const softmaxLike =
  (op: string): NodeMapper =>
  (ctx: MapContext) => {
    const modern = ctx.opset >= 13;
    return { op, inputs: [ctx.node.input[0]], attrs: { dim: ctx.a.int('axis', modern ? -1 : 1), coerce2d: !modern }, from: { dim: 'axis' } };
  };

export const ACTIVATION_MAPPERS: Record<string, NodeMapper> = {
  Erf: direct('erf'),
  Tanh: direct('tanh'),
  Softsign: direct('softsign'),
  Mish: direct('mish'),
  Elu: (ctx) => ({ op: 'elu', inputs: [ctx.node.input[0]], attrs: { alpha: ctx.a.float('alpha', 1) }, from: { alpha: 'alpha' } }),
  Celu: (ctx) => ({ op: 'celu', inputs: [ctx.node.input[0]], attrs: { alpha: ctx.a.float('alpha', 1) }, from: { alpha: 'alpha' } }),
  Selu: (ctx) => {
    const attrs: Record<string, number> = {};
    const alpha = ctx.a.float('alpha');
    const gamma = ctx.a.float('gamma');
    if (alpha !== undefined) attrs.alpha = alpha;
    if (gamma !== undefined) attrs.gamma = gamma;
    return { op: 'selu', inputs: [ctx.node.input[0]], attrs, from: { alpha: 'alpha', gamma: 'gamma' } };
  },
  Softplus: direct('softplus'),
  Gelu: (ctx) => {
    const approximate = ctx.a.string('approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh') throw new Unsupported(`approximate '${approximate}'`, 'approximate');
    return { op: 'gelu', inputs: [ctx.node.input[0]], attrs: { approximate }, from: { approximate: 'approximate' } };
  },
  Swish: (ctx) => {
    const alpha = ctx.a.float('alpha', 1);
    if (alpha !== 1) throw new Unsupported(`alpha ${alpha}: convlens's swish is x·sigmoid(x) (alpha 1)`, 'alpha');
    return { op: 'swish', inputs: [ctx.node.input[0]], attrs: {} };
  },
  PRelu: prelu,
  Softmax: softmaxLike('softmax'),
  LogSoftmax: softmaxLike('logSoftmax'),
};
