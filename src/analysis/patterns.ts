/**
 * Decomposed normalisations and activations recognised in an imported graph. Older opsets (and
 * exporters without the fused op) write one PyTorch module as several ONNX nodes; each node keeps
 * its own cost (it runs as written), and each match is reported once more as the module it is:
 *
 *   layerNorm   ReduceMean → Sub → Pow(2) | Mul(d, d) → ReduceMean → Add(ε) → Sqrt → Div
 *               (→ Mul(γ) → Add(β))                        nn.LayerNorm at opset < 17
 *   gelu        Div(√2) | Mul(1/√2) → Erf → Add(1) → Mul(x) → Mul(0.5)           exact GELU before opset 20
 *   gelu tanh   x³ (Pow(3) | Mul(Mul(x, x), x)) → Mul(0.044715) → Add(x) → Mul(√(2/π)) → Tanh
 *               → Add(1) → Mul(x) → Mul(0.5)                                      GELU(approximate='tanh')
 *   groupNorm   Reshape([N, G, −1]) → InstanceNormalization(ones, zeros) → Reshape → Mul(γ) → Add(β)
 *   mish        Softplus → Tanh → Mul(x)
 *   swish       Sigmoid → Mul(x) (nn.SiLU at opsets < 14, and EfficientNet's)
 *
 * A match is unambiguous: every intermediate tensor is read only inside the pattern and is not a
 * graph output, and the constants are the module's (2, 1, 0.5, √2 …, within 1e-4). Layers are
 * told apart by their OpDef objects (as conventions/families.ts does), never by name.
 */
import { z } from 'zod';
import type { Graph, GraphLayer } from '../graph/graph.js';
import { OPS_BY_NAME } from '../ops/registry.js';
import type { OpDef } from '../ops/types.js';
import { add, div, mul, sub } from '../ops/merge.js';
import { pow, sqrt } from '../ops/math.js';
import { reduceMean } from '../ops/reduction.js';
import { reshape } from '../ops/movement.js';
import { sigmoid } from '../ops/activation.js';
import { erfOp, softplus, tanh } from '../ops/activation-more.js';
import { isInstanceNorm } from '../ops/norm-group.js';
import { constantData } from '../graph/constant-data.js';

/** What a pattern sums of its layers' report rows (structurally a LayerReport; no import of report.ts, which imports this file). */
export interface PatternLayerFigures {
  name: string;
  params: number;
  flops: number;
}

export const PATTERN_KINDS = ['layerNorm', 'gelu', 'groupNorm', 'mish', 'swish'] as const;

export const PatternSchema = z
  .object({
    kind: z.enum(PATTERN_KINDS).describe('the PyTorch module the nodes compute'),
    attributes: z.record(z.string(), z.unknown()).describe("what the nodes' constants say: axes and eps, the GELU approximation, the group count …"),
    layers: z.array(z.string()).describe('the layers (ONNX nodes) that make it up, in graph order; each keeps its own cost'),
    input: z.string(),
    output: z.string(),
    params: z.number().optional().describe("the layers' parameters together (γ and β of a normalisation)"),
    flops: z.number().optional().describe("the layers' FLOPs together, each counted as the op it is"),
  })
  .describe('nodes recognised as one normalisation or activation (an older opset or exporter wrote it decomposed)');
export type Pattern = z.infer<typeof PatternSchema>;

/** Constants are the module's within this (exporters write √2 as 1.4142135 in float32). */
const TOLERANCE = 1e-4;
const SQRT2 = Math.SQRT2;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

interface Match {
  kind: Pattern['kind'];
  attributes: Record<string, unknown>;
  layers: GraphLayer[];
  input: string;
  output: string;
}

