/**
 * Fields a random-graph fuzz against autograd found wrong (2026-12-04, helper's seeds 11–28 of
 * scripts/goldens_rf_random.py extended with expand, tile, concat along H or W and reductions over
 * one axis), each worked by hand. A unit's box at stride J, padding P, size R is [x·J − P, x·J − P + R − 1];
 * the tightest at J holding reads [lo(x), hi(x)] has P = max(x·J − lo), R = max(hi − x·J) + P + 1.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../helpers.js';

interface Field {
  global: boolean;
  size: number[];
  stride: number[];
  padding: number[];
}

function field(input: number[], layers: Record<string, unknown>[]): { rf: Field; warnings: string[] } {
  const r = analyze({ name: 't', inputs: [{ name: 'x', shape: input }], layers });
  return { rf: r.layers[r.layers.length - 1].receptiveField as Field, warnings: r.warnings.map((w) => w.code) };
}

/** Whether unit x's box on axis a holds the reads [lo, hi]. */
const holds = (rf: Field, a: number, x: number, [lo, hi]: readonly [number, number]) => x * rf.stride[a] - rf.padding[a] <= lo && hi <= x * rf.stride[a] - rf.padding[a] + rf.size[a] - 1;

describe('one input unit resampled to many: every output unit reads it, a stride of 0 (as expand), spread by the merge', () => {
  const row = { name: 's', op: 'slice', inputs: ['x'], starts: [1], ends: [2], axes: [2] };
  it.each([
    ['upsample nearest to size [4, 4] (was stride ¼, size 1.75: unit 3 at rows [1, 1.75], reading row 3)', { op: 'upsample', mode: 'nearest', size: [4, 4] }],
    ['upsample nearest by [4, 1] (was stride ¼)', { op: 'upsample', mode: 'nearest', scaleFactor: [4, 1] }],
    ['upsample bilinear to size [4, 4], alignCorners false (was stride ¼)', { op: 'upsample', mode: 'bilinear', size: [4, 4], alignCorners: false }],
    ['upsample bilinear to size [4, 4], alignCorners true (stride 0 before too: the control)', { op: 'upsample', mode: 'bilinear', size: [4, 4], alignCorners: true }],
    ['adaptiveAvgPool2d to [4, null] (was stride ¼)', { op: 'adaptiveAvgPool2d', outputSize: [4, null] }],
  ])('x + %s, of x[:, :, 1:2] on 4×4: row h reads rows h and 1, so on H the box is [h − 2, h + 1], size 4, padding 2; W one unit', (_, up) => {
    const { rf, warnings } = field([1, 1, 4, 4], [row, { name: 'u', inputs: ['s'], ...up }, { name: 'o', op: 'add', inputs: ['x', 'u'] }]);
    expect(rf).toMatchObject({ global: false, size: [4, 1], stride: [1, 1], padding: [2, 0] });
    for (let h = 0; h < 4; h++) expect(holds(rf, 0, h, [Math.min(h, 1), Math.max(h, 1)])).toBe(true);
    expect(warnings).not.toContain('MISALIGNED_PATHS');
  });

  it.each([
    ['upsample1d nearest to size [4] of x[:, :, 1:2] on [1, 1, 4]', [1, 1, 4], { op: 'upsample1d', mode: 'nearest', size: [4] }, { size: [4], stride: [1], padding: [2] }],
    ['upsample1d linear by 4 of x[:, :, 1:2] on [1, 1, 4]', [1, 1, 4], { op: 'upsample1d', mode: 'linear', scaleFactor: [4] }, { size: [4], stride: [1], padding: [2] }],
    ['upsample3d nearest to size [4, 4, 4] of x[:, :, 1:2] on [1, 1, 4, 4, 4]', [1, 1, 4, 4, 4], { op: 'upsample3d', mode: 'nearest', size: [4, 4, 4] }, { size: [4, 1, 1], stride: [1, 1, 1], padding: [2, 0, 0] }],
  ])('x + %s: as in 2-D, every unit along the one-unit axis reads it (it was stride ¼, size 1.75)', (_, input, up, want) => {
    const { rf } = field(input, [row, { name: 'u', inputs: ['s'], ...up }, { name: 'o', op: 'add', inputs: ['x', 'u'] }]);
    expect(rf).toMatchObject({ global: false, ...want });
  });

  it('x + pixelShuffle by 2 of x\'s row 1 (pooled [1, 2] and a 1×1 conv to 4 channels: [1, 4, 1, 2]) on 2×4: both rows of the shuffle read row 1, stride 0, so row h reads rows h and 1: H [h, h + 1], size 2; W by blocks, [w − 1, w + 1] (H was stride ½ beside x\'s 1: the largest kept, row 0 at [0.5, 1] reading row 0, and MISALIGNED_PATHS)', () => {
    const { rf, warnings } = field([1, 1, 2, 4], [
      { name: 's', op: 'slice', inputs: ['x'], starts: [1], ends: [2], axes: [2] },
      { name: 'p', op: 'avgPool2d', inputs: ['s'], kernelSize: [1, 2], stride: [1, 2] },
      { name: 'c', op: 'conv2d', inputs: ['p'], outChannels: 4, kernelSize: 1, bias: false },
      { name: 'u', op: 'pixelShuffle', inputs: ['c'], upscaleFactor: 2 },
      { name: 'o', op: 'add', inputs: ['x', 'u'] },
    ]);
    expect(rf).toMatchObject({ global: false, size: [2, 3], stride: [1, 1], padding: [0, 1] });
    for (let h = 0; h < 2; h++) expect(holds(rf, 0, h, [Math.min(h, 1), Math.max(h, 1)])).toBe(true);
    expect(warnings).not.toContain('MISALIGNED_PATHS');
  });
  it.each([
    ['upsample nearest by [1.5, 1] (one row stays one row)', { op: 'upsample', mode: 'nearest', scaleFactor: [1.5, 1] }],
    ['upsample nearest-exact by [1.5, 1] (was stride ⅔ at first: the count-1 case fell back to 1/scale, a review)', { op: 'upsample', mode: 'nearest-exact', scaleFactor: [1.5, 1] }],
    ['pixelShuffle by 1', { op: 'pixelShuffle', upscaleFactor: 1 }],
    ['adaptiveAvgPool2d to [1, 2] (the control: one unit to one kept its stride before too)', { op: 'adaptiveAvgPool2d', outputSize: [1, 2] }],
  ])('c + %s of c, c a [1, 3] conv at stride [1, 2] padded [0, 1] on [1, 1, 1, 4]: one unit read by one unit is no spread, H keeps stride 1: size [1, 3], stride [1, 2], padding [0, 1] (H was stride 0 beside c\'s 1: MISALIGNED_PATHS)', (_, up) => {
    const { rf, warnings } = field([1, 1, 1, 4], [
      { name: 'c', op: 'conv2d', inputs: ['x'], outChannels: 1, kernelSize: [1, 3], stride: [1, 2], padding: [0, 1] },
      { name: 'u', inputs: ['c'], ...up },
      { name: 'o', op: 'add', inputs: ['c', 'u'] },
    ]);
    expect(rf).toMatchObject({ global: false, size: [1, 3], stride: [1, 2], padding: [0, 1] });
    expect(warnings).not.toContain('MISALIGNED_PATHS');
  });

  it.each([false, true])('upsample bicubic by [1.5, 1] of a one-row map c (alignCorners %s): H, one unit to one, keeps c\'s stride 1, size 1 (it was stride 0, then ⅔ for alignCorners false in a first version of this rule: a review); W reads bicubic\'s taps', (alignCorners) => {
    const { rf } = field([1, 1, 1, 4], [
      { name: 'c', op: 'conv2d', inputs: ['x'], outChannels: 1, kernelSize: [1, 3], stride: [1, 2], padding: [0, 1] },
      { name: 'u', op: 'upsample', inputs: ['c'], mode: 'bicubic', scaleFactor: [1.5, 1], alignCorners },
    ]);
    expect([rf.size[0], rf.stride[0], rf.padding[0]]).toEqual([1, 1, 0]);
  });
});

