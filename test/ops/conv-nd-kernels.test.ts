import { describe, expect, it } from 'vitest';
import { convNdForward, convNdStages } from '../../src/ops/conv-nd-kernels.js';
import type { ConvNdPlan } from '../../src/ops/conv-nd-kernels.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';
import { asThreeAxes } from '../../src/ops/geometry-nd.js';
import { rng } from '../../src/tensor/random.js';

/** One axis: out = ⌊(in + pb + pe − d·(k − 1) − 1) / s⌋ + 1 (PyTorch's Conv3d). */
function axis(size: number, kernel: number, stride = 1, dilation = 1, padBegin = 0, padEnd = padBegin): AxisGeometry {
  const effKernel = dilation * (kernel - 1) + 1;
  return { in: size, kernel, stride, dilation, padBegin, padEnd, effKernel, out: Math.floor((size + padBegin + padEnd - effKernel) / stride) + 1 };
}

/** y[n, o, t, h, w] = b[o] + Σ_{c in o's group, u, v, k} w[o, c, u, v, k] · x[n, g·Cin/g + c, t·st − pt + u·dt, …] (zero outside), in float64. */
function reference(x: Float32Array, w: Float32Array, bias: Float32Array, p: ConvNdPlan): Float64Array {
  const [gt, gh, gw] = asThreeAxes(p.geo);
  const [cinG, coutG] = [p.cin / p.groups, p.cout / p.groups];
  const out = new Float64Array(p.n * p.cout * gt.out * gh.out * gw.out);
  let i = 0;
  for (let n = 0; n < p.n; n++)
    for (let o = 0; o < p.cout; o++)
      for (let t = 0; t < gt.out; t++)
        for (let h = 0; h < gh.out; h++)
          for (let q = 0; q < gw.out; q++, i++) {
            let s = bias[o];
            for (let c = 0; c < cinG; c++)
              for (let u = 0; u < gt.kernel; u++)
                for (let v = 0; v < gh.kernel; v++)
                  for (let k = 0; k < gw.kernel; k++) {
                    const [it, ih, iw] = [t * gt.stride - gt.padBegin + u * gt.dilation, h * gh.stride - gh.padBegin + v * gh.dilation, q * gw.stride - gw.padBegin + k * gw.dilation];
                    if (it < 0 || it >= gt.in || ih < 0 || ih >= gh.in || iw < 0 || iw >= gw.in) continue;
                    const xc = n * p.cin + Math.floor(o / coutG) * cinG + c;
                    s += w[(((o * cinG + c) * gt.kernel + u) * gh.kernel + v) * gw.kernel + k] * x[((xc * gt.in + it) * gh.in + ih) * gw.in + iw];
                  }
            out[i] = s;
          }
  return out;
}

function check(p: ConvNdPlan, stages: boolean): void {
  const r = rng(11);
  const numelX = p.n * p.cin * p.geo.reduce((a, g) => a * g.in, 1);
  const K = (p.cin / p.groups) * p.geo.reduce((a, g) => a * g.kernel, 1);
  const x = Float32Array.from({ length: numelX }, () => r() * 2 - 1);
  const w = Float32Array.from({ length: p.cout * K }, () => r() * 2 - 1);
  const b = Float32Array.from({ length: p.cout }, () => r() * 2 - 1);
  expect(convNdStages(p)).toBe(stages);
  const got = convNdForward(x, w, b, p);
  const want = reference(x, w, b, p);
  expect(got.length).toBe(want.length);
  // float32 sums of K products of terms in [−1, 1]: within K · 2^−24 · √K-ish; 1e-6 · K bounds it
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThan(1e-6 * K);
}

describe('convNdForward: staged in WebAssembly a depth slice at a time, or the JavaScript im2col, both the float64 direct sum', () => {
  it('staged: 2 images, 6 → 4 in 2 groups, k [3,3,2], stride [2,1,2], dilation [2,1,1], padding t 1, h 0, w 2|1, at 7×5×9', () => {
    check({ n: 2, cin: 6, cout: 4, groups: 2, geo: [axis(7, 3, 2, 2, 1), axis(5, 3, 1, 1, 0), axis(9, 2, 2, 1, 2, 1)] }, true);
  });

  it('staged: depth kernel past the padding on both ends (k 5, padding 3 at depth 2: taps read zeros), 3 → 5 at 2×4×4', () => {
    check({ n: 1, cin: 3, cout: 5, groups: 1, geo: [axis(2, 5, 1, 1, 3), axis(4, 3, 1, 1, 1), axis(4, 1)] }, true);
  });

  it('not staged, its weight over one GEMM tile: 640 → 2, k 3, padding 1 at 3×3×3 (K = 17,280)', () => {
    check({ n: 1, cin: 640, cout: 2, groups: 1, geo: [axis(3, 3, 1, 1, 1), axis(3, 3, 1, 1, 1), axis(3, 3, 1, 1, 1)] }, false);
  });

  it('conv1d (one axis) stages as a 1-row 2-D conv: 4 → 3, k 3, stride 2, padding 2 over 11', () => {
    check({ n: 1, cin: 4, cout: 3, groups: 1, geo: [axis(11, 3, 2, 1, 2)] }, true);
  });
});
