/**
 * The part of a run's plan that its graph, its inference and its mode decide alone, worked out
 * once per inference and kept with it (runtime/execute.ts runGraph reads it): which layer reads
 * each tensor last, the fusion groups and decomposed modules it runs as one step, the largest
 * weight any step from each on reads, the largest activation. A cached model's forwards and a
 * prepared operator call's calls (runtime/model-cache.ts, runtime/operator.ts keep the inference
 * object) take it from here: worked out afresh, it took 1.3–2.3 ms of each ResNet-50 forward's
 * setup (fusion and pattern planning, liveness), serial before the first kernel, and 0.1 ms of a
 * one-conv operator call in a worker.
 *
 * A plan is kept for the graph object, the executed set and the mode it was made for; a run with
 * another (a capture list, training, fusion off) makes its own and keeps the latest few. Nothing
 * in a plan holds a tensor: the fusion groups and pattern steps name layers and tensors only.
 */
import type { AnalysedLayer, Inference } from '../analysis/infer.js';
import type { Graph } from '../graph/graph.js';
import { numel } from '../tensor/tensor.js';
import { planFusions } from './fuse.js';
import type { FusionPlan } from './fuse.js';
import { planPatterns } from './fuse-patterns.js';
import type { PatternRun } from './fuse-patterns.js';
import { lastReaders } from './run-memory.js';

export interface RunPlan {
  /** Where each tensor is dropped: the index of its last running reader (runtime/run-memory.ts lastReaders). */
  lastUse: ReadonlyMap<string, number>;
  /** Batch norms, residual adds and activations run in their conv's step (runtime/fuse.ts). */
  fusion: FusionPlan;
  /** Decomposed modules (linear → bias add → GELU, ConvNeXt's MLP) run as one step (runtime/fuse-patterns.ts). */
  patterns: ReadonlyMap<string, PatternRun>;
  analysedByName: ReadonlyMap<string, AnalysedLayer>;
  /** laterWeights[i]: elements of the largest weight any step from i on reads (the weight pool lets go of larger scratch). */
  laterWeights: readonly number[];
  /** Bytes of the graph's largest activation (an output of any layer). */
  largest: number;
}

interface KeptPlan {
  graph: Graph;
  executed: ReadonlySet<string>;
  key: string;
  plan: RunPlan;
}

/** Plans kept per inference: a few modes each (a service runs a model one way, sometimes with captures). */
const KEPT_PER_INFERENCE = 4;
const kept = new WeakMap<Inference, KeptPlan[]>();

/**
 * The plan of a run of `graph` over `executed` (runtime/checks.ts checkRun: the same set object
 * for every run of an inference it checked before), fusion skipped when `skip` (training, or
 * RunOptions.fuse false), with `mustWrite` the tensors every step must write as the unfused graph
 * does (captures, float16 tensors).
 */
export function runPlan(graph: Graph, inference: Inference, executed: ReadonlySet<string>, skip: boolean, mustWrite: ReadonlySet<string>): RunPlan {
  // NUL never occurs in the names the key joins (a separator no name can hold would do as well)
  const key = `${skip ? 1 : 0}\u0000${[...mustWrite].sort().join('\u0000')}`;
  const plans = kept.get(inference) ?? [];
  const found = plans.find((p) => p.graph === graph && p.executed === executed && p.key === key);
  if (found) return found.plan;
  const plan = makePlan(graph, inference, executed, skip, mustWrite);
  kept.set(inference, [{ graph, executed, key, plan }, ...plans].slice(0, KEPT_PER_INFERENCE));
  return plan;
}

function makePlan(graph: Graph, inference: Inference, executed: ReadonlySet<string>, skip: boolean, mustWrite: ReadonlySet<string>): RunPlan {
  const { analysed } = inference;
  const laterWeights = new Array<number>(analysed.length + 1).fill(0);
  for (let i = analysed.length - 1; i >= 0; i--) {
    const specs = analysed[i].inferred?.weights ?? [];
    laterWeights[i] = specs.reduce((m, w) => Math.max(m, numel(w.shape)), laterWeights[i + 1]);
  }
  let largest = 0;
  for (const a of analysed) for (const o of a.inferred?.outputs ?? []) largest = Math.max(largest, numel(o) * 4);
  return {
    lastUse: lastReaders(analysed, executed),
    fusion: planFusions(graph, inference, skip, mustWrite),
    patterns: planPatterns(graph, inference, skip, mustWrite),
    analysedByName: new Map(analysed.map((x) => [x.layer.name, x])),
    laterWeights,
    largest,
  };
}