class View {
  readonly producer = new Map<string, GraphLayer>();
  readonly consumers = new Map<string, GraphLayer[]>();
  readonly outputs: Set<string>;
  constructor(readonly graph: Graph) {
    for (const l of graph.layers) {
      for (const o of l.outputs) this.producer.set(o, l);
      for (const i of new Set(l.inputs)) {
        const list = this.consumers.get(i) ?? [];
        list.push(l);
        this.consumers.set(i, list);
      }
    }
    this.outputs = new Set(graph.outputs ?? []);
  }
  opOf(l: GraphLayer | undefined): OpDef | undefined {
    return l ? OPS_BY_NAME.get(l.op) : undefined;
  }
  /** The layer writing tensor t when it is op `op`. */
  from(t: string | undefined, op: OpDef): GraphLayer | null {
    const l = t === undefined ? undefined : this.producer.get(t);
    return l && this.opOf(l) === op ? l : null;
  }
  /** The one layer reading tensor t, when it is op `op` (and t is no graph output). */
  only(t: string, op: OpDef): GraphLayer | null {
    const c = this.consumers.get(t) ?? [];
    return c.length === 1 && !this.outputs.has(t) && this.opOf(c[0]) === op ? c[0] : null;
  }
  /** Tensor t is read by exactly these layers (and is no graph output). */
  readOnlyBy(t: string, layers: GraphLayer[]): boolean {
    const c = this.consumers.get(t) ?? [];
    return !this.outputs.has(t) && c.length === new Set(layers).size && c.every((l) => layers.includes(l));
  }
  /** The values of a constant tensor, or null for a computed one. */
  values(t: string): Float32Array | null {
    const c = this.graph.constants.get(t);
    return c ? constantData(c) : null;
  }
  scalar(t: string): number | null {
    const v = this.values(t);
    return v && v.length === 1 ? v[0] : null;
  }
  /** For a two-input layer reading `t`, the other input. */
  other(l: GraphLayer, t: string): string | null {
    if (l.inputs.length !== 2) return null;
    if (l.inputs[0] === t) return l.inputs[1];
    return l.inputs[1] === t ? l.inputs[0] : null;
  }
  /** A two-input layer's operands as [computed, scalar constant] when one is a scalar near `want`. */
  byScalar(l: GraphLayer | null, want: number): string | null {
    if (!l || l.inputs.length !== 2) return null;
    for (const k of [0, 1]) {
      const c = this.scalar(l.inputs[k]);
      if (c !== null && Math.abs(c - want) <= TOLERANCE * Math.max(1, Math.abs(want))) return l.inputs[1 - k];
    }
    return null;
  }
  isConstant(t: string): boolean {
    return this.graph.constants.has(t);
  }
}

/** A float32 constant as the decimal it was written from (1e-6, not 9.999999974752427e-7): 7 significant digits. */
const float32Decimal = (v: number) => Number(v.toPrecision(7));

function reduceAxes(v: View, l: GraphLayer): number[] | null {
  const axes = l.attrs.axes as number[] | undefined;
  if (axes) return [...axes];
  const c = l.inputs[1] ? v.values(l.inputs[1]) : null;
  return c ? Array.from(c) : null;
}

function layerNormAt(v: View, divL: GraphLayer): Match | null {
  if (v.opOf(divL) !== div) return null;
  const [d, s] = divL.inputs;
  const sq = v.from(s, sqrt);
  const addEps = v.from(sq?.inputs[0], add);
  if (!sq || !addEps) return null;
  const varT = addEps.inputs.find((t) => !v.isConstant(t));
  const eps = varT === undefined ? null : v.scalar(v.other(addEps, varT) ?? '');
  const varL = v.from(varT, reduceMean);
  if (!varL || eps === null) return null;
  const squareL = v.producer.get(varL.inputs[0]);
  const squares = squareL && ((v.opOf(squareL) === pow && squareL.inputs[0] === d && v.scalar(squareL.inputs[1]) === 2) || (v.opOf(squareL) === mul && squareL.inputs[0] === d && squareL.inputs[1] === d));
  const subL = v.from(d, sub);
  const meanL = v.from(subL?.inputs[1], reduceMean);
  if (!squares || !squareL || !subL || !meanL || meanL.inputs[0] !== subL.inputs[0]) return null;
  const axes = reduceAxes(v, meanL);
  const axes2 = reduceAxes(v, varL);
  if (!axes || !axes2 || axes.join() !== axes2.join()) return null;
  const inner = [meanL, subL, squareL, varL, addEps, sq];
  const chain: [string, GraphLayer[]][] = [
    [meanL.outputs[0], [subL]],
    [d, [squareL, divL]],
    [squareL.outputs[0], [varL]],
    [varL.outputs[0], [addEps]],
    [addEps.outputs[0], [sq]],
    [s, [divL]],
  ];
  if (!chain.every(([t, by]) => v.readOnlyBy(t, by))) return null;
  const layers = [...inner, divL];
  let out = divL.outputs[0];
  const scale = v.only(out, mul);
  const gamma = scale ? v.other(scale, out) : null;
  let affine = false;
  let bias = false;
  if (scale && gamma && v.isConstant(gamma)) {
    layers.push(scale);
    out = scale.outputs[0];
    affine = true;
    const shift = v.only(out, add);
    const beta = shift ? v.other(shift, out) : null;
    if (shift && beta && v.isConstant(beta)) {
      layers.push(shift);
      out = shift.outputs[0];
      bias = true;
    }
  }
  return { kind: 'layerNorm', attributes: { axes, eps: float32Decimal(eps), elementwiseAffine: affine, bias }, layers, input: meanL.inputs[0], output: out };
}

