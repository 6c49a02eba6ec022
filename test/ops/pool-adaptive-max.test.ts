/**
 * Adaptive max pooling (src/ops/pool-adaptive-max.ts) as a spec: windows, shape, comparisons and
 * receptive field by hand, NaN and −∞ edges against PyTorch 1.13 (scripts/goldens_adaptive_max.py;
 * the finite cases and the gradients are run by test/ops/goldens.test.ts and vjp.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { goldenNumber, run, type MaxPoolEdge } from './op-helpers.js';

const { edges } = JSON.parse(readFileSync(new URL('../fixtures/operators/adaptive_max.json', import.meta.url), 'utf8')) as { edges: MaxPoolEdge[] };
const num = goldenNumber;

describe('adaptiveMaxPool1d/2d/3d: PyTorch windows start = ⌊o·I/O⌋, end = ⌈(o+1)·I/O⌉', () => {
  it('1-D [3, 1, 4, 1, 5] to 3: windows [0,2) [1,4) [3,5) → [3, 4, 5], indices [0, 2, 4]', () => {
    const [y, idx] = run('adaptiveMaxPool1d', [[[1, 1, 5], [3, 1, 4, 1, 5]]], { outputSize: 3, returnIndices: true });
    expect(y).toEqual({ shape: [1, 1, 3], data: [3, 4, 5] });
    expect(idx.data).toEqual([0, 2, 4]);
  });

  it('2-D 3×3 of 1…9 to 2×2: windows [0,2)² overlapping at the centre → [5, 6, 8, 9], indices h·W + w', () => {
    const [y, idx] = run('adaptiveMaxPool2d', [[[1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]]], { outputSize: 2, returnIndices: true });
    expect(y.data).toEqual([5, 6, 8, 9]);
    expect(idx.data).toEqual([4, 5, 7, 8]);
  });

  it('adaptiveMaxPool2d [1,8,7,9] → [3,4]: windows 3,3,3 × 3,3,3,3 → 8·(9·12 − 12) = 768 comparisons, no params', () => {
    const l = layer(analyze(net([1, 8, 7, 9], { op: 'adaptiveMaxPool2d', outputSize: [3, 4] })), 'l0');
    expect([l.outputShape, l.params, l.flopsByConvention['2macs']]).toEqual([[1, 8, 3, 4], 0, 768]);
  });

  it('adaptiveMaxPool3d [1,2,5,6,7] → [2,3,4] with returnIndices: values and indices of that shape; 2·(6·6·10 − 24) = 672 comparisons', () => {
    // window lengths summed: T 5→2: [0,3) [2,5) = 6; H 6→3: [0,2) [2,4) [4,6) = 6; W 7→4: [0,2) [1,4) [3,6) [5,7) = 10
    const r = analyze(net([1, 2, 5, 6, 7], { op: 'adaptiveMaxPool3d', outputSize: [2, 3, 4], returnIndices: true }));
    const l = layer(r, 'l0');
    expect(l.outputShape).toEqual([1, 2, 2, 3, 4]);
    expect(l.flopsByConvention['2macs']).toBe(2 * (6 * 6 * 10 - 24));
    const x = Float32Array.from({ length: 420 }, (_, i) => Math.sin(i));
    const outs = runOperator({ name: 'adaptiveMaxPool3d', inputs: [tensor([1, 2, 5, 6, 7], x)], attributes: { outputSize: [2, 3, 4], returnIndices: true }, weights: {}, training: false, seed: 0, maxElements: 1 << 16 }).outputs;
    expect(outs.map((t) => t.shape)).toEqual([[1, 2, 2, 3, 4], [1, 2, 2, 3, 4]]);
  });

  it("receptive field: the adaptive average pooling's (same windows), after a 3×3 conv; output 1 is global", () => {
    const conv = { op: 'conv2d', outChannels: 4, kernelSize: 3 };
    const rfOf = (op: string, outputSize: number | number[]) => layer(analyze(net([1, 3, 14, 14], conv, { op, outputSize })), 'l1').receptiveField;
    const max = rfOf('adaptiveMaxPool2d', [5, 4]);
    expect(max).toEqual(rfOf('adaptiveAvgPool2d', [5, 4]));
    expect(max?.global).toBeFalsy();
    expect(rfOf('adaptiveMaxPool2d', 1)?.global).toBe(true);
  });

  it('refusals: a 4-D input to adaptiveMaxPool1d and a 2-D one to adaptiveMaxPool2d (RANK_MISMATCH; a 3-D one is unbatched, as PyTorch takes it), outputSize 0 and a 2-list for 3-D (400 at outputSize)', () => {
    expect(errorOf(() => analyze(net([1, 2, 3, 4], { op: 'adaptiveMaxPool1d', outputSize: 2 }))).code).toBe('RANK_MISMATCH');
    expect(errorOf(() => analyze(net([2, 3], { op: 'adaptiveMaxPool2d', outputSize: 2 }))).code).toBe('RANK_MISMATCH');
    for (const [shape, op, outputSize] of [
      [[1, 2, 8], 'adaptiveMaxPool1d', 0],
      [[1, 2, 3, 4, 5], 'adaptiveMaxPool3d', [2, 2]],
    ] as const) {
      const e = errorOf(() => analyze(net([...shape], { op, outputSize })));
      expect(e.status).toBe(400);
      expect(e.details.path).toMatch(/^\$\.layers\[0\]\.outputSize/);
    }
  });
});

describe('NaN and −∞ as PyTorch 1.13 gives them (values and indices)', () => {
  it.each(edges.map((e) => [e.name, e] as const))('%s', (_, e) => {
    const res = runOperator({
      name: e.op,
      inputs: [tensor(e.input.shape, Float32Array.from(e.input.data.map(num)))],
      attributes: e.attributes,
      weights: {},
      training: false,
      seed: 0,
      maxElements: 1 << 16,
    });
    const [values, indices] = res.outputs;
    expect(values.shape).toEqual(e.values.shape);
    // toEqual treats NaN as equal to NaN, and ±∞ exactly
    expect(Array.from(values.data)).toEqual(e.values.data.map((v) => (typeof v === 'number' ? Math.fround(v) : num(v))));
    expect(Array.from(indices.data)).toEqual(e.indices);
  });

  it('the fixture holds a window with two NaNs (its index the last one) and an all −∞ window (its first tap)', () => {
    const twoNaN = edges[0];
    expect(twoNaN.values.data[0]).toBe('nan');
    expect(twoNaN.indices[0]).toBe(5); // NaNs at offsets 1 and 5 of the window [0,2)×[0,3)
    expect(edges[1].values.data[0]).toBe('-inf');
    expect(edges[1].indices[0]).toBe(0);
  });
});
