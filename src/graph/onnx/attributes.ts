/**
 * Typed reading of an ONNX node's attributes. Every read checks AttributeProto.type (onnx.proto's
 * AttributeType) against the type the ONNX operator spec gives the attribute, so a Conv whose
 * `group` arrives as FLOATS is a 400 naming the node, its op type and the attribute, with the
 * JSONPath of the AttributeProto and its name in details.onnxAttribute (the one key every error
 * about an ONNX attribute uses: errors.ts fieldUnderLayer, import.ts), never a silently defaulted
 * or mis-typed layer attribute.
 *
 *   const attr = attributesOf(node, 'conv1', '$.graph.node[3]');
 *   attr.int('group', 1); attr.ints('strides'); attr.string('auto_pad', 'NOTSET');
 *
 * A read without a default returns undefined for an absent attribute. INT and INTS values are
 * int64 in the file; they must be safe integers (|v| ≤ 2^53 − 1) to be read exactly.
 */
import { ConvlensError } from '../../errors.js';
import { closest } from '../../suggest.js';
import { AttributeType, attributeTypeName, num } from './proto.js';
import type { AttributeProto, Long, NodeProto, TensorProto } from './proto.js';

export interface Attributes {
  has(key: string): boolean;
  int(key: string): number | undefined;
  int(key: string, dflt: number): number;
  float(key: string): number | undefined;
  float(key: string, dflt: number): number;
  string(key: string): string | undefined;
  string(key: string, dflt: string): string;
  ints(key: string): number[] | undefined;
  ints(key: string, dflt: number[]): number[];
  floats(key: string): number[] | undefined;
  floats(key: string, dflt: number[]): number[];
  strings(key: string): string[] | undefined;
  strings(key: string, dflt: string[]): string[];
  tensor(key: string): TensorProto | undefined;
  /** An INT the spec allows only 0 or 1 (Mod's fmod) as a boolean; any other value is ONNX_GRAPH_INVALID at its AttributeProto, never read as 0. */
  flag(key: string, dflt: boolean): boolean;
  /**
   * INTS that are slice bounds: values beyond ±(2^53 − 1), which the spec's INT64_MAX / INT64_MIN
   * "to the end" bounds are, saturate there (both mean past the end of any dimension).
   */
  bounds(key: string): number[] | undefined;
  /**
   * After the node is mapped: an attribute never read that is a misspelling of one looked up and
   * absent (Conv `stride` for `strides`) is ONNX_GRAPH_INVALID at its AttributeProto, with the
   * suggestion; onnxruntime refuses such a node ("Unrecognized attribute"), and reading around it
   * would analyse the op at the default. An attribute the mapper has no use for is left alone.
   */
  checkMisspelt(): void;
  /** ONNX_GRAPH_INVALID at the AttributeProto `key` (which must be present): `attribute '<key>' <what>`. */
  fail(key: string, what: string): never;
}

/**
 * Which field holds the value of each type (protobufjs's camelCase names): an IR version 1 file
 * may leave `type` UNDEFINED, and then the one field present says it (as onnx's checker reads it).
 */
const VALUE_FIELDS: [field: string, type: number, repeated: boolean][] = [
  ['f', AttributeType.FLOAT, false],
  ['i', AttributeType.INT, false],
  ['s', AttributeType.STRING, false],
  ['t', AttributeType.TENSOR, false],
  ['g', AttributeType.GRAPH, false],
  ['sparseTensor', AttributeType.SPARSE_TENSOR, false],
  ['tp', AttributeType.TYPE_PROTO, false],
  ['floats', AttributeType.FLOATS, true],
  ['ints', AttributeType.INTS, true],
  ['strings', AttributeType.STRINGS, true],
  ['tensors', AttributeType.TENSORS, true],
  ['graphs', AttributeType.GRAPHS, true],
  ['sparseTensors', AttributeType.SPARSE_TENSORS, true],
  ['typeProtos', AttributeType.TYPE_PROTOS, true],
];

function typeOf(a: AttributeProto): number {
  if (a.type !== AttributeType.UNDEFINED) return a.type;
  const fields = a as unknown as Record<string, unknown>;
  const present = VALUE_FIELDS.filter(([f, , repeated]) =>
    repeated ? Array.isArray(fields[f]) && (fields[f] as unknown[]).length > 0 : Object.hasOwn(a, f) && fields[f] !== null && fields[f] !== undefined,
  );
  return present.length === 1 ? present[0][1] : AttributeType.UNDEFINED;
}

