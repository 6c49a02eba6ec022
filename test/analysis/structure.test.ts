import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resnet18 } from '../../src/zoo/resnet.js';
import { vgg16 } from '../../src/zoo/vgg.js';
import { analyze, DEFAULTS, layer, net } from '../helpers.js';
import { modelSpec } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { finalFeatureMap } from '../../src/runtime/erf-task.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from '../graph/onnx-builder.js';

describe('structure: depth, width, r = k·2^n', () => {
  it('ResNet-18 at 224: depth 18 (17 convs + fc on the longest path), width 512, n = 5, k = 7, 224 = 7·2^5', () => {
    const s = analyze(resnet18()).structure;
    expect(s.depth).toBe(18);
    expect(s.width).toBe(512);
    expect(s.weightedLayers).toBe(21); // + 3 downsample convs off the longest path
    expect(s.resolution).toMatchObject({
      input: [224, 224],
      finalFeatureMap: [7, 7],
      downsamplingStride: [32, 32],
      downsamplings: 5,
      border: [0, 0],
      expectedInput: [224, 224],
      consistent: true,
      fixedInputSize: false,
    });
    expect(s.resolution?.validInputSizes).toContain('multiple of 32');
  });

  it('DeepLabV3-ResNet50 at 520 lists its auxiliary head (off layer3, stride 8) after the classifier (stride 8), as torchvision does: the final feature map (and the default unit of the effective receptive field) is the deeper, classifier.4, whose 1019×1019 field is warned of (listed in order, the tie went to the later map, aux_classifier.4, and the warning went)', () => {
    const r = analyze(modelSpec('deeplabv3_resnet50'));
    const names = r.layers.map((l) => l.name);
    expect(names.indexOf('aux_classifier.4')).toBeGreaterThan(names.indexOf('classifier.4'));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMapLayer: 'classifier.4', downsamplingStride: [8, 8], finalFeatureMap: [65, 65] });
    expect(r.warnings.some((w) => w.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT' && w.layer === 'classifier.4')).toBe(true);
    // the effective receptive field's default unit is taken on the same map
    const g = parseNetworkSpec(modelSpec('deeplabv3_resnet50'));
    expect(finalFeatureMap(g, inferGraph(g))).toBe('classifier.4');
  });

  it("the effective receptive field's default unit when no map's size follows the input (one upsample to [12, 12], one adaptive pool to 3×3): that layer's map, not INVALID_OPTION; a conv before an adaptive pool stays the final map", () => {
    const final = (layers: unknown[]) => {
      const g = parseNetworkSpec({ name: 't', inputs: [{ name: 'image', shape: [1, 2, 6, 6] }], layers });
      return finalFeatureMap(g, inferGraph(g));
    };
    expect(final([{ name: 'l', op: 'upsample', mode: 'nearest', size: [12, 12] }])).toBe('l');
    expect(final([{ name: 'l', op: 'adaptiveAvgPool2d', outputSize: [3, 3] }])).toBe('l');
    expect(final([{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 }, { name: 'p', op: 'adaptiveAvgPool2d', outputSize: [2, 2] }])).toBe('c');
  });

  it('two heads of one stride, the shallower listed last: the deeper map is the final one (conv s2 → 3×3 conv → 3×3 conv, beside a 1×1 conv of the first map)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 32, 32] }],
      layers: [
        { name: 'stem', op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
        { name: 'deep1', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
        { name: 'deep2', op: 'conv2d', outChannels: 8, kernelSize: 3, padding: 1 },
        { name: 'aux', op: 'conv2d', inputs: ['stem'], outChannels: 8, kernelSize: 1 },
      ],
    });
    expect(r.structure.resolution).toMatchObject({ finalFeatureMapLayer: 'deep2', downsamplingStride: [2, 2], finalFeatureMap: [16, 16] });
  });

  it('a flatten that reads an input-sized map fixes the input size', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [16, 16], downsamplings: 1, fixedInputSize: true, fixedBy: 'l1', consistent: true });
  });

  it('a 3×3 conv without padding, flatten, linear at 32×32: the final map is 30×30, and the valid inputs are those giving it, as 32×32 does (not "e.g. 30×30": 30 gives 28)', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 3 }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    // the unpadded 3×3 loses a border of 2: 30·2^0 + 2 = 32
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [30, 30], fixedInputSize: true, border: [2, 2], expectedInput: [32, 32], consistent: true });
    expect(r.structure.resolution?.validInputSizes).toBe('only inputs that give a 30×30 final map, as 32×32 does (a flatten/linear fixes the size)');
  });

  it('width counts the output channels of 1-D and 3-D convs (dim 1), not their length: conv1d 3 → 4 k5 s2 over 100 is 4 (was 48, the length); conv3d 3 → 4 over 8×16×16 is 4 (was 16); r3d_18 is 512 (its layer4), not its fc\'s 400', () => {
    expect(analyze(net([1, 3, 100], { op: 'conv1d', outChannels: 4, kernelSize: 5, stride: 2 })).structure.width).toBe(4);
    expect(analyze(net([1, 3, 8, 16, 16], { op: 'conv3d', outChannels: 4, kernelSize: 3, padding: 1 })).structure.width).toBe(4);
    expect(analyzeGraph(parseNetworkSpec(modelSpec('r3d_18')), DEFAULTS).structure.width).toBe(512);
  });

  it("a transformer's width is its widest stage, the token width its attention works at (torchvision's classifier in_features, test/fixtures/memory/footprint.json): swin_b 1024 (was 128, its patch embedding's kernels), swin_t and swin_s 768 (were 96), vit_b_16 768; convnext_tiny 768 by its convolutions", () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/memory/footprint.json', import.meta.url), 'utf8')) as { models: Record<string, { headIn: number }> };
    for (const name of ['swin_t', 'swin_s', 'swin_b', 'vit_b_16', 'convnext_tiny']) {
      expect([name, analyzeGraph(parseNetworkSpec(modelSpec(name)), DEFAULTS).structure.width]).toEqual([name, fixture.models[name].headIn]);
    }
    expect(fixture.models.swin_b.headIn).toBe(1024);
  });

  it('attention counts its embedding width, not a wider linear after it: attention over [1, 4, 16] tokens then a 64-feature linear is 16 (was 64); linear 2 → 6, window attention, linear 6 → 24 over [1, 8, 8, ·] is 6 (was 24); attention over a conv\'s [1, 4, 6, 6] map reads its channels, 4, not the map\'s width', () => {
    const tokens = {
      inputs: [{ name: 'x', shape: [1, 4, 16] }],
      layers: [{ name: 'a', op: 'multiHeadAttention', numHeads: 2 }, { name: 'f', op: 'linear', outFeatures: 64 }],
    };
    // the linear's 64 is an MLP's hidden or a head, not the token width
    expect(analyzeGraph(parseNetworkSpec(tokens), DEFAULTS).structure.width).toBe(16);
    const map = net([1, 3, 6, 6], { op: 'conv2d', outChannels: 4, kernelSize: 1 }, { op: 'multiHeadAttention', numHeads: 2 });
    expect(analyze(map).structure.width).toBe(4);
    const swin = net([1, 8, 8, 2], { op: 'linear', outFeatures: 6 }, { op: 'shiftedWindowAttention', numHeads: 2, window: 4, shift: 2 }, { op: 'linear', outFeatures: 24 });
    expect(analyze(swin).structure.width).toBe(6);
  });

  it('a net without convolutions takes its widest linear (the last axis, channels-last): 8 → 32 → 10 is 32', () => {
    const spec = { inputs: [{ name: 'x', shape: [2, 8] }], layers: [{ name: 'a', op: 'linear', outFeatures: 32 }, { name: 'b', op: 'linear', outFeatures: 10 }] };
    expect(analyzeGraph(parseNetworkSpec(spec), DEFAULTS).structure.width).toBe(32);
  });

  it('a linear over a channels-last map\'s channels ([1, 8, 8, 4] → 16 features) fixes nothing; over an NCHW map\'s width ([1, 4, 8, 8], 8 → 16) it fixes the size', () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 };
    // ConvNeXt's and Swin's MLPs: permute to NHWC, linear over C; every position keeps its own field
    const channelsLast = analyze(net([1, 3, 16, 16], conv, { op: 'transpose', perm: [0, 2, 3, 1] }, { op: 'linear', outFeatures: 16 }, { op: 'transpose', perm: [0, 3, 1, 2] }));
    expect(channelsLast.structure.resolution).toMatchObject({ finalFeatureMap: [8, 8], fixedInputSize: false, validInputSizes: 'any multiple of 2 (fully convolutional or pooled to a fixed size before the classifier)' });
    const overWidth = analyze(net([1, 3, 16, 16], conv, { op: 'linear', outFeatures: 16 }));
    expect(overWidth.structure.resolution?.fixedInputSize).toBe(true);
  });

  it('ConvNeXt-T and Swin-T at 224 (linear MLPs over channels-last maps, then global pooling): any multiple of 32, not a fixed size', () => {
    for (const name of ['convnext_tiny', 'swin_t']) {
      expect(analyze(modelSpec(name)).structure.resolution, name).toMatchObject({ finalFeatureMap: [7, 7], downsamplings: 5, fixedInputSize: false, fixedBy: null });
    }
  });

  it('ViT-B/16 at 224: its position embedding [1, 197, 768] takes the token count, so the size is fixed (it said "any multiple of 16"; torchvision refuses other sizes)', () => {
    expect(analyze(modelSpec('vit_b_16')).structure.resolution).toMatchObject({
      finalFeatureMap: [14, 14],
      fixedInputSize: true,
      fixedBy: 'encoder.pos_embedding',
      validInputSizes: 'only inputs that give a 14×14 final map, as 224×224 does (a position embedding fixes the size)',
    });
  });

  it('resizing to a fixed size frees the classifier from the input size; resizing by a factor does not', () => {
    const head = (resize: Record<string, unknown>) =>
      net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, { op: 'upsample', ...resize }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 });
    expect(analyze(head({ size: [8, 8] })).structure.resolution?.fixedInputSize).toBe(false);
    expect(analyze(head({ scaleFactor: 2 })).structure.resolution?.fixedInputSize).toBe(true);
  });

  // LeNet-5: conv 5×5 (c = 5 − 0 − 1 = 4), pool 2/2 (c = clamp(0, 2 − 2, 2 − 1) = 0), conv 5×5 at
  // stride 2 (4·2 = 8), pool 2/2: b = 4 + 8 = 12, k = 5, 2^n = 4, and 5·4 + 12 = 32
  const lenet = (side: number) =>
    net(
      [1, 1, side, side],
      { op: 'conv2d', outChannels: 6, kernelSize: 5 },
      { op: 'maxPool2d', kernelSize: 2, stride: 2 },
      { op: 'conv2d', outChannels: 16, kernelSize: 5 },
      { op: 'maxPool2d', kernelSize: 2, stride: 2 },
      { op: 'flatten' },
      { op: 'linear', outFeatures: 120 },
    );
  it('LeNet-5 at 32: unpadded 5×5 convs lose a border of 4 + 4·2 = 12, so 32 = 5·2^2 + 12 is consistent and draws no stride warning', () => {
    const r = analyze(lenet(32));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [5, 5], downsamplings: 2, border: [12, 12], expectedInput: [32, 32], consistent: true });
    expect(r.warnings.map((w) => w.code)).not.toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
  });

  it('LeNet-5 at 33: the second pooling drops a row (29 → 14), so 33 is not 5·4 + 12 and the warning names the border', () => {
    const r = analyze(lenet(33));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [5, 5], border: [12, 12], expectedInput: [32, 32], consistent: false });
    expect(r.warnings.find((w) => w.code === 'INPUT_NOT_MULTIPLE_OF_STRIDE')?.message).toContain('the input 33×33 is not a multiple of the total stride 4×4, nor is it less the border 12×12 its windows lose');
  });

  it('two unpadded 3×3 stride-2 convs, then global pooling: b = 1 + 1·2 = 3, so 31 (→ 15 → 7) is valid and 32 is not; the valid sizes are m·4 + 3', () => {
    const valid = (side: number) =>
      net([1, 3, side, side], { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2 }, { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2 }, { op: 'globalAvgPool2d' });
    expect(analyze(valid(31)).structure.resolution).toMatchObject({ finalFeatureMap: [7, 7], border: [3, 3], expectedInput: [31, 31], consistent: true, validInputSizes: 'any multiple of 4 plus 3, the border its windows lose or add (fully convolutional or pooled to a fixed size before the classifier)' });
    expect(analyze(valid(32)).structure.resolution).toMatchObject({ finalFeatureMap: [7, 7], expectedInput: [31, 31], consistent: false });
  });

  it('3×3 stride-2 max pooling in ceil mode: the sizes whose windows all fit are 4·k + 3 (111 → 55 → 27: border 1 + 2·1 = 3), so 111 is valid and 112 (→ 56 → 28, both last windows hanging one past the edge) is not', () => {
    const ceil = (side: number) =>
      net([1, 3, side, side], { op: 'maxPool2d', kernelSize: 3, stride: 2, ceilMode: true }, { op: 'maxPool2d', kernelSize: 3, stride: 2, ceilMode: true }, { op: 'globalAvgPool2d' });
    expect(analyze(ceil(112)).structure.resolution).toMatchObject({ finalFeatureMap: [28, 28], border: [3, 3], expectedInput: [115, 115], consistent: false });
    expect(analyze(ceil(111)).structure.resolution).toMatchObject({ finalFeatureMap: [27, 27], border: [3, 3], expectedInput: [111, 111], consistent: true });
  });

  it('a 1×1 conv padded 1 adds a border (c = 1 − 2 − 1 = −2): 30 → 32 → 16 is valid as 16·2 − 2, and the sizes are m·2 minus 2', () => {
    const r = analyze(net([1, 3, 30, 30], { op: 'conv2d', outChannels: 8, kernelSize: 1, padding: 1 }, { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, { op: 'globalAvgPool2d' }));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [16, 16], border: [-2, -2], expectedInput: [30, 30], consistent: true });
    expect(r.structure.resolution?.validInputSizes).toMatch(/^any multiple of 2 minus 2,/);
  });

  it('a transposed conv 4×4/2 padded 1 after two stride-2 convs keeps a border of 0 (in = out/2 exactly): 64 is valid', () => {
    const r = analyze(
      net([1, 3, 64, 64], { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, { op: 'convTranspose2d', outChannels: 8, kernelSize: 4, stride: 2, padding: 1 }),
    );
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [16, 16], downsamplingStride: [4, 4], border: [0, 0], expectedInput: [64, 64], consistent: true });
  });

  it('a reflection pad of 3 before an unpadded 7×7 conv (CycleGAN\'s stem) adds back the border the conv loses: b = −6 + 6 = 0, so 256 (→ 256 → 128 → 64) is consistent and draws no warning', () => {
    const r = analyze(
      net(
        [1, 3, 256, 256],
        { op: 'pad', pads: [0, 0, 3, 3, 0, 0, 3, 3], mode: 'reflect' },
        { op: 'conv2d', outChannels: 8, kernelSize: 7 },
        { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
        { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
      ),
    );
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [64, 64], border: [0, 0], expectedInput: [256, 256], consistent: true });
    expect(r.warnings.map((w) => w.code)).not.toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
  });

  it('torchvision\'s AlexNet and SqueezeNet 1.1 at their published 224 (a multiple of 32 and 16; their first windows drop a pixel, so 224 is not k·2^n + b) draw no stride warning; Inception v3 at 299 (299 − 43 = 8·32) none either', () => {
    const warned = (name: string, side: number) => analyze(modelSpec(name, side)).warnings.some((w) => w.code === 'INPUT_NOT_MULTIPLE_OF_STRIDE');
    expect(analyze(modelSpec('alexnet', 224)).structure.resolution).toMatchObject({ border: [31, 31], expectedInput: [223, 223], consistent: false });
    expect([warned('alexnet', 224), warned('squeezenet1_1', 224), warned('inception_v3', 299)]).toEqual([false, false, false]);
    expect(warned('alexnet', 225)).toBe(true);
  });

  it('a channels-last conv stack\'s final map is read on the field\'s axes (H, W), not dims 2 and 3 of an N,H,W,C tensor', () => {
    const r = analyze(net([1, 3, 32, 24], { op: 'conv2d', outChannels: 8, kernelSize: 4, stride: 4 }, { op: 'transpose', perm: [0, 2, 3, 1] }));
    // [1, 8, 8, 6] → [1, 8, 6, 8]: the field's dims move to 1 and 2; the map is 8×6 (32/4 × 24/4)
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [8, 6], downsamplingStride: [4, 4], expectedInput: [32, 24], consistent: true });
  });

  it('conv s2 → groupNorm (the field turns global) → two convs s2 at 64×64: the 8×8 map that follows has no stride to judge, so resolution is null, not the 32×32 map before the norm', () => {
    const conv = { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 };
    const r = analyze(net([1, 3, 64, 64], conv, { op: 'groupNorm', numGroups: 2 }, conv, conv));
    expect(r.layers[1].receptiveField?.global).toBe(true);
    expect(r.layers[3].outputShape).toEqual([1, 8, 8, 8]);
    expect(r.structure.resolution).toBeNull();
    // without the norm the same stack is judged: 8×8 at stride 8, 64 = 8·2^3
    expect(analyze(net([1, 3, 64, 64], conv, conv, conv)).structure.resolution).toMatchObject({ finalFeatureMap: [8, 8], downsamplingStride: [8, 8], consistent: true });
  });

  it('a squeeze-excitation gate from a spatial mean (reduceMean over H, W: a 1×1 global summary, as timm exports) between two stride-2 convs at 224: judged as before, 56×56 at stride 4 (the 1×1 map is not a further-downsampled one)', () => {
    const conv = { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 };
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 224, 224] }],
      layers: [
        { name: 'c1', inputs: 'x', ...conv },
        { name: 'gap', op: 'reduceMean', axes: [2, 3], keepDims: true },
        { name: 'fc', op: 'conv2d', outChannels: 8, kernelSize: 1 },
        { name: 'sig', op: 'sigmoid' },
        { name: 'gate', op: 'mul', inputs: ['c1', 'sig'] },
        { name: 'c2', ...conv },
      ],
    });
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [56, 56], downsamplingStride: [4, 4], consistent: true });
  });

  it('VGG-16 pools to 7×7 adaptively, so any multiple of 32 works despite its flatten', () => {
    expect(analyze(vgg16()).structure.resolution).toMatchObject({ fixedInputSize: false, downsamplings: 5, finalFeatureMap: [7, 7] });
  });
});

