/**
 * Input gradients of one output unit: a forward pass over the graph executor's plan that keeps only
 * what the reverse pass needs, then the reverse pass through each layer's vector-Jacobian product
 * (OpDef.vjp), weights held constant.
 *
 * Forward: only the layers the targets depend on run (a classifier after the chosen feature map
 * does not). A layer is on the backward path when a graph input reaches it and it reaches a target;
 * its inputs, forward outputs and weights are kept for its VJP (a VJP may read any of them: ReLU its
 * input, sigmoid its output, conv its weights). Every other tensor is dropped after its last forward
 * reader, as runGraph does.
 *
 * Backward: the seed is ∂L/∂y for L = Σ_{c ∈ channels} y[0, c, i, j] (a one at each chosen channel of
 * the unit, batch 0), then layers in reverse topological order; where a tensor fans out, its
 * gradients are summed. A layer whose op has no VJP fails with NO_GRADIENT naming it; so does a
 * unit whose gradient reaches no graph input because layers on its way pass none (an index, a shape,
 * an integer cast: the op's vjp answers null, as PyTorch's autograd finds no grad_fn), the first such
 * layer named. An input the unit does not depend on at all gets zeros. With
 * `release`, each kept tensor is dropped once the last layer reading it has been differentiated,
 * so one pass peaks at the forward's kept set, not twice it.
 */
import type { Inference } from '../analysis/infer.js';
import { ConvlensError, atLayer, fmtShape } from '../errors.js';
import type { Graph, GraphLayer } from '../graph/graph.js';
import type { OpDef, Shape } from '../ops/types.js';
import { closest } from '../suggest.js';
import { hash32 } from '../tensor/random.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRun, layerWork } from './checks.js';
import { runLimits } from './execute.js';
import type { RunOptions } from './execute.js';
import { layerWeights } from './weights.js';
import { liveTensors } from './live-tensors.js';
import { describeRunPeak, givenBytes, intermediateBytes, runPeak, runsKernel } from './run-memory.js';

/** Zeros of a given length, all views of one buffer: the stand-in for a tensor whose values a VJP does not read. */
function standIns(): (shape: readonly number[]) => Tensor {
  let buffer = new Float32Array(0);
  return (shape) => {
    const n = numel(shape);
    if (buffer.length < n) buffer = new Float32Array(n);
    return { shape: [...shape], data: buffer.subarray(0, n) };
  };
}

/** The unit whose input gradient is wanted. */
export interface GradTarget {
  /** A layer name (its first output) or a tensor name. */
  layer: string;
  /** Channels summed into the unit; null: all of them. */
  channels: number[] | null;
  /**
   * [row, column] in a map [N, C, H, W], [t, row, column] in a clip's map [N, C, T, H, W]; null: the
   * centre, ⌊H/2⌋, ⌊W/2⌋ (as PyTorch's `y[..., H // 2, W // 2]`), ⌊T/2⌋ too for a clip's.
   */
  position: number[] | null;
}

/** The target resolved: its tensor, shape and the unit chosen. */
export interface ResolvedTarget {
  layer: string;
  tensor: string;
  shape: number[];
  /** The chosen channels, each once; null: every channel (not listed: a layer of 16 M channels would make a 16 M-entry list before its size is checked). */
  channels: number[] | null;
  /** Row and column ([t, row, column] in a clip's map); null for a target without spatial axes (a linear layer's output). */
  position: number[] | null;
}

interface Step {
  index: number;
  layer: GraphLayer;
  op: OpDef;
  plan: unknown;
  outputs: Shape[];
  weights: Record<string, Tensor>;
  seed: number;
}

export interface ForwardState {
  graph: Graph;
  inference: Inference;
  /** Tensors kept for the reverse pass (and the targets themselves). */
  kept: Map<string, Tensor>;
  /** Layers on a path from a graph input to a target, in execution order. */
  steps: Step[];
  /** Tensors that depend on a graph input (only they carry gradients). */
  differentiable: Set<string>;
  targets: ResolvedTarget[];
}

/**
 * The axis of the unit's channels: the one before its position's (1 of [N, C, H, W] and [N, C, T, H, W],
 * 0 of an unbatched sample's map [C, H', W'] as an ERF answers it: runtime/erf-task.ts); 1 of features [N, C].
 */
const channelAxis = (t: ResolvedTarget): number => (t.position ? t.shape.length - t.position.length - 1 : 1);

