/**
 * Inference: walks the graph in topological order and asks each op for its output shapes, known
 * values (folded shape arithmetic), weights, costs and receptive field. The analyzer's report and
 * the runtime's executor both start from one inference of a graph, so they cannot disagree.
 */
import { ConvlensError, fmtShape, jsonPath, fieldUnderLayer, underLayer } from '../errors.js';
import type { ErrorCode, ErrorDetails } from '../errors.js';
import type { Graph, GraphLayer } from '../graph/graph.js';
import { executedLayers, topologicalOrder } from '../graph/walks.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import { inputRF } from '../ops/receptive-field.js';
import { numel } from '../ops/types.js';
import type { Inferred, LayerField, OpDef, Shape, TensorRF, TensorValue, Warning } from '../ops/types.js';
import { MAX_DIM } from '../ops/geometry.js';
import { DEFAULT_MAX_FOLDED_ELEMENTS, MAX_COUNT, MAX_FOLDED_TENSOR } from '../limits.js';
import { statisticsRF } from '../ops/norm-group.js';
import { decomposedNorms } from './patterns.js';
import { notRunAtThisSize, sizeFreeWeights, standInInputs } from './stand-in.js';
import { readsSignal, signalCandidates, unbatchedInputs, unbatchedRF, withLayout } from './input-layout.js';
import type { StandIn } from './stand-in.js';

/** A value this small (a shape, pads, axes) folds whatever the budget has left: it costs at most this many numbers per layer. */
export const ALWAYS_FOLDED = 64;

/** What the analyzer knows about a tensor: shape, value, receptive field, and whether its spatial size follows the input's. */
export interface TensorInfo {
  shape: Shape | null;
  /** Known values of a small constant-valued tensor (folded shape arithmetic), else null. */
  value: TensorValue | null;
  rf: TensorRF | null;
  /** Spatial size depends on the input resolution (false after adaptive or global pooling, and for constants). */
  inputDependent: boolean;
  /** Inferred at a stand-in size (a layer that does not run, at a size it cannot run at: analysis/stand-in.ts); `shape` is not this input's. */
  standIn?: StandIn;
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
  /** Does not run at inference and could not at this input size: `inferred` is at a stand-in size, only its weights count (analysis/stand-in.ts). */
  standIn: boolean;
  /** Why a layer of a known op is unsupported as given (InferContext.unsupported): `op` is then null. */
  unsupported?: string;
  /** The layer's field that reason is about (`$.layers[3].inputs`), where a run refuses the layer (runtime/checks.ts); absent: the layer's path. */
  unsupportedPath?: string;
}

/** A layer's op found it valid but not modelled (InferContext.unsupported): caught by the walk, never a failure. */
class NotModelled extends Error {
  constructor(
    reason: string,
    readonly field: LayerField | undefined,
  ) {
    super(reason);
  }
}
const notModelled = (reason: string, field?: LayerField): never => {
  throw new NotModelled(reason, field);
};

function failer(layer: GraphLayer, shapes: Shape[]) {
  return (code: ErrorCode, message: string, field?: LayerField, details: ErrorDetails = {}): never => {
    const fieldPath = field === undefined ? [] : Array.isArray(field) ? field : [field];
    const { path, onnxAttribute } = fieldPath.length ? fieldUnderLayer(layer, jsonPath(fieldPath)) : { path: layer.path, onnxAttribute: undefined };
    // Every message names its layer; ops write only what is wrong.
    const prefix = `layer '${layer.name}': `;
    throw new ConvlensError(code, message.startsWith(prefix) ? message : prefix + message, {
      path,
      layer: layer.name,
      shapes: Object.fromEntries(shapes.map((s, i) => [`input${i}`, s])),
      ...details,
      ...(layer.source ? { opType: layer.source.fileOpType ?? layer.source.opType } : {}),
      ...(onnxAttribute !== undefined && { onnxAttribute }),
    });
  };
}

