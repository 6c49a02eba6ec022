/**
 * The report: from one inference of a graph (analysis/infer.ts), per-layer and total parameters,
 * MACs and FLOPs under the chosen convention, memory access, arithmetic intensity, receptive
 * fields, outputs, structure and warnings.
 */
import type { Graph, GraphConstant, GraphLayer } from '../graph/graph.js';
import { executedLayers, graphOutputs, topologicalOrder } from '../graph/walks.js';
import { parameterSources, unsupportedReason } from '../graph/graph.js';
import { axisNames, centre, reportedRf } from '../ops/receptive-field.js';
import { inputFieldSizes } from './input-layout.js';
import { numel } from '../ops/types.js';
import type { Inferred, OpDef, TensorRF } from '../ops/types.js';
import { ConvlensError } from '../errors.js';
import { MAX_COUNT } from '../limits.js';
import { ALWAYS_FOLDED, inferGraph } from './infer.js';
import type { AnalysedLayer, Inference } from './infer.js';
import { DTYPES, REPORT_SCHEMA_VERSION } from './report.js';
import type { AnalyzeOptions, LayerReport, Report, ReportWarning } from './report.js';
import { describeStructure } from './structure.js';
import { attentionTokenWidth } from '../conventions/onnx-attention.js';
import { structuralWarnings } from './warnings.js';
import { importWarnings } from './import-warnings.js';
import { findPatterns } from './patterns.js';
import { quantizationSummary } from './quantization.js';
import { branchCredit } from './branches.js';
import { isScoreConstant, scoreTensors } from './exporter-constants.js';
import { constantLayers, constantLayersWarning } from './constant-work.js';

export const FLOP_DESCRIPTIONS = {
  '2macs': '2·MACs of conv/linear + element-wise FLOPs of BN, activations, pooling, add, resampling (+ bias adds when includeBias)',
  macs: 'MACs of conv/linear only, as torchvision and fvcore count "FLOPs"; element-wise work and bias excluded',
  exact: 'every multiply and every add of the sums: (2·K·K·M/g − 1)·H\'·W\'·N for conv, (2·Ci − 1)·Co for linear, + element-wise FLOPs (+ bias adds when includeBias)',
} as const;

/**
 * A tensor's field as reported, one entry per spatial axis named in `axes` ([l], [h, w] or
 * [d, h, w]). A global field (the spatial axes collapsed) has no stride, padding or centre, and its
 * size is the whole input: what the algebra would still carry there (the span of every unit of the
 * last map, padding included) means nothing to a reader.
 */
export function rfReport(rf: TensorRF | null, sizes: ReadonlyMap<number, readonly number[]>): LayerReport['receptiveField'] {
  if (!rf) return null;
  const axes = axisNames(rf.axes.length);
  if (rf.global) {
    const size = sizes.get(rf.axes.length);
    return { global: true, axes, size: size ? [...size] : null, stride: null, padding: null, centre: null };
  }
  return {
    global: false,
    axes,
    size: rf.axes.map((a) => reportedRf(a.r)),
    stride: rf.axes.map((a) => reportedRf(a.j)),
    padding: rf.axes.map((a) => reportedRf(a.p)),
    centre: rf.axes.map((a) => reportedRf(centre(a))),
  };
}

/**
 * Float initializers an imported arithmetic node reads directly (a learned scale or bias exported
 * as Mul/Add by a constant) are parameters too; scalars are taken for folded literals, not weights.
 * An exporter-made table added to attention scores (a gathered relative-position bias, a mask:
 * analysis/exporter-constants.ts) is read as a buffer, not a parameter.
 */
