import { describe, expect, it } from 'vitest';
import { resnet18 } from '../../src/zoo/resnet.js';
import { vgg16 } from '../../src/zoo/vgg.js';
import { analyze, net } from '../helpers.js';

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
      expectedInput: [224, 224],
      consistent: true,
      fixedInputSize: false,
    });
    expect(s.resolution?.validInputSizes).toContain('multiple of 32');
  });

  it('a flatten that reads an input-sized map fixes the input size', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 8, kernelSize: 3, stride: 2, padding: 1 }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [16, 16], downsamplings: 1, fixedInputSize: true, consistent: true });
  });

  it('a 3×3 conv without padding, flatten, linear at 32×32: the final map is 30×30, and the valid inputs are those giving it, as 32×32 does (not "e.g. 30×30": 30 gives 28)', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 3 }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 }));
    expect(r.structure.resolution).toMatchObject({ finalFeatureMap: [30, 30], fixedInputSize: true });
    expect(r.structure.resolution?.validInputSizes).toBe('only inputs that give a 30×30 final map, as 32×32 does (a flatten/linear fixes the size)');
  });

  it('resizing to a fixed size frees the classifier from the input size; resizing by a factor does not', () => {
    const head = (resize: Record<string, unknown>) =>
      net([1, 3, 32, 32], { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 }, { op: 'upsample', ...resize }, { op: 'flatten' }, { op: 'linear', outFeatures: 10 });
    expect(analyze(head({ size: [8, 8] })).structure.resolution?.fixedInputSize).toBe(false);
    expect(analyze(head({ scaleFactor: 2 })).structure.resolution?.fixedInputSize).toBe(true);
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

  it('a receptive field wider than the input', () => {
    const conv = { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 };
    expect(codes(net([1, 1, 4, 4], conv, conv))).toContain('RECEPTIVE_FIELD_EXCEEDS_INPUT'); // 5 > 4
    expect(codes(net([1, 1, 8, 8], conv, conv))).not.toContain('RECEPTIVE_FIELD_EXCEEDS_INPUT');
  });

  it('an FC layer dominating: VGG-16 classifier.0 holds 74% of the parameters', () => {
    const w = analyze(vgg16()).warnings.find((x) => x.code === 'FC_DOMINATES' && x.layer === 'classifier.0');
    expect(w?.paramShare).toBeCloseTo((25088 * 4096 + 4096) / 138_357_544, 10);
    expect(codes(resnet18())).not.toContain('FC_DOMINATES');
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
