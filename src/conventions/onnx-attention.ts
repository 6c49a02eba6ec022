/**
 * nn.MultiheadAttention as torch.onnx.export writes it (F.multi_head_attention_forward's Python
 * path, opsets 13 to 17): the packed input projection (MatMul by W_inᵀ and an Add of in_proj_bias
 * for 3-D tokens, a Gemm for 2-D), Slices of q, k and v, Reshapes and Transposes to heads, q
 * divided by √d, MatMul q·kᵀ, Softmax, MatMul by v, Transpose and Reshape back, the output
 * projection (Gemm), Reshape. The importer reads those nodes as linear, layout, div, matmul and
 * softmax layers, and a preset that reads the PyTorch module counted them as hand-written ops:
 * torchvision's ViT-B/16 exported, thop 16,880,367,456 and torchinfo 16,865,030,632, where the tools
 * print 11,286,254,592 and 11,280,392,680 on the model (torch 1.13: thop registers its
 * MultiheadAttention hook on torch ≥ 2.0 only; torchinfo counts no non-leaf module, and the module
 * holds out_proj, which its forward never calls).
 *
 * A module: a softmax over the last axis read by one matmul (by v) alone, whose input is a matmul
 * (q·kᵀ) read by it alone; q, k and v each reach back, through layout layers, a scaling by a
 * constant (div or mul) and a linear's bias add (linear-bias.ts), to the output of a linear over
 * the same tokens x (one packed linear of 3C outputs, or three of C); the product by v reaches
 * forward, through layout layers each read by the next alone, a linear of C to C (the output
 * projection). Anything else nn.MultiheadAttention can be (q from one tensor and k, v from another,
 * kdim/vdim ≠ C, add_bias_kv, add_zero_attn: scores L×S') is onnx-attention-variants.ts's, whose
 * facts carry what the tools' counts of it read (attention-variant-counts.ts). An export without
 * constant folding whose weights convlens cannot fold (stripped) writes a projection as a MatMul by
 * the weight's Transpose node and its bias as an Add of a Slice of in_proj_bias: read as the linear
 * and its bias. What the file cannot tell: nn.MultiheadAttention from the same ops written by hand
 * (a ViT written as F.linear, view, transpose, bmm and softmax, a cross-attention as F.linear, cat,
 * bmm and softmax): they count as the module here.
 *
 * Swin's window attention (onnx-window-attention.ts) is the same core over the windows of a
 * partition, with constants added to the scores (the relative-position bias, the shift mask;
 * Reshapes between) and a Dropout after the softmax: a module whose tokens a window partition cut
 * counts as the zoo's shiftedWindowAttention. Constants added to the scores of any other (an
 * attention mask) leave it node by node.
 */
import type { Inference, AnalysedLayer } from '../analysis/infer.js';
import type { Report } from '../analysis/report.js';
import { reshape } from '../ops/movement.js';
import { numel } from '../ops/types.js';
import type { Shape } from '../ops/types.js';
import { FAMILY_OF } from './families.js';
import type { AttentionCore, MhaVariant } from './attention-module.js';
import type { LinearBiases } from './linear-bias.js';
import { linearBiases } from './linear-bias.js';
import { mhaFacts, variantFacts, variantOf } from './onnx-attention-variants.js';
import { stridedView } from './onnx-strides.js';
import { windowFacts, windowPartition } from './onnx-window-attention.js';
import type { WindowGeometry } from './onnx-window-attention.js';
import type { LayerFacts } from './types.js';

export interface AttentionModule extends AttentionCore {
  /** the output projection: the layer that counts as the module */
  anchor: string;
  /** every other layer of the module (they count 0) */
  members: string[];
  /** the tokens the (query's) input projection reads, [.., C] */
  input: Shape;
  output: Shape;
  /** the input projection reads a non-contiguous 3-D view (stridedView) */
  strided: boolean;
  /** a variant of nn.MultiheadAttention (onnx-attention-variants.ts), and the query's, key's and value's tokens */
  variant?: MhaVariant;
  sources?: [Shape, Shape, Shape];
  /** Swin's windows (the tokens a window partition cut), else absent */
  window?: WindowGeometry;
  /** constants added to the scores after the first (Swin's shift mask) */
  masked: boolean;
}

