/**
 * ONNX → graph. Nodes map onto the registry's ops (attribute names and defaults per the ONNX
 * operator specs, opsets 7–27: graph/onnx/opsets.ts); weights become graph constants bound to the layer by role and
 * are read only for their shapes. Nodes of any other type stay in the graph under their op type,
 * so the report names them and marks the totals incomplete. Shape inference is the analyzer's:
 * shape subgraphs (Shape → Gather → Concat → Reshape) fold there by evaluation.
 */
import { ConvlensError, fmtShape } from '../../errors.js';
import { DEFAULT_MAX_FOLDED_ELEMENTS } from '../../limits.js';
import { OPS_BY_NAME } from '../../ops/registry.js';
import type { Graph, GraphConstant, GraphInput, GraphLayer } from '../graph.js';
import { attributesOf } from './attributes.js';
import { constantNode, readerCounts, toConstant, withReader } from './constants.js';
import { mapNode, Unsupported } from './map-node.js';
import type { Mapped } from './map-node.js';
import type { ExtraLayer } from './mapping.js';
import { decodeModel, num } from './proto.js';
import { checkShapeNames, graphInput } from './graph-inputs.js';
import type { NodeProto } from './proto.js';
import { flattenControlFlow, subgraphPath } from './control-flow.js';
import { recordElementTypes } from './element-types.js';
import type { LoopNode } from './control-flow.js';
import { loopBody } from './loop-body.js';
import type { Extent, ImportedLoopBody } from './loop-body.js';
import { LoopAttrs } from '../../ops/loop.js';
import type { DataType } from '../../tensor/dtype.js';
import { inferGraph } from '../../analysis/infer.js';
import type { TensorInfo } from '../../analysis/infer.js';
import { foldDequantize, smallConstant } from './qdq.js';
import { shareRepeatedCallParameters } from './repeated-calls.js';
import { ConstantFolder, pruneFolded } from '../fold-constants.js';
import type { FoldReserve } from '../fold-budget.js';
import { dtypeOfOnnx } from '../../tensor/dtype.js';
import { MICROSOFT_OPS } from './map-quant.js';
import { nameNormsByRank } from './map-norm.js';
import type { ValueInfoProto } from './proto.js';
import { constantView } from './constant-views.js';
import { onnxFieldsOf, resolveField } from './file-fields.js';
import { opsetRefusal } from './opsets.js';
import { operatorOpsetNote, readOpset, unknownOperatorReason } from './operator-names.js';
import { FOLDED_SINGLE_OUTPUT, checkExtraOutputs, checkGraphOutputs, checkKernelShape, checkSingleAssignment, checkedLayerInputs, checkNodeWrites } from './node-checks.js';

export interface OnnxImportOptions {
  /** Shapes for inputs with dynamic dimensions: by input name, or `''` for the first input. */
  inputShapes?: Record<string, number[]>;
  /** Where the request holds inputShapes (default `$.inputShapes`): the path of a key that names no input. */
  shapesAt?: string;
  /** MAX_FOLDED_ELEMENTS: most constant values decoded for folding (default: the configuration's default). */
  maxFolded?: number;
  /**
   * Whether weights the graph computes from the file's weights (weight standardisation) fold to
   * values, as a run needs them (the default), or keep their shapes alone, as an analysis needs:
   * it then spends no time or memory computing them (graph/fold-constants.ts).
   */
  values?: boolean;
  /** MAX_TENSOR_ELEMENTS as configured: no value folded at import is larger (default: its default; graph/fold-budget.ts). */
  maxElements?: number;
  /**
   * Charges `bytes` more of the fold's memory (a run: its request's memory grant), before the fold
   * that needs them runs; throws to refuse (OVERLOADED, GRAPH_TOO_LARGE), which ends the import.
   * Told float32 bytes of the bound graph/fold-budget.ts computes past MAX_FOLDED_ELEMENTS as it
   * grows; every build of the file (a Loop's, imported again) shares one high-water mark.
   */
  chargeFold?: (bytes: number, what: string) => void;
}

/** What build() is given: the caller's options, and the fold's reserve (importOnnx makes one per file). */
interface BuildOptions extends OnnxImportOptions {
  reserve?: FoldReserve;
}

