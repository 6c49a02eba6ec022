/**
 * A run through data-dependent sizes (detection post-processing: NonMaxSuppression keeps some of
 * its boxes, NonZero some of its elements). The analysis plans those outputs at an upper bound, and
 * runGraph refuses a later layer planned for the bound when the real size differs (run-shapes.ts).
 * Here the graph is run in stages instead. The layers whose output size depends on values (named by
 * DATA_DEPENDENT_SHAPE warnings of the whole graph's inference) and read later are pending; each
 * stage runs every pending layer that depends on no other pending one (the frontier) with the layers
 * they read from, inferred alone (no layer of a stage reads a size not yet real), then the rest
 * takes every tensor crossing the cut as a constant of its real shape (its values the run's: a
 * value the stage's inference folded keeps its value, so shape arithmetic still folds), and so on;
 * the last stage, no pending layer left, is inferred at real sizes and run whole. Each layer runs
 * once; the cost is one inference of each stage plus the last one's, about one inference of the
 * graph beyond the first (ssdlite's 91 per-class NonZero → TopK → NMS branches are a few stages, not 182).
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
import { checkAnswer } from './answer-bound.js';
import { runGraph, runLimits, unknownCapture, type RunOptions, type RunResult } from './execute.js';

/** The layers a DATA_DEPENDENT_SHAPE warning of the whole graph's inference names (layers that may be cut after). */
function dataDependent(inference: Inference): Set<string> {
  return new Set(inference.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE' && w.layer).map((w) => w.layer!));
}

/**
 * The next stage of `order`: every data-dependent layer (in `pending`) that a later layer reads and
 * that depends on no other pending one (the frontier), with all the layers they depend on, in order;
 * empty when none is left. Cutting the whole frontier at once keeps each stage's inference at real
 * sizes: a later layer reading two branches (RetinaNet's TopK reads the kept scores of one NonZero
 * and, as k = min(50, count), the size of another over the same mask) never meets one branch at its
 * real size and the other at its bound; and independent branches (SSD's per-class NonZero, NMS) are
 * one stage, not one each.
 */
function nextStage(order: Graph['layers'], pending: Set<string>): Graph['layers'] {
  const readAfter = new Map<string, number>();
  order.forEach((l, i) => l.inputs.forEach((t) => readAfter.set(t, i)));
  const producer = new Map<string, number>();
  order.forEach((l, i) => l.outputs.forEach((t) => producer.set(t, i)));
  // below: whether a layer is (or depends on) a pending data-dependent layer
  const below = order.map(() => false);
  const frontier: number[] = [];
  order.forEach((l, i) => {
    const after = l.inputs.some((t) => producer.has(t) && below[producer.get(t)!]);
    const cut = pending.has(l.name) && l.outputs.some((t) => (readAfter.get(t) ?? -1) > i);
    if (cut && !after) frontier.push(i);
    below[i] = after || cut;
  });
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    for (const t of order[i].inputs) if (producer.has(t)) visit(producer.get(t)!);
  };
  frontier.forEach(visit);
  return order.filter((_, i) => need.has(i));
}

/**
 * `first` is the whole graph's inference when the caller has it (the run task does); `maxFolded`
 * the request's folding budget. The whole run is checked once against the limits at the bounds
 * (MAX_RUN_WORK over every layer: a bound is never below the real size), then each stage as runGraph
 * checks it. Later stages allow empty tensors: an image with no detection keeps 0 boxes. Captures
 * (opts.capture) are taken by the stage that computes them, in the order asked, at their real sizes.
 */
