/**
 * Inputs that are not finite through a conv Winograd takes (ops/conv-direct.ts directWhereNotFinite):
 * the output rows whose Winograd outputs are not finite are the direct sum's, as PyTorch's CPU conv
 * computes it (an infinite input made NaN there: the transforms subtract inputs, ∞ − ∞). Expected
 * values from the definition in double precision (test/ops/conv-definition.ts direct), where ±∞
 * and NaN follow IEEE arithmetic as they do in float32.
 */
import { describe, expect, it } from 'vitest';
import { convForward, convRows } from '../../src/ops/conv.js';
import { keptKernels, winogradApplies, winogradRows, withoutWinograd } from '../../src/ops/conv-winograd.js';
import { withEpilogue } from '../../src/tensor/gemm.js';
import { type Case, direct, expectEveryRowBand, operands, plan } from './conv-definition.js';

const c: Case = { n: 2, cin: 8, cout: 6, groups: 1, h: 10, w: 10, k: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], dilation: [1, 1] };
const p = plan(c);
const [OH, OW] = [10, 10];
const at = (b: number, k: number, oy: number, ox: number) => ((b * c.cout + k) * OH + oy) * OW + ox;

/** The case's operands with x[image 1, channel 2, row 4, column 5] = v. */
function withValue(v: number, positiveWeights = false) {
  const o = operands(c, 31);
  if (positiveWeights) o.w = o.w.map((e) => 0.25 + Math.abs(e));
  o.x[((1 * c.cin + 2) * c.h + 4) * c.w + 5] = v;
  return o;
}