/** After the erf or tanh: Add(1) → Mul(x) → Mul(0.5), or Add(1) → Mul(0.5·x) with 0.5·x from Mul(x, 0.5). */
function geluTail(v: View, from: GraphLayer, x: string): { layers: GraphLayer[]; output: string } | null {
  const plus = v.only(from.outputs[0], add);
  if (!plus || v.byScalar(plus, 1) !== from.outputs[0]) return null;
  const m1 = v.only(plus.outputs[0], mul);
  const o1 = m1 ? v.other(m1, plus.outputs[0]) : null;
  if (!m1 || o1 === null) return null;
  if (o1 === x) {
    const m2 = v.only(m1.outputs[0], mul);
    if (!m2 || v.byScalar(m2, 0.5) !== m1.outputs[0]) return null;
    return { layers: [plus, m1, m2], output: m2.outputs[0] };
  }
  const half = v.from(o1, mul);
  if (half && v.byScalar(half, 0.5) === x && v.readOnlyBy(o1, [m1])) return { layers: [half, plus, m1], output: m1.outputs[0] };
  return null;
}

function geluExactAt(v: View, erfL: GraphLayer): Match | null {
  if (v.opOf(erfL) !== erfOp) return null;
  const t = erfL.inputs[0];
  const scaled = v.producer.get(t);
  const x = v.opOf(scaled) === div ? v.byScalar(scaled!, SQRT2) : v.opOf(scaled) === mul ? v.byScalar(scaled!, 1 / SQRT2) : null;
  if (!scaled || x === null || (v.opOf(scaled) === div && scaled.inputs[0] !== x) || !v.readOnlyBy(t, [erfL])) return null;
  const tail = geluTail(v, erfL, x);
  if (!tail) return null;
  return { kind: 'gelu', attributes: { approximate: 'none' }, layers: [scaled, erfL, ...tail.layers], input: x, output: tail.output };
}

/** x³ as Pow(x, 3), Mul(Mul(x, x), x) or Mul(x, Mul(x, x)): [x, its layers]. */
function cube(v: View, t: string): [string, GraphLayer[]] | null {
  const l = v.producer.get(t);
  if (!l) return null;
  if (v.opOf(l) === pow && v.scalar(l.inputs[1]) === 3) return [l.inputs[0], [l]];
  if (v.opOf(l) !== mul) return null;
  for (const [a, b] of [l.inputs, [...l.inputs].reverse()]) {
    const sq = v.from(a, mul);
    if (sq && sq.inputs[0] === b && sq.inputs[1] === b && v.readOnlyBy(a, [l])) return [b, [sq, l]];
  }
  return null;
}

function geluTanhAt(v: View, tanhL: GraphLayer): Match | null {
  if (v.opOf(tanhL) !== tanh) return null;
  const kMul = v.from(tanhL.inputs[0], mul);
  const b = kMul ? v.byScalar(kMul, GELU_K) : null;
  const addL = v.from(b ?? undefined, add);
  if (!kMul || b === null || !addL) return null;
  for (const [x, a] of [addL.inputs, [...addL.inputs].reverse()]) {
    const cMul = v.from(a, mul);
    const x3 = cMul ? v.byScalar(cMul, GELU_C) : null;
    const c = x3 === null ? null : cube(v, x3);
    if (!cMul || x3 === null || !c || c[0] !== x) continue;
    if (![[a, [addL]], [x3, [cMul]], [b, [kMul]], [tanhL.inputs[0], [tanhL]]].every(([t, by]) => v.readOnlyBy(t as string, by as GraphLayer[]))) continue;
    const tail = geluTail(v, tanhL, x);
    if (!tail) continue;
    return { kind: 'gelu', attributes: { approximate: 'tanh' }, layers: [...c[1], cMul, addL, kMul, tanhL, ...tail.layers], input: x, output: tail.output };
  }
  return null;
}

function mishAt(v: View, tanhL: GraphLayer): Match | null {
  if (v.opOf(tanhL) !== tanh) return null;
  const sp = v.from(tanhL.inputs[0], softplus);
  const m = v.only(tanhL.outputs[0], mul);
  if (!sp || !m || v.other(m, tanhL.outputs[0]) !== sp.inputs[0] || !v.readOnlyBy(tanhL.inputs[0], [tanhL])) return null;
  return { kind: 'mish', attributes: {}, layers: [sp, tanhL, m], input: sp.inputs[0], output: m.outputs[0] };
}

function swishAt(v: View, sig: GraphLayer): Match | null {
  if (v.opOf(sig) !== sigmoid) return null;
  const m = v.only(sig.outputs[0], mul);
  if (!m || v.other(m, sig.outputs[0]) !== sig.inputs[0]) return null;
  return { kind: 'swish', attributes: {}, layers: [sig, m], input: sig.inputs[0], output: m.outputs[0] };
}

