/** Element-wise math (src/ops/math.ts) and logic (src/ops/logic.ts): folding with ONNX's integer semantics, costs, fields. */
import { describe, expect, it } from 'vitest';
import { ceil, floor, maximum, minimum, mod, neg, pow, sqrt } from '../../src/ops/math.js';
import { equal, logicalNot, where } from '../../src/ops/logic.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, ints, run } from './op-helpers.js';

const floats = (...data: number[]) => ({ data, integer: false });

describe('element-wise math', () => {
  it.each([
    // remainder takes the divisor's sign (Python's %, torch.remainder); fmod the dividend's (C, torch.fmod)
    [false, [7, -7, 7, -7], [3, 3, -3, -3], [1, 2, -2, -1]],
    [true, [7, -7, 7, -7], [3, 3, -3, -3], [1, -1, 1, -1]],
  ])('mod fmod=%s of int64 [7,-7,7,-7] by [3,3,-3,-3] folds to %j', (fmod, a, b, want) => {
    const r = inferOf(mod, [[4], [4]], { fmod }, [ints(...a), ints(...b)]);
    expect(r.values).toEqual([{ data: want, integer: true }]);
  });

  it("mod of a Swin window padding: (7 − 56 mod 7) mod 7 = 0 and (7 − 28 mod 7) mod 7 = 0, but 7 − 30 mod 7 = 5", () => {
    const m = (a: number, b: number) => inferOf(mod, [[], []], {}, [ints(a), ints(b)]).values![0]!.data[0];
    expect(m(7 - m(56, 7), 7)).toBe(0);
    expect(m(7 - m(30, 7), 7)).toBe(5);
  });

  it('mod of floats with fmod false: 5.5 mod −2 = −0.5 (the divisor’s sign), a float', () => {
    expect(inferOf(mod, [[1], [1]], {}, [floats(5.5), floats(-2)]).values).toEqual([{ data: [-0.5], integer: false }]);
  });

  it('pow of int64 stays integer (2³ = 8); of floats it is a float; a float exponent on an int64 base keeps the base’s type', () => {
    expect(inferOf(pow, [[1], []], {}, [ints(2), ints(3)]).values).toEqual([{ data: [8], integer: true }]);
    expect(inferOf(pow, [[1], []], {}, [floats(4), floats(0.5)]).values).toEqual([{ data: [2], integer: false }]);
    expect(inferOf(pow, [[1], []], {}, [ints(9), floats(0.5)]).values).toEqual([{ data: [3], integer: true }]);
    // 2^0.5 = 1.41… in an int64 tensor is 1
    expect(inferOf(pow, [[1], []], {}, [ints(2), floats(0.5)]).values).toEqual([{ data: [1], integer: true }]);
  });

  it('sqrt folds to a float; neg, floor, ceil keep an int64 value integer', () => {
    expect(inferOf(sqrt, [[2]], {}, [ints(4, 9)]).values).toEqual([{ data: [2, 3], integer: false }]);
    expect(inferOf(neg, [[2]], {}, [ints(4, -9)]).values).toEqual([{ data: [-4, 9], integer: true }]);
    expect(inferOf(floor, [[2]], {}, [floats(1.5, -1.5)]).values).toEqual([{ data: [1, -2], integer: false }]);
    expect(inferOf(ceil, [[2]], {}, [floats(1.5, -1.5)]).values).toEqual([{ data: [2, -1], integer: false }]);
  });

  it('minimum and maximum are variadic: [1,5,3], [4,2,6] and [0] broadcast → min [0,0,0], max [4,5,6]; k inputs cost k − 1 FLOPs per element', () => {
    const shapes = [[3], [3], [1]];
    const values = [ints(1, 5, 3), ints(4, 2, 6), ints(0)];
    expect(inferOf(minimum, shapes, {}, values).values![0]!.data).toEqual([0, 0, 0]);
    expect(inferOf(maximum, shapes, {}, values).values![0]!.data).toEqual([4, 5, 6]);
    expect(inferOf(maximum, [[2, 3, 4], [4], [3, 1]]).cost.elementwise).toBe(2 * 24);
    expect(inferOf(minimum, [[2, 3]]).cost.elementwise).toBe(0);
  });

  it('costs: one FLOP per output element for unary ops and for pow over the broadcast shape [2,3,4]', () => {
    expect(inferOf(sqrt, [[2, 3, 4]]).cost).toMatchObject({ macs: 0, elementwise: 24 });
    expect(inferOf(pow, [[2, 1, 4], [3, 1]]).cost.elementwise).toBe(24);
    expect(inferOf(pow, [[2, 1, 4], [3, 1]]).outputs).toEqual([[2, 3, 4]]);
  });

  it('incompatible shapes are SHAPE_MISMATCH naming both', () => {
    const e = errorOf(() => inferOf(pow, [[2, 3], [4]]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain('[2, 3] and [4]');
  });

  it('kernels: mod [−3.5, 3.5] by 2 → [0.5, 1.5]; maximum with NaN propagates NaN (torch.maximum)', () => {
    expect(run('mod', [[[2], [-3.5, 3.5]], [[], [2]]])[0].data).toEqual([0.5, 1.5]);
    expect(run('maximum', [[[2], [NaN, 1]], [[2], [0, 2]]])[0].data).toEqual([NaN, 2]);
  });

  it('receptive field: sqrt passes a 3×3 conv field through; pow of two conv paths keeps the larger (5×5)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'a', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: 3, padding: 1 },
        { name: 'b', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: 5, padding: 2 },
        { name: 's', op: 'sqrt', inputs: 'a' },
        { name: 'p', op: 'pow', inputs: ['s', 'b'] },
      ],
    });
    expect(layer(r, 's').receptiveField).toMatchObject({ size: [3, 3] });
    expect(layer(r, 'p').receptiveField).toMatchObject({ size: [5, 5] });
    expect(layer(r, 'p').flops).toBe(64);
  });
});

