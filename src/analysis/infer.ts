/**
 * Inference: walks the graph in topological order and asks each op for its output shapes, known
 * values (folded shape arithmetic), weights, costs and receptive field. The analyzer's report and
 * the runtime's executor both start from one inference of a graph, so they cannot disagree.
 */
import { ConvlensError, fmtShape, jsonPath } from '../errors.js';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import type { Graph, GraphLayer } from '../graph/graph.js';
import { topologicalOrder } from '../graph/walks.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import { INPUT_RF } from '../ops/receptive-field.js';
import type { Inferred, OpDef, Shape, TensorRF, TensorValue, Warning } from '../ops/types.js';

/** What the analyzer knows about a tensor: shape, value, receptive field, and whether its spatial size follows the input's. */
export interface TensorInfo {
  shape: Shape | null;
  /** Known values of a small constant-valued tensor (folded shape arithmetic), else null. */
  value: TensorValue | null;
  rf: TensorRF | null;
  /** Spatial size depends on the input resolution (false after adaptive or global pooling, and for constants). */
  inputDependent: boolean;
}

/** A layer as analysed: the op, what it inferred, and its place in the graph. */
export interface AnalysedLayer {
  layer: GraphLayer;
  op: OpDef | null;
  inferred: Inferred | null;
  inputShapes: Shape[];
  rf: TensorRF | null;
  /** Every output is a known constant: shape arithmetic folded away, not a layer of the network. */
  folded: boolean;
}

function failer(layer: GraphLayer, shapes: Shape[]) {
  return (code: ErrorCode, message: string, field?: string | (string | number)[], details: ErrorDetails = {}): never => {
    const fieldPath = field === undefined ? [] : Array.isArray(field) ? field : [field];
    const path = fieldPath.length ? layer.path + jsonPath(fieldPath).slice(1) : layer.path;
    // Every message names its layer; ops write only what is wrong.
    const prefix = `layer '${layer.name}': `;
    throw new ConvlensError(code, message.startsWith(prefix) ? message : prefix + message, {
      path,
      layer: layer.name,
      shapes: Object.fromEntries(shapes.map((s, i) => [`input${i}`, s])),
      ...details,
      ...(layer.source ? { opType: layer.source.opType } : {}),
    });
  };
}

export interface Inference {
  analysed: AnalysedLayer[];
  tensors: Map<string, TensorInfo>;
  /** What the receptive-field rules noticed (misaligned paths, data-dependent fields). */
  warnings: Warning[];
}

/**
 * Shape inference, value folding and receptive fields over the whole graph; throws on the first
 * invalid layer. The analyzer and the executor share one inference of a graph.
 */
export function inferGraph(graph: Graph): Inference {
  const warnings: Warning[] = [];
  const warn = (w: Warning) => warnings.push(w);
  const tensors = new Map<string, TensorInfo>();
  for (const c of graph.constants.values()) {
    tensors.set(c.name, { shape: c.shape, value: c.value, rf: null, inputDependent: false });
  }
  for (const inp of graph.inputs) {
    const spatial = inp.shape.length === 4;
    tensors.set(inp.name, {
      shape: inp.shape,
      value: null,
      rf: spatial ? { axes: [INPUT_RF, INPUT_RF], dims: [2, 3], global: false } : null,
      inputDependent: spatial,
    });
  }
  const unknown: TensorInfo = { shape: null, value: null, rf: null, inputDependent: true };
  const analysed: AnalysedLayer[] = [];
  for (const layer of topologicalOrder(graph)) {
    const op = OPS_BY_NAME.get(layer.op) ?? null;
    // An empty name is ONNX's "optional input omitted".
    const ins = layer.inputs.map((r) => (r === '' ? null : tensors.get(r) ?? unknown));
    const present = ins.filter((t): t is TensorInfo => t !== null);
    if (!op || present.some((t) => t.shape === null)) {
      // Unsupported here (an imported operator convlens does not model) or downstream of one.
      analysed.push({ layer, op, inferred: null, inputShapes: ins.map((t) => t?.shape ?? []), rf: null, folded: false });
      for (const o of layer.outputs) tensors.set(o, unknown);
      continue;
    }
    const inputShapes = ins.map((t) => t?.shape ?? []);
    const fail = failer(layer, inputShapes);
    const inferred = op.infer({ layer: layer.name, inputs: inputShapes, values: ins.map((t) => t?.value ?? null), attrs: layer.attrs, fail });
    for (const out of inferred.outputs) {
      if (out.some((d) => !(d > 0) && !(d === 0 && out.length === 1))) {
        fail('NON_POSITIVE_SIZE', `output shape ${fmtShape(out)} has a non-positive dimension`);
      }
    }
    const folded = inferred.values !== undefined && inferred.values.length > 0 && inferred.values.every((v) => v !== null);
    const rf = folded
      ? null
      : op.receptiveField({
          layer: layer.name,
          plan: inferred.plan,
          inputs: inputShapes,
          outputs: inferred.outputs,
          attrs: layer.attrs,
          rf: ins.map((t) => t?.rf ?? null),
          warn: (w) => warn({ ...w, layer: layer.name } as Warning),
        });
    const inputDependent = !inferred.fixedSize && present.some((t) => t.inputDependent);
    layer.outputs.forEach((name, i) => {
      tensors.set(name, {
        shape: inferred.outputs[i] ?? null,
        value: inferred.values?.[i] ?? null,
        rf,
        inputDependent,
      });
    });
    analysed.push({ layer, op, inferred, inputShapes, rf, folded });
  }
  return { analysed, tensors, warnings };
}
