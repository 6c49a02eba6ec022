/** shape, cast, identity (src/ops/meta.ts): ops about a tensor rather than on its values. */
import { describe, expect, it } from 'vitest';
import { cast, identity, shape } from '../../src/ops/meta.js';
import { inferOf, ints, run } from './op-helpers.js';

describe('shape (ONNX Shape-15: start, end negative + rank, then clamped to [0, rank])', () => {
  it.each([
    [{}, [2, 3, 4, 5]],
    [{ start: 1, end: -1 }, [3, 4]],
    [{ start: -10, end: 10 }, [2, 3, 4, 5]],
    [{ start: 3, end: 1 }, []],
  ])('[2,3,4,5] %j → the constant %j', (attrs, dims) => {
    const inferred = inferOf(shape, [[2, 3, 4, 5]], attrs);
    expect(inferred.outputs).toEqual([[dims.length]]);
    expect(inferred.values).toEqual([ints(...dims)]);
  });

  it('the kernel returns the same dims: [2,3] start −1 → [3]', () => {
    expect(run('shape', [[[2, 3], [0, 0, 0, 0, 0, 0]]], { start: -1 })).toEqual([{ shape: [1], data: [3] }]);
  });
});

describe('cast', () => {
  it('to int32 truncates toward zero; to bool is x ≠ 0; to float16 leaves float32 values', () => {
    const x: [number[], number[]] = [[4], [1.75, -1.75, 0, 2.5]];
    expect(run('cast', [x], { to: 'int32' })[0].data).toEqual([1, -1, 0, 2]);
    expect(run('cast', [x], { to: 'bool' })[0].data).toEqual([1, 1, 0, 1]);
    expect(run('cast', [x], { to: 'float16' })[0].data).toEqual([1.75, -1.75, 0, 2.5]);
  });

  it('a known value folds: [1.5, −2.5] to int64 → the integer [1, −2]; to float32 stays as it is', () => {
    expect(inferOf(cast, [[2]], { to: 'int64' }, [{ data: [1.5, -2.5], integer: false }]).values).toEqual([ints(1, -2)]);
    expect(inferOf(cast, [[2]], {}, [ints(3, 4)]).values).toEqual([{ data: [3, 4], integer: false }]);
  });
});

describe('identity', () => {
  it('the same shape, values and known value', () => {
    expect(run('identity', [[[2], [7, 8]]])).toEqual([{ shape: [2], data: [7, 8] }]);
    expect(inferOf(identity, [[2]], {}, [ints(7, 8)]).values).toEqual([ints(7, 8)]);
  });
});
