import { describe, expect, it } from 'vitest';
import { CONV_TRANSPOSE_POSITIONS, ConventionCountSchema, FAMILIES, FAMILY_OF, PRESETS, PRESETS_BY_NAME, countWith, presetNamed } from '../../src/conventions/index.js';
import { OPS } from '../../src/ops/registry.js';
import { errorOf, net } from '../helpers.js';
import { analysed, zoo } from './helpers.js';

describe('presets and families', () => {
  it('every operator of the registry has a family, so every preset has decided on it (a new op without one fails here)', () => {
    const missing = OPS.filter((op) => !FAMILY_OF.has(op)).map((op) => op.name);
    expect(missing).toEqual([]);
    expect(new Set(FAMILY_OF.values())).toEqual(new Set(FAMILIES));
  });

  it('nine presets with distinct names, each citing its repository and the release it transcribes, each rule citing its source', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(['torchvision', 'fvcore', 'thop', 'ptflops', 'ptflops-aten', 'calflops', 'calflops-macs', 'torchinfo', 'onnx-tool']);
    for (const p of PRESETS) {
      expect(p.source.length, p.name).toBeGreaterThan(0);
      expect(p.version, p.name).toMatch(/\d/);
      for (const [family, rule] of Object.entries(p.rules)) {
        expect(FAMILIES, `${p.name}.${family}`).toContain(family);
        expect(rule.why.length, `${p.name}.${family}`).toBeGreaterThan(10);
        expect(rule.source, `${p.name}.${family}`).toMatch(/\S/);
      }
    }
  });

  it('presetNamed: a misspelled preset is INVALID_OPTION with the closest name', () => {
    expect(presetNamed('thop')).toBe(PRESETS_BY_NAME.get('thop'));
    const e = errorOf(() => presetNamed('ptflop'));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: '$.convention', suggestion: 'ptflops' });
  });
});