interface Graph {
  producer: Map<string, AnalysedLayer>;
  readers: Map<string, AnalysedLayer[]>;
  inputs: Set<string>;
}

const familyOf = (a: AnalysedLayer | undefined) => (a?.op && a.inferred && !a.folded ? FAMILY_OF.get(a.op) : undefined);
const fromOnnx = (a: AnalysedLayer) => a.layer.source?.format === 'onnx';

/** A tensor no analysed layer computes and no graph input: an initializer or a Constant. */
const isConstant = (g: Graph, t: string) => !g.producer.has(t) && !g.inputs.has(t);

/**
 * A tensor computed from constants alone, no graph input upstream: Swin's shift mask where
 * convlens does not fold it (stage 1 of swin_t at 224: 64 windows of 49², over the fold limit).
 */
function inputFree(g: Graph, t: string): boolean {
  const seen = new Set<string>();
  const stack = [t];
  while (stack.length) {
    const u = stack.pop()!;
    if (g.inputs.has(u)) return false;
    if (seen.has(u)) continue;
    seen.add(u);
    for (const i of g.producer.get(u)?.layer.inputs ?? []) if (i) stack.push(i);
  }
  return true;
}

/**
 * From a tensor back to the linear whose output it derives from, through layout layers, a scaling
 * by a constant, the linear's bias add and the positions add_bias_kv and add_zero_attn append (a
 * Concat of one more position along the tokens: axis 0 of the (S, N, E) projection, bias_k; axis 1
 * of the (N·h, S, d) heads, zeros); the layers passed on the way and the positions appended, or null.
 */
function backToLinear(g: Graph, t: string, biases: LinearBiases): { linear: AnalysedLayer; path: AnalysedLayer[]; biasKv: number; zeroAttn: number } | null {
  const path: AnalysedLayer[] = [];
  let biasKv = 0;
  let zeroAttn = 0;
  for (let steps = 0; steps < 16; steps++) {
    const p = g.producer.get(t);
    const family = familyOf(p);
    if (!p || !family || !fromOnnx(p)) return null;
    if (projection(g, p)) return { linear: p, path, biasKv, zeroAttn };
    if (family === 'concat') {
      const axis = appendedAxis(g, p);
      if (axis === null) return null;
      if (axis === 0) biasKv += 1;
      else zeroAttn += 1;
      path.push(p);
      t = p.layer.inputs[0];
      continue;
    }
    const data = p.layer.inputs.filter((i) => i && !isConstant(g, i));
    const scaling = (family === 'div' || family === 'mul') && data.length === 1 && p.layer.inputs.length === 2 && numel(p.inputShapes[1 - p.layer.inputs.indexOf(data[0])]) === 1;
    const bias = biases.addOf.has(p.layer.name) || constantBias(g, p);
    if (bias) data.splice(0, data.length, ...p.layer.inputs.filter((i) => i && !weightLike(g, i)));
    if (!(family === 'layout' || scaling || bias) || data.length !== 1) return null;
    path.push(p);
    t = data[0];
  }
  return null;
}

/**
 * torch.cat([k, appended]) of one position along axis 0 or 1 of a 3-D tensor, the appended part
 * constant or computed from constants alone (bias_k repeated by Expand and Tile, zeros): the axis, or null.
 */
function appendedAxis(g: Graph, p: AnalysedLayer): number | null {
  const [k, extra] = p.layer.inputs;
  const rank = p.inputShapes[0]?.length;
  const dim = Number(p.layer.attrs.dim);
  const axis = dim < 0 ? dim + rank : dim;
  if (p.layer.inputs.length !== 2 || !k || !extra || rank !== 3 || (axis !== 0 && axis !== 1)) return null;
  if (!(isConstant(g, extra) || inputFree(g, extra) || familyOf(g.producer.get(extra)) === 'layout')) return null;
  return p.inferred!.outputs[0][axis] === p.inputShapes[0][axis] + 1 ? axis : null;
}

