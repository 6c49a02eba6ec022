/**
 * Receptive fields of resampling layers at output sizes up to the 2^24 attribute limit: the
 * envelope of the reads (readEnvelope) visits one period of the reads and the borders
 * (read-period.ts), and must give the box every unit's reads give. Expected values are worked by
 * hand from the source coordinate (each residue of o modulo the period), or computed by an
 * independent loop over every unit (adaptive pooling), or measured in PyTorch (float32 nearest).
 * The autograd goldens at small sizes are test/analysis/receptive-resampling.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readEnvelope } from '../../src/ops/receptive-field.js';
import { alignedPeriod, dyadic, scalePeriod } from '../../src/ops/read-period.js';
import { analyze, net } from '../helpers.js';

/** The last layer's field on its last axis: size, stride, padding. */
function lastAxis(shape: number[], layer: Record<string, unknown>) {
  const r = analyze(net(shape, layer));
  const rf = r.layers[r.layers.length - 1].receptiveField as { size: number[]; stride: number[]; padding: number[] };
  const a = rf.size.length - 1;
  return { size: rf.size[a], stride: rf.stride[a], padding: rf.padding[a], out: r.layers[r.layers.length - 1].outputShape!.at(-1) };
}

describe('resampling fields at 2^24 output units, from one period of the reads', () => {
  it('bilinear ×2 (half pixel), W 8,388,608 → 16,777,216: reads [n − 1, n], [n, n + 1] at src = o/2 − ¼: size 2.5, stride ½, padding 1 (as at 16 units)', () => {
    expect(lastAxis([1, 1, 1, 8388608], { op: 'upsample', mode: 'bilinear', scaleFactor: 2 })).toEqual({ size: 2.5, stride: 0.5, padding: 1, out: 16777216 });
  });

  it('bicubic ×3 (half pixel), W 5,592,405 → 16,777,215: src = (o − 1)/3; o = 3n reads n − 2 … n + 1, 3n + 1 (on the centre of n) n − 2 … n + 2, 3n + 2 n − 1 … n + 2: size 5, padding 7/3', () => {
    const f = lastAxis([1, 1, 1, 5592405], { op: 'upsample', mode: 'bicubic', scaleFactor: 3 });
    expect(f.out).toBe(16777215);
    expect(f.size).toBeCloseTo(5, 8);
    expect(f.stride).toBeCloseTo(1 / 3, 8);
    expect(f.padding).toBeCloseTo(7 / 3, 8);
  });

  it('bilinear alignCorners, W 1,025 → 16,776,193 (step 1/16,383, period 16,383): unit 16,383·n, on the centre of n, reads n ± 1: size 3, padding 1', () => {
    const f = lastAxis([1, 1, 1, 1025], { op: 'upsample', mode: 'bilinear', size: [1, 16776193], alignCorners: true });
    expect(f.size).toBeCloseTo(3, 8);
    expect(f.stride).toBeCloseTo(1 / 16383, 9);
    expect(f.padding).toBeCloseTo(1, 8);
  });

  it('nearest ×4 on two channels (float32 floor(o·¼), exact), W 4,194,304 → 16,777,216: units 4n … 4n + 3 read n: size 1.75, padding 0.75', () => {
    expect(lastAxis([1, 2, 1, 4194304], { op: 'upsample', mode: 'nearest', scaleFactor: 4 })).toEqual({ size: 1.75, stride: 0.25, padding: 0.75, out: 16777216 });
  });

  it('upsample1d linear ×4, L 4,194,304 → 16,777,216: src = (o − 1.5)/4; 4n + 1 reads [n − 1, n] (−1.25), 4n + 2 [n, n + 1] (+0.5): size 2.75, padding 1.25', () => {
    expect(lastAxis([1, 1, 4194304], { op: 'upsample1d', mode: 'linear', scaleFactor: 4 })).toEqual({ size: 2.75, stride: 0.25, padding: 1.25, out: 16777216 });
  });

  it('adaptiveAvgPool1d 16,777,216 → 6,291,456 (windows repeat every 3 units, 8 inputs on; the starts 2.666666614 apart drift off them): as a loop over every window', () => {
    const [I, O] = [16777216, 6291456];
    const J = Math.floor(((O - 1) * I) / O) / (O - 1);
    let [p, hi] = [-Infinity, -Infinity];
    for (let o = 0; o < O; o++) {
      p = Math.max(p, o * J - Math.floor((o * I) / O));
      hi = Math.max(hi, Math.ceil(((o + 1) * I) / O) - 1 - o * J);
    }
    const f = lastAxis([1, 1, I], { op: 'adaptiveAvgPool1d', outputSize: O });
    expect(f.stride).toBeCloseTo(J, 8);
    expect(f.padding).toBeCloseTo(p, 8);
    expect(f.size).toBeCloseTo(hi + p + 1, 8);
    // the drift matters: one period's box alone (p 0, size 3.67) is not the field
    expect(f.size).toBeGreaterThan(4.3);
  });

  it("nearest ×3 on two channels, W 5,592,405 → 16,777,215: float32(⅓) makes no period; PyTorch's float32 floor(o·float32(⅓)) reads one unit further for 1,398,100 units from 12,582,914 on: size 2, not 5/3", () => {
    const f = lastAxis([1, 2, 1, 5592405], { op: 'upsample', mode: 'nearest', scaleFactor: 3 });
    expect(f.size).toBeCloseTo(2, 8);
    expect(f.padding).toBeCloseTo(2 / 3, 8);
  });
});

