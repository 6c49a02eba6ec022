/** Encodes small ONNX models for tests, with protobufjs and the official onnx.proto (not the importer's code). */
import path from 'node:path';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(path.join(import.meta.dirname, '..', '..', 'schema', 'onnx', 'onnx.proto'));
const Model = root.lookupType('onnx.ModelProto');

/** An int64 given as a decimal string keeps values beyond 2^53 exact (protobufjs reads it as a Long). */
type Int64 = number | string;
/**
 * An attribute: its value field, and `type` when it must differ from the one the field implies
 * (a wrong type on purpose, or 0 = UNDEFINED as IR version 1 files may leave it).
 */
export type Attr = ({ i: Int64 } | { f: number } | { ints: Int64[] } | { floats: number[] } | { s: string } | { strings: string[] } | { t: TensorSpec } | { g: SubgraphSpec }) & { type?: number };
/** A subgraph attribute (If's branches, Loop's body): its nodes and the names of its outputs. */
export interface SubgraphSpec {
  nodes: NodeSpec[];
  outputs: string[];
  /** A Loop body's inputs (iteration, condition, carried values), declared without types. */
  inputs?: string[];
}
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, Attr>;
  domain?: string;
}
export interface TensorSpec {
  /** A string of digits: a dimension beyond 2^53, kept exact. */
  dims: Int64[];
  /** Values; floats go to float_data, ints to raw_data as little-endian int64. Omitted: stripped weights. */
  data?: number[];
  /** raw_data exactly as given (any length: a truncated tensor on purpose); wins over data. */
  raw?: Uint8Array;
  type?: 'float' | 'int64' | 'float16' | 'bfloat16' | 'double' | 'int8' | 'uint8' | 'int32' | 'uint64' | 'bool';
  /** The TensorProto.DataType number written, overriding `type`'s (types the list above lacks: FLOAT8E4M3FN 17, INT4 22, FLOAT4E2M1 23 …; give their bytes as `raw`). */
  dataType?: number;
  /** The typed field `data` goes to, as onnx.helper.make_tensor writes it (float16 as its bits in int32_data). */
  field?: 'int32Data' | 'int64Data' | 'doubleData' | 'uint64Data';
  /** The data in an external file of this name (data_location EXTERNAL, external_data location), none in the model. */
  external?: string;
}
export interface InitSpec extends TensorSpec {
  name: string;
}

/** onnx.proto AttributeProto.AttributeType of each value field. */
const TYPES = { f: 1, i: 2, s: 3, t: 4, g: 5, floats: 6, ints: 7, strings: 8 } as const;
/** onnx.proto TensorProto.DataType: FLOAT 1, UINT8 2, INT8 3, INT32 6, INT64 7, BOOL 9, FLOAT16 10, DOUBLE 11, UINT64 13, BFLOAT16 16. */
const DATA_TYPES = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, double: 11, uint64: 13, bfloat16: 16 } as const;

function tensor(t: TensorSpec & { name?: string }) {
  const base = { ...(t.name !== undefined ? { name: t.name } : {}), dims: t.dims, dataType: t.dataType ?? DATA_TYPES[t.type ?? 'float'] };
  if (t.external !== undefined) return { ...base, dataLocation: 1, externalData: [{ key: 'location', value: t.external }] };
  if (t.raw) return { ...base, rawData: t.raw };
  if (!t.data) return base;
  if (t.field) return { ...base, [t.field]: t.data };
  if ((t.type === 'int8' || t.type === 'uint8' || t.type === 'bool') && t.data) {
    const bytes = t.type === 'int8' ? new Uint8Array(new Int8Array(t.data).buffer) : Uint8Array.from(t.data);
    return { ...base, rawData: bytes };
  }
  if (t.type === 'int64') {
    const raw = new Uint8Array(new BigInt64Array(t.data.map((v) => BigInt(v))).buffer);
    return { ...base, rawData: raw };
  }
  return { ...base, floatData: t.data };
}

function attribute(name: string, a: Attr) {
  const { type, ...value } = a as Attr & Record<string, unknown>;
  const key = Object.keys(value)[0] as keyof typeof TYPES;
  const utf8 = (x: string) => new TextEncoder().encode(x);
  let field: Record<string, unknown> = value;
  if (key === 's') field = { s: utf8(value.s as string) };
  if (key === 'strings') field = { strings: (value.strings as string[]).map(utf8) };
  if (key === 't') field = { t: tensor(value.t as TensorSpec) };
  if (key === 'g') {
    const g = value.g as SubgraphSpec;
    field = { g: { name: name, node: g.nodes.map(nodeProto), input: (g.inputs ?? []).map((i) => ({ name: i })), output: g.outputs.map((o) => ({ name: o })) } };
  }
  return { name, type: type ?? TYPES[key], ...field };
}

function nodeProto(n: NodeSpec, i: number): Record<string, unknown> {
  return {
    name: n.name ?? `n${i}`,
    opType: n.op,
    domain: n.domain ?? '',
    input: n.inputs,
    output: n.outputs,
    attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => attribute(name, a)),
  };
}

export function onnxModel(m: {
  /**
   * `elemType`: the input's TensorProto.DataType number (FLOAT, 1, unless given); `sequence`: a
   * sequence of such tensors (TypeProto sequence_type) rather than one; a dimension that is a
   * string of digits is a dim_value beyond 2^53, any other string a dim_param.
   */
  inputs: { name: string; shape: (number | string)[]; elemType?: number; sequence?: boolean }[];
  outputs: string[];
  nodes: NodeSpec[];
  initializers?: InitSpec[];
  opset?: number;
}): Uint8Array {
  const initializer = (m.initializers ?? []).map(tensor);
  const msg = Model.fromObject({
    irVersion: 8,
    producerName: 'convlens-tests',
    opsetImport: [{ domain: '', version: m.opset ?? 13 }],
    graph: {
      name: 'test',
      node: m.nodes.map(nodeProto),
      initializer,
      input: m.inputs.map((i) => {
        const tensorType = { elemType: i.elemType ?? 1, shape: { dim: i.shape.map((d) => (typeof d === 'number' || /^\d+$/.test(d) ? { dimValue: d } : { dimParam: d })) } };
        return { name: i.name, type: i.sequence ? { sequenceType: { elemType: { tensorType } } } : { tensorType } };
      }),
      output: m.outputs.map((name) => ({ name })),
    },
  });
  return Model.encode(msg).finish();
}

/**
 * conv0 (3×3 2→2, pad 1, no bias: 2·2·9 = 36 params, 2·side²·18 MACs) → `hardmaxes` Hardmax → conv
 * 1×1 (not analysed: it reads what Hardmax gives). Hardmax is an ONNX op convlens does not analyse,
 * so the analysis is incomplete (unsupported operators) and its counts are conv0's: lower bounds.
 */
export function hardmaxNet(side: number | string, hardmaxes = 2): Uint8Array {
  const names = Array.from({ length: hardmaxes }, (_, i) => `hardmax${i + 1}`);
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, side, side] }],
    outputs: ['z'],
    initializers: [
      { name: 'W0', dims: [2, 2, 3, 3] },
      { name: 'W', dims: [2, 2, 1, 1] },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'W0'], outputs: ['t0'], name: 'conv0', attrs: { pads: { ints: [1, 1, 1, 1] } } },
      ...names.map((name, i) => ({ op: 'Hardmax', inputs: [`t${i}`], outputs: [`t${i + 1}`], name })),
      { op: 'Conv', inputs: [`t${hardmaxes}`, 'W'], outputs: ['z'], name: 'conv' },
    ],
  });
}
