import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer } from '../helpers.js';
import { run } from './op-helpers.js';

describe('add, mul and concat', () => {
  it('add of three [1,8,4,4]: 2 additions per element; broadcasting [1,8,1,1] × [1,8,4,4]', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 8, 4, 4] }],
      layers: [
        { name: 'a', op: 'relu', inputs: 'x' },
        { name: 'b', op: 'relu', inputs: 'x' },
        { name: 'sum', op: 'add', inputs: ['x', 'a', 'b'] },
        { name: 'gap', op: 'globalAvgPool2d', inputs: 'sum' },
        { name: 'scale', op: 'mul', inputs: ['sum', 'gap'] },
      ],
    });
    expect(layer(r, 'sum').flops).toBe(2 * 128);
    expect(layer(r, 'scale').outputShape).toEqual([1, 8, 4, 4]);
    expect(layer(r, 'scale').flops).toBe(128);
  });

  it('concat along channels: [1,3,4,4] + [1,5,4,4] → [1,8,4,4], no arithmetic', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 3, 4, 4] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: 'x', outChannels: 5, kernelSize: 1 },
        { name: 'cat', op: 'concat', inputs: ['x', 'c'] },
      ],
    });
    expect(layer(r, 'cat').outputShape).toEqual([1, 8, 4, 4]);
    expect(layer(r, 'cat').flops).toBe(0);
  });

  it('concat values along dim 1: [[1,2],[3,4]] and [[5],[6]] → [[1,2,5],[3,4,6]]', () => {
    expect(run('concat', [[[2, 2], [1, 2, 3, 4]], [[2, 1], [5, 6]]], { dim: 1 })).toEqual([{ shape: [2, 3], data: [1, 2, 5, 3, 4, 6] }]);
  });

  it('concat of [1,3,4,4] and [1,3,5,4] along channels differs outside dim 1: SHAPE_MISMATCH naming both shapes', () => {
    const e = errorOf(() =>
      analyze({
        inputs: [{ name: 'a', shape: [1, 3, 4, 4] }, { name: 'b', shape: [1, 3, 5, 4] }],
        layers: [{ name: 'cat', op: 'concat', inputs: ['a', 'b'] }],
      }),
    );
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('[1, 3, 5, 4]');
    expect(e.message).toContain('[1, 3, 4, 4]');
  });
});
