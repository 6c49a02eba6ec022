import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

// Costs worked by hand from domain.md: conv params K·K·(M/g)·N (+N), MACs K·K·(M/g)·H'·W'·N,
// exact (2·K·K·M/g − 1)·H'·W'·N, memory access H·W·M + H'·W'·N + weights.
describe('conv2d', () => {
  it('x=[1,3,32,32] k=3 s=1 p=1 → 16 channels: shape, params, MACs, exact, memory', () => {
    const r = analyze(net([1, 3, 32, 32], { op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1, bias: false }));
    const l = layer(r, 'l0');
    expect(l.outputShape).toEqual([1, 16, 32, 32]);
    expect(l.params).toBe(3 * 3 * 3 * 16); // 432
    expect(l.macs).toBe(3 * 3 * 3 * 32 * 32 * 16); // 442,368
    expect(l.flopsByConvention.exact).toBe((2 * 3 * 3 * 3 - 1) * 32 * 32 * 16); // 868,352
    expect(l.flopsByConvention['2macs']).toBe(2 * 442_368);
    expect(l.flopsByConvention.macs).toBe(442_368);
    expect(l.memoryAccess.elements).toEqual({ inputs: 3072, outputs: 16_384, weights: 432, total: 19_888 });
    expect(l.memoryAccess.bytes).toBe(19_888 * 4);
    expect(l.arithmeticIntensity).toBeCloseTo((2 * 442_368) / (19_888 * 4), 12);
  });

  it('bias adds Cout params and, with includeBias, one addition per output', () => {
    const spec = net([1, 3, 32, 32], { op: 'conv2d', outChannels: 16, kernelSize: 3, padding: 1 });
    const plain = layer(analyze(spec), 'l0');
    expect(plain.params).toBe(432 + 16);
    expect(plain.flops).toBe(2 * 442_368);
    const withBias = layer(analyze(spec, { includeBias: true, flops: 'exact' }), 'l0');
    // The notes' exact count with bias: 2·K·K·M·H'·W'·N
    expect(withBias.flops).toBe(2 * 3 * 3 * 3 * 32 * 32 * 16);
  });

  it('x=[2,8,15,15] k=3 s=2 p=0: floor((15 − 3)/2) + 1 = 7, batch scales MACs', () => {
    const l = layer(analyze(net([2, 8, 15, 15], { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2 })), 'l0');
    expect(l.outputShape).toEqual([2, 4, 7, 7]);
    expect(l.macs).toBe(2 * 4 * 7 * 7 * 8 * 9);
  });

  it('grouped x=[1,64,56,56] k=3 p=1 g=4 → 128: params and MACs divide by g', () => {
    const l = layer(analyze(net([1, 64, 56, 56], { op: 'conv2d', outChannels: 128, kernelSize: 3, padding: 1, groups: 4, bias: false })), 'l0');
    expect(l.params).toBe(3 * 3 * (64 / 4) * 128); // 18,432
    expect(l.macs).toBe(3 * 3 * (64 / 4) * 56 * 56 * 128); // 57,802,752
  });

  it('depthwise x=[1,32,112,112] k=3 p=1 g=32 → 32: M·K·K·H·W', () => {
    const l = layer(analyze(net([1, 32, 112, 112], { op: 'conv2d', outChannels: 32, kernelSize: 3, padding: 1, groups: 32, bias: false })), 'l0');
    expect(l.params).toBe(32 * 9);
    expect(l.macs).toBe(32 * 9 * 112 * 112);
  });

  it('depthwise separable costs 1/N + 1/K² of the standard conv (domain.md)', () => {
    const [m, n, k, hw] = [32, 64, 3, 56];
    const standard = analyze(net([1, m, hw, hw], { op: 'conv2d', outChannels: n, kernelSize: k, padding: 1, bias: false })).totals.macs;
    const separable = analyze(
      net([1, m, hw, hw], { op: 'conv2d', outChannels: m, kernelSize: k, padding: 1, groups: m, bias: false }, { op: 'conv2d', outChannels: n, kernelSize: 1, bias: false }),
    ).totals.macs;
    expect(separable).toBe(m * k * k * hw * hw + m * n * hw * hw);
    expect(separable / standard).toBeCloseTo(1 / n + 1 / (k * k), 12);
  });

  it('dilated x=[1,1,7,7] k=3 d=2 p=0: effective kernel 5 → 3×3 output', () => {
    const l = layer(analyze(net([1, 1, 7, 7], { op: 'conv2d', outChannels: 1, kernelSize: 3, dilation: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 3, 3]);
    expect(l.macs).toBe(9 * 9);
    expect(l.receptiveField?.size).toEqual([5, 5]);
  });

  it('spatial separable 7×1 then 1×7 keeps the 7×7 field with 2/7 of the cost', () => {
    const full = analyze(net([1, 8, 17, 17], { op: 'conv2d', outChannels: 8, kernelSize: 7, padding: 3, bias: false }));
    const sep = analyze(
      net(
        [1, 8, 17, 17],
        { op: 'conv2d', outChannels: 8, kernelSize: [7, 1], padding: [3, 0], bias: false },
        { op: 'conv2d', outChannels: 8, kernelSize: [1, 7], padding: [0, 3], bias: false },
      ),
    );
    expect(sep.outputs[0].shape).toEqual([1, 8, 17, 17]);
    expect(sep.outputs[0].receptiveField?.size).toEqual([7, 7]);
    expect(sep.totals.macs * 7).toBe(full.totals.macs * 2);
  });

  it('padding "same" x=[1,1,10,10] k=4 d=1: total 3, PyTorch puts the odd pixel at the end', () => {
    const l = layer(analyze(net([1, 1, 10, 10], { op: 'conv2d', outChannels: 1, kernelSize: 4, padding: 'same' })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 10, 10]);
    expect(l.receptiveField?.padding).toEqual([1, 1]);
  });

  it('4-sided padding [top, left, bottom, right] = [1, 0, 2, 3] with k=3', () => {
    const l = layer(analyze(net([1, 1, 5, 5], { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: [1, 0, 2, 3] })), 'l0');
    // H: 5 + 1 + 2 − 3 + 1 = 6;  W: 5 + 0 + 3 − 3 + 1 = 6
    expect(l.outputShape).toEqual([1, 1, 6, 6]);
    expect(l.receptiveField?.padding).toEqual([1, 0]);
  });

  it('"valid" is no padding; rectangular kernel [3, 5] and stride [1, 2]', () => {
    const l = layer(analyze(net([1, 2, 9, 11], { op: 'conv2d', outChannels: 3, kernelSize: [3, 5], stride: [1, 2], padding: 'valid' })), 'l0');
    expect(l.outputShape).toEqual([1, 3, 7, 4]);
  });
});

describe('memory access in bytes per dtype', () => {
  it.each([
    ['float32', 4],
    ['float16', 2],
    ['bfloat16', 2],
    ['int8', 1],
  ] as const)('%s: %i bytes per element', (dtype, bytes) => {
    const l = layer(analyze(net([1, 3, 8, 8], { op: 'conv2d', outChannels: 8, kernelSize: 3, bias: false }), { dtype }), 'l0');
    expect(l.memoryAccess.bytes).toBe((192 + 288 + 216) * bytes);
  });
});
