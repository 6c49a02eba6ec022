/**
 * The dense convolution kernels of ops/conv.ts (the GEMM over panels filled by the WebAssembly
 * im2col of ops/conv-im2col.ts) against the definition, written out here in double precision:
 *   y[b, co, oy, ox] = bias[co] + Σ_{ci ∈ group(co)} Σ_{u,v} w[co, ci, u, v] · x[b, ci, oy·sy − pt + u·dh, ox·sx − pl + v·dw]
 * (zero outside the input). Output widths are chosen so panels of 8 positions lie inside one
 * output row (the vector paths for strides 1 and 2), cross from one row to the next, and end
 * part-way (the column-by-column path); PyTorch goldens of conv2d are in test/ops/goldens.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { convForward, convRows } from '../../src/ops/conv.js';
import { rng } from '../../src/tensor/random.js';
import { KERNEL_SCRATCH } from '../../src/limits.js';
import { scaledError } from '../helpers.js';
import { type Case, direct, expectEveryRowBand, operands, plan } from './conv-definition.js';

const base: Case = { n: 1, cin: 5, cout: 6, groups: 1, h: 9, w: 20, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1] };
const CASES: [string, Case][] = [
  ['3×3 s1 p1, W 20 (panels inside a row, across rows, a partial last one)', base],
  ['3×3 s2 p1, W 35 → 18 columns (the stride-2 shuffle path)', { ...base, w: 35, stride: [2, 2] }],
  ['7×7 s2 p3, 3 → 8 channels, W 40 (the stem shape)', { ...base, cin: 3, cout: 8, w: 40, h: 12, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] }],
  ['1×1 s1 p0, 16 → 5, W 19 (the plain GEMM of the input, unpadded)', { ...base, cin: 16, cout: 5, w: 19, k: [1, 1], pad: [0, 0, 0, 0] }],
  ['1×1 s2 p0 (strided pointwise: a projection shortcut)', { ...base, w: 33, k: [1, 1], stride: [2, 2], pad: [0, 0, 0, 0] }],
  ['3×3 s3, W 50 (other strides: column by column)', { ...base, w: 50, stride: [3, 3] }],
  ['3×3 dilation 2 p2, asymmetric stride [1, 2]', { ...base, w: 34, dilation: [2, 2], pad: [2, 2, 2, 2], stride: [1, 2] }],
  ['asymmetric pads [0, 2, 1, 0] (t, l, b, r), kernel 2×4', { ...base, k: [2, 4], pad: [0, 2, 1, 0] }],
  ['groups 2 (per group staging), batch 2', { ...base, n: 2, cin: 6, cout: 4, groups: 2 }],
  ['W 8, H 3, no vertical padding: one output row of exactly one panel', { ...base, h: 3, w: 8, pad: [0, 1, 0, 1] }],
];

describe('dense conv kernel = the definition (max abs error ≤ 1e-5 of the output scale)', () => {
  it.each(CASES)('%s', (_, c) => {
    const { x, w, bias } = operands(c, 11);
    const p = plan(c);
    const want = direct(x, w, bias, c, p.geo[0].out, p.geo[1].out);
    expect(scaledError(convForward(x, w, bias, p), want)).toBeLessThanOrEqual(1e-5);
  });

  it('a band of output rows [2, 5) (workers split by bands) writes those rows only, equal to the whole', () => {
    const c: Case = { ...base, h: 11, w: 21, stride: [2, 1] };
    const r = rng(5);
    const x = Float32Array.from({ length: c.cin * c.h * c.w }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: c.cout * c.cin * 9 }, () => r() * 2 - 1);
    const p = plan(c);
    const [oh, ow] = [p.geo[0].out, p.geo[1].out];
    const whole = convForward(x, w, undefined, p);
    const band = new Float32Array(whole.length);
    convRows(x, w, undefined, p, 2, 5, band);
    for (let co = 0; co < c.cout; co++)
      for (let i = 0; i < oh * ow; i++) {
        const oy = Math.floor(i / ow);
        expect(band[co * oh * ow + i]).toBe(oy >= 2 && oy < 5 ? whole[co * oh * ow + i] : 0);
      }
  });

  it.each(CASES)('every band of output rows [a, b): the whole conv\'s bits there, zeros elsewhere: %s', (_, c) => {
    const { x, w, bias } = operands(c, 13);
    const p = plan(c);
    expectEveryRowBand(convForward(x, w, bias, p), p.geo[0].out, p.geo[1].out, (a, b, out) => convRows(x, w, bias, p, a, b, out));
  });

  it(`a conv too big to stage whole, 1×1 256→4 at 128×128 with a bias (its input, 4,194,304 floats, and tap table over KERNEL_SCRATCH ${KERNEL_SCRATCH}): its row bands, small enough to stage, take the whole conv's path (the bias added after the GEMM, not first), so 2 and 4 bands give convForward's bits`, () => {
    const c: Case = { ...base, cin: 256, cout: 4, h: 128, w: 128, k: [1, 1], pad: [0, 0, 0, 0] };
    // P (the input itself: unpadded) and its table of 256 taps
    expect(c.cin * c.h * c.w + c.cin).toBeGreaterThan(KERNEL_SCRATCH);
    const r = rng(17);
    const x = Float32Array.from({ length: c.cin * c.h * c.w }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: c.cout * c.cin }, () => r() * 2 - 1);
    const bias = Float32Array.from({ length: c.cout }, () => r() * 2 - 1);
    const p = plan(c);
    const whole = convForward(x, w, bias, p);
    for (const bands of [2, 4]) {
      const out = new Float32Array(whole.length);
      for (let i = 0; i < bands; i++) convRows(x, w, bias, p, (i * 128) / bands, ((i + 1) * 128) / bands, out);
      expect(out, `${bands} bands`).toEqual(whole);
    }
  });

  it('a pointwise conv too large for one GEMM tile (1×1 2048→2048: depth-tiled) at 3×3, with a bias: a band of one output row (3 positions) takes the whole conv\'s kernel, not the few-columns loop (float64 sums): every band [a, b) gives the whole\'s bits', () => {
    const c: Case = { ...base, cin: 2048, cout: 2048, h: 3, w: 3, k: [1, 1], pad: [0, 0, 0, 0] };
    const r = rng(19);
    const x = Float32Array.from({ length: c.cin * 9 }, () => r() * 2 - 1);
    const w = Float32Array.from({ length: c.cout * c.cin }, () => r() * 2 - 1);
    const bias = Float32Array.from({ length: c.cout }, () => r() * 2 - 1);
    const p = plan(c);
    const whole = convForward(x, w, bias, p);
    for (let a = 0; a < 3; a++)
      for (let b = a + 1; b <= 3; b++) {
        const band = new Float32Array(whole.length);
        convRows(x, w, bias, p, a, b, band);
        let differ = 0;
        for (let i = 0; i < whole.length; i++) if (Math.floor((i % 9) / 3) >= a && Math.floor((i % 9) / 3) < b && !Object.is(band[i], whole[i])) differ++;
        expect(differ, `rows [${a}, ${b})`).toBe(0);
      }
  });
});
