/**
 * The memory a run holds at its peak, known from the analysis before any kernel runs, so the run
 * can ask its request's memory grant for it first (runtime/memory-grant.ts chargeRun).
 *
 * The executor (runtime/execute.ts) drops a tensor after its last running reader (lastReaders; one
 * no running layer reads, after the step writing it), so at step i it holds:
 *
 *   held(i) = Σ outputs of steps j ≤ i still read at or after i (every output of step i included;
 *             a fusion member's from its host's step, when it writes a new one there: `writtenIn`)
 *           + Σ outputs and captures written by then (kept to the end: the answer reads them)
 *           + Σ constants read as a layer's input that the run decodes into an array of its own
 *             (runtime/live-tensors.ts: a float16 one, an unaligned float32 one, a folded value
 *             such as a Gemm's β·C; `constantBytes`), from their first running reader to their last
 *           + step i's transient memory: the layer's weights drawn or decoded for it (a weight the
 *             request gives is in its body, already reserved) and its kernel's intermediates
 *             (OpInferred.intermediates: a padded copy, a resize's tap table, in their bytes);
 *             for a fusion group's host, what running it fused adds (`fusedBytes`, runtime/fuse.ts
 *             fusedStepBytes: its members' weights, and the folded weight and bias written beside
 *             the weights they are folded from)
 *   peak = max over the executed steps of held(i)
 *
 * A layer whose kernel hands back its input's memory (a reshape, flatten, squeeze, unsqueeze:
 * OpDef.returnsInputData; dropout and identity at inference: OpDef.returnsInputAtInference) writes
 * no new buffer: its output counts nothing, and the buffer it shares lives to the last reader of
 * either (the executor frees a buffer only once no live tensor views it: execute.ts freeable). Not
 * for a fusion member written in its host's step, nor over a constant (its own count, above).
 *
 * Counted in float32 (4 bytes), as the runtime computes. Graph inputs are not counted: they are
 * the request's tensors, reserved with its body (http/admission.ts). Not counted either: the GEMM's
 * packing scratch (WebAssembly memory, bounded per band and reused across runs), a worker team's
 * shared arena (outside the budget, see README "Threads"), and a model cache's weights (their own
 * share of the budget). So the figure is the run's own tensors, an upper bound of them where
 * fusion writes in place (a folded batch norm, an activation in the GEMM's epilogue).
 *
 * `keepWeights` (a forward kept for a reverse pass, runtime/backward.ts): the steps' weights stay
 * to the end, as the reverse pass reads them.
 */
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import { ConvlensError } from '../errors.js';
import type { Graph, GraphConstant } from '../graph/graph.js';
import { graphOutputs } from '../graph/walks.js';
import { answerOverBudget } from '../memory-budget.js';
import type { MemoryCharge } from '../memory-budget.js';
import { intermediateElements } from '../ops/types.js';
import type { Intermediate, WeightSpec } from '../ops/types.js';
import { numel } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** Bytes of one float32 element: the runtime's tensors. */
const FLOAT32 = 4;

export interface RunPeak {
  /** Bytes held at the peak: activations, the step's weights and intermediates. */
  bytes: number;
  /** The layer running at the peak (null: no step runs). */
  layer: string | null;
  /** Of `bytes`: activations alive, weights held, the step's intermediates. */
  activations: number;
  weights: number;
  intermediates: number;
  /** A gradient's reverse pass: bytes for its gradients, included in `bytes` (runtime/backward.ts). */
  gradients?: number;
  /** A gradient's reverse pass: the largest scratch a layer's VJP allocates (OpInferred.vjpIntermediates), included in `bytes`. */
  reverseScratch?: number;
}

/** Bytes of a kernel's intermediates (float32 elements as intermediateElements counts them). */
export const intermediateBytes = (ts: readonly Intermediate[] = []): number => ts.reduce((sum, t) => sum + intermediateElements(t) * FLOAT32, 0);

