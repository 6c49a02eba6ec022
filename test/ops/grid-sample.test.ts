/**
 * gridSample (src/ops/grid-sample.ts) at grid values of NaN and ±∞, against torch 1.13's CPU kernel
 * (golden: scripts/goldens_grid_sample_nonfinite.py). Its other cases: test/ops/einsum-topk.test.ts
 * (receptive field, taps of weight 0) and the operator goldens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from './op-helpers.js';

// golden: scripts/goldens_grid_sample_nonfinite.py (torch 1.13's CPU kernel); convlens read NaN and ±∞ as outside the map (0)
describe('gridSample at grid values NaN and ±∞, as F.grid_sample: clamped (border, reflection) NaN is 0; under zeros bilinear NaN, nearest 0', () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/nonfinite.json', import.meta.url), 'utf8')) as {
    x: number[];
    grid: string[];
    cases: { mode: string; paddingMode: string; alignCorners: boolean; output: string[] }[];
  };
  const grid: [number[], number[]] = [[1, 1, 5, 2], golden.grid.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)))];
  for (const c of golden.cases) {
    it(`${c.mode} ${c.paddingMode} alignCorners ${c.alignCorners}, x = 1…16 [1, 1, 4, 4], grid (NaN, 0) (0, NaN) (0.3, 0.2) (∞, 0) (−∞, 0.5): ${c.output.map((v) => (v === 'nan' ? 'NaN' : Number(Number(v).toFixed(2)))).join(', ')}`, () => {
      const y = run('gridSample', [[[1, 1, 4, 4], golden.x], grid], { mode: c.mode, paddingMode: c.paddingMode, alignCorners: c.alignCorners })[0].data;
      expect(y.map((v) => (Number.isNaN(v) ? 'NaN' : v.toFixed(5)))).toEqual(c.output.map((v) => (v === 'nan' ? 'NaN' : Number(v).toFixed(5))));
    });
  }
});

// golden: scripts/goldens_grid_sample_nearest.py (torch 1.13); convlens computed positions in float64,
// which put 60 of 792 identity resamplings' half-pixel taps on the other pixel
describe("gridSample nearest on identity affine grids (half pixels): torch's float32 positions, rounded half to even", () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/nearest-half-pixels.json', import.meta.url), 'utf8')) as {
    cases: { w: number; paddingMode: string; alignCorners: boolean; grid: number[]; output: number[] }[];
  };
  it('a row 0…5 resampled to 3: grid x −2/3, 0, 2/3 (float32) pick 0, 2, 4 ((2/3 + 1)·3 − 0.5 = 4.5 in float32, to even: 4; 5 in float64)', () => {
    const grid = Float32Array.from([-2 / 3, 0, 0, 0, 2 / 3, 0]);
    const y = run('gridSample', [[[1, 1, 1, 6], [0, 1, 2, 3, 4, 5]], [[1, 1, 3, 2], [...grid]]], { mode: 'nearest' })[0].data;
    expect(y).toEqual([0, 2, 4]);
  });
  it("torch's AVX2 kernel fuses (g + 1)·s − 0.5 and |v| − n·2W into one rounding each (torch 1.13 here): reflection, alignCorners false, nearest at g = −1.512 on 0…999 picks 255 (256 rounded twice); bilinear at g = 10^7 on 0…5 gives 1.5 (3.5)", () => {
    const row = (w: number) => Array.from({ length: w }, (_, i) => i);
    const at = (w: number, g: number, mode: string) => run('gridSample', [[[1, 1, 1, w], row(w)], [[1, 1, 1, 2], [g, 0]]], { mode, paddingMode: 'reflection' })[0].data[0];
    expect(at(1000, -1.512, 'nearest')).toBe(255);
    expect(at(6, 1e7, 'bilinear')).toBe(1.5);
  });

  it(`${golden.cases.length} cases (rows of 2…9 to 1…9, every padding mode, alignCorners both): the picked pixels equal torch's`, () => {
    const wrong: string[] = [];
    for (const c of golden.cases) {
      const wo = c.output.length;
      const y = run('gridSample', [[[1, 1, 1, c.w], Array.from({ length: c.w }, (_, i) => i)], [[1, 1, wo, 2], c.grid]], { mode: 'nearest', paddingMode: c.paddingMode, alignCorners: c.alignCorners })[0].data;
      if (y.join() !== c.output.join()) wrong.push(`W ${c.w} → ${wo} ${c.paddingMode} alignCorners ${c.alignCorners}: ${y.join()} against ${c.output.join()}`);
    }
    expect(wrong).toEqual([]);
  });
});
