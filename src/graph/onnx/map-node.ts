/**
 * ONNX node → convlens op: attribute names, types and defaults per the ONNX operator specs
 * (opsets 7–27: graph/onnx/opsets.ts), read through the typed attribute reader. A node convlens cannot map throws
 * Unsupported with the reason and the field it is about (an AttributeProto's name, a node input's
 * index: Mapped.from's form), where a run refuses it; it then stays in the graph under its op type.
 */
import { dtypeOfOnnx, isInteger, TensorDataType } from '../../tensor/dtype.js';
import type { DataType } from '../../tensor/dtype.js';
import type { GraphConstant } from '../graph.js';
import type { Attributes } from './attributes.js';
import type { NodeProto } from './proto.js';
import { FAMILY_MAPPERS } from './mappers.js';
import { Unsupported, type Mapped, type WeightFolder } from './mapping.js';
import { autoPad, convRankReason, mapWindowNd, WINDOW_FROM } from './map-conv-nd.js';

export { Unsupported, type Mapped, type MapContext, type NodeMapper } from './mapping.js';

/** ONNX 2-D pads [t, l, b, r] or auto_pad → our padding. */
function padding(a: Attributes): unknown {
  const auto = autoPad({ a });
  if (auto === 'SAME_UPPER') return 'sameUpper';
  if (auto === 'SAME_LOWER') return 'sameLower';
  if (auto === 'VALID') return 'valid';
  const pads = a.ints('pads');
  if (!pads) return 0;
  if (pads.length !== 4) throw new Unsupported(`pads of length ${pads.length}: only 2-D windows are supported`, 'pads');
  return pads;
}

const opt = <T>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });

/** ONNX operators that are convlens ops one to one, inputs and all, with no attributes to carry. */
const DIRECT: Record<string, string> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  HardSwish: 'hardSwish',
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  GlobalAveragePool: 'globalAvgPool2d',
  Identity: 'identity',
  Expand: 'expand',
};

/**
 * Why a weight input cannot be read: the graph computes it and the computation does not fold to a
 * constant (it reads the graph's input, as a dynamic or hyper-network conv does; a node convlens
 * does not model; a cycle). Weight standardisation over the stored weight folds at import.
 */
function computedWeight(role: string, reason: string, input: number): Unsupported {
  return new Unsupported(`${role} is computed in the graph and does not fold to a constant: ${reason}; convlens reads a weight from the file or from constants it can fold (onnx-simplifier folds the rest: onnxsim in.onnx out.onnx)`, input);
}

