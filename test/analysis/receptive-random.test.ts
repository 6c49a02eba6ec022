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
    if (rf.global) return;
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
});
