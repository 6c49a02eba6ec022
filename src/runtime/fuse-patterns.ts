/**
 * Inference-time fusion of decomposed modules (issue 12), beside fuse.ts's conv → BN → add →
 * activation chains. An ONNX export writes a transformer-style MLP as separate nodes; run one by
 * one, each node allocates and sweeps a whole tensor (a ConvNeXt block's 1×56×56×384 hidden
 * tensor was written seven times). onnxruntime fuses the same groups (MatMul + bias Add, GELU).
 * Here, when the executor reaches a group's first layer it runs the group as one step:
 *
 *   linear → Add(bias)              the linear's kernel, then the bias added in place (the same
 *                                   float32 additions: bit for bit the unfused value);
 *   linear → Add(bias) → GELU       the same, with the GELU of each biased value in that pass;
 *   GELU (Div(√2) → Erf → Add(1) → Mul(x) → Mul(0.5), or the tanh form; analysis/patterns.ts)
 *                                   ops/activation-more.ts's gelu kernel, one pass;
 *   Transpose(NCHW → NHWC) → LayerNorm(last) → linear → Add(b₁) → GELU → linear → Add(b₂)
 *   → Transpose(NHWC → NCHW)        ConvNeXt's block MLP, run on the NCHW tensor (fuse-mlp.ts),
 *   (→ Mul(γ [C,1,1]) → Add(x))     with the layer scale and the residual in its last pass;
 *   Transpose → LayerNorm(last) → Transpose   LayerNorm2d: the layer norm over channels (bit for bit).
 *
 * The bias is a constant of the linear's output features ([Co], or [1, …, 1, Co]) and the add's
 * output has the linear's shape. GELU as one kernel is not bit for bit the five float32 ops (they
 * round after each step): within a few float32 ulps of them (test/runtime/fuse-patterns.test.ts).
 * The report is untouched: every node keeps its own cost (the patterns are reported as such).
 *
 * Legal as fuse.ts's chains are: every tensor inside a group is read only inside it, is not a
 * graph output and is not captured; a captured group output must be the unfused value, so a group
 * whose output is captured is not fused either. Never in training, never on a layer a fuse.ts
 * chain claims. The executor calls `run` in place of the group's layers and skips the others.
 */
import { findPatterns } from '../analysis/patterns.js';
import { fusionChains } from '../analysis/deployed.js';
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import type { Graph } from '../graph/graph.js';
import { executedLayers, graphOutputs } from '../graph/walks.js';
import { linear } from '../ops/linear.js';
import type { LinearAttrs } from '../ops/linear.js';
import { add, mul } from '../ops/merge.js';
import { transpose } from '../ops/movement.js';
import { layerNorm } from '../ops/norm-group.js';
import type { NormPlan } from '../ops/norm-group.js';
import { layerNormChannels, runChannelsLastMlp } from './fuse-mlp.js';
import type { ChannelsLastMlp, MlpSplit } from './fuse-mlp.js';
import { geluInPlace } from '../ops/activation-more.js';
import type { RunContext } from '../ops/types.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** One fused group as the executor runs it. */
export interface PatternRun {
  /** The group's first layer in execution order: the executor runs the group when it reaches it. */
  at: string;
  /** Every layer of the group (the executor runs none of them on its own). */
  layers: ReadonlySet<string>;
  /** What the step is called in per-op timings (RunOptions.onLayer). */
  opName: string;
  /** The group's output tensor(s) from the run's tensors and a layer's weights by role; a ConvNeXt MLP across the team when `splitMlp` takes it (RunOptions.splitMlp). */
  run(read: (tensor: string) => Tensor | undefined, weightsOf: (layer: string) => Record<string, Tensor>, splitMlp?: MlpSplit): [string, Tensor][];
}

type Approximate = 'none' | 'tanh';
type LinearPlan = { rows: number; inFeatures: number };

