/**
 * Merges (add, mul, concat) with a local operand of one unit along some spatial axes, or all, against
 * PyTorch autograd unit by unit (scripts/goldens_rf_broadcast.py: positive weights, double precision,
 * every output unit's footprint per axis): x · x[..., :1], x + a row of a conv, coordinate attention
 * (x · a_h · a_w, gates [N, C, H, 1] and [N, C, 1, W]; over [d, h, w] each gate broadcast over two axes).
 * Such an operand is read by every unit along the broadcast axis, so at the stride J of the operand
 * that spans it its box [−p, r − 1 − p] grows to size r + (n − 1)·J, padding p + (n − 1)·J (n the
 * merge's units there). The field reported was the broadcast operand's own, at its 1-unit map's
 * stride: coordinate attention on 6×8 gave stride [6, 8] on its 6×8 output (unit (5, 7) at rows
 * 30…35 of a 6-row input), and x · x[..., :1] size [1, 1], unit w's box [w, w] where it reads
 * columns 0 and w (on a one-row map, and for one pixel x[..., 4:5, 1:2], the operand was taken for a
 * squeeze-excitation gate and left out; only a global one is). Coordinate attention as its authors
 * wrote it concatenates the H-pooled gate, transposed, with the W-pooled one along dim 2, so h and w
 * run along one dim: merged axis by axis as if aligned, it gave stride [6, 1] on 6×8 (unit 5's rows
 * 30…71); an axis at another dim in another operand now makes the merge global, which every unit's
 * autograd box (the whole input) agrees with. A piece of stride 0 (an expand or tile of one unit)
 * in a concat, along the channels or along another spatial axis, is read by every unit the same
 * way: it kept stride 0, the merge kept the other piece's field ('the largest') and warned of
 * misaligned paths, and unit 4 of x ⧺ tile(x[..., 2:3, :]) was reported reading row 4 alone. On a
 * merge of one unit (x[..., :1, :1] with x pooled to 1×1, added or concatenated) the pooled operand
 * was left out as a gate, so the one unit read pixel (0, 0) alone; it reads the whole map. Checked:
 *   every unit's autograd box lies inside its reported box, the stride is the map's (1), and
 *   (unpadded specs) the reported box is the tightest at that stride: P = max_x (x·J − lo_x),
 *   r = max_x (hi_x − x·J) + P + 1 over the autograd boxes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../helpers.js';

interface Case {
  name: string;
  input: number[];
  layers: Record<string, unknown>[];
  clipped: boolean;
  /** every unit's autograd box is the whole input on every axis (a global field is then exact) */
  whole: boolean;
  output: number[];
  boxes: [number, number][][];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/broadcast.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
  const r = analyze({ name: 't', inputs: [{ name: 'x', shape: c.input }], layers: c.layers });
  const last = r.layers[r.layers.length - 1];
  const rf = last.receptiveField as { global: boolean; size: number[]; stride: number[]; padding: number[] };

  it('the merge keeps the map\'s stride (1 on every axis), not the broadcast operand\'s; or it is global where every unit reads the whole input', () => {
    expect(last.outputShape!.slice(2)).toEqual(c.output);
    if (rf.global) expect(c.whole).toBe(true);
    else expect(rf.stride).toEqual(c.output.map(() => 1));
  });

  it('no MISALIGNED_PATHS: a spread operand is read by every unit, so it has no stride or centre of its own to misalign', () => {
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it.skipIf(rf.global)('every unit reads inside its reported box', () => {
    const outside = c.boxes.flatMap((boxes, a) =>
      boxes.flatMap(([lo, hi], x) => {
        const first = x * rf.stride[a] - rf.padding[a];
        return first <= lo && hi <= first + rf.size[a] - 1 ? [] : [{ axis: a, unit: x, autograd: [lo, hi], reported: [first, first + rf.size[a] - 1] }];
      }),
    );
    expect(outside).toEqual([]);
  });

  it.skipIf(c.clipped || rf.global)('the box is the envelope of the autograd boxes at the reported stride', () => {
    c.boxes.forEach((boxes, a) => {
      const J = rf.stride[a];
      const pTrue = Math.max(...boxes.map(([lo], x) => x * J - lo));
      const rTrue = Math.max(...boxes.map(([, hi], x) => hi - x * J)) + pTrue + 1;
      expect([rf.size[a], rf.padding[a]]).toEqual([rTrue, pTrue]);
    });
  });
});

