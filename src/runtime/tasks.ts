/** Task bodies, callable in a worker or inline (CLI, tests). */
import { analyzeGraph } from '../analysis/analyze.js';
import { inferGraph } from '../analysis/infer.js';
import type { AnalyzeOptions, Report } from '../analysis/report.js';
import { compareReports, evaluateGates } from '../analysis/compare.js';
import type { CompareExtras, Comparison, Gate, GateVerdict } from '../analysis/compare.js';
import type { DeviceProfile } from '../analysis/devices.js';
import { computeExtras, extrasCount, planExtras, splitOptions, withExtras } from '../analysis/extras.js';
import type { AnalysedNetwork, AnalysisReport, Extras, ExtrasOptions } from '../analysis/extras.js';
import { checkAnalysisWork, weighingOptions } from '../analysis/analysis-work.js';
import { renderComparison, renderReport, renderSweep } from '../analysis/render.js';
import type { RenderFormat } from '../analysis/render.js';
import { SweepOptionsSchema, sweepResolutions } from '../analysis/sweep.js';
import type { SweepOptions, SweepReport } from '../analysis/sweep.js';
import { ConvlensError, movePaths } from '../errors.js';
import { feedInputs, sizedByTensors } from './checks.js';
import { loadGraph } from '../graph/load.js';
import { graphOutputs } from '../graph/walks.js';
import { atGivenWeightKey, runtimeWeights } from '../graph/given-weights.js';
import type { GraphOrigin, GraphSource } from '../graph/load.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { foldBatchNorm } from '../ops/norm.js';
import { runGraph } from './execute.js';
import { runStaged } from './run-staged.js';
import type { RunOptions, RunResult } from './execute.js';
import type { OperatorCall } from './operator.js';
import type { WeightInit } from './weights.js';
import { modelCache } from './model-cache.js';
import { loadCached } from './cached-load.js';
import { taskLimits } from './limits.js';
import type { EngineLimits } from './limits.js';
import { reportErfSync } from './erf-report.js';
import { chargeGraph, chargeRun, withDecode } from './memory-grant.js';
import { fitAnswer, fitComparison, fitSweep } from './answer-fit.js';
import type { AnswerPlan } from './answer-fit.js';
import type { AnswerLimit } from './answer-bound.js';

export interface AnalyzeTask {
  source: GraphSource;
  /** Counting options and, optionally, the extra analyses to add (analysis/extras.ts). */
  options: AnalyzeOptions & ExtrasOptions;
  /** Text formats to render here too (analysis/render.ts); html adds the memory analysis it charts. */
  render?: { formats: RenderFormat[]; depth?: number; topK?: number };
  /** MAX_FOLDED_ELEMENTS (and MAX_RUN_WORK) when the caller has its own configuration; else from the environment. */
  limits?: Partial<EngineLimits>;
  /** GraphQL: size the selected fields here and leave out those over the answer's budgets (runtime/answer-fit.ts). */
  answer?: AnswerPlan;
}

export interface AnalysedTask extends AnalysedNetwork {
  extras: Extras;
}

/**
 * The network analysed, with the extras its options ask for; `more` adds analyses a format needs
 * whether asked or not (the HTML report's memory timeline).
 */
export function analyzeNetwork(t: AnalyzeTask, more: ExtrasOptions = {}): AnalysedTask {
  const { analyze, extras } = splitOptions(t.options);
  // checked before the (possibly long) load: a misspelt device costs nothing
  const plan = planExtras({ ...extras, ...more });
  const { maxFolded } = taskLimits(t.limits);
  // an analysis reads no weight values: those a file computes from its weights are not folded
  const { graph, origin } = withDecode(t.source, 1, () => loadGraph(t.source, { maxFolded, values: false }));
  // every analysis (REST, GraphQL, jobs, each side of a compare) passes here: its cost bounded before any inference
  checkAnalysisWork(graph.layers.length, { options: weighingOptions(plan) }, t.source);
  chargeGraph(graph, t.source, { explain: plan.explain, others: extrasCount(plan) - (plan.explain ? 1 : 0) });
  const inference = inferGraph(graph, { maxFolded });
  const report: Report = { ...analyzeGraph(graph, analyze, inference), source: origin };
  return { graph, inference, report, extras: computeExtras({ graph, inference, report }, plan) };
}

export type AnalyzeTaskResult = AnalysisReport & { renderings?: Partial<Record<RenderFormat, string>> };

