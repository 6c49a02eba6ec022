/**
 * ONNX → graph. Nodes map onto the registry's ops (attribute names and defaults per the ONNX
 * operator specs, opsets 7–18); weights become graph constants bound to the layer by role and
 * are read only for their shapes. Nodes of any other type stay in the graph under their op type,
 * so the report names them and marks the totals incomplete. Shape inference is the analyzer's:
 * shape subgraphs (Shape → Gather → Concat → Reshape) fold there by evaluation.
 */
import { ConvlensError, fmtShape } from '../../errors.js';
import { MAX_FOLDED_ELEMENTS } from '../../ops/broadcast.js';
import { OPS_BY_NAME } from '../../ops/registry.js';
import { numel } from '../../tensor/tensor.js';
import type { DataType, Graph, GraphConstant, GraphInput, GraphLayer } from '../graph.js';
import { decodeModel, num } from './proto.js';
import type { AttributeProto, Long, NodeProto, TensorProto, ValueInfoProto } from './proto.js';

export const DATA_TYPES: Record<number, DataType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};
const CAST_NAMES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16' };
const INTEGER: ReadonlySet<DataType> = new Set(['uint8', 'int8', 'int16', 'int32', 'int64', 'bool']);

export interface OnnxImportOptions {
  /** Shapes for inputs with dynamic dimensions: by input name, or `''` for the first input. */
  inputShapes?: Record<string, number[]>;
}

export interface OnnxInfo {
  opset: number;
  irVersion: number;
  producer: string;
}

/** Values of a small tensor, from raw_data (little-endian) or the typed fields. */
function tensorValues(t: TensorProto, type: DataType, count: number): number[] | null {
  if (t.rawData && t.rawData.byteLength > 0) {
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const read: Partial<Record<DataType, [number, (o: number) => number]>> = {
      float32: [4, (o) => dv.getFloat32(o, true)],
      float64: [8, (o) => dv.getFloat64(o, true)],
      int64: [8, (o) => Number(dv.getBigInt64(o, true))],
      int32: [4, (o) => dv.getInt32(o, true)],
      int16: [2, (o) => dv.getInt16(o, true)],
      int8: [1, (o) => dv.getInt8(o)],
      uint8: [1, (o) => dv.getUint8(o)],
      bool: [1, (o) => dv.getUint8(o)],
    };
    const r = read[type];
    if (!r || r[0] * count > t.rawData.byteLength) return null;
    return Array.from({ length: count }, (_, i) => r[1](i * r[0]));
  }
  const typed: ArrayLike<number | { toNumber(): number }> | null =
    t.floatData.length > 0 ? t.floatData : t.int64Data.length > 0 ? t.int64Data : t.int32Data.length > 0 ? t.int32Data : t.doubleData.length > 0 ? t.doubleData : null;
  if (!typed || typed.length < count) return null;
  return Array.from({ length: count }, (_, i) => num(typed[i] as Long));
}

function toConstant(t: TensorProto, name: string, initializer: boolean): GraphConstant {
  const shape = t.dims.map(num);
  const dataType = DATA_TYPES[t.dataType] ?? 'other';
  const count = numel(shape);
  const values = count <= MAX_FOLDED_ELEMENTS ? tensorValues(t, dataType, count) : null;
  return {
    name,
    shape,
    dataType,
    value: values ? { data: values, integer: INTEGER.has(dataType) } : null,
    raw: t.rawData && t.rawData.byteLength > 0 ? t.rawData : null,
    typed: t.floatData.length > 0 ? t.floatData : null,
    initializer,
  };
}

type AttrValue = number | number[] | string | string[] | TensorProto | undefined;

function attributes(node: NodeProto): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  const text = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  for (const a of node.attribute as AttributeProto[]) {
    switch (a.type) {
      case 1:
        out[a.name] = a.f ?? 0;
        break;
      case 2:
        out[a.name] = num(a.i);
        break;
      case 3:
        out[a.name] = a.s ? text(a.s) : '';
        break;
      case 4:
        out[a.name] = a.t;
        break;
      case 6:
        out[a.name] = [...a.floats];
        break;
      case 7:
        out[a.name] = a.ints.map(num);
        break;
      case 8:
        out[a.name] = a.strings.map(text);
        break;
      default:
        out[a.name] = undefined;
    }
  }
  return out;
}

