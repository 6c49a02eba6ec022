/**
 * Pooling in WebAssembly SIMD (ops/pool-simd.ts, wasm/pool.wat) against the JavaScript loops of
 * pool-kernels.ts and hand-worked windows: max and avg give the JS loops' bits (a NaN's payload aside), over kernel 2/3, stride 1/2,
 * padding 0/1, ceil mode, odd sizes, NaN and −∞ inputs and 1×1 planes.
 */
import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { avgPool2d, maxPool2d } from '../../src/ops/pool.js';
import { avgDivisors, avgPoolPlanesJs, maxPoolPlanesJs } from '../../src/ops/pool-kernels.js';
import { poolPlanesSimd, poolSimdFits } from '../../src/ops/pool-simd.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';
import { tensor } from '../../src/tensor/tensor.js';
import { inferOf, run } from './op-helpers.js';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
/** The bits with every NaN as the one quiet NaN (a NaN's payload is not promised): what max pooling promises. */
const unsigned = (a: Float32Array) => bits(a).map((b, i) => (Number.isNaN(a[i]) ? 0x7fc00000 : b));

function geometryOf(op: typeof maxPool2d | typeof avgPool2d, shape: number[], attrs: Record<string, unknown>): AxisGeometry[] {
  return (inferOf(op as typeof maxPool2d, [shape], attrs).plan as { geo: AxisGeometry[] }).geo;
}

/** Random values in [−10, 10) with NaN, −∞, +∞, −0 and repeated values sprinkled in. */
function input(n: number, seed: number, specials = true): Float32Array {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Float32Array.from({ length: n }, () => {
    const r = rand();
    if (specials && r < 0.03) return NaN;
    if (specials && r < 0.06) return -Infinity;
    if (specials && r < 0.07) return Infinity;
    if (specials && r < 0.1) return -0;
    return Math.round((rand() * 20 - 10) * 8) / 8; // eighths: ties are common
  });
}

const KERNELS = [2, 3];
const STRIDES = [1, 2];
const PADS = [0, 1];
const SIZES: [number, number][] = [[1, 1], [2, 3], [5, 5], [7, 6], [9, 13], [14, 14]];

