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
 * A video network's input is a clip [N, C, T, H, W]: its maps [N, C, T', H', W'] count as spatial, the
 * unit is [t, row, column], and the summary's maps sum channels and frames (analysis/erf.ts), with
 * the time axis apart in `temporal` (each frame's share, the unit's theoretical extent in frames).
 *
 * Random inputs are N(0, 1), drawn by Box–Muller from the seeded stream of input k. Luo et al.'s
 * setting (NIPS 2016, §4: random weights and random inputs, nonlinearities kept, averaged over
 * runs) also re-seeds the weights per input when they come from the seed; weights given in the
 * request or the file stay as given.
 */
import { layerDepths } from '../graph/walks.js';
import type { Inference } from '../analysis/infer.js';
import { ERF_HEATMAP_BYTES_PER_PIXEL, ERF_STAGE_BYTES_PER_PIXEL, ERF_SUMMARY_BYTES_PER_PIXEL, erfStats, frameShares, magnitudeMap, temporalExtent } from '../analysis/erf.js';
import type { ErfStats, ErfTemporal, TemporalUnit, UnitField } from '../analysis/erf.js';
import { heatmapPng } from '../analysis/erf-png.js';
import { erfSvg } from '../analysis/formats/erf-svg.js';
import { ConvlensError, fmtShape } from '../errors.js';
import { batchedShape, batchedView, checkReached, measuredInput, randomInputs, reachedFrom } from './erf-input.js';
import { loadCached, loadUncached } from './cached-load.js';
import { knownDigest } from './file-digest.js';
import { atGivenWeightKey, runtimeWeights } from '../graph/given-weights.js';
import { reportedRf } from '../ops/receptive-field.js';
import type { GraphOrigin, GraphSource } from '../graph/load.js';
import type { Graph } from '../graph/graph.js';
import { own } from '../records.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { backward, forwardForBackward, resolveTarget } from './backward.js';
import type { GradTarget, ResolvedTarget } from './backward.js';
import { chargeRun } from './memory-grant.js';
import { feedInputs, sizedByTensors } from './checks.js';
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
  /** The graph input the gradient is of (runtime/erf-input.ts); default: the first image or clip. */
  inputName?: string;
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
  /** The effective stride over frames (a clip's map); null for an image's. */
  temporalStride: number | null;
  shape: number[];
  field: UnitField;
  /** Channel-summed |gradient| of batch item 0, [H, W] row-major. */
  map: Float32Array;
}

export interface ErfGradientResult {
  source: GraphOrigin;
  /** The graph input the gradient is of. */
  input: string;
  /** The input is one unbatched sample ([C, H, W], [C, T, H, W]): its gradient has that shape, read as [1, …] (erf-input.ts). */
  unbatched: boolean;
  target: ResolvedTarget;
  field: UnitField;
  /** The unit along the clip's time axis; null for an image input. */
  temporal: TemporalUnit | null;
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
  /** The request's field that sizes the maps (erfSizedAt): where a refusal of their memory points. */
  sizedAt?: string;
}

export interface ErfStageSummary {
  layer: string;
  stride: [number, number];
  temporalStride: number | null;
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
  /** A clip's time axis: each frame's share of Σ|g| and the unit's theoretical extent; null for an image. */
  temporal: ErfTemporal | null;
  stages: ErfStageSummary[];
  png: Uint8Array | null;
  svg: string | null;
}

export type ErfTask = ErfGradientTask | ErfSummaryTask;

/**
 * The unit's field over the input's [h, w] (what the statistics read) and, for a clip, over its
 * frames. `rank`: the input's, 4 (an image) or 5 (a clip).
 */
