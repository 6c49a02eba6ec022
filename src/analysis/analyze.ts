/**
 * The analyzer: walks the graph in topological order, asks each op for its output shapes, weights,
 * costs and receptive-field rule, and assembles the report (layers, outputs, totals, structure,
 * warnings). The runtime reads the same op definitions, so analysis and execution cannot disagree.
 */
import { ConvlensError, fmtShape, jsonPath } from '../errors.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import { INPUT_RF, centre } from '../ops/receptive-field.js';
import { numel } from '../ops/types.js';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import type { Inferred, OpDef, Shape, TensorRF, TensorValue, Warning } from '../ops/types.js';
import type { Graph, GraphLayer } from '../spec/graph.js';
import { DTYPES, REPORT_SCHEMA_VERSION } from './report.js';
import type { AnalyzeOptions, LayerReport, Report, ReportWarning } from './report.js';
import { describeStructure } from './structure.js';
import { structuralWarnings } from './warnings.js';

/** What the analyzer knows about a tensor: shape, value, receptive field, and whether its spatial size follows the input's. */
export interface TensorInfo {
  shape: Shape | null;
  /** Known values of a small constant-valued tensor (folded shape arithmetic), else null. */
  value: TensorValue | null;
  rf: TensorRF | null;
  /** Spatial size depends on the input resolution (false after adaptive or global pooling, and for constants). */
  inputDependent: boolean;
}

/** A layer as analysed: the op, what it inferred, and its place in the graph. */
export interface AnalysedLayer {
  layer: GraphLayer;
  op: OpDef | null;
  inferred: Inferred | null;
  inputShapes: Shape[];
  rf: TensorRF | null;
  /** Every output is a known constant: shape arithmetic folded away, not a layer of the network. */
  folded: boolean;
}

export const FLOP_DESCRIPTIONS = {
  '2macs': '2·MACs of conv/linear + element-wise FLOPs of BN, activations, pooling, add, resampling (+ bias adds when includeBias)',
  macs: 'MACs of conv/linear only, as torchvision and fvcore count "FLOPs"; element-wise work and bias excluded',
  seed: "the notes' exact count: (2·K·K·M/g − 1)·H'·W'·N for conv, (2·Ci − 1)·Co for linear, + element-wise FLOPs (+ bias adds when includeBias)",
} as const;

/** The layer that writes each tensor. */
function producers(graph: Graph): Map<string, GraphLayer> {
  const out = new Map<string, GraphLayer>();
  for (const l of graph.layers) for (const o of l.outputs) out.set(o, l);
  return out;
}