/** The unit's channels as the answer gives them: null for all of them (left out, or every one listed). */
export const unitChannels = (t: ResolvedTarget): number[] | null => (t.channels === null || t.channels.length === t.shape[channelAxis(t)] ? null : t.channels);

/** How many channels the unit sums. */
export const unitChannelCount = (t: ResolvedTarget): number => t.channels?.length ?? t.shape[channelAxis(t)];

/**
 * A target checked against the analysed shapes: a known layer or tensor, channels and position in range. A refusal
 * quotes the map as `shown` gives it (an ERF's unbatched sample: the network's [C, H', W'] of the view's [1, C, H', W']).
 */
export function resolveTarget(graph: Graph, inference: Inference, t: GradTarget, path = '$', shown: (tensor: string) => readonly number[] | null | undefined = () => undefined): ResolvedTarget {
  const layer = graph.layers.find((l) => l.name === t.layer);
  const name = layer ? layer.outputs[0] : t.layer;
  const info = inference.tensors.get(name);
  if (!info || graph.inputs.some((i) => i.name === name)) {
    const names = graph.layers.map((l) => l.name);
    const isInput = graph.inputs.some((i) => i.name === t.layer);
    const suggestion = isInput ? undefined : closest(t.layer, names);
    const what = isInput ? `'${t.layer}' is the network's input, not a layer after it` : `no layer or tensor named '${t.layer}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
    throw new ConvlensError('UNKNOWN_INPUT', `${what} to take the gradient of (layers: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`, { path: `${path}.layer`, ...(suggestion && { suggestion }) });
  }
  const shape = info.shape ? [...info.shape] : null;
  if (!shape || (shape.length !== 5 && shape.length !== 4 && shape.length !== 2)) {
    throw new ConvlensError('INVALID_OPTION', `the gradient is taken of a feature map [N, C, H, W], a clip's map [N, C, T, H, W] or features [N, C]; '${t.layer}' is ${fmtShape(shown(name) ?? shape)}`, { path: `${path}.layer`, layer: t.layer });
  }
  const map = [...(shown(name) ?? shape)];
  const c = shape[1];
  const channels = t.channels;
  if (channels?.length === 0) throw new ConvlensError('INVALID_OPTION', 'channels is empty; leave it out to sum over all channels', { path: `${path}.channels` });
  channels?.forEach((ch, i) => {
    if (!Number.isInteger(ch) || ch < 0 || ch >= c) {
      throw new ConvlensError('INVALID_OPTION', `channel ${ch} is outside '${t.layer}', which has ${c} channels (0–${c - 1})`, { path: `${path}.channels[${i}]`, layer: t.layer, shapes: { map } });
    }
    // [5, 5] was read as [5]; PyTorch's y[0, [5, 5]].sum() counts it twice: refused, not guessed
    const first = channels.indexOf(ch);
    if (first < i) throw new ConvlensError('INVALID_OPTION', `channel ${ch} is given twice (channels[${first}] and channels[${i}]); the unit sums each channel once`, { path: `${path}.channels[${i}]`, layer: t.layer });
  });
  let position: number[] | null = null;
  if (shape.length > 2) {
    const spatial = shape.slice(2);
    const axisNames = spatial.length === 3 ? ['frames', 'rows', 'columns'] : ['rows', 'columns'];
    if (t.position && t.position.length !== spatial.length) {
      throw new ConvlensError('INVALID_OPTION', `position has ${t.position.length} entries; '${t.layer}' ${fmtShape(map)} is ${spatial.length === 3 ? "a clip's map: give [t, row, column]" : 'a map: give [row, column]'}`, {
        path: `${path}.position`,
        layer: t.layer,
        shapes: { map },
      });
    }
    position = t.position ? [...t.position] : spatial.map((n) => Math.floor(n / 2));
    position.forEach((p, axis) => {
      if (!Number.isInteger(p) || p < 0 || p >= spatial[axis]) {
        throw new ConvlensError('INVALID_OPTION', `position ${p} is outside '${t.layer}' ${fmtShape(map)} along ${axisNames[axis]} (0–${spatial[axis] - 1})`, {
          path: `${path}.position[${axis}]`,
          layer: t.layer,
          shapes: { map },
        });
      }
    });
  } else if (t.position) {
    throw new ConvlensError('INVALID_OPTION', `'${t.layer}' ${fmtShape(map)} has no spatial axes; leave position out`, { path: `${path}.position`, layer: t.layer });
  }
  return { layer: layer?.name ?? t.layer, tensor: name, shape, channels: channels ? [...channels] : null, position };
}

/**
 * The reverse pass's work against its layers' forward work (MAX_RUN_WORK, where an op states no
 * vjpWork): the VJPs of a conv (∂x as a transposed conv, its im2col scattered back), of a batch norm
 * and of a concat read and write about twice what the forward does. bench/erf-rates.ts measured 2026-12-05
 * (2 vCPU AMD EPYC, shared; one thread, after a warm-up): densenet121 at 224 forward 1.42–1.47 s,
 * reverse 2.78–3.13 s (1.9–2.2×); resnet50 forward 1.84–2.02 s, reverse 2.86–4.27 s (1.5–2.1×);
 * mobilenet_v2 forward 128 ms, reverse 715 ms (5.6×: the depthwise VJP, left at this rate).
 * Counted at 1 before, densenet121's ERF of 17 samples was 1.00e11 (under the limit) for 55–115 s.
 */
export const REVERSE_RATE = 2;

/**
 * Runs the forward pass for these targets, keeping what their reverse passes read. `passes`: how
 * many such forward and reverse passes the request makes in all (an ERF's samples, each a task of
 * its own), whose work together is held to MAX_RUN_WORK.
 */
export function forwardForBackward(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, inference: Inference, targets: ResolvedTarget[], passes = 1): ForwardState {
  const { analysed, tensors: infos } = inference;
  const producer = new Map<string, number>();
  analysed.forEach((a, i) => a.layer.outputs.forEach((o) => producer.set(o, i)));

  // layers the targets need (backwards from the targets) …
  const needed = new Set<number>();
  const stack = targets.map((t) => producer.get(t.tensor)).filter((i): i is number => i !== undefined);
  while (stack.length) {
    const i = stack.pop()!;
    if (needed.has(i)) continue;
    needed.add(i);
    for (const r of analysed[i].layer.inputs) {
      const p = producer.get(r);
      if (p !== undefined && !needed.has(p)) stack.push(p);
    }
  }
  // only those are checked against the limits: VGG's classifier (a [4096, 25088] weight, over
  // MAX_TENSOR_ELEMENTS) after the chosen feature map never runs, and refused every VGG's ERF
  const executed = checkRun(graph, inference, inputs, opts.weights, runLimits(opts), new Set([...needed].map((i) => analysed[i].layer.name)));
  // … and the tensors that depend on a graph input (forward from the inputs)
  const differentiable = new Set(graph.inputs.map((i) => i.name));
  const runs = (i: number) => needed.has(i) && runsKernel(analysed[i], executed);
  analysed.forEach((a, i) => {
    if (runs(i) && a.layer.inputs.some((r) => differentiable.has(r))) a.layer.outputs.forEach((o) => differentiable.add(o));
  });
  const onPath = (i: number) => runs(i) && analysed[i].layer.outputs.some((o) => differentiable.has(o));
  // a unit that no input reaches (an ONNX file's folded shape arithmetic, a constant) has a zero
  // gradient everywhere: it was answered as a field of no pixels
  for (const t of targets) {
    if (differentiable.has(t.tensor)) continue;
    throw new ConvlensError('NO_GRADIENT', `'${t.layer}' ${fmtShape(t.shape)} does not depend on the input (a constant, or computed from weights or shapes alone): its gradient is zero everywhere; choose a layer the input reaches`, {
      path: '$.layer',
      layer: t.layer,
    });
  }

  // MAX_RUN_WORK covers both passes: the reverse pass costs about REVERSE_RATE times what its
  // layers' forward does (at the forward's own rates: an op's runWork where it states one), or
  // what an op states its VJP costs (Inferred.vjpWork: einsum's VJP is its general loop)
  const limit = runLimits(opts).maxWork;
  let work = 0;
  let heaviest: { name: string; path: string; work: number } | null = null;
  analysed.forEach((a, i) => {
    if (!runs(i)) return;
    const forward = layerWork(a);
    const w = (forward + (onPath(i) ? (a.inferred?.vjpWork ?? REVERSE_RATE * forward) : 0)) * passes;
    work += w;
    if (!heaviest || w > heaviest.work) heaviest = { name: a.layer.name, path: a.layer.path, work: w };
  });
  if (work > limit && heaviest) {
    const h = heaviest as { name: string; path: string; work: number };
    throw new ConvlensError('WORK_TOO_LARGE', `the gradient would cost about ${work.toExponential(2)} units of work (the forward pass and the reverse pass through ${targets.map((t) => `'${t.layer}'`).join(', ')}${passes > 1 ? `, for all ${passes} samples together` : ''}), over the limit of ${limit.toExponential(2)} (MAX_RUN_WORK); the heaviest layer is '${h.name}'`, {
      path: h.path,
      layer: h.name,
      estimate: work,
      limit,
    });
  }

  const keep = new Set<string>(targets.map((t) => t.tensor));
  const lastUse = new Map<string, number>();
  analysed.forEach((a, i) => {
    if (!runs(i)) return;
    a.layer.inputs.forEach((r) => lastUse.set(r, i));
    if (!onPath(i)) return;
    const reads = a.op!.vjpReads?.(a.layer.attrs);
    if (reads?.inputs !== false) a.layer.inputs.forEach((r) => keep.add(r));
    if (reads?.outputs !== false) a.layer.outputs.forEach((r) => keep.add(r));
  });

  if (opts.chargeMemory) {
    // the forward's peak with what the reverse pass reads kept, and the weights its steps hold; the
    // reverse pass's gradients live from a tensor's last reader back to its producer, the forward's
    // own intervals reversed, so at most the forward's peak of activations more
    const ran = new Set(analysed.filter((_, i) => runs(i)).map((a) => a.layer.name));
    const held = runPeak(graph, inference, { executed: ran, keep, given: opts.weights, keepWeights: true });
    const gradients = runPeak(graph, inference, { executed: ran, keep: new Set(), given: opts.weights, viewsShareBuffers: false }).activations;
    // and the largest scratch a layer's VJP allocates for its step (attention's probabilities of every head)
    let reverseScratch = 0;
    analysed.forEach((a, i) => {
      if (onPath(i)) reverseScratch = Math.max(reverseScratch, intermediateBytes(a.inferred!.vjpIntermediates));
    });
    const given = givenBytes(inputs, opts.weights);
    const bytes = held.bytes + gradients + reverseScratch;
    if (held.layer !== null) opts.chargeMemory(bytes + given, describeRunPeak({ ...held, bytes, gradients, reverseScratch }, 'computing the gradient', given));
  }

  const { live, read } = liveTensors(graph, inputs, infos);

  const steps: Step[] = [];
  const kept = new Map<string, Tensor>();
  analysed.forEach((a, i) => {
    if (!runs(i)) return;
    const { layer, op, inferred } = a;
    const ins = layer.inputs.map(read) as Tensor[];
    const weights = layerWeights(layer, inferred!.weights, graph.constants, opts.weights, opts.weightInit, opts.seed);
    const seed = opts.seed ^ hash32(layer.name);
    let outs: Tensor[];
    try {
      outs = op!.run({ attrs: layer.attrs, plan: inferred!.plan, inputs: ins, weights, outputs: inferred!.outputs, training: false, seed });
    } catch (e) {
      throw atLayer(e, layer);
    }
    layer.outputs.forEach((name, k) => {
      if (outs[k]) live.set(name, outs[k]);
    });
    if (onPath(i)) steps.push({ index: i, layer, op: op!, plan: inferred!.plan, outputs: inferred!.outputs, weights, seed });
    for (const r of layer.inputs) if (lastUse.get(r) === i && !keep.has(r)) live.delete(r);
  });
  for (const name of keep) {
    const t = live.get(name) ?? (graph.constants.has(name) || infos.get(name)?.value ? read(name) : undefined);
    if (t) kept.set(name, t);
  }
  return { graph, inference, kept, steps, differentiable, targets };
}

/** ∂L/∂y: ones at the unit's chosen channels in batch 0, zeros elsewhere. */
export function seedGradient(t: ResolvedTarget): Tensor {
  const g = tensor(t.shape);
  const spatial = t.shape.slice(2);
  const plane = numel(spatial);
  // the unit's offset within one channel's map, row-major over its spatial axes
  const at = (t.position ?? []).reduce((o, p, axis) => o * spatial[axis] + p, 0);
  if (t.channels) for (const ch of t.channels) g.data[ch * plane + at] = 1;
  else for (let ch = 0; ch < t.shape[1]; ch++) g.data[ch * plane + at] = 1;
  return g;
}

/** a + b into a fresh tensor (neither may be written: a VJP may hand back a view of its gradOutput). */
function sum(a: Tensor, b: Tensor, name: string): Tensor {
  if (a.data.length !== b.data.length) throw new ConvlensError('INTERNAL', `gradients of '${name}' disagree in shape: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const out = new Float32Array(a.data.length);
  const x = a.data;
  const y = b.data;
  for (let k = 0; k < out.length; k++) out[k] = x[k] + y[k];
  return { shape: [...a.shape], data: out };
}

/**
 * The gradient of the target unit with respect to every graph input (by name; an input the unit
 * does not depend on gets zeros). `release` frees kept tensors as the pass goes (the state cannot
 * serve another target afterwards).
 */
export function backward(state: ForwardState, target: ResolvedTarget, release = false): Record<string, Tensor> {
  const { graph, kept, steps, differentiable } = state;
  const standIn = standIns();
  const grads = new Map<string, Tensor>();
  const owned = new Set<Tensor>();
  // in the tensor's own shape: a map of one unbatched sample [C, H, W] is resolved as its batch of one [1, C, H, W] (runtime/erf-input.ts batchedView), the same data
  const seed = seedGradient(target);
  const shape = state.inference.tensors.get(target.tensor)?.shape;
  grads.set(target.tensor, shape && shape.length !== seed.shape.length && numel(shape) === seed.data.length ? { ...seed, shape: [...shape] } : seed);
  owned.add(grads.get(target.tensor)!);
  // the last step (in forward order) reading each kept tensor, to release it once passed
  const firstReader = new Map<string, number>();
  if (release) steps.forEach((s, k) => [...s.layer.inputs, ...s.layer.outputs].forEach((r) => firstReader.has(r) || firstReader.set(r, k)));
  // the first layer (from the unit back) that took a gradient and passed none on
  let stopped: Step | null = null;
  for (let k = steps.length - 1; k >= 0; k--) {
    const s = steps[k];
    const gradOutputs = s.layer.outputs.map((o) => grads.get(o) ?? null);
    if (gradOutputs.every((g) => g === null)) continue;
    if (!s.op.vjp) {
      throw new ConvlensError('NO_GRADIENT', `layer '${s.layer.name}' (${s.op.name}) has no vector-Jacobian product yet, so the gradient cannot pass through it; choose a layer before it`, {
        path: s.layer.path,
        layer: s.layer.name,
        op: s.op.name,
      });
    }
    const shapeOf = (r: string) => state.inference.tensors.get(r)?.shape ?? [];
    const inputs = s.layer.inputs.map((r) => (r === '' ? undefined : (kept.get(r) ?? standIn(shapeOf(r))))) as Tensor[];
    const forward = s.layer.outputs.map((o) => kept.get(o) ?? standIn(shapeOf(o))) as Tensor[];
    let gin: (Tensor | null)[];
    try {
      gin = s.op.vjp({ attrs: s.layer.attrs, plan: s.plan, inputs, weights: s.weights, outputs: s.outputs, training: false, seed: s.seed, forward, gradOutputs });
    } catch (e) {
      throw atLayer(e, s.layer);
    }
    for (const o of s.layer.outputs) grads.delete(o);
    if (!stopped && !s.layer.inputs.some((r, i) => gin[i] && differentiable.has(r))) stopped = s;
    s.layer.inputs.forEach((r, i) => {
      const g = gin[i];
      if (!g || !differentiable.has(r)) return;
      const prev = grads.get(r);
      if (!prev) {
        grads.set(r, g);
        return;
      }
      if (owned.has(prev)) {
        const a = prev.data;
        const b = g.data;
        for (let e = 0; e < a.length; e++) a[e] += b[e];
      } else {
        const s2 = sum(prev, g, r);
        owned.add(s2);
        grads.set(r, s2);
      }
    });
    if (release) for (const r of [...s.layer.inputs, ...s.layer.outputs]) if (firstReader.get(r) === k && !graph.inputs.some((i) => i.name === r)) kept.delete(r);
  }
  const cut = stopped as Step | null;
  if (cut && !graph.inputs.some((i) => grads.has(i.name))) {
    throw new ConvlensError('NO_GRADIENT', `no gradient of '${target.layer}' reaches an input: layer '${cut.layer.name}' (${cut.op.name}) passes none to its inputs (its output does not vary smoothly with them: an index, a shape, an integer), as PyTorch's autograd finds no grad_fn; choose a layer before it`, {
      path: cut.layer.path,
      layer: cut.layer.name,
      op: cut.op.name,
    });
  }
  const out: Record<string, Tensor> = Object.create(null);
  for (const inp of graph.inputs) {
    const shape = kept.get(inp.name)?.shape ?? inp.shape;
    out[inp.name] = grads.get(inp.name) ?? tensor(shape, new Float32Array(numel(shape)));
  }
  return out;
}
