import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';

// Pooling over 1 or 3 axes: maxPool ΠK − 1 comparisons per output, avgPool ΠK, adaptive the window volume.
describe('1-D and 3-D pooling', () => {
  it('maxPool1d x=[1,5,2,8,3,0] k=2 → [5,8,3]; avgPool1d k=2 → [3,5,1.5]; adaptiveAvgPool1d → 1 = mean 19/6', () => {
    const x: [number[], number[]] = [[1, 1, 6], [1, 5, 2, 8, 3, 0]];
    expect(run('maxPool1d', [x], { kernelSize: 2 })[0]).toEqual({ shape: [1, 1, 3], data: [5, 8, 3] });
    expect(run('avgPool1d', [x], { kernelSize: 2 })[0].data).toEqual([3, 5, 1.5]);
    // p=1, countIncludePad=false: windows [pad,1] [5,2] [8,3] [0,pad] → 1, 3.5, 5.5, 0
    expect(run('avgPool1d', [x], { kernelSize: 2, padding: 1, countIncludePad: false })[0].data).toEqual([1, 3.5, 5.5, 0]);
    expect(run('adaptiveAvgPool1d', [x], { outputSize: 1 })[0].data[0]).toBeCloseTo(19 / 6, 6);
  });

  it('maxPool3d x=[1,64,16,56,56] k=3 s=2 p=1: → [1,64,8,28,28], 26 comparisons per output', () => {
    const l = layer(analyze(net([1, 64, 16, 56, 56], { op: 'maxPool3d', kernelSize: 3, stride: 2, padding: 1 })), 'l0');
    expect(l.outputShape).toEqual([1, 64, 8, 28, 28]);
    expect(l.flopsByConvention['2macs']).toBe(64 * 8 * 28 * 28 * 26);
  });

  it('adaptiveAvgPool3d(1) on r3d_18 final map [1,512,2,7,7]: [1,512,1,1,1], one add per element', () => {
    const l = layer(analyze(net([1, 512, 2, 7, 7], { op: 'adaptiveAvgPool3d', outputSize: 1 })), 'l0');
    expect(l.outputShape).toEqual([1, 512, 1, 1, 1]);
    expect(l.flopsByConvention['2macs']).toBe(512 * 2 * 7 * 7);
  });

  it('avgPool3d of ones k=2 is ones; padding over half the kernel is refused (PyTorch rule)', () => {
    const y = run('avgPool3d', [[[1, 1, 2, 4, 4], Array(32).fill(1)]], { kernelSize: 2 })[0];
    expect(y).toEqual({ shape: [1, 1, 1, 2, 2], data: [1, 1, 1, 1] });
    expect(errorOf(() => analyze(net([1, 1, 4, 8, 8], { op: 'maxPool3d', kernelSize: 2, padding: 2 }))).code).toBe('INVALID_ATTRIBUTE');
    // dilation does not widen the allowance: k=3 d=2 (effective 5) refuses padding 2, as PyTorch
    expect(errorOf(() => analyze(net([1, 1, 7], { op: 'maxPool1d', kernelSize: 3, dilation: 2, padding: 2 }))).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => analyze(net([1, 1, 7, 7, 7], { op: 'maxPool3d', kernelSize: 3, dilation: 2, padding: 2 }))).code).toBe('INVALID_ATTRIBUTE');
  });

  it("avgPool3d smallInput 'pad' (ONNX, no PyTorch golden) k=3 s=1 p=1 on [1,1,1,1,2], g=[10, 20]: both windows hold both inputs, ∂x = 30/27 each (countIncludePad), 30/2 without", () => {
    const call = (countIncludePad: boolean) =>
      vjpOperator({
        name: 'avgPool3d',
        inputs: [tensor([1, 1, 1, 1, 2], Float32Array.from([1, 2]))],
        attributes: { kernelSize: 3, stride: 1, padding: 1, smallInput: 'pad', countIncludePad },
        weights: {},
        training: false,
        seed: 0,
        maxElements: 1 << 20,
        gradOutputs: [tensor([1, 1, 1, 1, 2], Float32Array.from([10, 20]))],
      }).gradInputs[0]!;
    // windows along W: −1…1 and 0…2, each holding inputs 0 and 1; T and H: −1…1 around the one element
    expect(Array.from(call(true).data)).toEqual([Math.fround(10 / 27) + Math.fround(20 / 27), Math.fround(10 / 27) + Math.fround(20 / 27)].map(Math.fround));
    expect(Array.from(call(false).data)).toEqual([15, 15]);
  });
});