/** Kahn's algorithm in spec order; a leftover layer is on a cycle. */
export function topologicalOrder(graph: Graph): GraphLayer[] {
  const producer = producers(graph);
  const pending = new Map<GraphLayer, number>();
  const readers = new Map<GraphLayer, GraphLayer[]>();
  for (const l of graph.layers) {
    const deps = new Set(l.inputs.map((r) => producer.get(r)).filter((p): p is GraphLayer => p !== undefined));
    for (const d of deps) readers.set(d, [...(readers.get(d) ?? []), l]);
    pending.set(l, deps.size);
  }
  const ready = graph.layers.filter((l) => pending.get(l) === 0);
  const order: GraphLayer[] = [];
  for (let i = 0; i < ready.length; i++) {
    const l = ready[i];
    order.push(l);
    for (const r of readers.get(l) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (order.length !== graph.layers.length) {
    const stuck = new Set(graph.layers.filter((l) => pending.get(l)! > 0));
    const cycle = findCycle(stuck, producer);
    throw new ConvlensError('CYCLE', `layers form a cycle: ${cycle.map((l) => l.name).join(' → ')}`, {
      path: cycle[0].path,
      layer: cycle[0].name,
      cycle: cycle.map((l) => l.name),
    });
  }
  return order;
}

function findCycle(stuck: Set<GraphLayer>, producer: Map<string, GraphLayer>): GraphLayer[] {
  let cur = stuck.values().next().value as GraphLayer;
  const seen = new Map<GraphLayer, number>();
  const walk: GraphLayer[] = [];
  while (!seen.has(cur)) {
    seen.set(cur, walk.length);
    walk.push(cur);
    cur = cur.inputs.map((r) => producer.get(r)).find((p): p is GraphLayer => p !== undefined && stuck.has(p))!;
  }
  const loop = walk.slice(seen.get(cur)!).reverse();
  return [...loop, loop[0]];
}

function failer(layer: GraphLayer, shapes: Shape[]) {
  return (code: ErrorCode, message: string, field?: string | (string | number)[], details: ErrorDetails = {}): never => {
    const fieldPath = field === undefined ? [] : Array.isArray(field) ? field : [field];
    const path = fieldPath.length ? layer.path + jsonPath(fieldPath).slice(1) : layer.path;
    throw new ConvlensError(code, message, {
      path,
      layer: layer.name,
      shapes: Object.fromEntries(shapes.map((s, i) => [`input${i}`, s])),
      ...details,
      ...(layer.source ? { opType: layer.source.opType } : {}),
    });
  };
}

export interface Inference {
  analysed: AnalysedLayer[];
  tensors: Map<string, TensorInfo>;
  /** What the receptive-field rules noticed (misaligned paths, data-dependent fields). */
  warnings: Warning[];
}

/**
 * Shape inference, value folding and receptive fields over the whole graph; throws on the first
 * invalid layer. The analyzer and the executor share one inference of a graph.
 */
export function inferGraph(graph: Graph): Inference {
  const warnings: Warning[] = [];
  const warn = (w: Warning) => warnings.push(w);
  const tensors = new Map<string, TensorInfo>();
  for (const c of graph.constants.values()) {
    tensors.set(c.name, { shape: c.shape, value: c.value, rf: null, inputDependent: false });
  }
  for (const inp of graph.inputs) {
    const spatial = inp.shape.length === 4;
    tensors.set(inp.name, {
      shape: inp.shape,
      value: null,
      rf: spatial ? { axes: [INPUT_RF, INPUT_RF], dims: [2, 3], global: false } : null,
      inputDependent: spatial,
    });
  }
  const unknown: TensorInfo = { shape: null, value: null, rf: null, inputDependent: true };
  const analysed: AnalysedLayer[] = [];
  for (const layer of topologicalOrder(graph)) {
    const op = OPS_BY_NAME.get(layer.op) ?? null;
    // An empty name is ONNX's "optional input omitted".
    const ins = layer.inputs.map((r) => (r === '' ? null : tensors.get(r) ?? unknown));
    const present = ins.filter((t): t is TensorInfo => t !== null);
    if (!op || present.some((t) => t.shape === null)) {
      // Unsupported here (an imported operator convlens does not model) or downstream of one.
      analysed.push({ layer, op, inferred: null, inputShapes: ins.map((t) => t?.shape ?? []), rf: null, folded: false });
      for (const o of layer.outputs) tensors.set(o, unknown);
      continue;
    }
    const inputShapes = ins.map((t) => t?.shape ?? []);
    const fail = failer(layer, inputShapes);
    const inferred = op.infer({ layer: layer.name, inputs: inputShapes, values: ins.map((t) => t?.value ?? null), attrs: layer.attrs, fail });
    for (const out of inferred.outputs) {
      if (out.some((d) => !(d > 0) && !(d === 0 && out.length === 1))) {
        fail('NON_POSITIVE_SIZE', `layer '${layer.name}': output shape ${fmtShape(out)} has a non-positive dimension`);
      }
    }
    const folded = inferred.values !== undefined && inferred.values.length > 0 && inferred.values.every((v) => v !== null);
    const rf = folded
      ? null
      : op.receptiveField({
          layer: layer.name,
          plan: inferred.plan,
          inputs: inputShapes,
          outputs: inferred.outputs,
          attrs: layer.attrs,
          rf: ins.map((t) => t?.rf ?? null),
          warn: (w) => warn({ ...w, layer: layer.name } as Warning),
        });
    const inputDependent = !inferred.fixedSize && present.some((t) => t.inputDependent);
    layer.outputs.forEach((name, i) => {
      tensors.set(name, {
        shape: inferred.outputs[i] ?? null,
        value: inferred.values?.[i] ?? null,
        rf,
        inputDependent,
      });
    });
    analysed.push({ layer, op, inferred, inputShapes, rf, folded });
  }
  return { analysed, tensors, warnings };
}

export function rfReport(rf: TensorRF | null): LayerReport['receptiveField'] {
  if (!rf) return null;
  const [h, w] = rf.axes;
  const round = (v: number) => Math.round(v * 1e9) / 1e9;
  return {
    size: [round(h.r), round(w.r)],
    stride: [round(h.j), round(w.j)],
    padding: [round(h.p), round(w.p)],
    centre: [round(centre(h)), round(centre(w))],
    global: rf.global,
  };
}

const FLOATS = new Set(['float32', 'float16', 'float64', 'bfloat16']);
const ARITHMETIC = new Set(['add', 'sub', 'mul', 'div', 'matmul']);

/**
 * Float initializers an imported arithmetic node reads directly (a learned scale or bias exported
 * as Mul/Add by a constant) are parameters too; scalars are taken for folded literals, not weights.
 */
function constantOperandParams(graph: Graph, layer: GraphLayer): number {
  if (!layer.source || !ARITHMETIC.has(layer.op)) return 0;
  let n = 0;
  for (const ref of layer.inputs) {
    const c = graph.constants.get(ref);
    if (c && c.initializer && FLOATS.has(c.dataType) && numel(c.shape) > 1) n += numel(c.shape);
  }
  return n;
}

function flopsOf(cost: Inferred['cost'], includeBias: boolean) {
  const bias = includeBias ? cost.biasOps : 0;
  return {
    '2macs': 2 * cost.macs + cost.elementwise + bias,
    macs: cost.macs,
    seed: cost.exactMacOps + cost.elementwise + bias,
  };
}

/** The declared outputs, or else the first output of every layer nobody reads. */
export function graphOutputs(graph: Graph): string[] {
  if (graph.outputs) return graph.outputs;
  const consumed = new Set(graph.layers.flatMap((l) => l.inputs));
  return graph.layers.flatMap((l) => (consumed.has(l.outputs[0]) ? [] : [l.outputs[0]]));
}

/**
 * Layers some declared output depends on. The rest (a training-only auxiliary head) do not run at
 * inference: their parameters exist and count, their MACs and memory traffic do not.
 */
export function executedLayers(graph: Graph): Set<string> {
  if (!graph.outputs) return new Set(graph.layers.map((l) => l.name));
  const producer = producers(graph);
  const seen = new Set<string>();
  const stack = graph.outputs.map((o) => producer.get(o)).filter((l): l is GraphLayer => l !== undefined);
  while (stack.length) {
    const l = stack.pop()!;
    if (seen.has(l.name)) continue;
    seen.add(l.name);
    for (const r of l.inputs) {
      const p = producer.get(r);
      if (p && !seen.has(p.name)) stack.push(p);
    }
  }
  return seen;
}

export function analyzeGraph(graph: Graph, options: AnalyzeOptions, inference: Inference = inferGraph(graph)): Report {
  const { analysed, tensors, warnings: ruleWarnings } = inference;
  const executed = executedLayers(graph);
  const bytesPerElement = DTYPES[options.dtype];
  const intensity = (flops: number, bytes: number) => (bytes > 0 ? flops / bytes : null);

  const layers: LayerReport[] = analysed.filter((a) => !a.folded).map(({ layer, inferred, inputShapes, rf }) => {
    // constant operands (imported initializers) are read like weights: counted there, once
    const isConstant = (i: number) => graph.constants.has(layer.inputs[i]);
    const inputsElems = inputShapes.reduce((s, shape, i) => s + (isConstant(i) ? 0 : numel(shape)), 0);
    const constantElems = inputShapes.reduce((s, shape, i) => s + (isConstant(i) ? numel(shape) : 0), 0);
    if (!inferred) {
      return {
        name: layer.name,
        op: layer.op,
        ...(layer.source ? { source: layer.source } : {}),
        supported: false,
        executed: executed.has(layer.name),
        inputs: layer.inputs,
        inputShapes: inputShapes.map((s) => [...s]),
        outputShape: null,
        outputShapes: [],
        params: 0,
        buffers: 0,
        macs: 0,
        flops: 0,
        flopsByConvention: { '2macs': 0, macs: 0, seed: 0 },
        memoryAccess: { elements: { inputs: 0, outputs: 0, weights: 0, total: 0 }, bytes: 0 },
        arithmeticIntensity: null,
        receptiveField: null,
      };
    }
    const weightParams = inferred.weights.filter((w) => w.trainable).reduce((s, w) => s + numel(w.shape), 0);
    const params = weightParams + constantOperandParams(graph, layer);
    const buffers = inferred.weights.filter((w) => !w.trainable).reduce((s, w) => s + numel(w.shape), 0);
    const outputsElems = numel(inferred.outputs[0]);
    const weightElems = weightParams + buffers + constantElems;
    const elements = { inputs: inputsElems, outputs: outputsElems, weights: weightElems, total: inputsElems + outputsElems + weightElems };
    const byConv = flopsOf(inferred.cost, options.includeBias);
    const bytes = elements.total * bytesPerElement;
    return {
      name: layer.name,
      op: layer.op,
      ...(layer.source ? { source: layer.source } : {}),
      supported: true,
      executed: executed.has(layer.name),
      inputs: layer.inputs,
      inputShapes: inputShapes.map((s) => [...s]),
      outputShape: [...inferred.outputs[0]],
      outputShapes: inferred.outputs.map((s) => [...s]),
      params,
      buffers,
      macs: inferred.cost.macs,
      flops: byConv[options.flops],
      flopsByConvention: byConv,
      memoryAccess: { elements, bytes },
      arithmeticIntensity: intensity(byConv[options.flops], bytes),
      receptiveField: rfReport(rf),
    };
  });

  const sum = (f: (l: LayerReport) => number) => layers.reduce((s, l) => s + f(l), 0);
  const run = (f: (l: LayerReport) => number) => sum((l) => (l.executed ? f(l) : 0));
  const memElements = {
    inputs: run((l) => l.memoryAccess.elements.inputs),
    outputs: run((l) => l.memoryAccess.elements.outputs),
    weights: run((l) => l.memoryAccess.elements.weights),
    total: run((l) => l.memoryAccess.elements.total),
  };
  const flopsByConvention = {
    '2macs': run((l) => l.flopsByConvention['2macs']),
    macs: run((l) => l.flopsByConvention.macs),
    seed: run((l) => l.flopsByConvention.seed),
  };
  const unsupportedByType = new Map<string, string[]>();
  for (const { layer, op } of analysed) {
    if (op) continue;
    const key = layer.source?.opType ?? layer.op;
    unsupportedByType.set(key, [...(unsupportedByType.get(key) ?? []), layer.name]);
  }
  const unsupported = [...unsupportedByType].map(([opType, nodes]) => ({ opType, count: nodes.length, nodes }));

  const outputNames = graphOutputs(graph);
  const outputs = outputNames.map((name) => {
    const t = tensors.get(name)!;
    return { name, shape: t.shape ? [...t.shape] : null, receptiveField: rfReport(t.rf) };
  });

  const structure = describeStructure(graph, analysed, tensors, outputNames, executed);
  const warnings: ReportWarning[] = [
    ...ruleWarnings.map((w) => ({ severity: 'warning' as const, ...w })),
    ...structuralWarnings({ graph, analysed, layers, outputs, structure, totalMacs: flopsByConvention.macs, totalParams: sum((l) => l.params), unsupported }),
  ];

  const totalBytes = memElements.total * bytesPerElement;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    name: graph.name,
    conventions: {
      macs: 'multiply-accumulates of conv, convTranspose (over input positions), deformConv and linear; bias excluded; batch included',
      flops: options.flops,
      flopsDescription: FLOP_DESCRIPTIONS[options.flops],
      includeBias: options.includeBias,
      dtype: options.dtype,
      bytesPerElement,
      receptiveField: 'Araujo, Norris, Sim (Distill 2019): size r, effective stride, effective padding, centre of unit 0; per axis [h, w]',
    },
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    layers,
    outputs,
    totals: {
      layers: layers.length,
      params: sum((l) => l.params),
      buffers: sum((l) => l.buffers),
      macs: run((l) => l.macs),
      flops: flopsByConvention[options.flops],
      flopsByConvention,
      memoryAccess: { elements: memElements, bytes: totalBytes },
      arithmeticIntensity: intensity(flopsByConvention[options.flops], totalBytes),
      complete: unsupported.length === 0,
      unsupported,
      folded: analysed.filter((a) => a.folded).map((a) => a.layer.name),
    },
    structure,
    warnings,
  };
}