function fieldOf(inference: Inference, t: ResolvedTarget, rank: number): { field: UnitField; temporal: TemporalUnit | null } {
  const rf = inference.tensors.get(t.tensor)?.rf;
  const spatial = rank - 2;
  // an image run as a one-frame clip (unsqueezed to [N, C, 1, H, W], then Conv3d or AvgPool3d): a map of
  // more axes than the input whose field is on its trailing ones; the unit's [row, column] are its last
  // coordinates, the axis between counts as channels do (PyTorch's x.grad of y[0, c, d, i, j])
  const lifted = !!rf && t.shape.length > rank && rf.dims.length === spatial && rf.dims.every((d, k) => d === t.shape.length - spatial + k);
  // the reverse pass seeds unit (c, i, j) of an N, C, H, W map (c, t, i, j of N, C, T, H, W): a
  // channels-last map (Swin's blocks, ConvNeXt's MLP) would be seeded along the wrong axes, whether
  // its field is local or global (a window that covers the whole map): a global field still names its spatial dims
  if (rf && t.position && rf.dims.length === spatial && !channelsFirst(rf) && !lifted) {
    throw new ConvlensError('INVALID_OPTION', `'${t.layer}' is a channels-last map (its spatial axes are dims ${rf.dims.join(', ')} of the tensor, not ${rf.dims.map((_, k) => k + 2).join(', ')}): choose an N, C, ${rank === 5 ? 'T, ' : ''}H, W map (the block's output after its permute back)`, { path: '$.layer' });
  }
  if (!rf || rf.global || !t.position) {
    return { field: { axes: rf?.axes ?? [], global: true, position: null }, temporal: rank === 5 ? { axis: null, position: null } : null };
  }
  // a 4-D map can carry the field of a 1-D or 3-D input (an N,C,L input unsqueezed): the ERF is of an image's 2-D fields or a clip's 3-D ones
  if (rf.axes.length !== spatial || (t.shape.length !== rank && !lifted)) {
    const over = rf.axes.length === 1 ? '1 axis' : `${rf.axes.length} axes`;
    const want = rank === 5 ? "a clip's [t, h, w] in a map [N, C, T, H, W]" : "an image's [h, w]";
    throw new ConvlensError('INVALID_OPTION', `'${t.layer}' ${fmtShape(t.shape)} carries a receptive field over ${over}, not ${want}: the effective receptive field is computed for maps of the input's axes only`, { path: '$.layer' });
  }
  const [h, w] = [rf.axes[spatial - 2], rf.axes[spatial - 1]];
  const at = t.position.length - spatial;
  const position: [number, number] = [t.position[at + spatial - 2], t.position[at + spatial - 1]];
  return { field: { axes: [h, w], global: false, position }, temporal: rank === 5 ? { axis: rf.axes[0], position: t.position[at] } : null };
}

