/**
 * Float constant folding at import. A weight an imported layer reads (a Conv's W, a Gemm's B and C,
 * a BatchNormalization's statistics) that the graph computes from constants alone is evaluated
 * here. The real case is weight standardisation as torch.onnx.export writes it without constant
 * folding (BiT, timm's StdConv2d, NFNets' ScaledStdConv2d): ReduceMean, Sub, Mul, ReduceMean,
 * Add(ε), Sqrt, Div over the stored weight, or a BatchNormalization of the weight reshaped to
 * [1, out, −1], maybe times a gain. The layers that compute it are evaluated one by one as a run
 * would run them: each already mapped to its convlens op (graph/onnx/map-node.ts), inferred by
 * that op (shapes, and int64 shape arithmetic such as Reshape(·, Shape(weight))) and computed by
 * the op's own kernel (OpDef.run, float32, the weights bound as the runtime binds them), so the
 * folded weight is what the runtime computes. Those layers then leave the graph (pruneFolded) and
 * the constant counts the float initializers it comes from as its layer's parameters
 * (GraphConstant.folded: the raw weight and the gain, as PyTorch's parameters() counts them).
 *
 * Shapes always fold, so a file with its weights stripped analyses the same. Values fold within
 * the graph's folding limits (graph/fold-budget.ts): one value's size, the graph's work, and all
 * the values the folding holds at once (initializers decoded for it, intermediate results until
 * every node reading them is folded, the folded weights) within what the graph's MAX_FOLDED_ELEMENTS
 * budget has left (the budget the import's decoded constants draw on); for values computed from the
 * file's float initializers, limits those initializers set. Past a limit, or without the file's
 * data, the constant has its shape and no values, and `folded.unheld` says why: the analysis is
 * whole, and a run refuses at that weight (graph/bound-weights.ts missingWeight).
 */
import { ConvlensError } from '../errors.js';
import { DEFAULT_MAX_TENSOR_ELEMENTS, MAX_COUNT } from '../limits.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import { kernelWork } from '../ops/common.js';
import type { Inferred, OpDef } from '../ops/types.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { fileWeights } from './bound-weights.js';
import { constantData } from './constant-data.js';
import { FoldLimits } from './fold-budget.js';
import type { FoldBudget, FoldReserve } from './fold-budget.js';
import { parameterSources, unsupportedReason } from './graph.js';
import type { GraphConstant, GraphLayer } from './graph.js';

/** Why a tensor cannot be folded to a constant. */
export interface NotFoldable {
  reason: string;
  /** The tensor is itself an input of the graph (a weight of a file written with export_params=False). */
  graphInput?: true;
}

type Folded = GraphConstant | NotFoldable;

export const notFoldable = (f: Folded | null | undefined): f is NotFoldable => f != null && 'reason' in f;

/** A folded float value this small is kept as a value too, as a float literal of the file is (graph/onnx/constants.ts MAX_FLOAT_LITERAL). */
const LITERAL = 64;

/**
 * Shape arithmetic (Shape of a weight, Gather, Concat, a Range of a few values): an integer fold of
 * at most LITERAL values per output reading at most this many known values always folds, as the
 * analyzer's does (analysis/infer.ts ALWAYS_FOLDED), so the shapes after it are known even when the
 * budget is spent; it is charged all the same. Any other integer fold is within the generic caps.
 */
const SHAPE_ARITHMETIC = 1024;

/** Whether the constant's values are at hand: decoded, typed, folded or in its raw bytes. */
function hasValues(c: GraphConstant): boolean {
  const n = numel(c.shape);
  return n === 0 || c.value?.data.length === n || c.typed?.length === n || (c.raw !== null && c.dataType !== 'other');
}

/** Why a constant has no values, as a run would say. */
function missingData(c: GraphConstant): string {
  if (c.folded?.unheld) return c.folded.unheld;
  if (c.external !== undefined) return `the data of '${c.name}' is in the external file '${c.external}', which convlens does not read`;
  return c.undecoded !== undefined ? `the values of '${c.name}' are ${c.undecoded}, which convlens does not decode` : `the file carries no data for '${c.name}' (weights stripped)`;
}