function groupNormAt(v: View, inst: GraphLayer): Match | null {
  if (!isInstanceNorm(v.opOf(inst)) || inst.attrs.affine !== false) return null;
  const r1 = v.from(inst.inputs[0], reshape);
  const r2 = v.only(inst.outputs[0], reshape);
  if (!r1 || !r2 || !v.readOnlyBy(inst.inputs[0], [inst])) return null;
  const target = r1.inputs[1] ? v.values(r1.inputs[1]) : null;
  const groups = target && target.length === 3 ? target[1] : null;
  if (groups === null) return null;
  const layers = [r1, inst, r2];
  let out = r2.outputs[0];
  const scale = v.only(out, mul);
  const gamma = scale ? v.other(scale, out) : null;
  let affine = false;
  if (scale && gamma && v.isConstant(gamma)) {
    const shift = v.only(scale.outputs[0], add);
    const beta = shift ? v.other(shift, scale.outputs[0]) : null;
    if (shift && beta && v.isConstant(beta)) {
      layers.push(scale, shift);
      out = shift.outputs[0];
      affine = true;
    }
  }
  return { kind: 'groupNorm', attributes: { numGroups: groups, eps: float32Decimal(inst.attrs.eps as number), affine }, layers, input: r1.inputs[0], output: out };
}

const MATCHERS = [layerNormAt, geluExactAt, geluTanhAt, mishAt, swishAt, groupNormAt];

/**
 * Where a decomposed normalisation divides by its statistics, with the tensor it normalises and the
 * dims of its statistics (`axes`, or every dim from `from` on): where inference makes the field
 * global (or span those dims), with NORMALISATION_RECEPTIVE_FIELD, as nn.LayerNorm's and
 * nn.GroupNorm's (infer.ts). A layerNorm's Div: its ReduceMean's broadcast result alone would read
 * as a gate and keep the field local. A groupNorm's InstanceNormalization: its Reshape to
 * [N, G, −1] merges H and W, so the field there is global already, with no warning (torch.onnx's
 * GroupNorm before opset 18: retinanet_resnet50_fpn_v2's and fcos_resnet50_fpn's heads).
 */
export function decomposedNorms(graph: Graph): Map<string, { input: string; axes: number[]; from?: number }> {
  const found = new Map<string, { input: string; axes: number[]; from?: number }>();
  // inference asks on every graph: one without a reduceMean or an instanceNorm (most specs, every classic CNN) has none, and no View to build
  if (!graph.layers.some((l) => OPS_BY_NAME.get(l.op) === reduceMean || isInstanceNorm(OPS_BY_NAME.get(l.op)))) return found;
  const v = new View(graph);
  for (const l of graph.layers) {
    const m = layerNormAt(v, l);
    if (m) found.set(l.name, { input: m.input, axes: m.attributes.axes as number[] });
    // statistics over C/G and every spatial dim of the map the Reshape read
    const g = groupNormAt(v, l);
    if (g) found.set(l.name, { input: g.input, axes: [], from: 1 });
  }
  return found;
}

/**
 * The decomposed modules in a graph, in graph order; with the layers' reports, each carries the
 * parameters and FLOPs of its layers together. A layer belongs to one pattern at most.
 */
export function findPatterns(graph: Graph, reports?: readonly PatternLayerFigures[]): Pattern[] {
  const v = new View(graph);
  const order = new Map(graph.layers.map((l, i) => [l, i]));
  const taken = new Set<GraphLayer>();
  const found: Match[] = [];
  for (const l of graph.layers) {
    for (const match of MATCHERS) {
      const m = match(v, l);
      if (m && !m.layers.some((x) => taken.has(x))) {
        m.layers.forEach((x) => taken.add(x));
        found.push(m);
        break;
      }
    }
  }
  const byName = new Map((reports ?? []).map((r) => [r.name, r]));
  return found
    .map((m) => ({ ...m, layers: [...m.layers].sort((a, b) => order.get(a)! - order.get(b)!) }))
    .sort((a, b) => order.get(a.layers[0])! - order.get(b.layers[0])!)
    .map((m) => {
      const names = m.layers.map((l) => l.name);
      const sums = reports
        ? { params: names.reduce((n, k) => n + (byName.get(k)?.params ?? 0), 0), flops: names.reduce((n, k) => n + (byName.get(k)?.flops ?? 0), 0) }
        : {};
      return { kind: m.kind, attributes: m.attributes, layers: names, input: m.input, output: m.output, ...sums };
    });
}
