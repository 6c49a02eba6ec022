import { describe, expect, it } from 'vitest';
import { ExplanationSchema, explainReport } from '../../src/conventions/explain.js';
import { ZOO } from '../../src/zoo/index.js';
import { net } from '../helpers.js';
import { analysed, zoo } from './helpers.js';

const layerOf = (spec: unknown, name: string, includeBias = false) => explainReport(analysed(spec, { includeBias })).layers.find((l) => l.name === name)!;

describe('explain: every figure with its formula and the values substituted', () => {
  it("ResNet-18's layer1.0.conv1: 115,605,504 = N 1 · Cout 64 · H'W' 56·56 · Cin/g 64 · k 3·3", () => {
    const e = explainReport(zoo('resnet18')).layers.find((l) => l.name === 'layer1.0.conv1')!;
    expect(e.macs.formula).toBe("115,605,504 = N 1 · Cout 64 · H'W' 56·56 · Cin/g 64 · k 3·3");
    expect(e.params.formula).toBe('36,864 = Cout 64 · Cin/g 64 · k 3·3');
    expect(e.exactMacOps.formula).toBe("231,010,304 = (2 · Cin/g 64 · k 3·3 − 1) · N 1 · Cout 64 · H'W' 56·56");
    expect(e.flops['2macs'].formula).toBe('231,211,008 = 2 · MACs 115,605,504 + element-wise 0');
    expect(e.biasOps.formula).toBe('0');
    // memory by hand: input 64·56·56 = 200,704 read, output 200,704 written, weights 36,864 read, float32
    expect(e.memoryBytes.formula).toBe('1,753,088 = (inputs 200,704 + output 1·64·56·56 + weights 36,864) · bytes/element 4');
    expect(e.memoryBytes.value).toBe((200_704 + 200_704 + 36_864) * 4);
    expect(e.agrees).toBe(true);
  });

  it('grouped and dilated conv with a bias (depthwise 8→8, groups 8, k 3, dilation 2, padding 2 on 2×8×10×10)', () => {
    const e = layerOf(net([2, 8, 10, 10], { op: 'conv2d', outChannels: 8, kernelSize: 3, groups: 8, dilation: 2, padding: 2 }), 'l0', true);
    expect(e.macs.formula).toBe("14,400 = N 2 · Cout 8 · H'W' 10·10 · Cin/g 1 · k 3·3");
    expect(e.params.formula).toBe('80 = Cout 8 · Cin/g 1 · k 3·3 + bias Cout 8');
    expect(e.biasOps.formula).toBe("1,600 = N 2 · Cout 8 · H'W' 10·10");
    expect(e.flops['2macs'].formula).toBe('30,400 = 2 · MACs 14,400 + element-wise 0 + bias adds 1600');
    expect(e.agrees).toBe(true);
  });

  it('transposed conv over input positions, and its exact count: 2·MACs minus the outputs some tap reaches', () => {
    // 1×4×3×3 → k 2, stride 2 → 1×2×6×6: every output receives taps, 72 of them
    const e = layerOf(net([1, 4, 3, 3], { op: 'convTranspose2d', outChannels: 2, kernelSize: 2, stride: 2, bias: false }), 'l0');
    expect(e.macs.formula).toBe('288 = N 1 · Cin 4 · HW 3·3 · Cout/g 2 · k 2·2');
    expect(e.exactMacOps.formula).toBe('504 = 2 · MACs 288 − outputs reached N·Cout·h·w 1·2·6·6');
    expect(e.params.formula).toBe('32 = Cin 4 · Cout/g 2 · k 2·2');
  });

  it('linear, batch norm, pooling, resampling, element-wise', () => {
    expect(layerOf(net([4, 10], { op: 'linear', outFeatures: 5 }), 'l0').macs.formula).toBe('200 = rows 4 · in 10 · out 5');
    expect(layerOf(net([1, 8, 4, 4], { op: 'batchNorm2d' }), 'l0').elementwise.formula).toBe('256 = elements 1·8·4·4 · scale+shift 2');
    expect(layerOf(net([1, 8, 4, 4], { op: 'maxPool2d', kernelSize: 2 }), 'l0').elementwise.formula).toBe('96 = (k 2·2 − 1) · outputs 1·8·2·2');
    expect(layerOf(net([1, 2, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 }), 'l0').elementwise.formula).toBe('98 = N·C 1·2 · Σ windows h 7 · Σ windows w 7');
    expect(layerOf(net([1, 2, 4, 4], { op: 'upsample', mode: 'bilinear', scaleFactor: 2 }), 'l0').elementwise.formula).toBe('896 = linear per output 7 · outputs 1·2·8·8');
    expect(layerOf(net([1, 8, 4, 4], { op: 'hardSwish' }), 'l0').elementwise.formula).toBe('640 = per element 5 · elements 1·8·4·4');
  });

  it('deformable conv: the conv MACs, and 7 FLOPs per bilinear sample (+ 1 with a mask)', () => {
    const spec = {
      name: 'dc',
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'offset', shape: [1, 18, 4, 4] }, { name: 'mask', shape: [1, 9, 4, 4] }],
      layers: [{ name: 'dc', op: 'deformConv2d', inputs: ['x', 'offset', 'mask'], outChannels: 3, kernelSize: 3, padding: 1 }],
    };
    const e = layerOf(spec, 'dc');
    expect(e.macs.formula).toBe("864 = N 1 · Cout 3 · H'W' 4·4 · Cin/g 2 · k 3·3");
    expect(e.elementwise.formula).toBe("2,304 = N 1 · Cin 2 · k 3·3 · H'W' 4·4 · (bilinear 7 + mask 1)");
  });

  it('matmul: batch · M · K · N', () => {
    const spec = { name: 'mm', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }], layers: [{ name: 'mm', op: 'matmul', inputs: ['a', 'b'] }] };
    expect(layerOf(spec, 'mm').macs.formula).toBe('120 = batch 2 · M 3 · K 4 · N 5');
  });

  it('a figure that does not match its formula is flagged, not explained away', () => {
    const input = zoo('resnet18');
    const conv = input.report.layers.find((l) => l.name === 'conv1')!;
    input.report = { ...input.report, layers: input.report.layers.map((l) => (l === conv ? { ...l, macs: l.macs + 1 } : l)) };
    const e = explainReport(input);
    expect(e.agrees).toBe(false);
    expect(e.layers.filter((l) => !l.agrees).map((l) => [l.name, l.macs.value, l.macs.reported])).toEqual([['conv1', conv.macs, conv.macs + 1]]);
  });

  it.each(ZOO.map((z) => [z.name] as const))('%s: the explanation of every layer equals every figure of the report', (name) => {
    const input = zoo(name);
    const e = ExplanationSchema.parse(explainReport(input));
    const disagreeing = e.layers.filter((l) => !l.agrees).map((l) => l.name);
    expect(disagreeing).toEqual([]);
    expect(e.agrees).toBe(true);
    // every analysed layer is explained
    expect(e.layers.map((l) => l.name)).toEqual(input.report.layers.filter((l) => l.supported).map((l) => l.name));
  });
});