describe('comparisons, logic and where', () => {
  it("ViT's class-token Expand target: Where(Equal(shape, −1), ones, shape) with shape [1, −1, −1] folds to [1, 1, 1] (int64)", () => {
    const eq = inferOf(equal, [[3], [3]], {}, [ints(1, -1, -1), ints(-1, -1, -1)]).values![0]!;
    expect(eq).toEqual({ data: [0, 1, 1], integer: true });
    const w = inferOf(where, [[3], [3], [3]], {}, [eq, ints(1, 1, 1), ints(1, -1, -1)]).values![0];
    expect(w).toEqual({ data: [1, 1, 1], integer: true });
  });

  it('where broadcasts all three: condition [2,1], input [3], other [] → [2,3]; folding picks per element', () => {
    const r = inferOf(where, [[2, 1], [3], []], {}, [ints(1, 0), ints(1, 2, 3), ints(9)]);
    expect(r.outputs).toEqual([[2, 3]]);
    expect(r.values![0]!.data).toEqual([1, 2, 3, 9, 9, 9]);
    expect(r.cost.elementwise).toBe(6);
  });

  it('where of a float branch is not integer; equal of floats is (bool)', () => {
    expect(inferOf(where, [[1], [1], [1]], {}, [ints(1), floats(0.5), ints(2)]).values![0]!.integer).toBe(false);
    expect(inferOf(equal, [[1], [1]], {}, [floats(0.5), floats(0.5)]).values).toEqual([{ data: [1], integer: true }]);
  });

  it('logicalNot of [0, 2, 0] is [1, 0, 1]', () => {
    expect(inferOf(logicalNot, [[3]], {}, [ints(0, 2, 0)]).values![0]!.data).toEqual([1, 0, 1]);
    expect(run('logicalNot', [[[3], [0, 2, 0]]])[0].data).toEqual([1, 0, 1]);
  });

  it('an unknown operand leaves the value unknown (the op runs at inference)', () => {
    expect(inferOf(equal, [[3], [3]], {}, [null, ints(1, 2, 3)]).values).toEqual([null]);
  });

  it('a spec net: greater than a constant-shaped map costs one comparison per element', () => {
    const r = analyze(net([1, 2, 4, 4], { op: 'greater', inputs: ['x', 'x'] }));
    expect(layer(r, 'l0')).toMatchObject({ outputShape: [1, 2, 4, 4], flops: 32 });
  });
});

describe('pow at C\'s special values (PyTorch\'s torch.pow; JavaScript\'s ** gives NaN at the first three)', () => {
  it.each([
    [1, NaN, 1],
    [1, Infinity, 1],
    [-1, -Infinity, 1],
    [NaN, 0, 1],
    [2, NaN, NaN],
    [-1, 0.5, NaN],
    [0, -1, Infinity],
  ])('pow(%d, %d) = %d', (x, y, want) => {
    const got = run('pow', [[[1], [x]], [[1], [y]]])[0].data[0];
    if (Number.isNaN(want)) expect(got).toBeNaN();
    else expect(got).toBe(want);
  });
});
