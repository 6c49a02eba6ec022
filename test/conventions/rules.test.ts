/**
 * Each preset's rules on single layers, worked by hand from the tools' source (the preset files
 * cite the lines), and the small networks whose per-layer figures the tools publish themselves.
 */
import { describe, expect, it } from 'vitest';
import { PRESETS_BY_NAME, countWith } from '../../src/conventions/index.js';
import type { CountOptions } from '../../src/conventions/index.js';
import { net } from '../helpers.js';
import { analysed } from './helpers.js';

const preset = (name: string) => PRESETS_BY_NAME.get(name)!;

/** The count of the one layer named `at` (default: the last) of a chain, under every preset. */
function counts(shape: number[], layers: Record<string, unknown>[], options: CountOptions = {}, at?: string): Record<string, number> {
  const input = analysed(net(shape, ...layers));
  const name = at ?? `l${layers.length - 1}`;
  const out: Record<string, number> = {};
  for (const [n, p] of PRESETS_BY_NAME) out[n] = countWith(p, input, options).layers.find((l) => l.name === name)!.count;
  return out;
}

describe('conv2d 3→8, k 3, padding 1, bias, on 1×3×8×8: MACs 1·8·8·8·3·9 = 13,824, 512 output elements', () => {
  it('MAC-only tools 13,824; + one bias add per output (ptflops, aten, torchinfo, onnx-tool) 14,336; calflops 2·13,824 + 512 = 28,160', () => {
    expect(counts([1, 3, 8, 8], [{ op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 }])).toEqual({
      torchvision: 13_824,
      fvcore: 13_824,
      thop: 13_824,
      ptflops: 14_336,
      'ptflops-aten': 14_336,
      calflops: 28_160,
      'calflops-macs': 13_824,
      // (216 weights + 8 biases)·N·H'·W' = 224·64
      torchinfo: 14_336,
      'onnx-tool': 14_336,
    });
  });

  it('calflops sizes its positions with symmetric padding ⌊d(k−1)/2⌋: k 2, padding "same" on 5×5 gives 4×4, not 5×5 (MACs 1·4·4·4 = 64, not 100)', () => {
    const c = counts([1, 1, 5, 5], [{ op: 'conv2d', outChannels: 1, kernelSize: 2, padding: 'same', bias: false }]);
    expect(c['calflops-macs']).toBe(64);
    expect(c.torchvision).toBe(100);
  });

  it('grouped: 4→4, groups 2, k 1 on 1×4×2×2: 1·4·4·(4/2)·1 = 32 MACs in every MAC convention', () => {
    const c = counts([1, 4, 2, 2], [{ op: 'conv2d', outChannels: 4, kernelSize: 1, groups: 2, bias: false }]);
    for (const n of ['torchvision', 'fvcore', 'thop', 'ptflops', 'ptflops-aten', 'calflops-macs', 'torchinfo', 'onnx-tool']) expect([n, c[n]]).toEqual([n, 32]);
  });
});

describe('batchNorm2d on 1×8×8×8 (512 elements, C 8)', () => {
  it('torchvision 0, fvcore 2/element, thop 4/element, ptflops 2, calflops 2, torchinfo (γ+β)·N = 16, onnx-tool 31/element', () => {
    expect(counts([1, 8, 8, 8], [{ op: 'batchNorm2d' }])).toEqual({
      torchvision: 0,
      fvcore: 1024,
      thop: 2048,
      ptflops: 1024,
      'ptflops-aten': 0,
      calflops: 1024,
      'calflops-macs': 0,
      torchinfo: 16,
      'onnx-tool': 15_872,
    });
  });

  it('without affine: fvcore, ptflops and calflops 1/element, thop 2, torchinfo 0 (no parameters)', () => {
    const c = counts([1, 8, 8, 8], [{ op: 'batchNorm2d', affine: false }]);
    expect([c.fvcore, c.ptflops, c.calflops, c.thop, c.torchinfo]).toEqual([512, 512, 512, 1024, 0]);
  });
});

