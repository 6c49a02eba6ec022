/** Encodes small ONNX models for tests, with protobufjs and the official onnx.proto (not the importer's code). */
import path from 'node:path';
import protobuf from 'protobufjs';

const root = protobuf.loadSync(path.join(import.meta.dirname, '..', '..', 'schema', 'onnx', 'onnx.proto'));
const Model = root.lookupType('onnx.ModelProto');

export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, Attr>;
  domain?: string;
}
export interface InitSpec {
  name: string;
  dims: number[];
  /** Values; floats go to float_data, ints to raw_data as little-endian int64. Omitted: stripped weights. */
  data?: number[];
  type?: 'float' | 'int64';
}

const TYPES = { i: 2, f: 1, s: 3, floats: 6, ints: 7 } as const;

export function onnxModel(m: {
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: string[];
  nodes: NodeSpec[];
  initializers?: InitSpec[];
  opset?: number;
}): Uint8Array {
  const initializer = (m.initializers ?? []).map((t) => {
    const base = { name: t.name, dims: t.dims, dataType: t.type === 'int64' ? 7 : 1 };
    if (!t.data) return base;
    if (t.type === 'int64') {
      const raw = new Uint8Array(new BigInt64Array(t.data.map((v) => BigInt(v))).buffer);
      return { ...base, rawData: raw };
    }
    return { ...base, floatData: t.data };
  });
  const msg = Model.fromObject({
    irVersion: 8,
    producerName: 'convlens-tests',
    opsetImport: [{ domain: '', version: m.opset ?? 13 }],
    graph: {
      name: 'test',
      node: m.nodes.map((n, i) => ({
        name: n.name ?? `n${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => {
          const key = Object.keys(a)[0] as keyof typeof TYPES;
          return 's' in a ? { name, type: TYPES.s, s: new TextEncoder().encode(a.s) } : { name, type: TYPES[key], ...a };
        }),
      })),
      initializer,
      input: m.inputs.map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: 1, shape: { dim: i.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
      })),
      output: m.outputs.map((name) => ({ name })),
    },
  });
  return Model.encode(msg).finish();
}