describe('warnings', () => {
  const codes = (spec: unknown) => analyze(spec).warnings.map((w) => w.code);

  it('channels that are not multiples of 8', () => {
    const r = analyze(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 12, kernelSize: 3, padding: 1 }, { op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1 }));
    const w = r.warnings.find((x) => x.code === 'CHANNELS_NOT_MULTIPLE_OF_8');
    expect(w?.layers).toEqual([{ name: 'l0', channels: 12 }]);
  });

  // found by a hunt: Swin's MLP on [1, 56, 56, 384] was reported as 56 channels; convnext_tiny at 250 as 62
  it('a linear over a channels-last map [1, 7, 7, 96] counts its last axis: 100 features warn (100), 384 do not (7 is not read as channels)', () => {
    const warned = analyze(net([1, 7, 7, 96], { op: 'linear', outFeatures: 100 }));
    expect(warned.warnings.find((x) => x.code === 'CHANNELS_NOT_MULTIPLE_OF_8')?.layers).toEqual([{ name: 'l0', channels: 100 }]);
    expect(codes(net([1, 7, 7, 96], { op: 'linear', outFeatures: 384 }))).not.toContain('CHANNELS_NOT_MULTIPLE_OF_8');
  });

  it('a final feature map below 3×3: ResNet-18 at 64 ends at 2×2', () => {
    expect(codes(resnet18(64))).toContain('FINAL_FEATURE_MAP_TOO_SMALL');
    expect(codes(resnet18(224))).not.toContain('FINAL_FEATURE_MAP_TOO_SMALL');
  });

  it('an input that is not a multiple of the total stride: ResNet-18 at 200', () => {
    expect(codes(resnet18(200))).toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
  });

  it('a receptive field wider than the input: ResNet-18\'s final feature map sees 435 pixels of 224', () => {
    const w = analyze(resnet18()).warnings.find((x) => x.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(w).toMatchObject({ layer: 'layer4.1.relu', severity: 'info' });
    expect(w?.message).toContain('435×435');
  });

  it("an ONNX graph whose output '6' is the final map '/1/Conv' writes: one RECEPTIVE_FIELD_EXCEEDS_INPUT (two 7×7 convs on 8×8: 13×13), not one for the output and one for the final map", () => {
    const w = (shape: number[]) => ({ dims: shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      outputs: ['6'],
      nodes: [
        { op: 'Conv', name: '/0/Conv', inputs: ['x', 'w0'], outputs: ['h'], attrs: { kernel_shape: { ints: [7, 7] }, pads: { ints: [3, 3, 3, 3] } } },
        { op: 'Conv', name: '/1/Conv', inputs: ['h', 'w1'], outputs: ['6'], attrs: { kernel_shape: { ints: [7, 7] }, pads: { ints: [3, 3, 3, 3] } } },
      ],
      initializers: [{ name: 'w0', ...w([1, 1, 7, 7]) }, { name: 'w1', ...w([1, 1, 7, 7]) }],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    const over = r.warnings.filter((x) => x.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(over.map((x) => x.message.slice(0, 40))).toEqual(["output '6' has a receptive field of 13×1"]);
  });

  it('a receptive field wider than the input', () => {
    const conv = { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 };
    expect(codes(net([1, 1, 4, 4], conv, conv))).toContain('RECEPTIVE_FIELD_EXCEEDS_INPUT'); // 5 > 4
    expect(codes(net([1, 1, 8, 8], conv, conv))).not.toContain('RECEPTIVE_FIELD_EXCEEDS_INPUT');
  });

  it('an FC layer dominating: VGG-16 classifier.0 holds 74% of the parameters', () => {
    const w = analyze(vgg16()).warnings.find((x) => x.code === 'FC_DOMINATES' && x.layer === 'classifier.0');
    expect(w?.paramShare).toBeCloseTo((25088 * 4096 + 4096) / 138_357_544, 10);
    expect(w?.flattenedFrom).toEqual([1, 512, 7, 7]);
    expect(w?.message).toMatch(/it reads the 512×7×7 map flattened \(C×H×W\): global average pooling before it cuts its cost by 49 \(H·W\)$/);
    expect(codes(resnet18())).not.toContain('FC_DOMINATES');
  });

  it('an FC layer dominating a tiny network that already pools (ShuffleNet-like): no pooling advice, it reads 64 pooled features', () => {
    // 3·8·9 + 8 = 224 conv params against 64·1000 + 1000 = 65,000: the classifier holds 99.7%
    const pooled = net([1, 3, 16, 16], { op: 'conv2d', outChannels: 64, kernelSize: 1 }, { op: 'reduceMean', axes: [2, 3], keepDims: false }, { op: 'linear', outFeatures: 1000 });
    const w = analyze(pooled).warnings.find((x) => x.code === 'FC_DOMINATES');
    expect(w?.flattenedFrom).toBeNull();
    expect(w?.message).toMatch(/; it reads 64 features already pooled to one position, so its cost is the classifier's own \(in × out\): a narrower last stage or fewer classes shrinks it$/);
    // flattened straight from the input map: 3×4×4, H·W 16
    const flat = analyze(net([1, 3, 4, 4], { op: 'flatten' }, { op: 'relu' }, { op: 'linear', outFeatures: 10 })).warnings.find((x) => x.code === 'FC_DOMINATES');
    expect(flat?.flattenedFrom).toEqual([1, 3, 4, 4]);
    // the walk stops at a layer that computes features: l3 reads l1's 4096 hidden units, not the 64×8×8 map (review)
    const hidden = analyze(net([1, 64, 8, 8], { op: 'flatten' }, { op: 'linear', outFeatures: 4096 }, { op: 'relu' }, { op: 'linear', outFeatures: 10000 }));
    const l3 = hidden.warnings.find((x) => x.code === 'FC_DOMINATES' && x.layer === 'l3');
    expect([l3?.flattenedFrom, l3?.message]).toEqual([null, expect.stringMatching(/it reads 4,096 features already pooled to one position/)]);
  });

  it('a layer that is neither read nor a declared output', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      layers: [
        { name: 'a', op: 'relu', inputs: 'x' },
        { name: 'b', op: 'sigmoid', inputs: 'x' },
      ],
      outputs: ['a'],
    };
    expect(analyze(spec).warnings.find((w) => w.code === 'UNUSED_LAYER')?.layer).toBe('b');
  });

  it('graph outputs default to the layers nobody reads, with shapes and fields', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv2d', inputs: 'x', outChannels: 2, kernelSize: 3 },
        { name: 'b', op: 'maxPool2d', inputs: 'x', kernelSize: 2 },
      ],
    });
    expect(r.outputs.map((o) => [o.name, o.shape, o.receptiveField?.size])).toEqual([
      ['a', [1, 2, 6, 6], [3, 3]],
      ['b', [1, 1, 4, 4], [2, 2]],
    ]);
  });
});

