import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { clampSimd, reluSimd } from '../../src/ops/clamp-simd.js';
import { clip, relu, relu6 } from '../../src/ops/activation.js';
import { tensor } from '../../src/tensor/tensor.js';

/** The definition the kernel must match bit for bit: min(max(x, lo), hi) in double, stored as float32. */
const definition = (x: Float32Array, lo: number, hi: number) => Float32Array.from(x, (v) => Math.min(Math.max(v, lo), hi));
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('clampSimd (wasm/clamp.wat): out = min(max(x, lo), hi)', () => {
  it('ReLU6 on 7 floats (one SIMD step and a 3-float scalar tail), hand-worked', () => {
    const x = Float32Array.of(-2, 0, 3, 6, 7.5, -0.5, 6.25);
    const out = new Float32Array(7);
    clampSimd(x, out, 0, 6);
    expect(Array.from(out)).toEqual([0, 0, 3, 6, 6, 0, 6]);
    expect(Array.from(x)).toEqual([-2, 0, 3, 6, 7.5, -0.5, 6.25]); // the input is left alone when out is another array
  });

  it('in place: NaN stays NaN and −0 becomes +0 (as Math.max(−0, 0)), in both the vector part and the tail', () => {
    const x = Float32Array.of(NaN, -0, 1, -1, NaN, -0);
    clampSimd(x, x, 0, 6);
    expect(Number.isNaN(x[0]) && Number.isNaN(x[4])).toBe(true);
    expect(Object.is(x[1], 0) && Object.is(x[5], 0)).toBe(true);
    expect(Array.from(x.subarray(2, 4))).toEqual([1, 0]);
  });

  it('open bounds (±Infinity) keep −0 and the extremes; lo > hi gives hi everywhere, as the definition', () => {
    const x = Float32Array.of(-0, -3.4e38, 3.4e38, 5);
    const open = new Float32Array(4);
    clampSimd(x, open, -Infinity, Infinity);
    expect(bits(open)).toEqual(bits(x));
    const crossed = new Float32Array(4);
    clampSimd(x, crossed, 2, 1);
    expect(Array.from(crossed)).toEqual([1, 1, 1, 1]);
  });

  it('a bound that is not a float32 (0.1): the same bits as the definition on floats around it', () => {
    const lo = 0.1;
    const f = Math.fround(lo);
    const x = Float32Array.of(f, Math.fround(f * (1 - 2 ** -23)), Math.fround(f * (1 + 2 ** -23)), 0, 0.2, -1, 0.09999, 1);
    const out = new Float32Array(x.length);
    clampSimd(x, out, lo, 0.5);
    expect(bits(out)).toEqual(bits(definition(x, lo, 0.5)));
  });

  it('past one chunk (2^20 + 5 floats, exact integers): every element as the definition', () => {
    const n = (1 << 20) + 5;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 17) - 8);
    const out = new Float32Array(n);
    clampSimd(x, out, -3, 4);
    const want = definition(x, -3, 4);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (out[i] !== want[i]) wrong++;
    expect(wrong).toBe(0);
    expect(out[n - 1]).toBe(Math.min(Math.max(((n - 1) % 17) - 8, -3), 4));
  });
});

describe('reluSimd (wasm/clamp.wat): out = x > 0 || x NaN ? x : 0, the JS kernel\'s compares', () => {
  it('7 floats (one SIMD step, a 3-float tail): −0 becomes +0 and NaN stays NaN (PyTorch: relu(nan) = nan) in both parts, hand-worked', () => {
    const x = Float32Array.of(-2, NaN, -0, 1.5, 3e38, -0, NaN);
    const out = new Float32Array(7);
    reluSimd(x, out);
    expect(bits(out)).toEqual(bits(Float32Array.of(0, NaN, 0, 1.5, 3e38, 0, NaN)));
  });
  it('in place past one chunk (2^20 + 3 floats, exact integers): every element as the definition', () => {
    const n = (1 << 20) + 3;
    const x = Float32Array.from({ length: n }, (_, i) => (i % 13) - 6);
    reluSimd(x, x);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (x[i] !== Math.max((i % 13) - 6, 0)) wrong++;
    expect(wrong).toBe(0);
  });
  it('relu in place (the fused conv epilogue): NaN kept', () => {
    const y = relu.runInPlace!({ inputs: [tensor([5], Float32Array.of(-1, 2, NaN, 0, 7))], attrs: {} } as never, 0);
    expect(Array.from(y.data)).toEqual([0, 2, NaN, 0, 7]);
  });
});

it('the committed wasm/clamp.wasm is what wabt assembles from wasm/clamp.wat (npm run wasm)', async () => {
  expect(await committedIsAssembled('clamp')).toBe(true);
});

describe('clip and relu6 run through it', () => {
  const x = tensor([1, 2, 1, 3], Float32Array.of(-1, 2.5, 9, NaN, 0.5, 6));
  it('relu6 in place (the fused conv epilogue, runtime/fuse.ts) and out of place', () => {
    const ctx = { inputs: [tensor(x.shape, x.data.slice())], attrs: {} } as never;
    const [y] = relu6.run!(ctx) as ReturnType<NonNullable<typeof relu6.run>>;
    expect(Array.from(y.data)).toEqual([0, 2.5, 6, NaN, 0.5, 6]);
    const inPlace = relu6.runInPlace!({ inputs: [tensor(x.shape, x.data.slice())], attrs: {} } as never, 0);
    expect(Array.from(inPlace.data)).toEqual([0, 2.5, 6, NaN, 0.5, 6]);
  });
  it('clip(min 0.5, max 2) in place', () => {
    const y = clip.runInPlace!({ inputs: [tensor(x.shape, x.data.slice())], attrs: { min: 0.5, max: 2 } } as never, 0);
    expect(Array.from(y.data)).toEqual([0.5, 2, 2, NaN, 0.5, 2]);
  });
});
