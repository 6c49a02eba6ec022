/**
 * upsample / upsample1d / upsample3d recomputeScaleFactor (F.interpolate's recompute_scale_factor=
 * True): the output floor(in·s), then read as to that size. PyTorch's values and gradients for
 * scales where that changes them: scripts/goldens_upsample_recompute.py (run by goldens.test.ts and
 * vjp.test.ts); here the rule by hand, the equivalence with the size it computes, and the refusal.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import type { Wire } from './golden-cases.js';

interface Refusal {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  inputs: Wire[];
  torchError: string;
  code: string;
  path: string;
}
const { refusals } = JSON.parse(readFileSync(new URL('../fixtures/operators/upsample_recompute.json', import.meta.url), 'utf8')) as { refusals: Refusal[] };
const call = (name: string, shape: number[], data: number[], attributes: Record<string, unknown>) =>
  runOperator({ name, inputs: [tensor(shape, Float32Array.from(data))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 16 }).outputs[0];

describe('recomputeScaleFactor: output floor(in·s), coordinates in/out', () => {
  it('upsample1d nearest ×2.7 of [0, 1, 2, 3]: 10 outputs; floor(o·4/10) → 0 0 0 1 1 2 2 2 3 3, where floor(o/2.7) gives 0 0 0 1 1 1 2 2 2 3', () => {
    const x = [0, 1, 2, 3];
    expect(Array.from(call('upsample1d', [1, 1, 4], x, { mode: 'nearest', scaleFactor: 2.7, recomputeScaleFactor: true }).data)).toEqual([0, 0, 0, 1, 1, 2, 2, 2, 3, 3]);
    expect(Array.from(call('upsample1d', [1, 1, 4], x, { mode: 'nearest', scaleFactor: 2.7 }).data)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
  });

  it.each([
    ['upsample bilinear x=[1,2,5,6] s=1.7', 'upsample', [1, 2, 5, 6], { mode: 'bilinear', scaleFactor: 1.7 }, [8, 10]],
    ['upsample bicubic alignCorners x=[1,1,4,5] s=[2.3,1.5]', 'upsample', [1, 1, 4, 5], { mode: 'bicubic', scaleFactor: [2.3, 1.5], alignCorners: true }, [9, 7]],
    ['upsample nearest x=[1,1,5,4] s=[1.4,2.6] (one channel)', 'upsample', [1, 1, 5, 4], { mode: 'nearest', scaleFactor: [1.4, 2.6] }, [7, 10]],
    ['upsample1d linear x=[2,3,5] s=1.5', 'upsample1d', [2, 3, 5], { mode: 'linear', scaleFactor: 1.5 }, [7]],
    ['upsample3d trilinear x=[1,2,3,4,5] s=[1.5,1.3,2.2]', 'upsample3d', [1, 2, 3, 4, 5], { mode: 'trilinear', scaleFactor: [1.5, 1.3, 2.2] }, [4, 5, 11]],
    ['upsample3d nearest-exact x=[1,2,3,4,5] s=1.6', 'upsample3d', [1, 2, 3, 4, 5], { mode: 'nearest-exact', scaleFactor: 1.6 }, [4, 6, 8]],
  ] as const)('%s with recomputeScaleFactor = the same layer given the size it computes: output shape, FLOPs, receptive field and outputs', (_, op, shape, attrs, size) => {
    const { scaleFactor, ...rest } = attrs as Record<string, unknown>;
    void scaleFactor;
    const recompute = { ...attrs, recomputeScaleFactor: true };
    const bySize = { ...rest, size: [...size] };
    const conv = shape.length === 4 ? { op: 'conv2d', outChannels: shape[1], kernelSize: 3, padding: 1 } : { op: shape.length === 3 ? 'conv1d' : 'conv3d', outChannels: shape[1], kernelSize: 3, padding: 1 };
    const [a, b] = [recompute, bySize].map((l) => layer(analyze(net([...shape], conv, { op, ...l })), 'l1'));
    expect(a.outputShape).toEqual([shape[0], shape[1], ...size]);
    expect([a.outputShape, a.flops, a.receptiveField]).toEqual([b.outputShape, b.flops, b.receptiveField]);
    const data = Array.from({ length: shape.reduce((p: number, d: number) => p * d, 1) }, (_, i) => Math.sin(i * 0.9));
    expect(Array.from(call(op, [...shape], data, recompute).data)).toEqual(Array.from(call(op, [...shape], data, bySize).data));
  });

  it('upsample bilinear x=[1,1,5,5] s=1.7: the field steps 5/8 with recomputeScaleFactor, 1/1.7 without', () => {
    const rf = (recomputeScaleFactor: boolean) => layer(analyze(net([1, 1, 5, 5], { op: 'upsample', mode: 'bilinear', scaleFactor: 1.7, recomputeScaleFactor })), 'l0').receptiveField!;
    expect(rf(true).stride).toEqual([5 / 8, 5 / 8]);
    expect(rf(false).stride?.[0]).toBeCloseTo(1 / 1.7, 8); // the report rounds to 9 digits
  });
});

describe('recomputeScaleFactor beside an explicit size: refused as PyTorch refuses it', () => {
  it.each(refusals.map((r) => [`${r.name} (PyTorch: ${r.torchError})`, r] as const))('%s', (_, r) => {
    const e = errorOf(() => call(r.op, r.inputs[0].shape, r.inputs[0].data, r.attributes));
    expect(e.status).toBe(400);
    expect(e.details.path).toBe(r.path);
  });
});
