/**
 * The SIMD depthwise kernel (ops/depthwise.ts, wasm/depthwise.wat) against the definition,
 *   y[b, co, oy, ox] = Σ_u Σ_v w[co, 0, u, v] · x[b, co / m, oy·sy − pt + u·dh, ox·sx − pl + v·dw]
 * (zero outside the input), plus b[co] when the case has a bias, written out directly in the test;
 * PyTorch goldens of depthwise convs are in test/ops/goldens.test.ts. Widths are chosen to end
 * mid-way through an 8-column step. 3×3 kernels with horizontal dilation 1 run the unrolled k3s1 /
 * k3s2 kernels, everything else the tap-loop s1 / s2 ones: the cases cover both.
 */
import { describe, expect, it } from 'vitest';
import { committedIsAssembled } from '../wasm-assembly.js';
import { depthwiseRows } from '../../src/ops/depthwise.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';
import { rng } from '../../src/tensor/random.js';

interface Case {
  n: number;
  c: number;
  mult: number;
  h: number;
  w: number;
  k: [number, number];
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  bias?: boolean;
}

function direct(x: Float32Array, wt: Float32Array, c: Case, oh: number, ow: number, bias?: Float32Array): Float32Array {
  const cout = c.c * c.mult;
  const y = new Float32Array(c.n * cout * oh * ow);
  for (let b = 0; b < c.n; b++)
    for (let co = 0; co < cout; co++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = bias ? bias[co] : 0;
          for (let u = 0; u < c.k[0]; u++)
            for (let v = 0; v < c.k[1]; v++) {
              const iy = oy * c.stride[0] - c.pad[0] + u * c.dilation[0];
              const ix = ox * c.stride[1] - c.pad[1] + v * c.dilation[1];
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
              acc += wt[(co * c.k[0] + u) * c.k[1] + v] * x[((b * c.c + Math.floor(co / c.mult)) * c.h + iy) * c.w + ix];
            }
          y[((b * cout + co) * oh + oy) * ow + ox] = acc;
        }
  return y;
}

/** One axis by PyTorch's formula: out = ⌊(in + pb + pe − d·(k − 1) − 1) / s⌋ + 1. */
function axis(inSize: number, k: number, s: number, d: number, pb: number, pe: number): AxisGeometry {
  const out = Math.floor((inSize + pb + pe - d * (k - 1) - 1) / s) + 1;
  return { in: inSize, kernel: k, stride: s, dilation: d, effKernel: d * (k - 1) + 1, padBegin: pb, padEnd: pe, out };
}

function plan(c: Case) {
  const geo = [axis(c.h, c.k[0], c.stride[0], c.dilation[0], c.pad[0], c.pad[2]), axis(c.w, c.k[1], c.stride[1], c.dilation[1], c.pad[1], c.pad[3])];
  return { n: c.n, cin: c.c, cout: c.c * c.mult, geo };
}

const base: Case = { n: 1, c: 3, mult: 1, h: 11, w: 13, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1] };
const CASES: [string, Case][] = [
  ['3×3 s1 p1, W 13 (one full and one partial 8-column step)', base],
  ['3×3 s2 p1', { ...base, stride: [2, 2] }],
  ['5×5 s1 p2', { ...base, k: [5, 5], pad: [2, 2, 2, 2] }],
  ['5×5 s2 p2, batch 2', { ...base, n: 2, k: [5, 5], stride: [2, 2], pad: [2, 2, 2, 2] }],
  ['7×7 s1 p3 dilation 2 (taps reach past the padding)', { ...base, k: [7, 7], pad: [3, 3, 3, 3], dilation: [2, 2] }],
  ['3×3 s1 asymmetric pads [0, 2, 1, 0] (t, l, b, r)', { ...base, pad: [0, 2, 1, 0] }],
  ['3×5 kernel, stride [3, 1], no padding', { ...base, k: [3, 5], stride: [3, 1], pad: [0, 0, 0, 0] }],
  ['channel multiplier 2 (Cout = 2·Cin)', { ...base, mult: 2 }],
  ['W 1, 1×1 plane output', { ...base, h: 1, w: 1 }],
  ['W 40 s2: five 8-column steps', { ...base, w: 40, stride: [2, 2] }],
  ['3×3 s1 with bias, W 21', { ...base, w: 21, bias: true }],
  ['3×3 s2 with bias, channel multiplier 2, W 37, stride [1, 2]', { ...base, w: 37, stride: [1, 2], mult: 2, bias: true }],
  ['3×3 s1 vertical dilation 2 (unrolled kernel, tapRow 2 rows)', { ...base, dilation: [2, 1], pad: [2, 1, 2, 1] }],
  ['3×3 s1 horizontal dilation 2 (tap-loop kernel)', { ...base, dilation: [1, 2], pad: [1, 2, 1, 2], bias: true }],
  ['5×5 s2 with bias, batch 2', { ...base, n: 2, k: [5, 5], stride: [2, 2], pad: [2, 2, 2, 2], bias: true }],
  ['3×3 s1 p1, H 12 W 16: an even number of rows (the two-row kernel only)', { ...base, h: 12, w: 16, bias: true }],
  ['3×3 s1 p1, H 1: one row (the one-row kernel only)', { ...base, h: 1 }],
  ['3×3 s1 p1, 7×7 with bias: one 8-column step per row, whose tail lands on the next row (MobileNetV2\'s last maps)', { ...base, h: 7, w: 7, bias: true }],
  ['3×3 s1 p1, H 6 W 4 (a row pair of half steps)', { ...base, h: 6, w: 4 }],
  ['3×3 s2 p0, H 3 (the plane has no padding rows)', { ...base, h: 3, stride: [2, 2], pad: [0, 0, 0, 0] }],
];