export function mapNode(node: NodeProto, a: Attributes, opset: number, constants: Map<string, GraphConstant>, types: ReadonlyMap<string, DataType> = new Map(), folder?: WeightFolder): Mapped {
  const ins = node.input;
  if (DIRECT[node.opType]) return { op: DIRECT[node.opType], inputs: [...ins], attrs: {} };
  const typeOf = (i: number): DataType | undefined => (ins[i] ? (types.get(ins[i]) ?? constants.get(ins[i])?.dataType) : undefined);
  // integer operands (torch.div(…, rounding_mode='floor') of indices): ONNX's Div truncates
  if (node.opType === 'Div') return { op: 'div', inputs: [...ins], attrs: [0, 1].every((i) => isInteger(typeOf(i) ?? 'float32')) ? { integer: true } : {} };
  const constOf = (i: number): GraphConstant | null => (ins[i] ? constants.get(ins[i]) ?? null : null);
  const scalarOf = (i: number): number | undefined => {
    const c = constOf(i);
    if (ins[i] && !c) throw new Unsupported(`input ${i} is not a constant`, i);
    return c?.value?.data[0];
  };
  const weightOf = (i: number, role: string): GraphConstant | null => {
    const c = constOf(i);
    if (c || !ins[i]) return c;
    const folded = folder?.fold(ins[i]) ?? { reason: `'${ins[i]}' is not a constant` };
    // one reason for every such node (mobilenet_v3's 64 layers wrote 25 KB of reasons naming each tensor), which names no remedy that cannot help
    if ('reason' in folded && folded.graphInput && folded.reason.startsWith(`'${ins[i]}'`)) {
      throw new Unsupported(`${role} is an input of the graph, not an initializer: a model fed its kernel (a dynamic conv), or a file written with torch.onnx.export(export_params=False), which leaves the weights out (export with export_params=True: a file with its weights' data stripped keeps their shapes)`, i);
    }
    if ('reason' in folded) throw computedWeight(role, folded.reason, i);
    return folded;
  };
  const same = (op: string, attrs: Record<string, unknown> = {}, from?: Mapped['from']): Mapped => ({ op, inputs: [...ins], attrs, ...(from && { from }) });
  const ctx = { node, a, opset, constants, constOf, weightOf, folder, scalarOf, typeOf, same };
  const family = FAMILY_MAPPERS[node.opType];
  if (family) return family(ctx);
  const nd = mapWindowNd(ctx);
  if (nd) return nd;

  switch (node.opType) {
    case 'Conv': {
      const w = weightOf(1, 'the weight W');
      if (!w) throw new Unsupported('no weight W (input 1)');
      if (w.shape.length !== 4) throw new Unsupported(convRankReason(w.shape, 'convolution'), 1);
      const b = weightOf(2, 'the bias B');
      return {
        op: 'conv2d',
        inputs: [ins[0]],
        attrs: {
          outChannels: w.shape[0],
          kernelSize: [w.shape[2], w.shape[3]],
          stride: a.ints('strides') ?? 1,
          padding: padding(a),
          dilation: a.ints('dilations') ?? 1,
          groups: a.int('group', 1),
          bias: b !== null,
        },
        weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
        from: WINDOW_FROM,
      };
    }
    case 'LeakyRelu':
      return same('leakyRelu', { negativeSlope: a.float('alpha', 0.01) }, { negativeSlope: 'alpha' });
    case 'HardSigmoid':
      return same('hardSigmoid', { alpha: a.float('alpha', 0.2), beta: a.float('beta', 0.5) }, { alpha: 'alpha', beta: 'beta' });
    case 'Clip': {
      const min = opset >= 11 ? scalarOf(1) : a.float('min');
      const max = opset >= 11 ? scalarOf(2) : a.float('max');
      if (min === 0 && max === 6) return { op: 'relu6', inputs: [ins[0]], attrs: {} };
      if (min === 0 && max === undefined) return { op: 'relu', inputs: [ins[0]], attrs: {} };
      return { op: 'clip', inputs: [ins[0]], attrs: { ...opt('min', min), ...opt('max', max) }, from: opset >= 11 ? { min: 1, max: 2 } : { min: 'min', max: 'max' } };
    }
    case 'Softmax':
      return same('softmax', { dim: a.int('axis', opset >= 13 ? -1 : 1) });
    case 'Dropout':
      return { op: 'dropout', inputs: [ins[0]], attrs: { p: opset >= 12 ? (scalarOf(1) ?? 0.5) : a.float('ratio', 0.5) }, from: { p: opset >= 12 ? 1 : 'ratio' } };
    case 'Concat':
      return same('concat', { dim: a.int('axis') }, { dim: 'axis' });
    case 'MaxPool': {
      const k = a.ints('kernel_shape');
      if (!k || k.length !== 2) throw new Unsupported('only 2-D max pooling is supported', 'kernel_shape');
      if (a.int('storage_order', 0) !== 0) throw new Unsupported('storage_order 1 (column-major indices)', 'storage_order');
      return {
        op: 'maxPool2d',
        inputs: [ins[0]],
        attrs: {
          kernelSize: k,
          stride: a.ints('strides') ?? 1,
          padding: padding(a),
          dilation: a.ints('dilations') ?? 1,
          ceilMode: a.int('ceil_mode', 0) === 1,
          returnIndices: node.output.length > 1 && node.output[1] !== '',
          // ONNX's Indices count over the whole input (the spec: [0, N x C x D1 x … x Dn)), PyTorch's within each plane
          indicesOver: 'tensor',
        },
        from: WINDOW_FROM,
      };
    }
    case 'AveragePool': {
      const k = a.ints('kernel_shape');
      if (!k || k.length !== 2) throw new Unsupported('only 2-D average pooling is supported', 'kernel_shape');
      return {
        op: 'avgPool2d',
        inputs: [ins[0]],
        attrs: { kernelSize: k, stride: a.ints('strides') ?? 1, padding: padding(a), ceilMode: a.int('ceil_mode', 0) === 1, countIncludePad: a.int('count_include_pad', 0) === 1 },
        from: WINDOW_FROM,
      };
    }
    case 'Flatten':
      return same('flatten', { axis: a.int('axis', 1) }, { axis: 'axis' });
    case 'MatMul': {
      const w = constOf(1);
      if (w && w.shape.length === 2 && !constOf(0)) {
        return { op: 'linear', inputs: [ins[0]], attrs: { outFeatures: w.shape[1], bias: false }, weights: { weight: { constant: w.name, transpose: true } } };
      }
      return same('matmul');
    }
    case 'Reshape':
      return same('reshape', { allowZero: a.int('allowzero', 0) === 1 }, { allowZero: 'allowzero', shape: 1 });
    case 'Transpose':
      return same('transpose', opt('perm', a.ints('perm')), { perm: 'perm' });
    case 'Split':
      return {
        op: 'split',
        inputs: [...ins],
        attrs: { axis: a.int('axis', 0), numOutputs: node.output.length, ...opt('split', a.ints('split')) },
        from: { axis: 'axis', split: ['split', 1] },
      };
    case 'Slice':
      return opset >= 10
        ? same('slice', {}, { starts: 1, ends: 2, axes: 3, steps: 4 })
        : same('slice', { starts: a.bounds('starts'), ends: a.bounds('ends'), ...opt('axes', a.ints('axes')) }, { starts: 'starts', ends: 'ends', axes: 'axes' });
    case 'Pad': {
      const mode = a.string('mode', 'constant');
      if (opset >= 11) return { op: 'pad', inputs: [...ins], attrs: { mode }, from: { mode: 'mode', pads: 1, value: 2, axes: 3 } };
      return { op: 'pad', inputs: [ins[0]], attrs: { mode, pads: a.ints('pads'), value: a.float('value', 0) }, from: { mode: 'mode', pads: 'pads', value: 'value' } };
    }
    case 'ReduceMean':
      return same('reduceMean', { keepDims: a.int('keepdims', 1) !== 0, ...opt('axes', a.ints('axes')) });
    case 'Shape':
      return same('shape', { ...opt('start', a.int('start')), ...opt('end', a.int('end')) }, { start: 'start', end: 'end' });
    case 'Gather':
      return same('gather', { axis: a.int('axis', 0) }, { axis: 'axis' });
    case 'Unsqueeze':
      return same('unsqueeze', opt('axes', a.ints('axes')), { axes: ['axes', 1] });
    case 'Squeeze':
      return same('squeeze', opt('axes', a.ints('axes')), { axes: ['axes', 1] });
    case 'Cast':
      // `to` is required: read as UNDEFINED (0) it was a cast to 'other', a string or complex type
      if (!a.has('to')) throw new Unsupported('Cast without its required attribute to');
      return same('cast', { to: dtypeOfOnnx(a.int('to', TensorDataType.UNDEFINED)) }, { to: 'to' });
    default:
      throw new Unsupported('');
  }
}