interface Mapped {
  op: string;
  inputs: string[];
  attrs: Record<string, unknown>;
  weights?: GraphLayer['weights'];
}

class Unsupported extends Error {}

/** ONNX 2-D pads [t, l, b, r] or auto_pad → our padding. */
function padding(a: Record<string, AttrValue>): unknown {
  const auto = (a.auto_pad as string | undefined) ?? 'NOTSET';
  if (auto === 'SAME_UPPER') return 'sameUpper';
  if (auto === 'SAME_LOWER') return 'sameLower';
  if (auto === 'VALID') return 'valid';
  const pads = a.pads as number[] | undefined;
  if (!pads) return 0;
  if (pads.length !== 4) throw new Unsupported(`pads of length ${pads.length}: only 2-D windows are supported`);
  return pads;
}

const opt = <T>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });

export function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): { graph: Graph; info: OnnxInfo } {
  const model = decodeModel(bytes);
  const g = model.graph!;
  const opset = num(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version) || 1;

  const constants = new Map<string, GraphConstant>();
  for (const t of g.initializer) constants.set(t.name, toConstant(t, t.name, true));

  const inputs: GraphInput[] = g.input.filter((v) => !constants.has(v.name)).map((v, i) => graphInput(v, i, options));
  if (inputs.length === 0) throw new ConvlensError('ONNX_GRAPH_INVALID', 'the ONNX graph has no inputs besides its initializers', { path: '$.graph.input' });

  const known = new Set<string>([...constants.keys(), ...inputs.map((i) => i.name)]);
  for (const n of g.node) for (const o of n.output) known.add(o);

  const layers: GraphLayer[] = [];
  const names = new Set<string>();
  g.node.forEach((node, index) => {
    const path = `$.graph.node[${index}]`;
    let name = node.name || `${node.opType}_${index}`;
    while (names.has(name)) name = `${name}_${index}`;
    names.add(name);
    node.input.forEach((ref, k) => {
      if (ref !== '' && !known.has(ref)) {
        throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${node.opType}) reads '${ref}', which no input, initializer or node produces`, {
          path: `${path}.input[${k}]`,
          layer: name,
        });
      }
    });
    const a = attributes(node);
    // Identity of a constant (torch's export shares equal initializers this way) is that constant.
    const aliased = node.opType === 'Identity' ? constants.get(node.input[0]) : undefined;
    if (aliased) {
      constants.set(node.output[0], { ...aliased, name: node.output[0] });
      return;
    }
    if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      const c = constantNode(node, a);
      if (c) {
        constants.set(node.output[0], c);
        return;
      }
    }
    let mapped: Mapped | null = null;
    let reason = '';
    if (node.domain === '' || node.domain === 'ai.onnx') {
      try {
        mapped = mapNode(node, a, opset, constants);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        reason = e.message;
      }
    } else {
      reason = `domain ${node.domain}`;
    }
    const source = { format: 'onnx' as const, opType: node.opType };
    if (!mapped) {
      layers.push({ name, op: node.opType, inputs: [...node.input], outputs: [...node.output], attrs: reason ? { reason } : {}, path, source });
      return;
    }
    const parsed = OPS_BY_NAME.get(mapped.op)!.attrs.safeParse(mapped.attrs);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${node.opType}): ${issue.path.join('.') || 'attributes'}: ${issue.message}`, {
        path: `${path}.attribute`,
        layer: name,
        opType: node.opType,
      });
    }
    layers.push({
      name,
      op: mapped.op,
      inputs: mapped.inputs,
      outputs: [...node.output],
      attrs: parsed.data as Record<string, unknown>,
      path,
      source,
      ...(mapped.weights ? { weights: mapped.weights } : {}),
    });
  });

  const outputs = g.output.map((o) => o.name).filter((n) => known.has(n));
  return {
    graph: { name: g.name || 'onnx-model', inputs, layers, outputs: outputs.length ? outputs : null, constants },
    info: { opset, irVersion: num(model.irVersion), producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim() },
  };
}

