/**
 * Runs a graph: the analyzer resolves shapes and plans (and rejects bad input before any work),
 * then each executed layer's kernel runs in topological order. Tensors are dropped after their
 * last reader, so peak memory follows the widest cut of the graph, not its sum. At inference the
 * deployed graph's fusion groups run fused (runtime/fuse.ts): batch norms folded into the conv
 * before them, the residual add and the activation in place on its output; the per-layer timing
 * hook then times a group as its host. Weights are read through a WeightStore: views into the
 * file where aligned, else decoded (and folded) into pooled scratch freed after each step, so a
 * run holds the file once, never a decoded or folded copy of the whole model.
 */
import { inferGraph } from '../analysis/infer.js';
import { graphOutputs } from '../graph/walks.js';
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import { ConvlensError, atLayer } from '../errors.js';
import { closest } from '../suggest.js';
import { dict, own } from '../records.js';
import type { Graph } from '../graph/graph.js';
import { hash32 } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { tensor } from '../tensor/tensor.js';
import { withEpilogue } from '../tensor/gemm.js';
import type { WeightSpec } from '../ops/types.js';
import { layerWeights, weightAllocation } from './weights.js';
import { checkRun } from './checks.js';
import type { RunLimits } from './checks.js';
import { envLimits } from './limits.js';
import { batchNormInPlace, foldGroup, fusedStepBytes, residualTail } from './fuse.js';
import { runPlan } from './run-plan.js';
import { WeightStore } from './weight-store.js';
import { collectYoung, detach } from './memory.js';
import { lentAnswers } from './lent-answers.js';
import type { RunGroup, RunMember } from './fuse.js';
import { checkRunShapes } from './run-shapes.js';
import { liveTensors } from './live-tensors.js';
import { askRunMemory } from './run-memory.js';
import { checkAnswer } from './answer-bound.js';
import { answerTensor, float16Inputs, float16Tensors, roundFloat16Outputs } from './float16-run.js';
import { largeBuffers, largeBuffersInUse, withLargeBuffers } from '../tensor/large-buffers.js';

import type { RunOptions, RunResult, SplitEpilogue } from './run-options.js';

export type { RunOptions, RunResult, SharedRegions, SplitEpilogue, SplitResult } from './run-options.js';

/** A capture that names no layer or tensor: at its place in the list, with the closest layer name. */
export function unknownCapture(name: string, index: number, layers: readonly string[]): ConvlensError {
  const suggestion = closest(name, layers);
  return new ConvlensError('UNKNOWN_INPUT', `capture[${index}]: no layer or tensor named '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`, {
    path: `$.capture[${index}]`,
    ...(suggestion ? { suggestion } : {}),
  });
}

/** A capture of a layer no declared output depends on (a training-only head): inference does not run it. */
function notRunCapture(name: string, index: number, layer: string): ConvlensError {
  const what = name === layer ? `layer '${layer}'` : `'${name}' (an output of layer '${layer}')`;
  return new ConvlensError('INVALID_OPTION', `capture[${index}]: ${what} does not run at inference (no declared output depends on it); declare it an output of the network to run it`, {
    path: `$.capture[${index}]`,
    layer,
  });
}

/** The options' limits: MAX_TENSOR_ELEMENTS as given, MAX_RUN_WORK as given or from the environment. */
export function runLimits(opts: Pick<RunOptions, 'maxElements' | 'maxWork'>): RunLimits {
  return { maxElements: opts.maxElements, maxWork: opts.maxWork ?? envLimits().maxWork };
}