/** From a tensor forward to the linear that reads it, through layout layers each read by the next alone. */
function forwardToLinear(g: Graph, t: string): { linear: AnalysedLayer; path: AnalysedLayer[] } | null {
  const path: AnalysedLayer[] = [];
  for (let steps = 0; steps < 16; steps++) {
    const r = g.readers.get(t) ?? [];
    if (r.length !== 1 || !fromOnnx(r[0])) return null;
    const family = familyOf(r[0]);
    if (projection(g, r[0])) return { linear: r[0], path };
    if (family !== 'layout' || r[0].layer.inputs[0] !== t) return null;
    path.push(r[0]);
    t = r[0].layer.outputs[0];
  }
  return null;
}

/** Each layer reads t alone and writes a tensor read by the next alone, none a graph output. */
const onlyReader = (g: Graph, t: string, outputs: ReadonlySet<string>) => (g.readers.get(t) ?? []).length === 1 && !outputs.has(t);

/**
 * From the softmax's input back to the matmul q·kᵀ, through additions of a tensor of constants
 * alone, of the scores' shape or broadcast to it (Swin's relative-position bias, its shift mask),
 * and Reshapes; the
 * layers passed and the number of constants added, or null.
 */
function backToScores(g: Graph, t: string, outputs: ReadonlySet<string>): { qk: AnalysedLayer; path: AnalysedLayer[]; added: number } | null {
  const path: AnalysedLayer[] = [];
  let added = 0;
  for (let steps = 0; steps < 8; steps++) {
    const p = g.producer.get(t);
    const family = familyOf(p);
    if (!p || !family || !fromOnnx(p) || !onlyReader(g, t, outputs)) return null;
    if (family === 'matmul') return { qk: p, path, added };
    const data = p.layer.inputs.filter((i) => i && !inputFree(g, i));
    const sameShape = JSON.stringify(p.inputShapes[p.layer.inputs.indexOf(data[0])]) === JSON.stringify(p.inferred!.outputs[0]);
    const constantAdd = family === 'add' && p.layer.inputs.length === 2 && data.length === 1 && sameShape;
    if (data.length !== 1 || !(constantAdd || p.op === reshape)) return null;
    if (constantAdd) added += 1;
    path.push(p);
    t = data[0];
  }
  return null;
}

/** From the softmax's output forward to the matmul by v, through a Dropout; the layers passed, or null. */
function forwardToValues(g: Graph, t: string, outputs: ReadonlySet<string>): { av: AnalysedLayer; path: AnalysedLayer[] } | null {
  const path: AnalysedLayer[] = [];
  for (let steps = 0; steps < 2; steps++) {
    const r = g.readers.get(t) ?? [];
    if (r.length !== 1 || outputs.has(t) || r[0].layer.inputs[0] !== t || !fromOnnx(r[0])) return null;
    const family = familyOf(r[0]);
    if (family === 'matmul') return { av: r[0], path };
    if (family !== 'dropout') return null;
    path.push(r[0]);
    t = r[0].layer.outputs[0];
  }
  return null;
}

const outFeatures = (a: AnalysedLayer) => a.inferred!.outputs[0].at(-1)!;
const inFeatures = (a: AnalysedLayer) => a.inputShapes[0].at(-1)!;
/**
 * An unfolded export's projection: a MatMul by a weight computed from constants alone (torch.onnx
 * without constant folding writes W's Transpose as a node; with the weights stripped, as
 * test/fixtures/onnx/modern/crossmha.onnx has them, convlens cannot fold it), as a linear.
 */