function graphInput(v: ValueInfoProto, index: number, options: OnnxImportOptions): GraphInput {
  const path = `$.graph.input[${index}]`;
  const dims = v.type?.tensorType?.shape?.dim ?? null;
  const given = options.inputShapes?.[v.name] ?? (index === 0 ? options.inputShapes?.[''] : undefined);
  if (!dims) {
    if (given) return { name: v.name, shape: given, path };
    throw new ConvlensError('MISSING_DIMENSION', `input '${v.name}' has no shape in the model; give it as ?input=1,3,224,224 or ?input.${v.name}=…`, { path, input: v.name });
  }
  if (given && given.length !== dims.length) {
    throw new ConvlensError('SHAPE_MISMATCH', `input '${v.name}' has ${dims.length} dimensions in the model, but the shape given has ${given.length}: ${fmtShape(given)}`, {
      path,
      input: v.name,
    });
  }
  const shape = dims.map((d, k) => {
    const fixed = d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null;
    if (given) {
      if (fixed !== null && given[k] !== fixed) {
        throw new ConvlensError('SHAPE_MISMATCH', `input '${v.name}' dimension ${k} is ${fixed} in the model, but ${given[k]} was given`, { path, input: v.name, dimension: k });
      }
      return given[k];
    }
    if (fixed === null) {
      throw new ConvlensError(
        'MISSING_DIMENSION',
        `input '${v.name}' dimension ${k}${d.dimParam ? ` ('${d.dimParam}')` : ''} is dynamic; give the shape as ?input=${dims.map((x) => (x.dimValue && num(x.dimValue) > 0 ? num(x.dimValue) : 'N')).join(',')} or ?input.${v.name}=…`,
        { path, input: v.name, dimension: k, ...(d.dimParam ? { dimParam: d.dimParam } : {}) },
      );
    }
    return fixed;
  });
  return { name: v.name, shape, path };
}

function constantNode(node: NodeProto, a: Record<string, AttrValue>): GraphConstant | null {
  const name = node.output[0];
  const scalar = (data: number[], integer: boolean, shape: number[]): GraphConstant => ({
    name,
    shape,
    dataType: integer ? 'int64' : 'float32',
    value: { data, integer },
    raw: null,
    typed: null,
    initializer: false,
  });
  if (a.value && typeof a.value === 'object' && !Array.isArray(a.value)) return toConstant(a.value as TensorProto, name, false);
  if (typeof a.value_float === 'number') return scalar([a.value_float], false, []);
  if (typeof a.value_int === 'number') return scalar([a.value_int], true, []);
  if (Array.isArray(a.value_floats)) return scalar(a.value_floats as number[], false, [(a.value_floats as number[]).length]);
  if (Array.isArray(a.value_ints)) return scalar(a.value_ints as number[], true, [(a.value_ints as number[]).length]);
  return null;
}

/** ONNX operators that are convlens ops one to one, inputs and all, with no attributes to carry. */
const DIRECT: Record<string, string> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  HardSwish: 'hardSwish',
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  GlobalAveragePool: 'globalAvgPool2d',
  Identity: 'identity',
  Expand: 'expand',
};

