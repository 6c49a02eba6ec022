/**
 * One operator on given tensors: a one-layer graph through the same analyzer and kernel as whole
 * networks, so shapes, attribute checks and costs are the catalog's own. In a pool worker the
 * layer is split across the worker's team as a run's layers are (runtime/split.ts: a large conv,
 * max pooling, global average pooling, linear layer), all checks made in the worker first.
 */
import { analyzeGraph } from '../analysis/analyze.js';
import { inferGraph } from '../analysis/infer.js';
import type { Inference } from '../analysis/infer.js';
import type { LayerReport } from '../analysis/report.js';
import { ConvlensError, jsonPath } from '../errors.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { Intermediate, OpDef } from '../ops/types.js';
import type { Graph, GraphConstant } from '../graph/graph.js';
import { attributeError, unknownOpError } from '../graph/attribute-errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { closest } from '../suggest.js';
import { runGraph, runLimits } from './execute.js';
import type { RunOptions } from './execute.js';
import type { AnswerLimit } from './answer-bound.js';
import { checkRun } from './checks.js';
import { layerWeights } from './weights.js';
import { dict } from '../records.js';
import { chargeRun } from './memory-grant.js';

export interface OperatorCall {
  name: string;
  /** Inputs in the op's order (x, offset, mask …). */
  inputs: Tensor[];
  attributes: Record<string, unknown>;
  /** Weights by role (weight, bias, runningMean …); missing ones come from the seed. */
  weights: Record<string, Tensor>;
  training: boolean;
  seed: number;
  maxElements: number;
  /** Most work the call may cost (MAX_RUN_WORK); from the environment when absent. */
  maxWork?: number;
  /** The answer its outputs are for, checked before the kernel runs (RunOptions.answer). */
  answer?: AnswerLimit;
}

export interface OperatorResult {
  outputs: Tensor[];
  layer: LayerReport;
  /** Operator-specific facts (OpDef.facts: the sigmoid table's max error); a pool worker adds `workers` when it split the layer (runtime/worker.ts). */
  extra: Record<string, unknown>;
}

interface Prepared {
  op: OpDef;
  attrs: Record<string, unknown>;
  graph: Graph;
  inputs: Record<string, Tensor>;
  inference: Inference;
  layer: LayerReport;
  /** For each given weight role, the roles the op read attributes from that it was likely meant as (attrsWithWeights): a misspelt one is suggested them too. */
  meantAs: Readonly<Record<string, readonly string[]>>;
}

/**
 * The call's layer before its tensors: its op, attributes parsed, one-layer graph, inference and
 * report, which depend on the call's op, attributes, shapes (and the values of parameter inputs)
 * only. A pool worker answers the same call over and over (a service's clients send the same
 * layer's tensors), and these took 0.6–0.7 ms of each call in a worker that had just run a large
 * kernel (its code and data out of the caches), so a prepared call is kept by its key
 * (preparedKey) and a repeat takes it from there; only the tensors are the call's own. Calls with
 * parameter inputs (values the graph holds as constants) are prepared afresh each time.
 */
type Layout = Omit<Prepared, 'inputs'> & { names: string[] };

/** Prepared calls by key, least recently used first (a Map keeps insertion order). */
const prepared = new Map<string, Layout>();
/** Most prepared calls kept: each a one-layer graph and its report, a few kB. */
export const PREPARED_CALLS = 16;
/** Calls prepared afresh (misses) and taken from the kept ones (hits) by this thread, for tests and probes. */
export const preparedStats = { hits: 0, misses: 0 };

/** The attributes as a key: every value tagged with its type (-0 and 0, "1" and 1, undefined and null differ); null when one is not plain data (a function, a class instance). */
function attributesKey(attributes: Record<string, unknown>): string | null {
  let plain = true;
  const key = JSON.stringify(attributes, function (this: unknown, _k, v: unknown) {
    switch (typeof v) {
      case 'number':
        return `n${Object.is(v, -0) ? '-0' : String(v)}`;
      case 'string':
        return `s${v}`;
      case 'boolean':
        return v;
      case 'bigint':
        return `b${v}`;
      case 'undefined':
        return 'u';
      case 'object': {
        if (v === null || Array.isArray(v)) return v;
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) plain = false;
        return v;
      }
      default:
        plain = false;
        return null;
    }
  });
  return plain ? key : null;
}

