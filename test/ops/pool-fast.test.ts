/**
 * maxPool2d without indices (pool.ts maxPoolValues, the inference path) against the indexed kernel
 * maxPoolForward on the same windows: equal values (NaN where it has NaN) for every geometry, and a
 * hand-worked case.
 */
import { describe, expect, it } from 'vitest';
import { maxPool2d, maxPoolForward } from '../../src/ops/pool.js';
import { tensor } from '../../src/tensor/tensor.js';
import { inferOf, run } from './op-helpers.js';

describe('maxPool2d values path', () => {
  it('2×2 stride 2 on [[1,2,5,6],[3,4,7,8],[−1,−2,NaN,0],[−3,−4,9,9]] → [[4,8],[−1,NaN]]', () => {
    const [y] = run('maxPool2d', [[[1, 1, 4, 4], [1, 2, 5, 6, 3, 4, 7, 8, -1, -2, NaN, 0, -3, -4, 9, 9]]], { kernelSize: 2 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(y.data.slice(0, 3)).toEqual([4, 8, -1]);
    expect(y.data[3]).toBeNaN();
  });

  it.each([
    [{ kernelSize: 3, stride: 2, padding: 1 }, [2, 3, 11, 12]], // ResNet's stem pool, odd sizes (whole windows written out)
    [{ kernelSize: 3, stride: 1, padding: 0 }, [1, 2, 8, 9]], // every window whole
    [{ kernelSize: 3, stride: 2, padding: 1, ceilMode: true }, [1, 2, 10, 10]], // clipped last windows
    [{ kernelSize: 3, stride: 1, padding: 1, dilation: 2 }, [1, 2, 9, 9]],
    [{ kernelSize: [2, 3], stride: [2, 1], padding: [1, 0], ceilMode: true }, [1, 2, 7, 8]],
    [{ kernelSize: 5, stride: 3, padding: 2, ceilMode: true }, [1, 1, 10, 10]],
  ])('%j on %j equals the indexed kernel, NaNs included', (attrs, shape) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const x = tensor(shape, Float32Array.from({ length: n }, (_, i) => (i % 23 === 5 ? NaN : Math.sin(i * 1.7) * 10)));
    const inf = inferOf(maxPool2d, [shape], attrs);
    const ctx = { attrs: maxPool2d.attrs.parse(attrs), plan: inf.plan, inputs: [x], outputs: inf.outputs, weights: {}, training: false, seed: 0 };
    const [fast] = maxPool2d.run(ctx);
    const [want] = maxPoolForward(x, inf.plan.geo);
    expect(fast.shape).toEqual(want.shape);
    expect(Array.from(fast.data)).toEqual(Array.from(want.data));
  });
});