/** The report, with the extra analyses its options ask for as top-level keys, and the renderings asked for. */
export function analyzeTask(t: AnalyzeTask): AnalyzeTaskResult {
  const result = analyzeReport(t);
  return t.answer ? fitAnswer(result, t.answer) : result;
}

function analyzeReport(t: AnalyzeTask): AnalyzeTaskResult {
  const formats = t.render?.formats ?? [];
  // netron names the file's nodes: from the model the analysis decoded, in its scope (it decoded the
  // file again once the scope had ended, neither charged nor at the file's path). Not with an ERF,
  // whose samples count their decodes `samples` times in scopes of their own
  const erf = formats.includes('html') && (t.options as ExtrasOptions).erf;
  return formats.includes('netron') && !erf ? withDecode(t.source, 1, () => analyzeRendered(t, formats)) : analyzeRendered(t, formats);
}

function analyzeRendered(t: AnalyzeTask, formats: readonly RenderFormat[]): AnalyzeTaskResult {
  const { report, extras } = analyzeNetwork(t, formats.includes('html') ? { memory: true } : {});
  if (formats.length === 0) return withExtras(report, extras);
  const onnx = t.source.kind === 'onnx' ? t.source.bytes : undefined;
  // the ERF section runs the network forward and back: only for html, only when asked
  const erf = formats.includes('html') && (t.options as ExtrasOptions).erf ? reportErfSync(t.source) : undefined;
  const renderings = Object.fromEntries(formats.map((f) => [f, renderReport(f, { report, extras, onnx, ...(erf && { erf }) }, t.render)]));
  return { ...withExtras(report, extras), renderings };
}

/** POST /v1/compare: two networks, the totals of the analyses asked for, the gates. */
export interface CompareTask {
  before: GraphSource;
  after: GraphSource;
  options: AnalyzeOptions;
  /** Compare peak activation memory too. */
  memory: boolean;
  /** Compare the roofline latency on this device too. */
  device?: string | DeviceProfile;
  gates: Gate[];
  allowIncomplete: boolean;
  /** Render the pull-request comment here too (`markdown` in the result). */
  markdown?: boolean;
  limits?: Partial<EngineLimits>;
  /** GraphQL: size the selected layer lists and markdown here and leave out those over the answer's budgets (runtime/answer-fit.ts). */
  answer?: AnswerPlan;
}

export interface CompareTaskResult {
  comparison: Comparison;
  markdown?: string;
  gates?: GateVerdict;
}

/**
 * A network's errors located in the request: their JSONPath (relative to the network) under `at`;
 * one already in the request (`already`: a located spec's `$.old.spec…`, an ONNX file's
 * `$.old.onnxBase64`) is left as it is. An ONNX file's own paths (`$.graph.node[0]`) go under the
 * side, so that the two sides' errors differ.
 */
function located<T>(at: string, already: (string | undefined)[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ConvlensError)) throw e;
    const path = e.details.path;
    if (typeof path === 'string' && already.some((a) => a !== undefined && path.startsWith(a))) throw e;
    // an error without a path is about the network as a whole: its `$`; a path outside the network's
    // JSON (none is expected) is put at the side too
    const whole = typeof path === 'string' ? e : new ConvlensError(e.code, e.message, { ...e.details, path: '$' });
    throw movePaths(whole, (p) => (p.startsWith('$') ? at + p.slice(1) : at));
  }
}

export function compareTask(t: CompareTask): CompareTaskResult {
  const memory = t.memory || t.gates.some((g) => g.metric === 'peakMemoryBytes');
  const side = (source: GraphSource, name: 'old' | 'new') => {
    const where = source.kind === 'spec' && source.at === undefined ? `$.${name}.spec` : `$.${name}`;
    // a path the source already places (its file's, its inputShapes') stays as it is
    const { report, extras } = located(where, source.kind === 'model' ? [] : [source.at, source.kind === 'onnx' ? source.shapesAt : undefined], () =>
      analyzeNetwork({ source, options: { ...t.options, ...(memory && { memory }), ...(t.device !== undefined && { device: t.device }) }, limits: t.limits }),
    );
    const totals: CompareExtras = {};
    if (extras.memory) totals.peakMemoryBytes = extras.memory.peak.bytes;
    if (extras.roofline) totals.latencySeconds = extras.roofline.totals.seconds;
    return { report, totals };
  };
  const a = side(t.before, 'old');
  const b = side(t.after, 'new');
  const comparison = compareReports(a.report, b.report, { before: a.totals, after: b.totals });
  const gates = t.gates.length ? evaluateGates(comparison, t.gates, { allowIncomplete: t.allowIncomplete }) : undefined;
  const result: CompareTaskResult = { comparison, ...(gates && { gates }), ...(t.markdown && { markdown: renderComparison(comparison, gates) }) };
  return t.answer ? fitComparison(result, t.answer) : result;
}

