/**
 * Where a layer imported from an ONNX node is written in the file, so that an error about one of its
 * fields names a field the file has (src/errors.ts underLayer). A mapper says what each convlens
 * attribute is read from (Mapped.from, beside the mapping itself); this resolves it against the node:
 *
 *   attribute name present in node.attribute      → `.attribute[j]` (and its name, `kernel_shape`)
 *   node input index whose tensor name is given   → `.input[i]` (opset ≥ 10 Slice's starts)
 *   a list                                        → the first of them the node has
 *   none present (a default), or not declared     → no entry: errors name the node itself
 *
 * A layer input i is the node's input of the same tensor (Resize-10's scales is layer input 2 and
 * node input 1); a layer output likewise among the node's outputs.
 */
import type { NodeProto } from './proto.js';

/** What a convlens attribute is read from: an ONNX attribute's name, a node input's index, or candidates in order (`['pads', 'auto_pad']`). */
export type FieldSource = string | number | readonly (string | number)[];

/** A convlens field of the layer as the file holds it: the path under the node, and the AttributeProto's name when it is one. */
export interface OnnxField {
  path: string;
  attribute?: string;
}

/** What GraphLayer.source carries for errors: the fields resolved, and the node's input/output index of each layer input/output (−1: none). */
export interface OnnxFields {
  fields?: Record<string, OnnxField>;
  inputs?: number[];
  outputs?: number[];
}

function resolve(node: NodeProto, source: FieldSource): OnnxField | undefined {
  const attributes = node.attribute ?? [];
  for (const candidate of typeof source === 'object' ? source : [source]) {
    if (typeof candidate === 'number') {
      if ((node.input[candidate] ?? '') !== '') return { path: `.input[${candidate}]` };
      continue;
    }
    const j = attributes.findIndex((a) => a.name === candidate);
    if (j >= 0) return { path: `.attribute[${j}]`, attribute: candidate };
  }
  return undefined;
}

/** Each of `tensors` as its index among `names` (the same position first, a repeated name read twice), −1 when absent; undefined when they are the same list's prefix. */
function indexIn(tensors: readonly string[], names: readonly string[]): number[] | undefined {
  const at = tensors.map((t, i) => (t !== '' && names[i] === t ? i : t === '' ? -1 : names.indexOf(t)));
  return at.every((j, i) => j === i || (j === -1 && tensors[i] === '' && (names[i] ?? '') === '')) ? undefined : at;
}

/** The file fields of a layer mapped from `node` that reads `inputs` and writes `outputs`, declared by the mapper's `from`. */
export function onnxFieldsOf(node: NodeProto, from: Readonly<Record<string, FieldSource>> | undefined, inputs: readonly string[], outputs: readonly string[]): OnnxFields {
  const fields: Record<string, OnnxField> = {};
  for (const [key, source] of Object.entries(from ?? {})) {
    const f = resolve(node, source);
    if (f) fields[key] = f;
  }
  const ins = indexIn(inputs, node.input);
  const outs = indexIn(outputs, node.output);
  return { ...(Object.keys(fields).length > 0 && { fields }), ...(ins && { inputs: ins }), ...(outs && { outputs: outs }) };
}