function projection(g: Graph, a: AnalysedLayer): boolean {
  if (familyOf(a) === 'linear') return true;
  const w = a.layer.inputs[1];
  return familyOf(a) === 'matmul' && a.layer.inputs.length === 2 && a.inputShapes[1]?.length === 2 && !!w && weightLike(g, w);
}

/** A constant, or one moved by layout layers alone (a weight's Transpose, a Slice of in_proj_bias): a parameter. */
function weightLike(g: Graph, t: string): boolean {
  for (let steps = 0; steps < 8; steps++) {
    if (isConstant(g, t)) return true;
    const p = g.producer.get(t);
    if (familyOf(p) !== 'layout' || !p!.layer.inputs[0]) return false;
    t = p!.layer.inputs[0];
  }
  return false;
}

/** An Add of a parameter vector (a Slice of in_proj_bias, unfolded) to a weight matmul's output: its bias. */
function constantBias(g: Graph, a: AnalysedLayer): boolean {
  if (familyOf(a) !== 'add' || a.layer.inputs.length !== 2) return false;
  const vector = a.layer.inputs.findIndex((i) => i && weightLike(g, i));
  const p = vector < 0 ? undefined : g.producer.get(a.layer.inputs[1 - vector]);
  return !!p && familyOf(p) === 'matmul' && projection(g, p) && numel(a.inputShapes[vector]) === a.inferred!.outputs[0].at(-1);
}

/** The Add of a projection's bias (linear-bias.ts's, or a constant vector's), or undefined. */
const biasAdd = (g: Graph, l: AnalysedLayer, biases: LinearBiases) =>
  (g.readers.get(l.layer.outputs[0]) ?? []).find((r) => biases.addOf.get(r.layer.name) === l.layer.name || (r.layer.inputs.includes(l.layer.outputs[0]) && constantBias(g, r)));

const hasBias = (g: Graph, a: AnalysedLayer, biases: LinearBiases) => biases.biasOf.has(a.layer.name) || a.inferred!.weights.some((w) => w.name === 'bias') || !!biasAdd(g, a, biases);