export interface Inference {
  analysed: AnalysedLayer[];
  tensors: Map<string, TensorInfo>;
  /** What the receptive-field rules noticed (misaligned paths, data-dependent fields). */
  warnings: Warning[];
  /** Inputs read as one unbatched sample, a C,L signal (rank 2), a C,H,W image (rank 3) or a C,D,H,W clip (rank 4) (analysis/input-layout.ts readUnbatched); absent: none. */
  imageInputs?: string[];
  /** Inputs whose field is over all their axes but the first (L; H, W; D, H, W), the fields compared with those: the unbatched ones and a batch the network gives one channel ([N, L] → [N, 1, L]); absent: none. */
  fieldInputs?: string[];
}

export interface InferOptions {
  /** MAX_FOLDED_ELEMENTS: most values folding may hold for the graph, its constants' included (default: the configuration's default). */
  maxFolded?: number;
  /** Zero-size tensors of any rank ([0, W]) are allowed: a Loop body's padding (graph/onnx/loop-body.ts); else only 1-D ones. */
  allowEmpty?: boolean;
  /** Whether a layer whose inputs are all known values folds to a constant (default true); an operator call (runtime/operator.ts) is the layer itself: it runs even on values (range's bounds). */
  fold?: boolean;
}

/**
 * Sizes stay countable: every output has at most MAX_COUNT (2^53) elements and every cost field
 * is at most MAX_COUNT; a dimension over MAX_DIM (the largest size an attribute may give) is
 * allowed only where the layer re-views or gathers elements its inputs already have (flatten,
 * reshape, concat), never where an attribute makes the tensor grow (an upsampling by 1e300).
 * Weights sized by attributes are whole and not negative. Exported for its spec: every op in the
 * registry refuses its own negative weight sizes first, so only a direct call reaches that guard.
 */
export function checkSizes(inferred: Inferred, inputShapes: Shape[], fail: (code: ErrorCode, message: string, field?: LayerField, details?: ErrorDetails) => never): void {
  let inputElements = 0;
  for (const s of inputShapes) inputElements += numel(s);
  // a shape past a double's range (an upsample by 1e300) is written as a magnitude, not Infinity
  const shown = (out: Shape) => `[${out.map((d) => (!Number.isFinite(d) ? 'over 1.8e+308' : d > 1e15 ? d.toExponential(2) : String(d))).join(', ')}]`;
  for (const out of inferred.outputs) {
    const n = numel(out);
    const huge = out.findIndex((d) => !Number.isFinite(d));
    if (huge >= 0) fail('SIZE_TOO_LARGE', `output shape ${shown(out)}: dimension ${huge} is past any size convlens can count`, undefined, { shapes: { output: out } });
    if (out.some((d) => !Number.isInteger(d))) fail('INVALID_ATTRIBUTE', `output shape ${shown(out)} has a dimension that is not an integer`);
    if (n > MAX_COUNT) fail('SIZE_TOO_LARGE', `output shape ${shown(out)} has ${Number.isFinite(n) ? n.toExponential(2) : 'over 1.8e+308'} elements, more than convlens counts exactly (2^53)`, undefined, { shapes: { output: out } });
    const big = out.find((d) => d > MAX_DIM);
    if (big !== undefined && n > inputElements) {
      fail('SIZE_TOO_LARGE', `output shape ${fmtShape(out)} has a dimension of ${big}, over the ${MAX_DIM} an attribute may ask for`, undefined, { shapes: { output: out } });
    }
  }
  // a weight sized by the attributes (MViT's relative tables, 2·⌊S/s⌋ − 1 rows) can come out negative
  // where PyTorch's nn.Parameter(torch.zeros(...)) raises: refused here, before it is counted or drawn
  for (const w of inferred.weights) {
    if (w.shape.some((d) => d < 0)) {
      fail('NON_POSITIVE_SIZE', `weight '${w.name}' would be ${fmtShape(w.shape)}: these attributes and input shapes make one of its sizes negative (PyTorch cannot create it)`, undefined, { shapes: { [w.name]: w.shape } });
    }
    if (w.shape.some((d) => !Number.isInteger(d))) fail('INVALID_ATTRIBUTE', `weight '${w.name}' would be ${fmtShape(w.shape)}, a size that is not an integer`, undefined, { shapes: { [w.name]: w.shape } });
  }
  for (const [field, v] of Object.entries(inferred.cost)) {
    if (!(v <= MAX_COUNT)) fail('SIZE_TOO_LARGE', `the layer's ${field} count (${v.toExponential(2)}) is more than convlens counts exactly (2^53)`);
  }
}