describe('pool SIMD kernels against the JS loops', () => {
  const cases: [number, number, number, boolean, [number, number]][] = [];
  for (const k of KERNELS) for (const s of STRIDES) for (const p of PADS) for (const ceil of [false, true]) for (const hw of SIZES) cases.push([k, s, p, ceil, hw]);

  it.each(cases)('kernel %i stride %i padding %i ceil %s on %j, 3 planes: max and avg = JS bits', (k, s, p, ceilMode, [H, W]) => {
    if (2 * p > k || H + 2 * p < k || W + 2 * p < k) return; // PyTorch refuses these (pad ≤ k/2, window inside the padded map)
    const attrs = { kernelSize: k, stride: s, padding: p, ceilMode };
    const shape = [1, 3, H, W];
    const x = input(3 * H * W, k * 1000 + s * 100 + p * 10 + H + W * 7 + (ceilMode ? 5 : 0));
    const geo = geometryOf(maxPool2d, shape, attrs);
    expect(poolSimdFits(geo)).toBe(true);
    const n = 3 * geo[0].out * geo[1].out;
    const [simdMax, jsMax] = [new Float32Array(n), new Float32Array(n)];
    expect(poolPlanesSimd(x, H, W, geo, simdMax, 0, 3, null)).toBe(true);
    maxPoolPlanesJs(x, H, W, geo, jsMax, 0, 3);
    expect(unsigned(simdMax)).toEqual(unsigned(jsMax));
    for (const countIncludePad of [true, false]) {
      const finite = input(3 * H * W, H * 31 + W, false);
      const div = avgDivisors(geo, countIncludePad, undefined);
      const [simdAvg, jsAvg] = [new Float32Array(n), new Float32Array(n)];
      expect(poolPlanesSimd(finite, H, W, geo, simdAvg, 0, 3, div)).toBe(true);
      avgPoolPlanesJs(finite, H, W, geo, div, jsAvg, 0, 3);
      expect(bits(simdAvg)).toEqual(bits(jsAvg));
    }
  });

  it('a band of planes [2, 5) of 6 writes those planes only; bands of one plane give the same bits', () => {
    const geo = geometryOf(maxPool2d, [2, 3, 9, 9], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    const x = input(6 * 81, 7);
    const plane = geo[0].out * geo[1].out;
    const banded = new Float32Array(6 * plane).fill(42);
    poolPlanesSimd(x, 9, 9, geo, banded, 2, 5, null);
    expect(Array.from(banded.subarray(0, 2 * plane)).every((v) => v === 42)).toBe(true);
    expect(Array.from(banded.subarray(5 * plane)).every((v) => v === 42)).toBe(true);
    const one = new Float32Array(6 * plane);
    for (let p = 2; p < 5; p++) poolPlanesSimd(x, 9, 9, geo, one, p, p + 1, null);
    expect(bits(banded.subarray(2 * plane, 5 * plane))).toEqual(bits(one.subarray(2 * plane, 5 * plane)));
  });

  it.each([
    [12, 150, 'bands of several planes (2^18 staged floats each)'],
    [3, 520, 'one plane per band: a plane larger than the band bound'],
  ])('%i planes of %i² in %s: max = JS, avg = JS bits', (C, S) => {
    const geo = geometryOf(maxPool2d, [1, C, S, S], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    const x = input(C * S * S, S, false);
    const n = C * geo[0].out * geo[1].out;
    const [simd, js] = [new Float32Array(n), new Float32Array(n)];
    poolPlanesSimd(x, S, S, geo, simd, 0, C, null);
    maxPoolPlanesJs(x, S, S, geo, js, 0, C);
    expect(unsigned(simd)).toEqual(unsigned(js));
    const div = avgDivisors(geo, false, undefined);
    poolPlanesSimd(x, S, S, geo, simd, 0, C, div);
    avgPoolPlanesJs(x, S, S, geo, div, js, 0, C);
    expect(bits(simd)).toEqual(bits(js));
  });

  it('stride 3, dilation 2 and a plane over MAX_STAGED_PLANE (2049² padded) do not fit (the JS loops run them)', () => {
    expect(poolSimdFits(geometryOf(maxPool2d, [1, 1, 2047, 2047], { kernelSize: 3, stride: 1, padding: 1 }))).toBe(false);
    expect(poolSimdFits(geometryOf(maxPool2d, [1, 1, 2046, 2046], { kernelSize: 3, stride: 1, padding: 1 }))).toBe(true);
    expect(poolSimdFits(geometryOf(maxPool2d, [1, 1, 9, 9], { kernelSize: 3, stride: 3 }))).toBe(false);
    expect(poolSimdFits(geometryOf(maxPool2d, [1, 1, 9, 9], { kernelSize: 3, stride: 1, dilation: 2 }))).toBe(false);
    const [y] = run('maxPool2d', [[[1, 1, 3, 3], [1, 9, 2, 3, 4, 5, 6, 7, 8]]], { kernelSize: 3, stride: 3 });
    expect(Array.from(y.data)).toEqual([9]);
  });
});

describe('pooling through the ops (SIMD path), hand-worked', () => {
  // x = 1..16 row by row, 4×4
  const x16 = Array.from({ length: 16 }, (_, i) => i + 1);

  it('maxPool2d 3×3 stride 1 padding 1 on 1..16 (4×4): each output the bottom-right tap of its window', () => {
    const [y] = run('maxPool2d', [[[1, 1, 4, 4], x16]], { kernelSize: 3, stride: 1, padding: 1 });
    expect(Array.from(y.data)).toEqual([6, 7, 8, 8, 10, 11, 12, 12, 14, 15, 16, 16, 14, 15, 16, 16]);
  });

  it('maxPool2d 3×3 stride 2 ceil mode on 5×5 of 1..25 → 2×2 [[13,15],[23,25]]; NaN in a window wins, −∞ stays −∞', () => {
    const x = Array.from({ length: 25 }, (_, i) => i + 1);
    const [y] = run('maxPool2d', [[[1, 1, 5, 5], x]], { kernelSize: 3, stride: 2, ceilMode: true });
    expect(Array.from(y.data)).toEqual([13, 15, 23, 25]);
    x[24] = NaN;
    const [z] = run('maxPool2d', [[[1, 1, 5, 5], x]], { kernelSize: 3, stride: 2, ceilMode: true });
    expect(z.data.slice(0, 3)).toEqual([13, 15, 23]);
    expect(z.data[3]).toBeNaN();
    const [w] = run('maxPool2d', [[[1, 1, 2, 2], [-Infinity, -Infinity, -Infinity, -Infinity]]], { kernelSize: 2, stride: 1, padding: 1 });
    expect(Array.from(w.data)).toEqual(Array(9).fill(-Infinity));
  });

  it('maxPool2d 2×2 ties of −0 and +0 keep the first tap, as the JS loop and PyTorch (x > max): [−0, +0] → −0, [+0, −0] → +0', () => {
    const x = Float32Array.of(-0, 0, 0, -0, 0, -0, -0, 0);
    const geo = geometryOf(maxPool2d, [1, 2, 2, 2], { kernelSize: [1, 2], stride: [1, 2] });
    const out = new Float32Array(4);
    poolPlanesSimd(x, 2, 2, geo, out, 0, 2, null);
    expect([...out].map((v) => Object.is(v, -0))).toEqual([true, false, false, true]);
  });

  it('maxPool2d on 1×1 planes, kernel 2 stride 2 padding 1: each plane its value', () => {
    const [y] = run('maxPool2d', [[[1, 3, 1, 1], [-2, 5, NaN]]], { kernelSize: 2, stride: 2, padding: 1 });
    expect(y.shape).toEqual([1, 3, 1, 1]);
    expect(y.data.slice(0, 2)).toEqual([-2, 5]);
    expect(y.data[2]).toBeNaN();
  });

  it('avgPool2d 3×3 stride 1 padding 1 on 1..16 (4×4): corner (1+2+5+6)/9, countIncludePad false /4', () => {
    const [y] = run('avgPool2d', [[[1, 1, 4, 4], x16]], { kernelSize: 3, stride: 1, padding: 1 });
    expect(y.data[0]).toBe(Math.fround(14 / 9));
    expect(y.data[5]).toBe(Math.fround((1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9)); // inside: 6
    expect(y.data[15]).toBe(Math.fround((11 + 12 + 15 + 16) / 9));
    const [z] = run('avgPool2d', [[[1, 1, 4, 4], x16]], { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false });
    expect(z.data[0]).toBe(3.5);
    expect(z.data[1]).toBe((1 + 2 + 3 + 5 + 6 + 7) / 6);
    expect(z.data[5]).toBe(6);
  });

  it('avgPool2d 2×2 stride 2 ceil mode on 3×3 of 1..9: the overhanging windows divide by their part inside (PyTorch)', () => {
    const [y] = run('avgPool2d', [[[1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]]], { kernelSize: 2, stride: 2, ceilMode: true });
    expect(Array.from(y.data)).toEqual([3, 4.5, 7.5, 9]);
    const [z] = run('avgPool2d', [[[1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]]], { kernelSize: 2, stride: 2, ceilMode: true, divisorOverride: 3 });
    expect(Array.from(z.data)).toEqual([4, 3, 5, 3]);
  });

  it('the op runs equal the JS loops (ResNet stem pool and Inception 3×3 s1 p1 shapes, 4 planes)', () => {
    for (const [shape, attrs] of [[[1, 4, 23, 19], { kernelSize: 3, stride: 2, padding: 1 }], [[1, 4, 17, 17], { kernelSize: 3, stride: 1, padding: 1 }]] as const) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const x = tensor([...shape], input(n, 99, false));
      const geo = geometryOf(maxPool2d, [...shape], attrs);
      const ctx = (op: typeof maxPool2d | typeof avgPool2d) => ({ attrs: op.attrs.parse(attrs), plan: { geo }, inputs: [x], outputs: [], weights: {}, training: false, seed: 0 });
      const [ym] = maxPool2d.run(ctx(maxPool2d) as never);
      const jsMax = new Float32Array(ym.data.length);
      maxPoolPlanesJs(x.data, shape[2], shape[3], geo, jsMax, 0, 4);
      expect(unsigned(ym.data)).toEqual(unsigned(jsMax));
      const [ya] = avgPool2d.run(ctx(avgPool2d) as never);
      const jsAvg = new Float32Array(ya.data.length);
      avgPoolPlanesJs(x.data, shape[2], shape[3], geo, avgDivisors(geo, true, undefined), jsAvg, 0, 4);
      expect(bits(ya.data)).toEqual(bits(jsAvg));
    }
  });
});

describe('wasm/pool.wasm', () => {
  it('is wasm/pool.wat assembled (npm run wasm)', async () => {
    expect(await committedIsAssembled('pool')).toBe(true);
  });
});