describe('activations on 512 elements', () => {
  it('ReLU: ptflops 2/element as nn.ReLU (hook + patched F.relu), 1 as F.relu; calflops and onnx-tool 1; thop 0', () => {
    const relu = [{ op: 'relu' }];
    expect(counts([1, 8, 8, 8], relu)).toMatchObject({ ptflops: 1024, calflops: 512, 'onnx-tool': 512, thop: 0, fvcore: 0, torchinfo: 0 });
    expect(counts([1, 8, 8, 8], relu, { functional: ['l0'] })).toMatchObject({ ptflops: 512, calflops: 512, thop: 0 });
  });

  it('ReLU6: ptflops 1 (its F.hardtanh is not patched), calflops 0 as nn.ReLU6 and 1 as F.relu6, onnx-tool 2 (Clip)', () => {
    expect(counts([1, 8, 8, 8], [{ op: 'relu6' }])).toMatchObject({ ptflops: 512, calflops: 0, 'onnx-tool': 1024 });
    expect(counts([1, 8, 8, 8], [{ op: 'relu6' }], { functional: ['l0'] })).toMatchObject({ calflops: 512 });
  });

  it('SiLU: ptflops and calflops 1 (patched F.silu), onnx-tool 33 (Sigmoid 32 + Mul 1), thop 0; sigmoid: onnx-tool 32, the others 0', () => {
    expect(counts([1, 8, 8, 8], [{ op: 'swish' }])).toMatchObject({ ptflops: 512, calflops: 512, 'onnx-tool': 33 * 512, thop: 0 });
    expect(counts([1, 8, 8, 8], [{ op: 'sigmoid' }])).toMatchObject({ ptflops: 0, calflops: 0, 'onnx-tool': 32 * 512, thop: 0 });
  });

  it('hardSwish and hardSigmoid: onnx-tool 5 and 4 per element, every PyTorch-level tool 0', () => {
    expect(counts([1, 8, 8, 8], [{ op: 'hardSwish' }])).toMatchObject({ 'onnx-tool': 2560, ptflops: 0, calflops: 0, thop: 0 });
    expect(counts([1, 8, 8, 8], [{ op: 'hardSigmoid' }])).toMatchObject({ 'onnx-tool': 2048, ptflops: 0, calflops: 0, thop: 0 });
  });

  it('softmax over 10 features: thop 3·10 − 1 = 29 per row, ptflops and calflops 10, onnx-tool 36·10 = 360', () => {
    expect(counts([1, 10], [{ op: 'softmax', dim: 1 }])).toMatchObject({ thop: 29, ptflops: 10, calflops: 10, 'onnx-tool': 360, fvcore: 0 });
  });
});

describe('pooling', () => {
  it('maxPool2d k 2 on 1×8×8×8 (512 in, 128 out): ptflops 2·512 (hook + F.max_pool2d), calflops 512, onnx-tool 128·4, thop and fvcore 0', () => {
    expect(counts([1, 8, 8, 8], [{ op: 'maxPool2d', kernelSize: 2 }])).toMatchObject({ ptflops: 1024, calflops: 512, 'onnx-tool': 512, thop: 0, fvcore: 0 });
    expect(counts([1, 8, 8, 8], [{ op: 'maxPool2d', kernelSize: 2 }], { functional: ['l0'] })).toMatchObject({ ptflops: 512 });
  });

  it('avgPool2d k 3, stride 1, padding 1 on 1×1×4×4: thop sums windows clipped to the padded input, 12·12 + 16 divides = 160; 10·10 + 16 = 116 without countIncludePad', () => {
    const avg = { op: 'avgPool2d', kernelSize: 3, stride: 1, padding: 1 };
    expect(counts([1, 1, 4, 4], [avg])).toMatchObject({ thop: 160, 'onnx-tool': 16 * 9, ptflops: 32, calflops: 16, fvcore: 0 });
    expect(counts([1, 1, 4, 4], [{ ...avg, countIncludePad: false }]).thop).toBe(116);
  });

  it('adaptiveAvgPool2d 5×5 → 3×3 on 2 channels: windows 2, 3, 2 per axis: thop 2·7·7 + 18 = 116; fvcore 50 (the input)', () => {
    expect(counts([1, 2, 5, 5], [{ op: 'adaptiveAvgPool2d', outputSize: 3 }])).toMatchObject({ thop: 116, fvcore: 50, ptflops: 100, calflops: 50 });
  });

  it('global average pooling of 1×2×4×4: thop 32 + 2, fvcore 32, onnx-tool 32 + 4·2 (GlobalAveragePool), ptflops 64', () => {
    const c = counts([1, 2, 4, 4], [{ op: 'adaptiveAvgPool2d', outputSize: 1 }]);
    expect(c).toMatchObject({ thop: 34, fvcore: 32, 'onnx-tool': 40, ptflops: 64, calflops: 32 });
    expect(counts([1, 2, 4, 4], [{ op: 'globalAvgPool2d' }])).toMatchObject({ thop: 34, fvcore: 32, 'onnx-tool': 40, ptflops: 64, calflops: 32 });
  });
});