/** POST /v1/sweep: one network at several input sizes. */
export interface SweepTask {
  source: GraphSource;
  options: AnalyzeOptions;
  sweep: SweepOptions;
  /** Render the Markdown table here too (`markdown` in the result). */
  markdown?: boolean;
  /** GraphQL: size the selected sizes here and leave them out when over the answer's budgets (runtime/answer-fit.ts). */
  answer?: AnswerPlan;
}

export function sweepTask(t: SweepTask): SweepReport & { markdown?: string } {
  // the network, and one size's analysis with its memory timeline at a time
  // the file is decoded once (its memory charged once) and imported for the reference and once per
  // size: its work counted sizes + 1 times (sizes the options refuse are their error, in the sweep)
  const sizes = SweepOptionsSchema.safeParse(t.sweep);
  const report = withDecode(t.source, sizes.success ? sizes.data.sizes.length + 1 : 1, () =>
    sweepResolutions(t.source, t.sweep, t.options, undefined, (graph) => chargeGraph(graph, t.source, { graphs: 2, others: 1 })),
  );
  const result = t.markdown ? { ...report, markdown: renderSweep(report) } : report;
  return t.answer ? fitSweep(result, t.answer) : result;
}

/** POST /v1/operators/{name}: run by the worker on its team (runtime/worker.ts). */
export interface OperatorTask extends OperatorCall {}

export interface RunTask {
  source: GraphSource;
  inputs: Record<string, Tensor>;
  weights: Record<string, Tensor>;
  weightInit: WeightInit;
  training: boolean;
  seed: number;
  capture: string[];
  /** Inference-time fusion (RunOptions.fuse); default true. */
  fuse?: boolean;
  /** RunOptions.split: given by the worker entry (runtime/worker.ts), never in a payload. */
  split?: RunOptions['split'];
  /** RunOptions.shared: given with split. */
  shared?: RunOptions['shared'];
  /** RunOptions.splitMlp: given with split. */
  splitMlp?: RunOptions['splitMlp'];
  /** RunOptions.splitLinear: given with split. */
  splitLinear?: RunOptions['splitLinear'];
  /** RunOptions.splitHeads: given with split. */
  splitHeads?: RunOptions['splitHeads'];
  maxElements: number;
  /** MAX_RUN_WORK and MAX_FOLDED_ELEMENTS when the caller has its own configuration; else from the environment. */
  limits?: Partial<EngineLimits>;
  /** The answer its outputs and captures are for, checked before any kernel runs (RunOptions.answer, runtime/answer-bound.ts). */
  answer?: AnswerLimit;
}

export interface RunTaskResult extends RunResult {
  source: GraphOrigin;
  /**
   * The order to answer in: graph outputs in graph order, captured tensors in request order.
   * Iterate these, never the records' keys: integer-like names (an ONNX output `621`) enumerate first.
   */
  order: { outputs: string[]; captured: string[] };
}