/** How the import folds (graph/onnx/import.ts OnnxImportOptions). */
export interface FoldOptions {
  /** Whether values computed from the file's weights are folded (a run needs them: the default), or their shapes alone (an analysis: OnnxImportOptions.values). */
  values?: boolean;
  /** MAX_TENSOR_ELEMENTS as configured: no folded value is larger (default: its default). */
  maxElements?: number;
  /** Told the fold memory's bound as it grows, before the fold that grows it (graph/fold-budget.ts FoldReserve). */
  reserve?: FoldReserve;
}

export class ConstantFolder {
  /** Tensors evaluated (or found not foldable), by name: the weights asked for are in `constants` too. */
  private readonly memo = new Map<string, Folded>();
  private readonly producer = new Map<string, GraphLayer>();
  private indexed = 0;
  /**
   * Values the folding holds (float arrays its kernels wrote or decoded, integer values its ops'
   * inference computed), with how many tensors hold each (a reshape passes its input's on): their
   * elements are drawn from the budget while held.
   */
  private readonly held = new Map<ArrayLike<number>, number>();
  /** Constants of the file decoded for folding, by name, until every node reading them is folded. */
  private readonly decoded = new Map<string, Float32Array>();
  /** The layers evaluated: pruneFolded takes those no longer needed out of the graph. */
  readonly evaluated = new Set<GraphLayer>();
  private readonly limits: FoldLimits;
  private readonly foldValues: boolean;
  private readonly maxElements: number;

  constructor(
    private readonly constants: Map<string, GraphConstant>,
    /** The graph's layers as the import adds them (a node's producers come before it). */
    private readonly layers: readonly GraphLayer[],
    private readonly budget: FoldBudget,
    /** How many nodes read each tensor: its values are let go once all of them are evaluated. */
    private readonly readers: Map<string, number>,
    /** Whether a tensor of this name exists in the file (a new constant takes a name no tensor has). */
    private readonly taken: (name: string) => boolean,
    options: FoldOptions = {},
  ) {
    this.foldValues = options.values ?? true;
    this.maxElements = options.maxElements ?? DEFAULT_MAX_TENSOR_ELEMENTS;
    this.limits = new FoldLimits(budget, (name) => numel(constants.get(name)?.shape ?? [0]), this.maxElements, options.reserve);
  }

  /** The constant tensor `name` stands for, computed from constants by the layers that write it, and registered among the graph's constants; or why not. */
  fold(name: string): GraphConstant | NotFoldable {
    const known = this.constants.get(name);
    if (known) return known;
    const r = this.evaluate(name);
    if (!notFoldable(r)) this.constants.set(name, r);
    return r;
  }

  /**
   * `opName` applied to constants by its own inference and kernel (a Gemm's α·B): a new constant,
   * registered under a fresh name made from `base`; or why not.
   */
  apply(opName: string, attrs: Record<string, unknown>, inputs: readonly GraphConstant[], base: string): GraphConstant | NotFoldable {
    const op = OPS_BY_NAME.get(opName)!;
    let name = base;
    for (let k = 2; this.taken(name) || this.constants.has(name) || this.memo.has(name); k++) name = `${base}_${k}`;
    const layer: GraphLayer = { name, op: opName, inputs: inputs.map((c) => c.name), outputs: [name], attrs: op.attrs.parse(attrs) as Record<string, unknown>, path: '' };
    const out = this.compute(layer, op, inputs)[0];
    if (!notFoldable(out)) this.constants.set(name, out);
    return out;
  }

  private lookup(name: string): Folded | undefined {
    return this.constants.get(name) ?? this.memo.get(name);
  }

  /** What a layer reads: its inputs and the constants bound to its weights. */
  private static reads(layer: GraphLayer): string[] {
    return [...new Set([...layer.inputs.filter((r) => r !== ''), ...Object.values(layer.weights ?? {}).map((b) => b.constant)])];
  }

  /** Post-order over the layers that write `target`, without recursion (a chain may be long). */
  private evaluate(target: string): Folded {
    for (; this.indexed < this.layers.length; this.indexed++) for (const o of this.layers[this.indexed].outputs) this.producer.set(o, this.layers[this.indexed]);
    const stack = [target];
    const expanded = new Set<string>();
    while (stack.length > 0) {
      const name = stack[stack.length - 1];
      const layer = this.producer.get(name);
      if (this.lookup(name)) stack.pop();
      else if (!layer) {
        this.memo.set(name, { reason: `'${name}' is not computed from constants (an input of the graph)`, graphInput: true });
        stack.pop();
      } else {
        const needed = ConstantFolder.reads(layer).filter((r) => !this.lookup(r));
        if (needed.length === 0) {
          this.evaluateLayer(layer);
          stack.pop();
        } else if (expanded.has(name)) {
          this.memo.set(name, { reason: `'${name}' is computed in a cycle` });
          stack.pop();
        } else {
          expanded.add(name);
          stack.push(...needed);
        }
      }
    }
    return this.lookup(target)!;
  }

