import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alexnet, vgg16 } from '../../src/zoo/vgg.js';
import { resnet18, resnet50 } from '../../src/zoo/resnet.js';
import { mobilenet_v2 } from '../../src/zoo/mobilenet.js';
import { analyze, layer, net } from '../helpers.js';

describe('receptive fields from the notes (domain.md)', () => {
  it('example 5: 3×3 stride-2 conv then 2×2 stride-2 pool → one output unit sees 5 pixels', () => {
    const r = analyze(net([1, 1, 32, 32], { op: 'conv2d', outChannels: 1, kernelSize: 3, stride: 2 }, { op: 'maxPool2d', kernelSize: 2, stride: 2 }));
    expect(layer(r, 'l0').receptiveField?.size).toEqual([3, 3]);
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [5, 5], stride: [4, 4], padding: [0, 0] });
  });

  it('example 7: three stacked 3×3 stride-1 convs → 3, 5, 7', () => {
    const conv = { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 };
    const r = analyze(net([1, 1, 16, 16], conv, conv, conv));
    expect(r.layers.map((l) => l.receptiveField?.size?.[0])).toEqual([3, 5, 7]);
    expect(layer(r, 'l2').receptiveField).toMatchObject({ stride: [1, 1], padding: [3, 3], centre: [0, 0] });
  });
});

describe('VGG-16 (TF-Slim reference numbers, google-research receptive_field)', () => {
  it('pool5 at 224: r = 212, S = 32, P = 90', () => {
    const r = analyze(vgg16());
    expect(layer(r, 'features.30').receptiveField).toMatchObject({ size: [212, 212], stride: [32, 32], padding: [90, 90] });
  });
});

describe('multi-path graphs', () => {
  it('residual: conv branch (3×3 p1) + identity are aligned; the field is the larger one', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
      layers: [
        { name: 'c1', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'c2', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'sum', op: 'add', inputs: ['c2', 'x'] },
      ],
    });
    expect(layer(r, 'sum').receptiveField).toMatchObject({ size: [5, 5], stride: [1, 1], padding: [2, 2], centre: [0, 0] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('ResNet downsampling block: 3×3 s2 p1 path and 1×1 s2 shortcut share stride and centre', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
      layers: [
        { name: 'c1', op: 'conv2d', inputs: 'x', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
        { name: 'c2', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
        { name: 'down', op: 'conv2d', inputs: 'x', outChannels: 8, kernelSize: 1, stride: 2 },
        { name: 'sum', op: 'add', inputs: ['c2', 'down'] },
      ],
    });
    // c1: r 3, S 2, P 1; c2: r 3 + 2·2 = 7, P 1 + 1·2 = 3; down: r 1, S 2, P 0 — centres 0 and 0
    expect(layer(r, 'sum').receptiveField).toMatchObject({ size: [7, 7], stride: [2, 2], padding: [3, 3] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('Inception-style concat of 1×1, 3×3 and 5×5 branches keeps the 5×5 field', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 8, 16, 16] }],
      layers: [
        { name: 'b1', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 1 },
        { name: 'b3', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'b5', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 5, padding: 2 },
        { name: 'cat', op: 'concat', inputs: ['b1', 'b3', 'b5'] },
      ],
    });
    expect(layer(r, 'cat').receptiveField?.size).toEqual([5, 5]);
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('a path shifted by asymmetric padding is misaligned: a warning, and the union of the two boxes ([−1, 1] and [−2, 0] for unit 0: size 4, padding 2)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: 3, padding: [2, 2, 0, 0] },
        { name: 'sum', op: 'add', inputs: ['a', 'b'] },
      ],
    });
    const w = r.warnings.find((x) => x.code === 'MISALIGNED_PATHS');
    expect(w).toMatchObject({ layer: 'sum', severity: 'warning' });
    expect(w!.message).toContain('the union of their fields is kept');
    expect(layer(r, 'sum').receptiveField).toMatchObject({ size: [4, 4], stride: [1, 1], padding: [2, 2] });
  });
});

