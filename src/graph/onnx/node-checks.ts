/**
 * What an ONNX file's nodes and outputs must hold before their layers reach the analysis, checked as
 * a JSON spec's layers are (graph/network.ts): each node writes a tensor, each layer gets the inputs
 * its op takes (OpDef.minInputs to its inputNames, none of the required ones the empty name ONNX
 * uses for an omitted optional input), nothing reads an output a node's op does not write, a Loop
 * or an If asks no more outputs of its bodies than they give, and each output the graph declares
 * is a tensor something produces. A file that breaks one is ONNX_GRAPH_INVALID at the node's or
 * the output's path (onnx.checker and onnxruntime refuse such files too), not a kernel's crash on
 * a missing tensor. A node the import writes in the place of the file's (control-flow.ts
 * FlatNode.file) is named by the file node's op type (`opType`), the node the user can find.
 */
import { ConvlensError } from '../../errors.js';
import type { OpDef } from '../../ops/types.js';
import { num } from './proto.js';
import type { GraphProto, NodeProto } from './proto.js';

/**
 * Single static assignment, as onnx.checker requires: each tensor name is written once, by an
 * initializer, a graph input no initializer holds, or one node's output (a second writer was
 * silently the one that won: two convs writing `y` counted both convs' params and one's MACs).
 * A graph input that is also an initializer (older exports list weights so) declares the
 * initializer's shape where it states every dimension.
 */
export function checkSingleAssignment(g: GraphProto): void {
  const writer = new Map<string, string>();
  const claim = (name: string, what: string, path: string) => {
    if (name === '') return;
    const first = writer.get(name);
    if (first !== undefined) {
      throw new ConvlensError('ONNX_GRAPH_INVALID', `'${name}' is defined twice, by ${first} and by ${what}: an ONNX graph gives each tensor one source (single static assignment)`, { path, tensor: name });
    }
    writer.set(name, what);
  };
  const stored = new Map<string, number[]>();
  g.initializer.forEach((t, i) => {
    claim(t.name, `initializer ${i}`, `$.graph.initializer[${i}]`);
    stored.set(t.name, t.dims.map((d) => num(d)));
  });
  g.input.forEach((v, i) => {
    const dims = stored.get(v.name);
    if (dims === undefined) return claim(v.name, `graph input ${i}`, `$.graph.input[${i}]`);
    // a dimension with a value (> 0) is stated; a named or missing one is not
    const declared = v.type?.tensorType?.shape?.dim?.map((d) => (d.dimValue !== undefined && num(d.dimValue) > 0 ? num(d.dimValue) : null));
    if (declared && (declared.length !== dims.length || declared.some((d, k) => d !== null && d !== dims[k]))) {
      throw new ConvlensError('ONNX_GRAPH_INVALID', `graph input '${v.name}' is declared [${declared.map((d) => d ?? '?').join(', ')}] but its initializer holds [${dims.join(', ')}]`, {
        path: `$.graph.input[${i}]`,
        tensor: v.name,
      });
    }
  });
  g.node.forEach((n, i) => n.output.forEach((o, k) => claim(o, `node ${i}${n.name ? ` '${n.name}'` : ''} (${n.opType})`, `$.graph.node[${i}].output[${k}]`)));
}

