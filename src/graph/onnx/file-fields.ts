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
 *
 * A node the import writes in the place of the file's (an unrolled Loop's Concat, a
 * SplitToSequence's Split: control-flow.ts FlatNode.file) is what `from` is read against, and
 * its fields are located in the file's node: an attribute by its name among the file node's
 * (ConcatFromSequence's axis wherever it stands), an input by its tensor among the file node's
 * inputs. One the file's node does not have (the Concat's inputs, which were a sequence's
 * elements) names the node itself.
 */
import type { NodeProto } from './proto.js';

/** What a convlens attribute is read from: an ONNX attribute's name, a node input's index, or candidates in order (`['pads', 'auto_pad']`). */
export type FieldSource = string | number | readonly (string | number)[];

/** A convlens field of the layer as the file holds it: the path under the node, and the AttributeProto's name when it is one. */
export interface OnnxField {
  path: string;
  attribute?: string;
}

/**
 * What GraphLayer.source carries for errors: the fields resolved, the node's input/output index of
 * each layer input/output (−1: none), and the node input each bound weight is (a Conv's weight: 1).
 */
export interface OnnxFields {
  fields?: Record<string, OnnxField>;
  inputs?: number[];
  outputs?: number[];
  weights?: Record<string, number>;
  /** The field a mapper's refusal is about (Unsupported.field), on a node left unsupported: where a run refuses it. */
  refused?: OnnxField;
  /** The file node's op type, on a layer written in its place (an If's output Identity: If): what errors name, where opType stays the op the layer computes. */
  fileOpType?: string;
}

/** The first of `source` that `node` has, located in `file` (the node itself, or the file's node it was written for). */
export function resolveField(node: NodeProto, source: FieldSource, file: NodeProto): OnnxField | undefined {
  for (const candidate of typeof source === 'object' ? source : [source]) {
    if (typeof candidate === 'number') {
      const tensor = node.input[candidate] ?? '';
      if (tensor === '') continue;
      const i = file === node ? candidate : file.input.indexOf(tensor);
      return i >= 0 ? { path: `.input[${i}]` } : undefined;
    }
    if (!(node.attribute ?? []).some((a) => a.name === candidate)) continue;
    const j = (file.attribute ?? []).findIndex((a) => a.name === candidate);
    return j >= 0 ? { path: `.attribute[${j}]`, attribute: candidate } : undefined;
  }
  return undefined;
}

/** Each of `tensors` as its index among `names` (the same position first, a repeated name read twice), −1 when absent; undefined when they are the same list's prefix. */
function indexIn(tensors: readonly string[], names: readonly string[]): number[] | undefined {
  const at = tensors.map((t, i) => (t !== '' && names[i] === t ? i : t === '' ? -1 : names.indexOf(t)));
  return at.every((j, i) => j === i || (j === -1 && tensors[i] === '' && (names[i] ?? '') === '')) ? undefined : at;
}

/** What a layer mapped from a node reads and writes: its tensors, and the constants its weight roles are bound to. */
export interface LayerTensors {
  inputs: readonly string[];
  outputs: readonly string[];
  weights?: Readonly<Record<string, { constant: string }>>;
}

/**
 * The file fields of a layer mapped from `node`, declared by the mapper's `from`; `file`: the file's
 * node `node` was written in the place of, when it was. A weight is the node input that holds its
 * constant (a folded one, a Gemm's α·B, is none: its errors name the node).
 */
export function onnxFieldsOf(node: NodeProto, from: Readonly<Record<string, FieldSource>> | undefined, layer: LayerTensors, file: NodeProto = node): OnnxFields {
  const fields: Record<string, OnnxField> = {};
  for (const [key, source] of Object.entries(from ?? {})) {
    const f = resolveField(node, source, file);
    if (f) fields[key] = f;
  }
  const ins = indexIn(layer.inputs, file.input);
  const outs = indexIn(layer.outputs, file.output);
  const weights = Object.fromEntries(Object.entries(layer.weights ?? {}).flatMap(([role, w]) => (file.input.includes(w.constant) ? [[role, file.input.indexOf(w.constant)]] : [])));
  const bound = Object.keys(weights).length > 0;
  const written = file !== node && file.opType !== node.opType;
  return { ...(Object.keys(fields).length > 0 && { fields }), ...(ins && { inputs: ins }), ...(outs && { outputs: outs }), ...(bound && { weights }), ...(written && { fileOpType: file.opType }) };
}