describe('fractional strides: transposed convolution and upsampling', () => {
  it('convTranspose k=2 s=2 after a 2×2 s2 pool: stride back to 1, field 1 + 1·1 + 1·0.5 = 2.5', () => {
    const r = analyze(net([1, 1, 8, 8], { op: 'maxPool2d', kernelSize: 2 }, { op: 'convTranspose2d', outChannels: 1, kernelSize: 2, stride: 2 }));
    // pool: r 2, S 2, P 0 (centre 0.5); transposed: S 2/2 = 1, r = 2 + (2 − 1)·2/2 = 3, centre 0.5 + (0 − 0.5)/2·2 = 0
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [3, 3], stride: [1, 1], centre: [0, 0] });
  });

  it('bilinear ×2 (alignCorners false) after a 2×2/2 conv: units read conv units [0,0] [0,1] [0,1] [1,2] [1,2] …, an envelope of 2.5 at step ½: size 5, stride 1, padding 2', () => {
    const r = analyze(net([1, 1, 8, 8], { op: 'conv2d', outChannels: 1, kernelSize: 2, stride: 2 }, { op: 'upsample', mode: 'bilinear', scaleFactor: 2 }));
    // source o/2 − ¼ clamped at 0, reads floor and floor + 1: start − o/2 down to −1 (p = 1), end − o/2 up to ½ (k − 1 = 1.5);
    // conv: r 2, S 2, centre 0.5: r 2 + 1.5·2 = 5, S 1, centre 0.5 + ((1.5)/2 − 1)·2 = 0. Unit 2 reads pixels 0 … 3, unit 3 pixels 2 … 5: [u − 2, u + 2]
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [5, 5], stride: [1, 1], padding: [2, 2], centre: [0, 0] });
  });

  it('nearest ×2 after a 2×2/2 conv: units 2k and 2k + 1 both read conv unit k (rows 2k, 2k + 1), so unit u needs rows u − 1 … u + 1: size 3, stride 1, padding 1', () => {
    const r = analyze(net([1, 1, 8, 8], { op: 'conv2d', outChannels: 1, kernelSize: 2, stride: 2 }, { op: 'upsample', scaleFactor: 2 }));
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [3, 3], stride: [1, 1], padding: [1, 1] });
  });
});

interface Truth {
  receptiveFields: Record<string, { layer: string; inputSize: number; size: number[]; stride: number[]; padding: number[] }>;
}

describe('against autograd (scripts/torchvision_truth.py)', () => {
  const truth = JSON.parse(readFileSync(new URL('../fixtures/torchvision/truth.json', import.meta.url), 'utf8')) as Truth;
  const cases: [string, () => unknown, string][] = [
    ['vgg16', () => vgg16(600), 'features.30'],
    ['alexnet', () => alexnet(600), 'features.12'],
    ['resnet18', () => resnet18(600), 'layer4.1.relu'],
    ['resnet50', () => resnet50(600), 'layer4.2.relu'],
    ['mobilenet_v2', () => mobilenet_v2(600), 'features.18.2'],
  ];
  it.each(cases)('%s: size, stride and padding of the last feature map equal the measured gradient footprint', (name, build, at) => {
    const t = truth.receptiveFields[name];
    expect(t.layer).toBe(at);
    const rf = layer(analyze(build()), at).receptiveField!;
    expect(rf.size).toEqual(t.size);
    expect(rf.stride).toEqual(t.stride);
    expect(rf.padding).toEqual(t.padding);
  });
});

