/**
 * ops/receptive-field.ts windowBorder: of the input sizes that give a window's `out` units, the one
 * nearest stride·out among those whose last window ends on the last input unit (or short of it by no
 * more than the gap the stride leaves between windows) and within the end padding (when there are
 * such sizes; else among all), less stride·out. Checked against PyTorch's own output-size rule
 * (aten/src/ATen/native/Pool.h pooling_output_shape_pad_lr, written out here, not the geometry's),
 * by listing every input size from 1 to 200.
 */
import { describe, expect, it } from 'vitest';
import { windowBorder } from '../../src/ops/receptive-field.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';

/** PyTorch: div_rtn(in + pl + pr − d·(k − 1) − 1 + (ceil ? s − 1 : 0), s) + 1, then a last window starting in the end padding dropped. */
function torchOut(input: number, k: number, pl: number, pr: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((input + pl + pr - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= input + pl) out--;
  return out;
}

/** The border by enumeration: the sizes giving `out`; of those whose last window ends on the last input unit or in the end padding, the one nearest s·out (else of all). */
function enumerated(k: number, pl: number, pr: number, s: number, d: number, ceil: boolean, out: number): number | null {
  const sizes = Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => d * (k - 1) + 1 <= n + pl + pr && torchOut(n, k, pl, pr, s, d, ceil) === out);
  if (sizes.length === 0) return null;
  expect(sizes.length, 'the sizes giving one out are contiguous').toBe(sizes[sizes.length - 1] - sizes[0] + 1);
  // the last window's last unit, in input coordinates (the padding begins at −pl)
  const lastRead = (out - 1) * s - pl + d * (k - 1);
  // short of the last unit by no more than the gap between windows (a 1×1 stride-2 conv skips every other unit by design)
  const gap = Math.max(0, s - (d * (k - 1) + 1));
  const clean = sizes.filter((n) => lastRead >= n - 1 - gap && lastRead <= n - 1 + pr);
  const from = clean.length ? clean : sizes;
  const [lo, hi] = [from[0] - s * out, from[from.length - 1] - s * out];
  return Math.min(Math.max(0, lo), hi);
}

const geometry = (k: number, pl: number, pr: number, s: number, d: number, ceil: boolean): AxisGeometry => ({
  in: 0, kernel: k, stride: s, dilation: d, effKernel: d * (k - 1) + 1, padBegin: pl, padEnd: pr, out: 0, ...(ceil && { ceilMode: true as const }),
});

describe('windowBorder against PyTorch\'s output-size rule, every input size 1–200', () => {
  it.each([false, true])('ceil mode %s: kernels 1–7, strides 1–4, dilations 1–2, pads up to half the kernel on each side, outputs 8–12', (ceil) => {
    let checked = 0;
    for (let k = 1; k <= 7; k++)
      for (let s = 1; s <= 4; s++)
        for (let d = 1; d <= 2; d++)
          for (let pl = 0; pl <= k >> 1; pl++)
            for (let pr = 0; pr <= k >> 1; pr++)
              for (let out = 8; out <= 12; out++) {
                const want = enumerated(k, pl, pr, s, d, ceil, out);
                if (want === null) continue;
                expect(windowBorder(geometry(k, pl, pr, s, d, ceil)), `k ${k} s ${s} d ${d} pads ${pl}+${pr} out ${out}`).toBe(want);
                checked++;
              }
    expect(checked).toBeGreaterThan(2000);
  });

  it('a 2×2 stride-2 ceil-mode pool padded 1: sizes 4 and 5 give 3 (5: ceil gives 4, but its last window would start in the padding), so the border is −1 (it was −2)', () => {
    expect([3, 4, 5, 6].map((n) => torchOut(n, 2, 1, 1, 2, 1, true))).toEqual([2, 3, 3, 4]);
    expect(windowBorder(geometry(2, 1, 1, 2, 1, true))).toBe(-1);
  });

  // found by a hunt: SqueezeNet's sweep called 223 (every window inside) invalid and 209 (three pools hanging over) valid
  it('a 3×3 stride-2 ceil-mode pool unpadded: 2·out and 2·out + 1 both give out; the border is 1 (13 ← 27: its last window ends on the last unit), not 0 (13 ← 26: it hangs one past)', () => {
    expect([25, 26, 27, 28].map((n) => torchOut(n, 3, 0, 0, 2, 1, true))).toEqual([12, 13, 13, 14]);
    expect(windowBorder(geometry(3, 0, 0, 2, 1, true))).toBe(1);
    // floor mode keeps ResNet's: a 3×3 stride-2 conv padded 1 gives 112 from 223 and 224, 224 (its end padding unread) nearest 2·112
    expect(windowBorder(geometry(3, 1, 1, 2, 1, false))).toBe(0);
  });
});
