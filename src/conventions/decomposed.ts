/**
 * Modules an export writes as several nodes, counted by a preset that reads the PyTorch module
 * (every one but onnx-tool, which profiles the exported nodes as they are) as that module: one
 * layer stands for it (its family the module's, its input the module's input, the module's
 * weights), the other layers count 0.
 *
 * - report.patterns (analysis/patterns.ts): nn.LayerNorm before opset 17, nn.GELU before opset 20
 *   — exact and tanh —, nn.GroupNorm, Mish, SiLU; the node writing the pattern's output stands for
 *   it, γ and β its weights. Before, those presets counted the pieces by their own rules: fvcore 0
 *   for a LayerNorm of torchvision's ViT exported at opset 16 (the tool 5 per element), ptflops 0
 *   for nn.GELU exported at opset 17 (the tool 2 per element: ConvNeXt-T 17,160,192 short).
 * - nn.MultiheadAttention (onnx-attention.ts), and torchvision's Swin window attention
 *   (onnx-window-attention.ts): the output projection stands for it.
 * - ConvNeXt's LayerNorm2d (torchvision convnext.py: x.permute(0, 2, 3, 1), F.layer_norm,
 *   x.permute(0, 3, 1, 2)): a layer norm over the last axis (a LayerNormalization node, or the
 *   pattern) of a Transpose to channels-last that only a Transpose back reads counts as the
 *   zoo's layerNorm over 'channels' of the NCHW map. ptflops has no hook for the subclass (its
 *   table is looked up by exact type): 0 where it counted one per element as nn.LayerNorm
 *   (convnext_tiny: 828,672 over). The block's own nn.LayerNorm, read by a Linear, stays one.
 */
import type { Inference, AnalysedLayer } from '../analysis/infer.js';
import type { Report } from '../analysis/report.js';
import { transpose } from '../ops/movement.js';
import { FAMILY_OF } from './families.js';
import type { LinearBiases } from './linear-bias.js';
import { attentionFacts, attentionModules } from './onnx-attention.js';
import type { Shape } from '../ops/types.js';
import type { LayerFacts } from './types.js';

type Pattern = Report['patterns'][number];

export interface Decomposed {
  /** the layer standing for a module → its facts as the module's, from its own */
  anchors: Map<string, (f: LayerFacts) => LayerFacts>;
  /** every other layer of a module → the module's kind */
  members: Map<string, string>;
}

export function decomposedModules(inference: Inference, report: Report, biases: LinearBiases): Decomposed {
  const anchors = new Map<string, (f: LayerFacts) => LayerFacts>();
  const members = new Map<string, string>();
  const writer = new Map(inference.analysed.flatMap((a) => a.layer.outputs.map((o) => [o, a.layer.name] as const)));
  // only what torch.onnx wrote (layers from ONNX nodes): a JSON spec's sigmoid and mul are the
  // PyTorch source's own `x * torch.sigmoid(x)`, which the tools count as written, not as nn.SiLU
  const fromOnnx = new Set(inference.analysed.filter((a) => a.layer.source?.format === 'onnx').map((a) => a.layer.name));
  const patterns = new Map<string, Pattern>();
  for (const p of report.patterns ?? []) {
    const anchor = writer.get(p.output);
    if (!anchor || !p.layers.includes(anchor) || !p.layers.every((l) => fromOnnx.has(l)) || !inference.tensors.get(p.input)?.shape) continue;
    patterns.set(anchor, p);
    anchors.set(anchor, (f) => moduleFacts(f, p, inference));
    for (const l of p.layers) if (l !== anchor) members.set(l, p.kind);
  }
  for (const m of attentionModules(inference, report, biases)) {
    if ([m.anchor, ...m.members].some((l) => anchors.has(l) || members.has(l))) continue;
    anchors.set(m.anchor, (f) => attentionFacts(f, m));
    for (const l of m.members) members.set(l, 'multiHeadAttention');
  }
  for (const [name, nchw] of layerNorm2d(inference, patterns, fromOnnx)) {
    const own = anchors.get(name) ?? ((f: LayerFacts) => f);
    anchors.set(name, (f) => {
      const ln = own(f);
      return { ...ln, attrs: { ...ln.attrs, over: 'channels' }, inputs: [nchw], outputs: [nchw] };
    });
  }
  return { anchors, members };
}

const samePerm = (a: AnalysedLayer | undefined, perm: readonly number[]) =>
  !!a && a.op === transpose && !a.folded && JSON.stringify(a.layer.attrs.perm) === JSON.stringify(perm);

/** Layer norms of LayerNorm2d (a node, or a pattern's anchor) → the NCHW shape they normalise over C. */
function layerNorm2d(inference: Inference, patterns: ReadonlyMap<string, Pattern>, fromOnnx: ReadonlySet<string>): Map<string, Shape> {
  const producer = new Map<string, AnalysedLayer>();
  const readers = new Map<string, AnalysedLayer[]>();
  for (const a of inference.analysed) {
    if (a.folded) continue;
    for (const o of a.layer.outputs) producer.set(o, a);
    for (const i of new Set(a.layer.inputs)) readers.set(i, [...(readers.get(i) ?? []), a]);
  }
  const found = new Map<string, Shape>();
  for (const a of inference.analysed) {
    if (!fromOnnx.has(a.layer.name) || a.folded || !a.op) continue;
    const p = patterns.get(a.layer.name);
    const plain = FAMILY_OF.get(a.op) === 'layerNorm' && a.layer.attrs.over === 'last';
    if (!(plain || p?.kind === 'layerNorm')) continue;
    // over the last axis alone (C of the channels-last map)
    const axes = p ? (p.attributes.axes as number[]) : [Number(a.layer.attrs.axis ?? -1)];
    const shape = p ? undefined : (a.layer.attrs.normalizedShape as number[] | undefined);
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 3) || (shape && shape.length !== 1)) continue;
    const x = p ? p.input : a.layer.inputs[0];
    const y = p ? p.output : a.layer.outputs[0];
    const before = producer.get(x);
    const after = readers.get(y) ?? [];
    if (!samePerm(before, [0, 2, 3, 1]) || after.length !== 1 || !samePerm(after[0], [0, 3, 1, 2]) || before!.inputShapes[0].length !== 4) continue;
    found.set(a.layer.name, before!.inputShapes[0]);
  }
  return found;
}

/** The anchor's facts as the module's: its family, the pattern's input, γ and β (the layers' parameters, split evenly). */
export function moduleFacts(f: LayerFacts, p: Pattern, inference: Inference): LayerFacts {
  const x = inference.tensors.get(p.input)!.shape!;
  const params = p.params ?? 0;
  const a = p.attributes;
  const affine = p.kind === 'layerNorm' ? a.elementwiseAffine === true : p.kind === 'groupNorm' ? a.affine === true : false;
  const withBias = p.kind === 'layerNorm' ? a.bias !== false : true;
  const each = affine && params > 0 ? params / (withBias ? 2 : 1) : 0;
  const weights = affine && each > 0 ? [{ name: 'weight', shape: [each], trainable: true }, ...(withBias ? [{ name: 'bias', shape: [each], trainable: true }] : [])] : [];
  return { ...f, family: p.kind, attrs: { ...a }, inputs: [x], weights };
}
