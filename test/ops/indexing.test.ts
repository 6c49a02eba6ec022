/** split, slice, pad, gather (src/ops/indexing.ts): regions chosen by index, ONNX semantics. */
import { describe, expect, it } from 'vitest';
import { gather, slice, split } from '../../src/ops/indexing.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, iota, ints, run } from './op-helpers.js';

describe('split', () => {
  it('[2,5] axis 1 into 2 equal parts: ceil(5/2) = 3, then 2', () => {
    expect(run('split', [[[2, 5], iota(10)]], { axis: 1, numOutputs: 2 })).toEqual([
      { shape: [2, 3], data: [0, 1, 2, 5, 6, 7] },
      { shape: [2, 2], data: [3, 4, 8, 9] },
    ]);
  });

  it('sizes [1, 2] along axis −1 of [2,3]', () => {
    expect(inferOf(split, [[2, 3]], { axis: -1, split: [1, 2] }).outputs).toEqual([[2, 1], [2, 2]]);
  });

  it('known values fold part by part: torch.repeat_interleave(t, 3136, 0) exports Split(Expand(3136, [8])) into 8 counts, read as the shapes of its Concat', () => {
    const inf = inferOf(split, [[2, 3]], { axis: 1, split: [1, 2] }, [{ data: [0, 1, 2, 3, 4, 5], integer: true }]);
    expect(inf.values).toEqual([
      { data: [0, 3], integer: true },
      { data: [1, 2, 4, 5], integer: true },
    ]);
    const counts = inferOf(split, [[8]], { axis: 0, numOutputs: 8 }, [{ data: new Array(8).fill(3136), integer: true }]);
    expect(counts.values).toEqual(new Array(8).fill({ data: [3136], integer: true }));
    // an unknown input folds nothing
    expect(inferOf(split, [[2, 3]], { axis: 1, split: [1, 2] }).values).toEqual([null, null]);
  });

  it('sizes that do not sum to the dim are SHAPE_MISMATCH at split', () => {
    const e = errorOf(() => inferOf(split, [[2, 5]], { axis: 1, split: [1, 1] }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details.path).toBe('$.split');
  });

  /** x [1, 4] split on axis 1 by the sizes a shape layer reads off z: z [1, 1, 2] gives sizes [1, 1, 2], three parts. */
  const bySizesOf = (z: number[], numOutputs?: number) => ({
    inputs: [{ name: 'x', shape: [1, 4] }, { name: 'z', shape: z }],
    layers: [
      { name: 's', op: 'shape', inputs: ['z'] },
      { name: 'sp', op: 'split', inputs: ['x', 's'], axis: 1, ...(numOutputs !== undefined && { numOutputs }) },
    ],
  });

  it('sizes from another layer ([1, 1, 2]) that make 3 outputs where the spec declares 2 (numOutputs default) or 4: INVALID_ATTRIBUTE at $.layers[1].inputs[1] (the third part was dropped; a missing one read as unsupported)', () => {
    for (const [z, n, declared] of [[[1, 1, 2], undefined, 2], [[1, 1, 2], 4, 4], [[4], undefined, 2]] as const) {
      const e = errorOf(() => analyze(bySizesOf([...z], n)));
      expect([e.code, e.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.layers[1].inputs[1]']);
      expect(e.message).toContain(`from input 1 make ${z.length} output${z.length === 1 ? '' : 's'}, the layer declares ${declared}`);
    }
  });

  it('sizes from another layer ([1, 1, 2]) with numOutputs 3: the parts [1, 1], [1, 1], [1, 2]', () => {
    expect(layer(analyze(bySizesOf([1, 1, 2], 3)), 'sp').outputShapes).toEqual([[1, 1], [1, 1], [1, 2]]);
  });

  /** x [1, 1, 12, 10], a 3×3 conv padded 1 (unit h reads rows h − 1 … h + 1), split along H into [6, 6]. */
  const halves = (...after: Record<string, unknown>[]) => ({
    inputs: [{ name: 'x', shape: [1, 1, 12, 10] }],
    layers: [
      { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1, bias: false },
      { name: 'sp', op: 'split', inputs: ['c'], axis: 2, split: [6, 6] },
      ...after,
    ],
    ...(after.length === 0 && { outputs: ['sp', 'sp:1'] }),
  });

  it('receptive field: a piece cut along a spatial axis starts where it was cut: the second half\'s unit 0 is the conv\'s unit 6 (rows 5 … 7, padding −5 on H); the first half keeps the conv\'s field', () => {
    const r = analyze(halves());
    const field = (name: string) => r.outputs.find((o) => o.name === name)?.receptiveField;
    expect(field('sp')).toMatchObject({ size: [3, 3], stride: [1, 1], padding: [1, 1] });
    expect(field('sp:1')).toMatchObject({ size: [3, 3], stride: [1, 1], padding: [-5, 1] });
  });

  it('receptive field: the halves added (x[:, :, :6] + x[:, :, 6:]): unit h reads rows h − 1 … h + 7, size 9 on H, padding 1, as autograd finds (was 3, the first half\'s alone)', () => {
    const r = analyze(halves({ name: 'sum', op: 'add', inputs: ['sp', 'sp:1'] }));
    expect(layer(r, 'sum').receptiveField).toMatchObject({ size: [9, 3], stride: [1, 1], padding: [1, 1] });
    expect(r.warnings.map((w) => w.code)).toContain('MISALIGNED_PATHS');
  });

  // a review: the pieces had slice's offset but not the border it gives (the 6 rows each leaves out), which the structure checks read
  it('receptive field: each piece\'s field is the slice of the same rows\' (x[:, :, 0:6] and x[:, :, 6:12]), with the border of 6 rows it leaves out (the resolution check: a border of 6×0)', () => {
    const pieces = analyze(halves());
    const sliced = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 12, 10] }],
      layers: [
        { name: 'c', op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1, bias: false },
        { name: 'top', op: 'slice', inputs: ['c'], starts: [0], ends: [6], axes: [2] },
        { name: 'bottom', op: 'slice', inputs: ['c'], starts: [6], ends: [12], axes: [2] },
      ],
      outputs: ['top', 'bottom'],
    });
    const field = (r: typeof pieces, name: string) => r.outputs.find((o) => o.name === name)?.receptiveField;
    expect(field(pieces, 'sp')).toEqual(field(sliced, 'top'));
    expect(field(pieces, 'sp:1')).toEqual(field(sliced, 'bottom'));
    // the border (12 − 6 rows left out) is what the resolution check reads: inputs of 6 rows plus 6
    expect(pieces.structure.resolution?.validInputSizes).toBe('any size its windows fit (no downsampling; they lose a border of 6×0)');
    expect({ ...pieces.structure.resolution, finalFeatureMapLayer: 'bottom' }).toEqual(sliced.structure.resolution);
  });
});

