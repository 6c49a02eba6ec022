/**
 * ONNX tensors → graph constants: initializers and Constant nodes. Large weights are never
 * decoded here (only their shape and a view of their bytes are kept); small tensors (shapes,
 * axes, scales) get their values, which the analyzer folds shape arithmetic with.
 */
import { ConvlensError } from '../../errors.js';
import { MAX_FOLDED_TENSOR } from '../../limits.js';
import { bfloat16ToFloat, bytesPerElement, dtypeOfOnnx, elementReader, halfToFloat, holdsIntegers, isFloat, onnxTypeName, packedRawBytes } from '../../tensor/dtype.js';
import type { DataType } from '../../tensor/dtype.js';
import { numel } from '../../tensor/tensor.js';
import type { GraphConstant } from '../graph.js';
import type { Attributes } from './attributes.js';
import { inexactSize, num } from './proto.js';
import type { Long, NodeProto, TensorProto } from './proto.js';

/** onnx.proto TensorProto's typed value fields, by their names in the file. */
const TYPED_FIELDS = [
  ['float_data', 'floatData'],
  ['int32_data', 'int32Data'],
  ['int64_data', 'int64Data'],
  ['double_data', 'doubleData'],
  ['uint64_data', 'uint64Data'],
] as const;

/** The typed field that holds the tensor's values (the first not empty), with its name; null when none does. */
function typedField(t: TensorProto): { field: string; values: ArrayLike<number | Long> } | null {
  for (const [field, key] of TYPED_FIELDS) {
    const values = t[key] as ArrayLike<number | Long> | undefined;
    if (values && values.length > 0) return { field, values };
  }
  return null;
}

/**
 * A typed field's values as numbers, converted once per import: float16 and bfloat16 are stored as
 * their bits in int32_data (onnx.proto), read into a Float32Array (every such value is a float32);
 * int64 and uint64 are Longs, read into a Float64Array; float_data, int32_data and double_data are
 * used as protobufjs decoded them (no copy).
 */
function typedValues(t: TensorProto, type: DataType): ArrayLike<number> | null {
  const typed = typedField(t);
  if (!typed || type === 'other') return null;
  const { values } = typed;
  if (type === 'float16' && typed.field === 'int32_data') return Float32Array.from(values as ArrayLike<number>, halfToFloat);
  if (type === 'bfloat16' && typed.field === 'int32_data') return Float32Array.from(values as ArrayLike<number>, bfloat16ToFloat);
  if (typed.field === 'int64_data' || typed.field === 'uint64_data') return Float64Array.from(values, (v) => num(v as Long));
  return values as ArrayLike<number>;
}

/** Values of a small tensor, from raw_data (little-endian) or its typed field's values (typedValues). */
function tensorValues(t: TensorProto, type: DataType, count: number, typed: ArrayLike<number> | null): number[] | null {
  // an empty tensor (dims [0]) is a value, [], whatever its fields hold (torchvision's anchor generators write one)
  if (count === 0) return type === 'other' ? null : [];
  if (t.rawData && t.rawData.byteLength > 0) {
    if (type === 'other') return null;
    const size = bytesPerElement(type);
    if (size * count > t.rawData.byteLength) return null;
    const dv = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const read = elementReader(type);
    return Array.from({ length: count }, (_, i) => read(dv, i * size, true));
  }
  if (!typed || typed.length < count) return null;
  return Array.from({ length: count }, (_, i) => typed[i]);
}

/**
 * Float constants longer than this are weights: kept as shape and bytes (read when a kernel needs
 * them), never decoded for folding. Float literals (Resize scales, Clip bounds, a pad value) are short.
 */
export const MAX_FLOAT_LITERAL = 64;

/**
 * Values decoded for folding, per import: at most MAX_FOLDED_ELEMENTS in all (the analyzer's
 * folding budget starts from what the file's constants hold), so a file of many small constants
 * cannot expand into gigabytes of numbers.
 */
export interface DecodeBudget {
  left: number;
}