/** A field over dims 2, 3 (N, C, H, W) or 2, 3, 4 (N, C, T, H, W), the layout the reverse pass seeds. */
function channelsFirst(rf: TensorRF): boolean {
  return (rf.dims.length === 2 || rf.dims.length === 3) && rf.dims.every((d, k) => d === k + 2);
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
export function stageOutputs(inference: Inference, target: ResolvedTarget, rule: StageRule = 'stride', rank = 4): { layer: string; stride: [number, number]; temporalStride: number | null }[] {
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
  // a clip's maps [N, C, T, H, W] (rank 5) by their stride over H and W, as an image's; the stride over frames told too
  const maps: { index: number; layer: string; stride: [number, number]; temporalStride: number | null }[] = [];
  [...ancestors]
    .sort((a, b) => a - b)
    .forEach((i) => {
      const a = inference.analysed[i];
      const t = inference.tensors.get(a.layer.outputs[0]);
      if (a.folded || !a.inferred || !t?.shape || t.shape.length !== rank || !t.rf || t.rf.global || t.rf.axes.length !== rank - 2 || !channelsFirst(t.rf) || !t.inputDependent) return;
      const [h, w] = t.rf.axes.slice(-2);
      maps.push({ index: i, layer: a.layer.name, stride: [reportedRf(h.j), reportedRf(w.j)], temporalStride: rank === 5 ? reportedRf(t.rf.axes[0].j) : null });
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
  return stages.map(({ layer, stride, temporalStride }) => ({ layer, stride, temporalStride }));
}

/**
 * The final feature map: the executed map [N, C, H, W] with the largest effective stride whose size
 * still follows the input, the last such one (when none does, the same over all maps). A map whose field turned global on the way (attention
 * over a whole 7×7 map, Swin's last stage) has no stride left: its downsampling is the input's area
 * over its own. structure.resolution judges local maps only and of any layout, so the two name
 * different layers where the last maps are channels-last (Swin's norm before the permute) or global
 * (where resolution is null).
 */
export function finalFeatureMap(graph: Graph, inference: Inference, from?: MeasuredFrom): string {
  // a network whose every map has a size of its own (one upsample to a size, an adaptive pool):
  // the same rule over those, rather than no default
  const best = deepestMap(graph, inference, true, from) ?? deepestMap(graph, inference, false, from);
  if (!best) {
    throw new ConvlensError('INVALID_OPTION', `'${graph.name}' has no spatial feature map to take the gradient of; name a layer`, { path: '$.layer' });
  }
  return best.layer;
}

/** The measured input (runtime/erf-input.ts): its shape, and the tensors it reaches. */
interface MeasuredFrom {
  shape: readonly number[];
  reached: ReadonlySet<string>;
}

function deepestMap(graph: Graph, inference: Inference, followsInput: boolean, from?: MeasuredFrom): { layer: string; stride: number; depth: number } | null {
  // an image's maps [N, C, H, W], or a clip's [N, C, T, H, W] (its H and W strides: a map deeper in time alone is not deeper):
  // the measured input's, among the maps it reaches (a two-stream network's other stream has maps of its own)
  const image = from?.shape ?? graph.inputs.find((i) => i.shape.length === 4 || i.shape.length === 5)?.shape;
  const rank = image?.length ?? 4;
  let best: { layer: string; stride: number; depth: number } | null = null;
  const depths = layerDepths(inference.analysed.map((a) => a.layer));
  for (const a of inference.analysed) {
    const t = inference.tensors.get(a.layer.outputs[0]);
    if (a.folded || !a.inferred || !t?.shape || t.shape.length !== rank || t.shape.includes(0) || !t.rf || !channelsFirst(t.rf) || (!t.rf.global && t.rf.axes.length !== rank - 2) || (followsInput && !t.inputDependent)) continue;
    if (from && !from.reached.has(a.layer.outputs[0])) continue;
    const [h, w] = t.shape.slice(-2);
    if (t.rf.global && (!image || h * w < 2)) continue;
    const [ih, iw] = image ? image.slice(-2) : [0, 0];
    const stride = t.rf.global ? (ih * iw) / (h * w) : t.rf.axes[rank - 4].j * t.rf.axes[rank - 3].j;
    // at one stride the deeper map, whatever order the branches are listed in (graph/walks.ts layerDepths)
    const depth = depths.get(a.layer.name) ?? 0;
    if (!best || stride > best.stride || (stride === best.stride && depth >= best.depth)) best = { layer: a.layer.name, stride, depth };
  }
  return best;
}

function gradientTask(t: ErfGradientTask): ErfGradientResult {
  const { maxWork, maxFolded } = taskLimits(t.limits);
  const given = Object.entries(t.inputs);
  // the given tensors size an ONNX file's dynamic inputs, as a run's do (checks.ts sizedByTensors):
  // a shape the file refuses is at that tensor, `$.inputs.<name>`
  const { source, located } = t.mode === 'given' ? sizedByTensors(t.source, given) : { source: t.source, located: <T>(load: () => T): T => load() };
  // every sample is a task that decodes the file: their decodes counted together, in each. From the
  // worker's model cache when the file's digest came with the task (runtime/file-digest.ts: hashing
  // it here costs more than its import), a spec or zoo model always: a sample's graph is a run's
  const cached = source.kind !== 'onnx' || knownDigest(source.bytes) !== undefined;
  const { graph, origin, inference } = located(() => (cached ? loadCached : loadUncached)(source, maxFolded, t.maxElements, t.samples ?? 1));
  // the measured input (runtime/erf-input.ts); random and luo draw every input, each from its own stream
  const { name: image, shape: imageShape, unbatched } = measuredInput(graph, t.inputName, inference.fieldInputs);
  // one unbatched sample [C, H, W] is measured as its batch of one: its maps read as [1, C, H', W'] (erf-input.ts batchedView);
  // the answer gives the network's own shapes (the unit's and the stages' [C, H', W'], the gradient the input's)
  const view = unbatched ? batchedView(inference, imageShape.length - 1) : inference;
  const rank = imageShape.length + (unbatched ? 1 : 0);
  const inputs = t.mode === 'given' ? feedInputs(graph, given, image) : randomInputs(graph, t.seed, t.index);
  const seed = t.mode === 'luo' ? (t.seed + t.index) >>> 0 : t.seed;
  const reached = reachedFrom(inference, image);
  // answered (and refused) in the shapes the network has: an unbatched sample's pooled map [C, H', W'] (the view's
  // [1, C, H', W'] is only how it is measured), a map the network batched itself [1, C, H', W'], a batch's as it is
  const networkShape = (tensor: string) => inference.tensors.get(tensor)?.shape;
  const answered = (r: ResolvedTarget): ResolvedTarget => ({ ...r, shape: [...(networkShape(r.tensor) ?? r.shape)] });
  const target = resolveTarget(graph, view, t.target.layer === '' ? { ...t.target, layer: finalFeatureMap(graph, view, { shape: batchedShape(imageShape, unbatched), reached }) } : t.target, '$', networkShape);
  // the stages the measured input reaches (not the other stream's of a two-stream network)
  const stageList = (t.stages ? stageOutputs(view, target, t.stageBy ?? 'stride', rank) : [])
    .map((s) => ({ ...s, target: resolveTarget(graph, view, { layer: s.layer, channels: null, position: null }) }))
    .filter((s) => reached.has(s.target.tensor));
  const stageTargets = stageList.map((s) => s.target);
  // a target the field refuses (a channels-last map) is refused before the forward runs
  const { field, temporal } = fieldOf(view, target, rank);
  // … and a unit the measured input does not reach (another input's stream)
  checkReached(graph, inference, answered(target), image, reached, t.inputName !== undefined);
  // its memory asked of the request before the forward runs (runtime/backward.ts), refused at the field that sizes it
  const sizedAt = erfSizedAt(t.mode, source);
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
    return { layer: st.layer, stride: stageList[k].stride, temporalStride: stageList[k].temporalStride, shape: answered(st).shape, field: fieldOf(view, st, rank).field, map: Float32Array.from(magnitudeMap(asBatched(g, unbatched))) };
  });
  const gradient = own(backward(state, target, true), image)!;
  return { source: origin, input: image, unbatched, target: answered(target), field, temporal, gradient, stages };
}

/** The request's field that sizes an ERF's maps: the given inputs, else the network's input (a model's resolution, a spec's inputs, an ONNX file's inputShape). */
export function erfSizedAt(mode: ErfInputMode, source: GraphSource): string {
  if (mode === 'given') return '$.inputs';
  if (source.kind !== 'onnx') return source.kind === 'model' ? '$.resolution' : `${source.at ?? '$'}.inputs`;
  return Object.keys(source.inputShapes).length > 0 ? '$.inputShape' : (source.at ?? 'body');
}

function summaryTask(t: ErfSummaryTask): ErfSummary {
  const [first] = t.parts;
  const [h, w] = first.gradient.shape.slice(-2);
  const averaged = !(t.mode === 'given' && t.parts.length === 1);
  // its maps and statistics' memory asked of the request before they are computed (analysis/erf.ts), at the field that sizes them
  const perPixel = ERF_SUMMARY_BYTES_PER_PIXEL + (first.stages.length > 0 ? ERF_STAGE_BYTES_PER_PIXEL : 0) + (t.heatmap ? ERF_HEATMAP_BYTES_PER_PIXEL : 0);
  chargeRun(t.sizedAt ?? '$')(h * w * perPixel + (averaged ? first.gradient.data.length * 4 : 0), `the ERF's statistics of its ${h}×${w} map`);
  let gradient: Tensor;
  if (!averaged) gradient = first.gradient;
  else {
    const acc = new Float32Array(first.gradient.data.length);
    for (const p of t.parts) for (let k = 0; k < acc.length; k++) acc[k] += Math.abs(p.gradient.data[k]);
    for (let k = 0; k < acc.length; k++) acc[k] /= t.parts.length;
    gradient = tensor(first.gradient.shape, acc);
  }
  // an unbatched sample's gradient [C, H, W] read as its batch of one's
  const batched = asBatched(gradient, first.unbatched);
  const map = magnitudeMap(batched);
  const stats = erfStats(map, [h, w], first.field);
  const stages = first.stages.map((s, i) => {
    const m = new Float64Array(h * w);
    for (const p of t.parts) for (let k = 0; k < m.length; k++) m[k] += p.stages[i].map[k];
    for (let k = 0; k < m.length; k++) m[k] /= t.parts.length;
    return { layer: s.layer, stride: s.stride, temporalStride: s.temporalStride, shape: s.shape, stats: erfStats(m, [h, w], s.field) };
  });
  // the target closes the growth table
  if (t.stages && first.field.position && !first.field.global) {
    stages.push({ layer: first.target.layer, stride: [first.field.axes[0].j, first.field.axes[1].j], temporalStride: first.temporal?.axis?.j ?? null, shape: first.target.shape, stats });
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
    // a clip's frames: their shares of the (mean) |gradient|, against the unit's extent over them
    temporal: first.temporal ? { frames: frameShares(batched), theoretical: temporalExtent(first.temporal, batched.shape[2]) } : null,
    stages,
    png,
    svg,
  };
}

/** A gradient in its batched view: an unbatched sample's [C, …] as [1, C, …], the same data. */
const asBatched = (g: Tensor, unbatched: boolean): Tensor => (unbatched ? { ...g, shape: batchedShape(g.shape, true) } : g);

export function erfTask(t: ErfTask): ErfGradientResult | ErfSummary {
  return t.kind === 'gradient' ? gradientTask(t) : summaryTask(t);
}
