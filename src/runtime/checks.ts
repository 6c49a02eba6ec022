/**
 * What every run is checked against before any kernel starts, in one place so that every path
 * (runGraph, runOperator, the vector-Jacobian product's checkOperator) applies the same checks:
 *   inputs        each graph input given, with its declared shape
 *   layers        each executed layer runnable (an op convlens models), its weights and outputs
 *                 within MAX_TENSOR_ELEMENTS
 *   weights       each given weight names a layer's weight (`<layer>.<role>`), has its shape, and
 *                 values its op accepts (OpDef.refuseGivenWeight: a buffer the attributes fix)
 *   work          Σ over executed layers of MACs + element-wise FLOPs (or the kernel's own work
 *                 where its op states it: ops/common.ts runWork) + elements written (outputs,
 *                 intermediates and weights; 1 + FRESH_ELEMENT_WORK each in a tensor of
 *                 FRESH_TENSOR_ELEMENTS or more a kernel allocates: writeWork; FLOAT16_ROUND_WORK
 *                 more each in an output an ONNX graph types FLOAT16: graph/onnx/float16-work.ts), + each FLOAT16 graph input
 *                 copied and rounded on entry (float16InputWork), within MAX_RUN_WORK
 */
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import { ConvlensError, fmtShape, jsonPath } from '../errors.js';
import { executedLayers } from '../graph/walks.js';
import { noSuchInput, unsupportedReason } from '../graph/graph.js';
import type { Graph } from '../graph/graph.js';
import type { GraphSource } from '../graph/load.js';
import { inputElementType } from '../graph/onnx/element-types.js';
import { shapeKeyPath } from '../graph/onnx/graph-inputs.js';
import { intermediateElements, numel } from '../ops/types.js';
import { runWork } from '../ops/common.js';
import { dict, own } from '../records.js';
import { closest } from '../suggest.js';
import type { Tensor } from '../tensor/tensor.js';
import { FLOAT16_ROUND_WORK, float16OutputWork } from '../graph/onnx/float16-work.js';
import { checkWeightShape } from './weights.js';

