/** nonZero and gatherND (src/ops/select.ts), reduceProd: detection post-processing's selection ops. */
import { describe, expect, it } from 'vitest';
import { gatherND, nonZero } from '../../src/ops/select.js';
import { reduceProd } from '../../src/ops/reduction.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, ints, iota, run } from './op-helpers.js';

describe('nonZero', () => {
  it('[[1,0],[0,3]] → coordinates [[0,1],[0,1]] (rows, then columns), as torch.nonzero(x).T', () => {
    expect(inferOf(nonZero, [[2, 2]], {}, [ints(1, 0, 0, 3)])).toMatchObject({ outputs: [[2, 2]], values: [{ data: [0, 1, 0, 1], integer: true }] });
  });

  it('unknown values: analysed at the bound [rank, numel] with a DATA_DEPENDENT_SHAPE warning; a run finding fewer returns its real count (a later layer planned for the bound refuses it: test/runtime/run-shapes.test.ts)', () => {
    const r = analyze(net([1, 2, 3], { op: 'nonZero' }));
    expect(layer(r, 'l0')).toMatchObject({ outputShape: [3, 6], flops: 6 });
    expect(r.warnings.find((w) => w.code === 'DATA_DEPENDENT_SHAPE')).toMatchObject({ layer: 'l0' });
    const call = (data: number[]) => nonZero.run({ attrs: {}, plan: { known: false }, inputs: [{ shape: [2, 3], data: Float32Array.from(data) }], weights: {}, outputs: [[2, 6]], training: false, seed: 0 });
    const two = call([0, 5, 0, 0, 0, 7]);
    expect(two[0].shape).toEqual([2, 2]);
    expect(Array.from(two[0].data)).toEqual([0, 1, 1, 2]);
    const all = call([1, 5, 2, 3, 4, 7]);
    expect(all[0].shape).toEqual([2, 6]);
    expect(Array.from(all[0].data)).toEqual([0, 0, 0, 1, 1, 1, 0, 1, 2, 0, 1, 2]);
  });
});

describe('gatherND', () => {
  // data [2,2] = [[0,1],[2,3]] (ONNX GatherND examples 1 and 2)
  it('indices [[0,0],[1,1]] pick elements [0, 3]; indices [[1],[0]] pick rows [[2,3],[0,1]]', () => {
    expect(run('gatherND', [[[2, 2], iota(4)], [[2, 2], [0, 0, 1, 1]]])).toEqual([{ shape: [2], data: [0, 3] }]);
    expect(run('gatherND', [[[2, 2], iota(4)], [[2, 1], [1, 0]]])).toEqual([{ shape: [2, 2], data: [2, 3, 0, 1] }]);
  });

  it('batchDims 1 (ONNX example 5): data [2,2,2] = 0…7, indices [[1],[0]] → [[2,3],[4,5]]', () => {
    expect(run('gatherND', [[[2, 2, 2], iota(8)], [[2, 1], [1, 0]]], { batchDims: 1 })).toEqual([{ shape: [2, 2], data: [2, 3, 4, 5] }]);
  });

  it('known values fold; an index out of range is INVALID_ATTRIBUTE; indices deeper than data SHAPE_MISMATCH', () => {
    expect(inferOf(gatherND, [[3], [2, 1]], {}, [ints(10, 20, 30), ints(-1, 0)]).values).toEqual([{ data: [30, 10], integer: true }]);
    expect(errorOf(() => inferOf(gatherND, [[3], [1, 1]], {}, [null, ints(3)])).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => inferOf(gatherND, [[3, 2], [1, 3]])).code).toBe('SHAPE_MISMATCH');
  });

  it('receptive field: gathering positions of the spatial dims is global; gathering batch rows keeps the map’s field', () => {
    const r = analyze({
      inputs: [
        { name: 'x', shape: [1, 2, 5, 5] },
        { name: 'i', shape: [1, 2, 3, 2] },
        { name: 'j', shape: [1, 1] },
      ],
      layers: [
        { name: 'conv', op: 'conv2d', inputs: 'x', outChannels: 2, kernelSize: 3, padding: 1 },
        { name: 'spatial', op: 'gatherND', inputs: ['conv', 'i'], batchDims: 2 },
        { name: 'rows', op: 'gatherND', inputs: ['conv', 'j'] },
      ],
    });
    expect(layer(r, 'spatial').receptiveField).toMatchObject({ global: true });
    expect(layer(r, 'rows')).toMatchObject({ outputShape: [1, 2, 5, 5] });
    expect(layer(r, 'rows').receptiveField).toMatchObject({ global: false, size: [3, 3] });
  });
});

describe('reduceProd', () => {
  it('folds a shape’s element count: prod([1, 3, 320, 320]) = 307,200 (int64); FLOPs n − 1 per output', () => {
    const r = inferOf(reduceProd, [[4]], { keepDims: false }, [ints(1, 3, 320, 320)]);
    expect(r.values).toEqual([{ data: [307200], integer: true }]);
    expect(r.cost.elementwise).toBe(3);
  });
});
