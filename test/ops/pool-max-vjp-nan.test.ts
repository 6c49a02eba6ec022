/**
 * Max pooling's input gradient where a window holds NaNs, and past float32's exact integers.
 * PyTorch 1.13's CPU kernels (max_pool2d/3d_with_indices) take a tap when `val > maxval || isnan(val)`
 * and scan on, so the window's LAST NaN is its argmax; the value is NaN either way. The figures are
 * torch's (/usr/bin/python3, torch 1.13: x.grad after y.backward(g); the indices of return_indices).
 */
import { describe, expect, it } from 'vitest';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { run } from './op-helpers.js';

const N = NaN;

function gradOf(name: string, shape: number[], x: number[], attributes: Record<string, unknown>, outShape: number[], g: number[]): number[] {
  const res = vjpOperator({
    name,
    inputs: [tensor(shape, Float32Array.from(x))],
    attributes,
    weights: {},
    training: false,
    seed: 0,
    maxElements: 1 << 26,
    gradOutputs: [tensor(outShape, Float32Array.from(g))],
  });
  return Array.from(res.gradInputs[0]!.data);
}

describe('max pooling VJP: the last NaN of a window takes its gradient, as PyTorch', () => {
  it('maxPool1d x=[1,NaN,2,NaN,0.5,−1] k=6, g=[1] → torch x.grad [0,0,0,1,0,0] (value NaN)', () => {
    expect(run('maxPool1d', [[[1, 1, 6], [1, N, 2, N, 0.5, -1]]], { kernelSize: 6 })[0].data).toEqual([NaN]);
    expect(gradOf('maxPool1d', [1, 1, 6], [1, N, 2, N, 0.5, -1], { kernelSize: 6 }, [1, 1, 1], [1])).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('maxPool1d x=[NaN,1,NaN,2,NaN,NaN,0.5,−1,7] k=3 s=2 p=1, g=[1..5] → torch [1,0,2,0,0,7,0,0,5] (windows 2 and 3 share the NaN at 5)', () => {
    const x = [N, 1, N, 2, N, N, 0.5, -1, 7];
    const attrs = { kernelSize: 3, stride: 2, padding: 1 };
    expect(run('maxPool1d', [[[1, 1, 9], x]], attrs)[0].data).toEqual([NaN, NaN, NaN, NaN, 7]);
    expect(gradOf('maxPool1d', [1, 1, 9], x, attrs, [1, 1, 5], [1, 2, 3, 4, 5])).toEqual([1, 0, 2, 0, 0, 7, 0, 0, 5]);
  });

  it('maxPool3d x=[1,NaN,2,3,NaN,0,4,5] as [1,1,2,2,2] k=2, g=[2] → torch [0,0,0,0,2,0,0,0] (the NaN of the second t slice)', () => {
    expect(gradOf('maxPool3d', [1, 1, 2, 2, 2], [1, N, 2, 3, N, 0, 4, 5], { kernelSize: 2 }, [1, 1, 1, 1, 1], [2])).toEqual([0, 0, 0, 0, 2, 0, 0, 0]);
  });

  it('maxPool2d x=[1,NaN,2,NaN,0.5,−1] as [1,1,1,6] k=[1,6], g=[2] → torch index 3, x.grad [0,0,0,2,0,0]', () => {
    const x = [1, N, 2, N, 0.5, -1];
    const out = run('maxPool2d', [[[1, 1, 1, 6], x]], { kernelSize: [1, 6], returnIndices: true });
    expect(out[1].data).toEqual([3]);
    expect(gradOf('maxPool2d', [1, 1, 1, 6], x, { kernelSize: [1, 6] }, [1, 1, 1, 1], [2])).toEqual([0, 0, 0, 2, 0, 0]);
  });

  it('maxPool2d [[1,NaN,2,NaN,0.5,−1],[3,NaN,NaN,0,1,2]] k=[2,3], g=[2,3] → torch indices [8,3], x.grad row 0 [0,0,0,3,0,0], row 1 [0,0,2,0,0,0]', () => {
    const x = [1, N, 2, N, 0.5, -1, 3, N, N, 0, 1, 2];
    const out = run('maxPool2d', [[[1, 1, 2, 6], x]], { kernelSize: [2, 3], returnIndices: true });
    expect(out[0].data).toEqual([NaN, NaN]);
    expect(out[1].data).toEqual([8, 3]);
    for (const returnIndices of [false, true]) {
      expect(gradOf('maxPool2d', [1, 1, 2, 6], x, { kernelSize: [2, 3], returnIndices }, [1, 1, 1, 2], [2, 3])).toEqual([0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0]);
    }
  });
});