describe('slice (ONNX clamping: negative + dim, then clamped to the axis)', () => {
  it('[10..14] 1:100:2 → [11, 13] (the end clamps to 5)', () => {
    expect(run('slice', [[[5], [10, 11, 12, 13, 14]]], { starts: [1], ends: [100], steps: [2] })).toEqual([{ shape: [2], data: [11, 13] }]);
  });

  it('x[1:] as torch.onnx writes it (end INT64_MAX = 9223372036854775807, past 2^53) and x[::-1] (start INT64_MAX, end INT64_MIN): clamped, not refused', () => {
    expect(run('slice', [[[5], [10, 11, 12, 13, 14]]], { starts: [1], ends: [9223372036854775807] })).toEqual([{ shape: [4], data: [11, 12, 13, 14] }]);
    expect(run('slice', [[[3], [1, 2, 3]]], { starts: [9223372036854775807], ends: [-9223372036854775808], steps: [-1] })).toEqual([{ shape: [3], data: [3, 2, 1] }]);
    expect(errorOf(() => run('slice', [[[3], [1, 2, 3]]], { starts: [0.5], ends: [2] })).code).toBe('SPEC_INVALID');
  });

  it('step −1 from −1 to −100 reverses: start 4, end clamps to −1, ceil((−1 − 4)/−1) = 5 elements', () => {
    expect(run('slice', [[[5], [10, 11, 12, 13, 14]]], { starts: [-1], ends: [-100], steps: [-1] })).toEqual([{ shape: [5], data: [14, 13, 12, 11, 10] }]);
  });

  it('[3,4] rows 0:2, cols 1:−1 → [[1,2],[5,6]]', () => {
    expect(run('slice', [[[3, 4], iota(12)]], { starts: [0, 1], ends: [2, -1], axes: [0, 1] })).toEqual([{ shape: [2, 2], data: [1, 2, 5, 6] }]);
  });

  it('step 0 is INVALID_ATTRIBUTE; a start past the end gives an empty axis', () => {
    expect(errorOf(() => inferOf(slice, [[5]], { starts: [0], ends: [5], steps: [0] })).code).toBe('INVALID_ATTRIBUTE');
    expect(inferOf(slice, [[5]], { starts: [4], ends: [2] }).outputs).toEqual([[0]]);
  });

  it.each([
    ['ends', { starts: [0, 1], ends: [1] }, 'slice: starts has 2 values and ends 1; each sliced axis takes one of each'],
    ['axes', { starts: [0], ends: [1], axes: [0, 1] }, 'slice: starts has 1 values and axes 2; each sliced axis takes one of each'],
    ['steps', { starts: [0, 0], ends: [1, 1], steps: [1] }, 'slice: starts has 2 values and steps 1; each sliced axis takes one of each'],
  ])('starts and %s of different lengths on [1,2,4,4]: INVALID_ATTRIBUTE at that attribute (it was a NaN dim)', (field, attrs, message) => {
    const e = errorOf(() => inferOf(slice, [[1, 2, 4, 4]], attrs));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', message, details: { path: `$.${field}` } });
  });

  it('a known 1-D value is folded: [2,3,4,5][1:3] = [3, 4]', () => {
    expect(inferOf(slice, [[4]], { starts: [1], ends: [3] }, [ints(2, 3, 4, 5)]).values).toEqual([ints(3, 4)]);
  });

  it('receptive field: W sliced with step 2 from 1 doubles the jump of the 3×3 conv\'s field', () => {
    const r = analyze(net([1, 1, 8, 8], { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 1 }, { op: 'slice', starts: [1], ends: [8], axes: [3], steps: [2] }));
    expect(layer(r, 'l1').outputShape).toEqual([1, 1, 8, 4]);
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [3, 3], stride: [1, 2] });
  });
});