function mapNode(node: NodeProto, a: Record<string, AttrValue>, opset: number, constants: Map<string, GraphConstant>): Mapped {
  const ins = node.input;
  if (DIRECT[node.opType]) return { op: DIRECT[node.opType], inputs: [...ins], attrs: {} };
  const constOf = (i: number): GraphConstant | null => (ins[i] ? constants.get(ins[i]) ?? null : null);
  const scalarOf = (i: number): number | undefined => {
    const c = constOf(i);
    if (ins[i] && !c) throw new Unsupported(`input ${i} is not a constant`);
    return c?.value?.data[0];
  };
  const same = (op: string, attrs: Record<string, unknown> = {}): Mapped => ({ op, inputs: [...ins], attrs });

  switch (node.opType) {
    case 'Conv': {
      const w = constOf(1);
      if (!w) throw new Unsupported('the weight is not a constant');
      if (w.shape.length !== 4) throw new Unsupported(`a ${w.shape.length - 2}-D convolution: only 2-D is supported`);
      const b = constOf(2);
      return {
        op: 'conv2d',
        inputs: [ins[0]],
        attrs: {
          outChannels: w.shape[0],
          kernelSize: [w.shape[2], w.shape[3]],
          stride: (a.strides as number[] | undefined) ?? 1,
          padding: padding(a),
          dilation: (a.dilations as number[] | undefined) ?? 1,
          groups: (a.group as number | undefined) ?? 1,
          bias: b !== null,
        },
        weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
      };
    }
    case 'ConvTranspose': {
      const w = constOf(1);
      if (!w) throw new Unsupported('the weight is not a constant');
      if (w.shape.length !== 4) throw new Unsupported(`a ${w.shape.length - 2}-D transposed convolution: only 2-D is supported`);
      if (a.output_shape) throw new Unsupported('output_shape (give explicit pads and output_padding)');
      const b = constOf(2);
      const group = (a.group as number | undefined) ?? 1;
      return {
        op: 'convTranspose2d',
        inputs: [ins[0]],
        attrs: {
          outChannels: w.shape[1] * group,
          kernelSize: [w.shape[2], w.shape[3]],
          stride: (a.strides as number[] | undefined) ?? 1,
          padding: (a.pads as number[] | undefined) ?? 0,
          outputPadding: (a.output_padding as number[] | undefined) ?? 0,
          dilation: (a.dilations as number[] | undefined) ?? 1,
          groups: group,
          bias: b !== null,
        },
        weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
      };
    }
    case 'BatchNormalization': {
      const roles = ['weight', 'bias', 'runningMean', 'runningVar'];
      const weights: NonNullable<GraphLayer['weights']> = {};
      roles.forEach((r, i) => {
        const c = constOf(i + 1);
        if (!c) throw new Unsupported(`${r} is not a constant`);
        weights[r] = { constant: c.name };
      });
      return {
        op: 'batchNorm2d',
        inputs: [ins[0]],
        attrs: { eps: (a.epsilon as number | undefined) ?? 1e-5, momentum: 1 - ((a.momentum as number | undefined) ?? 0.9) },
        weights,
      };
    }
    case 'LeakyRelu':
      return same('leakyRelu', { negativeSlope: (a.alpha as number | undefined) ?? 0.01 });
    case 'HardSigmoid':
      return same('hardSigmoid', { alpha: (a.alpha as number | undefined) ?? 0.2, beta: (a.beta as number | undefined) ?? 0.5 });
    case 'Clip': {
      const min = opset >= 11 ? scalarOf(1) : (a.min as number | undefined);
      const max = opset >= 11 ? scalarOf(2) : (a.max as number | undefined);
      if (min === 0 && max === 6) return { op: 'relu6', inputs: [ins[0]], attrs: {} };
      if (min === 0 && max === undefined) return { op: 'relu', inputs: [ins[0]], attrs: {} };
      return { op: 'clip', inputs: [ins[0]], attrs: { ...opt('min', min), ...opt('max', max) } };
    }
    case 'Softmax':
      return same('softmax', { dim: (a.axis as number | undefined) ?? (opset >= 13 ? -1 : 1) });
    case 'Dropout':
      return { op: 'dropout', inputs: [ins[0]], attrs: { p: opset >= 12 ? (scalarOf(1) ?? 0.5) : ((a.ratio as number | undefined) ?? 0.5) } };
    case 'Concat':
      return same('concat', { dim: a.axis as number });
    case 'MaxPool': {
      const k = a.kernel_shape as number[];
      if (!k || k.length !== 2) throw new Unsupported('only 2-D max pooling is supported');
      if (a.storage_order) throw new Unsupported('storage_order 1 (column-major indices)');
      return {
        op: 'maxPool2d',
        inputs: [ins[0]],
        attrs: {
          kernelSize: k,
          stride: (a.strides as number[] | undefined) ?? 1,
          padding: padding(a),
          dilation: (a.dilations as number[] | undefined) ?? 1,
          ceilMode: a.ceil_mode === 1,
          returnIndices: node.output.length > 1 && node.output[1] !== '',
        },
      };
    }
    case 'AveragePool': {
      const k = a.kernel_shape as number[];
      if (!k || k.length !== 2) throw new Unsupported('only 2-D average pooling is supported');
      return {
        op: 'avgPool2d',
        inputs: [ins[0]],
        attrs: { kernelSize: k, stride: (a.strides as number[] | undefined) ?? 1, padding: padding(a), ceilMode: a.ceil_mode === 1, countIncludePad: a.count_include_pad === 1 },
      };
    }
    case 'Flatten':
      return same('flatten', { axis: (a.axis as number | undefined) ?? 1 });
    case 'Gemm': {
      const w = constOf(1);
      const c = constOf(2);
      const alpha = (a.alpha as number | undefined) ?? 1;
      const beta = (a.beta as number | undefined) ?? 1;
      const transB = a.transB === 1;
      if (!w || w.shape.length !== 2 || a.transA === 1 || alpha !== 1 || (c && beta !== 1)) throw new Unsupported('only Gemm as a linear layer (constant B, transA 0, alpha = beta = 1)');
      const out = transB ? w.shape[0] : w.shape[1];
      if (ins[2] && (!c || c.shape.length !== 1 || c.shape[0] !== out)) throw new Unsupported('a bias C that is not a constant vector of the output size');
      return {
        op: 'linear',
        inputs: [ins[0]],
        attrs: { outFeatures: out, bias: c !== null },
        weights: { weight: { constant: w.name, transpose: !transB }, ...(c ? { bias: { constant: c.name } } : {}) },
      };
    }
    case 'MatMul': {
      const w = constOf(1);
      if (w && w.shape.length === 2 && !constOf(0)) {
        return { op: 'linear', inputs: [ins[0]], attrs: { outFeatures: w.shape[1], bias: false }, weights: { weight: { constant: w.name, transpose: true } } };
      }
      return same('matmul');
    }
    case 'Reshape':
      return same('reshape', { allowZero: a.allowzero === 1 });
    case 'Transpose':
      return same('transpose', opt('perm', a.perm as number[] | undefined));
    case 'Split':
      return {
        op: 'split',
        inputs: [...ins],
        attrs: { axis: (a.axis as number | undefined) ?? 0, numOutputs: node.output.length, ...opt('split', a.split as number[] | undefined) },
      };
    case 'Slice':
      return opset >= 10
        ? same('slice')
        : same('slice', { starts: a.starts, ends: a.ends, ...opt('axes', a.axes as number[] | undefined) });
    case 'Pad': {
      const mode = (a.mode as string | undefined) ?? 'constant';
      if (opset >= 11) return { op: 'pad', inputs: [...ins], attrs: { mode } };
      return { op: 'pad', inputs: [ins[0]], attrs: { mode, pads: a.pads, value: (a.value as number | undefined) ?? 0 } };
    }
    case 'ReduceMean':
      return same('reduceMean', { keepDims: a.keepdims !== 0, ...opt('axes', a.axes as number[] | undefined) });
    case 'Shape':
      return same('shape', { ...opt('start', a.start as number | undefined), ...opt('end', a.end as number | undefined) });
    case 'Gather':
      return same('gather', { axis: (a.axis as number | undefined) ?? 0 });
    case 'Unsqueeze':
      return same('unsqueeze', opt('axes', a.axes as number[] | undefined));
    case 'Squeeze':
      return same('squeeze', opt('axes', a.axes as number[] | undefined));
    case 'Cast':
      return same('cast', { to: CAST_NAMES[a.to as number] ?? 'other' });
    case 'Resize': {
      const mode = (a.mode as string | undefined) ?? 'nearest';
      if (mode === 'cubic' && ((a.cubic_coeff_a as number | undefined) ?? -0.75) !== -0.75) throw new Unsupported(`cubic_coeff_a ${a.cubic_coeff_a} (only −0.75)`);
      if (a.exclude_outside === 1) throw new Unsupported('exclude_outside 1');
      if (a.antialias === 1) throw new Unsupported('antialias 1');
      if (opset < 11) {
        return { op: 'resize', inputs: [ins[0], '', ins[1] ?? ''], attrs: { mode, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' } };
      }
      return {
        op: 'resize',
        inputs: [...ins],
        attrs: {
          mode,
          coordinateTransformationMode: (a.coordinate_transformation_mode as string | undefined) ?? 'half_pixel',
          nearestMode: (a.nearest_mode as string | undefined) ?? 'round_prefer_floor',
        },
      };
    }
    case 'Upsample': {
      const raw = (a.mode as string | undefined) ?? 'nearest';
      const mode = raw === 'bilinear' ? 'linear' : raw;
      const scales = a.scales as number[] | undefined;
      return {
        op: 'resize',
        inputs: scales ? [ins[0]] : [ins[0], '', ins[1]],
        attrs: { mode, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', ...opt('scales', scales) },
      };
    }
    default:
      throw new Unsupported('');
  }
}
