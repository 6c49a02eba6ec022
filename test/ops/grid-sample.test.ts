/**
 * gridSample (src/ops/grid-sample.ts) at grid values of NaN and ±∞, against torch 1.13's CPU kernel
 * (golden: scripts/goldens_grid_sample_nonfinite.py), nearest at half pixels, and mode bicubic
 * (src/ops/grid-sample-bicubic.ts; golden: scripts/goldens_grid_sample_bicubic.py). Its other
 * cases: test/ops/einsum-topk.test.ts (receptive field, taps of weight 0) and the operator goldens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gridSample } from '../../src/ops/grid-sample.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf, scaledError } from '../helpers.js';
import { inferOf, run } from './op-helpers.js';

// golden: scripts/goldens_grid_sample_nonfinite.py (torch 1.13's CPU kernel); convlens read NaN and ±∞ as outside the map (0)
describe('gridSample at grid values NaN and ±∞, as F.grid_sample: clamped (border, reflection) NaN is 0; under zeros bilinear NaN, nearest 0', () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/nonfinite.json', import.meta.url), 'utf8')) as {
    x: number[];
    grid: string[];
    cases: { mode: string; paddingMode: string; alignCorners: boolean; output: string[] }[];
  };
  const grid: [number[], number[]] = [[1, 1, 5, 2], golden.grid.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)))];
  for (const c of golden.cases) {
    it(`${c.mode} ${c.paddingMode} alignCorners ${c.alignCorners}, x = 1…16 [1, 1, 4, 4], grid (NaN, 0) (0, NaN) (0.3, 0.2) (∞, 0) (−∞, 0.5): ${c.output.map((v) => (v === 'nan' ? 'NaN' : Number(Number(v).toFixed(2)))).join(', ')}`, () => {
      const y = run('gridSample', [[[1, 1, 4, 4], golden.x], grid], { mode: c.mode, paddingMode: c.paddingMode, alignCorners: c.alignCorners })[0].data;
      expect(y.map((v) => (Number.isNaN(v) ? 'NaN' : v.toFixed(5)))).toEqual(c.output.map((v) => (v === 'nan' ? 'NaN' : Number(v).toFixed(5))));
    });
  }
});

// golden: scripts/goldens_grid_sample_nearest.py (torch 1.13); convlens computed positions in float64,
// which put 60 of 792 identity resamplings' half-pixel taps on the other pixel
describe("gridSample nearest on identity affine grids (half pixels): torch's float32 positions, rounded half to even", () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/nearest-half-pixels.json', import.meta.url), 'utf8')) as {
    cases: { w: number; paddingMode: string; alignCorners: boolean; grid: number[]; output: number[] }[];
  };
  it('a row 0…5 resampled to 3: grid x −2/3, 0, 2/3 (float32) pick 0, 2, 4 ((2/3 + 1)·3 − 0.5 = 4.5 in float32, to even: 4; 5 in float64)', () => {
    const grid = Float32Array.from([-2 / 3, 0, 0, 0, 2 / 3, 0]);
    const y = run('gridSample', [[[1, 1, 1, 6], [0, 1, 2, 3, 4, 5]], [[1, 1, 3, 2], [...grid]]], { mode: 'nearest' })[0].data;
    expect(y).toEqual([0, 2, 4]);
  });
  it("torch's AVX2 kernel fuses (g + 1)·s − 0.5 and |v| − n·2W into one rounding each (torch 1.13 here): reflection, alignCorners false, nearest at g = −1.512 on 0…999 picks 255 (256 rounded twice); bilinear at g = 10^7 on 0…5 gives 1.5 (3.5)", () => {
    const row = (w: number) => Array.from({ length: w }, (_, i) => i);
    const at = (w: number, g: number, mode: string) => run('gridSample', [[[1, 1, 1, w], row(w)], [[1, 1, 1, 2], [g, 0]]], { mode, paddingMode: 'reflection' })[0].data[0];
    expect(at(1000, -1.512, 'nearest')).toBe(255);
    expect(at(6, 1e7, 'bilinear')).toBe(1.5);
  });

  it(`${golden.cases.length} cases (rows of 2…9 to 1…9, every padding mode, alignCorners both): the picked pixels equal torch's`, () => {
    const wrong: string[] = [];
    for (const c of golden.cases) {
      const wo = c.output.length;
      const y = run('gridSample', [[[1, 1, 1, c.w], Array.from({ length: c.w }, (_, i) => i)], [[1, 1, wo, 2], c.grid]], { mode: 'nearest', paddingMode: c.paddingMode, alignCorners: c.alignCorners })[0].data;
      if (y.join() !== c.output.join()) wrong.push(`W ${c.w} → ${wo} ${c.paddingMode} alignCorners ${c.alignCorners}: ${y.join()} against ${c.output.join()}`);
    }
    expect(wrong).toEqual([]);
  });
});

interface Wire {
  shape: number[];
  data: number[];
}
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
/** Elements whose float32 bits differ, as "index: got ≠ want". */
const differing = (got: ArrayLike<number>, want: number[]) => want.flatMap((v, i) => (Object.is(Math.fround(v), got[i]) ? [] : [`${i}: ${got[i]} ≠ ${v}`]));