  /** One layer of the graph evaluated: its outputs in the memo; what it read is let go once all its readers are evaluated. */
  private evaluateLayer(layer: GraphLayer): void {
    const op = OPS_BY_NAME.get(layer.op);
    const ins = layer.inputs.map((r) => (r === '' ? null : this.lookup(r)!));
    const failed = ins.find(notFoldable);
    const what = `node '${layer.name}' (${layer.source?.opType ?? layer.op})`;
    const outs: Folded[] = !op ? [{ reason: `${what}, which computes it, is not analysed: ${unsupportedReason(layer)}` }] : failed ? [failed] : this.compute(layer, op, ins as (GraphConstant | null)[]);
    layer.outputs.forEach((o, k) => {
      if (o !== '') this.memo.set(o, outs[k] ?? (outs.length === 1 && notFoldable(outs[0]) ? outs[0] : { reason: `${what} does not write its output ${k}` }));
    });
    if (!op || failed || outs.some(notFoldable)) return;
    this.evaluated.add(layer);
    for (const r of ConstantFolder.reads(layer)) {
      const left = (this.readers.get(r) ?? 1) - 1;
      this.readers.set(r, left);
      if (left <= 0) this.letGo(r);
    }
  }

  /** The outputs of `layer` on constant inputs: shapes by the op's inference, values by its kernel when they may be held. */
  private compute(layer: GraphLayer, op: OpDef, inputs: readonly (GraphConstant | null)[]): Folded[] {
    const what = `node '${layer.name}' (${layer.source?.opType ?? layer.op})`;
    let inferred: Inferred;
    // the known values the op's inference reads: integer arithmetic (shapes, indices) is computed there
    const reading = inputs.reduce((s, c) => s + (c?.value?.data.length ?? 0), 0);
    const arithmetic = reading <= SHAPE_ARITHMETIC;
    // each value the inference asks to compute is drawn from the budget and the work left (its
    // elements written at least), past shape arithmetic only within them, so that a fold refused
    // here is refused by the limits below too (their need and work count what it writes); the draw
    // is settled below, where what is kept is held (hold) and its work charged (whyNoIntegers)
    let drawn = 0;
    let work = 0;
    try {
      inferred = op.infer({
        layer: layer.name,
        inputs: inputs.map((c) => c?.shape ?? []),
        values: inputs.map((c) => c?.value ?? null),
        attrs: layer.attrs,
        fromOnnx: layer.source?.format === 'onnx',
        fail: (code, message) => {
          throw new ConvlensError(code, message);
        },
        foldable: (n) => {
          // nor past MAX_TENSOR_ELEMENTS as configured: the limits below refuse to keep such a value
          if (!(n <= LITERAL && arithmetic) && (n > this.budget.left || n > this.maxElements || work + n > this.limits.work)) return false;
          this.budget.left -= n;
          drawn += n;
          work += n;
          return true;
        },
      });
    } catch (e) {
      if (!(e instanceof ConvlensError)) throw e;
      return [{ reason: `${what}: ${e.message}` }];
    } finally {
      this.budget.left += drawn;
    }
    const odd = inferred.outputs.find((s) => !s.every((d) => Number.isInteger(d) && d >= 0) || !(numel(s) <= MAX_COUNT));
    if (odd) return [{ reason: `${what} gives a shape [${odd.join(', ')}] no tensor has` }];
    const bound = Object.entries(layer.weights ?? {}).map(([, b]) => this.constants.get(b.constant)!);
    const sources = [...new Set([...inputs, ...bound].flatMap((c) => (c ? parameterSources(c) : [])))];
    // shape arithmetic (Shape of the weight) is the op's inference's: no kernel needed
    const integers = inferred.outputs.every((_, k) => inferred.values?.[k]?.integer === true);
    const why = integers ? this.whyNoIntegers(what, inferred, inputs, arithmetic) : this.whyNoValues(layer, what, inferred, inputs, bound, sources);
    let data: (Float32Array | null)[] = inferred.outputs.map(() => null);
    if (!integers && why === null) {
      try {
        data = this.run(layer, op, inferred, inputs);
      } catch (e) {
        // a kernel that needs what only a run gives (a Loop's body runner) leaves the tensor computed, not the import failed
        return [{ reason: `${what}: ${e instanceof Error ? e.message : String(e)}` }];
      }
    }
    return inferred.outputs.map((shape, k) => {
      const v = inferred.values?.[k] ?? null;
      const typed = v?.integer ? null : data[k];
      let value = v?.integer || !typed ? v : typed.length <= LITERAL ? { data: Array.from(typed), integer: false } : null;
      // past a limit, a value the inference computed is not kept (a literal's few values are)
      if (why !== null && value && value.data.length > LITERAL) value = null;
      // a value of the inference's is held (drawn from the budget) while a tensor holds it
      if (value && value === v) this.keep(v.data, inputs);
      const unheld = !typed && !value ? (why ?? undefined) : undefined;
      // shape arithmetic (Shape of the weight) makes no parameters of what it reads
      const from = v?.integer ? [] : sources;
      return { name: layer.outputs[k], shape: [...shape], dataType: v?.integer ? 'int64' : 'float32', value, raw: null, typed, initializer: false, folded: { from, ...(unheld ? { unheld } : {}) } };
    });
  }

