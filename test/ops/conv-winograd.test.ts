/**
 * Winograd F(2×2, 3×3) (ops/conv-winograd.ts) against hand-worked outputs, the definition in
 * double precision (test/ops/conv-definition.ts) and itself: bands of rows or kernels, and smaller
 * working budgets (more passes over the kernels, more chunks of tile rows), give the whole conv's
 * bits. PyTorch goldens of convs that take this path: test/fixtures/operators/conv_kernels.json
 * (scripts/goldens_conv_kernels.py, "Winograd" cases), checked by test/ops/goldens.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { convForward, convRows } from '../../src/ops/conv.js';
import { WINOGRAD_MIN_CHANNELS, WINOGRAD_MIN_POSITIONS, kernelTransforms, keptKernels, winogradApplies, winogradRows } from '../../src/ops/conv-winograd.js';
import { withEpilogue } from '../../src/tensor/gemm.js';
import { scaledError } from '../helpers.js';
import { committedIsAssembled } from '../wasm-assembly.js';
import { type Case, axis, direct, expectEveryRowBand, operands, plan } from './conv-definition.js';

const base: Case = { n: 1, cin: 8, cout: 4, groups: 1, h: 8, w: 8, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1] };

function winograd(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, c: Case, budgets?: { kernels: number; chunk: number }): Float32Array {
  const p = plan(c);
  const out = new Float32Array(c.n * c.cout * p.geo[0].out * p.geo[1].out);
  winogradRows(x, w, bias, p, 0, p.geo[0].out, out, budgets);
  return out;
}

describe('Winograd F(2×2, 3×3): hand-worked', () => {
  it('the committed wasm/winograd.wasm is what wabt assembles from wasm/winograd.wat (npm run wasm)', async () => {
    expect(await committedIsAssembled('winograd')).toBe(true);
  });

  it('x and w all ones, 8 channels at 8×8, pad 1, bias 0.5: 8 × (taps inside) + 0.5, i.e. 32.5 at the corners, 48.5 on the edges, 72.5 inside, exactly', () => {
    const x = new Float32Array(8 * 64).fill(1);
    const w = new Float32Array(4 * 8 * 9).fill(1);
    const y = winograd(x, w, new Float32Array(4).fill(0.5), base);
    const inside = (i: number) => (i === 0 || i === 7 ? 2 : 3);
    for (let k = 0; k < 4; k++)
      for (let oy = 0; oy < 8; oy++)
        for (let ox = 0; ox < 8; ox++) expect(y[k * 64 + oy * 8 + ox], `k ${k} (${oy}, ${ox})`).toBe(8 * inside(oy) * inside(ox) + 0.5);
    expect([y[0], y[1], y[9]]).toEqual([32.5, 48.5, 72.5]);
  });

  it('an impulse at (3, 4) of channel 0, integer kernels, no bias: each kernel of channel 0 mirrored around it, y[k, 3 + 1 − u, 4 + 1 − v] = w[k, 0, u, v], zero elsewhere, exactly', () => {
    const x = new Float32Array(8 * 64);
    x[3 * 8 + 4] = 1;
    const w = Float32Array.from({ length: 4 * 8 * 9 }, (_, i) => (i % 9) - 4 + Math.floor(i / 72));
    const y = winograd(x, w, undefined, base);
    for (let k = 0; k < 4; k++)
      for (let oy = 0; oy < 8; oy++)
        for (let ox = 0; ox < 8; ox++) {
          const [u, v] = [4 - oy, 5 - ox];
          const want = u >= 0 && u < 3 && v >= 0 && v < 3 ? w[k * 72 + u * 3 + v] : 0;
          expect(y[k * 64 + oy * 8 + ox], `k ${k} (${oy}, ${ox})`).toBe(want);
        }
  });
});

const CASES: [string, Case][] = [
  ['16 → 12 at 13×14, pad 1 (odd height: the last tile row half outside; 7 tiles a row: a 4-tile step past the row end)', { ...base, cin: 16, cout: 12, h: 13, w: 14 }],
  ['8 → 4 at 10×9, no padding (8×7 outputs: odd width)', { ...base, h: 10, w: 9, pad: [0, 0, 0, 0] }],
  ['8 → 8 at 9×9, pad 2 (more outputs than inputs)', { ...base, cout: 8, h: 9, w: 9, pad: [2, 2, 2, 2] }],
  ['asymmetric pads [0, 1, 2, 1] (t, l, b, r), 8 → 5 (a partial block of 4 kernels)', { ...base, cout: 5, h: 11, w: 12, pad: [0, 1, 2, 1] }],
  ['groups 2, batch 2, 16 → 8', { ...base, n: 2, cin: 16, cout: 8, groups: 2, h: 9, w: 10 }],
  ['64 → 64 at 24×20, pad 1', { ...base, cin: 64, cout: 64, h: 24, w: 20 }],
];

describe('Winograd F(2×2, 3×3) = the definition (max abs error ≤ 1e-5 of the output scale)', () => {
  it.each(CASES)('%s', (_, c) => {
    const { x, w, bias } = operands(c, 21);
    const p = plan(c);
    const want = direct(x, w, bias, c, p.geo[0].out, p.geo[1].out);
    expect(scaledError(winograd(x, w, bias, c), want)).toBeLessThanOrEqual(1e-5);
  });

  it.each(CASES)('smaller budgets (4 kernels a pass, one tile row a chunk) give the same bits: %s', (_, c) => {
    const { x, w, bias } = operands(c, 22);
    expect(winograd(x, w, bias, c, { kernels: 16 * 4 * c.cin, chunk: 1 })).toEqual(winograd(x, w, bias, c));
  });

  it("every band of output rows [a, b), a job's bands with its kernels kept, and a band of kernels [4, 12): the whole conv's bits (tiles aligned to even rows), zeros elsewhere", () => {
    const c: Case = { ...base, cin: 16, cout: 12, h: 13, w: 14 };
    const { x, w, bias } = operands(c, 23);
    const p = plan(c);
    const [oh, ow] = [p.geo[0].out, p.geo[1].out];
    const whole = winograd(x, w, bias, c);
    expectEveryRowBand(whole, oh, ow, (a, b, out) => winogradRows(x, w, bias, p, a, b, out));
    // a job's bands on one thread (runtime/team-kernels.ts): the kernels transformed once, the same bits
    const kept = keptKernels();
    const before = kernelTransforms();
    const bands = new Float32Array(whole.length);
    for (const [a, b] of [[0, 4], [4, 8], [8, 13]]) winogradRows(x, w, bias, p, a, b, bands, undefined, kept);
    expect(kernelTransforms() - before).toBe(1);
    expect(bands).toEqual(whole);
    // in passes of 4 kernels (three a band): every pass transformed again, since the last pass left only its own
    const passes = keptKernels();
    const inPasses = new Float32Array(whole.length);
    for (const [a, b] of [[0, 4], [4, 8], [8, 13]]) winogradRows(x, w, bias, p, a, b, inPasses, { kernels: 16 * 4 * 16, chunk: 1 << 20 }, passes);
    expect(inPasses).toEqual(whole);
    // another call between (another conv's kernels in memory): the job's next band transforms again
    winogradRows(x, w.map((v) => -v), bias, p, 0, 2, new Float32Array(whole.length));
    winogradRows(x, w, bias, p, 8, 13, bands, undefined, kept);
    expect(kernelTransforms() - before).toBe(1 + 9 + 2);
    expect(bands).toEqual(whole);
    const kernels = new Float32Array(8 * oh * ow);
    winogradRows(x, w.subarray(4 * 16 * 9, 12 * 16 * 9), bias.subarray(4, 12), { ...p, cout: 8 }, 0, oh, kernels);
    expect(kernels).toEqual(whole.subarray(4 * oh * ow, 12 * oh * ow));
  });
});

describe('when a conv takes the Winograd path', () => {
  const geo = (size: number, o: Partial<{ k: number; s: number; d: number; pb: number; pe: number }> = {}) => {
    const { k = 3, s = 1, d = 1, pb = 1, pe = 1 } = o;
    return [axis(size, k, s, d, pb, pe), axis(size, k, s, d, pb, pe)];
  };
  it.each([
    [`3×3 s1 p1, ${WINOGRAD_MIN_CHANNELS} channels at 8×8 (${WINOGRAD_MIN_POSITIONS} positions)`, WINOGRAD_MIN_CHANNELS, geo(8), true],
    ['3×3 s1 p1, 512 channels at 56×56', 512, geo(56), true],
    [`${WINOGRAD_MIN_CHANNELS - 1} channels (the transforms cost more than they save)`, WINOGRAD_MIN_CHANNELS - 1, geo(56), false],
    ['7×7 outputs (49 positions: ResNet\'s last stage, where it was 0.93× the direct conv)', 512, geo(7), false],
    ['stride 2', 64, geo(56, { s: 2 }), false],
    ['dilation 2', 64, geo(56, { d: 2, pb: 2, pe: 2 }), false],
    ['a 5×5 kernel', 64, geo(56, { k: 5, pb: 2, pe: 2 }), false],
    ['a negative pad (a crop)', 64, geo(56, { pb: -1 }), false],
    // one tile row of four kernels at 64×64 (32 tiles a row, Wp = 2·32 + 8): 16·C·32 + 16·4·32 + 2·C·72 + 2·C·64 + 2·4·64 floats
    ['1,024 channels at 64×64: one tile row of four kernels is 805,376 floats, within the chunk budget (2^20)', 1024, geo(64), true],
    ['2,048 channels at 64×64: one tile row of four kernels is 1,608,192 floats, over the chunk budget (2^20): the direct conv', 2048, geo(64), false],
  ] as const)('%s: %s', (_, cin, g, want) => {
    expect(winogradApplies(cin, [...g])).toBe(want);
  });

  it("convForward and convRows on a conv it applies to are winogradRows's bits; a fused activation maps all its outputs in the copy-out", () => {
    const c: Case = { ...base, cin: 16, cout: 8, h: 12, w: 12 };
    const { x, w, bias } = operands(c, 24);
    const p = plan(c);
    const want = winograd(x, w, bias, c);
    expect(convForward(x, w, bias, p)).toEqual(want);
    const relu = (v: Float32Array) => v.forEach((e, i) => (v[i] = Math.max(0, e)));
    const { result, covered } = withEpilogue(relu, () => {
      const out = new Float32Array(want.length);
      convRows(x, w, bias, p, 0, 12, out);
      return out;
    });
    expect(covered).toBe(want.length);
    expect(result).toEqual(want.map((v) => Math.max(0, v)));
    expect(want.some((v) => v < 0)).toBe(true);
  });
});
