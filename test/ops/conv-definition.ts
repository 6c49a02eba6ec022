/**
 * A convolution case for the kernel specs (test/ops/conv-kernels.test.ts, conv-winograd.test.ts),
 * its plan, random operands, the definition written out in double precision:
 *   y[b, co, oy, ox] = bias[co] + Σ_{ci ∈ group(co)} Σ_{u,v} w[co, ci, u, v] · x[b, ci, oy·sy − pt + u·dh, ox·sx − pl + v·dw]
 * (zero outside the input), and the check that every band of output rows gives the whole's bits.
 */
import { expect } from 'vitest';
import type { ConvPlan } from '../../src/ops/conv.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';
import { rng } from '../../src/tensor/random.js';

export interface Case {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  h: number;
  w: number;
  k: [number, number];
  stride: [number, number];
  /** top, left, bottom, right */
  pad: [number, number, number, number];
  dilation: [number, number];
}

export function axis(inSize: number, k: number, s: number, d: number, pb: number, pe: number): AxisGeometry {
  const out = Math.floor((inSize + pb + pe - d * (k - 1) - 1) / s) + 1;
  return { in: inSize, kernel: k, stride: s, dilation: d, effKernel: d * (k - 1) + 1, padBegin: pb, padEnd: pe, out };
}

export const plan = (c: Case): ConvPlan => ({
  n: c.n,
  cin: c.cin,
  cout: c.cout,
  groups: c.groups,
  geo: [axis(c.h, c.k[0], c.stride[0], c.dilation[0], c.pad[0], c.pad[2]), axis(c.w, c.k[1], c.stride[1], c.dilation[1], c.pad[1], c.pad[3])],
});

export function direct(x: Float32Array, w: Float32Array, bias: Float32Array, c: Case, oh: number, ow: number): Float64Array {
  const [cinG, coutG] = [c.cin / c.groups, c.cout / c.groups];
  const y = new Float64Array(c.n * c.cout * oh * ow);
  for (let b = 0; b < c.n; b++)
    for (let co = 0; co < c.cout; co++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = bias[co];
          for (let ci = 0; ci < cinG; ci++)
            for (let u = 0; u < c.k[0]; u++)
              for (let v = 0; v < c.k[1]; v++) {
                const iy = oy * c.stride[0] - c.pad[0] + u * c.dilation[0];
                const ix = ox * c.stride[1] - c.pad[1] + v * c.dilation[1];
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                const xc = b * c.cin + Math.floor(co / coutG) * cinG + ci;
                acc += w[((co * cinG + ci) * c.k[0] + u) * c.k[1] + v] * x[(xc * c.h + iy) * c.w + ix];
              }
          y[((b * c.cout + co) * oh + oy) * ow + ox] = acc;
        }
  return y;
}

/** x, weights and bias of a case, uniform in [−1, 1) from `seed`. */
export function operands(c: Case, seed: number) {
  const r = rng(seed);
  const x = Float32Array.from({ length: c.n * c.cin * c.h * c.w }, () => r() * 2 - 1);
  const w = Float32Array.from({ length: (c.cout * c.cin * c.k[0] * c.k[1]) / c.groups }, () => r() * 2 - 1);
  const bias = Float32Array.from({ length: c.cout }, () => r() * 2 - 1);
  return { x, w, bias };
}

/** Every band [a, b) of the oh output rows, written by `band` into a zeroed output: `whole`'s bits in its rows, zeros elsewhere. */
export function expectEveryRowBand(whole: Float32Array, oh: number, ow: number, band: (a: number, b: number, out: Float32Array) => void): void {
  for (let a = 0; a < oh; a++)
    for (let b = a + 1; b <= oh; b++) {
      const out = new Float32Array(whole.length);
      band(a, b, out);
      const want = whole.map((v, i) => (Math.floor((i % (oh * ow)) / ow) >= a && Math.floor((i % (oh * ow)) / ow) < b ? v : 0));
      expect(out, `rows [${a}, ${b})`).toEqual(want);
    }
}
