/** tensor/cast.ts (the cast operator's conversions) against PyTorch 1.13's torch.Tensor.to (scripts/goldens_cast.py). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { converter } from '../../src/tensor/cast.js';
import type { DtypeName } from '../../src/tensor/dtype.js';
import { run } from '../ops/op-helpers.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/operators/cast.json', import.meta.url), 'utf8')) as { input: (number | string)[]; to: Record<string, (number | string)[]> };
const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };
const num = (v: number | string) => (typeof v === 'string' ? NON_FINITE[v] : v);
const xs = Float32Array.from(golden.input.map(num));

describe('cast conversions, element by element, as PyTorch on x86', () => {
  it.each(Object.keys(golden.to))('to %s: all 29 edge values as torch.Tensor.to gives them (−0 and NaN bit for bit)', (to) => {
    const f = converter(to as DtypeName);
    const got = Array.from(xs, (x) => Math.fround(f(x)));
    expect(got).toEqual(golden.to[to].map(num));
  });

  it('by hand: float16 65504 stays, 65520 → +∞, 0.1 → 0.0999755859375 (1638/16384); bfloat16 1.00390625 (a tie) → 1; uint8 300 → 44, −3 → 253; int32 3e9 → −2^31', () => {
    const f16 = converter('float16');
    expect([f16(65504), f16(65520), f16(0.1)]).toEqual([65504, Infinity, 1638 / 16384]);
    expect(converter('bfloat16')(1.00390625)).toBe(1);
    expect([converter('uint8')(300), converter('uint8')(-3)]).toEqual([44, 253]);
    expect(converter('int32')(3e9)).toBe(-(2 ** 31));
  });

  it('the cast operator runs them: [328.1243, 70000, 0.1, 300] to float16 → [328, ∞, 0.0999755859375, 300] (it returned its input unchanged)', () => {
    expect(run('cast', [[[4], [328.1243, 70000, 0.1, 300]]], { to: 'float16' })).toEqual([{ shape: [4], data: [328, Infinity, 0.0999755859375, 300] }]);
    expect(run('cast', [[[3], [300, -3, 1000]]], { to: 'uint8' })).toEqual([{ shape: [3], data: [44, 253, 232] }]);
  });
});
