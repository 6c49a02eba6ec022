import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, run } from './op-helpers.js';
import { flatten, linear, matmul } from '../../src/ops/linear.js';

describe('linear and flatten', () => {
  it('linear Ci=512 → Co=1000 (the notes): params Ci·Co + Co, MACs Ci·Co, exact (2·Ci − 1)·Co, memory Ci + Co + Ci·Co', () => {
    const l = layer(analyze(net([1, 512], { op: 'linear', outFeatures: 1000 })), 'l0');
    expect(l.params).toBe(512 * 1000 + 1000);
    expect(l.macs).toBe(512_000);
    expect(l.flopsByConvention.exact).toBe((2 * 512 - 1) * 1000);
    // weights read: Ci·Co plus the bias Co
    expect(l.memoryAccess.elements).toEqual({ inputs: 512, outputs: 1000, weights: 513_000, total: 514_512 });
  });

  it('linear on the last dim of [2, 5, 8] → [2, 5, 3] counts 10 rows', () => {
    const l = layer(analyze(net([2, 5, 8], { op: 'linear', outFeatures: 3 })), 'l0');
    expect(l.outputShape).toEqual([2, 5, 3]);
    expect(l.macs).toBe(10 * 8 * 3);
  });

  it('linear on a scalar [] is RANK_MISMATCH at the inputs (torch: "at least 1D"), not a NaN count', () => {
    const e = errorOf(() => inferOf(linear, [[]], { outFeatures: 2 }));
    expect(e).toMatchObject({ code: 'RANK_MISMATCH', details: { path: '$.inputs', shapes: { input: [] } } });
    expect(e.message).toContain("a scalar [] has none");
  });

  it('linear 0 → 2 features on [3, 0] (torch.nn.Linear(0, 2)): [3, 2] of the bias, 3 rows, 0 MACs and 0 exact ops', () => {
    expect(run('linear', [[[3, 0], []]], { outFeatures: 2 }, { weight: [[2, 0], []], bias: [[2], [1.5, -2]] })).toEqual([{ shape: [3, 2], data: [1.5, -2, 1.5, -2, 1.5, -2] }]);
    expect(inferOf(linear, [[3, 0]], { outFeatures: 2 }).cost).toMatchObject({ macs: 0, exactMacOps: 0, biasOps: 6 });
  });

  it('linear 0 → 2 on [3, 0] with seeded weights: the bias bound is 0 at fan_in 0, as nn.Linear.reset_parameters sets it, so [3, 2] of zeros (1/√0 gave NaN)', () => {
    expect(run('linear', [[[3, 0], []]], { outFeatures: 2 })).toEqual([{ shape: [3, 2], data: [0, 0, 0, 0, 0, 0] }]);
  });

  it('matmul of a scalar [] and [3] is RANK_MISMATCH naming the scalar operand (torch.matmul: "at least 1D")', () => {
    const e = errorOf(() => inferOf(matmul, [[], [3]]));
    expect(e).toMatchObject({ code: 'RANK_MISMATCH', details: { path: '$.inputs' } });
    expect(e.message).toContain('a is a scalar []');
  });

  it('matmul [2, 0]·[0, 3] (an empty inner dimension): [2, 3] of zeros, 0 MACs and 0 exact ops', () => {
    expect(run('matmul', [[[2, 0], []], [[0, 3], []]])).toEqual([{ shape: [2, 3], data: [0, 0, 0, 0, 0, 0] }]);
    expect(inferOf(matmul, [[2, 0], [0, 3]]).cost).toMatchObject({ macs: 0, exactMacOps: 0 });
  });

  it('global average pooling before the classifier cuts the FC cost by H·W (domain.md)', () => {
    const flat = analyze(net([1, 512, 7, 7], { op: 'flatten' }, { op: 'linear', outFeatures: 1000 }));
    const gap = analyze(net([1, 512, 7, 7], { op: 'globalAvgPool2d' }, { op: 'flatten' }, { op: 'linear', outFeatures: 1000 }));
    expect(layer(flat, 'l1').macs).toBe(49 * layer(gap, 'l2').macs);
  });

  it('flatten [2,3,4,5] startDim 1 endDim 2 → [2,12,5]; the default (1, −1) → [2,60]; ONNX axis 2 → [6,20]', () => {
    expect(layer(analyze(net([2, 3, 4, 5], { op: 'flatten', startDim: 1, endDim: 2 })), 'l0').outputShape).toEqual([2, 12, 5]);
    expect(layer(analyze(net([2, 3, 4, 5], { op: 'flatten' })), 'l0').outputShape).toEqual([2, 60]);
    expect(layer(analyze(net([2, 3, 4, 5], { op: 'flatten', axis: 2 })), 'l0').outputShape).toEqual([6, 20]);
  });

  it('flatten ONNX axis 2 of an empty [0,1,28,28] (Mask R-CNN with no detection) → [0, 28·28], not [0, NaN]', () => {
    expect(inferOf(flatten, [[0, 1, 28, 28]], { axis: 2 }).outputs).toEqual([[0, 784]]);
    expect(inferOf(flatten, [[0, 3, 4]], { axis: 0 }).outputs).toEqual([[1, 0]]);
  });

  it('flatten startDim 2 after endDim 1 is INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => analyze(net([2, 3, 4, 5], { op: 'flatten', startDim: 2, endDim: 1 }))).code).toBe('INVALID_ATTRIBUTE');
  });

  it('linear by hand: x = [1, 2], W = [[1,0],[1,1],[0,2]], b = [0.5, 0, −1] → Wx + b = [1.5, 3, 3]', () => {
    const y = run('linear', [[[1, 2], [1, 2]]], { outFeatures: 3 }, { weight: [[3, 2], [1, 0, 1, 1, 0, 2]], bias: [[3], [0.5, 0, -1]] });
    expect(y).toEqual([{ shape: [1, 3], data: [1.5, 3, 3] }]);
  });
});
