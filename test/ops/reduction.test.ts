/** reduceMean (src/ops/reduction.ts): ONNX ReduceMean / torch.mean, one FLOP per input element. */
import { describe, expect, it } from 'vitest';
import { argMax, argMin } from '../../src/ops/arg-reduction.js';
import { reduceL2, reduceMax, reduceMean, reduceMin, reduceProd, reduceSum } from '../../src/ops/reduction.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, ints, iota, run } from './op-helpers.js';

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

describe('reduceSum, reduceMax, reduceMin, reduceL2, argMax, argMin', () => {
  // x = [[0, 1, 2], [3, 4, 5]]
  it.each([
    ['reduceSum', { axes: [1] }, [2, 1], [3, 12]],
    ['reduceSum', { keepDims: false }, [], [15]],
    ['reduceMax', { axes: [0], keepDims: false }, [3], [3, 4, 5]],
    ['reduceMin', { axes: [-1] }, [2, 1], [0, 3]],
    ['reduceL2', { axes: [1] }, [2, 1], [Math.fround(Math.sqrt(5)), Math.fround(Math.sqrt(50))]],
    ['argMax', { dim: 1 }, [2], [2, 2]],
    ['argMin', { dim: 0, keepDim: true }, [1, 3], [0, 0, 0]],
    ['argMax', {}, [], [5]],
  ])('%s of [[0,1,2],[3,4,5]] %j → shape %j, %j', (op, attrs, shape, data) => {
    expect(run(op, [[[2, 3], iota(6)]], attrs)).toEqual([{ shape, data }]);
  });

  it('axes from a constant input (ReduceSum since opset 13), and an empty axes input reduces everything unless noopWithEmptyAxes', () => {
    expect(inferOf(reduceSum, [[2, 3, 4], [1]], {}, [null, ints(2)]).outputs).toEqual([[2, 3, 1]]);
    expect(inferOf(reduceSum, [[2, 3, 4], [0]], {}, [null, ints()]).outputs).toEqual([[1, 1, 1]]);
    const noop = inferOf(reduceSum, [[2, 3, 4], [0]], { noopWithEmptyAxes: true }, [null, ints()]);
    expect(noop.outputs).toEqual([[2, 3, 4]]);
    expect(noop.cost.elementwise).toBe(0);
  });

  it('FLOPs: sum and max do n − 1 per output (24 − 6 over [2,3,4] axis 2), L2 2·numel, argMax n − 1 per output', () => {
    expect(inferOf(reduceSum, [[2, 3, 4]], { axes: [2] }).cost.elementwise).toBe(18);
    expect(inferOf(reduceMax, [[2, 3, 4]], { axes: [2] }).cost.elementwise).toBe(18);
    expect(inferOf(reduceL2, [[2, 3, 4]], { axes: [2] }).cost.elementwise).toBe(48);
    expect(inferOf(argMax, [[2, 3, 4]], { dim: 2 }).cost.elementwise).toBe(18);
  });

  it('known int64 values fold: the sum of a shape [1, 56, 56] is 113, integer; argMax is integer', () => {
    expect(inferOf(reduceSum, [[3]], { keepDims: false }, [ints(1, 56, 56)]).values).toEqual([{ data: [113], integer: true }]);
    expect(inferOf(argMax, [[3]], { dim: 0 }, [{ data: [0.5, 2.5, 1], integer: false }]).values).toEqual([{ data: [1], integer: true }]);
  });

  it('argMax ties take the first index, selectLastIndex the last; NaN counts as the maximum (torch)', () => {
    expect(run('argMax', [[[4], [1, 3, 3, 0]]], { dim: 0 })[0].data).toEqual([1]);
    expect(run('argMax', [[[4], [1, 3, 3, 0]]], { dim: 0, selectLastIndex: true })[0].data).toEqual([2]);
    expect(run('argMax', [[[3], [1, NaN, 3]]], { dim: 0 })[0].data).toEqual([1]);
  });

  // found by the differential run against PyTorch: the scan stopped at the first NaN even with selectLastIndex
  it('argMax/argMin x=[NaN, 1, NaN, 0, NaN] selectLastIndex: NaN is the extreme, its last index 4 (torch: 4 − argmax(x.flip(0)) = 4); without it the first, 0', () => {
    const x: [number[], number[]] = [[5], [NaN, 1, NaN, 0, NaN]];
    for (const op of ['argMax', 'argMin']) {
      expect(run(op, [x], { dim: 0, selectLastIndex: true })[0].data).toEqual([4]);
      expect(run(op, [x], { dim: 0 })[0].data).toEqual([0]);
      expect(run(op, [x], { selectLastIndex: true })[0].data).toEqual([4]);
    }
    // along dim 0 of [3, 2]: column 0 = [NaN, 2, NaN] → 2; column 1 = [5, NaN, 1] → 1
    expect(run('argMax', [[[3, 2], [NaN, 5, 2, NaN, NaN, 1]]], { dim: 0, selectLastIndex: true })[0].data).toEqual([2, 1]);
  });

  it('receptive field: argMax over channels keeps a 3×3 conv field (dims move without keepDim)', () => {
    const conv = { op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };
    const l = layer(analyze(net([1, 1, 5, 5], conv, { op: 'argMax', dim: 1 })), 'l1');
    expect(l.outputShape).toEqual([1, 5, 5]);
    expect(l.receptiveField).toMatchObject({ size: [3, 3], global: false });
  });

  it('over an empty axis: sum 0, prod 1, max −∞ (ONNX; batched_nms reduces [0, 4] boxes in a discarded If branch), each costing 0 FLOPs, never n − 1 < 0', () => {
    expect(run('reduceSum', [[[1], [0]]], { axes: [0] })).toEqual([{ shape: [1], data: [0] }]);
    // [2, 0, 3] over axis 1: 6 outputs from 0 inputs, numel(x) − numel(y) would be −6
    for (const op of [reduceSum, reduceMax, reduceMin, reduceProd]) expect(inferOf(op, [[2, 0, 3]], { axes: [1] }).cost.elementwise).toBe(0);
    expect(inferOf(reduceMax, [[0]]).cost.elementwise).toBe(0);
    expect(inferOf(reduceMax, [[0]], {}, [{ data: [], integer: false }]).values).toEqual([{ data: [-Infinity], integer: false }]);
    expect(inferOf(reduceProd, [[2, 0, 3]], { axes: [1], keepDims: false }, [{ data: [], integer: true }]).values).toEqual([{ data: [1, 1, 1, 1, 1, 1], integer: true }]);
  });

  it('argMax/argMin of a flattened input with no elements: NON_POSITIVE_SIZE naming its shape (torch: "Expected reduction dim to be specified for input.numel() == 0"), not a run costing −1', () => {
    for (const op of [argMax, argMin]) {
      const e = errorOf(() => inferOf(op, [[0]]));
      expect(e.code).toBe('NON_POSITIVE_SIZE');
      expect(e.message).toMatch(new RegExp(`${op.name} of the flattened input \\[0\\], which has no elements`));
    }
    expect(errorOf(() => inferOf(argMax, [[2, 0, 3]])).code).toBe('NON_POSITIVE_SIZE');
    // a named dim of size 0 stays INVALID_ATTRIBUTE naming it; another dim of an empty tensor is an empty result, as torch
    expect(errorOf(() => inferOf(argMax, [[2, 0, 3]], { dim: 1 })).code).toBe('INVALID_ATTRIBUTE');
    expect(inferOf(argMax, [[2, 0, 3]], { dim: 2 }).outputs).toEqual([[2, 0]]);
  });
});