/**
 * A weight an imported layer takes from an initializer holds what the layer needs (a
 * BatchNormalization scale of 4 on 8 channels would otherwise count the layer's figure and fail
 * only when run). Element counts are compared: a stored layout may differ (Gemm's transposed B).
 */
function checkBoundWeights(layer: GraphLayer, inferred: Inferred, graph: Graph, fail: ReturnType<typeof failer>): void {
  for (const spec of inferred.weights) {
    const bound = layer.weights?.[spec.name];
    const c = bound ? graph.constants.get(bound.constant) : undefined;
    if (c && numel(c.shape) !== numel(spec.shape)) {
      // at the node input that holds it (an ONNX Conv's W: .input[1])
      fail('SHAPE_MISMATCH', `initializer '${c.name}' ${fmtShape(c.shape)} cannot be the ${spec.name} ${fmtShape(spec.shape)} this layer needs`, ['weights', spec.name], {
        shapes: { [c.name]: c.shape, [spec.name]: spec.shape },
      });
    }
  }
}

/**
 * Shape inference, value folding and receptive fields over the whole graph; throws on the first
 * invalid layer. The analyzer and the executor share one inference of a graph.
 */
export function inferGraph(graph: Graph, options: InferOptions = {}): Inference {
  const walked = walk(graph, options);
  const { analysed, tensors, warnings } = walked;
  // an unbatched input (a detector's C,H,W image, a C,D,H,W clip into a 3-D pool) carries a field over
  // all its axes but the first: only the fields are propagated again from it (the shapes, values and costs do not depend on it)
  const images = unbatchedInputs(graph, walked);
  // a [C, L] signal into a 1-D pool: the walk gave it no field, so its reading is tried (input-layout.ts)
  const signals = signalCandidates(graph, walked);
  if (signals.length > 0) {
    const fielded = new Set([...images, ...signals]);
    const trial = refield(graph, walked, fielded);
    if (readsSignal(trial)) return withLayout(graph, trial, fielded);
  }
  return images.size === 0 ? { analysed, tensors, warnings } : withLayout(graph, refield(graph, walked, images), images);
}

/** A walk's inference, and what its fields' second propagation needs (refield). */
interface Walked extends Inference {
  layerNorms: ReturnType<typeof decomposedNorms>;
  /** The index in `warnings` of each analysed layer's first warning. */
  starts: number[];
  /** The warnings the receptive-field rules gave (the others are the shapes'). */
  fromFields: Set<Warning>;
}

/**
 * One layer's receptive field, from its inputs' in `tensors`, and each output's where they differ:
 * all that the layout of the network's rank-3 inputs changes (refield).
 */