export function runTask(t: RunTask): RunTaskResult {
  // names are data: records without a prototype, read by own entries (the payload is a structured clone)
  const given = Object.entries(t.inputs);
  // the tensors' shapes size an ONNX file's dynamic inputs (checks.ts sizedByTensors)
  const { source, located } = sizedByTensors(t.source, given);
  const { maxWork, maxFolded } = taskLimits(t.limits);
  const { graph, origin, inference, store } = located(() => loadCached(source, maxFolded, t.maxElements));
  const inputs = feedInputs(graph, given);
  // weights named as a PyTorch state_dict or by the file's initializers, keyed as the runtime reads them
  const asGiven = new Map<string, string>();
  const weights = runtimeWeights(graph, inference.analysed, t.weights, asGiven);
  try {
    // the run's peak memory is asked of the request before any kernel runs (runtime/run-memory.ts)
    // (with the ONNX file its weights are read from, which no model cache holds for it)
    const heldBytes = source.kind === 'onnx' && modelCache.maxBytes <= 0 ? source.bytes.byteLength : 0;
    const options = { ...t, weights, maxWork, ...(store && { store }), chargeMemory: chargeRun('$.inputs'), heldBytes };
    // a size known only from the data (NMS, NonZero) read by later layers: run in stages
    // (runtime/run-staged.ts), each capture taken from the stage that computes it
    const staged = inference.warnings.some((w) => w.code === 'DATA_DEPENDENT_SHAPE' && w.layer !== undefined);
    const { outputs, captured } = staged ? runStaged(graph, inputs, options, inference, maxFolded) : runGraph(graph, inputs, options, inference);
    return { outputs, captured, source: origin, order: { outputs: graphOutputs(graph), captured: [...new Set(t.capture)] } };
  } catch (e) {
    // a weight the checks refuse, at the key the request gave it
    throw atGivenWeightKey(e, asGiven);
  } finally {
    // the folds this run kept count now: the cache sheds its least recent models if it is over
    if (store) modelCache.trim();
  }
}

export interface FoldTask {
  weight: Tensor;
  bias: Tensor | null;
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  eps: number;
}

/**
 * Finite operands fold to finite weights, or the fold is refused: γ/√(var + eps) (computed in
 * float64) can scale a weight past float32's range (weight 1e17, var 0, eps 1e-45 gave ±Infinity,
 * answered null), at the running variance when the scale itself is past it, else at the weight.
 */
function checkFoldedFinite(t: FoldTask, folded: { weight: Float32Array; bias: Float32Array }): void {
  const operands = [t.weight, t.gamma, t.beta, t.runningMean, t.runningVar, t.bias].filter((x): x is Tensor => x !== null);
  if (operands.some((x) => !x.data.every(Number.isFinite))) return;
  const cout = folded.bias.length;
  const per = folded.weight.length / cout;
  const at = folded.weight.findIndex((v) => !Number.isFinite(v));
  const c = at >= 0 ? Math.floor(at / per) : folded.bias.findIndex((v) => !Number.isFinite(v));
  if (c < 0) return;
  const scale = t.gamma.data[c] / Math.sqrt(t.runningVar.data[c] + t.eps);
  const past = !Number.isFinite(Math.fround(scale));
  throw new ConvlensError('INVALID_TENSOR', `folding channel ${c} overflows float32: γ/√(var + eps) = ${scale} scales ${at >= 0 ? `weight[${at}] (${t.weight.data[at]})` : 'its bias'} past ±3.4028235e38`, {
    path: past ? '$.runningVar' : at >= 0 ? '$.weight' : '$.runningMean',
    index: c,
  });
}

export function foldTask(t: FoldTask): { weight: Tensor; bias: Tensor } {
  const cout = t.weight.shape[0];
  for (const [name, v] of [['gamma', t.gamma], ['beta', t.beta], ['runningMean', t.runningMean], ['runningVar', t.runningVar], ['bias', t.bias]] as const) {
    if (v && (v.shape.length !== 1 || v.shape[0] !== cout)) {
      throw new ConvlensError('SHAPE_MISMATCH', `${name} must be [${cout}] for a weight of [${t.weight.shape.join(', ')}], got [${v.shape.join(', ')}]`, { path: `$.${name}` });
    }
  }
  // a variance is never negative: var + eps ≤ 0 has no square root, and every folded value was null
  // (NaN). Summed in float32, as PyTorch's fuse sums them (rsqrt(var + eps)): 0 + 1e-320 is 0 there
  const negative = t.runningVar.data.findIndex((v) => !(Math.fround(v + Math.fround(t.eps)) > 0));
  if (negative >= 0) {
    throw new ConvlensError('INVALID_TENSOR', `runningVar[${negative}] is ${t.runningVar.data[negative]}: a variance plus eps (${t.eps}) must be positive in float32 to fold (σ = √(var + eps))`, {
      path: `$.runningVar`,
      index: negative,
    });
  }
  const folded = foldBatchNorm(t.weight.data, t.bias?.data ?? null, { gamma: t.gamma.data, beta: t.beta.data, mean: t.runningMean.data, variance: t.runningVar.data, eps: t.eps });
  checkFoldedFinite(t, folded);
  return { weight: tensor(t.weight.shape, folded.weight), bias: tensor([cout], folded.bias) };
}