describe('the kernel over every kind of axis set (x[a,b,c] = 6a + 2b + c, shape [2,3,2]; hand-worked; PyTorch over the same sets in test/fixtures/operators/reduction_axes.json)', () => {
  it.each([
    ['reduceSum', { axes: [0] }, [1, 3, 2], [6, 8, 10, 12, 14, 16]],
    // middle axis: 18a + 6 + 3c
    ['reduceSum', { axes: [1] }, [2, 1, 2], [6, 9, 24, 27]],
    // trailing axes: the mean of 6a … 6a + 5
    ['reduceMean', { axes: [1, 2] }, [2, 1, 1], [2.5, 8.5]],
    // the outer axes, middle kept: max is a = 1, c = 1
    ['reduceMax', { axes: [0, 2], keepDims: false }, [3], [7, 9, 11]],
    ['reduceMin', { axes: [0, 2], keepDims: false }, [3], [0, 2, 4]],
    // all axes: Σ k² for k < 12
    ['reduceL2', {}, [1, 1, 1], [Math.fround(Math.sqrt(506))]],
  ])('%s of [2,3,2] %j → shape %j, %j', (op, attrs, shape, data) => {
    expect(run(op, [[[2, 3, 2], iota(12)]], attrs)).toEqual([{ shape, data }]);
  });

  it('a size-1 dim between reduced ones: [2,1,3] over [0, 1] sums c + (3 + c) = 3, 5, 7; [2,2] prod over the leading axis 1·3, 2·4', () => {
    expect(run('reduceSum', [[[2, 1, 3], iota(6)]], { axes: [0, 1] })).toEqual([{ shape: [1, 1, 3], data: [3, 5, 7] }]);
    expect(run('reduceProd', [[[2, 2], [1, 2, 3, 4]]], { axes: [0] })).toEqual([{ shape: [1, 2], data: [3, 8] }]);
  });

  it('NaN propagates (torch.amax, amin) whether its axis is reduced in a row or across rows: max over [0] with x[0,1,0] NaN, min over [1,2] with x[1,0,1] NaN', () => {
    const x = iota(12);
    x[2] = NaN;
    expect(run('reduceMax', [[[2, 3, 2], x]], { axes: [0] })).toEqual([{ shape: [1, 3, 2], data: [6, 7, NaN, 9, 10, 11] }]);
    const y = iota(12);
    y[7] = NaN;
    expect(run('reduceMin', [[[2, 3, 2], y]], { axes: [1, 2] })).toEqual([{ shape: [2, 1, 1], data: [0, NaN] }]);
    // NaN first in a row, then smaller values: it stays
    expect(run('reduceMin', [[[1, 3], [NaN, -1, -2]]], { axes: [1] })).toEqual([{ shape: [1, 1], data: [NaN] }]);
  });
});

describe('noopWithEmptyAxes with no axes: every reduction passes the input through (ONNX: "the output tensor would be equivalent to input tensor")', () => {
  it.each(['reduceL2', 'reduceSum', 'reduceMean', 'reduceMax', 'reduceMin', 'reduceProd'])('%s of [−1, 2, −3] → [−1, 2, −3] (reduceL2 gave |x|)', (op) => {
    expect(run(op, [[[3], [-1, 2, -3]]], { axes: [], noopWithEmptyAxes: true })).toEqual([{ shape: [3], data: [-1, 2, -3] }]);
  });
});
