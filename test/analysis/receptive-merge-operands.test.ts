/**
 * Merges whose operands are not broadcast as add's are, by hand (a review of the spreading of
 * one-unit operands, receptive-broadcast.ts):
 * - scatterElements writes its updates where the indices say: x with row 0 written back from
 *   x[:, :, :1] reads x[h, w] at every unit (x[0, w] at row 0): 1×1. Spread as a broadcast operand,
 *   the one-row updates gave size [6, 1], padding [5, 0].
 * - a one-pixel slice transposed, added to x: unit (h, w) reads x[h, w] and x[0, 0], so unit (5, 7)'s
 *   box is the whole 6×8 input. Its axes lie at each other's dims: global, whatever the order (it gave
 *   size [8, 6] for add(x, t), axes swapped, and global for add(t, x)).
 */
import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

const inputs = [{ name: 'x', shape: [1, 1, 6, 8] }];
const rfOf = (layers: Record<string, unknown>[], name: string) => layer(analyze({ inputs, layers } as never), name).receptiveField;

describe('receptive fields of merges whose operands are not broadcast', () => {
  it('scatterElements(x, zeros [1,1,1,8], x[:, :, :1], dim 2) on 6×8: 1×1 at stride 1 (updates are written, not broadcast)', () => {
    const rf = rfOf(
      [
        { name: 'row', op: 'slice', inputs: ['x'], starts: [0], ends: [1], axes: [2] },
        { name: 'shp', op: 'shape', inputs: 'row' },
        { name: 'idx', op: 'constantOfShape', inputs: 'shp', value: 0 },
        { name: 'sc', op: 'scatterElements', inputs: ['x', 'idx', 'row'], dim: 2 },
      ],
      'sc',
    );
    expect(rf).toMatchObject({ global: false, size: [1, 1], stride: [1, 1], padding: [0, 0] });
  });

  it.each([
    ['x', 't'],
    ['t', 'x'],
  ])('add(%s, %s), t = x[..., :1, :1] transposed (h ↔ w), on 6×8: global either way (unit (5, 7) reads x[0, 0] and x[5, 7])', (a, b) => {
    const rf = rfOf(
      [
        { name: 's', op: 'slice', inputs: ['x'], starts: [0, 0], ends: [1, 1], axes: [2, 3] },
        { name: 't', op: 'transpose', inputs: ['s'], perm: [0, 1, 3, 2] },
        { name: 'sum', op: 'add', inputs: [a, b] },
      ],
      'sum',
    );
    expect(rf).toMatchObject({ global: true, size: [6, 8] });
  });
});

describe('a spread operand is not a misaligned path', () => {
  it("x · x[..., :1] on 6×8: [1, 8] padding [0, 7] and no MISALIGNED_PATHS (the spread box's centre, −3.5, is the envelope's, not a path's; it warned 'different centres')", () => {
    const r = analyze({ inputs, layers: [{ name: 's', op: 'slice', inputs: ['x'], starts: [0], ends: [1], axes: [3] }, { name: 'm', op: 'mul', inputs: ['x', 's'] }] } as never);
    expect(layer(r, 'm').receptiveField).toMatchObject({ size: [1, 8], stride: [1, 1], padding: [0, 7] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });

  it('x[..., ::2, ::2] + x[..., 1::2, 1::2] (no operand spread: both 3×4) still warns: one stride, centres 0 and 1 apart', () => {
    const r = analyze({
      inputs,
      layers: [
        { name: 'even', op: 'slice', inputs: ['x'], starts: [0, 0], ends: [6, 8], axes: [2, 3], steps: [2, 2] },
        { name: 'odd', op: 'slice', inputs: ['x'], starts: [1, 1], ends: [6, 8], axes: [2, 3], steps: [2, 2] },
        { name: 'sum', op: 'add', inputs: ['even', 'odd'] },
      ],
    } as never);
    expect(layer(r, 'sum').receptiveField).toMatchObject({ size: [2, 2], stride: [2, 2] });
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS').length).toBe(1);
  });
});