describe('convTranspose2d 4→2, k 2, stride 2 on 1×4×3×3 → 1×2×6×6', () => {
  // over input positions: N·Cin·H·W·(Cout/g)·k = 1·4·9·2·4 = 288 (each output receives exactly one tap per input channel)
  // over output positions: N·Cout·H'·W'·(Cin/g)·k = 1·2·36·4·4 = 1,152 (s² = 4 times too many)
  const layer = { op: 'convTranspose2d', outChannels: 2, kernelSize: 2, stride: 2, bias: false };

  it("as each tool counts it: input positions (torchvision, fvcore, thop, ptflops, calflops); torchinfo all weights per output position (32·36); onnx-tool output elements × (Cout/g)·k (72·8)", () => {
    expect(counts([1, 4, 3, 3], [layer])).toEqual({
      torchvision: 288,
      fvcore: 288,
      thop: 288,
      ptflops: 288,
      'ptflops-aten': 288,
      calflops: 576,
      'calflops-macs': 288,
      torchinfo: 1152,
      'onnx-tool': 576,
    });
  });

  it('the switch: output positions gives 1,152 and input positions 288 in every MAC convention, the bias terms kept', () => {
    const out = counts([1, 4, 3, 3], [layer], { convTranspose: 'output' });
    const inp = counts([1, 4, 3, 3], [layer], { convTranspose: 'input' });
    for (const n of ['torchvision', 'fvcore', 'thop', 'ptflops', 'ptflops-aten', 'calflops-macs', 'torchinfo', 'onnx-tool']) {
      expect([n, out[n], inp[n]]).toEqual([n, 1152, 288]);
    }
    expect([out.calflops, inp.calflops]).toEqual([2304, 576]);
  });

  it('with a bias: ptflops and onnx-tool add 72 (output elements); calflops adds (Cout/g)·N·1·1 = 2, sizing it with the forward-conv formula ((3 − 2)/2 + 1 = 1)', () => {
    const c = counts([1, 4, 3, 3], [{ ...layer, bias: true }]);
    expect(c).toMatchObject({ ptflops: 360, 'onnx-tool': 648, calflops: 578, torchinfo: (32 + 2) * 36 });
  });

  it('grouped 4→4, groups 2, k 1 on 1×4×1×1: calflops divides by groups twice, 4 MACs instead of 1·4·1·2·1 = 8', () => {
    const c = counts([1, 4, 1, 1], [{ op: 'convTranspose2d', outChannels: 4, kernelSize: 1, groups: 2, bias: false }]);
    expect([c['calflops-macs'], c.torchvision, c.thop]).toEqual([4, 8, 8]);
  });
});

