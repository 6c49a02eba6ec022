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