describe('countWith', () => {
  it('ResNet-50 under ptflops: 4,132,436,968 (the README\'s 4.13 GMac) against convlens\'s 4,089,184,256, and why, family by family', () => {
    const c = ConventionCountSchema.parse(countWith(PRESETS_BY_NAME.get('ptflops')!, zoo('resnet50')));
    expect([c.total, c.convlensMacs, c.difference]).toEqual([4_132_436_968, 4_089_184_256, 43_252_712]);
    const by = Object.fromEntries(c.byFamily.map((f) => [f.family, f.difference]));
    // BN 2 per element over 11,113,984 elements; ReLU twice over 9,608,704; max pool twice over 802,816; avg pool twice over 100,352; fc bias 1000
    expect(by).toMatchObject({ batchNorm: 22_227_968, relu: 19_217_408, maxPool: 1_605_632, adaptiveAvgPool: 200_704, linear: 1000, conv: 0, add: 0 });
    expect(22_227_968 + 19_217_408 + 1_605_632 + 200_704 + 1000).toBe(c.difference);
    expect(c.byFamily[0].family).toBe('batchNorm');
    expect(c.headline).toMatch(/^ptflops, pytorch backend counts 4,132,436,968 MACs where convlens counts 4,089,184,256 MACs: batchNorm \+22,227,968 \(batch norm/);
    expect(c.layers.reduce((s, l) => s + l.count, 0)).toBe(c.total);
    expect(c.layers.find((l) => l.name === 'layer1.0.relu1')).toMatchObject({ family: 'relu', count: 2 * 64 * 56 * 56, convlensMacs: 0 });
  });

  it('torchvision equals convlens layer by layer, and says so', () => {
    const c = countWith(PRESETS_BY_NAME.get('torchvision')!, zoo('vgg16'));
    expect(c.difference).toBe(0);
    expect(c.layers.every((l) => l.difference === 0)).toBe(true);
    expect(c.headline).toMatch(/: the same count$/);
  });

  it('layers no output depends on (Inception-v3\'s training-only AuxLogits) count in neither total', () => {
    const input = zoo('inception_v3');
    const c = countWith(PRESETS_BY_NAME.get('thop')!, input);
    expect(c.layers.some((l) => l.name.startsWith('AuxLogits'))).toBe(false);
    expect(c.convlensMacs).toBe(input.report.totals.macs);
  });

  it('the convTranspose switch applies to U-Net\'s up-convolutions only, and is echoed', () => {
    const input = zoo('unet');
    const thop = PRESETS_BY_NAME.get('thop')!;
    const tool = countWith(thop, input);
    const out = countWith(thop, input, { convTranspose: 'output' });
    expect([tool.convTranspose, out.convTranspose]).toEqual(['tool', 'output']);
    const diff = out.layers.filter((l, i) => l.count !== tool.layers[i].count).map((l) => l.name);
    expect(diff).toEqual(['up1', 'up2', 'up3', 'up4']);
    // k 2, stride 2: each output receives one tap per input channel, so output positions count s² = 4 times the input-position MACs
    for (const name of diff) expect(out.layers.find((l) => l.name === name)!.count).toBe(4 * tool.layers.find((l) => l.name === name)!.count);
    expect(CONV_TRANSPOSE_POSITIONS).toEqual(['input', 'output']);
  });

  it('functional names a layer; an unknown one is INVALID_OPTION with the closest layer name', () => {
    const input = analysed(net([1, 8, 4, 4], { name: 'act', op: 'relu' }));
    const ptflops = PRESETS_BY_NAME.get('ptflops')!;
    expect(countWith(ptflops, input).total).toBe(256);
    expect(countWith(ptflops, input, { functional: ['act'] }).total).toBe(128);
    const e = errorOf(() => countWith(ptflops, input, { functional: ['acts'] }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ path: '$.functional', suggestion: 'act' });
    const bad = errorOf(() => countWith(ptflops, input, { convTranspose: 'both' as never }));
    expect([bad.code, bad.details.path]).toEqual(['INVALID_OPTION', '$.convTranspose']);
  });

  it("subclassed names a layer (an unknown one is INVALID_OPTION at $.subclassed); ptflops drops its hook, not the patched function its forward calls", () => {
    const input = analysed(net([1, 8, 4, 4], { name: 'act', op: 'relu' }));
    const ptflops = PRESETS_BY_NAME.get('ptflops')!;
    // a subclass of nn.ReLU: no relu_flops_counter_hook (exact type), but its forward's F.relu is the patched one
    expect(countWith(ptflops, input, { subclassed: ['act'] }).total).toBe(128);
    expect(countWith(PRESETS_BY_NAME.get('thop')!, input, { subclassed: ['act'] }).total).toBe(countWith(PRESETS_BY_NAME.get('thop')!, input).total);
    const e = errorOf(() => countWith(ptflops, input, { subclassed: ['acts'] }));
    expect([e.code, e.details.path, e.details.suggestion]).toEqual(['INVALID_OPTION', '$.subclassed', 'act']);
  });

  it('an imported operator convlens does not model counts 0 and is listed, as in the report', () => {
    const spec = {
      name: 'u',
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [{ name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, bias: false }],
    };
    const input = analysed(spec);
    // make the conv look unanalysed, as an unsupported ONNX node is (op and inference null)
    input.inference = { ...input.inference, analysed: input.inference.analysed.map((a) => ({ ...a, op: null, inferred: null })) };
    const c = countWith(PRESETS_BY_NAME.get('thop')!, input);
    expect(c.unsupported).toEqual(['conv']);
    expect(c.layers[0]).toMatchObject({ family: null, count: 0 });
  });
});

describe("MViT's multiscale attention under the presets (family multiscaleAttention)", () => {
  const input = zoo('mvit_v1_b');
  const attention = Array.from({ length: 16 }, (_, i) => `blocks.${i}.attn`);

  it('torchvision counts its MACs as PyTorch does on ATen: mvit_v1_b 70,599,407,808, the report\'s own, nothing unsupported', () => {
    const c = countWith(PRESETS_BY_NAME.get('torchvision')!, input);
    expect([c.total, c.convlensMacs, c.unsupported]).toEqual([70_599_407_808, 70_599_407_808, []]);
  });

  it('thop charges blocks.0.attn its modules\' hooks: qkv 96·25,089·288 + project.0 96·25,089·96 + pool_k and pool_v, each conv 96·392·27 and LayerNorm 4·393·96 (thop prints 927,214,848)', () => {
    // block 0: 1 + 8·56·56 = 25,089 tokens of 96, one head; k and v pooled by 3×3×3 at stride 1×8×8 to 8×7×7 = 392 (+ the class token)
    const c = countWith(PRESETS_BY_NAME.get('thop')!, input);
    const hand = 96 * 25_089 * 288 + 96 * 25_089 * 96 + 2 * (96 * 392 * 27 + 4 * 393 * 96);
    expect(hand).toBe(927_214_848);
    expect(c.layers.find((l) => l.name === 'blocks.0.attn')?.count).toBe(hand);
  });

  it.each(PRESETS.filter((p) => !['torchvision', 'onnx-tool'].includes(p.name)).map((p) => [p.name, p] as const))('%s: the 16 attention layers counted from the calls the forward makes, nothing unsupported', (_, p) => {
    const c = ConventionCountSchema.parse(countWith(p, input));
    expect(c.unsupported).toEqual([]);
    expect(c.layers.filter((l) => attention.includes(l.name)).map((l) => [l.name, l.count > 0])).toEqual(attention.map((name) => [name, true]));
  });

  it("onnx-tool: its shape inference cannot read MViT's export (SequenceEmpty), so the 16 attention layers are listed unsupported and counted 0, never silently", () => {
    const c = ConventionCountSchema.parse(countWith(PRESETS_BY_NAME.get('onnx-tool')!, input));
    expect(c.unsupported).toEqual(attention);
    expect(c.layers.filter((l) => attention.includes(l.name)).map((l) => [l.name, l.count])).toEqual(attention.map((name) => [name, 0]));
    expect(c.byFamily.find((f) => f.family === 'multiscaleAttention')?.why).toMatch(/^not supported: onnx-tool profiles the torch.onnx export, and its shape inference cannot read MViT's: .*SequenceEmpty/);
  });
});
