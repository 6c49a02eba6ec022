/**
 * The element types an imported ONNX graph gives its input tensors and the tensors each layer
 * writes: the file's declarations (graph inputs, outputs, value_info; initializers keep theirs as
 * GraphConstant.dataType) and, for the rest, ONNX's type inference as node-types.ts nodeOutputType
 * follows it (Cast's `to`, int64 Shape/ArgMax/indices, bool comparisons, else the first input's).
 *
 * Values are held as float32 whatever the type (tensor/tensor.ts); the runtime rounds a float16
 * tensor to float16 after the layer that writes it and answers it as float16 (runtime/float16-run.ts).
 * Kept beside the graph, keyed by its layer and input objects: the graphs a staged run cuts
 * (runtime/run-staged.ts) and a Loop's body share those objects, so they keep their types.
 */
import type { DataType } from '../../tensor/dtype.js';
import type { Graph, GraphInput, GraphLayer } from '../graph.js';

const TYPES = new WeakMap<GraphInput | GraphLayer, readonly (DataType | undefined)[]>();

/** Records the element types of the graph's inputs and of each layer's outputs, by tensor name; a name `types` lacks (a chain's inner tensor) has none. */
export function recordElementTypes(graph: Pick<Graph, 'inputs' | 'layers'>, types: ReadonlyMap<string, DataType>): void {
  for (const i of graph.inputs) {
    const t = types.get(i.name);
    if (t) TYPES.set(i, [t]);
  }
  for (const l of graph.layers) {
    const ts = l.outputs.map((o) => types.get(o));
    if (ts.some((t) => t !== undefined)) TYPES.set(l, ts);
  }
}

/** The element type the ONNX graph gives a graph input, or undefined (a spec, a zoo model, an untyped input). */
export function inputElementType(input: GraphInput): DataType | undefined {
  return TYPES.get(input)?.[0];
}

/** The element type the ONNX graph gives a layer's output k, or undefined. */
export function outputElementType(layer: GraphLayer, k: number): DataType | undefined {
  return TYPES.get(layer)?.[k];
}
