/**
 * Adaptive pooling's windows (src/ops/adaptive-windows.ts) as a spec: bounds and their length sum
 * by hand, and a plan whose size does not grow with outputSize (it held two Int32 tables per axis
 * of outputSize for the whole analysis: 30 chained layers of 16,777,216 reached 3.7 GB).
 */
import { describe, expect, it } from 'vitest';
import { windowEnd, windowLengthSum, windowStart } from '../../src/ops/adaptive-windows.js';
import { checkOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';

/** Bytes of every typed array reachable from a plan. */
function heldBytes(v: unknown): number {
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (v && typeof v === 'object') return Object.values(v).reduce((acc: number, x) => acc + heldBytes(x), 0);
  return 0;
}

describe('adaptive windows: window o of I over O spans [⌊o·I/O⌋, ⌈(o+1)·I/O⌉)', () => {
  it('12 → 5: [0,3) [2,5) [4,8) [7,10) [9,12), lengths 3 + 3 + 4 + 3 + 3 = 16 = 12 + 5 − gcd 1', () => {
    const bounds = [0, 1, 2, 3, 4].map((o) => [windowStart(o, 12, 5), windowEnd(o, 12, 5)]);
    expect(bounds).toEqual([[0, 3], [2, 5], [4, 8], [7, 10], [9, 12]]);
    expect(windowLengthSum({ in: 12, out: 5 })).toBe(16);
  });

  it('8 → 7: windows [o, o + 2), 14; 4 → 2: [0,2) [2,4), 4; 1 → 3: every window [0,1), 3', () => {
    expect(windowLengthSum({ in: 8, out: 7 })).toBe(14);
    expect(windowLengthSum({ in: 4, out: 2 })).toBe(4);
    expect(windowLengthSum({ in: 1, out: 3 })).toBe(3);
  });

  it('the length sum is the sum of the windows for every I, O up to 40', () => {
    for (let i = 1; i <= 40; i++) {
      for (let o = 1; o <= 40; o++) {
        let sum = 0;
        for (let k = 0; k < o; k++) sum += windowEnd(k, i, o) - windowStart(k, i, o);
        expect([i, o, windowLengthSum({ in: i, out: o })]).toEqual([i, o, sum]);
      }
    }
  });
});

describe('adaptive pooling plans: (in, out) per axis, whatever the output size', () => {
  const ops = [
    ['adaptiveMaxPool1d', [1, 1, 1], 16_777_216],
    ['adaptiveAvgPool1d', [1, 1, 1], 16_777_216],
    ['adaptiveMaxPool2d', [1, 1, 1, 1], [1, 4_194_304]],
    ['adaptiveAvgPool2d', [1, 1, 1, 1], [4_194_304, 1]],
    ['adaptiveMaxPool3d', [1, 1, 1, 1, 1], [1, 1, 4_194_304]],
    ['adaptiveAvgPool3d', [1, 1, 1, 1, 1], [1, 4_194_304, 1]],
  ] as const;
  for (const [name, shape, outputSize] of ops) {
    it(`${name} on ${JSON.stringify(shape)} to ${JSON.stringify(outputSize)}: the plan holds no table (0 bytes of arrays)`, () => {
      const { plan } = checkOperator({ name, inputs: [tensor([...shape], new Float32Array(1))], attributes: { outputSize }, weights: {}, training: false, seed: 1, maxElements: 1 << 25 });
      expect(heldBytes(plan)).toBe(0);
    });
  }
});