export interface RunLimits {
  /** MAX_TENSOR_ELEMENTS: largest tensor a layer may need or produce. */
  maxElements: number;
  /** MAX_RUN_WORK: most work the whole run may cost. */
  maxWork: number;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The names that stand for a network's only input whatever it is called. */
const UNNAMED_INPUT = new Set(['', 'input']);

/** "" and "input": names a single tensor may take to stand for a network's only input. */
export function isUnnamedInput(name: string): boolean {
  return UNNAMED_INPUT.has(name);
}

/**
 * An ONNX file's dynamic inputs sized by the request's tensors (a run's inputs, an ERF's given
 * ones), as `feedInputs` then feeds them: each tensor's shape under its name, except a single
 * tensor named "" or "input" (the alias: it stands for the only input whatever that is called),
 * whose shape is the first input's (''). A tensor named for another input sizes that input only (it
 * sized the first too, which then took its shape or blamed it for the first's). Shapes the request
 * set itself (inputShapes) win. A zoo model or spec is left as it is: it checks the tensors against
 * its own inputs.
 * `located(load)` runs the import so that a fault at a shape a tensor gave is at that tensor,
 * `$.inputs.<name>` (the alias's at its own key, not `$.inputs[""]`), also beside shapes the request
 * set (it was at `$.inputShape.<name>`, a key the request never wrote); a fault at a shape the
 * request set stays at it.
 */
export function sizedByTensors(source: GraphSource, given: readonly (readonly [string, Tensor])[]): { source: GraphSource; located: <T>(load: () => T) => T } {
  if (source.kind !== 'onnx') return { source, located: (load) => load() };
  const alias = given.length === 1 && isUnnamedInput(given[0][0]) ? given[0][0] : null;
  // each shape's key, with the tensor that gave it
  const derived = alias !== null ? [['', alias] as const] : given.map(([k]) => [k, k] as const);
  const explicit = Object.keys(source.inputShapes).length > 0;
  const shapes = dict(given.length === 1 && alias !== null ? [['', given[0][1].shape] as const] : given.map(([k, v]) => [k, v.shape] as const));
  const sized = { ...source, inputShapes: dict([...Object.entries(shapes), ...Object.entries(source.inputShapes)]), ...(!explicit && { shapesAt: '$.inputs' }) };
  const moves = derived.filter(([key]) => !Object.hasOwn(source.inputShapes, key)).map(([key, name]) => [shapeKeyPath(sized, key), jsonPath(['inputs', name])] as const);
  const located = <T>(load: () => T): T => {
    try {
      return load();
    } catch (e) {
      const path = e instanceof ConvlensError ? e.details.path : undefined;
      const move = typeof path === 'string' ? moves.find(([from]) => path === from || path.startsWith(`${from}[`) || path.startsWith(`${from}.`)) : undefined;
      if (!move || move[0] === move[1]) throw e;
      const err = e as ConvlensError;
      throw new ConvlensError(err.code, err.message, { ...err.details, path: move[1] + path!.slice(move[0].length) });
    }
  };
  return { source: sized, located };
}

/**
 * The request's tensors by the network's input names: a single one named "" or "input" feeds the
 * network's only input (`only`, by default its first) whatever that is called; any other name the
 * network does not have is refused (INVALID_TENSOR at `$.inputs.<name>` with the closest), never
 * ignored or fed elsewhere.
 */
export function feedInputs(graph: Graph, given: readonly (readonly [string, Tensor])[], only = graph.inputs[0]?.name): Record<string, Tensor> {
  if (graph.inputs.length === 1 && given.length === 1 && given[0][0] !== only && UNNAMED_INPUT.has(given[0][0])) return dict([[only, given[0][1]] as const]);
  const known = graph.inputs.map((i) => i.name);
  if (graph.inputs.length === 1 && only !== undefined) {
    // the only input under two keys (its name, "input", ""): one would be dropped, or the alias called no input
    const feeding = given.map(([name]) => name).filter((name) => name === only || UNNAMED_INPUT.has(name));
    if (feeding.length > 1) {
      const [a, b] = feeding;
      throw new ConvlensError('INVALID_TENSOR', `the network's only input '${only}' is given twice, as '${a}' and as '${b}' ("" and "input" stand for it): give it once`, { path: jsonPath(['inputs', b]) });
    }
  }
  for (const [name] of given) {
    if (!known.includes(name)) throw noSuchInput(name, known);
  }
  return dict(given);
}

/** Each graph input is given (as an own entry: a name like `constructor` is a name) with its declared shape. */
export function checkInputs(graph: Graph, inputs: Readonly<Record<string, Tensor>>): void {
  for (const inp of graph.inputs) {
    const t = own(inputs, inp.name);
    const path = jsonPath(['inputs', inp.name]);
    if (!t) throw new ConvlensError('INVALID_TENSOR', `no tensor for input '${inp.name}' ${fmtShape(inp.shape)}`, { path });
    if (!sameShape(t.shape, inp.shape)) {
      throw new ConvlensError('SHAPE_MISMATCH', `input '${inp.name}' must be ${fmtShape(inp.shape)}, got ${fmtShape(t.shape)}`, {
        path,
        shapes: { expected: inp.shape, given: t.shape },
      });
    }
  }
}

/**
 * The work a layer costs when it runs: MACs (float and integer) + element-wise FLOPs, or the
 * kernel's own work where its op states it (Inferred.runWork or kernelWork: a loop slower per
 * operation than the GEMM, ops/common.ts runWork), + the elements it writes (outputs, and its
 * weights when initialised or decoded), + FLOAT16_ROUND_WORK an element of each output the ONNX
 * graph types FLOAT16 (rounded after the layer: runtime/float16-run.ts).
 */
export function layerWork(a: AnalysedLayer): number {
  if (!a.inferred) return 0;
  const { outputs, weights } = a.inferred;
  let written = 0;
  // (an op that hands back its input's memory writes no fresh tensor: its elements at 1)
  for (const o of outputs) written += a.op?.returnsInputData ? numel(o) : writeWork(numel(o));
  written += float16OutputWork(a.layer, outputs);
  for (const t of a.inferred.intermediates ?? []) written += writeWork(intermediateElements(t));
  // (weights: the weight store's pooled scratch, runtime/weight-store.ts, not fresh memory each time)
  for (const w of weights) written += numel(w.shape);
  return runWork(a.inferred) + written;
}

/**
 * Elements in a tensor from which its memory comes fresh from the system each time: glibc serves
 * a block of 32 MiB or more (its largest mmap threshold) by mmap and unmaps it when freed, so
 * every such tensor a kernel writes faults its pages in anew, where a smaller one reuses the heap.
 */
export const FRESH_TENSOR_ELEMENTS = 1 << 23;

/**
 * Units an element of such a tensor costs to write, besides the 1 every element costs: a chain of
 * 12 relus over [1, 32, 512, 512] (2^23 elements) took 13.3–28 ns an element a layer against
 * 3.6–5.0 at [1, 32, 505, 505] just under it (2026-12-05, the 2-vCPU AMD EPYC VM, load 4–9):
 * about 10–25 ns more, 33–85 units of ~0.3 ns. Before, a 2 KB spec (an upsample to that size,
 * then 50 sigmoids and relus) ran 20.7 s on an estimate of 10^9, so a few hundred layers held a
 * worker to the timeout within MAX_RUN_WORK.
 */
export const FRESH_ELEMENT_WORK = 50;

/** The work of a kernel writing a tensor of n elements it allocates: 1 an element, and FRESH_ELEMENT_WORK more from FRESH_TENSOR_ELEMENTS on. */
export const writeWork = (n: number): number => (n >= FRESH_TENSOR_ELEMENTS ? n * (1 + FRESH_ELEMENT_WORK) : n);

/**
 * The work of the graph's inputs the ONNX graph types FLOAT16 before any layer: each is copied
 * and the copy rounded to float16 (runtime/float16-run.ts float16Inputs), a tensor written
 * (writeWork) and rounded (FLOAT16_ROUND_WORK) as a float16 layer output is. A ReduceMax over a
 * FLOAT16 input of [1, 64, 112, 112] ran 12–17 ns an element more than over a FLOAT one (medians of
 * 40 warm runs, 2026-12-06, the 2-vCPU VM, load 18–19), about the 41 units charged; uncharged, a
 * run of a float16 graph was estimated as if its inputs cost nothing.
 */
export function float16InputWork(graph: Pick<Graph, 'inputs'>): number {
  let work = 0;
  for (const i of graph.inputs) if (inputElementType(i) === 'float16') work += writeWork(numel(i.shape)) + FLOAT16_ROUND_WORK * numel(i.shape);
  return work;
}

/** Every executed layer can run, and nothing it needs or makes is over the element limit. */
function checkLayers(analysed: readonly AnalysedLayer[], executed: Set<string>, maxElements: number): void {
  for (const a of analysed) {
    if (!executed.has(a.layer.name) || a.folded) continue;
    const where = { path: a.layer.path, layer: a.layer.name };
    if (!a.op || !a.inferred) {
      const why = a.op ? 'it reads a tensor of unknown shape, after an operator convlens cannot analyse' : a.unsupported ?? unsupportedReason(a.layer);
      // at the field the reason is about (a Resize's computed sizes: its inputs), else the layer
      throw new ConvlensError('UNSUPPORTED_OPERATOR', `layer '${a.layer.name}' (${a.layer.source?.opType ?? a.layer.op}) cannot run in convlens: ${why}`, { ...where, path: a.unsupportedPath ?? where.path });
    }
    for (const w of a.inferred.weights) {
      // (the shape under the weight's role alone: an operator call moves the error to its $.weights.<role>, runtime/operator.ts)
      if (numel(w.shape) > maxElements) {
        throw new ConvlensError('TENSOR_TOO_LARGE', `layer '${a.layer.name}' needs a ${w.name} of ${fmtShape(w.shape)}, over the ${maxElements}-element limit`, {
          ...where,
          shapes: { [w.name]: w.shape },
        });
      }
    }
    for (const out of a.inferred.outputs) {
      if (numel(out) > maxElements) {
        throw new ConvlensError('TENSOR_TOO_LARGE', `layer '${a.layer.name}' would produce ${fmtShape(out)}, over the ${maxElements}-element limit`, {
          ...where,
          shapes: { output: out },
        });
      }
    }
    for (const t of a.inferred.intermediates ?? []) {
      // (under the role 'intermediate': an operator call moves the error to $.attributes, which set its size, runtime/operator.ts)
      if (!t.scratch && intermediateElements(t) > maxElements) {
        const bytes = t.bytesPerElement && t.bytesPerElement !== 4 ? ` (${t.bytesPerElement} bytes an element: ${intermediateElements(t)} float32 elements)` : '';
        throw new ConvlensError('TENSOR_TOO_LARGE', `layer '${a.layer.name}' would need ${t.what}, ${fmtShape(t.shape)}${bytes}, over the ${maxElements}-element limit`, {
          ...where,
          shapes: { intermediate: t.shape },
        });
      }
    }
  }
}

/**
 * Every given weight is some layer's (`<layer>.<role>` naming nothing is a 400 with the closest name), with that
 * weight's shape, and values its op does not refuse (INVALID_TENSOR at the weight, naming the layer).
 */
export function checkGivenWeights(analysed: readonly AnalysedLayer[], given: Readonly<Record<string, Tensor>>): void {
  const keys = Object.keys(given);
  if (keys.length === 0) return;
  const known = new Map<string, { a: AnalysedLayer; role: string; shape: readonly number[] }>();
  for (const a of analysed) for (const w of a.inferred?.weights ?? []) known.set(`${a.layer.name}.${w.name}`, { a, role: w.name, shape: w.shape });
  for (const key of keys) {
    const spec = known.get(key);
    if (spec) {
      const { a, role, shape } = spec;
      checkWeightShape(key, given[key], shape, a.layer.name);
      const refused = a.op?.refuseGivenWeight?.(role, given[key].data, a.inferred!.plan);
      if (refused) {
        throw new ConvlensError('INVALID_TENSOR', `layer '${a.layer.name}' (${a.layer.op}): ${refused}`, {
          path: jsonPath(['weights', key]),
          layer: a.layer.name,
          shapes: { given: given[key].shape, expected: [...shape] },
        });
      }
      continue;
    }
    const suggestion = closest(key, [...known.keys()]);
    throw new ConvlensError('INVALID_TENSOR', `weight '${key}' is no layer's weight (names are <layer>.<role>)${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
      path: jsonPath(['weights', key]),
      ...(suggestion ? { suggestion } : {}),
    });
  }
}

const fmtWork = (w: number) => (w < 1e6 ? String(w) : w.toExponential(2).replace('e+', 'e'));

/**
 * The inferred cost of the executed layers, and `entry` (the work before the first layer: float16
 * inputs rounded, float16InputWork), is within MAX_RUN_WORK (413 WORK_TOO_LARGE naming the
 * estimate, the limit and the heaviest layer).
 */
export function checkWork(analysed: readonly AnalysedLayer[], executed: Set<string>, maxWork: number, entry = 0): number {
  let total = entry;
  let heaviest: AnalysedLayer | null = null;
  let heaviestWork = -1;
  for (const a of analysed) {
    if (!executed.has(a.layer.name) || a.folded) continue;
    const w = layerWork(a);
    total += w;
    if (w > heaviestWork) [heaviest, heaviestWork] = [a, w];
  }
  if (total > maxWork && heaviest) {
    throw new ConvlensError(
      'WORK_TOO_LARGE',
      `the run would cost about ${fmtWork(total)} units of work (MACs + element-wise FLOPs, or a slower kernel's own rate, + elements written, ${1 + FRESH_ELEMENT_WORK} each in a tensor of 2^23 elements or more, ${FLOAT16_ROUND_WORK} more each in a float16 output or input, an input being copied on entry), over the limit of ${fmtWork(maxWork)} (MAX_RUN_WORK); the heaviest layer is '${heaviest.layer.name}' at ${fmtWork(heaviestWork)}`,
      { path: heaviest.layer.path, layer: heaviest.layer.name, estimate: total, limit: maxWork, layerWork: heaviestWork },
    );
  }
  return total;
}

/**
 * All the checks, before any kernel runs; returns the layers that execute: those the declared
 * outputs depend on, or `needed` (a reverse pass's: the layers its targets depend on, an auxiliary
 * head's included when the unit is in it).
 */
export function checkRun(graph: Graph, inference: Inference, inputs: Readonly<Record<string, Tensor>>, given: Readonly<Record<string, Tensor>>, limits: RunLimits, needed?: ReadonlySet<string>): ReadonlySet<string> {
  checkInputs(graph, inputs);
  const passed = needed ? undefined : passedChecks.get(inference);
  if (passed && passed.graph === graph && passed.maxElements === limits.maxElements && passed.maxWork === limits.maxWork) {
    checkGivenWeights(inference.analysed, given);
    return passed.executed;
  }
  const executed = needed ? new Set(needed) : executedLayers(graph);
  checkLayers(inference.analysed, executed, limits.maxElements);
  checkGivenWeights(inference.analysed, given);
  checkWork(inference.analysed, executed, limits.maxWork, float16InputWork(graph));
  if (!needed) passedChecks.set(inference, { graph, maxElements: limits.maxElements, maxWork: limits.maxWork, executed });
  return executed;
}

/**
 * The checks of a graph's layers and work (checkLayers, checkWork) that a run passed, by its
 * inference, with the limits it passed them under and the layers it executes: they depend on
 * nothing else, so a cached model's next forward, or a prepared operator call's next call
 * (runtime/model-cache.ts, runtime/operator.ts keep the inference), checks only its inputs and given
 * weights. Both walk every layer (0.3–0.4 ms of a ResNet-50 forward's setup).
 */
const passedChecks = new WeakMap<Inference, { graph: Graph; maxElements: number; maxWork: number; executed: ReadonlySet<string> }>();