describe('an empty slice (x[:, 2:2], as torch.roll by 0 exports): legal, and only a concat reads it', () => {
  const withEmpty = (consumer: Record<string, unknown>) => ({
    inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
    layers: [
      { name: 'conv', op: 'conv2d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'e', op: 'slice', inputs: 'conv', starts: [2], ends: [2], axes: [1] },
      { name: 'cat', op: 'concat', inputs: ['conv', 'e'] },
      { name: 'use', ...consumer },
    ],
  });

  it('concat(conv, conv[:, 2:2]) is the conv: [1, 4, 4, 4], its 3×3 field, no misalignment warning, and the empty map is not the final one', () => {
    const r = analyze(withEmpty({ op: 'relu', inputs: 'cat' }));
    expect(layer(r, 'e').outputShape).toEqual([1, 0, 4, 4]);
    expect(layer(r, 'cat')).toMatchObject({ outputShape: [1, 4, 4, 4], receptiveField: { size: [3, 3], stride: [1, 1] } });
    expect(r.warnings.map((w) => w.code)).not.toContain('MISALIGNED_PATHS');
    expect(r.structure.resolution?.finalFeatureMap).toEqual([4, 4]);
  });

  it.each([
    ['conv2d over its 0 channels (PyTorch: the bias alone)', { op: 'conv2d', inputs: 'e', outChannels: 2, kernelSize: 1 }],
    ['reduceMax over the empty axis (PyTorch refuses it)', { op: 'reduceMax', inputs: 'e', axes: [1] }],
  ])('%s: 400 NON_POSITIVE_SIZE naming the empty input, not NaN', (_, consumer) => {
    const e = errorOf(() => analyze(withEmpty(consumer)));
    expect([e.code, e.details.layer]).toEqual(['NON_POSITIVE_SIZE', 'use']);
    expect(e.message).toContain('input 0 [1, 0, 4, 4] is empty');
    // the op by its name, without an article ("a add" read wrongly)
    expect(e.message).toContain(`and ${consumer.op} does not read one`);
  });
});

describe('pad (pads = [begin per axis…, end per axis…])', () => {
  it('[[1,2],[3,4]] pads [1,0,0,1] constant 9: a row above, a column right', () => {
    expect(run('pad', [[[2, 2], [1, 2, 3, 4]]], { pads: [1, 0, 0, 1], value: 9 })).toEqual([{ shape: [3, 3], data: [9, 9, 9, 1, 2, 9, 3, 4, 9] }]);
  });

  it.each([
    ['reflect', [2, 1], [3, 2, 1, 2, 3, 2]],
    ['edge', [1, 2], [1, 1, 2, 3, 3, 3]],
    ['wrap', [1, 1], [3, 1, 2, 3, 1]],
  ])('[1,2,3] mode %s pads %j → %j', (mode, pads, want) => {
    expect(run('pad', [[[3], [1, 2, 3]]], { pads, mode })[0].data).toEqual(want);
  });

  it.each([
    ['reflect', [3, 0], 'at most 2 there (PyTorch: Padding size should be less than the corresponding input dimension)'],
    ['reflect', [0, 5], 'at most 2 there'],
    ['wrap', [4, 0], 'at most 3 there (PyTorch: Padding value causes wrapping around more than once)'],
  ])('[1,2,3] mode %s pads %j: wider than PyTorch pads (reflect ≤ size − 1, wrap ≤ size) is INVALID_ATTRIBUTE at pads', (mode, pads, message) => {
    const e = errorOf(() => analyze(net([3], { op: 'pad', pads, mode })));
    expect([e.code, e.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.layers[0].pads']);
    expect(e.message).toContain(message);
  });

  it('[1,2,3] reflect pads [2, 2] (size − 1, the most) → [3, 2, 1, 2, 3, 2, 1]; wrap pads [3, 0] → [1, 2, 3, 1, 2, 3]', () => {
    expect(run('pad', [[[3], [1, 2, 3]]], { pads: [2, 2], mode: 'reflect' })[0].data).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(run('pad', [[[3], [1, 2, 3]]], { pads: [3, 0], mode: 'wrap' })[0].data).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('negative pads crop: [1,2,3,4] pads [−1, −1] → [2, 3]', () => {
    expect(run('pad', [[[4], [1, 2, 3, 4]]], { pads: [-1, -1] })).toEqual([{ shape: [2], data: [2, 3] }]);
  });

  // found by the differential run against PyTorch: a crop over the axis was filled with the value
  it('pad constant x=[1, 1, 5] pads [−6, 3] on the last axis: PyTorch refuses (its narrow crops first; start + length exceeds dimension size), INVALID_ATTRIBUTE at pads; [−5, 2] crops all 5 and gives [0, 0], as F.pad', () => {
    const x: [number[], number[]] = [[1, 1, 5], [1, 2, 3, 4, 5]];
    for (const p of [[-6, 3], [3, -6]]) {
      const e = errorOf(() => run('pad', [x], { pads: [0, 0, p[0], 0, 0, p[1]], mode: 'constant' }));
      expect(e.code).toBe('INVALID_ATTRIBUTE');
      expect(e.details.path).toBe('$.attributes.pads');
    }
    expect(run('pad', [x], { pads: [0, 0, -5, 0, 0, 2], mode: 'constant' })).toEqual([{ shape: [1, 1, 2], data: [0, 0] }]);
    // edge and reflect read by PyTorch's index formulas there, which convlens follows: replicate (−6, 3) gives [5, 5]
    expect(run('pad', [x], { pads: [0, 0, -6, 0, 0, 3], mode: 'edge' })[0].data).toEqual([5, 5]);
  });

  // found by the differential run against PyTorch: a 1-D reflect/edge pad to 0 units answered an empty tensor
  it('pad x=[2] reflect pads [−1, −1] and edge pads [−2, 0] leave 0 units: NON_POSITIVE_SIZE at pads, as F.pad refuses (input (W: 2) is too small. Calculated output W: 0); constant and wrap pads [−2, 0] give [] as F.pad', () => {
    for (const [mode, pads] of [['reflect', [-1, -1]], ['edge', [-2, 0]]] as const) {
      const e = errorOf(() => run('pad', [[[2], [1, 2]]], { pads, mode }));
      expect(e.code).toBe('NON_POSITIVE_SIZE');
      expect(e.details.path).toBe('$.attributes.pads');
    }
    expect(run('pad', [[[2], [1, 2]]], { pads: [-2, 0] })).toEqual([{ shape: [0], data: [] }]);
    expect(run('pad', [[[2], [1, 2]]], { pads: [-2, 0], mode: 'wrap' })).toEqual([{ shape: [0], data: [] }]);
  });

  it('3 pads for a 2-D input are INVALID_ATTRIBUTE at pads', () => {
    expect(errorOf(() => analyze(net([2, 2], { op: 'pad', pads: [1, 1, 1] }))).details.path).toBe('$.layers[0].pads');
  });

  it('receptive field: padding H and W by 1 after a 3×3 conv (no padding) adds 1 to the field\'s padding', () => {
    const r = analyze(net([1, 1, 8, 8], { op: 'conv2d', outChannels: 1, kernelSize: 3 }, { op: 'pad', pads: [0, 0, 1, 1, 0, 0, 1, 1] }));
    expect(layer(r, 'l0').receptiveField).toMatchObject({ size: [3, 3], padding: [0, 0] });
    expect(layer(r, 'l1').receptiveField).toMatchObject({ size: [3, 3], padding: [1, 1] });
  });
});

describe('gather (y.shape = x.shape[:axis] + indices.shape + x.shape[axis+1:])', () => {
  it('[3,2] rows [2, 0] → [[4,5],[0,1]]; column [1] of axis 1 → [[1],[3],[5]]; index −1 is the last row', () => {
    expect(run('gather', [[[3, 2], iota(6)], [[2], [2, 0]]])).toEqual([{ shape: [2, 2], data: [4, 5, 0, 1] }]);
    expect(run('gather', [[[3, 2], iota(6)], [[1], [1]]], { axis: 1 })).toEqual([{ shape: [3, 1], data: [1, 3, 5] }]);
    expect(run('gather', [[[3, 2], iota(6)], [[1], [-1]]])[0].data).toEqual([4, 5]);
  });

  it('indices of shape [5, 6] along axis 1 of [2,3,4] → [2,5,6,4]', () => {
    expect(inferOf(gather, [[2, 3, 4], [5, 6]], { axis: 1 }).outputs).toEqual([[2, 5, 6, 4]]);
  });

  it('known values fold: [10,20,30,40] at [−1, 0] → [40, 10]; index 4 is out of range', () => {
    expect(inferOf(gather, [[4], [2]], {}, [ints(10, 20, 30, 40), ints(-1, 0)]).values).toEqual([ints(40, 10)]);
    expect(errorOf(() => inferOf(gather, [[4], [1]], {}, [ints(10, 20, 30, 40), ints(4)])).code).toBe('INVALID_ATTRIBUTE');
  });
});