const shapeKey = (t: Tensor): string => `${t.shape.join(',')}${t.dtype ?? ''}`;

/** What prepare's result depends on: op, attributes, the inputs' and weights' shapes and types, and training (kept apart, though prepare reads it not); null when the call has parameter inputs or attributes that are not plain data. */
function preparedKey(call: OperatorCall, hasParams: boolean): string | null {
  if (hasParams) return null;
  const attributes = attributesKey(call.attributes);
  if (attributes === null || attributes.length > 4096) return null;
  // JSON of the parts: a weight role is the request's text (a role spelling "inProjWeight:6x2,outProjWeight" is not two roles)
  const key = JSON.stringify([call.name, call.training, call.inputs.map(shapeKey), Object.entries(call.weights).map(([role, t]) => [role, shapeKey(t)]), attributes]);
  // a kept key is held by the thread outside any memory budget: a role is the request's text (a 1 MiB
  // role the op does not have was kept, refused or not, 16 of them a thread), so a long one is not kept
  return key.length > MAX_KEY_LENGTH ? null : key;
}

/** The longest key kept (preparedKey): a call of a few thousand inputs' shapes, far above a role's or an op's name. */
const MAX_KEY_LENGTH = 1 << 16;

function prepare(call: OperatorCall): Prepared {
  const op = OPS_BY_NAME.get(call.name);
  if (!op) throw unknownOpError('UNKNOWN_OPERATOR', call.name, 'no operator', { path: 'name' });
  const max = op.variadic ? Infinity : op.inputNames.length;
  if (call.inputs.length < op.minInputs || call.inputs.length > max) {
    throw new ConvlensError('SPEC_INVALID', `${op.name} takes ${op.minInputs}${max === Infinity ? '+' : max === op.minInputs ? '' : `–${max}`} inputs (${op.inputNames.join(', ')}), got ${call.inputs.length}`, {
      path: '$.inputs',
    });
  }
  // Parameter-like inputs (a shape, indices, scales: rank ≤ 1 after the first; the op's valueInputs) are known constants.
  const isParam = (t: Tensor, i: number) => op.valueInputs?.includes(i) === true || (i > 0 && t.shape.length <= 1 && !op.variadic);
  const key = preparedKey(call, call.inputs.some(isParam));
  const kept = key === null ? undefined : prepared.get(key);
  if (key !== null && kept) {
    preparedStats.hits++;
    // the most recently used last
    prepared.delete(key);
    prepared.set(key, kept);
    const { names, ...layout } = kept;
    return { ...layout, inputs: dict(call.inputs.map((t, i) => [names[i], t] as const)) };
  }
  preparedStats.misses++;
  // a kept layout holds nothing of the call's own: its attributes copied (the parsed ones may share their arrays)
  const made = prepareLayout(key === null ? call : { ...call, attributes: structuredClone(call.attributes) }, op, isParam);
  if (key !== null) {
    prepared.set(key, made);
    if (prepared.size > PREPARED_CALLS) prepared.delete(prepared.keys().next().value!);
  }
  const { names, ...layout } = made;
  return { ...layout, inputs: dict(call.inputs.flatMap((t, i) => (isParam(t, i) ? [] : [[names[i], t] as const]))) };
}

/**
 * The op's attributes with those its given weights imply (OpDef.attrsFromWeights), the weight
 * roles it looked up (`read`), and for each given role, the roles it was likely meant as (`meantAs`):
 * those the op looked up and was not given whose name, on the same tensor, would change the
 * attributes it implies (conv2d's 'bias' for 'bais': bias true; not convInteger's, which drops it).
 * The roles are learnt by watching which keys it looks up, so they are the op's own, not a second
 * list that could drift from it. Shapes and names only: a kept layout holds no tensor of the call.
 */