/** "an INT", "a FLOAT", "INTS". */
function typePhrase(type: number): string {
  const name = attributeTypeName(type);
  if (name.endsWith('S')) return name;
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

const text = (b: Uint8Array | undefined): string =>
  b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8') : '';

interface Entry {
  proto: AttributeProto;
  index: number;
}

class NodeAttributes implements Attributes {
  private readonly byName = new Map<string, Entry>();
  /** Every key looked up (present or not): what the mapper reads. */
  private readonly asked = new Set<string>();

  constructor(
    node: NodeProto,
    private readonly layer: string,
    private readonly path: string,
    private readonly opType: string,
  ) {
    (node.attribute ?? []).forEach((proto, index) => {
      if (this.byName.has(proto.name)) throw this.error({ proto, index }, 'appears twice');
      this.byName.set(proto.name, { proto, index });
    });
  }

  private error(e: Entry, what: string): ConvlensError {
    return new ConvlensError('ONNX_GRAPH_INVALID', `node '${this.layer}' (${this.opType}): attribute '${e.proto.name}' ${what}`, {
      path: `${this.path}.attribute[${e.index}]`,
      layer: this.layer,
      opType: this.opType,
      onnxAttribute: e.proto.name,
    });
  }

  /** The attribute when present, after checking its type. */
  private get(key: string, want: number): Entry | undefined {
    this.asked.add(key);
    const e = this.byName.get(key);
    if (!e) return undefined;
    const type = typeOf(e.proto);
    if (type !== want) {
      throw this.error(e, `must be ${typePhrase(want)}, got ${type === AttributeType.UNDEFINED ? 'no type (UNDEFINED) and no single value field' : attributeTypeName(type)}`);
    }
    return e;
  }

  private integer(e: Entry, v: Long | undefined, saturate = false): number {
    const n = num(v);
    if (Number.isSafeInteger(n)) return n;
    if (saturate) return n > 0 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
    throw this.error(e, `holds ${String(v)}, beyond the ±(2^53 − 1) that are read exactly`);
  }

  has(key: string): boolean {
    this.asked.add(key);
    return this.byName.has(key);
  }

  fail(key: string, what: string): never {
    throw this.error(this.byName.get(key)!, what);
  }

  checkMisspelt(): void {
    const absent = [...this.asked].filter((k) => !this.byName.has(k));
    if (absent.length === 0) return;
    for (const [name, e] of this.byName) {
      if (this.asked.has(name)) continue;
      const meant = closest(name, absent);
      if (meant !== undefined) {
        const err = this.error(e, `is not one ${this.opType} reads (did you mean '${meant}'?)`);
        err.details.suggestion = meant;
        throw err;
      }
    }
  }

  int(key: string): number | undefined;
  int(key: string, dflt: number): number;
  int(key: string, dflt?: number): number | undefined {
    const e = this.get(key, AttributeType.INT);
    return e ? this.integer(e, e.proto.i) : dflt;
  }

  float(key: string): number | undefined;
  float(key: string, dflt: number): number;
  float(key: string, dflt?: number): number | undefined {
    const e = this.get(key, AttributeType.FLOAT);
    return e ? (e.proto.f ?? 0) : dflt;
  }

  string(key: string): string | undefined;
  string(key: string, dflt: string): string;
  string(key: string, dflt?: string): string | undefined {
    const e = this.get(key, AttributeType.STRING);
    return e ? text(e.proto.s) : dflt;
  }

  ints(key: string): number[] | undefined;
  ints(key: string, dflt: number[]): number[];
  ints(key: string, dflt?: number[]): number[] | undefined {
    const e = this.get(key, AttributeType.INTS);
    return e ? e.proto.ints.map((v) => this.integer(e, v)) : dflt;
  }

  bounds(key: string): number[] | undefined {
    const e = this.get(key, AttributeType.INTS);
    return e ? e.proto.ints.map((v) => this.integer(e, v, true)) : undefined;
  }

  floats(key: string): number[] | undefined;
  floats(key: string, dflt: number[]): number[];
  floats(key: string, dflt?: number[]): number[] | undefined {
    const e = this.get(key, AttributeType.FLOATS);
    return e ? [...e.proto.floats] : dflt;
  }

  strings(key: string): string[] | undefined;
  strings(key: string, dflt: string[]): string[];
  strings(key: string, dflt?: string[]): string[] | undefined {
    const e = this.get(key, AttributeType.STRINGS);
    return e ? e.proto.strings.map(text) : dflt;
  }

  tensor(key: string): TensorProto | undefined {
    return this.get(key, AttributeType.TENSOR)?.proto.t ?? undefined;
  }

  flag(key: string, dflt: boolean): boolean {
    const e = this.get(key, AttributeType.INT);
    if (!e) return dflt;
    const v = this.integer(e, e.proto.i);
    if (v !== 0 && v !== 1) throw this.error(e, `must be 0 or 1, got ${v}`);
    return v === 1;
  }
}

/**
 * The attributes of `node`, read by type. `layer` is the node's name in the graph and `path` its
 * JSONPath (`$.graph.node[3]`), for errors; `opType` the op type they name: the file's node's when
 * `node` is one the import writes in its place (an If's output Identity names the If). A name given
 * twice is ONNX_GRAPH_INVALID at once.
 */
export function attributesOf(node: NodeProto, layer: string, path: string, opType = node.opType): Attributes {
  return new NodeAttributes(node, layer, path, opType);
}
