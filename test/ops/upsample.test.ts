import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('upsample', () => {
  it('nearest ×2: [1,3,5,7] → [1,3,10,14], no arithmetic', () => {
    const l = layer(analyze(net([1, 3, 5, 7], { op: 'upsample', scaleFactor: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 3, 10, 14]);
    expect(l.flops).toBe(0);
    expect(l.memoryAccess.elements.total).toBe(105 + 420);
  });

  it('bilinear to size [9, 4]: 7 FLOPs per output (4 mul + 3 add)', () => {
    const l = layer(analyze(net([1, 2, 3, 3], { op: 'upsample', mode: 'bilinear', size: [9, 4], alignCorners: true })), 'l0');
    expect(l.outputShape).toEqual([1, 2, 9, 4]);
    expect(l.flops).toBe(7 * 72);
  });

  it('scale 1.5 floors: 5 → 7', () => {
    expect(layer(analyze(net([1, 1, 5, 5], { op: 'upsample', scaleFactor: 1.5 })), 'l0').outputShape).toEqual([1, 1, 7, 7]);
  });
});