/** The fold's bound in elements → bytes more charged past what the import has charged already (each build's folds start from nothing). */
function foldReserve(charge: ((bytes: number, what: string) => void) | undefined): FoldReserve | undefined {
  if (!charge) return undefined;
  let charged = 0;
  return (elements, what) => {
    // float32: what the folds decode and compute
    const bytes = 4 * elements;
    if (bytes <= charged) return;
    charge(bytes - charged, `folding the weights at import (up to ${what})`);
    charged = bytes;
  };
}

export interface OnnxInfo {
  opset: number;
  irVersion: number;
  producer: string;
}

export function importOnnx(bytes: Uint8Array, given: OnnxImportOptions = {}): { graph: Graph; info: OnnxInfo } {
  const model = decodeModel(bytes);
  const options: BuildOptions = { ...given, reserve: foldReserve(given.chargeFold) };
  const attempt = (counts: ReadonlyMap<string, number>, runtime: ReadonlySet<string>, refused: ReadonlyMap<string, string>) => {
    const built = build(model, options, counts, runtime, refused);
    // no Loop: nothing to decide, and the caller's analysis infers the graph once
    if (built.unrolled.length === 0 && built.computedTripCounts.length === 0 && runtime.size === 0) return { built, tensors: null, error: null };
    try {
      const inference = inferGraph(built.result.graph, { maxFolded: options.maxFolded });
      // a layer found unsupported only by inference (a Resize to a box's computed size) decides as its failure did before: the loops are imported so, never the file refused
      const unmodelled = inference.analysed.find((x) => x.unsupported !== undefined);
      if (unmodelled) return { built, tensors: null, error: new ConvlensError('UNSUPPORTED_OPERATOR', `layer '${unmodelled.layer.name}': ${unmodelled.unsupported}`, { layer: unmodelled.layer.name }) };
      return { built, tensors: inference.tensors, error: null };
    } catch (e) {
      // whatever stops it (an op that cannot take a zero-size tensor) only decides how the loops are imported: never a failed import
      return { built, tensors: null, error: e instanceof ConvlensError ? e : new ConvlensError('UNSUPPORTED_OPERATOR', e instanceof Error ? e.message : String(e), {}) };
    }
  };
  const runtime = new Set<string>();
  const refused = new Map<string, string>();
  let a = attempt(new Map(), runtime, refused);
  // Loops unrolled from a constant trip count whose body cannot be analysed unrolled (a resize to a
  // box's size): kept whole and run iteration by iteration (ops/loop.ts), else left unsupported
  for (let round = 0; a.error && round < 4; round++) {
    const failing = String(a.error.details.layer ?? '');
    const loops = a.built.unrolled.filter((u) => failing.startsWith(`${u.name}/`));
    if (loops.length === 0) break;
    loops.forEach((u) => runtime.add(u.tripCount));
    const whole = attempt(new Map(), runtime, refused);
    if (whole.error && whole.error.details.layer !== undefined && loops.some((u) => whole.error!.details.layer === u.name)) {
      loops.forEach((u) => (runtime.delete(u.tripCount), refused.set(u.tripCount, `its body cannot be analysed unrolled (${a.error!.message}) nor iteration by iteration (${whole.error!.message})`)));
      a = attempt(new Map(), runtime, refused);
    } else a = whole;
  }
  if (a.built.computedTripCounts.length === 0 || !a.tensors) return settle(a.built, a.tensors, options.maxFolded);
  // Loops whose trip count is computed: when the analysis folds it from shapes (Gather(Shape(x), 0)),
  // import again with those counts so the loops unroll (control-flow.ts); else they stay unsupported
  const counts = new Map<string, number>();
  for (const name of a.built.computedTripCounts) {
    const v = a.tensors.get(name)?.value;
    if (v && v.data.length === 1 && Number.isInteger(v.data[0])) counts.set(name, v.data[0]);
  }
  if (counts.size === 0) return settle(a.built, a.tensors, options.maxFolded);
  // the unrolled body must analyse (a Resize to a box's size does not): else the loops run iteration by iteration
  const unrolled = attempt(counts, runtime, refused);
  if (!unrolled.error) return settle(unrolled.built, unrolled.tensors, options.maxFolded);
  // kept whole (ops/loop.ts): analysed at the folded count, a bound, each iteration's body inferred; run iteration by iteration
  const whole = attempt(new Map(), new Set([...runtime, ...counts.keys()]), refused);
  if (!whole.error) return settle(whole.built, whole.tensors, options.maxFolded);
  for (const l of a.built.result.graph.layers) {
    const m = l.op === 'Loop' ? counts.get(l.inputs[0]) : undefined;
    if (m !== undefined) l.attrs = { reason: `its trip count folds to ${m} from shapes, but the unrolled body cannot be analysed: ${unrolled.error.message}; nor the body run iteration by iteration: ${whole.error!.message}` };
  }
  return settle(a.built, a.tensors, options.maxFolded);
}

