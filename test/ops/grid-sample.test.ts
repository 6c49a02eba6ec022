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
