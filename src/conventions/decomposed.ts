/**
 * Modules an older opset writes as several nodes (report.patterns, analysis/patterns.ts: nn.LayerNorm
 * before opset 17, nn.GELU before opset 20 — exact and tanh —, nn.GroupNorm, Mish, SiLU), counted by
 * a preset that reads the PyTorch module (every one but onnx-tool, which profiles the exported
 * nodes as they are) as that module: the node writing the pattern's output stands for it (its
 * family the module's, its input the pattern's input, γ and β its weights), the other nodes count 0.
 * Before, those presets counted the pieces by their own rules: fvcore 0 for a LayerNorm of
 * torchvision's ViT exported at opset 16 (the tool 5 per element), ptflops 0 for nn.GELU exported
 * at opset 17 (the tool 2 per element: ConvNeXt-T 17,160,192 short).
 */
import type { Inference } from '../analysis/infer.js';
import type { Report } from '../analysis/report.js';
import type { LayerFacts } from './types.js';

type Pattern = Report['patterns'][number];

export interface Decomposed {
  /** the layer writing a pattern's output → the pattern */
  anchors: Map<string, Pattern>;
  /** every other layer of a pattern → the pattern */
  members: Map<string, Pattern>;
}

export function decomposedModules(inference: Inference, report: Report): Decomposed {
  const anchors = new Map<string, Pattern>();
  const members = new Map<string, Pattern>();
  const writer = new Map(inference.analysed.flatMap((a) => a.layer.outputs.map((o) => [o, a.layer.name] as const)));
  // only what torch.onnx wrote (layers from ONNX nodes): a JSON spec's sigmoid and mul are the
  // PyTorch source's own `x * torch.sigmoid(x)`, which the tools count as written, not as nn.SiLU
  const fromOnnx = new Set(inference.analysed.filter((a) => a.layer.source?.format === 'onnx').map((a) => a.layer.name));
  for (const p of report.patterns ?? []) {
    const anchor = writer.get(p.output);
    if (!anchor || !p.layers.includes(anchor) || !p.layers.every((l) => fromOnnx.has(l)) || !inference.tensors.get(p.input)?.shape) continue;
    anchors.set(anchor, p);
    for (const l of p.layers) if (l !== anchor) members.set(l, p);
  }
  return { anchors, members };
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