/** Whether a constant of this type and size may be decoded within what is left of the budget. */
function decodable(dataType: DataType, count: number, budget: DecodeBudget): boolean {
  const small = isFloat(dataType) ? count <= MAX_FLOAT_LITERAL : count <= MAX_FOLDED_TENSOR;
  return small && count <= budget.left;
}

/**
 * A tensor whose data does not hold its dims' elements is a broken file, not a stripped one (no data
 * at all, which analyses by shape): raw_data of another length, or a typed field (float_data,
 * int32_data, int64_data, double_data, uint64_data) of another count. Taken for stripped, a 16-byte weight declared 16777216×3×3×3 was counted as
 * 453 M parameters.
 */
function checkDataSize(t: TensorProto, name: string, initializer: boolean, type: DataType, shape: number[], count: number): void {
  const fail = (holds: string, needs: string) => {
    const what = initializer ? 'initializer' : 'constant';
    const typeName = type === 'other' ? (onnxTypeName(t.dataType) ?? type) : type;
    throw new ConvlensError('INVALID_TENSOR', `${what} '${name}' declares dims [${shape.join(', ')}] (${count} elements of ${typeName}, ${needs}), but its ${holds}: the file is damaged`, { tensor: name, shape });
  };
  // a tensor's dims are sizes: a negative one made the message above count −108 elements of −432 bytes (a fuzz, 2026-12-04)
  const negative = shape.findIndex((d) => d < 0);
  if (negative >= 0) {
    throw new ConvlensError('INVALID_TENSOR', `${initializer ? 'initializer' : 'constant'} '${name}' declares dims [${shape.join(', ')}]: dimension ${negative} is negative, and a tensor's dims are sizes (0 or more): the file is damaged`, { tensor: name, shape });
  }
  // a type convlens does not decode but knows the width of (FLOAT8E4M3FN, INT4 …): its raw_data must fit it too
  const packed = type === 'other' ? packedRawBytes(t.dataType, count) : undefined;
  if (t.rawData && t.rawData.byteLength > 0 && packed !== undefined && t.rawData.byteLength !== packed) fail(`raw_data holds ${t.rawData.byteLength} bytes`, `${packed} bytes`);
  if (t.rawData && t.rawData.byteLength > 0 && type !== 'other') {
    const need = bytesPerElement(type) * count;
    if (t.rawData.byteLength !== need) fail(`raw_data holds ${t.rawData.byteLength} bytes`, `${need} bytes`);
    return;
  }
  const typed = typedField(t);
  if (typed && type !== 'other' && typed.values.length !== count) fail(`${typed.field} holds ${typed.values.length} values`, `${count} values`);
  // a packed type's typed values are its bytes, one an int32_data entry (onnx.proto)
  if (typed && packed !== undefined && typed.values.length !== packed) fail(`${typed.field} holds ${typed.values.length} values`, `${packed} values`);
}

export function toConstant(t: TensorProto, name: string, initializer: boolean, budget: DecodeBudget): GraphConstant {
  // the messages would state rounded dims (a negative one is refused as negative, by checkDataSize)
  const inexact = t.dims.map(inexactSize);
  if (inexact.some((d) => d !== null && !d.startsWith('-'))) {
    const dims = t.dims.map((d, k) => inexact[k] ?? String(num(d)));
    throw new ConvlensError('SIZE_TOO_LARGE', `${initializer ? 'initializer' : 'constant'} '${name}' declares dims [${dims.join(', ')}]: a dimension over 2^53, more than convlens counts exactly`, { tensor: name });
  }
  const shape = t.dims.map(num);
  const dataType = dtypeOfOnnx(t.dataType);
  const count = numel(shape);
  checkDataSize(t, name, initializer, dataType, shape, count);
  const typed = typedValues(t, dataType);
  const values = decodable(dataType, count, budget) ? tensorValues(t, dataType, count, typed) : null;
  if (values) budget.left -= values.length;
  return {
    name,
    shape,
    dataType,
    value: values ? { data: values, integer: holdsIntegers(dataType) } : null,
    raw: t.rawData && t.rawData.byteLength > 0 ? t.rawData : null,
    ...(t.rawData && t.rawData.byteLength > 0 && { rawHeader: rawDataHeader(t.rawData.byteLength) }),
    typed,
    initializer,
    ...(t.dataLocation === 1 && { external: t.externalData?.find((e) => e.key === 'location')?.value ?? '' }),
    ...(dataType === 'other' && count > 0 && { undecoded: `${onnxTypeName(t.dataType) ?? 'an unknown type'} (ONNX element type ${t.dataType})` }),
  };
}