  /** Why the layer's values are not computed (an input without data, a folding limit: graph/fold-budget.ts), or null when they are. */
  private whyNoValues(layer: GraphLayer, what: string, inferred: Inferred, inputs: readonly (GraphConstant | null)[], bound: readonly GraphConstant[], sources: readonly string[]): string | null {
    const absent = [...inputs, ...bound].find((c) => c && !hasValues(c));
    if (absent) return missingData(absent);
    // as from a file with its weights stripped, which analyses the same
    if (!this.foldValues && sources.some((s) => numel(this.constants.get(s)?.shape ?? []) > LITERAL)) return 'its values are folded for a run only (an analysis reads its shape)';
    const unbound = inferred.weights.find((w) => !layer.weights?.[w.name]);
    if (unbound) return `${what} has no ${unbound.name} in the file`;
    const sizes = inferred.outputs.map(numel);
    const written = sizes.reduce((s, n) => s + n, 0);
    // what the kernel reads that is not held yet (an initializer decoded), its weights and what it writes
    const reading = inputs.reduce((s, c) => s + (c && !this.holding(c) ? numel(c.shape) : 0), 0);
    const need = reading + bound.reduce((s, c) => s + numel(c.shape), 0) + written;
    return this.limits.admit({ what, sizes, work: kernelWork(inferred) + written, need, sources });
  }

  /**
   * Why the integer values the layer's inference computed are not kept, or null when they are: a
   * fold from no float initializer, within the generic caps (graph/fold-budget.ts): the work
   * (element-wise operations and elements written), and the new values held within what is left of
   * MAX_FOLDED_ELEMENTS. Shape arithmetic (SHAPE_ARITHMETIC) always folds, charged all the same.
   */
  private whyNoIntegers(what: string, inferred: Inferred, inputs: readonly (GraphConstant | null)[], arithmetic: boolean): string | null {
    const sizes = inferred.outputs.map(numel);
    const written = sizes.reduce((s, n) => s + n, 0);
    const work = kernelWork(inferred) + written;
    const passed = new Set(inputs.flatMap((c) => (c?.value ? [c.value.data] : [])));
    // an input's values passed on (a reshape's) are held already
    const need = (inferred.values ?? []).reduce((s, v) => s + (v && !passed.has(v.data) && !this.held.has(v.data) ? v.data.length : 0), 0);
    if (arithmetic && sizes.every((n) => n <= LITERAL)) {
      this.limits.spend(work);
      return null;
    }
    return this.limits.admit({ what, sizes, work, need, sources: [] });
  }

  /** A value an op's inference computed, held while a tensor holds it: new values are drawn from the budget; an input's passed on counts once more if the folding holds it (a constant of the file's is in the budget already, graph/onnx/constants.ts). */
  private keep(data: ArrayLike<number>, inputs: readonly (GraphConstant | null)[]): void {
    if (this.held.has(data) || !inputs.some((c) => c?.value?.data === data)) this.hold(data);
  }