// golden: scripts/goldens_grid_sample_bicubic.py (torch 1.13's CPU kernel); convlens refused mode bicubic
describe("gridSample bicubic, as torch 1.13: the position unpadded, each 4×4 tap padded on its own, Keys' A = −0.75", () => {
  const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/bicubic.json', import.meta.url), 'utf8')) as {
    x: Wire;
    grid: Wire;
    gradOutput: Wire;
    cases: { paddingMode: string; alignCorners: boolean; output: Wire; gradX: Wire; gradGrid: Wire }[];
    nonfinite: { grid: string[]; cases: { paddingMode: string; alignCorners: boolean; output: string[] }[] };
    refusal5d: string;
  };

  for (const c of golden.cases) {
    const attributes = { mode: 'bicubic', paddingMode: c.paddingMode, alignCorners: c.alignCorners };
    const call = () =>
      vjpOperator({ name: 'gridSample', inputs: [t(golden.x), t(golden.grid)], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 16, gradOutputs: [t(golden.gradOutput)] });
    it(`${c.paddingMode} alignCorners ${c.alignCorners}, x [2, 3, 5, 7], grid [2, 4, 5, 2] (inside, on the borders, |g| up to 3, half pixels): output and grid gradient torch's bits, x's gradient within 1e-6 of its scale`, () => {
      const res = call();
      expect(res.outputs[0].shape).toEqual(c.output.shape);
      expect(differing(res.outputs[0].data, c.output.data)).toEqual([]);
      expect(differing(res.gradInputs[1]!.data, c.gradGrid.data)).toEqual([]);
      // x's gradient sums many positions' taps into one pixel, and torch adds them in another order
      // (8 positions at a time, tap by tap): 1.6e-7 of the scale at most here
      expect(scaledError(res.gradInputs[0]!.data, c.gradX.data)).toBeLessThanOrEqual(1e-6);
    });
  }

  it("border, alignCorners true, row 0…4, g = −1.375 (x = −0.75, past the edge): taps −2…1 read 0, 0, 0, 1, so y = w₃(t = ¼) = −0.03515625, torch's (a position clipped first, as ONNX's reference implementation does past the edge, would read 0); ∂y/∂g = −w₃′(1.75)·2 = −0.46875; x₀ receives 1 − w₃, x₁ w₃", () => {
    const res = vjpOperator({
      name: 'gridSample',
      inputs: [tensor([1, 1, 1, 5], Float32Array.from([0, 1, 2, 3, 4])), tensor([1, 1, 1, 2], Float32Array.from([-1.375, 0]))],
      attributes: { mode: 'bicubic', paddingMode: 'border', alignCorners: true },
      weights: {},
      training: false,
      seed: 0,
      maxElements: 64,
      gradOutputs: [tensor([1, 1, 1, 1], Float32Array.from([1]))],
    });
    expect(Array.from(res.outputs[0].data)).toEqual([-0.03515625]);
    expect(Array.from(res.gradInputs[1]!.data)).toEqual([-0.46875, 0]);
    expect(Array.from(res.gradInputs[0]!.data)).toEqual([1.03515625, -0.03515625, 0, 0, 0]);
  });

  it('a grid value NaN or ±∞ makes every weight NaN (t = ∞ − ∞): NaN in every padding mode, as torch', () => {
    const grid = golden.nonfinite.grid.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
    const x = Array.from({ length: 16 }, (_, i) => i + 1);
    for (const c of golden.nonfinite.cases) {
      const y = run('gridSample', [[[1, 1, 4, 4], x], [[1, 1, 5, 2], grid]], { mode: 'bicubic', paddingMode: c.paddingMode, alignCorners: c.alignCorners })[0].data;
      expect(y.map((v) => (Number.isNaN(v) ? 'nan' : v.toFixed(4))), `${c.paddingMode} ${c.alignCorners}`).toEqual(c.output.map((v) => (v === 'nan' ? v : Number(v).toFixed(4))));
    }
  });

  it(`a 5-D input is refused as torch refuses it ("${golden.refusal5d}"): RANK_MISMATCH naming the rule`, () => {
    const e = errorOf(() => inferOf(gridSample, [[1, 1, 2, 2, 2], [1, 1, 1, 1, 3]], { mode: 'bicubic' }));
    expect(e.code).toBe('RANK_MISMATCH');
    expect(e.message).toContain(golden.refusal5d);
  });

  it('costs 31 FLOPs per output element (16 taps: 16 multiplies, 15 adds; bilinear 7, nearest 0)', () => {
    const cost = (mode: string) => inferOf(gridSample, [[2, 3, 5, 7], [2, 4, 5, 2]], { mode }).cost.elementwise;
    expect([cost('bicubic'), cost('bilinear'), cost('nearest')]).toEqual([31 * 120, 7 * 120, 0]);
  });
});
