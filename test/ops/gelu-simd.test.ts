/** ops/gelu-simd.ts (wasm/elementwise.wat): GELU with a per-row bias in float32 SIMD, against the JS kernel and by hand. */
import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { geluInPlace } from '../../src/ops/activation-more.js';
import { geluRowsSimd } from '../../src/ops/gelu-simd.js';

const values = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 6 + Math.cos(i * 1.3));

describe('geluRowsSimd', () => {
  it('gelu by hand: 0 → 0, 1 → 0.8413447, −1 → −0.1586553, 3 → 2.9959502 (x·Φ(x)); a bias of 1 on the row makes 0 → 0.8413447', () => {
    const y = Float32Array.of(0, 1, -1, 3, 0, 0, 0, 0);
    geluRowsSimd(y, 2, 4, Float32Array.of(0, 1));
    const want = [0, 0.8413447460685429, -0.15865525393145707, 2.9959502275397, 0.8413447460685429, 0.8413447460685429, 0.8413447460685429, 0.8413447460685429];
    y.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(want[i]))));
  });

  it.each([
    [96, 3136, true],
    [5, 7, true], // 7 columns: one SIMD step and three scalar ones per row
    [3, 1, false],
    [1, 1_100_000, false], // one row longer than a chunk
    [300, 4000, true], // several chunks of rows
  ])('%i rows × %i columns (bias %s): within 4 float32 ulps of the JS kernel (double-precision erf32)', (rows, cols, withBias) => {
    const y = values(rows * cols);
    const bias = withBias ? Float32Array.from({ length: rows }, (_, r) => (r % 7) - 3) : null;
    const want = Float32Array.from(y);
    // the JS kernel's per-row form: each row alone, its bias as a per-row bias
    for (let r = 0; r < rows; r++) geluInPlace(want.subarray(r * cols, (r + 1) * cols), 'none', bias ? bias.subarray(r, r + 1) : null, cols, true);
    geluRowsSimd(y, rows, cols, bias);
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - want[i]) / Math.max(2 ** -20, Math.abs(want[i]) * 2 ** -23));
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('NaN stays NaN; +∞ → +∞; −∞ → NaN, as PyTorch\'s gelu and the decomposed nodes give (erf saturates to −1 in float32: −∞·0)', () => {
    const y = Float32Array.of(NaN, Infinity, -Infinity, 1e30, -1e30);
    geluRowsSimd(y, 1, 5, null);
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(Infinity);
    expect(y[2]).toBeNaN();
    expect(y[3]).toBe(Math.fround(1e30));
    expect(y[4]).toBe(-0); // (0.5·x)·(1 + (−1)) = −5e29·0
  });

  it('large negatives give 0 in the SIMD lanes and the scalar tail (−8, −1e4, −1e10, −1e30, five columns), as x·Φ(x) and PyTorch', () => {
    const y = Float32Array.of(-8, -1e4, -1e10, -1e30, -1e10);
    geluRowsSimd(y, 1, 5, null);
    expect(Array.from(y, (v) => Math.abs(v))).toEqual([0, 0, 0, 0, 0]);
  });

  it('the committed wasm/elementwise.wasm is what wabt assembles from wasm/elementwise.wat (npm run wasm)', async () => {
    expect(await committedIsAssembled('elementwise')).toBe(true);
  });
});
