/**
 * nn.GroupNorm as torch.onnx.export writes it before opset 18 (Reshape [N, G, −1] →
 * InstanceNormalization(ones, zeros) → Reshape → Mul(γ) → Add(β); analysis/patterns.ts groupNormAt):
 * its statistics over C/G, H and W make the field global, with NORMALISATION_RECEPTIVE_FIELD and the
 * local field before it, as the spec's groupNorm. Until 2026-12-06 the Reshape's merge of H and W
 * turned the field global with no warning at all: torchvision's retinanet_resnet50_fpn_v2 and
 * fcos_resnet50_fpn (GroupNorm(32) in their heads) reported none, where a decomposed LayerNorm warned.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze } from '../helpers.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url));
const normWarnings = (r: { warnings: { code: string }[] }) => r.warnings.filter((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD') as unknown as { layer: string; localField: unknown }[];

describe('GroupNorm exported as Reshape → InstanceNormalization → Reshape: NORMALISATION_RECEPTIVE_FIELD, as the spec\'s groupNorm', () => {
  it('Conv2d(3, 8, 3, padding=1) → GroupNorm(2, 8) → SiLU at opset 13 (scripts/export_norm_activation_onnx.py): one warning at the InstanceNormalization, local field 3×3 at stride 1, padding 1; the spec gives the same', () => {
    const r = analyzeGraph(importOnnx(fixture('onnx/norm_activation/groupnorm_silu_op13.onnx'), { inputShapes: {} }).graph, DEFAULTS);
    const local = [
      { size: 3, stride: 1, padding: 1 },
      { size: 3, stride: 1, padding: 1 },
    ];
    expect(normWarnings(r).map((w) => ({ layer: w.layer, localField: w.localField }))).toEqual([{ layer: '/1/InstanceNormalization', localField: local }]);
    expect(r.layers.find((l) => l.name === '/1/Add')?.receptiveField?.global).toBe(true);
    const spec = analyze({ inputs: [{ name: 'x', shape: [1, 3, 5, 5] }], layers: [{ name: 'conv', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 }, { name: 'gn', op: 'groupNorm', numGroups: 2, numChannels: 8 }] });
    expect(normWarnings(spec).map((w) => w.localField)).toEqual([local]);
  });

  it('torchvision retinanet_resnet50_fpn_v2 at 320 (test/fixtures/detection-catalog): the first GroupNorm of each head at each of the 5 pyramid levels warns (2 heads × 5 = 10), the ones after it read a global field already', () => {
    const r = analyzeGraph(importOnnx(fixture('detection-catalog/retinanet_resnet50_fpn_v2.op17.onnx'), { inputShapes: { '': [3, 320, 320] } }).graph, DEFAULTS);
    const layers = normWarnings(r).map((w) => w.layer);
    expect(layers).toHaveLength(10);
    expect(layers.every((l) => /^\/head\/(classification|regression)_head\/conv\/conv\.0\/conv\.0\.1(_\d)?\/InstanceNormalization$/.test(l))).toBe(true);
  });
});