describe('depthwise SIMD kernel = the direct sum (max abs error ≤ 1e-5)', () => {
  it('the committed wasm/depthwise.wasm is what wabt assembles from wasm/depthwise.wat (npm run wasm)', async () => {
    expect(await committedIsAssembled('depthwise')).toBe(true);
  });

  it.each(CASES)('%s', (_, c) => {
    const r = rng(7);
    const x = Float32Array.from({ length: c.n * c.c * c.h * c.w }, () => r() * 2 - 1);
    const wt = Float32Array.from({ length: c.c * c.mult * c.k[0] * c.k[1] }, () => r() * 2 - 1);
    const bias = c.bias ? Float32Array.from({ length: c.c * c.mult }, () => r() * 2 - 1) : undefined;
    const p = plan(c);
    const [oh, ow] = [p.geo[0].out, p.geo[1].out];
    const want = direct(x, wt, c, oh, ow, bias);
    const got = new Float32Array(want.length);
    expect(depthwiseRows(x, wt, got, p, 0, oh, bias)).toBe(true);
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    expect(err).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['stride 2', [2, 2]],
    ['stride 1: a row pair and the odd row after it', [1, 1]],
  ] as const)('a band of rows [2, 5) writes those rows only (workers split by bands), %s', (_, stride) => {
    const c = { ...base, stride: [...stride] as [number, number], h: 17 };
    const r = rng(3);
    const x = Float32Array.from({ length: c.c * c.h * c.w }, () => r());
    const wt = Float32Array.from({ length: c.c * 9 }, () => r());
    const p = plan(c);
    const [oh, ow] = [p.geo[0].out, p.geo[1].out];
    const want = direct(x, wt, c, oh, ow);
    const got = new Float32Array(want.length).fill(Number.NaN);
    depthwiseRows(x, wt, got, p, 2, 5);
    for (let co = 0; co < c.c; co++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const i = (co * oh + oy) * ow + ox;
          if (oy >= 2 && oy < 5) expect(got[i]).toBeCloseTo(want[i], 5);
          else expect(got[i]).toBeNaN();
        }
  });

  it.each(CASES)('every band of output rows [a, b) gives the whole conv\'s bits there (the two-row and one-row 3×3 kernels add the taps in one order, so pairing rows otherwise changes nothing): %s', (_, c) => {
    const r = rng(9);
    const x = Float32Array.from({ length: c.n * c.c * c.h * c.w }, () => r() * 2 - 1);
    const wt = Float32Array.from({ length: c.c * c.mult * c.k[0] * c.k[1] }, () => r() * 2 - 1);
    const bias = c.bias ? Float32Array.from({ length: c.c * c.mult }, () => r() * 2 - 1) : undefined;
    const p = plan(c);
    const [oh, ow] = [p.geo[0].out, p.geo[1].out];
    const whole = new Float32Array(c.n * c.c * c.mult * oh * ow);
    depthwiseRows(x, wt, whole, p, 0, oh, bias);
    for (let a = 0; a < oh; a++)
      for (let b = a + 1; b <= oh; b++) {
        const band = new Float32Array(whole.length).fill(Number.NaN);
        depthwiseRows(x, wt, band, p, a, b, bias);
        let differ = 0;
        for (let i = 0; i < whole.length; i++) {
          const oy = Math.floor((i % (oh * ow)) / ow);
          if (oy >= a && oy < b && !Object.is(band[i], whole[i])) differ++;
        }
        expect(differ, `rows [${a}, ${b})`).toBe(0);
      }
  });

  it('horizontal stride 3 is not the kernel\'s: false, nothing written (the scalar loop runs)', () => {
    const c = { ...base, stride: [1, 3] as [number, number] };
    const p = plan(c);
    const out = new Float32Array(c.c * p.geo[0].out * p.geo[1].out).fill(7);
    expect(depthwiseRows(new Float32Array(c.c * c.h * c.w), new Float32Array(c.c * 9), out, p, 0, p.geo[0].out)).toBe(false);
    expect(out.every((v) => v === 7)).toBe(true);
  });
});
