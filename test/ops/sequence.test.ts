/** constantOfShape, range, tile, cumSum, trilu (src/ops/sequence.ts): shapes from values, folding, kernels. */
import { describe, expect, it } from 'vitest';
import { constantOfShape, cumSum, range, tile, trilu } from '../../src/ops/sequence.js';
import { MAX_FOLDED_TENSOR } from '../../src/limits.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, ints, iota, run } from './op-helpers.js';

const floats = (...data: number[]) => ({ data, integer: false });

describe('constantOfShape', () => {
  it('shape [2, 3] with value 1 (int64) folds to six integer ones; no FLOPs', () => {
    const r = inferOf(constantOfShape, [[2]], { value: 1, dtype: 'int64' }, [ints(2, 3)]);
    expect(r.outputs).toEqual([[2, 3]]);
    expect(r.values).toEqual([{ data: [1, 1, 1, 1, 1, 1], integer: true }]);
    expect(r.cost.elementwise).toBe(0);
  });

  it('an empty shape gives a scalar, also when the file stores no values for it (torchvision’s anchor generators); the default is float32 0', () => {
    const r = inferOf(constantOfShape, [[0]], {}, [ints()]);
    expect(r.outputs).toEqual([[]]);
    expect(r.values).toEqual([{ data: [0], integer: false }]);
    expect(inferOf(constantOfShape, [[0]], { value: 2 }, [null]).values).toEqual([{ data: [2], integer: false }]);
  });

  it(`beyond the folding cap (${MAX_FOLDED_TENSOR} elements) the shape is known but the value is left to the kernel, which fills it`, () => {
    const r = inferOf(constantOfShape, [[3]], { value: 0.5 }, [ints(1, 300, 300)]);
    expect(r.outputs).toEqual([[1, 300, 300]]);
    expect(r.values).toEqual([null]);
    const out = constantOfShape.run({ attrs: { value: 0.5, dtype: 'float32' }, plan: null, inputs: [], weights: {}, outputs: [[1, 300, 300]], training: false, seed: 0 });
    expect(out[0].data.length).toBe(90_000);
    expect(out[0].data.every((v) => v === 0.5)).toBe(true);
  });

  it('a shape that is not a known constant is INVALID_ATTRIBUTE (the output size depends on it)', () => {
    expect(errorOf(() => inferOf(constantOfShape, [[2]], {}, [null])).code).toBe('INVALID_ATTRIBUTE');
  });

  it('a negative dimension ([-1, 3]) or a shape that is not 1-D ([[2, 3]]) is refused at the shape input, $.inputs[0] (it was $.inputs)', () => {
    expect(errorOf(() => inferOf(constantOfShape, [[2]], {}, [ints(-1, 3)])).details.path).toBe('$.inputs[0]');
    expect(errorOf(() => inferOf(constantOfShape, [[1, 2]], {}, [ints(2, 3)])).details.path).toBe('$.inputs[0]');
  });
});

describe('range', () => {
  // torch.arange(0, 10, 3) = [0, 3, 6, 9]; torch.arange(5, 0, -2) = [5, 3, 1]; torch.arange(1., 2., .3) has ⌈1/0.3⌉ = 4 elements
  it.each([
    [[0, 10, 3], true, [0, 3, 6, 9]],
    [[5, 0, -2], true, [5, 3, 1]],
    [[3, 3, 1], true, []],
    [[0, -4, 1], true, []],
  ])('range(start, limit, delta) = %j (int64) → %j', ([s, l, d], integer, want) => {
    const r = inferOf(range, [[], [], []], {}, [ints(s), ints(l), ints(d)]);
    expect(r.outputs).toEqual([[want.length]]);
    expect(r.values).toEqual([{ data: want, integer }]);
  });

  it('float range(1, 2, 0.3): 4 elements, 1 + 0.3·i, not integer; one FLOP each', () => {
    const r = inferOf(range, [[], [], []], {}, [floats(1), floats(2), floats(0.3)]);
    expect(r.outputs).toEqual([[4]]);
    expect(r.values![0]!.integer).toBe(false);
    expect(r.values![0]!.data.map((v) => Math.round(v * 10) / 10)).toEqual([1, 1.3, 1.6, 1.9]);
    expect(r.cost.elementwise).toBe(4);
  });

  it('delta 0 and unknown bounds are INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => inferOf(range, [[], [], []], {}, [ints(0), ints(4), ints(0)])).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => inferOf(range, [[], [], []], {}, [null, ints(4), ints(1)])).message).toContain('start');
  });

  it('each refusal points at the input at fault (it was $.inputs, which of three?): delta 0 at $.inputs[2], an unknown start at $.inputs[0], an unknown limit at $.inputs[1]', () => {
    const pathOf = (values: (ReturnType<typeof ints> | null)[]) => errorOf(() => inferOf(range, [[], [], []], {}, values)).details.path;
    expect(pathOf([ints(0), ints(4), ints(0)])).toBe('$.inputs[2]');
    expect(pathOf([null, ints(4), ints(1)])).toBe('$.inputs[0]');
    expect(pathOf([ints(0), null, ints(1)])).toBe('$.inputs[1]');
  });
});