function constantOperandParams(graph: Graph, layer: GraphLayer, op: OpDef | null, counted: Set<string>, constantDerived: Set<string>, foldedFrom: ReadonlyMap<string, readonly string[]>, onScores: (i: number) => boolean): { params: number; buffers: number } {
  const n = { params: 0, buffers: 0 };
  if (!layer.source || !op?.foldsConstantOperands) return n;
  const derived = layer.inputs.map((ref) => constantDerived.has(ref));
  for (const [i, ref] of layer.inputs.entries()) {
    if (!(op.constantOperandIsWeight?.(i, derived) ?? true)) continue;
    const role = onScores(i) ? 'buffers' : 'params';
    // an initializer read directly, or through movement folded away (a small Linear's Transpose(W),
    // GroupNorm's Unsqueeze(γ) in an export without constant folding)
    for (const name of graph.constants.has(ref) ? [ref] : (foldedFrom.get(ref) ?? [])) {
      const c = graph.constants.get(name);
      if (c) n[role] += uncountedParams(graph, c, counted);
    }
  }
  return n;
}

/** The parameters of a constant not counted yet: the initializers it is, views or was folded from (graph.ts parameterSources), each once. */
function uncountedParams(graph: Graph, c: GraphConstant, counted: Set<string>): number {
  let n = 0;
  for (const source of parameterSources(c)) if (firstUse(counted, source)) n += numel(graph.constants.get(source)?.shape ?? c.shape);
  return n;
}

/**
 * The initializers each folded tensor was computed from. A folded layer is not in the report, so
 * the weight it moved (Transpose, Unsqueeze of ≤ 64 elements: infer.ts ALWAYS_FOLDED) is counted
 * where a layer reads the folded value, under that layer's rule for constant operands.
 */
function foldedSources(graph: Graph, analysed: readonly AnalysedLayer[]): Map<string, string[]> {
  const from = new Map<string, string[]>();
  for (const a of analysed) {
    if (!a.folded) continue;
    const sources = [...new Set(a.layer.inputs.flatMap((ref) => (graph.constants.get(ref)?.initializer ? [ref] : (from.get(ref) ?? []))))];
    for (const out of a.layer.outputs) from.set(out, sources);
  }
  return from;
}

/** Tensors computed from constants alone (no graph input upstream): the graph's constants and what layers make of them only. */
function constantDerivedTensors(graph: Graph): Set<string> {
  const derived = new Set<string>(graph.constants.keys());
  for (const layer of topologicalOrder(graph)) {
    const read = layer.inputs.filter((ref) => ref !== ''); // '' is ONNX's omitted optional input
    if (read.length > 0 && read.every((ref) => derived.has(ref))) for (const out of layer.outputs) derived.add(out);
  }
  return derived;
}

function sharedWeightsWarning(sharing: { layer: string; constants: string[] }[]): ReportWarning {
  const shown = sharing.slice(0, 3).map((s) => `${s.layer} (${s.constants.join(', ')})`);
  return {
    severity: 'info',
    code: 'WEIGHTS_SHARED',
    message: `${sharing.length} layer${sharing.length > 1 ? 's' : ''} read weights an earlier layer already holds: ${shown.join('; ')}${sharing.length > 3 ? '; …' : ''}. Each tensor's parameters are counted once, at its first reader, as PyTorch's model.parameters() counts a shared module; the readers' MACs and memory traffic all count.`,
    layers: sharing.map((s) => s.layer),
  };
}

/** True the first time an initializer is seen: a tensor several layers read is one set of parameters, as PyTorch's parameters() counts it. */
function firstUse(counted: Set<string>, constant: string): boolean {
  if (counted.has(constant)) return false;
  counted.add(constant);
  return true;
}

function flopsOf(cost: Inferred['cost'], includeBias: boolean) {
  const bias = includeBias ? cost.biasOps : 0;
  return {
    '2macs': 2 * cost.macs + cost.elementwise + bias,
    macs: cost.macs,
    exact: cost.exactMacOps + cost.elementwise + bias,
  };
}

/** A count the report gives past 2^53 would be rounded: SIZE_TOO_LARGE, as a layer's own counts are. */
function exactCount(v: number, what: string, path: string): void {
  if (!(v <= MAX_COUNT)) throw new ConvlensError('SIZE_TOO_LARGE', `${what}: ${v.toExponential(2)} is more than convlens counts exactly (2^53)`, { path });
}