describe('periods of the reads', () => {
  it('a scale n/2^k steps 2^k/n: ×2.5 repeats every 5 units by 2 inputs, ×2 every 2 by 1; 1.1 and 7/3 as floats have none within 2^20 units', () => {
    const src = (s: number) => (o: number) => (o + 0.5) / s - 0.5;
    expect(scalePeriod(2.5, 100, 250, src(2.5))).toMatchObject({ units: 5, shift: 2 });
    expect(scalePeriod(2, 100, 200, src(2))).toMatchObject({ units: 2, shift: 1 });
    expect(scalePeriod(1.1, 100, 110, src(1.1))).toBeNull();
    expect(scalePeriod(7 / 3, 30, 70, src(7 / 3))).toBeNull();
    expect(dyadic(0.375)).toEqual({ num: 3, den: 8 });
  });

  it('the interior keeps 3 input units from either border: ×2 half pixel over 100 inputs, src = o/2 − ¼ ≥ 3 from o = 7, ≤ 96 up to o = 192', () => {
    expect(scalePeriod(2, 100, 200, (o) => (o + 0.5) / 2 - 0.5)).toEqual({ units: 2, shift: 1, from: 7, to: 193 });
  });

  it('alignCorners 1,025 → 16,776,193 repeats every 16,383 units by 1; 8,388,608 → 16,777,216 ((I − 1)/(O − 1) = 8,388,607/16,777,215) has no short period', () => {
    expect(alignedPeriod(1025, 16776193, (o) => (o * 1024) / 16776192)).toMatchObject({ units: 16383, shift: 1 });
    expect(alignedPeriod(8388608, 16777216, (o) => (o * 8388607) / 16777215)).toBeNull();
  });

  it('readEnvelope with a period gives the full scan: reads that drift by shift − units·step a period are extreme in the first or last period', () => {
    // adaptive 16 → 6: windows repeat every 3 units by 8 inputs; step 13/5 ≠ 8/3
    const read = (o: number) => [Math.floor((o * 16) / 6), Math.ceil(((o + 1) * 16) / 6) - 1] as const;
    const full = readEnvelope(13 / 5, 6, read);
    expect(readEnvelope(13 / 5, 6, read, { units: 3, shift: 8, from: 0, to: 6 })).toEqual(full);
    const long = (o: number) => [Math.floor((o * 16) / 6), Math.ceil(((o + 1) * 16) / 6) - 1] as const;
    const step = Math.floor((599 * 16) / 6) / 599;
    const scanned = readEnvelope(step, 600, long);
    const periodic = readEnvelope(step, 600, long, { units: 3, shift: 8, from: 0, to: 600 });
    expect(periodic.span).toBeCloseTo(scanned.span, 12);
    expect(periodic.centre).toBeCloseTo(scanned.centre, 12);
  });
});