describe('explain: gridSample by mode (1×2×8×8 sampled at a 1×4×4×2 grid: 32 outputs)', () => {
  it.each([
    ['bilinear', '224 = bilinear per output 7 · outputs 1·2·4·4'],
    ['bicubic', '992 = bicubic per output 31 · outputs 1·2·4·4'],
    ['nearest', '0'],
  ])('mode %s: %s, agreeing with the report (bicubic explained 0 against 992)', (mode, formula) => {
    const spec = { inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, { name: 'grid', shape: [1, 4, 4, 2] }], layers: [{ name: 'gs', op: 'gridSample', inputs: ['x', 'grid'], mode }] };
    const e = layerOf(spec, 'gs');
    expect(e.elementwise.formula).toBe(formula);
    expect(e.agrees).toBe(true);
  });
});

describe("explain: Swin V2's window attention (swin_v2_t at 256, features.1.1.attn: 64 windows of 8×8 over the 64×64 map, C 96, 3 heads, shifted by 4)", () => {
  const e = explainReport(zoo('swin_v2_t')).layers.find((l) => l.name === 'features.1.1.attn')!;

  it("MACs: v1's products, 4096·(4·96² + 2·64·96) = 201,326,592, + the position-bias MLP once, 15·15 offsets · 512 · (2 + 3) = 576,000", () => {
    expect(e.family).toBe('windowAttentionV2');
    expect(e.macs.value).toBe(4096 * (4 * 96 * 96 + 2 * 64 * 96) + 225 * 512 * 5);
    expect(e.macs.formula).toBe('201,902,592 = tokens N·windows·T 1·64·64 · (4 · C² 96·96 + 2 · T 64 · C 96) + R 15·15 · hidden 512 · (in 2 + h 3)');
    expect(e.biasOps.formula).toBe('1,688,064 = tokens N·windows·T 1·64·64 · 3C 288 + tokens N·windows·T 1·64·64 · C 96 + R 15·15 · b₀ 512');
  });

  it('element-wise: q and k normalised, 8 per score with the mask, the logit scale per head, the ReLU and 16·sigmoid of the MLP', () => {
    // by hand: 2·4096·(288 + 6) + 8·64·3·64² + 2·3 + 225·512 + 5·225·3
    expect(e.elementwise.value).toBe(2 * 4096 * 294 + 8 * 64 * 3 * 4096 + 6 + 225 * 512 + 5 * 225 * 3);
    expect(e.elementwise.formula).toMatch(/^8,818,485 = 2 · tokens N·windows·T 1·64·64 · \(3C \(q, k normalised\) 288 \+ 2 · h 3\) \+ per score \(scale, bias, softmax 5, mask\) 8 · S·h·T² 64·3·64·64/);
    expect(e.agrees).toBe(true);
  });
});