/** Groups to run fused, by each member layer's name (the same object for every member); empty when `skip`. */
export function planPatterns(graph: Graph, inference: Inference, skip: boolean, captured: ReadonlySet<string>): Map<string, PatternRun> {
  const plan = new Map<string, PatternRun>();
  if (skip) return plan;
  const executed = executedLayers(graph);
  const steps = inference.analysed.filter((a) => !a.folded && a.op && a.inferred && executed.has(a.layer.name));
  const order = new Map(steps.map((a, i) => [a.layer.name, i]));
  const byName = new Map(steps.map((a) => [a.layer.name, a]));
  const readers = new Map<string, AnalysedLayer[]>();
  // pushed, not copied: a tensor with k readers (one stem read by 10^5 layers) would cost k²/2
  for (const a of steps) for (const r of new Set(a.layer.inputs)) (readers.get(r) ?? readers.set(r, []).get(r)!).push(a);
  const mustWrite = new Set([...graphOutputs(graph), ...captured]);
  const claimed = fusionChains(graph, inference, captured).claimed;
  const free = (name: string) => byName.has(name) && !claimed.has(name) && !plan.has(name);
  /** Read only by these layers (all of them inside the group), not an output, not captured. */
  const internal = (t: string, inside: ReadonlySet<string>) => !mustWrite.has(t) && (readers.get(t) ?? []).every((r) => inside.has(r.layer.name));

  // GELUs by their input tensor, each usable once
  const gelus = new Map<string, { layers: string[]; output: string; approximate: Approximate }>();
  for (const p of findPatterns(graph)) {
    if (p.kind !== 'gelu' || !p.layers.every(free) || captured.has(p.output)) continue;
    const inside = new Set(p.layers);
    const inner = p.layers.flatMap((l) => byName.get(l)!.layer.outputs).filter((t) => t !== p.output);
    if (!inner.every((t) => internal(t, inside))) continue;
    gelus.set(p.input, { layers: p.layers, output: p.output, approximate: p.attributes.approximate === 'tanh' ? 'tanh' : 'none' });
  }

  const claim = (members: string[], run: PatternRun['run'], opName: string) => {
    const sorted = [...members].sort((a, b) => order.get(a)! - order.get(b)!);
    const group: PatternRun = { at: sorted[0], layers: new Set(sorted), opName, run };
    for (const m of sorted) plan.set(m, group);
  };

  /** The Add of a constant bias vector [Co] (or [1, …, 1, Co]) that alone reads linear `a`'s output. */
  const biasAfter = (a: AnalysedLayer): { addL: AnalysedLayer; biasName: string; sum: string } | null => {
    if (a.op !== linear || !free(a.layer.name) || a.layer.outputs.length !== 1) return null;
    const y = a.layer.outputs[0];
    const rs = readers.get(y) ?? [];
    const addL = rs[0];
    if (rs.length !== 1 || addL.op !== add || !free(addL.layer.name) || addL.layer.inputs.length !== 2 || mustWrite.has(y)) return null;
    const biasName = addL.layer.inputs[0] === y ? addL.layer.inputs[1] : addL.layer.inputs[0];
    const co = (a.layer.attrs as LinearAttrs).outFeatures;
    const outShape = a.inferred!.outputs[0];
    const biasShape = inference.tensors.get(biasName)?.shape;
    const isConstant = graph.constants.has(biasName) || inference.tensors.get(biasName)?.value != null;
    const sameShape = addL.inferred!.outputs[0].join() === outShape.join();
    // a vector along the output features: [Co] or [1, …, 1, Co], no more dims than the output
    const vector = biasShape != null && biasShape.length <= outShape.length && numel(biasShape) === co && biasShape[biasShape.length - 1] === co;
    if (!isConstant || !sameShape || !vector || biasName === y) return null;
    return { addL, biasName, sum: addL.layer.outputs[0] };
  };
  /** The GELU that alone reads `sum` (a bias Add's output), if `sum` need not be written. */
  const geluAfter = (sum: string) => {
    const g = gelus.get(sum);
    return g && g.layers.every(free) && internal(sum, new Set(g.layers)) && !mustWrite.has(sum) ? g : null;
  };
  /** The single reader of `t`, when `t` need not be written. */
  const soleReader = (t: string) => {
    const rs = readers.get(t) ?? [];
    return rs.length === 1 && !mustWrite.has(t) && free(rs[0].layer.name) ? rs[0] : null;
  };
  const isConst = (t: string) => graph.constants.has(t) || inference.tensors.get(t)?.value != null;
  const producerAt = new Map(steps.flatMap((a, i) => a.layer.outputs.map((o) => [o, i] as const)));
  /** `t` exists when layer `a` runs: a graph input, or produced by an earlier step. */
  const readyBefore = (t: string, a: AnalysedLayer) => (producerAt.has(t) ? producerAt.get(t)! < order.get(a.layer.name)! : graph.inputs.some((i) => i.name === t));
  const isTranspose = (a: AnalysedLayer | null | undefined, perm: string) => a?.op === transpose && (a.inferred!.plan as { perm: number[] }).perm.join() === perm;

  // ConvNeXt's channels-last MLP (fuse-mlp.ts): Transpose → LayerNorm(last) → linear → Add → GELU → linear → Add → Transpose
  for (const t1 of steps) {
    if (!isTranspose(t1, '0,2,3,1') || !free(t1.layer.name)) continue;
    const norm = soleReader(t1.layer.outputs[0]);
    const np = norm?.op === layerNorm ? (norm.inferred!.plan as NormPlan) : null;
    const channels = t1.inferred!.outputs[0][3];
    if (!norm || !np || np.inner !== 1 || np.size !== channels || np.affineA !== 1 || np.affineB !== 1 || np.running) continue;
    const fc1 = soleReader(norm.layer.outputs[0]);
    const first = fc1 && biasAfter(fc1);
    const gelu = first && geluAfter(first.sum);
    const fc2 = gelu && soleReader(gelu.output);
    const second = fc2 && biasAfter(fc2);
    const t2 = second && soleReader(second.sum);
    if (!fc1 || !first || !gelu || !fc2 || !second || !t2 || !isTranspose(t2, '0,3,1,2') || captured.has(t2.layer.outputs[0])) continue;
    // then, optionally, the layer scale (Mul by a constant [C, 1, 1]) and the residual Add of a tensor computed before t1
    const outShape = t2.inferred!.outputs[0];
    const scaleL = soleReader(t2.layer.outputs[0]);
    const scaleName = scaleL?.op === mul && scaleL.layer.inputs.length === 2 ? scaleL.layer.inputs.find((t) => t !== t2.layer.outputs[0]) : undefined;
    const scaleShape = scaleName === undefined ? null : inference.tensors.get(scaleName)?.shape ?? null;
    const perChannel = scaleShape !== null && numel(scaleShape) === outShape[1] && scaleShape.length >= 3 && scaleShape.slice(-2).every((d) => d === 1) && isConst(scaleName!);
    const resL = perChannel && scaleL!.inferred!.outputs[0].join() === outShape.join() ? soleReader(scaleL!.layer.outputs[0]) : null;
    const resName = resL?.op === add && resL.layer.inputs.length === 2 ? resL.layer.inputs.find((t) => t !== scaleL!.layer.outputs[0]) : undefined;
    const resReady = resName !== undefined && !isConst(resName) && inference.tensors.get(resName)?.shape?.join() === outShape.join() && readyBefore(resName, t1);
    const tail = resReady && resL!.inferred!.outputs[0].join() === outShape.join() ? { scaleL: scaleL!, scaleName: scaleName!, resL: resL!, resName: resName! } : null;
    const m: ChannelsLastMlp = {
      norm, fc1, bias1: first.biasName, approximate: gelu.approximate, fc2, bias2: second.biasName, outShape,
      residual: tail ? { scale: tail.scaleName, add: tail.resName } : null,
    };
    const input = t1.layer.inputs[0];
    const output = tail ? tail.resL.layer.outputs[0] : t2.layer.outputs[0];
    claim(
      [t1, norm, fc1, first.addL, fc2, second.addL, t2, ...(tail ? [tail.scaleL, tail.resL] : [])].map((a) => a.layer.name).concat(gelu.layers),
      (read, weightsOf, splitMlp) => [[output, runChannelsLastMlp(m, read(input)!, read, weightsOf, splitMlp)]],
      tail ? 'mlp+scale+residual (channels-first)' : 'mlp (channels-first)',
    );
    gelus.delete(first.sum);
  }

  // LayerNorm2d exported as Transpose → LayerNorm(last) → Transpose: the layer norm over channels
  // on the NCHW tensor (the same sums in the same order: bit for bit)
  for (const t1 of steps) {
    if (!isTranspose(t1, '0,2,3,1') || !free(t1.layer.name)) continue;
    const norm = soleReader(t1.layer.outputs[0]);
    const np = norm?.op === layerNorm ? (norm.inferred!.plan as NormPlan) : null;
    if (!norm || !np || np.inner !== 1 || np.size !== t1.inferred!.outputs[0][3] || np.affineA !== 1 || np.affineB !== 1 || np.running) continue;
    const t2 = soleReader(norm.layer.outputs[0]);
    if (!t2 || !isTranspose(t2, '0,3,1,2')) continue;
    const [input, output, shape] = [t1.layer.inputs[0], t2.layer.outputs[0], t2.inferred!.outputs[0]];
    claim([t1, norm, t2].map((a) => a.layer.name), (read, weightsOf) => [[output, tensor(shape, layerNormChannels(norm, read(input)!, weightsOf).data)]], 'layerNorm (channels)');
  }

  for (const a of steps) {
    const after = biasAfter(a);
    if (!after) continue;
    const { addL, biasName, sum } = after;
    const co = (a.layer.attrs as LinearAttrs).outFeatures;
    const outShape = a.inferred!.outputs[0];
    const withGelu = geluAfter(sum);
    const output = withGelu ? withGelu.output : sum;
    claim(
      [a.layer.name, addL.layer.name, ...(withGelu ? withGelu.layers : [])],
      (read, weightsOf) => {
        const yT = linear.run(linearContext(a, read(a.layer.inputs[0])!, weightsOf(a.layer.name)))[0];
        const bias = read(biasName)!.data;
        if (withGelu) geluInPlace(yT.data, withGelu.approximate, bias, co);
        else addRows(yT.data, bias, co);
        return [[output, tensor(outShape, yT.data)]];
      },
      withGelu ? 'linear+bias+gelu' : 'linear+bias',
    );
    if (withGelu) gelus.delete(sum);
  }

  for (const [input, g] of gelus) {
    if (!g.layers.every(free)) continue;
    const shape = inference.tensors.get(g.output)?.shape;
    if (!shape) continue;
    claim(
      g.layers,
      (read) => {
        const x = read(input)!;
        const out = Float32Array.from(x.data);
        geluInPlace(out, g.approximate, null, out.length || 1);
        return [[g.output, tensor(shape, out)]];
      },
      'gelu',
    );
  }
  return plan;
}

/** The linear layer's RunContext as the executor builds one (inference: no training, no seed use). */
function linearContext(a: AnalysedLayer, x: Tensor, weights: Record<string, Tensor>): RunContext<LinearAttrs, LinearPlan> {
  return { attrs: a.layer.attrs as LinearAttrs, plan: a.inferred!.plan as LinearPlan, inputs: [x], weights, outputs: a.inferred!.outputs, training: false, seed: 0 };
}

/** y[r·cols + c] += bias[c]: the bias add's float32 sums (b + y = y + b exactly). */
function addRows(y: Float32Array, bias: Float32Array, cols: number): void {
  for (let at = 0; at < y.length; at += cols) for (let c = 0; c < cols; c++) y[at + c] += bias[c];
}
