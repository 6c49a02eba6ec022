/**
 * multiscaleAttention's softmax in WebAssembly SIMD (wasm/softmax.wat, ops/multiscale-attention-softmax.ts):
 * its exp (Cephes' expf, x ≤ 0) against the correctly rounded float32 exp (Math.exp, a double,
 * rounded by Math.fround: within half an ulp of e^x, so a disagreement is the kernel's error), and its
 * rows against softmax in double precision, hand-checked values, the lane tails (row lengths not
 * multiples of 4) and NaN.
 */
import { describe, expect, it } from 'vitest';
import { expF32, scoreBand, softmaxBand, softmaxVjpBand } from '../../src/ops/multiscale-attention-softmax.js';
import { rng } from '../../src/tensor/random.js';
import { committedIsAssembled } from '../wasm-assembly.js';

/** Distance in float32 ulps (both positive, finite). */
const ulps = (a: Float32Array, b: Float32Array): number[] => {
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  return Array.from(ia, (v, i) => Math.abs(v - ib[i]));
};

describe("the softmax kernel's exp", () => {
  it('wasm/softmax.wasm is the assembly of wasm/softmax.wat', async () => {
    expect(await committedIsAssembled('softmax')).toBe(true);
  });

  it('2,000,001 points evenly over [−87.3, 0] and 1,000,000 random float32 in [−20, 0]: within 1 ulp of fround(Math.exp(x)), about 10% off by that ulp, none by 2', () => {
    const n = 2_000_001;
    const even = Float32Array.from({ length: n }, (_, i) => (-87.3 * i) / (n - 1));
    const r = rng(3);
    const random = Float32Array.from({ length: 1_000_000 }, () => -20 * r());
    for (const x of [even, random]) {
      const got = expF32(x);
      const want = Float32Array.from(x, (v) => Math.exp(v));
      const u = ulps(got, want);
      expect(Math.max(...u.slice(0, 1e5)), 'a first slice').toBeLessThanOrEqual(1);
      expect(u.reduce((m, v) => Math.max(m, v), 0)).toBe(1);
      const off = u.filter((v) => v > 0).length / u.length;
      expect(off).toBeGreaterThan(0.01);
      expect(off).toBeLessThan(0.2);
    }
  });

  it('exactly 1 at 0 and at −0; NaN stays NaN; below −87.34 (where float32 exp is subnormal) the smallest normal scale, under 1.2e−38', () => {
    const got = expF32(Float32Array.from([0, -0, NaN, -88, -100, -Infinity]));
    expect(Array.from(got.slice(0, 2))).toEqual([1, 1]);
    expect(got[2]).toBeNaN();
    for (const v of got.slice(3)) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1.2e-38);
    }
  });
});

describe("the softmax kernel's rows", () => {
  /** Softmax of a row in double precision. */
  const exact = (row: number[]): number[] => {
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };

  it('[0, ln 2, ln 3, ln 4, ln 10] (a tail of 1 after a vector of 4): 1/20, 2/20, 3/20, 4/20, 10/20 within 2e−7', () => {
    const row = [0, Math.log(2), Math.log(3), Math.log(4), Math.log(10)];
    const band = scoreBand(5);
    band.set(row);
    softmaxBand(band, 1, 5);
    Array.from(band).forEach((v, j) => expect(Math.abs(v - [1, 2, 3, 4, 10][j] / 20)).toBeLessThan(2e-7));
  });

  // x − m rounded to float32 (as PyTorch's kernel does it) moves e^(x − m) by up to |x − m|·2⁻²⁴ relative
  it('rows of 1, 2, 3, 4, 5, 7, 8, 393 and 1,000 N(0, 3²) scores, 3 rows each: within (8 + |x − m|)·2⁻²⁴ relative of double softmax (measured: 4.1 at most beyond |x − m|, over 393 scores: the float32 sum), each row summing to 1 within 1e−6', () => {
    const r = rng(5);
    for (const cols of [1, 2, 3, 4, 5, 7, 8, 393, 1000]) {
      const rows = Array.from({ length: 3 }, () => Array.from({ length: cols }, () => 3 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())));
      const band = scoreBand(3 * cols);
      band.set(rows.flat());
      softmaxBand(band, 3, cols);
      rows.forEach((row, i) => {
        const x = Array.from(Float32Array.from(row));
        const want = exact(x);
        const m = Math.max(...x);
        const got = band.subarray(i * cols, (i + 1) * cols);
        got.forEach((v, j) => expect(Math.abs(v - want[j]), `cols ${cols} row ${i} col ${j}`).toBeLessThanOrEqual((8 + m - x[j]) * 2 ** -24 * want[j]));
        expect(Math.abs(got.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      });
    }
  });

  it('a NaN makes its row NaN and leaves the next row alone; a row of one score is 1', () => {
    const band = scoreBand(10);
    band.set([1, NaN, 2, 3, 4, 0, 0, 0, 0, 0]);
    softmaxBand(band, 2, 5);
    expect(Array.from(band.subarray(0, 5)).every(Number.isNaN)).toBe(true);
    expect(Array.from(band.subarray(5, 10))).toEqual([0.2, 0.2, 0.2, 0.2, 0.2].map(Math.fround));
    band[0] = -7;
    softmaxBand(band, 1, 1);
    expect(band[0]).toBe(1);
  });

  it('refuses scores outside its module memory, and more scores than the band holds', () => {
    expect(() => softmaxBand(new Float32Array(4), 1, 4)).toThrow(/scoreBand view/);
    expect(() => softmaxBand(scoreBand(4), 2, 4)).toThrow(/overrun/);
  });
});

describe("the softmax kernel's vector-Jacobian product", () => {
  it('rows of 1, 3, 4, 5, 393 (probabilities of N(0, 2²) scores, gradients U(−1, 1)), 2 rows each: g_j ← p_j·(g_j − Σ g·p) within 1e−6 of the largest |p·g| in double, the row sum of the result 0 within 1e−6', () => {
    const r = rng(9);
    for (const cols of [1, 3, 4, 5, 393]) {
      const n = 2 * cols;
      const band = scoreBand(2 * n);
      const p = band.subarray(0, n);
      const g = band.subarray(n, 2 * n);
      p.set(Float32Array.from({ length: n }, () => 2 * (r() + r() + r() - 1.5)));
      softmaxBand(p, 2, cols);
      g.set(Float32Array.from({ length: n }, () => 2 * r() - 1));
      const want = [0, 1].flatMap((i) => {
        const [pr, gr] = [Array.from(p.subarray(i * cols, (i + 1) * cols)), Array.from(g.subarray(i * cols, (i + 1) * cols))];
        const t = pr.reduce((a, v, j) => a + v * gr[j], 0);
        return pr.map((v, j) => v * (gr[j] - t));
      });
      const scale = Math.max(...Array.from(p, (v, j) => Math.abs(v * g[j])));
      softmaxVjpBand(p, g, 2, cols);
      g.forEach((v, j) => expect(Math.abs(v - want[j]), `cols ${cols} at ${j}`).toBeLessThanOrEqual(1e-6 * scale));
      for (const i of [0, 1]) expect(Math.abs(g.subarray(i * cols, (i + 1) * cols).reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
    }
  });

  it('refuses arrays outside its module memory, and more values than a band holds', () => {
    const band = scoreBand(8);
    expect(() => softmaxVjpBand(new Float32Array(4), band.subarray(4), 1, 4)).toThrow(/scoreBand views/);
    expect(() => softmaxVjpBand(band.subarray(0, 4), band.subarray(4), 2, 4)).toThrow(/overrun/);
  });
});