export function runGraph(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, inference: Inference = inferGraph(graph)): RunResult {
  const executed = checkRun(graph, inference, inputs, opts.weights, runLimits(opts));
  // an ONNX graph's float16 tensors: rounded after the layer that writes each, answered as float16 (runtime/float16-run.ts)
  const half = float16Tensors(graph);
  inputs = float16Inputs(graph, inputs, half);
  const { analysed, tensors: infos } = inference;

  // '' is ONNX's omitted optional tensor: never an output (a staged prefix may list it: run-staged.ts)
  const outputNames = graphOutputs(graph).filter((o) => o !== '');
  const wanted = new Set(outputNames);
  const layerByName = new Map(graph.layers.map((l) => [l.name, l]));
  const captureTensors = new Map<string, string>();
  for (const [k, name] of opts.capture.entries()) {
    const layer = layerByName.get(name);
    const tensorName = layer ? layer.outputs[0] : name;
    if (!infos.has(tensorName)) throw unknownCapture(name, k, [...layerByName.keys()]);
    const producer = layer ?? graph.layers.find((l) => l.outputs.includes(tensorName));
    if (producer && !executed.has(producer.name)) throw notRunCapture(name, k, producer.name);
    captureTensors.set(name, tensorName);
    wanted.add(tensorName);
  }
  // an answer over its limit from the inferred shapes: refused before the first kernel (answer-bound.ts)
  checkAnswer(opts.answer, graph, inference, opts.capture);

  const weightStore = opts.store ?? new WeightStore();
  // tensors every step must write as the unfused graph does: the captures, and float16 ones (each rounded)
  const mustWrite = new Set([...captureTensors.values(), ...half]);
  // where each tensor is dropped (after its last running reader: a folded Shape of it holds nothing),
  // the fused steps, decomposed modules (linear → bias add → GELU, a lone GELU) run as one step
  // (runtime/fuse-patterns.ts): kept with the inference (runtime/run-plan.ts)
  const { lastUse, fusion, patterns, analysedByName, laterWeights, largest } = runPlan(graph, inference, executed, opts.training || opts.fuse === false, mustWrite);
  // the run's peak memory, asked of the request before any kernel runs (weights its store keeps, or
  // reads in place from the file, allocate nothing; a fused host's step holds its fold besides)
  let enclosingAt: ((layer: string) => number) | undefined;
  if (opts.chargeMemory) {
    const weightBytes = (a: AnalysedLayer, spec: WeightSpec) => weightAllocation(a.layer, spec, graph.constants, opts.weights, opts.weightInit, opts.seed, weightStore);
    const fusedBytes = (a: AnalysedLayer) => {
      const group = fusion.groups.get(a.layer.name);
      if (!group) return 0;
      // a host weight decoded from the file is this step's scratch, which the fold writes in place
      const spec = a.inferred!.weights.find((w) => w.name === 'weight');
      const inScratch = spec !== undefined && opts.weightInit === 'file' && own(a.layer.weights, 'weight') !== undefined && weightBytes(a, spec) > 0;
      return fusedStepBytes(group, (m) => m.inferred!.weights.reduce((sum, w) => (w.unread ? sum : sum + weightBytes(m, w)), 0), inScratch);
    };
    // a member with no in-place kernel (PReLU) runs its own kernel in the host's step: its output is new there (runMember)
    const writtenIn = (a: AnalysedLayer) => {
      const group = fusion.memberOf.get(a.layer.name);
      const m = group?.members.find((x) => x.a === a);
      return m && m.kind !== 'foldBatchNorm' && !a.op?.runInPlace ? group!.host.layer.name : undefined;
    };
    const answer = [...outputNames, ...captureTensors.values()];
    enclosingAt = askRunMemory(opts.chargeMemory, graph, inference, { executed, keep: new Set(captureTensors.values()), given: opts.weights, inputs, answer, weightBytes, fusedBytes, writtenIn, constantBytes: (c) => weightStore.lastingBytes(c), training: opts.training, held: opts.heldBytes ?? 0, enclosing: opts.enclosingBytes });
  }
  // a constant read as a layer input stays live across steps: its own array when it must be decoded
  const { live, read } = liveTensors(graph, inputs, infos, (c) => weightStore.values(c, true), half);
  /** This step's results: the store's scratch they hold is not handed out again. */
  let stepResults: Float32Array[] = [];

  const givenKeys = Object.keys(opts.weights);
  /** Members already run in their host's step (the epilogue, while the buffer is warm). */
  const done = new Set<string>();
  const weightsOf = (a: AnalysedLayer, inPlace = true) => layerWeights(a.layer, a.inferred!.weights, graph.constants, opts.weights, opts.weightInit, opts.seed, weightStore, inPlace);
  const context = (a: AnalysedLayer, ins: Tensor[], weights: Record<string, Tensor>, weightScale?: Float64Array) => ({
    attrs: a.layer.attrs,
    plan: a.inferred!.plan,
    inputs: ins,
    weights,
    outputs: a.inferred!.outputs,
    training: opts.training,
    seed: opts.seed ^ hash32(a.layer.name),
    // a control-flow op (an ONNX Loop body, one iteration) runs its sub-graph with this run's options (its own weight store: the body is another graph),
    // its memory asked on top of what this run holds at this step
    runSubgraph: (g: unknown, ins: Record<string, Tensor>, inf: unknown) =>
      runGraph(g as Graph, ins, { ...opts, capture: [], onLayer: undefined, store: undefined, answer: undefined, enclosingBytes: enclosingAt?.(a.layer.name) }, inf as Inference).outputs,
    teamLinear: opts.splitLinear,
    teamHeads: opts.splitHeads,
    ...(weightScale && { weightScale }),
  });
  /** A layer whose output the run returns (an output, a capture), or any without `shared` to give regions back to: a split hook leaves it out of shared memory. */
  const kept = (a: AnalysedLayer) => !opts.shared || a.layer.outputs.some((o) => wanted.has(o));
  const runKernel = (a: AnalysedLayer, weights: Record<string, Tensor>): Tensor[] => {
    try {
      const ctx = context(a, a.layer.inputs.map(read) as Tensor[], weights);
      return opts.split?.(a.op!, ctx, kept(a))?.outputs ?? a.op!.run(ctx);
    } catch (e) {
      throw atLayer(e, a.layer);
    }
  };
  /**
   * The host's kernel, split across threads when opts.split takes it (offered `offer`: what the
   * group applies after the host, which the split may apply in its bands), else here with `map`
   * (the activation) as its GEMM epilogue. `applied`: the offer (or map) was applied to the whole
   * output; a host that mapped only part of it (a path that adds its bias after the GEMM) runs
   * again without it: all or nothing.
   */
  const runHost = (a: AnalysedLayer, weights: Record<string, Tensor>, keep: boolean, offer?: SplitEpilogue, map?: (v: Float32Array) => void, scale?: Float64Array): { outputs: Tensor[]; applied: boolean } => {
    try {
      const ctx = context(a, a.layer.inputs.map(read) as Tensor[], weights, scale);
      const split = opts.split?.(a.op!, ctx, keep, offer);
      if (split) return { outputs: split.outputs, applied: offer !== undefined && split.mapped };
      if (!map) return { outputs: a.op!.run(ctx), applied: false };
      const { result, covered } = withEpilogue(map, () => a.op!.run(ctx));
      if (result.length === 1 && covered === result[0].data.length) return { outputs: result, applied: true };
      return { outputs: covered > 0 ? a.op!.run(ctx) : result, applied: false };
    } catch (e) {
      throw atLayer(e, a.layer);
    }
  };
  /**
   * A kernel's outputs become live. A data-dependent size (the rows NonMaxSuppression keeps) is
   * analysed at its bound; when the real one differs and a later layer reads it, that layer was
   * planned for the bound: refused (400) rather than run on a wrong plan. A graph output or a
   * captured tensor nothing reads keeps its real size.
   */
  const store = (a: AnalysedLayer, outs: Tensor[]) => {
    // (read later: a running layer reads it, lastReaders)
    checkRunShapes(a.layer, outs, a.inferred!.outputs, (name) => lastUse.has(name));
    roundFloat16Outputs(a.layer.outputs, outs, half);
    a.layer.outputs.forEach((name, k) => {
      if (outs[k]) live.set(name, outs[k]);
    });
    for (const t of outs) if (t) stepResults.push(t.data);
  };
  /** A fused member on the chain's buffer: a batch norm not folded into the weights, the add or the activation in place. */
  const runMember = (m: RunMember, foldedIntoWeights: boolean) => {
    const { a } = m;
    const buffer = read(a.layer.inputs[m.target])!;
    try {
      if (m.kind === 'foldBatchNorm') {
        if (!foldedIntoWeights) batchNormInPlace(buffer, a, weightsOf(a));
        store(a, [buffer]);
      } else if (a.op!.runInPlace) {
        store(a, [a.op!.runInPlace(context(a, a.layer.inputs.map(read) as Tensor[], weightsOf(a)), m.target)]);
      } else {
        store(a, runKernel(a, weightsOf(a)));
      }
    } catch (e) {
      throw atLayer(e, a.layer);
    }
    done.add(a.layer.name);
  };
  /**
   * The activation a host's GEMM applies as it copies its outputs out: the member right after the
   * batch norms folded into its weights, a point-wise map with an in-place kernel and no weights
   * (ReLU, ReLU6, Clip, …: OpDef.fusesIntoConvEpilogue). A host split across threads is offered it
   * (runHost); when the split does not apply it, the activation runs after it as usual.
   */
  const epilogueMember = (group: RunGroup, folded: number): RunMember | null => {
    const m = group.members[folded];
    if (opts.epilogue === false || !m || m.kind !== 'activation') return null;
    const op = m.a.op;
    return op?.runInPlace && op.fusesIntoConvEpilogue && m.a.inferred?.weights.length === 0 ? m : null;
  };
  /** The host with its batch norms folded in, then each member whose inputs are ready (an add waits for its residual). */
  const runGroup = (group: RunGroup) => {
    // weights given with the request are folded afresh (a name prefix may over-match: that only skips the cache)
    const given = [group.host, ...group.members.map((m) => m.a)].some((a) => givenKeys.some((k) => k.startsWith(`${a.layer.name}.`)));
    // a run without a team folds a batch norm as the conv packs its weight (no copy of it: foldGroup's scale)
    const { weights, folded, scale } = foldGroup(group, given ? null : `${opts.weightInit}:${opts.seed}`, weightsOf, weightStore, !opts.split);
    const act = epilogueMember(group, folded);
    // a split host may also add the residual and apply the activation after it in its bands
    const tail = !act && opts.split && opts.epilogue !== false && group.residual !== null && live.has(group.residual) ? residualTail(group, folded) : null;
    // the members the host may apply as it writes its output, and what it is offered for them
    let offer: SplitEpilogue | undefined;
    let map: ((v: Float32Array) => void) | undefined;
    let applies: RunMember[] = [];
    if (tail) {
      offer = { residual: read(group.residual!)!, ...(tail.act && { op: tail.act.a.op!, attrs: tail.act.a.layer.attrs }) };
      applies = [tail.add, ...(tail.act ? [tail.act] : [])];
    } else if (act) {
      // the activation in the GEMM's copy-out (tensor/gemm.ts withEpilogue): the same kernel on the
      // same final values, while they are in cache; one context for every call (the host's output
      // is not computed yet: its slot takes each view)
      const ins = act.a.layer.inputs.map((name, i) => (i === act.target ? tensor([0], new Float32Array(0)) : read(name))) as Tensor[];
      const ctx = context(act.a, ins, weightsOf(act.a));
      map = (v: Float32Array) => {
        ins[act.target] = tensor([v.length], v);
        act.a.op!.runInPlace!(ctx, act.target);
      };
      offer = { op: act.a.op!, attrs: act.a.layer.attrs };
      applies = [act];
    }
    const host = runHost(group.host, weights, [group.host, ...applies.map((m) => m.a)].some(kept), offer, map, scale);
    const inBands = new Set(host.applied ? applies : []);
    store(group.host, host.outputs);
    group.members.forEach((m, k) => {
      if (k > 0 && !done.has(group.members[k - 1].a.layer.name)) return;
      if (m.kind === 'residualAdd' && group.residual !== null && !live.has(group.residual)) return;
      if (inBands.has(m)) {
        // already applied: its output is the host's buffer
        store(m.a, [read(m.a.layer.inputs[m.target])!]);
        done.add(m.a.layer.name);
      } else runMember(m, k < folded);
    });
  };

  // Memory follows liveness: a tensor's buffer is freed when its last reader has run (detached,
  // then a scavenge; runtime/memory.ts), unless something else holds it: a live tensor (a reshape
  // shares its input's buffer), a wanted output, the caller's inputs, the file's bytes (constants
  // are views into it), the weight store's buffers, or shared memory.
  const foreign = new Set<ArrayBufferLike>(Object.values(inputs).map((t) => t.data.buffer));
  for (const c of graph.constants.values()) if (c.raw) foreign.add(c.raw.buffer);
  const freeable = (buffer: ArrayBufferLike): buffer is ArrayBuffer => {
    if (!(buffer instanceof ArrayBuffer) || foreign.has(buffer) || weightStore.holds(buffer)) return false;
    return live.viewsOf(buffer).length === 0;
  };
  // regions of shared memory the split hook allocates in this run (from this mark on) are the run's to give back
  const sharedMark = opts.shared?.mark();
  /** A dead tensor's region of shared memory, when this run took it, goes back unless a live tensor views part of it (a reshape shares its input's). */
  const releaseShared = (data: Float32Array) => {
    const region = opts.shared?.regionOf(data, sharedMark);
    if (!region) return;
    for (const t of live.viewsOf(data.buffer)) if (t.data.byteOffset < region[1] && t.data.byteOffset + t.data.byteLength > region[0]) return;
    opts.shared!.release(data);
  };
  // bytes of tensors dropped since the last scavenge, and the bytes live now (computed tensors)
  let dropped = 0;
  let liveBytes = 0;
  for (const t of live.values()) liveBytes += t.data.byteLength;
  // dead buffers of at least 16 MiB go to the thread's pool, for the next large tensor of this run or
  // (a cached model's) the next run, instead of fresh pages (tensor/large-buffers.ts); what it holds
  // free stays within the largest activation or scratch buffer asked for
  const nested = largeBuffersInUse();
  largeBuffers.cap = Math.max(nested || opts.store ? largeBuffers.cap : 0, largest);
  // and what it still holds when it ends, however it ends
  try {
    withLargeBuffers(() => analysed.forEach((a, i) => {
      const { layer, op, inferred } = a;
      if (!executed.has(layer.name) || a.folded || !op || !inferred) return;
      const member = fusion.memberOf.get(layer.name);
      const group = fusion.groups.get(layer.name);
      const pattern = patterns.get(layer.name);
      // a member run in its host's step is timed with the host (the epilogue runs inside its step);
      // a pattern is timed at its first layer under its own name, its other layers not at all
      const timed = pattern ? pattern.at === layer.name : !member || !done.has(layer.name);
      const started = opts.onLayer ? performance.now() : 0;
      if (pattern) {
        if (pattern.at === layer.name) {
          try {
            for (const [name, t] of pattern.run(read, (n) => weightsOf(analysedByName.get(n)!), opts.splitMlp)) {
              roundFloat16Outputs([name], [t], half);
              live.set(name, t);
              stepResults.push(t.data);
            }
          } catch (e) {
            throw atLayer(e, layer);
          }
        }
      } else if (member) {
        if (!done.has(layer.name)) runMember(member.members.find((m) => m.a === a)!, false);
      } else if (group) runGroup(group);
      else store(a, runKernel(a, weightsOf(a)));
      try {
        weightStore.endStep(stepResults);
      } catch (e) {
        throw atLayer(e, layer);
      }
      dropped += weightStore.trimPool(laterWeights[i + 1]);
      for (const d of stepResults) liveBytes += d.byteLength;
      stepResults = [];
      if (timed) opts.onLayer?.(layer, pattern ? pattern.opName : op.name, performance.now() - started);
      // the inputs this step read last, and its outputs no running layer reads (a pooling's unread indices)
      for (const r of [...layer.inputs.filter((x) => lastUse.get(x) === i), ...layer.outputs.filter((o) => !lastUse.has(o))]) {
        if (wanted.has(r)) continue;
        const t = live.get(r);
        if (t && live.delete(r)) {
          liveBytes -= t.data.byteLength;
          if (freeable(t.data.buffer)) {
            const letGo = largeBuffers.letGo;
            if (!largeBuffers.give(t.data.buffer)) {
              dropped += t.data.byteLength;
              detach(t.data.buffer);
            } else dropped += largeBuffers.letGo - letGo; // what the pool let go past its cap (this buffer, or smaller ones)
          } else releaseShared(t.data);
        }
      }
      // dead activations are freed when they amount to half of what is live, or half the graph's
      // largest activation (which the run holds at some point anyway), at least 1 MiB: the run never
      // holds much more than its peak live set, and a scavenge (0.3–1.4 ms, freeing the buffers
      // included) is not forced after nearly every step of a net whose late activations are small
      // (MobileNetV2: 16 → 8 scavenges per forward, its CPU time about 13 % less at load ~7; peak
      // RSS unchanged within the noise: 1.34–1.36× for MobileNetV2, 1.41–1.47× for ResNet-18)
      if (dropped > Math.max(1 << 20, liveBytes / 2, largest / 2)) {
        collectYoung();
        dropped = 0;
      }
    }));

    // a result that is a view into the file (a constant output, or a reshape of one) is copied: the
    // worker moves results' buffers to the caller, and the file's buffer must stay where it is
    const fileBuffers = new Set<ArrayBufferLike>();
    for (const c of graph.constants.values()) if (c.raw) fileBuffers.add(c.raw.buffer);
    // so is one in shared memory (the arena's regions go back when the run ends; one of a team
    // replaced mid-run would pin its whole arena), unless lent to the answer (an operator call's
    // output its team wrote into a buffer lent to the main thread: runtime/lent-answers.ts)
    const result = (t: Tensor): Tensor => (fileBuffers.has(t.data.buffer) || (!(t.data.buffer instanceof ArrayBuffer) && !lentAnswers.pendingHolds(t.data.buffer)) ? { shape: t.shape, data: t.data.slice() } : t);
    const outputs = dict(outputNames.map((o) => [o, answerTensor(o, result(read(o)!), half)] as const));
    const captured = dict([...captureTensors].map(([name, t]) => [name, answerTensor(t, result(read(t)!), half)] as const));
    return { outputs, captured };
  } finally {
    // a failed run too: its scratch goes back and its pool is let go (a cached store outlives it)
    weightStore.endRun();
    // a cached model's next run finds its large buffers again; any other run's go
    if (!nested && !opts.store) largeBuffers.cap = 0;
    largeBuffers.trim(largeBuffers.cap);
    if (sharedMark !== undefined) opts.shared!.endRun(sharedMark);
  }
}
