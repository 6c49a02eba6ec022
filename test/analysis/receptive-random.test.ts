/**
 * Receptive fields of 150 random small CNN graphs against PyTorch autograd, unit by unit
 * (scripts/goldens_rf_random.py, seed 4: DAGs of 2–7 layers over [1, C, H, W] inputs of 5–24 pixels:
 * convs of any kernel, stride, padding and dilation, max and average pooling, transposed convs,
 * nearest and bilinear upsampling, slices, pads, adds, muls, channel concats, residual, dense and
 * U-Net skip blocks; half of them unpadded). Each case holds, per axis and output unit along the
 * diagonal, the input box autograd finds it reading (positive weights and inputs: no gradient
 * cancels) and `virtual`, the exact envelope of its reads with padding counted in the box (the
 * README's convention), composed unit by unit in the script. Checked on every case:
 *   every unit's autograd box and virtual box lie inside its reported box; and where the field's
 *   algebra is exact (no padding, no max pooling, whose footprint is one pixel a window, and no
 *   upsampling or transposed conv, whose boxes compose as envelopes layer by layer and may come out
 *   a few pixels looser than the composition: README, receptive fields), the reported box is the
 *   tightest at its stride: P = max_x (x·J − lo_x), r = max_x (hi_x − x·J) + P + 1.
 * The fuzz found a merge of one unit (a slice of one pixel with a map pooled to 1×1) reported as
 * the pixel's field alone (test/analysis/receptive-broadcast.test.ts has it as a golden).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../helpers.js';

interface Case {
  name: string;
  input: number[];
  layers: ({ name: string } & Record<string, unknown>)[];
  clipped: boolean;
  maxPool: boolean;
  resampled: boolean;
  output: number[];
  /** per axis, per output unit: the input box autograd finds it reading (null: it reads only padding) */
  boxes: ([number, number] | null)[][];
  /** per axis, per output unit: the exact envelope of its reads, padding counted */
  virtual: ([number, number] | null)[][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/random.json', import.meta.url), 'utf8')) as { seed: number; cases: Case[] };

describe('150 random CNN graphs (scripts/goldens_rf_random.py, seed 4) against autograd', () => {
  it('the fixture is the script\'s seed 4 with its mix of layers', () => {
    expect(fixture.seed).toBe(4);
    expect(fixture.cases).toHaveLength(150);
    const exact = fixture.cases.filter((c) => !c.clipped && !c.maxPool && !c.resampled);
    expect(exact.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s: every unit reads inside its reported box (autograd and the exact envelope); tight where the algebra is exact', (_, c) => {
    const r = analyze({ name: 't', inputs: [{ name: 'x', shape: c.input }], layers: c.layers });
    // by name: the report lists only what it analysed, so the last spec layer need not be the last entry
    const last = r.layers.find((l) => l.name === c.layers[c.layers.length - 1].name)!;
    expect(last.outputShape!.slice(2)).toEqual(c.output);
    const rf = last.receptiveField as { global: boolean; size: number[]; stride: number[]; padding: number[] };
    // global holds any box (a field the algebra cannot follow is reported global); where the algebra is
    // exact it must be: every unit reads the whole input (it returned here unchecked, so a field reported
    // global held on every case)
    if (rf.global) {
      if (!(c.clipped || c.maxPool || c.resampled)) expect(c.boxes.map((axis, a) => axis.every((b) => b !== null && b[0] === 0 && b[1] === c.input[2 + a] - 1))).toEqual(c.boxes.map(() => true));
      return;
    }
    const outside = (boxes: ([number, number] | null)[][], what: string) =>
      boxes.flatMap((axis, a) =>
        axis.flatMap((box, x) => {
          if (!box) return [];
          const first = x * rf.stride[a] - rf.padding[a];
          return first <= box[0] + 1e-9 && box[1] <= first + rf.size[a] - 1 + 1e-9 ? [] : [{ what, axis: a, unit: x, reads: box, reported: [first, first + rf.size[a] - 1] }];
        }),
      );
    expect([...outside(c.boxes, 'autograd'), ...outside(c.virtual, 'envelope')]).toEqual([]);
    if (c.clipped || c.maxPool || c.resampled) return;
    c.boxes.forEach((axis, a) => {
      const J = rf.stride[a];
      const read = axis.flatMap((b, x) => (b ? [[x, b[0], b[1]]] : []));
      const P = Math.max(...read.map(([x, lo]) => x * J - lo));
      const R = Math.max(...read.map(([x, , hi]) => hi - x * J)) + P + 1;
      expect([rf.size[a], rf.padding[a]]).toEqual([R, P]);
    });
  });

  // any box lies inside a global field: so which fields are global is pinned here (case 95: a one-pixel
  // slice of a max-pooled, upsampled slice of a padded map, the algebra's fallback; its units read rows
  // and columns 1…3 of 5×6)
  it('one field of the 150 is reported global, case 95 (the containment above holds for any box there)', () => {
    const global = fixture.cases.filter((c) => {
      const r = analyze({ name: 't', inputs: [{ name: 'x', shape: c.input }], layers: c.layers });
      return r.layers.find((l) => l.name === c.layers[c.layers.length - 1].name)!.receptiveField?.global;
    });
    expect(global.map((c) => c.name)).toEqual(['seed 4 case 95']);
  });
});
