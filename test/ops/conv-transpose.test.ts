import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('convTranspose2d', () => {
  it('x=[1,16,7,7] k=4 s=2 p=1 → 8: H\' = (7−1)·2 − 2 + 4 = 14; MACs over input positions', () => {
    const l = layer(analyze(net([1, 16, 7, 7], { op: 'convTranspose2d', outChannels: 8, kernelSize: 4, stride: 2, padding: 1, bias: false })), 'l0');
    expect(l.outputShape).toEqual([1, 8, 14, 14]);
    expect(l.params).toBe(16 * 8 * 16);
    expect(l.macs).toBe(16 * 7 * 7 * 8 * 4 * 4); // N·Cin·H·W·(Cout/g)·K·K = 100,352, not 14·14·8·16·16
  });

  it('outputPadding and dilation: x=[1,4,5,5] k=3 s=2 p=1 op=1 d=2 → (5−1)·2 − 2 + 5 + 1 = 12', () => {
    const l = layer(analyze(net([1, 4, 5, 5], { op: 'convTranspose2d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, dilation: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 2, 12, 12]);
  });

  it('groups=2: weight [Cin, Cout/g, k, k]', () => {
    const l = layer(analyze(net([1, 4, 3, 3], { op: 'convTranspose2d', outChannels: 6, kernelSize: 2, stride: 2, groups: 2, bias: false })), 'l0');
    expect(l.params).toBe(4 * 3 * 4);
    expect(l.macs).toBe(4 * 9 * 3 * 4);
    expect(l.outputShape).toEqual([1, 6, 6, 6]);
  });

  it('exact count when stride > kernel leaves gaps: x=[1,1,2,2] k=1 s=3 → outputs 4×4, 4 of them hit', () => {
    const l = layer(analyze(net([1, 1, 2, 2], { op: 'convTranspose2d', outChannels: 1, kernelSize: 1, stride: 3, bias: false })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 4, 4]);
    expect(l.macs).toBe(4);
    // each hit output is a single product: 4 multiplications, no additions
    expect(l.flopsByConvention.exact).toBe(4);
  });

  it('exact count k=2 s=1 on 1-D-like [1,1,1,3]: outputs get 1,2,2,1 products along W', () => {
    const l = layer(analyze(net([1, 1, 1, 3], { op: 'convTranspose2d', outChannels: 1, kernelSize: [1, 2], bias: false })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 1, 4]);
    expect(l.macs).toBe(6);
    expect(l.flopsByConvention.exact).toBe(6 + 2); // 6 multiplications, 1 + 1 additions
  });
});