describe('concat along a spatial axis of pieces of different strides: one box holds each piece\'s units where they land (piecesEnvelope)', () => {
  it('cat([x, avgPool(x, [1, 2], stride [1, 2])], 3) on 2×4: units 0–3 read column x, units 4 and 5 columns [0, 1] and [2, 3]; at stride 1, P = max(4 − 0, 5 − 2) = 4 and R = 0 + 4 + 1 = 5 (the largest field was kept: size 2, stride 2, padding 8, unit 0 at [−8, −7])', () => {
    const { rf, warnings } = field([1, 1, 2, 4], [
      { name: 'p', op: 'avgPool2d', inputs: ['x'], kernelSize: [1, 2], stride: [1, 2] },
      { name: 'o', op: 'concat', inputs: ['x', 'p'], dim: 3 },
    ]);
    expect(rf).toMatchObject({ global: false, size: [1, 5], stride: [1, 1], padding: [0, 4] });
    const reads: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [0, 1], [2, 3]];
    reads.forEach((read, x) => expect(holds(rf, 1, x, read), `unit ${x}`).toBe(true));
    // side by side, no unit reads two pieces: nothing to misalign
    expect(warnings).not.toContain('MISALIGNED_PATHS');
  });

  it('cat([x[..., :1], x[..., :1] expanded to 4 columns], 3) on 2×4: all five units read column 0: stride 0, size 1 (the one-unit piece\'s stride 1 was kept: unit 4 at [4, 4])', () => {
    const { rf } = field([1, 1, 2, 4], [
      { name: 'c', op: 'slice', inputs: ['x'], starts: [0], ends: [1], axes: [3] },
      { name: 's', op: 'shape', inputs: ['x'] },
      { name: 'e', op: 'expand', inputs: ['c', 's'] },
      { name: 'o', op: 'concat', inputs: ['c', 'e'], dim: 3 },
    ]);
    expect(rf).toMatchObject({ global: false, size: [1, 1], stride: [1, 0], padding: [0, 0] });
  });

  it('cat([x[..., :1] expanded to 4 columns, x[..., 3:4]], 3) on 2×4: units 0–3 read column 0, unit 4 column 3; stride 0 and stride 1 both need size 4, the first (0) is kept: every unit at [0, 3] (it was stride 0, size 1: unit 4 at [0, 0])', () => {
    const { rf } = field([1, 1, 2, 4], [
      { name: 'c', op: 'slice', inputs: ['x'], starts: [0], ends: [1], axes: [3] },
      { name: 's', op: 'shape', inputs: ['x'] },
      { name: 'e', op: 'expand', inputs: ['c', 's'] },
      { name: 'l', op: 'slice', inputs: ['x'], starts: [3], ends: [4], axes: [3] },
      { name: 'o', op: 'concat', inputs: ['e', 'l'], dim: 3 },
    ]);
    expect(rf).toMatchObject({ global: false, size: [1, 4], stride: [1, 0], padding: [0, 0] });
  });
});

