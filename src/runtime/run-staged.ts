/**
 * A run through data-dependent sizes (detection post-processing: NonMaxSuppression keeps some of
 * its boxes, NonZero some of its elements). The analysis plans those outputs at an upper bound, and
 * runGraph refuses a later layer planned for the bound when the real size differs (run-shapes.ts).
 * Here the graph is run in stages instead: up to and including the first layer whose output size
 * depends on values and is read later (a DATA_DEPENDENT_SHAPE warning of the inference), then the
 * rest is inferred afresh with every tensor crossing the cut as a constant of its real shape (its
 * values the run's: a known folded value keeps its value, so shape arithmetic still folds), and so
 * on until no such layer is left. Each layer runs once; the cost is one inference of the remaining
 * graph per stage.
 *
 * Integer-ness of a crossing tensor is not tracked by the executor (values are float32): a crossing
 * tensor whose value the inference knew keeps that value's integer flag; the others are float32
 * constants without a known value (their shape is what the next stage needs).
 */
import { inferGraph, type Inference } from '../analysis/infer.js';
import type { Graph, GraphConstant } from '../graph/graph.js';
import { graphOutputs, topologicalOrder } from '../graph/walks.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRun } from './checks.js';
import { runGraph, runLimits, type RunOptions, type RunResult } from './execute.js';

/** The index in `order` of the first layer whose size depends on values and which a later layer reads, or -1. */
function firstCut(order: Graph['layers'], inference: Inference): number {
  const named = new Set(inference.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE' && w.layer).map((w) => w.layer!));
  const readAfter = new Map<string, number>();
  order.forEach((l, i) => l.inputs.forEach((t) => readAfter.set(t, i)));
  return order.findIndex((l, i) => named.has(l.name) && l.outputs.some((t) => (readAfter.get(t) ?? -1) > i));
}

/**
 * `first` is the whole graph's inference when the caller has it (the run task does); `maxFolded`
 * the request's folding budget. The whole run is checked once against the limits at the bounds
 * (MAX_RUN_WORK over every layer: a bound is never below the real size), then each stage as runGraph
 * checks it. Later stages allow empty tensors: an image with no detection keeps 0 boxes.
 */
export function runStaged(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, first?: Inference, maxFolded?: number): RunResult & { stages: number } {
  let g = graph;
  let ins = inputs;
  const outputs = graphOutputs(graph);
  const infer = (x: Graph) => inferGraph(x, { allowEmpty: true, ...(maxFolded !== undefined && { maxFolded }) });
  let inference = first ?? infer(g);
  checkRun(g, inference, ins, opts.weights, runLimits(opts));
  /** Tensors a stage made constants of: dropped again once no later layer reads them. */
  const staged = new Set<string>();
  // each stage runs at least its cut layer, so the stages end within the graph's layer count
  for (let stage = 1; ; stage++) {
    const order = topologicalOrder(g);
    const cut = firstCut(order, inference);
    if (cut < 0) return { ...runGraph(g, ins, opts, inference), stages: stage };
    const prefix = order.slice(0, cut + 1);
    const suffix = order.slice(cut + 1);
    // '' is ONNX's omitted optional tensor: never a value that crosses
    const produced = new Set(prefix.flatMap((l) => l.outputs).filter((t) => t !== ''));
    const crossing = [...new Set([...suffix.flatMap((l) => l.inputs), ...outputs])].filter((t) => produced.has(t));
    // the prefix is inferred as the stages are (allowEmpty, the request's folding budget): after a
    // first cut that kept nothing, its tensors are empty ([0, 4]) up to the next cut
    const head = { ...g, layers: prefix, outputs: crossing };
    const pre = runGraph(head, ins, { ...opts, capture: [] }, infer(head));
    const read = new Set(suffix.flatMap((l) => l.inputs));
    const constants = new Map<string, GraphConstant>(g.constants);
    for (const t of staged) if (!read.has(t) && !outputs.includes(t)) constants.delete(t);
    for (const t of crossing) {
      const v = pre.outputs[t];
      const known = inference.tensors.get(t)?.value ?? null;
      constants.set(t, { name: t, shape: [...v.shape], dataType: known?.integer ? 'int64' : 'float32', value: known, raw: null, typed: v.data, initializer: false });
      staged.add(t);
    }
    g = { ...g, inputs: g.inputs.filter((i) => read.has(i.name) || outputs.includes(i.name)), layers: suffix, outputs, constants };
    ins = Object.fromEntries(Object.entries(ins).filter(([k]) => g.inputs.some((i) => i.name === k)));
    inference = infer(g);
  }
}