function attrsWithWeights(call: OperatorCall, op: OpDef): { attrs: Record<string, unknown>; read: Set<string>; meantAs: Record<string, string[]> } {
  const read = new Set<string>();
  const missed = new Set<string>();
  const fromWeights = op.attrsFromWeights;
  if (!fromWeights) return { attrs: call.attributes, read, meantAs: {} };
  const shapes = dict(Object.entries(call.weights).map(([role, t]) => [role, t.shape] as const));
  const look = (target: object, key: string | symbol): void => {
    if (typeof key !== 'string') return;
    read.add(key);
    if (!Reflect.has(target, key)) missed.add(key);
  };
  const watched = new Proxy(shapes, {
    get: (target, key) => (look(target, key), Reflect.get(target, key)),
    has: (target, key) => (look(target, key), Reflect.has(target, key)),
  });
  const attrs = fromWeights(watched, call.attributes);
  const implied = (s: typeof shapes) => JSON.stringify(fromWeights(s, call.attributes));
  const given = missed.size ? implied(shapes) : '';
  const renamed = (role: string, as: string) => dict([...Object.entries(shapes).filter(([r]) => r !== role), [as, shapes[role]] as const]);
  const meantAs = dict(Object.keys(shapes).map((role) => [role, [...missed].filter((as) => as !== role && implied(renamed(role, as)) !== given)] as const));
  return { attrs, read, meantAs };
}

function prepareLayout(call: OperatorCall, op: OpDef, isParam: (t: Tensor, i: number) => boolean): Layout {
  const { attrs, read, meantAs } = attrsWithWeights(call, op);
  const parsed = op.attrs.safeParse(attrs);
  if (!parsed.success) {
    // attributes missing because a weight they come from is misspelt: the weight is the mistake
    // ({"wieght": …} to conv2d was "conv2d needs outChannels" until kernelSize and outChannels were given);
    // only a role the op looked up and was not given can be the one meant: a role it was given
    // (multiHeadAttention's inProjWeight) says nothing of the others (outProjWeight, 3 edits from it)
    for (const role of Object.keys(call.weights)) {
      const suggestion = read.has(role) ? undefined : closest(role, meantAs[role]);
      if (suggestion === undefined) continue;
      throw new ConvlensError('INVALID_TENSOR', `${op.name} has no weight '${role}'; did you mean '${suggestion}'? (${op.name} reads attributes it is not given from '${suggestion}')`, { path: jsonPath(['weights', role]), suggestion });
    }
    throw attributeError(op, attrs, parsed.error.issues, { prefix: ['attributes'] });
  }
  const names = call.inputs.map((_, i) => op.inputNames[Math.min(i, op.inputNames.length - 1)] + (i >= op.inputNames.length ? String(i) : ''));
  const constants = new Map<string, GraphConstant>();
  call.inputs.forEach((t, i) => {
    if (!isParam(t, i)) return;
    const data = Array.from(t.data);
    const integer = data.every(Number.isInteger);
    constants.set(names[i], { name: names[i], shape: t.shape, dataType: integer ? 'int64' : 'float32', value: { data, integer }, raw: null, typed: t.data, initializer: false });
  });
  const graph: Graph = {
    name: op.name,
    inputs: call.inputs.flatMap((t, i) => (isParam(t, i) ? [] : [{ name: names[i], shape: [...t.shape], path: `$.inputs[${i}]` }])),
    layers: [
      {
        name: op.name,
        op: op.name,
        inputs: names,
        outputs: Array.from({ length: op.outputCount?.(parsed.data, call.inputs.map((t, i) => (isParam(t, i) ? Array.from(t.data) : null))) ?? 1 }, (_, k) => (k === 0 ? 'y' : `y${k}`)),
        attrs: parsed.data as Record<string, unknown>,
        path: '$',
      },
    ],
    outputs: null,
    constants,
  };
  graph.outputs = graph.layers[0].outputs;
  // the call is this layer: it runs even when every input is a known value (constantOfShape, range)
  const inference = inferGraph(graph, { fold: false });
  const report = analyzeGraph(graph, { dtype: 'float32', flops: '2macs', includeBias: false }, inference);
  return { op, attrs: parsed.data as Record<string, unknown>, graph, inference, layer: report.layers[0], names, meantAs };
}

