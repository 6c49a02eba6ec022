/**
 * The operator families of issue 10 under every preset and in the explanation, on small specs
 * with hand-worked figures (the zoo's ConvNeXt-T and ViT-B/16 are checked against the real tools
 * in truth.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { explainReport } from '../../src/conventions/explain.js';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

const explain = (spec: unknown, name = 'l0') => explainReport(analysed(spec)).layers.find((l) => l.name === name)!;
const count = (preset: string, spec: unknown, functional: string[] = []) => countWith(PRESETS_BY_NAME.get(preset)!, analysed(spec), { functional }).total;

// global self-attention over a 1×8×4×4 map: 16 tokens, C 8, 2 heads of d 4, T 16, S 1, with biases
const ATTENTION = net([1, 8, 4, 4], { op: 'multiHeadAttention', numHeads: 2 });
// QKV 16·24·8 = 3,072; q·kᵀ 2·16·16·4 = 2,048; attn·v 2,048; output projection 16·8·8 = 1,024
const ATTENTION_MACS = 3072 + 2048 + 2048 + 1024;
const SCORES = 2 * 16 * 16;

describe('explain: the newer families', () => {
  it('attention: tokens·(4C² + 2TC) MACs, q scaling + 5 per score element-wise, 4C² + 4C params', () => {
    const e = explain(ATTENTION);
    expect(e.macs.formula).toBe('8,192 = tokens N·T 1·16 · (4 · C² 8·8 + 2 · T 16 · C 8)');
    expect(e.macs.value).toBe(ATTENTION_MACS);
    expect(e.elementwise.formula).toBe('2,688 = tokens N·T 1·16 · C (q scaled) 8 + softmax per score 5 · S·h·T² 1·2·16·16');
    expect(e.biasOps.value).toBe(16 * 32);
    expect(e.params.value).toBe(4 * 64 + 4 * 8);
    expect(e.agrees).toBe(true);
  });

  it('windowed attention (window 2×2): 4 sequences of 4 tokens', () => {
    const e = explain(net([1, 8, 4, 4], { op: 'multiHeadAttention', numHeads: 2, window: 2 }));
    // projections 16·4·64 = 4,096 + score products 2·16·4·8 = 1,024
    expect(e.macs.value).toBe(5120);
    expect(e.agrees).toBe(true);
  });

  it('layerNorm, groupNorm: 5 per element + 4 per group + the affine map', () => {
    expect(explain(net([2, 5, 6], { op: 'layerNorm' })).elementwise.formula).toBe('460 = elements 2·5·6 · (statistics 5 + affine 2) + groups 10 · per group 4');
    expect(explain(net([1, 8, 4, 4], { op: 'groupNorm', numGroups: 4 })).elementwise.formula).toBe('912 = elements 1·8·4·4 · (statistics 5 + affine 2) + groups 4 · per group 4');
  });

  it('gelu (tanh form 9 per element), topK (⌈log₂(k + 1)⌉ per input), reduceL2 (2 per input), einsum (a contraction is MACs)', () => {
    expect(explain(net([1, 8, 4, 4], { op: 'gelu', approximate: 'tanh' })).elementwise.formula).toBe('1,152 = per element (tanh) 9 · elements 1·8·4·4');
    expect(explain(net([2, 3, 4], { op: 'topK', k: 2, dim: -1 })).elementwise.formula).toBe('48 = inputs 2·3·4 · ⌈log₂(k + 1)⌉ 2');
    expect(explain(net([2, 3, 4], { op: 'reduceL2', axes: [2] })).elementwise.formula).toBe('48 = 2 · inputs 2·3·4');
    const spec = { name: 'e', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [2, 4, 5] }], layers: [{ name: 'e', op: 'einsum', inputs: ['a', 'b'], equation: 'bij,bjk->bik' }] };
    const e = explain(spec, 'e');
    expect(e.macs.value).toBe(2 * 3 * 4 * 5);
    expect(e.exactMacOps.value).toBe(2 * 3 * 5 * (2 * 4 - 1));
    expect(e.agrees).toBe(true);
  });
});

describe('presets: the newer families, hand-worked', () => {
  it('attention: torchvision and fvcore its MACs; thop + softmax 3T − 1 per row; ptflops its hook; ptflops-aten + the projection biases reaching addmm; calflops the F.linear projections', () => {
    expect(count('torchvision', ATTENTION)).toBe(ATTENTION_MACS);
    expect(count('fvcore', ATTENTION)).toBe(ATTENTION_MACS);
    expect(count('thop', ATTENTION)).toBe(ATTENTION_MACS + 2 * 16 * (3 * 16 - 1));
    // the hook per sequence: T·C 128 + 3T·C² 3,072 + 3T·C bias 384 + h·(2T²d + T²) 4,608 + T·C·(C + 1) 1,152;
    // plus the patched torch.bmm (4,096) and F.softmax (512) of MHA's Python path: 13,952, what ptflops 0.7.5
    // prints for nn.MultiheadAttention(8, 2, batch_first=True) called positionally on these tokens (torch 1.13)
    expect(count('ptflops', ATTENTION)).toBe(128 + 3072 + 384 + 4608 + 1152 + 4096 + 512);
    // the output projection through aten.addmm (2-D rows), its bias C per token; the input projection reads
    // x.flatten(2).transpose(1, 2), a strided view: aten.matmul + add_, no bias (the tool prints 8,320, ops.json)
    expect(count('ptflops-aten', ATTENTION)).toBe(ATTENTION_MACS + 16 * 8);
    // contiguous (N, L, C) tokens at batch 1: both through addmm, 3C + C per token (the tool prints 8,704);
    // at batch 2 the module's batch_first transpose makes a strided view: C per token (16,640 printed, torch 1.13)
    const tokens = (n: number) => net([n, 16, 8], { op: 'multiHeadAttention', numHeads: 2 });
    expect(count('ptflops-aten', tokens(1))).toBe(ATTENTION_MACS + 16 * 32);
    expect(count('ptflops-aten', tokens(2))).toBe(2 * ATTENTION_MACS + 32 * 8);
    expect(count('calflops-macs', ATTENTION)).toBe(16 * 4 * 64);
    expect(count('calflops', ATTENTION)).toBe(2 * 16 * 4 * 64 + SCORES);
    expect(count('torchinfo', ATTENTION)).toBe(0);
    // MatMul/Gemm MACs + 4C bias adds per token + Div of q by √d (4 per element) + Softmax 36 per score
    expect(count('onnx-tool', ATTENTION)).toBe(ATTENTION_MACS + 16 * 32 + 4 * 16 * 8 + 36 * SCORES);
  });

  it('layer norm over 2×5×6 with affine: fvcore and calflops 5 per element, thop 4, ptflops 1 per element of one sample (its hooks are divided by the batch), torchinfo 2·C·N, onnx-tool 7 per element + 29 per row', () => {
    const spec = net([2, 5, 6], { op: 'layerNorm' });
    expect(count('fvcore', spec)).toBe(5 * 60);
    expect(count('calflops', spec)).toBe(5 * 60);
    expect(count('thop', spec)).toBe(4 * 60);
    // bn_flops_counter_hook's 60 over the batch counter 2: ptflops 0.7.5 printed 30 for nn.LayerNorm(6) on 2×5×6 (torch 1.13)
    expect(count('ptflops', spec)).toBe(60 / 2);
    expect(count('torchinfo', spec)).toBe(12 * 2);
    expect(count('onnx-tool', spec)).toBe(7 * 60 + 29 * 10);
    expect(count('torchvision', spec)).toBe(0);
  });

  it("ConvNeXt's LayerNorm2d (over channels): ptflops 0 (a subclass, and its table is by exact type), thop still 4 per element (its lookup walks the MRO)", () => {
    const spec = net([1, 8, 4, 4], { op: 'layerNorm', over: 'channels' });
    expect(count('ptflops', spec)).toBe(0);
    expect(count('thop', spec)).toBe(4 * 128);
    expect(count('onnx-tool', spec)).toBe(7 * 128 + 29 * 16);
  });

  it('gelu over 128 elements: ptflops 2 per element (hook + F.gelu), functional 1; calflops 1; onnx-tool 7 as exported; fvcore and thop 0', () => {
    const spec = net([1, 8, 4, 4], { op: 'gelu' });
    expect(count('ptflops', spec)).toBe(256);
    expect(count('ptflops', spec, ['l0'])).toBe(128);
    expect(count('calflops', spec)).toBe(128);
    expect(count('onnx-tool', spec)).toBe(7 * 128);
    expect(count('fvcore', spec)).toBe(0);
    expect(count('thop', spec)).toBe(0);
  });

  it("einsum of two operands: fvcore and onnx-tool the product of every label size, calflops numpy's printed optimal FLOPs, twice it + 1 (np.einsum_path prints 2.410e+02)", () => {
    const spec = { name: 'e', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [2, 4, 5] }], layers: [{ name: 'e', op: 'einsum', inputs: ['a', 'b'], equation: 'bij,bjk->bik' }] };
    expect(count('fvcore', spec)).toBe(120);
    expect(count('calflops', spec)).toBe(241);
    expect(count('onnx-tool', spec)).toBe(120);
  });

  it('einsum without a contraction: numpy prints L + 1 (bi,bi->bi at [3, 7]: 22; i,j->ij at [5], [7]: 36): fvcore half of it rounded down, 11 and 18 (it said 10 and 17), calflops 22 and 36', () => {
    const two = (a: number[], b: number[], equation: string) => ({ name: 'e', inputs: [{ name: 'a', shape: a }, { name: 'b', shape: b }], layers: [{ name: 'e', op: 'einsum', inputs: ['a', 'b'], equation }] });
    expect([count('fvcore', two([3, 7], [3, 7], 'bi,bi->bi')), count('fvcore', two([5], [7], 'i,j->ij'))]).toEqual([11, 18]);
    expect([count('calflops', two([3, 7], [3, 7], 'bi,bi->bi')), count('calflops', two([5], [7], 'i,j->ij'))]).toEqual([22, 36]);
  });

  // what the tools printed (fvcore 3378afe FlopCountAnalysis, calflops _einsum_flops_compute; torch 1.13, numpy 1.24): numpy's
  // "Optimized FLOP count" is printed "%.3e" and read back, four significant digits, an exact tie to the even digit
  it("einsum: numpy's printed, rounded count (maxvit_t's q·kᵀ: 1.967e+07, fvcore 9,835,000, calflops 19,670,000; 12,345 prints 1.234e+04); fvcore's two exact equations", () => {
    const two = (a: number[], b: number[], equation: string) => ({ name: 'e', inputs: [{ name: 'a', shape: a }, { name: 'b', shape: b }], layers: [{ name: 'e', op: 'einsum', inputs: ['a', 'b'], equation }] });
    const qk = two([1, 64, 49, 2, 32], [1, 64, 49, 2, 32], 'bgihd,bgjhd->bghij');
    expect([count('fvcore', qk), count('calflops', qk)]).toEqual([9_835_000, 19_670_000]);
    const tie = two([4, 1543], [4, 1543], 'bi,bi->b');
    expect([count('fvcore', tie), count('calflops', tie)]).toEqual([6_170, 12_340]);
    // "abc,abd->acd" and "abc,adc->adb" (after renaming) fvcore counts n·c·t·p exactly; calflops still reads numpy's 1.391e+05
    for (const [a, b, eq] of [[[3, 301, 7], [3, 301, 11], 'xyz,xyw->xzw'], [[3, 7, 301], [3, 11, 301], 'xyz,xwz->xwy']] as const) {
      expect([count('fvcore', two([...a], [...b], eq)), count('calflops', two([...a], [...b], eq))]).toEqual([69_531, 139_100]);
    }
  });
});

describe('convolution and pooling over 1 or 3 axes', () => {
  it('conv1d 2→3, k 3 on length 9 (output 7): 126 MACs = 1·3·7·2·3; ptflops, ptflops-aten, torchinfo and onnx-tool add the 21 bias adds; calflops 2·MACs + bias', () => {
    const spec = net([1, 2, 9], { op: 'conv1d', outChannels: 3, kernelSize: 3 });
    const e = explain(spec);
    expect(e.macs.formula).toBe('126 = N 1 · Cout 3 · ΠO 7 · Cin/g 2 · ΠK 3');
    expect(e.params.formula).toBe('21 = Cout 3 · Cin/g 2 · ΠK 3 + bias Cout 3');
    for (const p of ['torchvision', 'fvcore', 'thop', 'calflops-macs']) expect([p, count(p, spec)]).toEqual([p, 126]);
    for (const p of ['ptflops', 'ptflops-aten', 'torchinfo', 'onnx-tool']) expect([p, count(p, spec)]).toEqual([p, 147]);
    expect(count('calflops', spec)).toBe(2 * 126 + 21);
  });

  it('avgPool1d k 3, padding 1 on 1×2×9: thop one add per pooled input (windows 3+3+3 per channel, padding included) + one divide per output = 24', () => {
    const spec = net([1, 2, 9], { op: 'avgPool1d', kernelSize: 3, padding: 1 });
    expect(count('thop', spec)).toBe(2 * 9 + 6);
    expect(count('ptflops', spec)).toBe(2 * 18);
    expect(explain(spec).elementwise.formula).toBe('18 = ΠK 3 · outputs 1·2·3');
  });

  it('adaptiveAvgPool3d [4, 6, 5] → [1, 4, 2]: window sums 4, 8, 6 per axis; fvcore 0 (only adaptive_avg_pool2d is in its table)', () => {
    const spec = net([1, 2, 4, 6, 5], { op: 'adaptiveAvgPool3d', outputSize: [1, 4, 2] });
    expect(explain(spec).elementwise.formula).toBe('384 = N·C 1·2 · Σ windows per axis 4·8·6');
    expect(count('thop', spec)).toBe(384 + 16);
    expect(count('fvcore', spec)).toBe(0);
  });
});

describe('transposed convolution over 1 or 3 axes', () => {
  it('convTranspose1d 4→2, k 2, stride 2 on length 3 (output 6): 48 MACs over input positions; thop 96 over output positions when asked; torchinfo (weight + bias)·N·ΠO = 18·6; onnx-tool output elements × weight[1:] + bias = 12·4 + 12', () => {
    const spec = net([1, 4, 3], { op: 'convTranspose1d', outChannels: 2, kernelSize: 2, stride: 2 });
    const e = explain(spec);
    expect(e.macs.formula).toBe('48 = N 1 · Cin 4 · ΠI 3 · Cout/g 2 · ΠK 2');
    expect(e.exactMacOps.formula).toBe('84 = 2 · MACs 48 − outputs reached N·Cout·Π covered 1·2·6');
    expect(e.agrees).toBe(true);
    for (const p of ['torchvision', 'fvcore', 'thop', 'calflops-macs']) expect([p, count(p, spec)]).toEqual([p, 48]);
    expect(countWith(PRESETS_BY_NAME.get('thop')!, analysed(spec), { convTranspose: 'output' }).total).toBe(96);
    expect(count('torchinfo', spec)).toBe(18 * 6);
    expect(count('onnx-tool', spec)).toBe(12 * 4 + 12);
    // calflops: 2·MACs + (Cout/g) per position of the forward-conv formula on the input: ⌊(3 − 2)/2⌋ + 1 = 1
    expect(count('calflops', spec)).toBe(2 * 48 + 2);
  });
});

describe('upsampling over 1 or 3 axes', () => {
  it('upsample3d trilinear ×2 on 1×2×2×2×2 (128 outputs): explained 15 per output; thop 31, ptflops 2, onnx-tool 4 per output; calflops the input elements (a scale factor); fvcore 0', () => {
    const spec = net([1, 2, 2, 2, 2], { op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 });
    expect(explain(spec).elementwise.formula).toBe('1,920 = trilinear per output 15 · outputs 1·2·4·4·4');
    expect(count('thop', spec)).toBe(31 * 128);
    expect(count('ptflops', spec)).toBe(2 * 128);
    expect(count('onnx-tool', spec)).toBe(4 * 128);
    expect(count('calflops', spec)).toBe(16);
    expect(count('fvcore', spec)).toBe(0);
  });
});

describe('localResponseNorm (size 5 on 2×8×4×4: 256 elements; the squares padded to 8 + 4 channels, 384)', () => {
  const LRN = net([2, 8, 4, 4], { op: 'localResponseNorm', size: 5 });

  it('explain: (size − 1 + 6) per element, agreeing with the report', () => {
    const e = explain(LRN);
    expect(e.elementwise.formula).toBe('2,560 = (window sum 4 + x², mean, ×α, + k, ^β, ÷ 6) · elements 2·8·4·4');
    expect(e.agrees).toBe(true);
  });

  it("calflops and ptflops count the patched calls inside F.local_response_norm (mul twice, add, avg_pool3d over the padded squares): 3·256 + 384 = 1,152, what both print for N=2, C=8, 4×4, size 5; onnx-tool's LRN node (4 + 32 + 1 + 5) per element; the others 0", () => {
    expect(count('calflops', LRN)).toBe(3 * 256 + 2 * 12 * 16);
    expect(count('ptflops', LRN)).toBe(1152);
    expect(count('onnx-tool', LRN)).toBe((4 + 32 + 1 + 5) * 256);
    for (const preset of ['calflops-macs', 'ptflops-aten', 'thop', 'torchinfo', 'fvcore', 'torchvision']) expect(count(preset, LRN), preset).toBe(0);
  });
});

describe('adaptiveMaxPool1d/2d/3d: one family under every preset', () => {
  // [1,8,7,9] → [3,4]: windows 3,3,3 (H) and 3,3,3,3 (W): Σ 9 × 12 = 108 taps per plane, 12 outputs
  const POOL = net([1, 8, 7, 9], { op: 'adaptiveMaxPool2d', outputSize: [3, 4] });
  it('explain: N·C·Π Σ windows − outputs comparisons = 8·(108 − 12) = 768, agreeing with the report', () => {
    const e = explain(POOL);
    expect(e.elementwise.value).toBe(768);
    expect(e.agrees).toBe(true);
  });

  it('ptflops 2 per input element (hook + patched F.adaptive_max_pool2d; functional 1), calflops 1, thop 0, fvcore 0', () => {
    const inputs = 8 * 7 * 9;
    expect(count('ptflops', POOL)).toBe(2 * inputs);
    expect(count('ptflops', POOL, ['l0'])).toBe(inputs);
    expect(count('calflops', POOL)).toBe(inputs);
    expect(count('thop', POOL)).toBe(0);
    expect(count('fvcore', POOL)).toBe(0);
    // the 1-D and 3-D forms are the same family
    expect(count('ptflops', net([1, 2, 3, 4, 5], { op: 'adaptiveMaxPool3d', outputSize: 2 }))).toBe(2 * 120);
    expect(count('calflops', net([2, 3, 10], { op: 'adaptiveMaxPool1d', outputSize: 4 }))).toBe(60);
  });

  it('onnx-tool: what torch.onnx exports, a MaxPool of kernel in/out: [1,3,8,8] → 2×2 is 12 outputs × 4·4 = 192, → 1×1 is 3 × 8·8 = 192 (the tool run on the exports; it counted 0)', () => {
    expect(count('onnx-tool', net([1, 3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 2 }))).toBe(192);
    expect(count('onnx-tool', net([1, 3, 8, 8], { op: 'adaptiveMaxPool2d', outputSize: 1 }))).toBe(192);
  });
});

describe("onnx-tool's pools over 3 axes: PoolBase._profile_core multiplies the output by kernel_shape[0], and by kernel_shape[1] only for a 2-axis kernel", () => {
  it('MaxPool3d(2) and AvgPool3d(2) on [1, 3, 4, 6, 6]: 54 outputs × k_d 2 = 108 (the tool run on the opset 13 and 17 exports; ΠK said 432); 1-D and 2-D keep the whole kernel', () => {
    expect(count('onnx-tool', net([1, 3, 4, 6, 6], { op: 'maxPool3d', kernelSize: 2 }))).toBe(108);
    expect(count('onnx-tool', net([1, 3, 4, 6, 6], { op: 'avgPool3d', kernelSize: 2 }))).toBe(108);
    expect(count('onnx-tool', net([1, 3, 8], { op: 'maxPool1d', kernelSize: 2 }))).toBe(12 * 2);
  });
  it('adaptive to 2 over 3 axes exports a kernel [2, 3, 3] or [2, 2, 2]: AdaptiveAvgPool3d on [1, 3, 4, 6, 6] and AdaptiveMaxPool3d on [1, 3, 4, 4, 4] both 24 outputs × 2 = 48', () => {
    expect(count('onnx-tool', net([1, 3, 4, 6, 6], { op: 'adaptiveAvgPool3d', outputSize: 2 }))).toBe(48);
    expect(count('onnx-tool', net([1, 3, 4, 4, 4], { op: 'adaptiveMaxPool3d', outputSize: 2 }))).toBe(48);
  });
});
