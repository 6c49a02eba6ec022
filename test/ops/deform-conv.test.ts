import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

describe('deformConv2d', () => {
  const spec = (maskChannels?: number) => ({
    inputs: [{ name: 'x', shape: [1, 4, 8, 8] }],
    layers: [
      { name: 'offset', op: 'conv2d', inputs: 'x', outChannels: 18, kernelSize: 3, padding: 1 },
      ...(maskChannels ? [{ name: 'mask', op: 'conv2d', inputs: 'x', outChannels: maskChannels, kernelSize: 3, padding: 1 }] : []),
      { name: 'dcn', op: 'deformConv2d', inputs: maskChannels ? ['x', 'offset', 'mask'] : ['x', 'offset'], outChannels: 6, kernelSize: 3, padding: 1 },
    ],
  });

  it('x=[1,4,8,8] k=3 p=1 with offsets [1,18,8,8]: conv MACs plus 7 FLOPs per bilinear sample', () => {
    const l = layer(analyze(spec()), 'dcn');
    expect(l.outputShape).toEqual([1, 6, 8, 8]);
    expect(l.params).toBe(6 * 4 * 9 + 6);
    expect(l.macs).toBe(6 * 64 * 4 * 9);
    expect(l.flopsByConvention['2macs']).toBe(2 * 6 * 64 * 4 * 9 + 7 * 4 * 9 * 64);
  });

  it('v2 mask [1,9,8,8] adds one multiply per sample and a data-dependent-field warning', () => {
    const r = analyze(spec(9));
    expect(layer(r, 'dcn').flopsByConvention['2macs']).toBe(2 * 6 * 64 * 4 * 9 + 8 * 4 * 9 * 64);
    expect(r.warnings.map((w) => w.code)).toContain('DATA_DEPENDENT_RECEPTIVE_FIELD');
  });
});