describe('merges of one unit and concats of stride-0 pieces, beyond the goldens (worked by hand; a review of 2026-12-04)', () => {
  const last = (spec: unknown) => {
    const r = analyze(spec);
    return r.layers[r.layers.length - 1].receptiveField as { global: boolean; size: number[]; stride: number[]; padding: number[] };
  };
  const pixel = { name: 'p', op: 'slice', inputs: ['x'], starts: [0, 0], ends: [1, 1], axes: [2, 3] };
  const mean = { name: 'g', op: 'reduceMean', inputs: ['x'], axes: [2, 3], keepDims: true };

  it.each([
    ['transposed', [pixel, mean, { name: 'gt', op: 'transpose', inputs: ['g'], perm: [0, 1, 3, 2] }, { name: 'o', op: 'add', inputs: ['p', 'gt'] }]],
    ['squeezed to rank 3', [pixel, mean, { name: 'gs', op: 'squeeze', inputs: ['g'], axes: [0] }, { name: 'o', op: 'add', inputs: ['p', 'gs'] }]],
    ['beside the pixel squeezed to rank 3', [pixel, { name: 'ps', op: 'squeeze', inputs: ['p'], axes: [0] }, mean, { name: 'o', op: 'add', inputs: ['ps', 'g'] }]],
  ])('x[..., :1, :1] + the mean of x over H and W, %s, on 3×3: the one unit reads the whole map, size [3, 3] (the mean was matched by its dims, then by the widest rank, and left out: [1, 1])', (_, layers) => {
    expect(last({ name: 't', inputs: [{ name: 'x', shape: [1, 1, 3, 3] }], layers })).toMatchObject({ global: false, size: [3, 3], stride: [1, 1], padding: [0, 0] });
  });

  it('cat([x[..., :1, :1], x pooled to 1×1], 3) on 3×3: the pieces lie along W, each a unit of the output; the second reads the whole map, so the field is global (the pooled piece was left out as a gate: [1, 1], unit (0, 1) reading pixel (0, 1) alone)', () => {
    const rf = last({ name: 't', inputs: [{ name: 'x', shape: [1, 1, 3, 3] }], layers: [pixel, { name: 'g', op: 'adaptiveAvgPool2d', inputs: ['x'], outputSize: [1, 1] }, { name: 'o', op: 'concat', inputs: ['p', 'g'], dim: 3 }] });
    expect(rf.global).toBe(true);
  });

  it('replicate padding along the concat\'s dim, cat([x[..., :1] tiled 2, x, x[..., 7:8] tiled 2], 2) on [1, 1, 8]: unit u reads x[clamp(u − 2, 0, 7)], so u − read runs from 0 to 4 (unit 11 reads 7): at stride 1 the tightest box is [u − 4, u], size 5, padding 4 (piecesEnvelope; spreading the edge pieces over the 12 units gave 19, padding 11; it was size 1, stride 0: unit 5 read x[3] outside [0, 0])', () => {
    const rf = last({
      name: 't',
      inputs: [{ name: 'x', shape: [1, 1, 8] }],
      layers: [
        { name: 'f', op: 'slice', inputs: ['x'], starts: [0], ends: [1], axes: [2] },
        { name: 'ft', op: 'tile', inputs: ['f'], repeats: [1, 1, 2] },
        { name: 'e', op: 'slice', inputs: ['x'], starts: [7], ends: [8], axes: [2] },
        { name: 'et', op: 'tile', inputs: ['e'], repeats: [1, 1, 2] },
        { name: 'o', op: 'concat', inputs: ['ft', 'x', 'et'], dim: 2 },
      ],
    });
    expect(rf).toMatchObject({ global: false, size: [5], stride: [1], padding: [4] });
    for (let u = 0; u < 12; u++) {
      const read = Math.min(7, Math.max(0, u - 2));
      expect(u - 4 <= read && read <= u).toBe(true);
    }
  });
});