  /** Whether the folding holds this constant's values already (folded, or decoded for an earlier node). */
  private holding(c: GraphConstant): boolean {
    return (c.typed instanceof Float32Array && this.held.has(c.typed)) || (c.value !== null && this.held.has(c.value.data)) || this.decoded.has(c.name);
  }

  /** The layer's kernel on its constant inputs and bound weights (graph/bound-weights.ts, as a run without a weight store binds them). */
  private run(layer: GraphLayer, op: OpDef, inferred: Inferred, inputs: readonly (GraphConstant | null)[]): Float32Array[] {
    const given = inputs.map((c) => (c ? tensor(c.shape, this.values(c)) : undefined));
    const weights = fileWeights(layer, inferred.weights, this.constants);
    const outs = op.run({ attrs: layer.attrs, plan: inferred.plan, inputs: given as Tensor[], weights, outputs: inferred.outputs.map((s) => [...s]), training: false, seed: 0 });
    return outs.map((t) => {
      this.hold(t.data);
      return t.data;
    });
  }

  /** A constant's float32 values: a folded one's own array, else decoded once (and held until its readers are evaluated). */
  private values(c: GraphConstant): Float32Array {
    const n = numel(c.shape);
    if (c.typed instanceof Float32Array && c.typed.length === n) return c.typed;
    const kept = this.decoded.get(c.name);
    if (kept) return kept;
    const data = constantData(c)!;
    // a constant of the graph is decoded once; one made for a single fold (a Gemm's α) is not kept
    if (this.constants.get(c.name) === c) {
      this.decoded.set(c.name, data);
      this.hold(data);
    }
    return data;
  }

  private hold(a: ArrayLike<number>): void {
    const n = this.held.get(a);
    if (n === undefined) this.budget.left -= a.length;
    this.held.set(a, (n ?? 0) + 1);
  }

  private unhold(a: ArrayLike<number>): void {
    const n = this.held.get(a) ?? 0;
    if (n > 1) this.held.set(a, n - 1);
    else if (this.held.delete(a)) this.budget.left += a.length;
  }

  /** Every node reading `name` is evaluated: its decoded copy and an intermediate's values (float or integer) go (a constant of the graph keeps its values: a layer left may read it). */
  private letGo(name: string): void {
    const d = this.decoded.get(name);
    if (d) {
      this.decoded.delete(name);
      this.unhold(d);
    }
    const m = this.memo.get(name);
    if (!m || notFoldable(m) || this.constants.get(name) === m) return;
    const typed = m.typed instanceof Float32Array;
    const value = m.value !== null && this.held.has(m.value.data);
    if (!typed && !value) return;
    if (typed) this.unhold(m.typed as Float32Array);
    if (value) this.unhold(m.value!.data);
    this.memo.set(name, { ...m, typed: typed ? null : m.typed, value: value ? null : m.value, folded: { from: m.folded?.from ?? [], unheld: 'its values were let go once every node reading it was folded' } });
  }
}

/**
 * Takes out of `layers` the evaluated ones whose outputs are now constants or read by no layer
 * left (nor by the graph's outputs), as they fold away; returns their names.
 */
export function pruneFolded(layers: GraphLayer[], evaluated: ReadonlySet<GraphLayer>, constants: ReadonlyMap<string, GraphConstant>, outputs: readonly string[]): string[] {
  if (evaluated.size === 0) return [];
  const readers = new Map<string, number>();
  const count = (r: string, by: number) => readers.set(r, (readers.get(r) ?? 0) + by);
  for (const o of outputs) count(o, 1);
  for (const l of layers) for (const r of new Set(l.inputs)) count(r, 1);
  const producer = new Map<string, GraphLayer>();
  for (const l of layers) for (const o of l.outputs) producer.set(o, l);
  const removed = new Set<GraphLayer>();
  const removable = (l: GraphLayer) => evaluated.has(l) && !removed.has(l) && l.outputs.every((o) => o === '' || constants.has(o) || !readers.get(o));
  const work = [...evaluated];
  while (work.length > 0) {
    const l = work.pop()!;
    if (!removable(l)) continue;
    removed.add(l);
    for (const r of new Set(l.inputs)) {
      count(r, -1);
      const p = producer.get(r);
      if (p && removable(p)) work.push(p);
    }
  }
  const names = layers.filter((l) => removed.has(l)).map((l) => l.name);
  const kept = layers.filter((l) => !removed.has(l));
  layers.splice(0, layers.length, ...kept);
  return names;
}
