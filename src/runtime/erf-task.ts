/**
 * The effective-receptive-field worker task, in two kinds:
 * - `gradient`: one input (given, or the k-th seeded random one), one forward pass and a reverse
 *   pass from the unit (runtime/backward.ts); with `stages`, also from the centre unit of every
 *   stage's output, reusing the same forward. K random inputs are K such tasks, spread over the
 *   pool's workers by the caller (runtime/erf.ts).
 * - `summary`: the K answers combined (the gradient itself for one given input, else the mean of
 *   |gradient| over the inputs), their channel-summed magnitude maps, the statistics of
 *   analysis/erf.ts, a PNG heatmap and an SVG.
 *
 * Random inputs are N(0, 1), drawn by Box–Muller from the seeded stream of input k. Luo et al.'s
 * setting (NIPS 2016, §4: random weights and random inputs, nonlinearities kept, averaged over
 * runs) also re-seeds the weights per input when they come from the seed; weights given in the
 * request or the file stay as given.
 */
import { inferGraph } from '../analysis/infer.js';
import { layerDepths } from '../graph/walks.js';
import type { Inference } from '../analysis/infer.js';
import { erfStats, magnitudeMap } from '../analysis/erf.js';
import type { ErfStats, UnitField } from '../analysis/erf.js';
import { heatmapPng } from '../analysis/erf-png.js';
import { erfSvg } from '../analysis/formats/erf-svg.js';
import { ConvlensError, fmtShape } from '../errors.js';
import { loadGraph } from '../graph/load.js';
import { atGivenWeightKey, runtimeWeights } from '../graph/given-weights.js';
import { reportedRf } from '../ops/receptive-field.js';
import type { GraphOrigin, GraphSource } from '../graph/load.js';
import type { Graph } from '../graph/graph.js';
import { dict, own } from '../records.js';
import { hash32, rng } from '../tensor/random.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { backward, forwardForBackward, resolveTarget } from './backward.js';
import type { GradTarget, ResolvedTarget } from './backward.js';
import { chargeFold, chargeGraph, chargeRun, withDecode } from './memory-grant.js';
import { atGivenInput, feedInputs } from './checks.js';
import { taskLimits } from './limits.js';
import type { EngineLimits } from './limits.js';
import type { TensorRF } from '../ops/types.js';
import type { WeightInit } from './weights.js';

export type ErfInputMode = 'given' | 'random' | 'luo';

export interface ErfGradientTask {
  kind: 'gradient';
  source: GraphSource;
  mode: ErfInputMode;
  /** Given inputs by name (mode given); a single unnamed one feeds the graph's only input. */
  inputs: Record<string, Tensor>;
  /** Which random input this is (modes random and luo). */
  index: number;
  /** The job's tasks in all (its samples): their work together is held to MAX_RUN_WORK. */
  samples?: number;
  weights: Record<string, Tensor>;
  weightInit: WeightInit;
  seed: number;
  target: GradTarget;
  /** Also the centre unit of every stage's output before the target. */
  stages: boolean;
  /** How stages are told apart: by effective stride (default) or module name prefix. */
  stageBy?: StageRule;
  maxElements: number;
  limits?: Partial<EngineLimits>;
}

export interface StageGradient {
  layer: string;
  stride: [number, number];
  shape: number[];
  field: UnitField;
  /** Channel-summed |gradient| of batch item 0, [H, W] row-major. */
  map: Float32Array;
}

export interface ErfGradientResult {
  source: GraphOrigin;
  /** The graph input the gradient is of. */
  input: string;
  target: ResolvedTarget;
  field: UnitField;
  gradient: Tensor;
  stages: StageGradient[];
}

export interface ErfSummaryTask {
  kind: 'summary';
  mode: ErfInputMode;
  parts: ErfGradientResult[];
  /** Draw a PNG and an SVG. */
  heatmap: boolean;
  /** The growth table: the stages' statistics, then the unit's own. */
  stages: boolean;
}

export interface ErfStageSummary {
  layer: string;
  stride: [number, number];
  shape: number[];
  stats: ErfStats;
}

export interface ErfSummary {
  source: GraphOrigin;
  input: string;
  target: ResolvedTarget;
  mode: ErfInputMode;
  inputs: number;
  /** The gradient (mode given, one input) or the mean of |gradient| over the inputs. */
  gradient: Tensor;
  /** Σ_c of |gradient| (or of the mean |gradient|) for batch item 0, [1, 1, H, W]. */
  magnitude: Tensor;
  stats: ErfStats;
  stages: ErfStageSummary[];
  png: Uint8Array | null;
  svg: string | null;
}

export type ErfTask = ErfGradientTask | ErfSummaryTask;