export function attentionModules(inference: Inference, report: Pick<Report, 'inputs' | 'outputs'>, biases: LinearBiases): AttentionModule[] {
  const live = inference.analysed.filter((a) => !a.folded);
  const outputs = new Set(report.outputs.map((o) => o.name));
  const g: Graph = { producer: new Map(), readers: new Map(), inputs: new Set(report.inputs.map((i) => i.name)) };
  for (const a of live) {
    for (const o of a.layer.outputs) g.producer.set(o, a);
    for (const i of new Set(a.layer.inputs)) if (i) g.readers.set(i, [...(g.readers.get(i) ?? []), a]);
  }
  const modules: AttentionModule[] = [];
  const taken = new Set<string>();
  for (const sm of live) {
    if (familyOf(sm) !== 'softmax' || !fromOnnx(sm)) continue;
    const scores = sm.inputShapes[0];
    const dim = Number(sm.layer.attrs.dim);
    if (scores.length < 3 || (dim !== -1 && dim !== scores.length - 1)) continue;
    const scored = backToScores(g, sm.layer.inputs[0], outputs);
    const probs = forwardToValues(g, sm.layer.outputs[0], outputs);
    if (!scored || !probs) continue;
    const { qk, av } = { ...scored, ...probs };
    const [t, tk] = scores.slice(-2);
    const q = backToLinear(g, qk.layer.inputs[0], biases);
    const k = backToLinear(g, qk.layer.inputs[1], biases);
    const v = backToLinear(g, av.layer.inputs[1], biases);
    const out = forwardToLinear(g, av.layer.outputs[0]);
    if (!q || !k || !v || !out || q.biasKv + q.zeroAttn > 0 || k.biasKv !== v.biasKv || k.zeroAttn !== v.zeroAttn) continue;
    const c = outFeatures(out.linear);
    const ins = [...new Set([q.linear, k.linear, v.linear])];
    const x = ins[0].layer.inputs[0];
    const packed = ins.length === 1 && outFeatures(ins[0]) === 3 * c;
    const split = ins.length === 3 && ins.every((l) => outFeatures(l) === c);
    const self = (packed || split) && t === tk && ins.every((l) => l.layer.inputs[0] === x && inFeatures(l) === c) && inFeatures(out.linear) === c;
    // anything else nn.MultiheadAttention can be: cross-attention, kdim/vdim, add_bias_kv, add_zero_attn (scores.added: none)
    const variant = self ? null : variantOf({ q: q.linear, k: k.linear, v: v.linear, out: out.linear, qk, scores, appended: { biasKv: k.biasKv, zeroAttn: k.zeroAttn } }, g.producer, (a) => hasBias(g, a, biases));
    if (!self && !variant) continue;
    const tokens = numel(q.linear.inputShapes[0]) / c;
    const s = tokens / t;
    const heads = numel(scores) / (t * tk) / s;
    const d = qk.inputShapes[0].at(-1)!;
    if (!Number.isInteger(s) || !Number.isInteger(heads) || heads * d !== c) continue;
    const window = variant ? null : windowPartition(g.producer, x, t);
    if (scored.added > 0 && !window) continue;
    const layers = [...ins, ...q.path, ...k.path, ...v.path, qk, ...scored.path, sm, ...probs.path, av, ...out.path];
    // the in-projection's bias add is one of the module's layers too
    for (const l of ins) {
      const add = biasAdd(g, l, biases);
      if (add) layers.push(add);
    }
    const names = [...new Set(layers.map((l) => l.layer.name))].filter((n) => n !== out.linear.layer.name);
    if (names.some((n) => taken.has(n)) || taken.has(out.linear.layer.name)) continue;
    for (const n of names) taken.add(n);
    taken.add(out.linear.layer.name);
    const macs = [...ins, qk, av, out.linear].reduce((sum, l) => sum + l.inferred!.cost.macs, 0);
    modules.push({
      anchor: out.linear.layer.name,
      members: names,
      input: q.linear.inputShapes[0],
      ...(variant ? { variant, sources: [q.linear.inputShapes[0], k.linear.inputShapes[0], v.linear.inputShapes[0]] } : {}),
      output: out.linear.inferred!.outputs[0],
      c,
      t,
      s,
      heads,
      inBias: ins.every((l) => hasBias(g, l, biases)),
      outBias: hasBias(g, out.linear, biases),
      // aten::linear takes addmm for a 2-D input or a contiguous 3-D one, else matmul + add_
      strided: !window && stridedView(g.producer, x, q.linear.inputShapes[0]),
      macs,
      ...(window ? { window } : {}),
      masked: scored.added > 1,
    });
  }
  return modules;
}

/**
 * The widest embed_dim C an ONNX file's recognised attention modules work at, 0 when it has none:
 * what OpDef.tokenWidth says of the zoo's multiHeadAttention and shiftedWindowAttention, for
 * structure.width (analysis/structure.ts). A file's attention is its nodes (MatMuls, a Softmax), so
 * torchvision's swin_t exported read the width of its only conv, the patch embedding's 96 kernels,
 * where the model's widest stage works at 768.
 */
export function attentionTokenWidth(inference: Inference, ends: Pick<Report, 'inputs' | 'outputs'>): number {
  if (!inference.analysed.some((a) => fromOnnx(a) && familyOf(a) === 'softmax')) return 0;
  return attentionModules(inference, ends, linearBiases(inference, ends)).reduce((w, m) => Math.max(w, m.c), 0);
}

/** The output projection's facts as nn.MultiheadAttention's (or Swin's window attention's): its op, plan, weights and MACs. */
export function attentionFacts(f: LayerFacts, m: AttentionModule): LayerFacts {
  if (m.window) return windowFacts(f, { ...m, window: m.window });
  if (m.variant && m.sources) return variantFacts(f, { ...m, variant: m.variant, sources: m.sources });
  return mhaFacts(f, m, [m.input]);
}
