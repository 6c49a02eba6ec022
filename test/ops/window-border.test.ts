/**
 * ops/receptive-field.ts windowBorder: of the input sizes that give a window's `out` units, the one
 * nearest stride·out, less stride·out. Checked against PyTorch's own output-size rule
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

/** The border by enumeration: the sizes giving `out`, the one nearest s·out. */
function enumerated(k: number, pl: number, pr: number, s: number, d: number, ceil: boolean, out: number): number | null {
  const sizes = Array.from({ length: 200 }, (_, i) => i + 1).filter((n) => d * (k - 1) + 1 <= n + pl + pr && torchOut(n, k, pl, pr, s, d, ceil) === out);
  if (sizes.length === 0) return null;
  const [lo, hi] = [sizes[0] - s * out, sizes[sizes.length - 1] - s * out];
  expect(sizes.length, 'the sizes giving one out are contiguous').toBe(hi - lo + 1);
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
});
