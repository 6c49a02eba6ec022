/**
 * What an ONNX file's nodes and outputs must hold before their layers reach the analysis, checked as
 * a JSON spec's layers are (graph/network.ts): each node writes a tensor, each layer gets the inputs
 * its op needs (OpDef.minInputs, none of them the empty name ONNX uses for an omitted optional
 * input), and each output the graph declares is a tensor something produces. A file that breaks one
 * is ONNX_GRAPH_INVALID at the node's or the output's path (onnx.checker and onnxruntime refuse such
 * files too), not a kernel's crash on a missing tensor.
 */
import { ConvlensError } from '../../errors.js';
import type { OpDef } from '../../ops/types.js';
import type { NodeProto } from './proto.js';

/** A node must write at least one named tensor (ONNX leaves an omitted optional output's name empty). */
export function checkNodeWrites(node: NodeProto, name: string, path: string): void {
  if (node.output.some((o) => o !== '')) return;
  throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${node.opType}) writes no output: a node needs at least one named output`, { path: `${path}.output`, layer: name, opType: node.opType });
}

/**
 * The inputs of the layer a node maps to against what `op` needs: its first op.minInputs inputs
 * present and named. A slot the mapper emptied because it bound that constant as the layer's
 * weight (QLinearMatMul's constant B: graph/onnx/map-quant.ts) counts as given: `bound` says the
 * layer has weights.
 */
export function checkLayerInputs(op: OpDef, inputs: readonly string[], bound: boolean, name: string, node: NodeProto, path: string): void {
  const missing = Array.from({ length: op.minInputs }, (_, k) => k).filter((k) => inputs[k] === undefined || (inputs[k] === '' && !bound));
  if (missing.length === 0) return;
  const needed = op.inputNames.slice(0, op.minInputs).join(', ');
  const what = missing.map((k) => `'${op.inputNames[Math.min(k, op.inputNames.length - 1)]}'`).join(', ');
  const got = inputs.filter((r) => r !== '').length;
  throw new ConvlensError(
    'ONNX_GRAPH_INVALID',
    `node '${name}' (${node.opType}) has ${got} named input${got === 1 ? '' : 's'}; as ${op.name} it needs ${op.minInputs} (${needed}), and ${what} ${missing.length === 1 ? 'is' : 'are'} missing`,
    { path: `${path}.input`, layer: name, opType: node.opType },
  );
}

/** Each output the graph declares must be an input, an initializer or a node's output (`known`). */
export function checkGraphOutputs(outputs: readonly { name: string }[], known: ReadonlySet<string>): void {
  outputs.forEach((o, i) => {
    if (known.has(o.name)) return;
    throw new ConvlensError('ONNX_GRAPH_INVALID', `the graph's output '${o.name}' is produced by no node, input or initializer`, { path: `$.graph.output[${i}]`, output: o.name });
  });
}
