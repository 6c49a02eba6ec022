/** reduceMean (src/ops/reduction.ts): ONNX ReduceMean / torch.mean, one FLOP per input element. */
import { describe, expect, it } from 'vitest';
import { reduceMean } from '../../src/ops/reduction.js';
import { analyze, layer, net } from '../helpers.js';
import { inferOf, iota, run } from './op-helpers.js';

describe('reduceMean', () => {
  // x = [[0, 1, 2], [3, 4, 5]]
  it.each([
    [{ axes: [1] }, [2, 1], [1, 4]],
    [{ axes: [-1], keepDims: false }, [2], [1, 4]],
    [{ axes: [0] }, [1, 3], [1.5, 2.5, 3.5]],
    [{}, [1, 1], [2.5]],
    [{ keepDims: false }, [], [2.5]],
  ])('[[0,1,2],[3,4,5]] %j → shape %j, means %j', (attrs, shape, data) => {
    expect(run('reduceMean', [[[2, 3], iota(6)]], attrs)).toEqual([{ shape, data }]);
  });

  it('[2,2,2] over axes [0, 2]: x[a,b,c] = 4a + 2b + c, so b = 0 averages 0,1,4,5 and b = 1 averages 2,3,6,7', () => {
    expect(run('reduceMean', [[[2, 2, 2], iota(8)]], { axes: [0, 2] })).toEqual([{ shape: [1, 2, 1], data: [2.5, 4.5] }]);
  });

  it('FLOPs = numel(x): [1,4,3,3] over H, W costs 36', () => {
    expect(inferOf(reduceMean, [[1, 4, 3, 3]], { axes: [2, 3] }).cost.elementwise).toBe(36);
  });

  it('receptive field: averaging H and W after a 3×3 conv sees the whole 5×5 map; averaging C keeps the 3×3 field', () => {
    const conv = { op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };
    expect(layer(analyze(net([1, 1, 5, 5], conv, { op: 'reduceMean', axes: [2, 3] })), 'l1').receptiveField).toMatchObject({ global: true });
    const channels = layer(analyze(net([1, 1, 5, 5], conv, { op: 'reduceMean', axes: [1], keepDims: false })), 'l1');
    expect(channels.outputShape).toEqual([1, 5, 5]);
    expect(channels.receptiveField).toMatchObject({ size: [3, 3], global: false });
  });
});