export interface RunPeakOptions {
  /** Layers the run executes (checks.ts checkRun). */
  executed: ReadonlySet<string>;
  /** Tensors kept to the end besides the graph's outputs: captures, a reverse pass's reads. */
  keep: ReadonlySet<string>;
  /** Weights the request gives, by `<layer>.<role>` (reserved with its body). */
  given: Readonly<Record<string, Tensor>>;
  /** The steps' weights stay to the end (a forward kept for its reverse pass). */
  keepWeights?: boolean;
  /** Bytes reading a weight allocates (runtime/weights.ts weightAllocation, with the run's store); default: its float32 copy unless given. */
  weightBytes?: (a: AnalysedLayer, spec: WeightSpec) => number;
  /** Bytes reading a constant as a layer's input allocates (WeightStore.lastingBytes, with the run's store); default: its float32 copy (live-tensors.ts's default decodes every one). */
  constantBytes?: (c: GraphConstant) => number;
  /** The layer in whose step the executor writes this one's outputs, when earlier than its own (a fusion member without an in-place kernel, run in its host's step: execute.ts); default: its own. */
  writtenIn?: (a: AnalysedLayer) => string | undefined;
  /** Bytes a step allocates besides its own weights as the executor runs it fused (runtime/fuse.ts fusedStepBytes, for a group's host); default: none (no fusion). */
  fusedBytes?: (a: AnalysedLayer) => number;
  /** The run trains (RunOptions.training): dropout draws a new tensor then, so it shares nothing. */
  training?: boolean;
  /** Views share their input's buffer (the header); false counts each output as new (a reverse pass's gradients, which reshapes copy: vjp-kernels.ts reshaped). Default true. */
  viewsShareBuffers?: boolean;
}

/** The layer's kernel returns its input's memory as its one output (see the header). */
const sharesInputBuffer = (a: AnalysedLayer, training: boolean): boolean =>
  a.layer.outputs.length === 1 && a.layer.inputs.length >= 1 && (a.op!.returnsInputData === true || (a.op!.returnsInputAtInference === true && !training));

/** A layer whose kernel runs: executed (an output depends on it), not folded into a constant, analysed. */
export const runsKernel = (a: AnalysedLayer, executed: ReadonlySet<string>): boolean => executed.has(a.layer.name) && !a.folded && a.op !== null && a.inferred !== null;

/**
 * For each tensor a running layer reads, the index in `analysed` of the last running layer that
 * reads it: where the executor drops it (runtime/execute.ts). A layer that does not run (folded,
 * as a Shape of an activation is, or not executed) holds nothing, so a tensor it alone reads last is
 * dropped after its last running reader, and one no running layer reads after the step writing it.
 */
export function lastReaders(analysed: readonly AnalysedLayer[], executed: ReadonlySet<string>): Map<string, number> {
  const last = new Map<string, number>();
  analysed.forEach((a, i) => {
    if (runsKernel(a, executed)) for (const r of a.layer.inputs) last.set(r, i);
  });
  return last;
}