/**
 * The request's weights by `<op>.<role>`, as runGraph reads them; a role the op does not have is
 * INVALID_TENSOR with the closest one of its roles or of those it was likely meant as (`meantAs`:
 * conv2d given {weight, bais} has no bias, since no 'bias' was given, yet 'bias' was meant).
 */
function givenWeights(call: OperatorCall, op: OpDef, inference: Inference, meantAs: Prepared['meantAs']): Record<string, Tensor> {
  const roles = inference.analysed[0].inferred?.weights.map((w) => w.name) ?? [];
  for (const role of Object.keys(call.weights)) {
    if (roles.includes(role)) continue;
    const suggestion = closest(role, [...new Set([...roles, ...(meantAs[role] ?? [])])]);
    const has = roles.length ? `its weights are ${roles.join(', ')}` : 'it has no weights';
    throw new ConvlensError('INVALID_TENSOR', `${op.name} has no weight '${role}' (${has})${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
      path: jsonPath(['weights', role]),
      ...(suggestion ? { suggestion } : {}),
    });
  }
  return dict(Object.entries(call.weights).map(([role, t]) => [`${op.name}.${role}`, t] as const));
}

/** A pool worker's team (runtime/worker.ts): the split hook and the shared memory its outputs are regions of. */
export type OperatorTeam = Pick<RunOptions, 'split' | 'shared'>;

/** The field that sets the call's sizes: its attributes, unless it gives none or `byInputs` (its inputs alone size the tensor at fault). */
const sizeField = (call: OperatorCall, byInputs = false): string => (!byInputs && Object.keys(call.attributes).length > 0 ? '$.attributes' : '$.inputs');

/** Where a refusal of the call's memory points: its size field, the inputs when they alone size what it allocates (an intermediate sizedBy 'inputs'). */
const sizedAt = (call: OperatorCall, inference: Inference): string => sizeField(call, inference.analysed[0]?.inferred?.intermediates?.some((t) => t.sizedBy === 'inputs'));

const runOptions = (call: OperatorCall, weights: Record<string, Tensor>, inference: Inference, team?: OperatorTeam): RunOptions => ({
  training: call.training,
  seed: call.seed,
  weightInit: 'seed',
  weights,
  capture: [],
  maxElements: call.maxElements,
  ...(call.maxWork !== undefined ? { maxWork: call.maxWork } : {}),
  // its output's and intermediates' memory, asked before the kernel runs, refused at the field that sizes them
  chargeMemory: chargeRun(sizedAt(call, inference)),
  ...(call.answer !== undefined ? { answer: call.answer } : {}),
  ...team,
});

/**
 * Everything runOperator checks before its kernel runs (attributes, shapes, weight roles and
 * shapes, tensor and work limits: runtime/checks.ts), for a path that runs kernels itself (the
 * vector-Jacobian product, runtime/vjp-operator.ts): the layer, its plan, and the weights the kernel
 * reads (given or seeded).
 */
export function checkOperator(call: OperatorCall): { layer: LayerReport; attrs: Record<string, unknown>; plan: unknown; weights: Record<string, Tensor> } {
  return atRequestPaths(call, ({ op, attrs, graph, inputs, inference, layer, meantAs }) => {
    const weights = givenWeights(call, op, inference, meantAs);
    checkRun(graph, inference, inputs, weights, runLimits(runOptions(call, weights, inference)));
    const { layer: graphLayer, inferred } = inference.analysed[0];
    const resolved = layerWeights(graphLayer, inferred!.weights, graph.constants, weights, 'seed', call.seed);
    return { layer, attrs, plan: inferred!.plan, weights: resolved };
  });
}

/** The call on this thread, or across `team` where its layer gains from a split (the outputs' bits are the same). */
export function runOperator(call: OperatorCall, team?: OperatorTeam): OperatorResult {
  return atRequestPaths(call, ({ op, attrs, graph, inputs, inference, layer, meantAs }) => {
    const weights = givenWeights(call, op, inference, meantAs);
    const { outputs } = runGraph(graph, inputs, runOptions(call, weights, inference, team), inference);
    return { outputs: graph.outputs!.map((o) => outputs[o]), layer, extra: op.facts?.(attrs) ?? {} };
  });
}

/** The fields of an operator call's request; any other path's first key is an attribute. */
const CALL_FIELDS = new Set(['inputs', 'weights', 'attributes', 'training', 'seed', 'format']);

/**
 * A tensor the layer needs or makes over MAX_TENSOR_ELEMENTS (checks.ts checkLayers: at the layer,
 * `$` here, its shape under its role), at the request's field it comes from:
 * - a weight: `$.weights.<role>`, where that tensor is given, or would be (a seeded one is drawn at
 *   that size from the attributes);
 * - an output or an intermediate (checks.ts: a tensor the kernel allocates beside its outputs, a
 *   conv's input padded in its paddingMode): the call's `$.attributes`, which set its size
 *   (upsample's scaleFactor, conv2d's outChannels or padding …), or, when the call gives none,
 *   `$.inputs`, whose shapes alone set it (add broadcasting [1, n] and [n, 1]).
 */
function tooLargeTensorPath(call: OperatorCall, e: ConvlensError, intermediates: readonly Intermediate[]): string | null {
  // an output's size or the work refused at the layer (a zero, a dimension over the size limit, work
  // over MAX_RUN_WORK): the field that sets it
  if ((e.code === 'NON_POSITIVE_SIZE' || e.code === 'SIZE_TOO_LARGE' || e.code === 'WORK_TOO_LARGE') && e.details.path === '$') return sizeField(call);
  if (e.code !== 'TENSOR_TOO_LARGE' || e.details.path !== '$' || !e.details.shapes) return null;
  const roles = Object.keys(e.details.shapes);
  if (roles.length !== 1) return null;
  if (roles[0] !== 'output' && roles[0] !== 'intermediate') return jsonPath(['weights', roles[0]]);
  // an intermediate the inputs' shapes alone size (attention's t × t scores: its tokens), whatever the attributes
  const shape = e.details.shapes.intermediate;
  return sizeField(call, shape != null && intermediates.some((t) => t.sizedBy === 'inputs' && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])));
}

/**
 * The call's errors at the request's paths: its layer's are the layer's own (`$.groups`, since the
 * layer is the call) and are the request's `$.attributes.groups`; a weight's are the graph's
 * `$.weights["conv2d.weight"]` and are the request's `$.weights.weight`; a weight or an output
 * over the element limit, found at the layer, is at the field it comes from (tooLargeTensorPath).
 */
function atRequestPaths<T>(call: OperatorCall, fn: (prepared: Prepared) => T): T {
  let intermediates: readonly Intermediate[] = [];
  try {
    const prepared = prepare(call);
    intermediates = prepared.inference.analysed[0]?.inferred?.intermediates ?? [];
    return fn(prepared);
  } catch (e) {
    if (!(e instanceof ConvlensError) || typeof e.details.path !== 'string') throw e;
    const tooLarge = tooLargeTensorPath(call, e, intermediates);
    if (tooLarge) throw new ConvlensError(e.code, e.message, { ...e.details, path: tooLarge });
    const path = e.details.path;
    const weight = /^\$\.weights\["([^"]+)"\](.*)$/.exec(path);
    const prefix = `${call.name}.`;
    let moved: string | null = null;
    if (weight && weight[1].startsWith(prefix)) moved = jsonPath(['weights', weight[1].slice(prefix.length)]) + weight[2];
    else {
      const first = /^\$\.([A-Za-z_$][\w$]*)/.exec(path)?.[1];
      // a parameter the call gave as an input (tile's repeats as inputs[1], ONNX-style) is at that input, not at an attribute it never sent
      const asInput = first === undefined ? -1 : (OPS_BY_NAME.get(call.name)?.inputNames.indexOf(first) ?? -1);
      if (first !== undefined && asInput > 0 && asInput < call.inputs.length && !Object.hasOwn(call.attributes, first)) moved = `$.inputs[${asInput}]`;
      else if (first !== undefined && !CALL_FIELDS.has(first)) moved = `$.attributes${path.slice(1)}`;
    }
    if (moved === null) throw e;
    throw new ConvlensError(e.code, e.message, { ...e.details, path: moved });
  }
}