describe('squeeze-excitation: a gate broadcast over the spatial axes is global context, not a path', () => {
  const block = (withGate: boolean) => ({
    inputs: [{ name: 'x', shape: [1, 8, 16, 16] }],
    layers: [
      { name: 'c1', op: 'conv2d', inputs: 'x', outChannels: 8, kernelSize: 3, padding: 1 },
      ...(withGate
        ? [
            { name: 'pool', op: 'adaptiveAvgPool2d', inputs: 'c1', outputSize: 1 },
            { name: 'fc1', op: 'conv2d', inputs: 'pool', outChannels: 2, kernelSize: 1 },
            { name: 'fc2', op: 'conv2d', inputs: 'fc1', outChannels: 8, kernelSize: 1 },
            { name: 'gate', op: 'hardSigmoid', inputs: 'fc2' },
            { name: 'scaled', op: 'mul', inputs: ['c1', 'gate'] },
          ]
        : [{ name: 'scaled', op: 'identity', inputs: 'c1' }]),
      { name: 'c2', op: 'conv2d', inputs: 'scaled', outChannels: 8, kernelSize: 3, padding: 1 },
    ],
  });

  it('the field after the gate is the spatial path\'s (5×5 after two 3×3 convs), with no misalignment warning', () => {
    const gated = analyze(block(true));
    expect(layer(gated, 'c2').receptiveField).toEqual(layer(analyze(block(false)), 'c2').receptiveField);
    expect(layer(gated, 'c2').receptiveField?.size).toEqual([5, 5]);
    expect(gated.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
    expect(layer(gated, 'pool').receptiveField?.global).toBe(true);
  });

  it('the zoo\'s squeeze-excitation nets (MobileNetV3, EfficientNet-B0) raise no misalignment warning', async () => {
    const { ZOO_BY_NAME } = await import('../../src/zoo/index.js');
    for (const name of ['mobilenet_v3_large', 'mobilenet_v3_small', 'efficientnet_b0']) {
      const r = analyze(ZOO_BY_NAME.get(name)!.build());
      expect([name, r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').length]).toEqual([name, 0]);
    }
  });
});

describe('a global path of full spatial size is a path, not a gate: x + attention(x) sees the whole input', () => {
  // a non-local block on a 1×4×6×5 input: conv 3×3 p1, then self-attention over its 30 positions
  // (q·kᵀ over H·W, softmax, ·v), reshaped back to 1×4×6×5 and added to the conv's map. Every output
  // unit reads every position through the attention (autograd: scripts/export_modern_rf.py).
  const nonLocal = (attend: boolean) => ({
    inputs: [{ name: 'x', shape: [1, 3, 6, 5] }],
    layers: [
      { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'flat', op: 'flatten', inputs: 'c', startDim: 2 },
      { name: 'q', op: 'transpose', inputs: 'flat', perm: [0, 2, 1] },
      { name: 'a', op: 'matmul', inputs: ['q', 'flat'] },
      { name: 'p', op: 'softmax', inputs: 'a', dim: -1 },
      { name: 'o', op: 'matmul', inputs: ['flat', 'p'] },
      { name: 'back', op: 'reshape', inputs: 'o', shape: [1, 4, 6, 5] },
      { name: 'sum', op: 'add', inputs: attend ? ['c', 'back'] : ['c', 'c'] },
    ],
  });

  it('conv 3×3 + non-local over 6×5: the sum is global (the whole 6×5 input), not the conv\'s 3×3', () => {
    const r = analyze(nonLocal(true));
    expect(layer(r, 'back').receptiveField?.global).toBe(true);
    expect(layer(r, 'sum').receptiveField).toEqual({ global: true, axes: ['h', 'w'], size: [6, 5], stride: null, padding: null, centre: null });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('concat of the conv and the attention output (channels): global too', () => {
    const spec = nonLocal(true);
    spec.layers[spec.layers.length - 1] = { name: 'sum', op: 'concat', inputs: ['c', 'back'] };
    expect(layer(analyze(spec), 'sum').receptiveField?.global).toBe(true);
  });

  it('DeepLabV3\'s image pooling (a 1×1 summary upsampled back to 6×5) concatenated with the conv: a gate, the field stays the conv\'s 3×3, as a squeeze-excitation gate does', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 6, 5] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'pool', op: 'adaptiveAvgPool2d', inputs: 'c', outputSize: 1 },
        { name: 'p1', op: 'conv2d', outChannels: 4, kernelSize: 1 },
        { name: 'up', op: 'upsample', size: [6, 5], mode: 'bilinear', alignCorners: false },
        { name: 'cat', op: 'concat', inputs: ['c', 'up'] },
        { name: 'sum', op: 'add', inputs: ['c', 'up'] },
      ],
    });
    expect(layer(r, 'up').receptiveField?.global).toBe(true);
    expect(layer(r, 'cat').receptiveField).toMatchObject({ global: false, size: [3, 3] });
    expect(layer(r, 'sum').receptiveField).toMatchObject({ global: false, size: [3, 3] });
  });

  it('gates spread by tile, or two spread summaries merged (expand(mean) + expand(max), CBAM\'s channel gate), stay gates: the gated map keeps the conv\'s 3×3', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 6, 5] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'avg', op: 'adaptiveAvgPool2d', inputs: 'c', outputSize: 1 },
        { name: 'max', op: 'reduceMax', inputs: 'c', axes: [2, 3], keepDims: true },
        { name: 'shp', op: 'shape', inputs: 'c' },
        { name: 'e1', op: 'expand', inputs: ['avg', 'shp'] },
        { name: 'e2', op: 'expand', inputs: ['max', 'shp'] },
        { name: 'g', op: 'add', inputs: ['e1', 'e2'] },
        { name: 'gated', op: 'mul', inputs: ['c', 'g'] },
        { name: 'tiled', op: 'tile', inputs: 'avg', repeats: [1, 1, 6, 5] },
        { name: 'gatedTile', op: 'mul', inputs: ['c', 'tiled'] },
      ],
    });
    expect(layer(r, 'g').receptiveField?.global).toBe(true);
    expect(layer(r, 'gated').receptiveField).toMatchObject({ global: false, size: [3, 3] });
    expect(layer(r, 'gatedTile').receptiveField).toMatchObject({ global: false, size: [3, 3] });
  });

  it('the same block without the attention path keeps the conv\'s 3×3 (the rule turns on the global path alone)', () => {
    expect(layer(analyze(nonLocal(false)), 'sum').receptiveField).toMatchObject({ global: false, size: [3, 3] });
  });
});