function build(model: ReturnType<typeof decodeModel>, options: BuildOptions, tripCounts: ReadonlyMap<string, number>, runtime: ReadonlySet<string> = new Set(), refused: ReadonlyMap<string, string> = new Map()) {
  const g = model.graph!;
  const opset = num(model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version) || 1;
  // a file of custom-domain nodes alone reads no ai.onnx operator
  const refusal = g.node.some((n) => isDefault(n.domain)) ? opsetRefusal(opset) : null;
  if (refusal) throw new ConvlensError('ONNX_INVALID', refusal, { path: '$.opset_import', opset });

  checkSingleAssignment(g);
  const constants = new Map<string, GraphConstant>();
  const budget = { left: options.maxFolded ?? DEFAULT_MAX_FOLDED_ELEMENTS };
  for (const t of g.initializer) constants.set(t.name, withReader(g.node, t.name, () => toConstant(t, t.name, true, budget)));
  // If and Loop inlined (graph/onnx/control-flow.ts): one flat list of nodes, subgraph initializers added
  const flat = flattenControlFlow(g, opset, tripCounts, runtime, refused);
  const flatNodes = flat.initializers.length ? flat.nodes.map((n) => n.node) : [];
  for (const t of flat.initializers) constants.set(t.name, withReader(flatNodes, t.name, () => toConstant(t, t.name, true, budget)));

  const given = g.input.filter((v) => !constants.has(v.name));
  checkShapeNames(options, given.map((v) => v.name), constants);
  const inputs: GraphInput[] = given.map((v, i) => graphInput(v, i, options));
  if (inputs.length === 0) throw new ConvlensError('ONNX_GRAPH_INVALID', 'the ONNX graph has no inputs besides its initializers', { path: '$.graph.input' });

  const known = new Set<string>([...constants.keys(), ...inputs.map((i) => i.name)]);
  for (const { node: n } of flat.nodes) for (const o of n.output) known.add(o);
  /** What a node or the graph's outputs read: a node's output past what its op writes must not be one. */
  const read = new Set<string>(g.output.map((o) => o.name));
  for (const { node: n } of flat.nodes) for (const i of n.input) read.add(i);

  const layers: GraphLayer[] = [];
  // weights the graph computes from constants fold into constants (graph/fold-constants.ts), within the same budget
  const folder = new ConstantFolder(constants, layers, budget, readerCounts(flat.nodes.map((n) => n.node), g.output.map((o) => o.name)), (n) => known.has(n), { values: options.values, maxElements: options.maxElements, reserve: options.reserve });
  const bodies: ImportedLoopBody[] = [];
  const names = new Set<string>();
  /** An Identity-of-a-constant's output → the constant it stands for (repeated-calls.ts). */
  const aliasOf = new Map<string, string>();
  const early: NonNullable<Graph['onnxOperatorOpsetNotes']> = [];
  flat.nodes.forEach(({ node, path, unsupported, unsupportedAt, loop, branches, file }, index) => {
    let name = node.name || `${node.opType}_${index}`;
    while (names.has(name)) name = `${name}_${index}`;
    names.add(name);
    // errors name the file's node: its op type too, for a node written in its place (an If's output Identity: If)
    const opType = (file ?? node).opType;
    checkNodeWrites(node, name, path, opType);
    // an operator the model's opset predates (Range at 7) or has deprecated (Upsample at 10): read by its first or last definition, warned of (operator-names.ts)
    const note = isDefault(node.domain) ? operatorOpsetNote(node.opType, opset, name) : null;
    if (note) early.push(note);
    if (isDefault(node.domain) && FOLDED_SINGLE_OUTPUT.has(node.opType)) checkExtraOutputs(node, 1, read, name, path, node.opType, opType);
    node.input.forEach((ref, k) => {
      if (ref !== '' && !known.has(ref)) {
        // a node written in the file's node's place reads it where the file's node does, or names the node
        const at = file ? file.input.indexOf(ref) : k;
        throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${opType}) reads '${ref}', which no input, initializer or node produces`, {
          path: at >= 0 ? `${path}.input[${at}]` : path,
          layer: name,
        });
      }
    });
    const a = attributesOf(node, name, path, opType);
    // Identity of a constant (torch's export shares equal initializers this way) is that constant.
    const aliased = node.opType === 'Identity' ? constants.get(node.input[0]) : undefined;
    if (aliased) {
      // an alias counts as itself (torch merges equal initializers of distinct modules so: repeated-calls.ts)
      constants.set(node.output[0], { ...aliased, name: node.output[0], countsAs: undefined });
      aliasOf.set(node.output[0], aliasOf.get(node.input[0]) ?? node.input[0]);
      return;
    }
    // Unsqueeze / Squeeze of a constant: the constant at another shape (graph/onnx/constant-views.ts)
    const view = isDefault(node.domain) ? constantView(node, a, opset, constants) : null;
    if (view) {
      constants.set(node.output[0], view);
      aliasOf.set(node.output[0], aliasOf.get(node.input[0]) ?? node.input[0]);
      return;
    }
    // small Cast / ConstantOfShape of constants (an exported QDQ bias's zero point) evaluate here
    if ((node.opType === 'Cast' || node.opType === 'ConstantOfShape') && isDefault(node.domain)) {
      const c = smallConstant(node.opType, node.output[0], node.input.map((r) => constants.get(r)), node.opType === 'Cast' ? dtypeOfOnnx(a.int('to', 0)) : null, node.opType === 'ConstantOfShape' && a.tensor('value') ? toConstant(a.tensor('value')!, '', false, budget) : null);
      if (c) {
        constants.set(node.output[0], c);
        return;
      }
    }
    // A DequantizeLinear of constants is a QDQ graph's weight: a float constant (graph/onnx/qdq.ts)
    if (node.opType === 'DequantizeLinear' && isDefault(node.domain) && node.input[0] && node.input[1]) {
      const [x, scale] = [constants.get(node.input[0]), constants.get(node.input[1])];
      const zp = node.input[2] ? constants.get(node.input[2]) : null;
      const folded = x && scale && zp !== undefined ? foldDequantize(node.output[0], x, scale, zp, a.int('axis', 1), a.int('output_dtype', 0)) : null;
      if (folded && a.int('block_size', 0) === 0) {
        constants.set(node.output[0], folded);
        return;
      }
    }
    if (node.opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      const c = constantNode(node, a, budget);
      if (c) {
        constants.set(node.output[0], c);
        return;
      }
    }
    if (loop) {
      // the image a body's per-ROI sizes are bounded by (loop-body.ts): the first input of rank ≥ 3 until the enclosing graph's shapes are known (settle)
      const image = inputs.find((i) => i.shape.length >= 3);
      const body = loopBody(importBody(model, loop, options, subgraphPath(file ?? node, 'body', path), early), bodyTypes(loop), node.input.length - 2 - loop.captured.length, options.maxFolded, image ? { h: image.shape.at(-2)!, w: image.shape.at(-1)!, source: `'${image.name}' ${fmtShape(image.shape)} (the graph input)` } : null);
      bodies.push(body);
      layers.push({ name, op: 'loop', inputs: [...node.input], outputs: [...node.output], attrs: LoopAttrs.parse({ body }), path, source: { format: 'onnx', opType: 'Loop', ...onnxFieldsOf(file ?? node, { body: 'body' }, { inputs: node.input, outputs: node.output }) } });
      return;
    }
    let mapped: Mapped | null = null;
    let reason = unsupported ?? '';
    let refusedAt = unsupportedAt === undefined ? undefined : resolveField(node, unsupportedAt, file ?? node);
    if (unsupported) {
      // control flow convlens cannot inline (a computed trip count): stays unsupported with its reason
    } else if (node.domain === 'convlens') {
      mapped = controlNode(node, a, branches);
    } else if (isDefault(node.domain) || (node.domain === 'com.microsoft' && MICROSOFT_OPS.has(node.opType))) {
      try {
        mapped = mapNode(node, a, note ? readOpset(note) : opset, constants, flat.types, folder);
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        reason = e.message;
        refusedAt = e.field === undefined ? undefined : resolveField(node, e.field, file ?? node);
        if (!reason && isDefault(node.domain)) reason = unknownOperatorReason(node.opType, opset) ?? '';
      }
      // after mapping: a weight folded from constants has its shape only then
      checkKernelShape(node, a.ints('kernel_shape'), constants, name, path);
      if (mapped) a.checkMisspelt();
    } else {
      reason = `domain ${node.domain}`;
    }
    // the op the layer computes (an unrolled Loop's Concat: Concat); errors name `opType`, the file's (OnnxFields.fileOpType)
    const source = { format: 'onnx' as const, opType: node.opType };
    if (!mapped) {
      layers.push({ name, op: node.opType, inputs: [...node.input], outputs: [...node.output], attrs: reason ? { reason } : {}, path, source: { ...source, ...(refusedAt && { refused: refusedAt }) } });
      return;
    }
    const parsedAttrs = (opName: string, attrs: Record<string, unknown>, from?: Mapped['from']) => {
      const parsed = OPS_BY_NAME.get(opName)!.attrs.safeParse(attrs);
      if (parsed.success) return parsed.data as Record<string, unknown>;
      const issue = parsed.error.issues[0];
      // the AttributeProto the value came from (a MaxPool's strides), else the node's attribute list
      const field = onnxFieldsOf(node, from, { inputs: [], outputs: [] }, file).fields?.[String(issue.path[0])];
      throw new ConvlensError('ONNX_GRAPH_INVALID', `node '${name}' (${opType}): ${issue.path.join('.') || 'attributes'}: ${issue.message}`, {
        path: `${path}${field?.path ?? '.attribute'}`,
        layer: name,
        opType,
        ...(field?.attribute !== undefined && { onnxAttribute: field.attribute }),
      });
    };
    // a node mapped to a chain (Gemm with transA or a per-row C): its extra layers, named after it
    const extra = (x: ExtraLayer) => layers.push({ name: `${name}:${x.suffix}`, op: x.op, inputs: x.inputs, outputs: [x.output], attrs: parsedAttrs(x.op, x.attrs), path, source });
    const op = OPS_BY_NAME.get(mapped.op)!;
    const layerInputs = checkedLayerInputs(op, mapped.inputs, mapped.weights !== undefined, name, node, path, opType);
    const attrs = parsedAttrs(mapped.op, mapped.attrs, mapped.from);
    checkExtraOutputs(node, op.outputCount?.(attrs) ?? 1, read, name, path, op.name, opType);
    mapped.before?.forEach(extra);
    const outputs = mapped.outputs ?? [...node.output];
    layers.push({
      name,
      op: mapped.op,
      inputs: layerInputs,
      outputs,
      attrs,
      path,
      source: { ...source, ...onnxFieldsOf(node, mapped.from, { inputs: layerInputs, outputs, weights: mapped.weights }, file) },
      ...(mapped.weights ? { weights: mapped.weights } : {}),
    });
    mapped.after?.forEach(extra);
  });

  const outputs = g.output.map((o) => o.name);
  const foldedAtImport = pruneFolded(layers, folder.evaluated, constants, outputs);
  shareRepeatedCallParameters(layers, aliasOf, (ref) => constants.get(ref)?.initializer === true);
  checkGraphOutputs(g.output, known);
  // float16 tensors are rounded and answered as float16 at run time (runtime/float16-run.ts)
  recordElementTypes({ inputs, layers }, flat.types);
  const result = {
    graph: { name: g.name || 'onnx-model', inputs, layers, outputs: outputs.length ? outputs : null, constants, onnxOpset: opset, ...(early.length && { onnxOperatorOpsetNotes: early }), ...(foldedAtImport.length ? { foldedAtImport } : {}) } as Graph,
    info: { opset, irVersion: num(model.irVersion), producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim() },
  };
  return { result, computedTripCounts: flat.computedTripCounts, unrolled: flat.unrolled, bodies };
}

/**
 * The import chosen: the bodies kept whole take as their image the largest map (by the area of its
 * last two dims; of rank 4, N, C, H, W, when the graph has one, else of rank 3) of the enclosing
 * graph's inferred shapes: a detector's image after its transform (torchvision's R-CNNs resize to
 * min_size 800), the frame its ROIs are in and clipped to. Rank 3 only failing rank 4: an FPN's
 * anchors [1, A, 4] (A ≈ H·W/3 over its levels) outgrew the image's area at some sizes
 * (KeypointRCNN at 150×200: 8961×4 against 160×224, its Loop's cost 1,600× too high).
 */
function settle(built: ReturnType<typeof build>, tensors: ReadonlyMap<string, Pick<TensorInfo, 'shape'>> | null, maxFolded?: number): ReturnType<typeof build>['result'] {
  const best = imageExtent(tensors ?? new Map());
  if (best) for (const b of built.bodies) b.setExtent(best);
  // a BatchNormalization's and an InstanceNormalization's names follow their input's rank (map-norm.ts), in kept Loop bodies too
  nameNormsByRank(built.result.graph, tensors, maxFolded, built.bodies.map((b) => b.graph));
  return built.result;
}

/** The image extent `settle` gives the bodies kept whole, from the enclosing graph's inferred shapes. */
export function imageExtent(tensors: ReadonlyMap<string, Pick<TensorInfo, 'shape'>>): Extent | null {
  let best: (Extent & { rank: number }) | null = null;
  for (const [name, t] of tensors) {
    const s = t.shape;
    if (!s || s.length < 3) continue;
    const [h, w] = s.slice(-2);
    const rank = Math.min(s.length, 4);
    if (!best || rank > best.rank || (rank === best.rank && h * w > best.h * best.w)) best = { h, w, rank, source: `'${name}' ${fmtShape(s)} (the largest map of the graph)` };
  }
  return best && { h: best.h, w: best.w, source: best.source };
}

const isDefault = (domain: string | null | undefined) => !domain || domain === 'ai.onnx';

/**
 * A Loop's body as a graph of its own (graph/onnx/loop-body.ts): inputs [iteration, cond, carried …,
 * captured …] with placeholder shapes (each use gives its own), the enclosing graphs' constants it
 * reads as initializers.
 */
function importBody(model: ReturnType<typeof decodeModel>, loop: LoopNode, options: BuildOptions, at: string, early: NonNullable<Graph['onnxOperatorOpsetNotes']>): Graph {
  const b = loop.body;
  const input = [...b.input.map((v) => ({ name: v.name })), ...loop.captured.map((name) => ({ name }))] as ValueInfoProto[];
  const graph = { ...b, name: b.name || 'loop-body', input, initializer: [...b.initializer, ...loop.constants] };
  const stored = new Set(graph.initializer.map((t) => t.name));
  const shapes = Object.fromEntries(input.filter((v) => !stored.has(v.name)).map((v) => [v.name, [1]]));
  // built as a graph of its own, its paths are under `$.graph`: in the file they are under the body's AttributeProto's g,
  // which the errors of its layers (at import, inferring an iteration, running one) must name
  const inFile = (p: string) => (p === '$.graph' || p.startsWith('$.graph.') || p.startsWith('$.graph[') ? at + p.slice('$.graph'.length) : p);
  let built: Graph;
  try {
    built = build({ ...model, graph } as ReturnType<typeof decodeModel>, { ...options, inputShapes: shapes }, new Map()).result.graph;
  } catch (e) {
    if (e instanceof ConvlensError && typeof e.details.path === 'string') throw new ConvlensError(e.code, e.message, { ...e.details, path: inFile(e.details.path) });
    throw e;
  }
  for (const l of built.layers) l.path = inFile(l.path);
  early.push(...(built.onnxOperatorOpsetNotes ?? [])); // the body's nodes' operators, warned of as the graph's
  // the body's own inputs (the captured tensors after them are the enclosing graph's, at no input of the body)
  built.inputs.forEach((v, i) => i < b.input.length && (v.path = inFile(v.path)));
  return built;
}

/** Element types of a body's inputs, as loop-body.ts needs them: the body's own declarations, then the captured tensors'. */
function bodyTypes(loop: LoopNode): DataType[] {
  return [...loop.body.input.map((v) => dtypeOfOnnx(v.type?.tensorType?.elemType ?? 1)), ...loop.capturedTypes];
}

/** The nodes control-flow inlining writes (domain `convlens`): the If's selection and the Loop's guard. */
function controlNode(node: NodeProto, a: ReturnType<typeof attributesOf>, branches?: { then: string[]; else: string[] }): Mapped {
  if (node.opType === 'IfSelect') return { op: 'ifSelect', inputs: [...node.input], attrs: { outputs: node.output.length, thenLayers: branches?.then ?? [], elseLayers: branches?.else ?? [] } };
  return {
    op: 'loopContinue',
    inputs: [...node.input],
    attrs: { outputs: node.output.length, iteration: a.int('iteration', 0), tripCount: a.int('tripCount', 1), fromShapes: a.int('fromShapes', 0) === 1 },
  };
}