describe('tile', () => {
  it('[2,3] repeats [2,1]: rows repeat; folded values follow the kernel', () => {
    expect(run('tile', [[[2, 3], iota(6)], [[2], [2, 1]]])).toEqual([{ shape: [4, 3], data: [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5] }]);
    expect(inferOf(tile, [[2], [1]], {}, [ints(7, 8), ints(3)]).values).toEqual([{ data: [7, 8, 7, 8, 7, 8], integer: true }]);
  });

  it('[1,2] repeats [2,2] → [[0,1,0,1],[0,1,0,1]]', () => {
    expect(run('tile', [[[1, 2], [0, 1]]], { repeats: [2, 2] })).toEqual([{ shape: [2, 4], data: [0, 1, 0, 1, 0, 1, 0, 1] }]);
  });

  it('repeats of the wrong length are INVALID_ATTRIBUTE naming the shape', () => {
    const e = errorOf(() => inferOf(tile, [[2, 3]], { repeats: [2] }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('[2, 3]');
  });
});

describe('cumSum', () => {
  it.each([
    [{ dim: 0 }, [1, 3, 6, 10]],
    [{ dim: 0, exclusive: true }, [0, 1, 3, 6]],
    [{ dim: 0, reverse: true }, [10, 9, 7, 4]],
    [{ dim: 0, exclusive: true, reverse: true }, [9, 7, 4, 0]],
  ])('[1,2,3,4] %j → %j (ONNX CumSum examples)', (attrs, want) => {
    expect(run('cumSum', [[[4], [1, 2, 3, 4]]], attrs)[0].data).toEqual(want);
    expect(inferOf(cumSum, [[4]], attrs, [ints(1, 2, 3, 4)]).values).toEqual([{ data: want, integer: true }]);
  });

  it('the axis comes from a constant input; one addition per element', () => {
    const r = inferOf(cumSum, [[2, 3], []], {}, [null, ints(-1)]);
    expect(r.plan.axis).toBe(1);
    expect(r.cost.elementwise).toBe(6);
  });

  // the attribute is dim (torch.cumsum's); the refusal named 'axis' (the ONNX input's name) at
  // $.layers[0].axis, and a spec that then wrote axis was told cumSum has no attribute axis
  it('neither dim nor an axis input: INVALID_ATTRIBUTE naming dim, at $.layers[0].dim', () => {
    const e = errorOf(() => analyze(net([1, 2, 4, 4], { op: 'cumSum' })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toBe("layer 'l0': dim is required (attribute or constant input 1)");
    expect(e.details.path).toBe('$.layers[0].dim');
  });

  it('receptive field: along W it is global (the last unit sums the row), along channels it passes through', () => {
    expect(layer(analyze(net([1, 2, 4, 4], { op: 'cumSum', dim: 3 })), 'l0').receptiveField).toMatchObject({ global: true });
    expect(layer(analyze(net([1, 2, 4, 4], { op: 'cumSum', dim: 1 })), 'l0').receptiveField).toMatchObject({ global: false, size: [1, 1] });
  });
});

describe('trilu', () => {
  // x = [[0,1,2],[3,4,5],[6,7,8]]
  it.each([
    [{}, [0, 1, 2, 0, 4, 5, 0, 0, 8]],
    [{ diagonal: 1 }, [0, 1, 2, 0, 0, 5, 0, 0, 0]],
    [{ upper: false }, [0, 0, 0, 3, 4, 0, 6, 7, 8]],
    [{ upper: false, diagonal: -1 }, [0, 0, 0, 3, 0, 0, 6, 7, 0]],
  ])('3×3 iota %j → %j', (attrs, want) => {
    expect(run('trilu', [[[3, 3], iota(9)]], attrs)[0].data).toEqual(want);
    expect(inferOf(trilu, [[3, 3]], attrs, [ints(...iota(9))]).values![0]!.data).toEqual(want);
  });

  it('a rank-1 input is RANK_MISMATCH', () => {
    expect(errorOf(() => inferOf(trilu, [[4]])).code).toBe('RANK_MISMATCH');
  });
});
