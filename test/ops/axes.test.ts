/**
 * One axis rule for every op (ONNX and PyTorch): an axis of a rank-r tensor lies in [−r, r − 1],
 * negative counting from the end; a boundary between dims (ONNX Flatten's axis) lies in [−r, r].
 */
import { describe, expect, it } from 'vitest';
import { normalizeAxis, normalizeBoundary } from '../../src/ops/axes.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferContext, run } from './op-helpers.js';

const ctx = inferContext([[2, 3, 4, 5]], {});

describe('normalizeAxis: axis ∈ [−rank, rank − 1]', () => {
  it.each([
    [0, 0],
    [3, 3],
    [-1, 3],
    [-4, 0],
    [-2, 2],
  ])('rank 4: axis %i → %i', (axis, want) => {
    expect(normalizeAxis(ctx, axis, 4, 'dim')).toBe(want);
  });

  it.each([4, -5, 100, 1.5])('rank 4: axis %d is INVALID_ATTRIBUTE naming the axis, rank, shape and field', (axis) => {
    const e = errorOf(() => normalizeAxis(ctx, axis, 4, 'dim'));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.dim');
    expect(e.message).toContain(`dim=${axis}`);
    expect(e.message).toContain('rank 4');
    expect(e.message).toContain('[2, 3, 4, 5]');
    expect(e.message).toContain('-4…3');
  });

  it('a rank other than the input\'s (unsqueeze indexes its output): rank 6 accepts 5 and −6', () => {
    expect(normalizeAxis(ctx, 5, 6, 'axes')).toBe(5);
    expect(normalizeAxis(ctx, -6, 6, 'axes')).toBe(0);
    expect(errorOf(() => normalizeAxis(ctx, 6, 6, 'axes')).message).toContain('rank 6 (input [2, 3, 4, 5])');
  });

  it('rank 0 has no axis at all', () => {
    const e = errorOf(() => normalizeAxis(inferContext([[]], {}), 0, 0, 'axis'));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    // it said "valid values are 0…-1"
    expect(e.message).toBe('axis=0: the input [] is 0-d and has no axis');
  });
});

describe('normalizeBoundary: axis ∈ [−rank, rank]', () => {
  it.each([
    [0, 0],
    [4, 4],
    [-1, 3],
    [-4, 0],
  ])('rank 4: boundary %i → %i', (axis, want) => {
    expect(normalizeBoundary(ctx, axis, 4, 'axis')).toBe(want);
  });

  it.each([5, -5])('rank 4: boundary %i is INVALID_ATTRIBUTE (valid −4…4)', (axis) => {
    const e = errorOf(() => normalizeBoundary(ctx, axis, 4, 'axis'));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('-4…4');
  });
});

describe('every op with an axis follows the rule (through the analyzer)', () => {
  it.each([
    ['softmax', { dim: 4 }, 'dim'],
    ['softmax', { dim: -5 }, 'dim'],
    ['concat', { dim: 4 }, 'dim'],
    ['flatten', { startDim: 4 }, 'startDim'],
    ['flatten', { endDim: -5 }, 'endDim'],
    ['flatten', { axis: 5 }, 'axis'],
    ['split', { axis: -5 }, 'axis'],
    ['gather', { axis: 4 }, 'axis'],
    ['squeeze', { axes: [4] }, 'axes'],
    ['unsqueeze', { axes: [5] }, 'axes'],
    ['reduceMean', { axes: [-5] }, 'axes'],
    ['slice', { starts: [0], ends: [1], axes: [4] }, 'axes'],
  ])('%s %j on [1,2,3,4] → INVALID_ATTRIBUTE at $.layers[0].%s', (op, attrs, field) => {
    const spec =
      op === 'gather'
        ? { inputs: [{ name: 'x', shape: [1, 2, 3, 4] }, { name: 'i', shape: [2] }], layers: [{ name: 'l0', op, inputs: ['x', 'i'], ...attrs }] }
        : net([1, 2, 3, 4], { op, ...attrs });
    const e = errorOf(() => analyze(spec));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe(`$.layers[0].${field}`);
    expect(e.message).toContain('[1, 2, 3, 4]');
  });

  it('negative axes count from the end: softmax dim −3 ≡ 1, concat dim −1 ≡ 3, flatten axis −1 → [6, 4]', () => {
    expect(layer(analyze(net([1, 2, 3, 4], { op: 'softmax', dim: -3 })), 'l0').outputShape).toEqual([1, 2, 3, 4]);
    const cat = analyze({
      inputs: [{ name: 'a', shape: [1, 2, 3, 4] }, { name: 'b', shape: [1, 2, 3, 5] }],
      layers: [{ name: 'cat', op: 'concat', inputs: ['a', 'b'], dim: -1 }],
    });
    expect(layer(cat, 'cat').outputShape).toEqual([1, 2, 3, 9]);
    expect(layer(analyze(net([1, 2, 3, 4], { op: 'flatten', axis: -1 })), 'l0').outputShape).toEqual([6, 4]);
    expect(layer(analyze(net([1, 2, 3, 4], { op: 'flatten', axis: 4 })), 'l0').outputShape).toEqual([24, 1]);
  });
});

describe('a list of axes names each axis once (torch.sum(x, (1, -3)): "dim 1 appears multiple times"; onnxruntime Slice: "\'axes\' has duplicates")', () => {
  it.each([
    ['slice', { starts: [0, 1], ends: [2, 3], axes: [2, -2] }, 2],
    ['slice', { starts: [0, 0], ends: [1, 1], axes: [3, 3] }, 3],
    ['reduceSum', { axes: [1, -3] }, 1],
    ['reduceMean', { axes: [2, 2] }, 2],
    ['reduceMax', { axes: [3, -1], keepDims: false }, 3],
    ['squeeze', { axes: [0, -4] }, 0],
  ])('%s %j on [1,2,3,4] → INVALID_ATTRIBUTE at $.layers[0].axes naming axis %i', (op, attrs, axis) => {
    const e = errorOf(() => analyze(net([1, 2, 3, 4], { op, ...attrs })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.layers[0].axes');
    expect(e.message).toContain(`name axis ${axis} of [1, 2, 3, 4] twice`);
  });

  it('pad of [[1,2],[3,4]] with the constant axes input [0, -2] (both axis 0) → INVALID_ATTRIBUTE at axes', () => {
    const e = errorOf(() => run('pad', [[[2, 2], [1, 2, 3, 4]], [[4], [1, 1, 1, 1]], [[1], [0]], [[2], [0, -2]]]));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('name axis 0 of [2, 2] twice');
  });

  it('distinct axes still work: slice axes [2, 3] of [1,2,3,4] → [1, 2, 2, 2]; reduceSum axes [1, -1] → [1, 1, 3, 1]', () => {
    expect(layer(analyze(net([1, 2, 3, 4], { op: 'slice', starts: [0, 1], ends: [2, 3], axes: [2, 3] })), 'l0').outputShape).toEqual([1, 2, 2, 2]);
    expect(layer(analyze(net([1, 2, 3, 4], { op: 'reduceSum', axes: [1, -1] })), 'l0').outputShape).toEqual([1, 1, 3, 1]);
  });
});