/** A node must write at least one named tensor (ONNX leaves an omitted optional output's name empty). `opType`: the one errors name (the file node's, for a node written in its place). */
export function checkNodeWrites(node: NodeProto, name: string, path: string, opType = node.opType): void {
  if (node.output.some((o) => o !== '')) return;
  throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${opType}) writes no output: a node needs at least one named output`, { path: `${path}.output`, layer: name, opType });
}

/**
 * The inputs of the layer a node maps to, checked against what `op` takes: trailing empty names
 * dropped (ONNX's omitted optional inputs: `Add(x, y, '')` is `Add(x, y)`), then its first
 * op.minInputs inputs present and named, no more than its inputs unless it is variadic, and none
 * of a variadic op's repeated inputs omitted. A slot the mapper emptied because it bound that
 * constant as the layer's weight (QLinearMatMul's constant B: graph/onnx/map-quant.ts; the node
 * names a tensor there) counts as given, and such a layer's inputs are kept as the mapper left
 * them: `bound` says it has weights. Conv('', W) binds W but has no data: its x is missing.
 */
export function checkedLayerInputs(op: OpDef, mapped: readonly string[], bound: boolean, name: string, node: NodeProto, path: string, opType = node.opType): string[] {
  const inputs = [...mapped];
  if (!bound) while (inputs.length > 0 && inputs[inputs.length - 1] === '') inputs.pop();
  const fail = (why: string) => {
    throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${opType}) ${why}`, { path: `${path}.input`, layer: name, opType });
  };
  // emptied by the mapper (bound as a weight) when the node itself names a tensor in that slot
  const boundThere = (k: number) => bound && inputs[k] === '' && (node.input[k] ?? '') !== '';
  const missing = Array.from({ length: op.minInputs }, (_, k) => k).filter((k) => (inputs[k] === undefined || inputs[k] === '') && !boundThere(k));
  if (missing.length > 0) {
    const needed = op.inputNames.slice(0, op.minInputs).join(', ');
    const what = missing.map((k) => `'${op.inputNames[Math.min(k, op.inputNames.length - 1)]}'`).join(', ');
    const got = inputs.filter((r) => r !== '').length;
    fail(`has ${got} named input${got === 1 ? '' : 's'}; as ${op.name} it needs ${op.minInputs} (${needed}), and ${what} ${missing.length === 1 ? 'is' : 'are'} missing`);
  }
  if (!op.variadic && inputs.length > op.inputNames.length) fail(`has ${inputs.length} inputs; as ${op.name} it takes at most ${op.inputNames.length} (${op.inputNames.join(', ')})`);
  const omitted = op.variadic && !bound ? inputs.findIndex((r, k) => k >= op.inputNames.length - 1 && r === '') : -1;
  if (omitted >= 0) fail(`omits its input ${omitted + 1} (an empty name); as ${op.name} it repeats its last input (${op.inputNames.at(-1)}), and none of those can be omitted`);
  return inputs;
}

/**
 * A node's outputs past the `count` its op writes (OpDef.outputCount; 1 for the nodes the importer
 * folds into constants: Identity, Constant, Cast, ConstantOfShape, DequantizeLinear): an extra one
 * no node reads and the graph does not return is left unwritten; one that is `read` is
 * ONNX_GRAPH_INVALID, since nothing would compute it.
 */