export function runStaged(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, first?: Inference, maxFolded?: number): RunResult & { stages: number } {
  let g = graph;
  let ins = inputs;
  const outputs = graphOutputs(graph);
  const infer = (x: Graph) => inferGraph(x, { allowEmpty: true, ...(maxFolded !== undefined && { maxFolded }) });
  const inference = first ?? infer(g);
  checkRun(g, inference, ins, opts.weights, runLimits(opts));
  const pending = dataDependent(inference);
  // captures (layer or tensor names, as runGraph takes them): each asked of the stage whose layers
  // produce it, so a stage before the last loses none; a graph input is its own capture
  const producedBy = new Map(graph.layers.flatMap((l) => l.outputs.map((t) => [t, l.name] as const)));
  const layerOutput = new Map(graph.layers.map((l) => [l.name, l.outputs[0]]));
  const wanted = [...new Set(opts.capture)];
  const captured: Record<string, Tensor> = {};
  for (const name of wanted) {
    const t = layerOutput.get(name) ?? name;
    if (!inference.tensors.has(t)) throw unknownCapture(name, opts.capture.indexOf(name), [...layerOutput.keys()]);
    if (inputs[t] && !producedBy.has(t)) captured[name] = inputs[t];
  }
  // the answer's tensors whose shapes do not depend on values, checked once before the first stage (answer-bound.ts)
  checkAnswer(opts.answer, graph, inference, opts.capture);
  const captureIn = (layers: Graph['layers'] | null) => {
    const names = new Set(layers?.map((l) => l.name));
    return wanted.filter((n) => !(n in captured) && (layers === null || names.has(producedBy.get(layerOutput.get(n) ?? n) ?? '')));
  };
  const answer = (r: RunResult, stages: number) => {
    Object.assign(captured, r.captured);
    return { outputs: r.outputs, captured: Object.fromEntries(wanted.map((n) => [n, captured[n]])), stages };
  };
  /** Tensors a stage made constants of: dropped again once no later layer reads them. */
  const staged = new Set<string>();
  // each stage runs at least one pending layer (removed from pending), so the stages end
  for (let stage = 1; ; stage++) {
    const order = topologicalOrder(g);
    const prefix = nextStage(order, pending);
    if (prefix.length === 0) {
      // no pending layer left: the rest at its real sizes (the caller's inference when nothing was cut)
      const rest = stage === 1 ? inference : infer(g);
      const late = [...dataDependent(rest)].filter((l) => !pending.has(l));
      if (late.length > 0 && nextStage(order, new Set(late)).length > 0) {
        // a size the whole graph's inference had not named as data-dependent (kept for safety): cut there too
        late.forEach((l) => pending.add(l));
        stage--;
        continue;
      }
      return answer(runGraph(g, ins, { ...opts, capture: captureIn(null), answer: undefined }, rest), stage);
    }
    const inPrefix = new Set(prefix);
    const suffix = order.filter((l) => !inPrefix.has(l));
    for (const l of prefix) pending.delete(l.name);
    // '' is ONNX's omitted optional tensor: never a value that crosses
    const produced = new Set(prefix.flatMap((l) => l.outputs).filter((t) => t !== ''));
    const crossing = [...new Set([...suffix.flatMap((l) => l.inputs), ...outputs])].filter((t) => produced.has(t));
    // the prefix is inferred as the stages are (allowEmpty, the request's folding budget): after a
    // first cut that kept nothing, its tensors are empty ([0, 4]) up to the next cut
    const head = { ...g, layers: prefix, outputs: crossing };
    const headInference = infer(head);
    const pre = runGraph(head, ins, { ...opts, capture: captureIn(prefix), answer: undefined }, headInference);
    Object.assign(captured, pre.captured);
    const read = new Set(suffix.flatMap((l) => l.inputs));
    const constants = new Map<string, GraphConstant>(g.constants);
    for (const t of staged) if (!read.has(t) && !outputs.includes(t)) constants.delete(t);
    for (const t of crossing) {
      const v = pre.outputs[t];
      // a value the prefix's inference folded (shape arithmetic) stays known; a cut layer's never is
      const known = headInference.tensors.get(t)?.value ?? null;
      constants.set(t, { name: t, shape: [...v.shape], dataType: known?.integer ? 'int64' : (v.dtype ?? 'float32'), value: known, raw: null, typed: v.data, initializer: false });
      staged.add(t);
    }
    g = { ...g, inputs: g.inputs.filter((i) => read.has(i.name) || outputs.includes(i.name)), layers: suffix, outputs, constants };
    ins = Object.fromEntries(Object.entries(ins).filter(([k]) => g.inputs.some((i) => i.name === k)));
  }
}
