/**
 * multiHeadAttention with `window` (ops/attention.ts): a unit reads the wh×ww window that holds it,
 * anywhere from w − 1 units before it to w − 1 after it, so the box of step 1 holding every unit's
 * window spans 2(w − 1) units, centred on the unit, as shiftedWindowAttention's (window-attention.ts).
 * Until 2026-12-06 it was reported as a w-wide box centred on the unit, which left out up to w − 1 of
 * the window's positions: after a stride-2 2×2 conv, window 3 on the 6×6 map gave size 6, padding 2,
 * unit 0's box [−2, 3] where it reads input pixels 0 … 5 (map units 0 … 2). Autograd's boxes:
 * scripts/goldens_rf_window_attention.py (nn.MultiheadAttention over each window, positive weights).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze, layer } from '../helpers.js';

interface Golden {
  input: number[];
  window: [number, number];
  convAfter: boolean;
  output: number[];
  boxes: [number, number][][];
}
const golden = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/window_attention.json', import.meta.url), 'utf8')) as { cases: Record<string, Golden> };

const spec = (g: Golden) => ({
  inputs: [{ name: 'x', shape: g.input }],
  layers: [
    { name: 'embed', op: 'conv2d', outChannels: 4, kernelSize: 2, stride: 2, bias: false },
    { name: 'attn', op: 'multiHeadAttention', numHeads: 1, window: g.window },
    ...(g.convAfter ? [{ name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1, bias: false }] : []),
  ],
});

/**
 * Hand-worked: the embedding r 2, j 2, centre ½; a window w spans 2w − 1 map units centred on the
 * unit: r = 2 + (2w − 2)·2, padding (r − 1)/2 − ½. Window 3: 10, padding 4; window 2: 6, padding 2.
 * Then the 3×3 conv padded 1: r + 2·2, padding + 1·2 (window 3: 14, padding 6).
 */
const FIELDS: Record<string, { size: number[]; stride: number[]; padding: number[] }> = {
  window3: { size: [10, 10], stride: [2, 2], padding: [4, 4] },
  window2x3: { size: [6, 10], stride: [2, 2], padding: [2, 4] },
  window3_conv: { size: [14, 14], stride: [2, 2], padding: [6, 6] },
};

describe('windowed multiHeadAttention: the field holds the window of every unit, as autograd reads it', () => {
  it.each(Object.keys(FIELDS))('%s', (name) => {
    const g = golden.cases[name];
    const r = analyze(spec(g));
    const rf = layer(r, g.convAfter ? 'conv' : 'attn').receptiveField!;
    expect(rf).toMatchObject(FIELDS[name]);
    if (rf.global) return;
    // every unit's box holds what it reads; and the box is no wider than it must be: some unit reads
    // its first pixel and some its last, where those lie inside the input
    g.boxes.forEach((axis, a) => {
      const box = (t: number) => [t * rf.stride[a] - rf.padding[a], t * rf.stride[a] - rf.padding[a] + rf.size[a] - 1];
      for (const [t, [lo, hi]] of axis.entries()) {
        expect(lo).toBeGreaterThanOrEqual(box(t)[0]);
        expect(hi).toBeLessThanOrEqual(box(t)[1]);
      }
      const inside = axis.map((_, t) => box(t)).map(([lo, hi]) => [Math.max(lo, 0), Math.min(hi, g.input[2 + a] - 1)]);
      expect(axis.some(([lo], t) => lo === inside[t][0] && box(t)[0] >= 0)).toBe(true);
      expect(axis.some(([, hi], t) => hi === inside[t][1] && box(t)[1] <= g.input[2 + a] - 1)).toBe(true);
    });
    const note = r.warnings.find((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD');
    expect(note?.message).toContain(`the field is reported as the ${2 * g.window[0] - 1}×${2 * g.window[1] - 1} box of step 1 centred on the unit`);
  });
});