/** What a run holds at each step it executes: `held(i)` of the header and its parts, by layer name, in execution order. */
export function heldByStep(
  graph: Graph,
  inference: Inference,
  { executed, keep, given, keepWeights = false, weightBytes, fusedBytes, writtenIn, constantBytes = (c) => numel(c.shape) * FLOAT32, training = false, viewsShareBuffers = true }: RunPeakOptions,
): Map<string, Omit<RunPeak, 'layer'>> {
  const indices = inference.analysed.flatMap((a, i) => (runsKernel(a, executed) ? [i] : []));
  const steps = indices.map((i) => inference.analysed[i]);
  const n = steps.length;
  const isActivation = (t: string) => t !== '' && !graph.constants.has(t) && inference.tensors.get(t)?.value == null;
  const bytesOf = (t: string) => {
    const shape = inference.tensors.get(t)?.shape;
    return shape ? numel(shape) * FLOAT32 : 0;
  };
  // the executor's rule, from analysed indices to steps
  const stepOf = new Map(indices.map((index, step) => [index, step]));
  const lastUse = new Map([...lastReaders(inference.analysed, executed)].map(([t, index]) => [t, stepOf.get(index)!]));
  // the executor's outputs (graphOutputs): a spec without `outputs` returns every layer nobody reads,
  // an auxiliary head among them, kept to the end as a declared output is
  const kept = new Set([...graphOutputs(graph), ...keep]);
  const lastOf = (t: string, step: number) => (kept.has(t) ? n - 1 : Math.max(step, lastUse.get(t) ?? step));

  // a view's output names the buffer of the tensor it views (a view of a view: the first one's);
  // that buffer lives to the last step any of them is read at
  const bufferOf = new Map<string, string>();
  const bufferLast = new Map<string, number>();
  steps.forEach((a, i) => {
    const [x0] = a.layer.inputs;
    const [o] = a.layer.outputs;
    if (viewsShareBuffers && sharesInputBuffer(a, training) && writtenIn?.(a) === undefined && isActivation(x0) && isActivation(o)) bufferOf.set(o, bufferOf.get(x0) ?? x0);
    for (const t of a.layer.outputs) {
      const b = bufferOf.get(t) ?? t;
      bufferLast.set(b, Math.max(bufferLast.get(b) ?? 0, lastOf(t, i)));
    }
  });

  // difference array: a tensor written at step i and read last at step j counts on [i, j]
  const alive = new Float64Array(n + 1);
  const weights = new Float64Array(n);
  const intermediates = new Float64Array(n);
  let heldWeights = 0;
  const decoded = new Set<string>();
  const stepByName = new Map(steps.map((a, i) => [a.layer.name, i]));
  steps.forEach((a, i) => {
    // a constant input is decoded at its first running reader and dropped after its last, as an activation is
    for (const r of a.layer.inputs) {
      const c = graph.constants.get(r);
      if (!c || decoded.has(r)) continue;
      decoded.add(r);
      const bytes = constantBytes(c);
      alive[i] += bytes;
      alive[(kept.has(r) ? n - 1 : Math.max(i, lastUse.get(r) ?? i)) + 1] -= bytes;
    }
    // a fusion member's own output is written in its host's step, and lives from there
    const from = Math.min(i, stepByName.get(writtenIn?.(a) ?? '') ?? i);
    for (const o of a.layer.outputs) {
      if (!isActivation(o) || bufferOf.has(o)) continue;
      const last = bufferLast.get(o) ?? lastOf(o, i);
      const bytes = bytesOf(o);
      alive[from] += bytes;
      alive[last + 1] -= bytes;
    }
    let drawn = 0;
    for (const w of a.inferred!.weights) if (!w.unread) drawn += weightBytes ? weightBytes(a, w) : Object.hasOwn(given, `${a.layer.name}.${w.name}`) ? 0 : numel(w.shape) * FLOAT32;
    if (keepWeights) {
      heldWeights += drawn;
      weights[i] = heldWeights;
    } else weights[i] = drawn;
    // the fold's scratch and the members' weights, for this step only
    weights[i] += fusedBytes?.(a) ?? 0;
    intermediates[i] = intermediateBytes(a.inferred!.intermediates);
  });

  const held = new Map<string, Omit<RunPeak, 'layer'>>();
  let activations = 0;
  for (let i = 0; i < n; i++) {
    activations += alive[i];
    held.set(steps[i].layer.name, { bytes: activations + weights[i] + intermediates[i], activations, weights: weights[i], intermediates: intermediates[i] });
  }
  return held;
}

/** The step holding the most (the first of equals). */
function peakOf(steps: ReadonlyMap<string, Omit<RunPeak, 'layer'>>): RunPeak {
  const peak: RunPeak = { bytes: 0, layer: null, activations: 0, weights: 0, intermediates: 0 };
  for (const [layer, held] of steps) if (peak.layer === null || held.bytes > peak.bytes) Object.assign(peak, { ...held, layer });
  return peak;
}

export const runPeak = (graph: Graph, inference: Inference, options: RunPeakOptions): RunPeak => peakOf(heldByStep(graph, inference, options));