/** A layer with no shapes or costs in this report: unsupported (or after one), or not run at a size it cannot run at. */
function notInferred(layer: GraphLayer, executed: boolean, inputShapes: number[][]): LayerReport {
  return {
    name: layer.name,
    op: layer.op,
    ...(layer.source ? { source: { format: layer.source.format, opType: layer.source.opType } } : {}),
    supported: false,
    executed,
    inputs: layer.inputs,
    inputShapes,
    outputShape: null,
    outputShapes: [],
    params: 0,
    buffers: 0,
    macs: 0,
    intMacs: 0,
    flops: 0,
    flopsByConvention: { '2macs': 0, macs: 0, exact: 0 },
    memoryAccess: { elements: { inputs: 0, outputs: 0, weights: 0, total: 0 }, bytes: 0 },
    arithmeticIntensity: null,
    receptiveField: null,
  };
}

export function analyzeGraph(graph: Graph, options: AnalyzeOptions, inference: Inference = inferGraph(graph)): Report {
  const { analysed, tensors, warnings: ruleWarnings } = inference;
  const executed = executedLayers(graph);
  const inputSize = inputFieldSizes(graph, inference.fieldInputs);
  const bytesPerElement = DTYPES[options.dtype];
  const intensity = (flops: number, bytes: number) => (bytes > 0 ? flops / bytes : null);

  // initializers already counted, and the layers that read one an earlier layer had counted
  const counted = new Set<string>();
  const constantDerived = constantDerivedTensors(graph);
  const foldedFrom = foldedSources(graph, analysed);
  const scores = scoreTensors(graph, analysed);
  // a small value folded at import (a shape, pads, axes: ALWAYS_FOLDED) is a constant operand as the
  // Constant a fixed-size export writes in its place is: a dynamic axis's Shape → Gather → Concat and
  // the literal a fixed batch folds to are read alike. Only these fold whatever the budget: a larger
  // value (Swin's shifted-window mask) folds while maxFolded lasts and else runs as a layer, so it
  // stays an input either way, and no figure depends on the budget
  const foldedConstants = new Set(analysed.filter((a) => a.folded).flatMap((a) => a.layer.outputs).filter((t) => {
    const shape = tensors.get(t)?.shape;
    return shape !== null && shape !== undefined && numel(shape) <= ALWAYS_FOLDED;
  }));
  const sharing: { layer: string; constants: string[] }[] = [];
  const layers: LayerReport[] = analysed.filter((a) => !a.folded).map(({ layer, op, inferred, inputShapes, rf, standIn }) => {
    // constant operands (imported initializers, small folded values) are read like weights: counted there, once
    const isConstant = (i: number) => graph.constants.has(layer.inputs[i]) || foldedConstants.has(layer.inputs[i]);
    const inputsElems = inputShapes.reduce((s, shape, i) => s + (isConstant(i) ? 0 : numel(shape)), 0);
    const constantElems = inputShapes.reduce((s, shape, i) => s + (isConstant(i) ? numel(shape) : 0), 0);
    if (!inferred) return notInferred(layer, executed.has(layer.name), inputShapes.map((s) => [...s]));
    // a weight bound to an initializer another layer already counted is not counted again (RetinaNet's head on five levels)
    // (a view of a constant counts as that constant: graph/onnx/constant-views.ts)
    const countKey = (c: string) => graph.constants.get(c)?.countsAs ?? c;
    const shared = inferred.weights.map((w) => layer.weights?.[w.name]?.constant).filter((c): c is string => c !== undefined && counted.has(countKey(c)));
    const own = inferred.weights.filter((w) => {
      const c = layer.weights?.[w.name]?.constant;
      return c === undefined || firstUse(counted, countKey(c));
    });
    if (shared.length) sharing.push({ layer: layer.name, constants: shared });
    const weightParams = own.filter((w) => w.trainable).reduce((s, w) => s + numel(w.shape), 0);
    // a weight folded at import counts the initializers it was computed from (a raw weight and its gain: graph/fold-constants.ts)
    const foldedFix = own.filter((w) => w.trainable).reduce((s, w) => {
      const c = graph.constants.get(layer.weights?.[w.name]?.constant ?? '');
      return c?.folded ? s + uncountedParams(graph, c, counted) - numel(w.shape) : s;
    }, 0);
    const operands = constantOperandParams(graph, layer, op, counted, constantDerived, foldedFrom, (i) => isScoreConstant(graph, layer, i, inputShapes, scores));
    const params = weightParams + foldedFix + operands.params;
    const ownBuffers = own.filter((w) => !w.trainable).reduce((s, w) => s + numel(w.shape), 0);
    const buffers = ownBuffers + operands.buffers;
    if (standIn) {
      // not run, and not runnable at this size: its weights, and the shapes it was given where they are this input's
      const given = layer.inputs.map((r) => {
        const t = tensors.get(r);
        return t?.shape && !t.standIn ? [...t.shape] : [];
      });
      return { ...notInferred(layer, executed.has(layer.name), given), supported: true, params, buffers };
    }
    // every output is written: a split's pieces, a max pool's indices, topK's values and indices
    const outputsElems = inferred.outputs.reduce((n, shape) => n + numel(shape), 0);
    // a buffer no forward pass reads (BN's num_batches_tracked, WeightSpec.unread) is held but not accessed
    const unread = own.filter((w) => w.unread).reduce((s, w) => s + numel(w.shape), 0);
    // constant operands (a score table read as a buffer too) are in constantElems
    const weightElems = weightParams + ownBuffers - unread + constantElems;
    // a re-view (reshape, flatten, squeeze, unsqueeze) moves nothing: its shape operand is metadata (OpDef.reView)
    const elements = op?.reView
      ? { inputs: 0, outputs: 0, weights: 0, total: 0 }
      : { inputs: inputsElems, outputs: outputsElems, weights: weightElems, total: inputsElems + outputsElems + weightElems };
    const byConv = flopsOf(inferred.cost, options.includeBias);
    const bytes = elements.total * bytesPerElement;
    exactCount(bytes, `layer '${layer.name}': its memory access (${bytesPerElement} bytes × ${elements.total} elements)`, layer.path);
    return {
      name: layer.name,
      op: layer.op,
      ...(layer.source ? { source: { format: layer.source.format, opType: layer.source.opType } } : {}),
      supported: true,
      executed: executed.has(layer.name),
      inputs: layer.inputs,
      inputShapes: inputShapes.map((s) => [...s]),
      outputShape: [...inferred.outputs[0]],
      outputShapes: inferred.outputs.map((s) => [...s]),
      params,
      buffers,
      macs: inferred.cost.macs,
      intMacs: inferred.cost.intMacs ?? 0,
      flops: byConv[options.flops],
      flopsByConvention: byConv,
      memoryAccess: { elements, bytes },
      arithmeticIntensity: intensity(byConv[options.flops], bytes),
      receptiveField: rfReport(rf, inputSize),
    };
  });

  const sum = (f: (l: LayerReport) => number) => layers.reduce((s, l) => s + f(l), 0);
  // an If's exclusive branches count per metric as the larger one, not both (analysis/branches.ts)
  const credit = branchCredit(analysed, layers);
  // a constant computed from literals but too large to fold counts as the folded ones do: nothing (analysis/constant-work.ts)
  const constant = constantLayers(graph, analysed);
  const run = (f: (l: LayerReport) => number) => sum((l) => (l.executed && !constant.has(l.name) ? f(l) : 0)) - credit(f);
  const memElements = {
    inputs: run((l) => l.memoryAccess.elements.inputs),
    outputs: run((l) => l.memoryAccess.elements.outputs),
    weights: run((l) => l.memoryAccess.elements.weights),
    total: run((l) => l.memoryAccess.elements.total),
  };
  const flopsByConvention = {
    '2macs': run((l) => l.flopsByConvention['2macs']),
    macs: run((l) => l.flopsByConvention.macs),
    exact: run((l) => l.flopsByConvention.exact),
  };
  const unsupportedByType = new Map<string, { nodes: string[]; reasons: Set<string> }>();
  for (const { layer, op, unsupported: why } of analysed) {
    if (op) continue;
    const key = layer.source?.opType ?? layer.op;
    const entry = unsupportedByType.get(key) ?? { nodes: [], reasons: new Set<string>() };
    entry.nodes.push(layer.name);
    entry.reasons.add(why ?? unsupportedReason(layer));
    unsupportedByType.set(key, entry);
  }
  const unsupported = [...unsupportedByType].map(([opType, { nodes, reasons }]) => ({ opType, count: nodes.length, nodes, reasons: [...reasons] }));

  const outputNames = graphOutputs(graph);
  const outputs = outputNames.map((name) => {
    const t = tensors.get(name)!;
    return { name, shape: t.shape ? [...t.shape] : null, receptiveField: rfReport(t.rf, inputSize) };
  });

  const ends = { inputs: graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })), outputs };
  const structure = describeStructure(graph, analysed, tensors, outputNames, executed, attentionTokenWidth(inference, ends));
  const warnings: ReportWarning[] = [
    ...ruleWarnings.map((w) => ({ severity: 'warning' as const, ...w })),
    ...importWarnings(graph),
    ...structuralWarnings({ graph, counted, analysed, layers, outputs, structure, totalMacs: flopsByConvention.macs, totalParams: sum((l) => l.params), unsupported, fieldInputs: inference.fieldInputs }),
    ...(sharing.length ? [sharedWeightsWarning(sharing)] : []),
    ...[constantLayersWarning(layers, constant)].filter((w): w is ReportWarning => w !== null),
  ];

  const totalBytes = memElements.total * bytesPerElement;
  // each layer's counts are exact (analysis/infer.ts checkSizes); their sums must be too
  const totalParams = sum((l) => l.params);
  const totalMacs = run((l) => l.macs);
  for (const [what, v] of [['params', totalParams], ['MACs', totalMacs], ['FLOPs', Math.max(...Object.values(flopsByConvention))], ['memory access', totalBytes]] as const) {
    exactCount(v, `the network's ${what}`, '$');
  }
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    name: graph.name,
    conventions: {
      macs: 'float multiply-accumulates of conv, convTranspose (over input positions), deformConv, linear, matmul and einsum contractions (attention included); bias excluded; batch included. Integer ones of quantized layers are intMacs',
      flops: options.flops,
      flopsDescription: FLOP_DESCRIPTIONS[options.flops],
      includeBias: options.includeBias,
      dtype: options.dtype,
      bytesPerElement,
      receptiveField: 'Araujo, Norris, Sim (Distill 2019): size r, effective stride, effective padding, centre of unit 0; per spatial axis, named in axes: [h, w] for 2-D maps, [l] for 1-D, [d, h, w] for 3-D',
    },
    inputs: graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    layers,
    outputs,
    totals: {
      layers: layers.length,
      params: totalParams,
      buffers: sum((l) => l.buffers),
      macs: totalMacs,
      intMacs: run((l) => l.intMacs),
      flops: flopsByConvention[options.flops],
      flopsByConvention,
      memoryAccess: { elements: memElements, bytes: totalBytes },
      arithmeticIntensity: intensity(flopsByConvention[options.flops], totalBytes),
      quantization: quantizationSummary(graph, inference, options.dtype),
      complete: unsupported.length === 0,
      unsupported,
      folded: [...(graph.foldedAtImport ?? []), ...analysed.filter((a) => a.folded).map((a) => a.layer.name)],
    },
    structure,
    patterns: findPatterns(graph, layers),
    warnings,
  };
}
