/** ops/erf32.ts: erf to float32 accuracy, against published values and the double-precise fdlibm port. */
import { describe, expect, it } from 'vitest';
import { erf32 } from '../../src/ops/erf32.js';
import { erf } from '../../src/ops/special.js';

describe('erf32', () => {
  // Abramowitz & Stegun table 7.1 / Wolfram: erf(0.5), erf(1), erf(2), erf(3)
  it.each([
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [-3, -0.9999779095030014],
    [1e-4, 1.1283791633342477e-4],
  ])('erf(%d) = %d within 1e-7 (relative near 0)', (x, y) => {
    expect(Math.abs(erf32(x) - y)).toBeLessThanOrEqual(1e-7 * Math.max(Math.abs(y), 1e-3));
  });

  it('saturates to ±1 in float32 for |x| ≥ 4 and at ±∞; NaN stays NaN; −0 gives −0', () => {
    expect(Math.fround(erf32(4))).toBe(1);
    expect(Math.fround(erf32(Infinity))).toBe(1);
    expect(Math.fround(erf32(-1e30))).toBe(-1);
    expect(erf32(NaN)).toBeNaN();
    expect(Object.is(erf32(-0), -0)).toBe(true);
  });

  it('on [−6, 6] (step 1/1024): absolute error ≤ 6.6e-8 (float32 ulp of 1 is 1.19e-7); relative ≤ 7e-8 where |x| < 0.5', () => {
    let abs = 0;
    let rel = 0;
    for (let x = -6; x <= 6; x += 1 / 1024) {
      const e = Math.abs(erf32(x) - erf(x));
      abs = Math.max(abs, e);
      if (x !== 0 && Math.abs(x) < 0.5) rel = Math.max(rel, e / Math.abs(erf(x)));
    }
    expect(abs).toBeLessThanOrEqual(6.6e-8);
    expect(rel).toBeLessThanOrEqual(7e-8);
  });
});
