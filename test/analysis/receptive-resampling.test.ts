/**
 * Receptive fields of resampling layers against PyTorch autograd, unit by unit
 * (scripts/goldens_rf_resampling.py: one channel of positive weights, double precision, every
 * output unit's footprint per axis). Interpolation (linear, bilinear, bicubic, trilinear; either
 * alignCorners; by scale and by size) reads floor(src) and floor(src) + 1 (bicubic floor(src) − 1
 * … floor(src) + 2), the source clamped as ATen clamps it; adaptive pooling's window o is
 * [floor(o·in/out), ceil((o + 1)·in/out)). The field reported is the envelope of those reads:
 *   every unit's autograd box lies inside its reported box [x·stride − padding, x·stride − padding + size − 1]
 *     (rounded out: floor of the first, ceiling of the last), and
 *   the reported box is the tightest such one at the reported stride: size and padding are those
 *     of the autograd envelope, P* = max_x (x·J − lo_x), r* = max_x (hi_x − x·J) + P* + 1
 *     (chains padded at the input, whose border footprints the edge cuts, are checked for containment only;
 *     where a source falls on a pixel centre n, ATen's float arithmetic floors n ± an ulp to n − 1 or n
 *     by the dtype, and the box takes both neighbours: it exceeds the envelope by at most that, onCentre).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze, net } from '../helpers.js';

interface Case {
  name: string;
  input: number[];
  layers: Record<string, unknown>[];
  clipped: boolean;
  onCentre: number;
  output: number[];
  boxes: [number, number][][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/resampling.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** The last layer's field: size, stride and padding per axis. */
function field(c: Case) {
  const r = analyze(net(c.input, ...c.layers));
  const last = r.layers[r.layers.length - 1];
  expect(last.outputShape!.slice(2)).toEqual(c.output);
  const rf = last.receptiveField!;
  expect(rf.global).toBe(false);
  return rf as { size: number[]; stride: number[]; padding: number[] };
}

describe.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
  it('every unit reads inside its reported box, and the box is the envelope of the autograd boxes at the reported stride', () => {
    const rf = field(c);
    c.boxes.forEach((boxes, a) => {
      const [J, r, P] = [rf.stride[a], rf.size[a], rf.padding[a]];
      const outside = boxes.flatMap(([lo, hi], x) => {
        const first = x * J - P;
        return Math.floor(first + 1e-9) <= lo && hi <= Math.ceil(first + r - 1 - 1e-9) ? [] : [{ axis: a, unit: x, autograd: [lo, hi], reported: [first, first + r - 1] }];
      });
      expect(outside).toEqual([]);
      if (c.clipped) return;
      const pTrue = Math.max(...boxes.map(([lo], x) => x * J - lo));
      const rTrue = Math.max(...boxes.map(([, hi], x) => hi - x * J)) + pTrue + 1;
      // the box's excess over the envelope at its start and at its end: none, or where a source falls
      // on a pixel centre at most the neighbour either side ATen's rounding may read (onCentre)
      const [before, after] = [P - pTrue, r - 1 - P - (rTrue - 1 - pTrue)];
      if (c.onCentre === 0) {
        expect(P).toBeCloseTo(pTrue, 6);
        expect(r).toBeCloseTo(rTrue, 6);
      }
      expect(before).toBeGreaterThan(-1e-6);
      expect(after).toBeGreaterThan(-1e-6);
      expect(Math.max(before, after)).toBeLessThan(c.onCentre + 1e-6);
    });
  });
});

describe('worked figures', () => {
  const byName = (prefix: string) => fixture.cases.find((c) => c.name.startsWith(prefix))!;
  it("VGG's AdaptiveAvgPool2d(7) on an 8×8 map at stride 32: windows [o, o + 1], so size 33, stride 32, padding 0 (not stride 32·8/7)", () => {
    expect(field(byName('repro 11'))).toMatchObject({ size: [33, 33], stride: [32, 32], padding: [0, 0] });
  });
  it('adaptiveAvgPool1d 12 → 5: windows [0,3) [2,5) [4,8) [7,10) [9,12), starts 2.25 apart: size 4, stride 2.25, padding 0.5', () => {
    // start − o·2.25: 0, −0.25, −0.5, 0.25, 0 → p = 0.5; last − o·2.25: 2, 1.75, 2.5, 2.25, 2 → k − 1 = 2.5 + 0.5
    const r = analyze(net([1, 1, 12], { op: 'adaptiveAvgPool1d', outputSize: 5 }));
    expect(r.layers[0].receptiveField).toMatchObject({ size: [4], stride: [2.25], padding: [0.5] });
  });
  it('depth-to-space ×2 written as reshape [1, 2, 2, 1, 6, 7], transpose, reshape [1, 1, 12, 14]: unit o reads ⌊o/2⌋, as depthToSpace: size 1.5, stride ½, padding ½ (not global)', () => {
    expect(field(byName('repro 12'))).toMatchObject({ size: [1.5, 1.5], stride: [0.5, 0.5], padding: [0.5, 0.5] });
  });
  it('bilinear ×2 (half pixel) after a stride-4 conv: reads [0,0] [0,1] [0,1] [1,2] [1,2] … at step ½: size 1 + 1.5·4 = 7, stride 2, padding 4', () => {
    expect(field(byName('repro 02'))).toMatchObject({ size: [7], stride: [2], padding: [4] });
  });
});
