import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { run } from './op-helpers.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';

// upsample1d/3d: nearest copies floor(o/scale); linear reads (o + 0.5)/scale − 0.5 clamped at 0.
describe('upsample1d / upsample3d', () => {
  it('1-D ×2: nearest [1,2,3] → [1,1,2,2,3,3]; linear [0,4] → [0,1,3,4] (sources 0, 0.25, 0.75, 1.25→edge)', () => {
    expect(run('upsample1d', [[[1, 1, 3], [1, 2, 3]]], { scaleFactor: 2 })[0]).toEqual({ shape: [1, 1, 6], data: [1, 1, 2, 2, 3, 3] });
    expect(run('upsample1d', [[[1, 1, 2], [0, 4]]], { mode: 'linear', scaleFactor: 2 })[0].data).toEqual([0, 1, 3, 4]);
    // alignCorners: o·(2 − 1)/(3 − 1) = 0, 0.5, 1
    expect(run('upsample1d', [[[1, 1, 2], [0, 4]]], { mode: 'linear', size: 3, alignCorners: true })[0].data).toEqual([0, 2, 4]);
  });

  it('3-D trilinear ×2 on [1,8,4,14,14]: [1,8,8,28,28], 15 FLOPs per output (8 mul + 7 add)', () => {
    const l = layer(analyze(net([1, 8, 4, 14, 14], { op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 })), 'l0');
    expect(l.outputShape).toEqual([1, 8, 8, 28, 28]);
    expect(l.flopsByConvention['2macs']).toBe(15 * 8 * 8 * 28 * 28);
  });

  it('exactly one of size and scaleFactor', () => {
    expect(errorOf(() => analyze(net([1, 1, 4], { op: 'upsample1d' }))).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => analyze(net([1, 1, 4], { op: 'upsample1d', size: 8, scaleFactor: 2 }))).code).toBe('INVALID_ATTRIBUTE');
  });
});

describe('upsample1d/3d tap tables are held to the tensor limit (12 bytes an output unit of each axis: 3 float32 elements)', () => {
  const call = (name: string, shape: number[], attributes: Record<string, unknown>, maxElements: number) =>
    runOperator({ name, inputs: [tensor(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1))], attributes, weights: {}, training: false, seed: 0, maxElements });

  it('upsample1d nearest [1,1,4] → size 400 at a 1,000-element limit: the output (400) fits, its tap table (400 × 3 = 1,200) does not → 413 TENSOR_TOO_LARGE at $.attributes; size 333 (999) runs', () => {
    const e = errorOf(() => call('upsample1d', [1, 1, 4], { size: 400 }, 1000));
    expect([e.status, e.code, e.details.path]).toEqual([413, 'TENSOR_TOO_LARGE', '$.attributes']);
    expect(e.details.shapes).toEqual({ intermediate: [400] });
    expect(e.message).toContain('the tap table of axis 2');
    expect(call('upsample1d', [1, 1, 4], { size: 333 }, 1000).outputs[0].shape).toEqual([1, 1, 333]);
  });

  it('upsample3d trilinear [1,1,2,2,2] → size [1,1,400]: its last axis table (1,200) over a 1,000-element limit → 413', () => {
    const e = errorOf(() => call('upsample3d', [1, 1, 2, 2, 2], { size: [1, 1, 400], mode: 'trilinear' }, 1000));
    expect([e.code, e.details.shapes]).toEqual(['TENSOR_TOO_LARGE', { intermediate: [400] }]);
  });
});