// a squeeze-excitation gate (global, broadcast over H and W) leaves the field local; on a 1×1 map
// no path is spatial, and the gate made every later field global, so an earlier map was taken for
// the final one (efficientnet_b0 at 8 px: stride 8, "valid"; found by sweeping the zoo against PyTorch)
describe('squeeze-excitation on a 1×1 map', () => {
  it.each([224, 16, 8])('efficientnet_b0 at %i: the final map is features.8.2 at stride 32, as at 224', (side) => {
    const s = analyze(modelSpec('efficientnet_b0', side)).structure.resolution!;
    expect([s.finalFeatureMapLayer, s.downsamplingStride]).toEqual(['features.8.2', [32, 32]]);
  });

  it('x [1,4,1,1] (a local field) times a gate from global pooling: the product keeps x\'s field, not global', () => {
    const spec = {
      name: 'se',
      inputs: [{ name: 'x', shape: [1, 4, 1, 1] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: ['x'], outChannels: 4, kernelSize: 3, padding: 1 },
        { name: 'pool', op: 'adaptiveAvgPool2d', inputs: ['c'], outputSize: 1 },
        { name: 'gate', op: 'sigmoid', inputs: ['pool'] },
        { name: 'scaled', op: 'mul', inputs: ['c', 'gate'] },
      ],
    };
    const rf = analyze(spec).layers.find((l) => l.name === 'scaled')!.receptiveField!;
    expect(rf).toMatchObject({ global: false, size: [3, 3], stride: [1, 1] });
  });
});

