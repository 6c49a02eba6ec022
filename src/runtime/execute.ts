/**
 * Runs a graph: the analyzer resolves shapes and plans (and rejects bad input before any work),
 * then each executed layer's kernel runs in topological order. Tensors are dropped after their
 * last reader, so peak memory follows the widest cut of the graph, not its sum.
 */
import { inferGraph } from '../analysis/infer.js';
import { executedLayers, graphOutputs } from '../graph/walks.js';
import type { Inference } from '../analysis/infer.js';
import { ConvlensError, fmtShape, jsonPath } from '../errors.js';
import { closest } from '../suggest.js';
import { numel } from '../ops/types.js';
import type { Graph, GraphLayer } from '../graph/graph.js';
import { hash32 } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { constantData, layerWeights } from './weights.js';
import type { WeightInit } from './weights.js';

export interface RunOptions {
  training: boolean;
  seed: number;
  weightInit: WeightInit;
  /** Weights by `<layer>.<role>`. */
  weights: Record<string, Tensor>;
  /** Intermediate tensors (layer names or tensor names) to return besides the outputs. */
  capture: string[];
  maxElements: number;
}

export interface RunResult {
  outputs: Record<string, Tensor>;
  captured: Record<string, Tensor>;
}

/** A kernel's error (an index out of range, found only in the data) names the layer and its path, as inference errors do. */
function withLayer(e: unknown, layer: GraphLayer): unknown {
  if (!(e instanceof ConvlensError) || e.details.layer !== undefined) return e;
  const prefix = `layer '${layer.name}': `;
  return new ConvlensError(e.code, e.message.startsWith(prefix) ? e.message : prefix + e.message, { ...e.details, path: layer.path, layer: layer.name });
}

/** Every given weight is some layer's: `<layer>.<role>` naming nothing is a 400 with the closest name, not silently ignored. */
function checkGivenWeights(analysed: Inference['analysed'], given: Record<string, Tensor>): void {
  const keys = Object.keys(given);
  if (keys.length === 0) return;
  const known = analysed.flatMap((a) => (a.inferred ? a.inferred.weights.map((w) => `${a.layer.name}.${w.name}`) : []));
  const knownSet = new Set(known);
  for (const key of keys) {
    if (knownSet.has(key)) continue;
    const suggestion = closest(key, known);
    throw new ConvlensError('INVALID_TENSOR', `weight '${key}' is no layer's weight (names are <layer>.<role>)${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
      path: jsonPath(['weights', key]),
      ...(suggestion ? { suggestion } : {}),
    });
  }
}

export function runGraph(graph: Graph, inputs: Record<string, Tensor>, opts: RunOptions, inference: Inference = inferGraph(graph)): RunResult {
  for (const inp of graph.inputs) {
    const t = inputs[inp.name];
    if (!t) throw new ConvlensError('INVALID_TENSOR', `no tensor for input '${inp.name}' ${fmtShape(inp.shape)}`, { path: `$.inputs.${inp.name}` });
    if (t.shape.length !== inp.shape.length || t.shape.some((d, i) => d !== inp.shape[i])) {
      throw new ConvlensError('SHAPE_MISMATCH', `input '${inp.name}' must be ${fmtShape(inp.shape)}, got ${fmtShape(t.shape)}`, {
        path: `$.inputs.${inp.name}`,
        shapes: { expected: inp.shape, given: t.shape },
      });
    }
  }
  const { analysed, tensors: infos } = inference;
  const executed = executedLayers(graph);
  for (const a of analysed) {
    if (!executed.has(a.layer.name) || a.folded) continue;
    if (!a.op || !a.inferred) {
      throw new ConvlensError('UNSUPPORTED_OPERATOR', `layer '${a.layer.name}' (${a.layer.source?.opType ?? a.layer.op}) cannot run in convlens`, {
        path: a.layer.path,
        layer: a.layer.name,
      });
    }
    for (const w of a.inferred.weights) {
      if (numel(w.shape) > opts.maxElements) {
        throw new ConvlensError('TENSOR_TOO_LARGE', `layer '${a.layer.name}' needs a ${w.name} of ${fmtShape(w.shape)}, over the ${opts.maxElements}-element limit`, {
          path: a.layer.path,
          layer: a.layer.name,
          shapes: { [w.name]: w.shape },
        });
      }
    }
    for (const out of a.inferred.outputs) {
      if (numel(out) > opts.maxElements) {
        throw new ConvlensError('TENSOR_TOO_LARGE', `layer '${a.layer.name}' would produce ${fmtShape(out)}, over the ${opts.maxElements}-element limit`, {
          path: a.layer.path,
          layer: a.layer.name,
          shapes: { output: out },
        });
      }
    }
  }

  checkGivenWeights(analysed, opts.weights);

  const outputNames = graphOutputs(graph);
  const wanted = new Set(outputNames);
  const captureTensors = new Map<string, string>();
  for (const name of opts.capture) {
    const layer = graph.layers.find((l) => l.name === name);
    const tensorName = layer ? layer.outputs[0] : name;
    if (!infos.has(tensorName)) throw new ConvlensError('UNKNOWN_INPUT', `capture: no layer or tensor named '${name}'`, { path: '$.capture' });
    captureTensors.set(name, tensorName);
    wanted.add(tensorName);
  }

  const lastUse = new Map<string, number>();
  analysed.forEach((a, i) => a.layer.inputs.forEach((r) => lastUse.set(r, i)));
  const live = new Map<string, Tensor>(Object.entries(inputs));
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
    layer.outputs.forEach((name, k) => {
      if (outs[k]) live.set(name, outs[k]);
    });
    for (const r of layer.inputs) if (lastUse.get(r) === i && !wanted.has(r)) live.delete(r);
  });

  const outputs: Record<string, Tensor> = {};
  for (const o of outputNames) outputs[o] = read(o)!;
  const captured: Record<string, Tensor> = {};
  for (const [name, t] of captureTensors) captured[name] = read(t)!;
  return { outputs, captured };
}
