import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ZOO, ZOO_BY_NAME } from '../../src/zoo/index.js';
import { unet } from '../../src/zoo/segmentation.js';
import { regnetStages } from '../../src/zoo/regnet.js';
import { analyze, errorOf, layer } from '../helpers.js';
import { modelSpec } from '../../src/graph/load.js';

const onnxTruth = JSON.parse(readFileSync(new URL('../fixtures/onnx/truth.json', import.meta.url), 'utf8'));
const catalogTruth = JSON.parse(readFileSync(new URL('../fixtures/catalog/truth.json', import.meta.url), 'utf8')) as { models: Record<string, unknown> };

describe('the model zoo', () => {
  it('has every model the product promises', () => {
    const required = [
      'alexnet', 'vgg11', 'vgg16', 'vgg16_bn', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenet_v1', 'mobilenet_v2',
      'mobilenet_v3_large', 'mobilenet_v3_small', 'shufflenet_v2_x1_0', 'squeezenet1_1', 'googlenet', 'inception_v3',
      'densenet121', 'efficientnet_b0', 'unet', 'deeplabv3_resnet50', 'resnext50_32x4d', 'wide_resnet50_2', 'regnet_y_400mf',
      'mnasnet1_0', 'efficientnet_v2_s', 'fcn_resnet50', 'lraspp_mobilenet_v3_large', 'yolov8n', 'convnext_tiny', 'vit_b_16',
      // asked for by name next (were UNKNOWN_MODEL, resnet152 answered "did you mean 'resnet18'?")
      'resnet152', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_b4', 'efficientnet_b5', 'efficientnet_b6', 'efficientnet_b7',
      'regnet_y_800mf', 'regnet_y_1_6gf', 'regnet_y_3_2gf', 'regnet_y_8gf', 'regnet_y_16gf', 'regnet_y_32gf', 'regnet_y_128gf',
      'regnet_x_400mf', 'regnet_x_800mf', 'regnet_x_1_6gf', 'regnet_x_3_2gf', 'regnet_x_8gf', 'regnet_x_16gf', 'regnet_x_32gf',
      // the rest of torchvision 0.14's builders whose family the zoo generates (UNKNOWN_MODEL before)
      'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg19', 'vgg19_bn', 'resnext101_32x8d', 'resnext101_64x4d', 'wide_resnet101_2',
      'densenet161', 'densenet169', 'densenet201', 'squeezenet1_0', 'shufflenet_v2_x0_5', 'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0',
      'mnasnet0_5', 'mnasnet0_75', 'mnasnet1_3', 'efficientnet_v2_m', 'efficientnet_v2_l', 'convnext_small', 'convnext_base', 'convnext_large',
      'vit_b_32', 'vit_l_16', 'vit_l_32', 'vit_h_14', 'fcn_resnet101', 'deeplabv3_resnet101', 'deeplabv3_mobilenet_v3_large',
      's3d',
      // Swin V2 (its cosine window attention: ops/window-attention-v2.ts)
      'swin_v2_t', 'swin_v2_s', 'swin_v2_b',
      // MaxViT's block and grid attention (UNKNOWN_MODEL before)
      'maxvit_t',
      // MViT's pooling attention (ops/multiscale-attention.ts)
      'mvit_v1_b', 'mvit_v2_s',
    ];
    expect(ZOO.map((z) => z.name)).toEqual(expect.arrayContaining(required));
  });

  it("holds all of torchvision 0.14's 92 classification, segmentation and video builders (scripts/export_catalog.py enumerates them; mvit_v1_b and mvit_v2_s were the last two, UNKNOWN_MODEL before)", () => {
    const builders = Object.keys(catalogTruth.models);
    expect(builders.length).toBe(92);
    expect(builders.filter((name) => !ZOO_BY_NAME.has(name)).sort()).toEqual([]);
  });

  it.each(ZOO.map((z) => [z.name, z] as const))('%s analyses at its crop size with no unsupported layer', (_, z) => {
    const r = analyze(z.build());
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBeGreaterThan(0);
  });

  it('U-Net, 2 levels at base width 16: the same params and MACs as the PyTorch module exported in test/fixtures/onnx/unet.onnx', () => {
    const t = onnxTruth.models.unet;
    const r = analyze(unet({ resolution: 64, base: 16, depth: 2 }));
    expect(r.totals.params).toBe(t.params);
    expect(r.totals.macs).toBe(t.macs);
    expect(r.outputs[0].shape).toEqual(t.output);
  });

  it('U-Net at base 64, 4 levels: 31,037,698 params, output at input resolution, skips aligned', () => {
    const r = analyze(ZOO_BY_NAME.get('unet')!.build());
    expect(r.totals.params).toBe(31_037_698);
    expect(r.outputs[0].shape).toEqual([1, 2, 256, 256]);
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
    expect(r.structure.resolution).toMatchObject({ downsamplings: 4, finalFeatureMap: [16, 16], fixedInputSize: false });
  });

  it('Inception-v3: the AuxLogits head counts in params (27,161,264) but not in inference MACs', () => {
    const r = analyze(ZOO_BY_NAME.get('inception_v3')!.build());
    const aux = r.layers.filter((l) => l.name.startsWith('AuxLogits.'));
    expect(aux.length).toBeGreaterThan(0);
    expect(aux.every((l) => !l.executed)).toBe(true);
    const auxMacs = aux.reduce((s, l) => s + l.macs, 0);
    const allMacs = r.layers.reduce((s, l) => s + l.macs, 0);
    expect(r.totals.macs).toBe(allMacs - auxMacs);
    expect(r.structure.resolution?.finalFeatureMap).toEqual([8, 8]);
  });

  it('DeepLabV3: output stride 8 with dilation, so the final feature map is 65×65 at 520', () => {
    const r = analyze(ZOO_BY_NAME.get('deeplabv3_resnet50')!.build());
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [65, 65], downsamplingStride: [8, 8], downsamplings: 3 });
    expect(layer(r, 'classifier.0.convs.3.0').receptiveField!.size![0]).toBeGreaterThan(layer(r, 'classifier.0.convs.1.0').receptiveField!.size![0]);
    expect(r.outputs.map((o) => o.shape)).toEqual([
      [1, 21, 520, 520],
      [1, 21, 520, 520],
    ]);
  });

  it('ShuffleNet V2 references the second half of a channel split as "<layer>:1"', () => {
    const spec = ZOO_BY_NAME.get('shufflenet_v2_x1_0')!.build();
    expect(spec.layers.some((l) => (Array.isArray(l.inputs) ? l.inputs : [l.inputs]).includes('stage2.1.chunk:1'))).toBe(true);
    expect(layer(analyze(spec), 'stage2.1.chunk').outputShapes).toEqual([
      [1, 58, 28, 28],
      [1, 58, 28, 28],
    ]);
  });

  // 224 and 320 are multiples of 32, so every conv map grows by (10/7)² exactly and only the fc
  // (2048·1000 = 2,048,000 MACs) stays: (4,089,184,256 − 2,048,000)·100/49 + 2,048,000 = 8,343,142,400,
  // as forward hooks on torchvision 0.14's resnet50 count at 1×3×320×320 (out.numel()·in/groups·k² per
  // Conv2d, out.numel()·in per Linear). The ratio to within 0.05 passed with the stem pool's padding 0.
  it('any model at another resolution: resnet50 at 320 has the same params and (10/7)² the conv MACs: 8,343,142,400 (PyTorch hooks)', () => {
    const at = (r: number) => analyze(ZOO_BY_NAME.get('resnet50')!.build(r)).totals;
    const [a, b] = [at(224), at(320)];
    expect([a.params, b.params]).toEqual([25_557_032, 25_557_032]);
    expect([a.macs, b.macs]).toEqual([4_089_184_256, 8_343_142_400]);
  });

  it("RegNet's blocks list the projection before the residual branch, as torchvision's ResBottleneckBlock.forward runs self.proj(x) + self.f(x) (the report's order, and the order runs execute)", () => {
    const names = modelSpec('regnet_y_400mf').layers.map((l) => l.name);
    const p = 'trunk_output.block1.block1-0.';
    expect(names.indexOf(`${p}proj.0`)).toBeLessThan(names.indexOf(`${p}f.a.0`));
    expect(names.indexOf(`${p}proj.1`)).toBe(names.indexOf(`${p}proj.0`) + 1);
  });

  it('RegNetY-400MF stages from the quantised linear rule (d=16, w0=48, wa=27.89, wm=2.09): depths 1,3,6,6, widths 48,104,208,440 (the paper\'s table)', () => {
    const stages = regnetStages({ depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8 });
    expect(stages.map((s) => [s.depth, s.width, s.groupWidth])).toEqual([
      [1, 48, 8],
      [3, 104, 8],
      [6, 208, 8],
      [6, 440, 8],
    ]);
  });

  it('ResNeXt-50 32×4d: the 3×3 of layer1 has 128 channels in 32 groups; Wide ResNet-50-2: 128 channels, one group', () => {
    const conv2 = (name: string) => ZOO_BY_NAME.get(name)!.build().layers.find((l) => l.name === 'layer1.0.conv2') as Record<string, unknown>;
    expect(conv2('resnext50_32x4d')).toMatchObject({ outChannels: 128, groups: 32 });
    expect(conv2('wide_resnet50_2')).toMatchObject({ outChannels: 128 });
    expect(conv2('wide_resnet50_2').groups).toBeUndefined();
  });

  it('LR-ASPP: dilated MobileNetV3 tail keeps 1/16 (33×33 at 520), the low branch is 1/8 (65×65), output at input size', () => {
    const r = analyze(ZOO_BY_NAME.get('lraspp_mobilenet_v3_large')!.build());
    expect(layer(r, 'backbone.16.2').outputShape).toEqual([1, 960, 33, 33]);
    expect(layer(r, 'classifier.low_classifier').outputShape).toEqual([1, 21, 65, 65]);
    expect(layer(r, 'backbone.13.block.1.0')).toMatchObject({ outputShape: [1, 672, 33, 33] });
    expect(r.outputs.map((o) => o.shape)).toEqual([[1, 21, 520, 520]]);
  });

  it('ViT-B/16: 196 patches + 1 class token; each block\'s attention 197·(4·768² + 2·197·768) MACs, q·kᵀ and attn·v included', () => {
    const r = analyze(ZOO_BY_NAME.get('vit_b_16')!.build());
    expect(layer(r, 'class_token').outputShape).toEqual([1, 197, 768]);
    expect(layer(r, 'encoder.pos_embedding').params).toBe(197 * 768);
    expect(layer(r, 'encoder.layers.encoder_layer_0.self_attention')).toMatchObject({ macs: 197 * (4 * 768 ** 2 + 2 * 197 * 768), params: 4 * 768 ** 2 + 4 * 768 });
  });

  it('ConvNeXt-T: each CNBlock has a learned layer scale of C values (96·3 + 192·3 + 384·9 + 768·3 = 6,624 in all)', () => {
    const r = analyze(ZOO_BY_NAME.get('convnext_tiny')!.build());
    const scales = r.layers.filter((l) => l.op === 'layerScale');
    expect(scales.length).toBe(18);
    expect(scales.reduce((s, l) => s + l.params, 0)).toBe(6_624);
    expect(layer(r, 'features.7.2.block.2').outputShape).toEqual([1, 7, 7, 768]);
  });
});

// torchvision's VisionTransformer asserts a square image_size that is a multiple of its patch;
// other sizes built a model torchvision has not (found by sweeping the zoo against PyTorch)
describe('vit_b_16 at sizes torchvision does not build', () => {
  it.each([[225], [97], [[224, 160] as [number, number]]])('%j: INVALID_OPTION at $.resolution naming the rule', (r) => {
    const e = errorOf(() => modelSpec('vit_b_16', r));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details.path).toBe('$.resolution');
    expect(e.message).toMatch(/takes a square image whose side is a multiple of its patch \(16\)/);
  });

  it('96 (a multiple of 16) builds vit_b_16(image_size=96): 6×6 patches, a position embedding of 37 tokens; 224 is the published one (86,567,656 params)', () => {
    const r96 = analyze(modelSpec('vit_b_16', 96));
    expect(r96.layers.find((l) => l.name === 'encoder.pos_embedding')!.params).toBe(37 * 768);
    expect(analyze(modelSpec('vit_b_16', 224)).totals.params).toBe(86_567_656);
  });
});
