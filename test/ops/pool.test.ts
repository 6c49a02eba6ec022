import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('maxPool2d and avgPool2d', () => {
  it('x=[1,1,5,5] k=2 s=2 floor → 2, ceilMode → 3 (last window starts inside the input)', () => {
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2 })), 'l0').outputShape).toEqual([1, 1, 2, 2]);
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
  });

  it('ceilMode drops a window that would start in the right padding: x=[1,1,4,4] k=2 s=2 p=1 → 3', () => {
    // ceil((4 + 2 − 2)/2) + 1 = 3; the third window starts at 2·2 − 1 = 3 < 4 + 1, so it stays
    expect(layer(analyze(net([1, 1, 4, 4], { op: 'maxPool2d', kernelSize: 2, stride: 2, padding: 1, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
    // x=[1,1,5,5] k=2 s=2 p=1: ceil(5/2) + 1 = 4 windows, the 4th starts at 6 − 1 = 5 ≥ 5 + 1? no: 3·2 = 6 ≥ 6 → dropped
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'maxPool2d', kernelSize: 2, stride: 2, padding: 1, ceilMode: true })), 'l0').outputShape).toEqual([1, 1, 3, 3]);
  });

  it('stride defaults to the kernel size; (k·k − 1) comparisons per max output, k·k FLOPs per average', () => {
    const m = layer(analyze(net([1, 2, 6, 6], { op: 'maxPool2d', kernelSize: 3 })), 'l0');
    expect(m.outputShape).toEqual([1, 2, 2, 2]);
    expect(m.flops).toBe(8 * 8);
    const a = layer(analyze(net([1, 2, 6, 6], { op: 'avgPool2d', kernelSize: 3 })), 'l0');
    expect(a.flops).toBe(8 * 9);
    expect(a.params).toBe(0);
    expect(a.macs).toBe(0);
  });

  it('maxPool2d dilation 2, k=3: effective 5', () => {
    expect(layer(analyze(net([1, 1, 9, 9], { op: 'maxPool2d', kernelSize: 3, stride: 1, dilation: 2 })), 'l0').outputShape).toEqual([1, 1, 5, 5]);
  });

  it('globalAvgPool2d x=[2,64,7,7] → [2,64,1,1], H·W FLOPs per output; field global', () => {
    const l = layer(analyze(net([2, 64, 7, 7], { op: 'globalAvgPool2d' })), 'l0');
    expect(l.outputShape).toEqual([2, 64, 1, 1]);
    expect(l.flops).toBe(2 * 64 * 49);
    expect(l.receptiveField).toMatchObject({ size: [7, 7], global: true });
  });

  it('adaptiveAvgPool2d 5 → 3: windows [0,2) [1,4) [3,5) (PyTorch start/end indices)', () => {
    const l = layer(analyze(net([1, 1, 5, 5], { op: 'adaptiveAvgPool2d', outputSize: 3 })), 'l0');
    expect(l.outputShape).toEqual([1, 1, 3, 3]);
    // window sizes 2, 3, 2 per axis → Σ = 7 per axis → 49 reads in all
    expect(l.flops).toBe(49);
  });

  it('maxUnpool2d reads a maxPool2d: (H − 1)·s − 2p + k', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [
        { name: 'pool', op: 'maxPool2d', kernelSize: 2, stride: 2, returnIndices: true },
        { name: 'unpool', op: 'maxUnpool2d', inputs: ['pool', 'pool'], kernelSize: 2, stride: 2 },
      ],
    });
    expect(layer(r, 'unpool').outputShape).toEqual([1, 3, 8, 8]);
    expect(layer(r, 'pool').outputShapes).toEqual([[1, 3, 4, 4], [1, 3, 4, 4]]);
  });
});
