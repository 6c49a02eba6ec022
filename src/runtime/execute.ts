/**
 * Runs a graph: the analyzer resolves shapes and plans (and rejects bad input before any work),
 * then each executed layer's kernel runs in topological order. Tensors are dropped after their
 * last reader, so peak memory follows the widest cut of the graph, not its sum.
 */
import { inferGraph } from '../analysis/infer.js';
import { graphOutputs } from '../graph/walks.js';
import type { Inference } from '../analysis/infer.js';
import { ConvlensError } from '../errors.js';
import { dict, own } from '../records.js';
import type { Graph, GraphLayer } from '../graph/graph.js';
import { hash32 } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { constantData } from '../graph/constant-data.js';
import { layerWeights } from './weights.js';
import type { WeightInit } from './weights.js';
import { checkRun } from './checks.js';
import type { RunLimits } from './checks.js';
import { envLimits } from './limits.js';

export interface RunOptions {
  training: boolean;
  seed: number;
  weightInit: WeightInit;
  /** Weights by `<layer>.<role>`. */
  weights: Record<string, Tensor>;
  /** Intermediate tensors (layer names or tensor names) to return besides the outputs. */
  capture: string[];
  maxElements: number;
  /** Most work the run may cost (MAX_RUN_WORK); from the environment when absent. */
  maxWork?: number;
  /** Called after each executed layer with its kernel's wall time (benchmarks: time by op type). */
  onLayer?: (layer: GraphLayer, opName: string, ms: number) => void;
}

export interface RunResult {
  /** By output name; no prototype, so any name (`constructor`, `__proto__`) is an entry. */
  outputs: Record<string, Tensor>;
  captured: Record<string, Tensor>;
}

/** A kernel's error (an index out of range, found only in the data) names the layer and its path, as inference errors do. */
function withLayer(e: unknown, layer: GraphLayer): unknown {
  if (!(e instanceof ConvlensError) || e.details.layer !== undefined) return e;
  const prefix = `layer '${layer.name}': `;
  return new ConvlensError(e.code, e.message.startsWith(prefix) ? e.message : prefix + e.message, { ...e.details, path: layer.path, layer: layer.name });
}

/** The options' limits: MAX_TENSOR_ELEMENTS as given, MAX_RUN_WORK as given or from the environment. */
export function runLimits(opts: Pick<RunOptions, 'maxElements' | 'maxWork'>): RunLimits {
  return { maxElements: opts.maxElements, maxWork: opts.maxWork ?? envLimits().maxWork };
}

export function runGraph(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, inference: Inference = inferGraph(graph)): RunResult {
  const executed = checkRun(graph, inference, inputs, opts.weights, runLimits(opts));
  const { analysed, tensors: infos } = inference;

  const outputNames = graphOutputs(graph);
  const wanted = new Set(outputNames);
  const layerByName = new Map(graph.layers.map((l) => [l.name, l]));
  const captureTensors = new Map<string, string>();
  for (const name of opts.capture) {
    const layer = layerByName.get(name);
    const tensorName = layer ? layer.outputs[0] : name;
    if (!infos.has(tensorName)) throw new ConvlensError('UNKNOWN_INPUT', `capture: no layer or tensor named '${name}'`, { path: '$.capture' });
    captureTensors.set(name, tensorName);
    wanted.add(tensorName);
  }

  const lastUse = new Map<string, number>();
  analysed.forEach((a, i) => a.layer.inputs.forEach((r) => lastUse.set(r, i)));
  const live = new Map<string, Tensor>(graph.inputs.map((inp) => [inp.name, own(inputs, inp.name)!]));
  const read = (name: string): Tensor | undefined => {
    if (name === '') return undefined;
    const t = live.get(name);
    if (t) return t;
    const c = graph.constants.get(name);
    if (c) {
      const data = constantData(c);
      if (!data) throw new ConvlensError('INVALID_TENSOR', `constant '${name}' has no data in the file`, { path: '$.model' });
      const ct = tensor(c.shape, data);
      live.set(name, ct);
      return ct;
    }
    const info = infos.get(name);
    if (info?.value && info.shape) return tensor(info.shape, Float32Array.from(info.value.data));
    throw new ConvlensError('INTERNAL', `tensor '${name}' was not computed`);
  };

  analysed.forEach((a, i) => {
    const { layer, op, inferred } = a;
    if (!executed.has(layer.name) || a.folded || !op || !inferred) return;
    const ins = layer.inputs.map(read) as Tensor[];
    const weights = layerWeights(layer, inferred.weights, graph.constants, opts.weights, opts.weightInit, opts.seed);
    let outs: Tensor[];
    const started = opts.onLayer ? performance.now() : 0;
    try {
      outs = op.run({
        attrs: layer.attrs,
        plan: inferred.plan,
        inputs: ins,
        weights,
        outputs: inferred.outputs,
        training: opts.training,
        seed: opts.seed ^ hash32(layer.name),
      });
    } catch (e) {
      throw withLayer(e, layer);
    }
    opts.onLayer?.(layer, op.name, performance.now() - started);
    layer.outputs.forEach((name, k) => {
      if (outs[k]) live.set(name, outs[k]);
    });
    for (const r of layer.inputs) if (lastUse.get(r) === i && !wanted.has(r)) live.delete(r);
  });

  const outputs = dict(outputNames.map((o) => [o, read(o)!] as const));
  const captured = dict([...captureTensors].map(([name, t]) => [name, read(t)!] as const));
  return { outputs, captured };
}