export function checkExtraOutputs(node: NodeProto, count: number, read: ReadonlySet<string>, name: string, path: string, opName = node.opType, opType = node.opType): void {
  node.output.forEach((o, k) => {
    if (k < count || o === '' || !read.has(o)) return;
    throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${opType}) names '${o}' as its output ${k + 1}, which is read, but ${opName} writes ${count} output${count === 1 ? '' : 's'} here: nothing would compute it`, {
      path: `${path}.output[${k}]`,
      layer: name,
      opType,
    });
  });
}

/**
 * A Loop's body gives its condition, the N values it carries and its scan outputs; the node passes
 * in M, the condition and the N values, and writes the N final values and the scans. So it cannot
 * name more outputs than the body gives after its condition, nor carry more values than the body
 * returns (ONNX's Loop).
 */
export function checkLoopArity(node: NodeProto, body: GraphProto, name: string, path: string): void {
  const carried = Math.max(0, node.input.length - 2);
  const gives = body.output.length - 1;
  if (gives >= carried && node.output.length <= gives) return;
  const why = gives < carried ? `carries ${carried} value${carried === 1 ? '' : 's'} in, but its body returns ${Math.max(0, gives)} after its condition` : `names ${node.output.length} outputs, but its body gives ${gives} after its condition (${carried} carried, ${gives - carried} scanned)`;
  throw new ConvlensError('ONNX_GRAPH_INVALID', `Loop '${name}' ${why}`, { path: `${path}.output`, layer: name, opType: 'Loop' });
}

/** A Loop's trip count M is an int64 (ONNX's Loop): a constant 2.5 was reported as a number beyond ±(2^53 − 1). */
export function checkTripCount(m: number, name: string, path: string): void {
  if (Number.isInteger(m)) return;
  throw new ConvlensError('ONNX_GRAPH_INVALID', `Loop '${name}' has the trip count M = ${m}: M is an integer (int64), the iterations to run`, { path: `${path}.input[0]`, layer: name, opType: 'Loop' });
}

/** Each branch of an If gives one value for each output the node names (ONNX's If). */
export function checkIfArity(node: NodeProto, branches: { then: GraphProto; else: GraphProto }, name: string, path: string): void {
  for (const tag of ['then', 'else'] as const) {
    const gives = branches[tag].output.length;
    if (gives >= node.output.length) continue;
    throw new ConvlensError('ONNX_GRAPH_INVALID', `If '${name}' names ${node.output.length} outputs, but its ${tag}_branch gives ${gives}`, { path: `${path}.attribute`, layer: name, opType: 'If' });
  }
}

/** ONNX convolutions whose kernel_shape, where given, is their weight's spatial dims: the weight's input. */
const KERNEL_WEIGHT_INPUT: Readonly<Record<string, number>> = { Conv: 1, ConvTranspose: 1, ConvInteger: 1, DeformConv: 1, QLinearConv: 3 };

/**
 * A convolution's kernel_shape must be its constant weight's spatial dims (W is [M, C/group, k1, …,
 * kN]; ConvTranspose's [C, M/group, k1, …, kN]): the importer reads the kernel from W, so a
 * kernel_shape of [5, 5] beside a 3×3 W was silently taken as 3×3; onnxruntime refuses it.
 */
export function checkKernelShape(node: NodeProto, kernelShape: readonly number[] | undefined, constants: ReadonlyMap<string, { shape: readonly number[] }>, name: string, path: string): void {
  const at = KERNEL_WEIGHT_INPUT[node.opType];
  if (at === undefined || !kernelShape) return;
  const weight = node.input[at] ? constants.get(node.input[at]) : undefined;
  if (!weight || weight.shape.length < 3) return;
  const spatial = weight.shape.slice(2);
  if (spatial.length === kernelShape.length && spatial.every((d, k) => d === kernelShape[k])) return;
  const index = node.attribute.findIndex((a) => a.name === 'kernel_shape');
  throw new ConvlensError(
    'ONNX_GRAPH_INVALID',
    `node '${name}' (${node.opType}) has kernel_shape [${kernelShape.join(', ')}], but its weight '${node.input[at]}' is [${weight.shape.join(', ')}], a [${spatial.join(', ')}] kernel: kernel_shape must be the weight's spatial dims`,
    { path: `${path}.attribute[${index}]`, layer: name, opType: node.opType, shapes: { kernelShape: [...kernelShape], weight: [...weight.shape] } },
  );
}

/** ONNX ops of one output that the importer may fold into a constant (graph/onnx/import.ts). */
export const FOLDED_SINGLE_OUTPUT: ReadonlySet<string> = new Set(['Identity', 'Constant', 'Cast', 'ConstantOfShape', 'DequantizeLinear']);

/** Each output the graph declares must be an input, an initializer or a node's output (`known`). */
export function checkGraphOutputs(outputs: readonly { name: string }[], known: ReadonlySet<string>): void {
  outputs.forEach((o, i) => {
    if (known.has(o.name)) return;
    throw new ConvlensError('ONNX_GRAPH_INVALID', `the graph's output '${o.name}' is produced by no node, input or initializer`, { path: `$.graph.output[${i}]`, output: o.name });
  });
}