function layerField(layer: GraphLayer, op: OpDef, inferred: Inferred, inputShapes: Shape[], tensors: ReadonlyMap<string, TensorInfo>, layerNorms: Walked['layerNorms'], warn: (w: Warning) => void) {
  const rfCtx = {
    layer: layer.name,
    plan: inferred.plan,
    inputs: inputShapes,
    outputs: inferred.outputs,
    attrs: layer.attrs,
    rf: layer.inputs.map((r) => (r === '' ? null : tensors.get(r)?.rf ?? null)),
    warn: (w: Omit<Warning, 'layer'>) => warn({ ...w, layer: layer.name } as Warning),
  };
  let rf = op.receptiveField(rfCtx);
  // a decomposed layerNorm's division, groupNorm's InstanceNormalization: statistics over spatial axes make
  // the field global (or span those axes), as nn.LayerNorm's and nn.GroupNorm's (patterns.ts decomposedNorms)
  const norm = rf ? layerNorms.get(layer.name) : undefined;
  const x = norm && tensors.get(norm.input);
  if (norm && x?.shape && x.rf && !x.rf.global) {
    const dims = norm.from !== undefined ? x.shape.map((_, d) => d).slice(norm.from) : norm.axes.map((a) => (a < 0 ? a + x.shape!.length : a));
    const normed = statisticsRF({ ...rfCtx, rf: [x.rf], inputs: [x.shape] }, dims);
    if (normed && normed !== x.rf) rf = normed;
  }
  // outputs whose fields differ (a split's pieces along a spatial axis start where they were cut)
  const fields = rf && op.outputFields ? op.outputFields(rfCtx, rf) : null;
  return { rf, fields };
}

/**
 * The walk's fields propagated again from `images` read as unbatched samples (their field over
 * all their axes but the first: H, W; D, H, W), layer by layer in the walk's order; shapes, values, costs, stand-ins and the shapes'
 * warnings are the walk's, as they do not read a field. The fields' warnings are given anew.
 */
function refield(graph: Graph, walked: Walked, images: ReadonlySet<string>): Inference {
  const tensors = new Map(walked.tensors);
  for (const inp of graph.inputs) {
    const t = tensors.get(inp.name);
    if (images.has(inp.name) && t) tensors.set(inp.name, { ...t, rf: unbatchedRF(inp.shape.length) });
  }
  const warnings: Warning[] = [];
  const analysed = walked.analysed.map((a, i) => {
    const ends = i + 1 < walked.starts.length ? walked.starts[i + 1] : walked.warnings.length;
    for (const w of walked.warnings.slice(walked.starts[i], ends)) if (!walked.fromFields.has(w)) warnings.push(w);
    // an unknown or unsupported layer, a folded one and a stand-in have no field: their outputs' stay the walk's (none)
    if (!a.op || !a.inferred || a.folded || a.standIn) return a;
    const { rf, fields } = layerField(a.layer, a.op, a.inferred, a.inputShapes, tensors, walked.layerNorms, (w) => warnings.push(w));
    a.layer.outputs.forEach((name, k) => {
      const t = tensors.get(name);
      if (t) tensors.set(name, { ...t, rf: fields?.[k] ?? rf });
    });
    return { ...a, rf };
  });
  return { analysed, tensors, warnings };
}