describe('linear, matmul, resampling, deformable conv, arithmetic', () => {
  it('linear 10→5 with bias: 50 MACs; ptflops, aten, torchinfo and onnx-tool + 5 bias; calflops 2·50, never the bias', () => {
    expect(counts([1, 10], [{ op: 'linear', outFeatures: 5 }])).toEqual({
      torchvision: 50,
      fvcore: 50,
      thop: 50,
      ptflops: 55,
      'ptflops-aten': 55,
      calflops: 100,
      'calflops-macs': 50,
      torchinfo: 55,
      'onnx-tool': 55,
    });
  });

  it('matmul [2, 3, 4] × [4, 5]: 120 MACs; calflops 240; torchinfo and thop 0 (no module)', () => {
    const input = analysed({ name: 'mm', inputs: [{ name: 'a', shape: [2, 3, 4] }, { name: 'b', shape: [4, 5] }], layers: [{ name: 'mm', op: 'matmul', inputs: ['a', 'b'] }] });
    const got = Object.fromEntries([...PRESETS_BY_NAME].map(([n, p]) => [n, countWith(p, input).total]));
    expect(got).toMatchObject({ torchvision: 120, fvcore: 120, ptflops: 120, calflops: 240, 'onnx-tool': 120, thop: 0, torchinfo: 0 });
  });

  it('bilinear ×2 of 1×2×4×4 (128 outputs): fvcore 4, thop 11, onnx-tool 4 per output; ptflops 2 as nn.Upsample, 1 as F.interpolate; calflops the 32 inputs (scale) or H·W = 64 (size)', () => {
    const up = { op: 'upsample', mode: 'bilinear', scaleFactor: 2, alignCorners: false };
    expect(counts([1, 2, 4, 4], [up])).toMatchObject({ fvcore: 512, thop: 1408, 'onnx-tool': 512, ptflops: 256, calflops: 32 });
    expect(counts([1, 2, 4, 4], [up], { functional: ['l0'] })).toMatchObject({ ptflops: 128, thop: 0 });
    expect(counts([1, 2, 4, 4], [{ op: 'upsample', mode: 'bilinear', size: [8, 8], alignCorners: false }]).calflops).toBe(64);
    expect(counts([1, 2, 4, 4], [{ op: 'upsample', scaleFactor: 2 }])).toMatchObject({ fvcore: 128, thop: 0, 'onnx-tool': 0 });
  });

  it('deformConv2d 2→3, k 3, padding 1, bias on 4×4: ptflops k·(Cin·Cout + 24) per position + bias = 9·30·16 + 48; with a mask 9·31·16 + 48; torchinfo (54 + 3)·16', () => {
    const spec = (mask: boolean) => ({
      name: 'dc',
      inputs: [
        { name: 'x', shape: [1, 2, 4, 4] },
        { name: 'offset', shape: [1, 18, 4, 4] },
        ...(mask ? [{ name: 'mask', shape: [1, 9, 4, 4] }] : []),
      ],
      layers: [{ name: 'dc', op: 'deformConv2d', inputs: mask ? ['x', 'offset', 'mask'] : ['x', 'offset'], outChannels: 3, kernelSize: 3, padding: 1 }],
    });
    const total = (name: string, mask: boolean) => countWith(preset(name), analysed(spec(mask))).total;
    expect([total('ptflops', false), total('ptflops', true), total('torchinfo', false), total('torchvision', false), total('thop', false)]).toEqual([4368, 4512, 912, 864, 0]);
  });

  it('a residual add of 512 elements: 0 for the `+` operator in ptflops and calflops, 512 as torch.add; onnx-tool 512', () => {
    const spec = { name: 'res', inputs: [{ name: 'x', shape: [1, 8, 8, 8] }], layers: [{ name: 'r', op: 'relu' }, { name: 'sum', op: 'add', inputs: ['r', 'x'] }] };
    const at = (name: string, options: CountOptions = {}) => countWith(preset(name), analysed(spec), options).layers.find((l) => l.name === 'sum')!.count;
    expect([at('ptflops'), at('calflops'), at('onnx-tool'), at('thop')]).toEqual([0, 0, 512, 0]);
    expect([at('ptflops', { functional: ['sum'] }), at('calflops', { functional: ['sum'] })]).toEqual([512, 512]);
  });
});