/** The image input: a 4-D graph input (the only input, or the first 4-D one). */
function imageInput(graph: Graph): string {
  const found = graph.inputs.find((i) => i.shape.length === 4);
  if (!found) {
    throw new ConvlensError('INVALID_OPTION', `an effective receptive field needs an image input [N, C, H, W]; the network's inputs are ${graph.inputs.map((i) => `${i.name} ${fmtShape(i.shape)}`).join(', ')}`, {
      path: '$.inputs',
    });
  }
  return found.name;
}

/** Standard normal values from the seeded stream (Box–Muller). */
export function normalInput(shape: readonly number[], seed: number): Tensor {
  const n = numel(shape);
  const out = new Float32Array(n);
  const random = rng(seed);
  for (let k = 0; k < n; k += 2) {
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    out[k] = r * Math.cos(2 * Math.PI * v);
    if (k + 1 < n) out[k + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return tensor(shape, out);
}

function fieldOf(inference: Inference, t: ResolvedTarget): UnitField {
  const rf = inference.tensors.get(t.tensor)?.rf;
  // the reverse pass seeds unit (c, i, j) of an N, C, H, W map: a channels-last map (Swin's blocks,
  // ConvNeXt's MLP) would be seeded along the wrong axes, whether its field is local or global (a
  // window that covers the whole map): a global field still names its spatial dims
  if (rf && t.position && rf.dims.length === 2 && !channelsFirst(rf)) {
    throw new ConvlensError('INVALID_OPTION', `'${t.layer}' is a channels-last map (its spatial axes are dims ${rf.dims.join(', ')} of the tensor, not 2, 3): choose an N, C, H, W map (the block's output after its permute back)`, { path: '$.layer' });
  }
  if (!rf || rf.global || !t.position) return { axes: rf?.axes ?? [], global: true, position: t.position };
  // a 4-D map can carry the field of a 1-D or 3-D input (an N,C,L input unsqueezed): the ERF is of 2-D fields
  if (rf.axes.length !== 2) {
    throw new ConvlensError('INVALID_OPTION', `'${t.layer}' carries a receptive field over ${rf.axes.length === 1 ? '1 axis' : `${rf.axes.length} axes`}, not an image's [h, w]: the effective receptive field is computed for 2-D maps only`, { path: '$.layer' });
  }
  return { axes: rf.axes, global: false, position: t.position };
}

/** A 2-D field over dims 2 and 3 (N, C, H, W), the layout the reverse pass seeds. */
function channelsFirst(rf: TensorRF): boolean {
  return rf.dims.length === 2 && rf.dims[0] === 2 && rf.dims[1] === 3;
}

export type StageRule = 'stride' | 'name';

/**
 * A layer's module prefix at `depth`: `layer1.0.conv1` → `layer1` (depth 1), `layer1.0` (2); an ONNX
 * export's `/layer1/layer1.0/conv1/Conv` → `layer1`, `layer1.0` (its path components, the op last).
 */
export function modulePrefix(name: string, depth: number): string {
  if (name.startsWith('/')) {
    const parts = name.split('/').filter(Boolean).slice(0, -1);
    return parts.length >= depth ? parts[depth - 1] : name;
  }
  const parts = name.split('.');
  return parts.length > depth ? parts.slice(0, depth).join('.') : name;
}

/**
 * The stages before the target: on the target's ancestry, maps [N, C, H, W] whose size follows
 * the input, grouped by effective stride (`stride`: a stage ends where the next downsampling
 * starts) or by module name (`name`: the shallowest prefix depth that splits them into two or more
 * groups, `layer1` … `layer4` in a ResNet, `features.0` … in a MobileNet); the last layer of each
 * group is the stage's output. The target itself closes the list (added by the summary).
 */
export function stageOutputs(inference: Inference, target: ResolvedTarget, rule: StageRule = 'stride'): { layer: string; stride: [number, number] }[] {
  const producer = new Map<string, number>();
  inference.analysed.forEach((a, i) => a.layer.outputs.forEach((o) => producer.set(o, i)));
  const ancestors = new Set<number>();
  const stack = [producer.get(target.tensor)].filter((i): i is number => i !== undefined);
  while (stack.length) {
    const i = stack.pop()!;
    if (ancestors.has(i)) continue;
    ancestors.add(i);
    for (const r of inference.analysed[i].layer.inputs) {
      const p = producer.get(r);
      if (p !== undefined) stack.push(p);
    }
  }
  const maps: { index: number; layer: string; stride: [number, number] }[] = [];
  [...ancestors]
    .sort((a, b) => a - b)
    .forEach((i) => {
      const a = inference.analysed[i];
      const t = inference.tensors.get(a.layer.outputs[0]);
      if (a.folded || !a.inferred || !t?.shape || t.shape.length !== 4 || !t.rf || t.rf.global || !channelsFirst(t.rf) || !t.inputDependent) return;
      maps.push({ index: i, layer: a.layer.name, stride: [reportedRf(t.rf.axes[0].j), reportedRf(t.rf.axes[1].j)] });
    });
  let key = (m: (typeof maps)[number]) => m.stride.join('x');
  if (rule === 'name') {
    let depth = 1;
    while (depth < 8 && new Set(maps.map((m) => modulePrefix(m.layer, depth))).size < 2) depth++;
    key = (m) => modulePrefix(m.layer, depth);
  }
  const last = new Map<string, (typeof maps)[number]>();
  for (const m of maps) {
    last.delete(key(m));
    last.set(key(m), m);
  }
  // the unit's own map is not a stage before it, whether it was named by its layer or by its tensor
  // (an ONNX output 'out' of node /c4/Conv was listed twice, as /c4/Conv and as out)
  const own = producer.get(target.tensor);
  const stages = [...last.values()].sort((a, b) => a.index - b.index).filter((st) => st.index !== own && st.layer !== target.layer);
  return stages.map(({ layer, stride }) => ({ layer, stride }));
}

/**
 * The final feature map: the executed map [N, C, H, W] with the largest effective stride whose size
 * still follows the input, the last such one (when none does, the same over all maps). A map whose field turned global on the way (attention
 * over a whole 7×7 map, Swin's last stage) has no stride left: its downsampling is the input's area
 * over its own. structure.resolution judges local maps only and of any layout, so the two name
 * different layers where the last maps are channels-last (Swin's norm before the permute) or global
 * (where resolution is null).
 */
export function finalFeatureMap(graph: Graph, inference: Inference): string {
  // a network whose every map has a size of its own (one upsample to a size, an adaptive pool):
  // the same rule over those, rather than no default
  const best = deepestMap(graph, inference, true) ?? deepestMap(graph, inference, false);
  if (!best) {
    throw new ConvlensError('INVALID_OPTION', `'${graph.name}' has no spatial feature map to take the gradient of; name a layer`, { path: '$.layer' });
  }
  return best.layer;
}

function deepestMap(graph: Graph, inference: Inference, followsInput: boolean): { layer: string; stride: number; depth: number } | null {
  const image = graph.inputs.find((i) => i.shape.length === 4)?.shape;
  let best: { layer: string; stride: number; depth: number } | null = null;
  const depths = layerDepths(inference.analysed.map((a) => a.layer));
  for (const a of inference.analysed) {
    const t = inference.tensors.get(a.layer.outputs[0]);
    if (a.folded || !a.inferred || !t?.shape || t.shape.length !== 4 || t.shape.includes(0) || !t.rf || !channelsFirst(t.rf) || (followsInput && !t.inputDependent)) continue;
    const [h, w] = [t.shape[2], t.shape[3]];
    if (t.rf.global && (!image || h * w < 2)) continue;
    const stride = t.rf.global ? (image![2] * image![3]) / (h * w) : t.rf.axes[0].j * t.rf.axes[1].j;
    // at one stride the deeper map, whatever order the branches are listed in (graph/walks.ts layerDepths)
    const depth = depths.get(a.layer.name) ?? 0;
    if (!best || stride > best.stride || (stride === best.stride && depth >= best.depth)) best = { layer: a.layer.name, stride, depth };
  }
  return best;
}

function gradientTask(t: ErfGradientTask): ErfGradientResult {
  const { maxWork, maxFolded } = taskLimits(t.limits);
  const given = Object.entries(t.inputs);
  let source = t.source;
  // one given tensor sizes an ONNX file's dynamic input, as a run's does (tasks.ts runTask): a shape
  // the file refuses is at that tensor, `$.inputs.<name>`
  const sized = source.kind === 'onnx' && given.length === 1 && Object.keys(source.inputShapes).length === 0;
  if (sized) source = { ...(source as Extract<GraphSource, { kind: 'onnx' }>), inputShapes: { '': given[0][1].shape }, shapesAt: '$.inputs' };
  // every sample is a task that decodes the file: their decodes counted together, in each
  const { graph, origin } = withDecode(source, t.samples ?? 1, () => atGivenInput(sized ? given[0][0] : null, () => loadGraph(source, { maxFolded, maxElements: t.maxElements, chargeFold: chargeFold(source) })));
  chargeGraph(graph, source);
  const inference = inferGraph(graph, { maxFolded });
  const image = imageInput(graph);
  const inputs = t.mode === 'given' ? feedInputs(graph, given, image) : dict(given);
  if (t.mode !== 'given') {
    if (graph.inputs.length !== 1) {
      throw new ConvlensError('INVALID_OPTION', `random inputs feed a network with one input; this one has ${graph.inputs.length} (${graph.inputs.map((i) => i.name).join(', ')}): give each its tensor in "inputs" (REST and GraphQL; the command line's --input takes one .npy, for a network of one input)`, { path: '$.input' });
    }
    inputs[image] = normalInput(graph.inputs[0].shape, (t.seed ^ hash32(`erf-input#${t.index}`)) >>> 0);
  }
  const seed = t.mode === 'luo' ? (t.seed + t.index) >>> 0 : t.seed;
  const target = resolveTarget(graph, inference, t.target.layer === '' ? { ...t.target, layer: finalFeatureMap(graph, inference) } : t.target);
  const stageList = t.stages ? stageOutputs(inference, target, t.stageBy ?? 'stride') : [];
  const stageTargets = stageList.map((s) => resolveTarget(graph, inference, { layer: s.layer, channels: null, position: null }));
  // a target the field refuses (a channels-last map) is refused before the forward runs
  const field = fieldOf(inference, target);
  // its memory asked of the request before the forward runs (runtime/backward.ts), refused at the
  // field that sizes it: the given inputs, else the network's input (a model's resolution, a spec's inputs, an ONNX file's inputShape)
  const sizedAt =
    t.mode === 'given' ? '$.inputs' : source.kind === 'model' ? '$.resolution' : source.kind === 'spec' ? `${source.at ?? '$'}.inputs` : Object.keys(source.inputShapes).length > 0 ? '$.inputShape' : (source.at ?? 'body');
  const asGiven = new Map<string, string>();
  const opts = { training: false, seed, weightInit: t.weightInit, weights: runtimeWeights(graph, inference.analysed, t.weights, asGiven), capture: [], maxElements: t.maxElements, maxWork, chargeMemory: chargeRun(sizedAt) };
  let state: ReturnType<typeof forwardForBackward>;
  try {
    state = forwardForBackward(graph, inputs, opts, inference, [target, ...stageTargets], t.samples ?? 1);
  } catch (e) {
    // a weight the checks refuse, at the key the request gave it
    throw atGivenWeightKey(e, asGiven);
  }
  const stages = stageTargets.map((st, k) => {
    const g = own(backward(state, st), image)!;
    return { layer: st.layer, stride: stageList[k].stride, shape: st.shape, field: fieldOf(inference, st), map: Float32Array.from(magnitudeMap(g)) };
  });
  const gradient = own(backward(state, target, true), image)!;
  return { source: origin, input: image, target, field, gradient, stages };
}

function summaryTask(t: ErfSummaryTask): ErfSummary {
  const [first] = t.parts;
  const [, , h, w] = first.gradient.shape;
  let gradient: Tensor;
  if (t.mode === 'given' && t.parts.length === 1) gradient = first.gradient;
  else {
    const acc = new Float32Array(first.gradient.data.length);
    for (const p of t.parts) for (let k = 0; k < acc.length; k++) acc[k] += Math.abs(p.gradient.data[k]);
    for (let k = 0; k < acc.length; k++) acc[k] /= t.parts.length;
    gradient = tensor(first.gradient.shape, acc);
  }
  const map = magnitudeMap(gradient);
  const stats = erfStats(map, [h, w], first.field);
  const stages = first.stages.map((s, i) => {
    const m = new Float64Array(h * w);
    for (const p of t.parts) for (let k = 0; k < m.length; k++) m[k] += p.stages[i].map[k];
    for (let k = 0; k < m.length; k++) m[k] /= t.parts.length;
    return { layer: s.layer, stride: s.stride, shape: s.shape, stats: erfStats(m, [h, w], s.field) };
  });
  // the target closes the growth table
  if (t.stages && first.field.position && !first.field.global) {
    stages.push({ layer: first.target.layer, stride: [first.field.axes[0].j, first.field.axes[1].j], shape: first.target.shape, stats });
  }
  const png = t.heatmap ? new Uint8Array(heatmapPng(map, h, w, stats.theoretical.box)) : null;
  const svg = t.heatmap ? erfSvg(map, stats, `effective receptive field of ${first.target.layer}`) : null;
  return {
    source: first.source,
    input: first.input,
    target: first.target,
    mode: t.mode,
    inputs: t.parts.length,
    gradient,
    magnitude: tensor([1, 1, h, w], Float32Array.from(map)),
    stats,
    stages,
    png,
    svg,
  };
}

export function erfTask(t: ErfTask): ErfGradientResult | ErfSummary {
  return t.kind === 'gradient' ? gradientTask(t) : summaryTask(t);
}