describe('reshape splitting a spatial axis: pixel_unshuffle as torch.onnx.export writes it (view, permute, view)', () => {
  // [1, 2, 8, 6] → [1, 2, 4, 2, 3, 2] → permute(0, 1, 3, 5, 2, 4) → [1, 8, 4, 3], then a 3×3 conv p1
  const viaReshape = {
    inputs: [{ name: 'x', shape: [1, 2, 8, 6] }],
    layers: [
      { name: 'split', op: 'reshape', inputs: 'x', shape: [1, 2, 4, 2, 3, 2] },
      { name: 'perm', op: 'transpose', perm: [0, 1, 3, 5, 2, 4] },
      { name: 'merge', op: 'reshape', shape: [1, 8, 4, 3] },
      { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 },
    ],
  };
  const native = net([1, 2, 8, 6], { op: 'pixelUnshuffle', downscaleFactor: 2 }, { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 });

  it('the split makes a window of 2 at stride 2 (unit o reads rows 2o, 2o + 1); the conv then sees 6×6 at stride 2, padding 2 (autograd: unit (1, 1) reads rows and cols 0…5)', () => {
    const r = analyze(viaReshape);
    expect(layer(r, 'merge').receptiveField).toMatchObject({ global: false, size: [2, 2], stride: [2, 2], padding: [0, 0] });
    expect(layer(r, 'conv').receptiveField).toEqual({ global: false, axes: ['h', 'w'], size: [6, 6], stride: [2, 2], padding: [2, 2], centre: [0.5, 0.5] });
  });

  it('equals the field of the pixelUnshuffle operator', () => {
    expect(layer(analyze(viaReshape), 'conv').receptiveField).toEqual(layer(analyze(native), 'l1').receptiveField);
  });

  it('merging H and W (a flatten by reshape) still makes the field global', () => {
    const r = analyze({ inputs: [{ name: 'x', shape: [1, 2, 8, 6] }], layers: [{ name: 'flat', op: 'reshape', inputs: 'x', shape: [1, 2, 48] }] });
    expect(layer(r, 'flat').receptiveField?.global).toBe(true);
  });
});

describe('a global field is unmistakable: the whole input, and no stride, padding or centre', () => {
  it('conv 3×3 → globalAvgPool → flatten → linear on a 1×3×32×32 input: conv local, the rest { global, size [32, 32], stride null }', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 }, { op: 'globalAvgPool2d' }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    expect(layer(r, 'l0').receptiveField).toEqual({ global: false, axes: ['h', 'w'], size: [3, 3], stride: [1, 1], padding: [1, 1], centre: [0, 0] });
    for (const name of ['l1', 'l2', 'l3']) {
      expect(layer(r, name).receptiveField).toEqual({ global: true, axes: ['h', 'w'], size: [32, 32], stride: null, padding: null, centre: null });
    }
    expect(r.outputs[0].receptiveField).toEqual({ global: true, axes: ['h', 'w'], size: [32, 32], stride: null, padding: null, centre: null });
  });
});