describe('a conv Winograd takes, on inputs that are not finite: the direct sum in the rows they reach', () => {
  it('8 → 6 at 10×10, pad 1: the case takes Winograd (the path under test)', () => {
    expect(winogradApplies(c.cin, p.geo)).toBe(true);
  });

  it('+∞ at (4, 5) of image 1, channel 2, weights in [0.25, 1.25): +∞ at the 3×3 outputs (rows 3–5, columns 4–6) of every kernel of image 1, exactly; every other output finite', () => {
    const { x, w, bias } = withValue(Infinity, true);
    const y = convForward(x, w, bias, p);
    for (let b = 0; b < 2; b++)
      for (let k = 0; k < c.cout; k++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            const reached = b === 1 && oy >= 3 && oy <= 5 && ox >= 4 && ox <= 6;
            const v = y[at(b, k, oy, ox)];
            if (reached) expect(v, `image ${b} kernel ${k} (${oy}, ${ox})`).toBe(Infinity);
            else expect(Number.isFinite(v), `image ${b} kernel ${k} (${oy}, ${ox}): ${v}`).toBe(true);
          }
  });

  it.each([
    ['+∞', Infinity],
    ['−∞', -Infinity],
    ['NaN', NaN],
  ])('%s at (4, 5), weights of both signs: ±∞ and NaN where the definition has them; the output rows whose window holds it (3–5) of every kernel are the direct path\'s bits, the others Winograd\'s (row 2 too, the same tile as row 3)', (_, v) => {
    const { x, w, bias } = withValue(v);
    const y = convForward(x, w, bias, p);
    const want = direct(x, w, bias, c, OH, OW);
    const directPath = withoutWinograd(() => convForward(x, w, bias, p));
    const finiteX = x.map((e) => (Number.isFinite(e) ? e : 0));
    const winograd = new Float32Array(y.length);
    winogradRows(finiteX, w, bias, p, 0, OH, winograd);
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(want[i])) expect(y[i], `output ${i}`).toBe(want[i]);
      const row = Math.floor(i / OW) % OH;
      const image = Math.floor(i / (c.cout * OH * OW));
      // image 0 holds no such value, but a row is redone for every image of a kernel it reaches
      expect(y[i], `output ${i} (row ${row})`).toBe(row >= 3 && row <= 5 ? directPath[i] : winograd[i]);
      if (image === 0) expect(Math.abs(y[i] - want[i])).toBeLessThan(1e-5);
    }
  });

  it('with +∞ in the input: every band of output rows, a job\'s bands with its kernels kept, and a band of kernels [2, 5) give the whole conv\'s bits (each kernel\'s row judged by its own outputs)', () => {
    const { x, w, bias } = withValue(Infinity);
    const whole = convForward(x, w, bias, p);
    expectEveryRowBand(whole, OH, OW, (a, b, out) => convRows(x, w, bias, p, a, b, out));
    // a job's bands on one thread, the kernels kept from band to band (runtime/team-kernels.ts): the direct rows of band [2, 6) use the GEMM's memory, so band [6, 10) transforms them again
    const kept = keptKernels();
    const bands = new Float32Array(whole.length);
    for (const [a, b] of [[0, 2], [2, 6], [6, 10]]) convRows(x, w, bias, p, a, b, bands, kept);
    expect(bands).toEqual(whole);
    const kernels = new Float32Array(c.n * 3 * OH * OW);
    convRows(x, w.subarray(2 * 72, 5 * 72), bias.subarray(2, 5), { ...p, cout: 3 }, 0, OH, kernels);
    for (let b = 0; b < c.n; b++) expect(kernels.subarray(b * 3 * OH * OW, (b + 1) * 3 * OH * OW)).toEqual(whole.subarray(at(b, 2, 0, 0), at(b, 5, 0, 0)));
  });

  it('a band that ends inside a tile, [4, 5): row 5, computed beside it from input row 6, is not its business: NaN in input row 6 (a row a team has not staged yet) leaves row 4 Winograd\'s bits', () => {
    const { x, w, bias } = operands(c, 32);
    const whole = convForward(x, w, bias, p);
    const unstaged = x.slice();
    for (let b = 0; b < c.n; b++) for (let ch = 0; ch < c.cin; ch++) unstaged.fill(NaN, ((b * c.cin + ch) * c.h + 6) * c.w, ((b * c.cin + ch) * c.h + 7) * c.w);
    const band = new Float32Array(whole.length);
    convRows(unstaged, w, bias, p, 4, 5, band);
    for (let b = 0; b < c.n; b++)
      for (let k = 0; k < c.cout; k++) expect(band.subarray(at(b, k, 4, 0), at(b, k, 5, 0)), `image ${b} kernel ${k}`).toEqual(whole.subarray(at(b, k, 4, 0), at(b, k, 5, 0)));
  });

  it('32 images, 8 → 8 at 8×2048 (524,288 floats a row over the kernels and images: the rows redone two at a time within the scratch bound), +∞ down column 100 of image 0: every row is the direct path\'s bits', () => {
    const big: Case = { ...c, n: 32, cout: 8, h: 8, w: 2048 };
    const { x, w, bias } = operands(big, 33);
    for (let row = 0; row < 8; row++) x[row * 2048 + 100] = Infinity;
    const bp = plan(big);
    expect(winogradApplies(big.cin, bp.geo)).toBe(true);
    expect(convForward(x, w, bias, bp)).toEqual(withoutWinograd(() => convForward(x, w, bias, bp)));
    // 20 s alone on a two-vCPU VM: the 30 s default timed out once with another process loading the host
  }, 90_000);

  it('a fused clamp to [0, 6] (ReLU6) in the copy-out: +∞ outputs become 6, the recomputed rows are mapped once and every output counted once as covered', () => {
    const { x, w, bias } = withValue(Infinity, true);
    const plain = convForward(x, w, bias, p);
    const relu6 = (v: Float32Array) => v.forEach((e, i) => (v[i] = Math.min(6, Math.max(0, e))));
    const { result, covered } = withEpilogue(relu6, () => {
      const out = new Float32Array(plain.length);
      convRows(x, w, bias, p, 0, OH, out);
      return out;
    });
    expect(covered).toBe(plain.length);
    expect(result).toEqual(plain.map((e) => Math.min(6, Math.max(0, e))));
    expect(result[at(1, 0, 4, 5)]).toBe(6);
  });
});