describe("explain: MViT's multiscale attention (tokens [1, 1 + 2·4·4, 8], h 2, D 16, kernels 3, strides [1, 2, 2], relPos, residual pooling without the class token)", () => {
  const spec = net([1, 33, 8], { op: 'multiscaleAttention', inputSize: [2, 4, 4], numHeads: 2, outputDim: 16, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 2, 2], strideKv: [1, 2, 2], relPos: true, residualPool: true, residualWithClsEmbed: false });
  const e = layerOf(spec, 'l0');

  it('MACs 28,704 by hand (qkv 12,672 + project 2,304 + pools 10,368 + scores 2,592 + relative positions 768), agreeing with the report', () => {
    expect(e.family).toBe('multiscaleAttention');
    expect(e.macs.value).toBe(12_672 + 2_304 + 10_368 + 2_592 + 768);
    expect(e.macs.formula).toBe('28,704 = N·L 1·33 · C 8 · 3D 48 + N·Lq 1·9 · D² 16·16 + N·h·d 1·2·8 · (Gq 2·2·2 · Πkq 3·3·3 + 2 · Gk 2·2·2 · Πkv 3·3·3) + 2 · N·h·Lq·Lk 1·2·9·9 · d 8 + N·h·Gq 1·2·8 · Hk + Wk + Tk 6 · d 8');
    // element-wise by hand: LayerNorms 7·16·(9 + 2·9) + q scaled 9·16 + softmax 5·162 + bias 3·16·8 + residual 16·8
    expect(e.elementwise.value).toBe(7 * 16 * 27 + 144 + 5 * 162 + 3 * 16 * 8 + 16 * 8);
    expect(e.agrees).toBe(true);
  });
});