describe("the tools' own published small networks", () => {
  it('fvcore docs/flop_count.md: the PyTorch tutorial LeNet on 1×1×32×32 is 274,656 (conv1 48,600, conv2 146,016, fc1 69,120, fc2 10,080, fc3 840)', () => {
    const lenet = net(
      [1, 1, 32, 32],
      { name: 'conv1', op: 'conv2d', outChannels: 6, kernelSize: 3 },
      { op: 'relu' },
      { op: 'maxPool2d', kernelSize: 2 },
      { name: 'conv2', op: 'conv2d', outChannels: 16, kernelSize: 3 },
      { op: 'relu' },
      { op: 'maxPool2d', kernelSize: 2 },
      { op: 'flatten' },
      { name: 'fc1', op: 'linear', outFeatures: 120 },
      { op: 'relu' },
      { name: 'fc2', op: 'linear', outFeatures: 84 },
      { op: 'relu' },
      { name: 'fc3', op: 'linear', outFeatures: 10 },
    );
    const c = countWith(preset('fvcore'), analysed(lenet));
    expect(c.total).toBe(274_656);
    const by = Object.fromEntries(c.layers.filter((l) => l.count).map((l) => [l.name, l.count]));
    expect(by).toEqual({ conv1: 48_600, conv2: 146_016, fc1: 69_120, fc2: 10_080, fc3: 840 });
  });

  it('torchinfo tests/test_output/single_input_all_cols.out: SingleInputNet at batch 7, Mult-Adds 1,048,320 / 2,248,960 / 112,350 / 3,570, total 3.41 M', () => {
    const single = net(
      [7, 1, 28, 28],
      { name: 'conv1', op: 'conv2d', outChannels: 10, kernelSize: 5 },
      { op: 'maxPool2d', kernelSize: 2 },
      { op: 'relu' },
      { name: 'conv2', op: 'conv2d', outChannels: 20, kernelSize: 5 },
      { name: 'conv2_drop', op: 'dropout', p: 0.3 },
      { op: 'maxPool2d', kernelSize: 2 },
      { op: 'relu' },
      { op: 'flatten' },
      { name: 'fc1', op: 'linear', outFeatures: 50 },
      { op: 'relu' },
      { op: 'dropout' },
      { name: 'fc2', op: 'linear', outFeatures: 10 },
    );
    const c = countWith(preset('torchinfo'), analysed(single));
    const by = Object.fromEntries(c.layers.filter((l) => l.count).map((l) => [l.name, l.count]));
    expect(by).toEqual({ conv1: 1_048_320, conv2: 2_248_960, fc1: 112_350, fc2: 3_570 });
    expect(Number((c.total / 1e6).toFixed(2))).toBe(3.41);
  });

  it('torchinfo tests/test_output/autoencoder.out: conv, max pool with indices, max unpool, conv on 1×3×64×64 is 3.62 M mult-adds', () => {
    const ae = {
      name: 'ae',
      inputs: [{ name: 'x', shape: [1, 3, 64, 64] }],
      layers: [
        { name: 'encoder.0', op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1 },
        { name: 'encoder.1', op: 'relu' },
        { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2, returnIndices: true },
        { name: 'unpool', op: 'maxUnpool2d', inputs: ['pool', 'pool:1'], kernelSize: 2, stride: 2 },
        { name: 'decode.0', op: 'conv2d', outChannels: 3, kernelSize: 3, padding: 1 },
        { name: 'decode.1', op: 'relu' },
      ],
    };
    const c = countWith(preset('torchinfo'), analysed(ae));
    // (432 + 16)·64·64 + (432 + 3)·64·64
    expect(c.total).toBe(3_616_768);
    expect(Number((c.total / 1e6).toFixed(2))).toBe(3.62);
  });
});
