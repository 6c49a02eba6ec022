import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('batchNorm2d', () => {
  it('batchNorm2d C=64: 2·C trainable params, 2·C buffers, 2 FLOPs per element', () => {
    const l = layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d' })), 'l0');
    expect(l.params).toBe(128);
    expect(l.buffers).toBe(128);
    expect(l.flops).toBe(2 * 64 * 16);
    expect(layer(analyze(net([1, 64, 4, 4], { op: 'batchNorm2d', affine: false })), 'l0').params).toBe(0);
  });
});

describe('batchNorm2d receptive field', () => {
  it('on running statistics it passes the conv field through; without them (batch statistics over N, H, W) it is global, with the local 3×3 in a warning', () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 };
    const kept = analyze(net([1, 3, 6, 6], conv, { op: 'batchNorm2d' }));
    expect(layer(kept, 'l1').receptiveField).toEqual(layer(kept, 'l0').receptiveField);
    const batch = analyze(net([1, 3, 6, 6], conv, { op: 'batchNorm2d', trackRunningStats: false }));
    expect(layer(batch, 'l1').receptiveField?.global).toBe(true);
    expect(batch.warnings.find((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD')?.localField).toEqual([
      { size: 3, stride: 1, padding: 1 },
      { size: 3, stride: 1, padding: 1 },
    ]);
  });
});
