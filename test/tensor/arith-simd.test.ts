/**
 * Same-shape arithmetic in WebAssembly SIMD (tensor/arith-simd.ts) gives the JavaScript row loop's
 * bits (float32 IEEE arithmetic against double rounded once: the same correctly rounded value):
 * hand-worked values, the awkward ones (signed zeros, subnormals, infinities, overflow, NaN), a
 * length that leaves 3 scalar tails and crosses the 32,768-float chunk, offsets, and in place.
 */
import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { arithSimd, arithSimdElements } from '../../src/tensor/arith-simd.js';
import type { Arith } from '../../src/tensor/arith-simd.js';
import { ROW_KERNELS, broadcastRows } from '../../src/tensor/broadcast-loops.js';
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';

const OPS: Arith[] = ['add', 'sub', 'mul', 'div'];
const f32 = (xs: number[]) => Float32Array.from(xs);
const sameBits = (x: Float32Array, y: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));

describe('arithSimd', () => {
  it('hand-worked: [1.5, −2, 0.1, 3, 7] with [0.5, 4, 0.2, −3, 2] (five elements: one vector and one scalar tail)', () => {
    const a = f32([1.5, -2, 0.1, 3, 7]);
    const b = f32([0.5, 4, 0.2, -3, 2]);
    const r = new Float32Array(5);
    arithSimd('add', r, 0, a, 0, b, 0, 5);
    expect(Array.from(r)).toEqual([2, 2, Math.fround(Math.fround(0.1) + Math.fround(0.2)), 0, 9]);
    arithSimd('div', r, 0, a, 0, b, 0, 5);
    expect(Array.from(r)).toEqual([3, -0.5, 0.5, -1, 3.5]);
  });

  it.each(OPS)('%s: the row loop’s bits on signed zeros, subnormals, infinities, overflow and NaN', (op) => {
    const special = [0, -0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, Infinity, -Infinity, NaN, 1, -1, 0.1, 3];
    const a = f32(special.flatMap((x) => special.map(() => x)));
    const b = f32(special.flatMap(() => special));
    const js = new Float32Array(a.length);
    const simd = new Float32Array(a.length);
    ROW_KERNELS[op](js, 0, a, 0, 1, b, 0, 1, a.length);
    arithSimd(op, simd, 0, a, 0, b, 0, a.length);
    // NaN payloads may differ: compare NaN as NaN, everything else bit for bit (−0 against +0 too)
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(js[i])) expect(simd[i]).toBeNaN();
      else expect(Object.is(simd[i], js[i]), `${a[i]} ${op} ${b[i]}`).toBe(true);
    }
  });

  it.each(OPS)('%s over 70,003 random elements (two chunks and a tail of 3) at offsets 5 and 9, and in place into a', (op) => {
    const r = rng(7);
    const n = 70_003;
    const a = Float32Array.from({ length: n + 5 }, () => (r() - 0.5) * 100);
    const b = Float32Array.from({ length: n + 9 }, () => (r() - 0.5) * 3);
    const js = new Float32Array(n);
    ROW_KERNELS[op](js, 0, a, 5, 1, b, 9, 1, n);
    const out = new Float32Array(n + 2);
    arithSimd(op, out, 2, a, 5, b, 9, n);
    expect(sameBits(out.subarray(2), js)).toBe(true);
    arithSimd(op, a, 5, a, 5, b, 9, n);
    expect(sameBits(a.subarray(5), js)).toBe(true);
  });

  it('broadcastRows takes it for same-shape operands from 256 elements ([2, 3, 64] + [2, 3, 64]: the row loop’s sum), not for 255 nor for a broadcast operand', () => {
    const r = rng(3);
    const sum = (shape: number[], yShape = shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tensor(shape, Float32Array.from({ length: n }, () => r()));
      const y = tensor(yShape, Float32Array.from({ length: yShape.reduce((a, b) => a * b, 1) }, () => r()));
      const res = new Float32Array(n);
      const before = arithSimdElements();
      broadcastRows(ROW_KERNELS.add, x, y, shape, res);
      const expected = Array.from(x.data, (v, i) => Math.fround(v + y.data[y.data.length === n ? i : i % y.data.length]));
      expect(Array.from(res)).toEqual(expected);
      return arithSimdElements() - before;
    };
    expect(sum([2, 3, 64])).toBe(384);
    expect(sum([255])).toBe(0);
    expect(sum([4, 96], [96])).toBe(0);
  });

  it('is wasm/arith.wat assembled (npm run wasm)', async () => {
    expect(await committedIsAssembled('arith')).toBe(true);
  });
});
