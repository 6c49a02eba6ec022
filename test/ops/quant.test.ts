import { describe, expect, it } from 'vitest';
import { convInteger, qlinearConv, qlinearMatMul } from '../../src/ops/quant-linear.js';
import { roundHalfEven } from '../../src/ops/quant.js';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { errorOf } from '../helpers.js';
import { inferOf, run } from './op-helpers.js';

const q = OPS_BY_NAME.get('quantizeLinear')!;

describe('quantization', () => {
  it('rounds half to even, as std::nearbyint: 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → 0, −1.5 → −2, 2.4999 → 2', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2]);
  });

  it('quantizeLinear uint8 s=2 z=128: [0, 3, 5, 1000, −1000] → [128, 130, 130, 255, 0] (3/2 = 1.5 → 2, 5/2 = 2.5 → 2, saturating)', () => {
    const y = run('quantizeLinear', [[[5], [0, 3, 5, 1000, -1000]], [[], [2]], [[], [128]]], { dtype: 'uint8' });
    expect(y[0].data).toEqual([128, 130, 130, 255, 0]);
  });

  it('quantizeLinear int8 per axis 0 of [2, 2]: row 0 at s=1 z=0, row 1 at s=0.5 z=−1', () => {
    const y = run('quantizeLinear', [[[2, 2], [1.2, -300, 1.2, 100]], [[2], [1, 0.5]], [[2], [0, -1]]], { dtype: 'int8', axis: 0 });
    // row 1: 1.2/0.5 = 2.4 → 2, −1 → 1; 100/0.5 = 200 → 199 → saturates at 127
    expect(y[0].data).toEqual([1, -128, 1, 127]);
  });

  it('dequantizeLinear per axis 1: (x − z[c])·s[c]', () => {
    const y = run('dequantizeLinear', [[[1, 2, 2], [10, 20, 10, 20]], [[2], [0.5, 2]], [[2], [10, 0]]], { axis: 1 });
    expect(y[0].data).toEqual([0, 5, 20, 40]);
  });

  it('a scale neither scalar nor one per slice of the axis is SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(q, [[1, 3, 4, 4], [4], []], { axis: 1 })).code).toBe('SHAPE_MISMATCH');
  });

  it('quantize 5 FLOPs and dequantize 2 FLOPs per element, no MACs', () => {
    expect(inferOf(q, [[1, 3, 4, 4], [], []]).cost).toMatchObject({ macs: 0, elementwise: 5 * 48 });
    expect(inferOf(OPS_BY_NAME.get('dequantizeLinear')!, [[1, 3, 4, 4], [], []]).cost).toMatchObject({ macs: 0, elementwise: 2 * 48 });
  });

  it('qlinearConv x=[1,3,8,8] → 4, k=3 p=1: integer MACs 4·64·27 = 6912 apart from float MACs (0); params 4·3·9 + 4 = 112', () => {
    const inf = inferOf(qlinearConv, [[1, 3, 8, 8], [], [], [4], [4], [], []], { outChannels: 4, kernelSize: 3, padding: 1 });
    expect(inf.cost).toMatchObject({ macs: 0, intMacs: 6912, biasOps: 256, elementwise: 5 * 256 });
    expect(inf.weights.map((w) => [w.name, w.shape])).toEqual([['weight', [4, 3, 3, 3]], ['bias', [4]]]);
  });

  it('qlinearConv: a weight scale of 3 elements for 4 output channels is SHAPE_MISMATCH', () => {
    const e = errorOf(() => inferOf(qlinearConv, [[1, 3, 8, 8], [], [], [3], [], [], []], { outChannels: 4, kernelSize: 3 }));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toMatch(/wScale \[3\] must be a scalar or 1-D of 4 elements/);
  });

  it('convInteger by hand: 3×3 of 2…10, zero point 1, a 2×2 kernel of ones, padding 1: the corner reads only x[0,0] − 1 = 1 (padding holds the zero point)', () => {
    const y = run('convInteger', [[[1, 1, 3, 3], [2, 3, 4, 5, 6, 7, 8, 9, 10]], [[], [1]]], { padding: 1 }, { weight: [[1, 1, 2, 2], [1, 1, 1, 1]] });
    expect(y[0].shape).toEqual([1, 1, 4, 4]);
    expect(y[0].data).toEqual([1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9]);
  });

  it('qlinearMatMul with a constant B [K, N] as its weight: intMacs batch·M·K·N, B counted as parameters', () => {
    const inf = inferOf(qlinearMatMul, [[2, 3, 4], [], [], [], [], [], [], []], { weightShape: [4, 5] });
    expect(inf.outputs).toEqual([[2, 3, 5]]);
    expect(inf.cost.intMacs).toBe(2 * 3 * 4 * 5);
    expect(inf.weights[0]).toMatchObject({ name: 'weight', shape: [4, 5], trainable: true });
  });

  it('element types: convInteger writes int32, quantizeLinear its dtype', () => {
    expect(convInteger.quantized?.output({} as never)).toBe('int32');
    expect(q.quantized?.output({ axis: 1, dtype: 'int8' })).toBe('int8');
  });
});