describe('a tiled axis of n > 1 units: output unit u reads input unit u mod n, so stride 0 over the envelope of the n units\' boxes', () => {
  it('an unpadded 1×3 conv on 1×6 (4 units, unit u at [u, u + 2]) tiled twice along W: all 8 units inside [0, 5], size 3 + 3·1 = 6, stride 0 (the first copy\'s field was kept: unit 4, reading [0, 2], boxed at [4, 6])', () => {
    const { rf } = field([1, 1, 1, 6], [
      { name: 'c', op: 'conv2d', inputs: ['x'], outChannels: 1, kernelSize: [1, 3], bias: false },
      { name: 't', op: 'tile', inputs: ['c'], repeats: [1, 1, 1, 2] },
    ]);
    expect(rf).toMatchObject({ global: false, size: [1, 6], stride: [1, 0], padding: [0, 0] });
    for (let u = 0; u < 8; u++) expect(holds(rf, 1, u, [u % 4, (u % 4) + 2]), `unit ${u}`).toBe(true);
  });

  it('x + tile(x[..., :2], 2) on 1×4: unit w reads columns w and w mod 2, inside its box; the tiled operand (stride 0, box [0, 1]) is spread over the 4 units at x\'s stride, size 2 + 3 = 5, padding 3 (the tightest at stride 1 is size 3, padding 2: a spread box is the whole box at every unit)', () => {
    const { rf } = field([1, 1, 1, 4], [
      { name: 's', op: 'slice', inputs: ['x'], starts: [0], ends: [2], axes: [3] },
      { name: 't', op: 'tile', inputs: ['s'], repeats: [1, 1, 1, 2] },
      { name: 'o', op: 'add', inputs: ['x', 't'] },
    ]);
    for (let w = 0; w < 4; w++) expect(holds(rf, 1, w, [Math.min(w, w % 2), Math.max(w, w % 2)]), `unit ${w}`).toBe(true);
    expect(rf).toMatchObject({ global: false, size: [1, 5], stride: [1, 1], padding: [0, 3] });
  });
});

