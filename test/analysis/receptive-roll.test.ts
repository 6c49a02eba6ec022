/**
 * A roll along a spatial axis (torch.roll as torch.onnx.export writes it: two slices, or a split,
 * joined by a concat the other way round) on a map of one unit across: a 1-D signal [N, C, L], or an
 * [N, C, 1, W] map. torch.roll(x, 1, dims=-1) on L = 8: output unit 0 reads input 7, unit x ≥ 1 reads
 * x − 1. At stride 1 the tightest box holding both is padding P = max_x (x − lo_x) = max(0 − 7, 1) = 1
 * and size max_x (hi_x − x) + P + 1 = max(7 − 0, −1) + 1 + 1 = 9: unit x covers [x − 1, x + 7].
 * The last unit's piece ([N, C, 1] or [N, C, 1, 1]) was taken for a broadcast gate (a
 * squeeze-excitation's 1×1) and left out, so the roll reported the other piece alone: size 1,
 * padding 1, unit 0's box [−1, −1] where it reads input 7 (the same roll on [N, C, 2, 8] gave 9).
 */
import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

/** The units each output unit of the roll reads along the rolled axis: [lo, hi] (hand-worked). */
const reads = (L: number, shift: number) => Array.from({ length: L }, (_, x) => ((x - shift) % L + L) % L).map((i) => [i, i]);

function rollBySlices(shape: number[], shift: number) {
  const L = shape[shape.length - 1];
  const axis = shape.length - 1;
  return {
    inputs: [{ name: 'x', shape }],
    layers: [
      { name: 'tail', op: 'slice', inputs: 'x', starts: [L - shift], ends: [L], axes: [axis] },
      { name: 'head', op: 'slice', inputs: 'x', starts: [0], ends: [L - shift], axes: [axis] },
      { name: 'roll', op: 'concat', inputs: ['tail', 'head'], dim: axis },
    ],
  };
}

function rollBySplit(shape: number[], shift: number) {
  const L = shape[shape.length - 1];
  const axis = shape.length - 1;
  return {
    inputs: [{ name: 'x', shape }],
    layers: [
      { name: 'cut', op: 'split', inputs: 'x', axis, split: [L - shift, shift] },
      { name: 'roll', op: 'concat', inputs: ['cut:1', 'cut'], dim: axis },
    ],
  };
}

describe.each([
  ['[1, 1, 8] (a 1-D signal)', [1, 1, 8]],
  ['[1, 1, 1, 8] (a one-row map)', [1, 1, 1, 8]],
  ['[1, 1, 2, 8] (two rows: kept before too)', [1, 1, 2, 8]],
])('torch.roll(x, 1, dims=-1) on %s', (_, shape) => {
  const last = shape.length - 3;
  it.each([
    ['two slices and a concat', rollBySlices],
    ['a split [7, 1] and a concat', rollBySplit],
  ])('as %s: size 9, padding 1 along L (unit 0 reads input 7: box [−1, 7]), every unit inside its box', (__, build) => {
    const rf = layer(analyze(build(shape, 1)), 'roll').receptiveField as { size: number[]; stride: number[]; padding: number[]; global: boolean };
    expect(rf.global).toBe(false);
    expect([rf.size[last], rf.stride[last], rf.padding[last]]).toEqual([9, 1, 1]);
    const outside = reads(8, 1).filter(([lo, hi], x) => !(x - rf.padding[last] <= lo && hi <= x - rf.padding[last] + rf.size[last] - 1));
    expect(outside).toEqual([]);
  });
});

describe('a roll by 3 of a 1-D signal of 6 after a 3-tap conv (padding 1)', () => {
  // conv unit u reads [u − 1, u + 1]; roll by 3: output x reads conv unit (x − 3) mod 6, so x < 3
  // reads [x + 2, x + 4] and x ≥ 3 reads [x − 4, x − 2]: P = max(x − lo) = 4, size max(hi − x) + P + 1 = 4 + 4 + 1 = 9
  it('size 9, padding 4: unit 0 covers [−4, 4] (it reads 2…4), unit 5 covers [1, 9] (it reads 1…3)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 6] }],
      layers: [
        { name: 'conv', op: 'conv1d', inputs: 'x', outChannels: 1, kernelSize: 3, padding: 1 },
        { name: 'cut', op: 'split', inputs: 'conv', axis: 2, split: [3, 3] },
        { name: 'roll', op: 'concat', inputs: ['cut:1', 'cut'], dim: 2 },
      ],
    });
    expect(layer(r, 'roll').receptiveField).toMatchObject({ size: [9], stride: [1], padding: [4] });
  });
});
