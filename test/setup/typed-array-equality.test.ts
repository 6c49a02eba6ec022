/** toEqual on typed arrays through test/setup/typed-array-equality.ts: toEqual's answers, in a plain loop. */
import { describe, expect, it } from 'vitest';
import { typedArraysEqual } from './typed-array-equality.js';

const fails = (a: unknown, b: unknown) => expect(() => expect(a).toEqual(b)).toThrow();

describe('toEqual on two typed arrays of one type: same length, every element equal under Object.is', () => {
  it('[1, NaN, 3] equals [1, NaN, 3] (NaN equals NaN, as toEqual has it)', () => {
    expect(new Float32Array([1, NaN, 3])).toEqual(new Float32Array([1, NaN, 3]));
  });

  it('[0] against [−0]: unequal (Object.is, as toEqual compares numbers)', () => {
    fails(new Float32Array([0]), new Float32Array([-0]));
    expect(typedArraysEqual(new Float64Array([-0]), new Float64Array([0]))).toBe(false);
  });

  it('100,000 equal floats but the last: unequal (every element is read)', () => {
    const a = new Float32Array(100_000).map((_, i) => i / 7);
    const b = a.slice();
    expect(a).toEqual(b);
    b[b.length - 1] += 1;
    expect(typedArraysEqual(a, b)).toBe(false);
    fails(a, b);
  });

  it('lengths 3 and 4 with a common prefix: unequal', () => {
    fails(new Int32Array([1, 2, 3]), new Int32Array([1, 2, 3, 4]));
  });

  it('views at different offsets of one buffer compare by their elements: [2, 3] of [1, 2, 3, 2, 3] twice', () => {
    const all = new Uint8Array([1, 2, 3, 2, 3]);
    expect(all.subarray(1, 3)).toEqual(all.subarray(3, 5));
    fails(all.subarray(0, 2), all.subarray(3, 5));
  });

  it('BigInt64Array [1n, −2n] against itself and against [1n, 2n]', () => {
    expect(new BigInt64Array([1n, -2n])).toEqual(new BigInt64Array([1n, -2n]));
    fails(new BigInt64Array([1n, -2n]), new BigInt64Array([1n, 2n]));
  });

  it('other pairs keep vitest\'s rules: Float32Array against Float64Array or a plain array of the same values is unequal; the tester leaves them alone', () => {
    fails(new Float32Array([1, 2]), new Float64Array([1, 2]));
    fails(new Float32Array([1, 2]), [1, 2]);
    expect(typedArraysEqual(new Float32Array([1]), new Float64Array([1]))).toBeUndefined();
    expect(typedArraysEqual(new Float32Array([1]), [1])).toBeUndefined();
    expect(typedArraysEqual(new DataView(new ArrayBuffer(4)), new DataView(new ArrayBuffer(4)))).toBeUndefined();
  });
});