describe('a tiled map (stride 0 on an axis) is not a map of input positions: no candidate for the final feature map', () => {
  it('tile [1, 1, 1, 2] of an 8×8 input, then a 3×3 conv padded 1: every map is tiled, so no resolution check and no INPUT_NOT_MULTIPLE_OF_STRIDE (the tiled map was taken: stride [1, 0], "the input 8×8 is not a multiple of the total stride 1×0")', () => {
    const r = analyze({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      layers: [
        { name: 't', op: 'tile', inputs: ['x'], repeats: [1, 1, 1, 2] },
        { name: 'c', op: 'conv2d', inputs: ['t'], outChannels: 8, kernelSize: 3, padding: 1 },
      ],
    });
    expect(r.structure.resolution).toBeNull();
    expect(r.warnings.map((w) => w.code)).not.toContain('INPUT_NOT_MULTIPLE_OF_STRIDE');
  });

  it('a stride-2 conv on 30×30, tiled twice along H, then another stride-2 conv: the final feature map is the first conv\'s (stride [2, 2]): the tiled maps after it have no input positions on H (so c2\'s W, downsampled by 4, goes unchecked: a known limit; it was c2 at [4, 4] when tile kept its first copy\'s field)', () => {
    const r = analyze({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 3, 30, 30] }],
      layers: [
        { name: 'c', op: 'conv2d', inputs: ['x'], outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
        { name: 't', op: 'tile', inputs: ['c'], repeats: [1, 1, 2, 1] },
        { name: 'c2', op: 'conv2d', inputs: ['t'], outChannels: 8, kernelSize: 3, stride: 2, padding: 1 },
      ],
    });
    expect(r.structure.resolution).toMatchObject({ finalFeatureMapLayer: 'c', downsamplingStride: [2, 2] });
  });
});

describe('MISALIGNED_PATHS on a concat names the axes that misalign, not the concat\'s own', () => {
  it('cat([x[:, :, :3], avgPool2d(x, [2, 2], stride [1, 2])], 3) on 4×4: on W the strides differ (piecesEnvelope holds them), on H they are equal and the centres differ: "different centres: the union of their fields is kept"', () => {
    const r = analyze({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 1, 4, 4] }],
      layers: [
        { name: 'a', op: 'slice', inputs: ['x'], starts: [0], ends: [3], axes: [2] },
        { name: 'p', op: 'avgPool2d', inputs: ['x'], kernelSize: [2, 2], stride: [1, 2] },
        { name: 'o', op: 'concat', inputs: ['a', 'p'], dim: 3 },
      ],
    });
    const misaligned = r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS');
    expect(misaligned).toHaveLength(1);
    expect(misaligned[0].message).toContain('different centres: the union of their fields is kept');
  });
});

describe('a reduction over some spatial axes, kept as dims of one unit: a window over each reduced axis, the others as they were', () => {
  it('x · x.mean(3, keepdim=True) on 4×5: unit (h, w) reads row h, all 5 columns: H size 1; W at stride 1 P = max(w − 0) = 4, R = max(4 − w) + 4 + 1 = 9 (it was global); wider than the input, with no padding: RECEPTIVE_FIELD_EXCEEDS_INPUT says why (it said the units see padding)', () => {
    const r = analyze({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 1, 4, 5] }],
      layers: [
        { name: 'g', op: 'reduceMean', inputs: ['x'], axes: [3], keepDims: true },
        { name: 'o', op: 'mul', inputs: ['x', 'g'] },
      ],
    });
    expect(r.layers[1].receptiveField).toMatchObject({ global: false, size: [1, 9], stride: [1, 1], padding: [0, 4] });
    const wide = r.warnings.filter((w) => w.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT');
    expect(wide.map((w) => w.message)).toEqual([
      "output 'o' has a receptive field of 1×9, wider than the 4×5 input: its units' boxes reach past the input's edges (padding, or the envelope of a broadcast or tiled operand's reads, as x · x.mean(3, keepdim=True) has)",
    ]);
  });

  it('the same as adaptiveAvgPool2d to [null, 1], whose field it now equals', () => {
    const pooled = field([1, 1, 4, 5], [
      { name: 'g', op: 'adaptiveAvgPool2d', inputs: ['x'], outputSize: [null, 1] },
      { name: 'o', op: 'mul', inputs: ['x', 'g'] },
    ]);
    const reduced = field([1, 1, 4, 5], [
      { name: 'g', op: 'reduceMax', inputs: ['x'], axes: [3], keepDims: true },
      { name: 'o', op: 'mul', inputs: ['x', 'g'] },
    ]);
    expect(reduced.rf).toEqual(pooled.rf);
  });

  it.each([
    ['over H and W, kept', { axes: [2, 3], keepDims: true }],
    ['over W, dropped (no axis left to hold the extent it read)', { axes: [3], keepDims: false }],
    ['over W of a one-row map [1, 1, 1, 5] (the axis kept is of one unit: a summary)', { axes: [3], keepDims: true }, [1, 1, 1, 5]],
  ])('reduceMean %s: global', (_, attrs, input = [1, 1, 4, 5]) => {
    const { rf } = field(input as number[], [{ name: 'g', op: 'reduceMean', inputs: ['x'], ...attrs }]);
    expect(rf.global).toBe(true);
  });
});