/**
 * The bytes of raw_data's header in the file, right before its data (protobufjs reads a bytes field
 * as a view of the message's buffer): the field's tag (field 9, wire type 2: one byte) and the
 * length as a varint (seven bits a byte).
 */
export function rawDataHeader(byteLength: number): number {
  let varint = 1;
  for (let n = byteLength; n >= 128; n = Math.floor(n / 128)) varint++;
  return 1 + varint;
}

/**
 * Whether the `header` bytes before `raw` are a protobuf raw_data field's (onnx.proto TensorProto
 * field 9, wire type 2: tag 0x4A) whose length varint is raw's length: what GraphConstant.rawHeader
 * vouches for, which a weight store checks (a few byte reads) before it moves bytes over it.
 */
export function isRawDataHeader(raw: Uint8Array, header: number): boolean {
  if (raw.byteOffset < header) return false;
  const before = new Uint8Array(raw.buffer, raw.byteOffset - header, header);
  if (before[0] !== 0x4a) return false;
  let length = 0;
  for (let i = header - 1; i >= 1; i--) {
    // every varint byte but the last has its top bit set
    if ((before[i] >= 0x80) !== (i < header - 1)) return false;
    length = length * 128 + (before[i] & 0x7f);
  }
  return length === raw.byteLength;
}

/** A Constant's value attributes, in onnx.proto's order. */
const VALUE_ATTRIBUTES = ['value', 'sparse_value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings'] as const;

/** A Constant node's value (opset 1–12 attributes), or null for the kinds convlens does not read (strings, sparse). */
export function constantNode(node: NodeProto, attr: Attributes, budget: DecodeBudget): GraphConstant | null {
  const name = node.output[0];
  const scalar = (data: number[], integer: boolean, shape: number[]): GraphConstant => {
    // already decoded by protobuf (the file's own memory), but held for folding all the same
    budget.left -= data.length;
    return { name, shape, dataType: integer ? 'int64' : 'float32', value: { data, integer }, raw: null, typed: null, initializer: false };
  };
  // ONNX takes exactly one: the first looked for below would win without a word (refused at the second in the file)
  const given = (node.attribute ?? []).map((a) => a.name).filter((k) => (VALUE_ATTRIBUTES as readonly string[]).includes(k));
  if (given.length > 1) attr.fail(given[1], `gives the value beside '${given[0]}'; a Constant takes exactly one`);
  const value = attr.tensor('value');
  if (value) return toConstant(value, name, false, budget);
  const f = attr.float('value_float');
  if (f !== undefined) return scalar([f], false, []);
  const i = attr.int('value_int');
  if (i !== undefined) return scalar([i], true, []);
  const fs = attr.floats('value_floats');
  if (fs) return scalar(fs, false, [fs.length]);
  const is = attr.ints('value_ints');
  if (is) return scalar(is, true, [is.length]);
  return null;
}

/** How many nodes (and graph outputs) read each tensor: a value folded for a weight is let go once every reader is folded. */
export function readerCounts(nodes: readonly NodeProto[], outputs: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of [...nodes.flatMap((n) => [...new Set(n.input)]), ...outputs]) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** A damaged initializer's error (toConstant) names the first node that reads it, as the layer. */
export function withReader<T>(nodes: readonly NodeProto[], name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ConvlensError) || e.details.tensor !== name) throw e;
    const reader = nodes.find((n) => n.input.includes(name));
    throw reader ? new ConvlensError(e.code, e.message, { ...e.details, layer: reader.name || reader.output[0] }) : e;
  }
}