const MB = (bytes: number) => (bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/** Bytes of the tensors a request gives a run (its inputs and weights): its body's, asked with the peak (memory-grant.ts chargeRun). */
export function givenBytes(...records: Readonly<Record<string, Tensor>>[]): number {
  let bytes = 0;
  for (const r of records) for (const t of Object.values(r)) bytes += t.data.byteLength;
  return bytes;
}

/**
 * Asks `charge` for the run's peak and the tensors the request gives (its body's: memory-grant.ts
 * chargeRun asks them against its share first), before any kernel runs. Refused as more than the
 * whole budget when the answer alone (`answer`: the outputs and captures, in the answer's order)
 * is more than it, the refusal is the answer's, RESPONSE_TOO_LARGE, as the answer would get.
 *
 * `enclosing`: a sub-graph's run (an ONNX Loop body's iteration, ops/loop.ts) asks on top of what
 * the run around it holds at the step running it (the returned `enclosingAt` of that run: its
 * given tensors, file and held(i), the Loop's inputs and outputs among them); the body's own inputs
 * are among those, so they are not asked again. The charge is a high-water mark (chargeRun), so
 * each iteration's ask replaces the one before.
 * Returns, for a layer of this run, the bytes held while it runs, with what this run's ask adds
 * to: what a sub-graph run at that layer asks on top of.
 */
export function askRunMemory(
  charge: MemoryCharge,
  graph: Graph,
  inference: Inference,
  options: RunPeakOptions & { inputs: Readonly<Record<string, Tensor>>; answer: readonly string[]; held?: number; enclosing?: number },
): (layer: string) => number {
  const steps = heldByStep(graph, inference, options);
  const peak = peakOf(steps);
  // with what the request gives (its tensors, and an ONNX file the run reads its weights from), or what the run around this one holds
  const given = options.enclosing === undefined ? givenBytes(options.inputs, options.given) : 0;
  const file = options.enclosing === undefined ? (options.held ?? 0) : 0;
  const base = options.enclosing ?? given + file;
  const enclosingAt = (layer: string) => base + (steps.get(layer)?.bytes ?? 0);
  if (peak.layer === null) return enclosingAt;
  const what = graph.name ? `running '${graph.name}'` : undefined;
  try {
    if (options.enclosing === undefined) charge(peak.bytes + given + file, describeRunPeak(peak, what, given, file));
    else charge(base + peak.bytes, `${describeRunPeak(peak, what)}, on the ${MB(base)} the run around it holds at its step`);
  } catch (e) {
    if (!(e instanceof ConvlensError) || e.code !== 'GRAPH_TOO_LARGE' || typeof e.details.limit !== 'number') throw e;
    const shapes = [...new Set(options.answer)].map((t) => inference.tensors.get(t)?.shape ?? []);
    const bytes = shapes.reduce((sum, shape) => sum + numel(shape) * FLOAT32, 0);
    throw bytes > e.details.limit ? answerOverBudget(bytes, e.details.limit, shapes) : e;
  }
  return enclosingAt;
}

/** The peak in words, for a charge's `what` (its refusal names the layer and the parts); `given`: the bytes of the tensors the request gives, asked with it. */
export function describeRunPeak(peak: RunPeak, what = 'running the network', given = 0, file = 0): string {
  const parts = [`${MB(peak.activations)} of activations`, peak.weights > 0 && `${MB(peak.weights)} of weights drawn or decoded`, peak.intermediates > 0 && `${MB(peak.intermediates)} of the kernel's intermediates`, peak.gradients && `${MB(peak.gradients)} for the reverse pass's gradients`, peak.reverseScratch && `${MB(peak.reverseScratch)} of a VJP's scratch`].filter(Boolean);
  return `${what} (its peak at layer '${peak.layer}': ${parts.join(', ')}${given > 0 ? `; with the ${MB(given)} of tensors the request gives` : ''}${file > 0 ? `${given > 0 ? ' and' : '; with'} its ${MB(file)} ONNX file` : ''})`;
}