describe('a pool whose one window covers the whole map is global pooling', () => {
  const stem = { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 };
  it('avgPool2d 7 over the 7×7 map of a stride-2 conv at 14: global (as globalAvgPool2d), and the 7×7 map stays the final feature map', () => {
    const r = analyze(net([1, 3, 14, 14], stem, { op: 'avgPool2d', kernelSize: 7 }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    expect(layer(r, 'l1').receptiveField).toMatchObject({ global: true, size: [14, 14] });
    expect(r.structure.resolution).toMatchObject({ finalFeatureMapLayer: 'l0', finalFeatureMap: [7, 7], downsamplings: 1 });
  });

  it('maxPool2d 7 stride 7 (a fixed-size AdaptiveMaxPool2d(1)) are global; a 4×4 pool padded 1 over a 5×5 map, one window over −1…2, is not', () => {
    expect(layer(analyze(net([1, 3, 14, 14], stem, { op: 'maxPool2d', kernelSize: 7, stride: 7 })), 'l1').receptiveField?.global).toBe(true);
    // 5×5 map, kernel 4 padding 1: out = (5 + 2 − 4)/4 + 1 = 1, but the window covers −1…2, not 3 and 4
    const partial = layer(analyze(net([1, 3, 5, 5], { op: 'maxPool2d', kernelSize: 4, stride: 4, padding: 1 })), 'l0').receptiveField;
    expect(partial).toMatchObject({ global: false, size: [4, 4] });
    // dilated: k 2 dilation 3 padding 1 over a 3×3 map spans −1…2 but reads units −1 and 2 only (autograd: one unit): a window, not global (review)
    const dilated = analyze(net([1, 3, 6, 6], { op: 'conv2d', outChannels: 4, kernelSize: 2, stride: 2 }, { op: 'maxPool2d', kernelSize: 2, stride: 2, dilation: 3, padding: 1 }));
    expect(layer(dilated, 'l1').outputShape).toEqual([1, 4, 1, 1]);
    expect(layer(dilated, 'l1').receptiveField?.global).toBe(false);
  });

  it('a 3×3 pool padded 1 over a 1×1 map stays a window (nothing more to cover), and so does a conv whose window covers its map', () => {
    const onOne = analyze(net([1, 3, 2, 2], stem, { op: 'maxPool2d', kernelSize: 3, stride: 1, padding: 1 }));
    expect(layer(onOne, 'l0').outputShape).toEqual([1, 4, 1, 1]);
    expect(layer(onOne, 'l1').receptiveField?.global).toBe(false);
    expect(layer(analyze(net([1, 3, 7, 7], { op: 'conv2d', outChannels: 4, kernelSize: 7 })), 'l0').receptiveField).toMatchObject({ global: false, size: [7, 7] });
  });
});

describe('an upsampling network (total stride below one, not whole)', () => {
  // ×1.5 bilinear then two 11×11 convs on 8×8: the final map's stride is 2/3 (8 → 12 pixels), which
  // divides no size evenly or unevenly: every input size gives whole output pixels. It warned
  // "the input 8×8 is not a multiple of the total stride 0.6666666666666666×0.6666666666666666"
  const spec = {
    name: 'frac',
    inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
    layers: [
      { name: 'up', op: 'upsample', mode: 'bilinear', scaleFactor: 1.5 },
      { name: 'c1', op: 'conv2d', outChannels: 1, kernelSize: 11, padding: 5 },
      { name: 'c2', op: 'conv2d', outChannels: 1, kernelSize: 11, padding: 5 },
    ],
  };

  it('draws no INPUT_NOT_MULTIPLE_OF_STRIDE, and still says its 16×16 field passes the input', () => {
    const r = analyze(spec);
    expect(r.layers.at(-1)!.outputShape).toEqual([1, 1, 12, 12]);
    expect(r.warnings.map((w) => w.code)).not.toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
    expect(r.warnings.find((w) => w.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT')?.message).toMatch(/receptive field of 16×16, wider than the 8×8 input/);
  });

  it('a whole stride on one axis is still checked: ×[1, 1.5] then a conv of stride [2, 1] (total 2×⅔) on 9×12 drops a row (9 is no multiple of 2); on 8×12 none', () => {
    const mixed = (h: number) => ({
      inputs: [{ name: 'x', shape: [1, 1, h, 12] }],
      layers: [
        { name: 'up', op: 'upsample', scaleFactor: [1, 1.5] },
        { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, stride: [2, 1], padding: 1 },
      ],
    });
    const odd = analyze(mixed(9));
    expect(odd.structure.resolution?.downsamplingStride[0]).toBe(2);
    expect(odd.structure.resolution?.downsamplingStride[1]).toBeCloseTo(2 / 3, 12);
    expect(odd.warnings.find((w) => w.code === 'INPUT_NOT_MULTIPLE_OF_STRIDE')?.message).toContain('the input 9×12 is not a multiple of the total stride 2×0.67');
    expect(analyze(mixed(8)).warnings.map((w) => w.code)).not.toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
  });
});