function walk(graph: Graph, options: InferOptions): Walked {
  const warnings: Warning[] = [];
  const warn = (w: Warning) => warnings.push(w);
  const fromFields = new Set<Warning>();
  const starts: number[] = [];
  const tensors = new Map<string, TensorInfo>();
  // the folding budget: what the constants hold (each array once: ONNX Identity aliases share one) and every value folded below
  const held = new Set<readonly number[]>();
  let foldLeft = options.maxFolded ?? DEFAULT_MAX_FOLDED_ELEMENTS;
  for (const c of graph.constants.values()) {
    tensors.set(c.name, { shape: c.shape, value: c.value, rf: null, inputDependent: false });
    if (c.value && !held.has(c.value.data)) {
      held.add(c.value.data);
      foldLeft -= c.value.data.length;
    } else if (!c.value && c.folded && c.typed && c.folded.from.length === 0) {
      // a weight folded at import (graph/fold-constants.ts) is held too; one computed from the
      // file's weights is held within the budget those grow (graph/fold-budget.ts), not this one
      foldLeft -= c.typed.length;
    }
  }
  for (const inp of graph.inputs) {
    if (numel(inp.shape) > MAX_COUNT) {
      throw new ConvlensError('SIZE_TOO_LARGE', `input '${inp.name}' ${fmtShape(inp.shape)} has more elements than convlens counts exactly (2^53)`, { path: inp.path, shapes: { [inp.name]: inp.shape } });
    }
    // N,C,L / N,C,H,W / N,C,D,H,W inputs carry a field over their spatial axes (an unbatched image's: refield)
    const rf = inputRF(inp.shape);
    tensors.set(inp.name, {
      shape: inp.shape,
      value: null,
      rf,
      inputDependent: rf !== null,
    });
  }
  const unknown: TensorInfo = { shape: null, value: null, rf: null, inputDependent: true };
  const analysed: AnalysedLayer[] = [];
  const executed = executedLayers(graph);
  const layerNorms = decomposedNorms(graph);
  /** One layer's inference from its inputs: throws on an invalid layer. `withField` false: no receptive field (a stand-in size's would mean nothing). */
  const step = (layer: GraphLayer, op: OpDef, ins: readonly (TensorInfo | null)[], withField: boolean) => {
    const inputShapes = ins.map((t) => t?.shape ?? []);
    const fail = failer(layer, inputShapes);
    // shape arithmetic (a shape, pads, axes: a few numbers) folds even when big constant-only tensors
    // (Swin V2's shifted-window masks) have used the budget up: without it no later shape is known
    const foldable = (elements: number) => options.fold !== false && (elements <= foldLeft || elements <= ALWAYS_FOLDED);
    const inferred = op.infer({ layer: layer.name, inputs: inputShapes, values: ins.map((t) => t?.value ?? null), attrs: layer.attrs, declaredOutputs: layer.outputs.length, fromOnnx: layer.source?.format === 'onnx', fail, foldable, unsupported: notModelled });
    // an empty tensor (an empty slice) is read only where PyTorch reads it (OpDef.emptyInputs: a
    // concat drops it, a linear sums nothing); a conv over 0 channels or a max over 0 values would
    // answer NaN where PyTorch leaves the bias uninitialised or refuses. Checked before the output:
    // the empty input is the cause, and its field the one to point at
    if (!options.allowEmpty && op.emptyInputs !== true) {
      const at = inputShapes.findIndex((s, i) => s.length > 1 && s.includes(0) && ins[i]?.value == null);
      if (at >= 0) fail('NON_POSITIVE_SIZE', `input ${at} ${fmtShape(inputShapes[at])} is empty (an empty slice), and ${layer.op} does not read one: a concat drops an empty piece, a linear or matmul over an empty inner dimension gives the bias or zeros`, ['inputs', at]);
    }
    // zero-size: 1-D, inside a Loop body (allowEmpty), of an op where PyTorch allows it (an empty
    // slice), or a known value (an empty constant: torchvision's loops start from zeros(0, 3, 17))
    for (const [k, out] of inferred.outputs.entries()) {
      if (out.some((d) => !(d > 0) && !(d === 0 && (out.length === 1 || options.allowEmpty || op.emptyOutputs === true || inferred.values?.[k] != null)))) {
        fail('NON_POSITIVE_SIZE', `output shape ${fmtShape(out)} has a non-positive dimension`);
      }
    }
    checkSizes(inferred, inputShapes, fail);
    checkBoundWeights(layer, inferred, graph, fail);
    // a new folded value is kept while the budget allows (one passed through, as reshape does, costs nothing); else the layer runs as a layer
    if (inferred.values) {
      inferred.values = inferred.values.map((v) => {
        if (!v || held.has(v.data)) return v;
        if (v.data.length > MAX_FOLDED_TENSOR || (v.data.length > foldLeft && v.data.length > ALWAYS_FOLDED)) return null;
        held.add(v.data);
        foldLeft -= v.data.length;
        return v;
      });
    }
    // without folding (an operator call: the call is the layer) a value known from shapes alone
    // (shape's) is still the layer's output, not a folded constant the report leaves out
    const folded = options.fold !== false && inferred.values !== undefined && inferred.values.length > 0 && inferred.values.every((v) => v !== null);
    const fieldWarn = (w: Warning) => {
      fromFields.add(w);
      warn(w);
    };
    const { rf, fields } = folded || !withField ? { rf: null, fields: null } : layerField(layer, op, inferred, inputShapes, tensors, layerNorms, fieldWarn);
    return { inferred, inputShapes, folded, rf, fields };
  };

  /**
   * A layer that does not run at inference (or follows one inferred at a stand-in size), at the
   * stand-in sizes when its own inference fails (analysis/stand-in.ts): null once recorded so;
   * else its inference as any layer's. Throws the first failure when the stand-in cannot stand in.
   */
  const orStandIn = (layer: GraphLayer, op: OpDef, ins: readonly (TensorInfo | null)[]): ReturnType<typeof step> | null => {
    let cause = ins.find((t) => t?.standIn)?.standIn?.cause;
    if (!cause) {
      try {
        return step(layer, op, ins, true);
      } catch (e) {
        if (!(e instanceof ConvlensError)) throw e;
        cause = e;
      }
      warn(notRunAtThisSize(layer.name, cause));
    }
    let a: ReturnType<typeof step>;
    let b: ReturnType<typeof step>;
    try {
      a = step(layer, op, standInInputs(ins, false), false);
      b = step(layer, op, standInInputs(ins, true), false);
    } catch {
      throw cause;
    }
    if (!sizeFreeWeights(a.inferred, b.inferred)) throw cause;
    const standIn = cause;
    layer.outputs.forEach((name, i) => {
      const alt = b.inferred.outputs[i];
      tensors.set(name, { shape: a.inferred.outputs[i] ?? null, value: null, rf: null, inputDependent: true, ...(alt ? { standIn: { alt, cause: standIn } } : {}) });
    });
    analysed.push({ layer, op, inferred: a.inferred, inputShapes: a.inputShapes, rf: null, folded: false, standIn: true });
    return null;
  };

  for (const layer of topologicalOrder(graph)) {
    starts.push(warnings.length);
    const op = OPS_BY_NAME.get(layer.op) ?? null;
    // An empty name is ONNX's "optional input omitted".
    const ins = layer.inputs.map((r) => (r === '' ? null : tensors.get(r) ?? unknown));
    const present = ins.filter((t): t is TensorInfo => t !== null);
    if (!op || present.some((t) => t.shape === null)) {
      // Unsupported here (an imported operator convlens does not model: at the field its mapper refused, when it named one) or downstream of one.
      const refused = !op && layer.source?.refused ? { unsupportedPath: layer.path + layer.source.refused.path } : {};
      analysed.push({ layer, op, inferred: null, inputShapes: ins.map((t) => t?.shape ?? []), rf: null, folded: false, standIn: false, ...refused });
      for (const o of layer.outputs) tensors.set(o, unknown);
      continue;
    }
    let done: ReturnType<typeof step> | null;
    try {
      done = executed.has(layer.name) ? step(layer, op, ins, true) : orStandIn(layer, op, ins);
    } catch (e) {
      if (!(e instanceof NotModelled)) throw e;
      // valid, not modelled (a Resize to computed sizes): unsupported with its reason, as an unknown operator is
      const unsupportedPath = e.field === undefined ? {} : { unsupportedPath: underLayer(layer, jsonPath(Array.isArray(e.field) ? e.field : [e.field])) };
      analysed.push({ layer, op: null, inferred: null, inputShapes: ins.map((t) => t?.shape ?? []), rf: null, folded: false, standIn: false, unsupported: e.message, ...unsupportedPath });
      for (const o of layer.outputs) tensors.set(o, unknown);
      continue;
    }
    if (!done) continue;
    const { inferred, inputShapes, folded, rf, fields } = done;
    const inputDependent = !inferred.fixedSize && present.some((t) => t.inputDependent);
    layer.outputs.forEach((name, i) => {
      tensors.set(name, {
        shape: inferred.outputs[i] ?? null,
        value: inferred.values?.[i] ?? null,
        rf: fields?.[i] ?? rf,
        inputDependent,
      });
    });
    analysed.push({ layer, op, inferred, inputShapes, rf, folded, standIn: false });
  }
  return { analysed, tensors, warnings, layerNorms, starts, fromFields };
}
