/**
 * resize's work is bounded by what it is asked (src/ops/resize.ts, upsample-plan.ts,
 * resample-kernels.ts): scales and sizes together are refused as onnxruntime refuses them; the
 * tap tables (out × taps per axis: antialias at scale s reads 2·⌈1/s⌉ linear taps) and the
 * separable passes' float64 intermediates are held to the tensor limit (413) before any kernel
 * runs; the field of any number of taps costs O(1) a unit.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';

const call = (shape: number[], data: number[], attributes: Record<string, unknown>, maxElements = 1 << 20) =>
  runOperator({ name: 'resize', inputs: [tensor(shape, Float32Array.from(data))], attributes, weights: {}, training: false, seed: 0, maxElements });
const ramp = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('scales and sizes together are refused (ONNX allows one; onnxruntime refuses both)', () => {
  it('linear antialias on [1,1,8], sizes [1,1,20000] and scales [1,1,1e-5]: 400 INVALID_ATTRIBUTE at $.attributes.scales (was a 20000 × 200000-tap table, 500 after 36 s)', () => {
    const e = errorOf(() => call([1, 1, 8], ramp(8), { mode: 'linear', antialias: true, sizes: [1, 1, 20000], scales: [1, 1, 1e-5] }));
    expect([e.status, e.code, e.details.path]).toEqual([400, 'INVALID_ATTRIBUTE', '$.attributes.scales']);
    expect(e.message).toContain('scales or sizes, not both');
  });
  it('sizes alone still resize: [1,1,4] nearest sizes [1,1,8] (asymmetric, floor) → each value twice', () => {
    const r = call([1, 1, 4], [1, 2, 3, 4], { mode: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', sizes: [1, 1, 8] });
    expect(Array.from(r.outputs[0].data)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('tf_crop_and_resize with a wide roi: the antialias tap tables are held to the tensor limit', () => {
  // in 8, roi [0, R] on the last axis, scale 1e-4: out = floor(8·R·1e-4), taps 2·⌈1/1e-4⌉ = 20000
  const attrs = (R: number) => ({ mode: 'linear', antialias: true, coordinateTransformationMode: 'tf_crop_and_resize', roi: [0, 0, 0, 1, 1, R], scales: [1, 1, 1e-4] });
  it('roi end 3,000,000: out 2400 × 20000 taps = 48,000,000 table entries > 2^20 → 413 TENSOR_TOO_LARGE naming the table, at $.attributes (was 1.33 GB, then ran)', () => {
    const e = errorOf(() => call([1, 1, 8], ramp(8), attrs(3_000_000)));
    expect([e.status, e.code, e.details.path]).toEqual([413, 'TENSOR_TOO_LARGE', '$.attributes']);
    expect(e.details.shapes).toEqual({ intermediate: [2400, 20000] });
    expect(e.message).toContain('the tap table of axis 2');
  });
  it('counted in bytes: roi end 62,500, out 50 × 20000 = 1,000,000 entries (under 2^20) of 12 bytes = 3,000,000 float32 elements → 413; out 17 (1,020,000) runs', () => {
    const e = errorOf(() => call([1, 1, 8], ramp(8), attrs(62_500)));
    expect([e.status, e.code, e.details.path]).toEqual([413, 'TENSOR_TOO_LARGE', '$.attributes']);
    expect(e.details.shapes).toEqual({ intermediate: [50, 20000] });
    expect(e.message).toContain('12 bytes an element: 3000000 float32 elements');
    expect(call([1, 1, 8], ramp(8), attrs(21_300)).outputs[0].shape).toEqual([1, 1, 17]);
  });
  it('the same layer analysed: the field visits each of 24,000 units in O(1), not its 20,000 taps (stride (R·7)/(out − 1) = 3e7·7/23999)', () => {
    const t0 = performance.now();
    const rf = layer(analyze(net([1, 1, 8], { op: 'resize', ...attrs(30_000_000) })), 'l0').receptiveField!;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(rf.stride![0]).toBeCloseTo((3e7 * 7) / 23999, 6);
  });
});

describe('the separable passes shrink first: no float64 intermediate above both the input and the output', () => {
  const nearest = { mode: 'nearest', coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' };
  /** The layer's declared intermediates (the tap tables, then the kernel's float64 tensors) as inference gives them. */
  const intermediates = (shape: number[], sizes: number[]) => {
    const graph = parseNetworkSpec(net(shape, { op: 'resize', ...nearest, sizes }));
    return (inferGraph(graph).analysed[0].inferred!.intermediates ?? []).map((i) => i.shape);
  };
  it('[1,1,4,1,2] to sizes [1,1,1,1,8]: H (×¼) first, [1,1,1,1,2], then W (×4), [1,1,1,1,8] (last axis first was [1,1,4,1,8]); values x[0, floor(o/4)]', () => {
    // tap tables: D, H, W out × 1 tap (D kept at 1: spatial axes are always in the plan)
    expect(intermediates([1, 1, 4, 1, 2], [1, 1, 1, 1, 8])).toEqual([[1, 1], [1, 1], [8, 1], [1, 1, 1, 1, 2], [1, 1, 1, 1, 2], [1, 1, 1, 1, 8]]);
    const r = call([1, 1, 4, 1, 2], ramp(8), { ...nearest, sizes: [1, 1, 1, 1, 8] });
    expect(Array.from(r.outputs[0].data)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });
  it('[1,1,2048,1,4] to [1,1,1,1,65536] (was 2048 × 65536 doubles, 2.3 GB peak): runs at a 2^18-element limit (its largest intermediate the W tap table, 65,536 taps of 12 bytes: 196,608 float32 elements), every output x[0, floor(o/16384)]', () => {
    const r = call([1, 1, 2048, 1, 4], Array.from({ length: 8192 }, (_, i) => (i % 4) + 1), { ...nearest, sizes: [1, 1, 1, 1, 65536] }, 1 << 18);
    const out = r.outputs[0].data;
    expect([out.length, out[0], out[16383], out[16384], out[65535]]).toEqual([65536, 1, 1, 2, 4]);
    // D (×1/2048), then H (×1), then W (×16384)
    expect(intermediates([1, 1, 2048, 1, 4], [1, 1, 1, 1, 65536]).slice(3)).toEqual([[1, 1, 1, 1, 4], [1, 1, 1, 1, 4], [1, 1, 1, 1, 65536]]);
  });
  it('2-D [1,1,2048,1] to [1,1,1,65536]: the separable passes rather than 2048 × 65536 rows; each output x[0, 0] = 1 (at a 2^18 limit: the W tap table is 196,608 float32 elements)', () => {
    const r = call([1, 1, 2048, 1], ramp(2048), { ...nearest, sizes: [1, 1, 1, 65536] }, 1 << 18);
    expect(r.outputs[0].data.every((v) => v === 1)).toBe(true);
    expect(intermediates([1, 1, 2048, 1], [1, 1, 1, 65536]).slice(2)).toEqual([[1, 1, 1, 1], [1, 1, 1, 65536]]);
  });
});

describe('a flipped tf_crop_and_resize roi (start > end): the field is a box holding every read, at a positive stride', () => {
  it('[1,1,8,8] conv3×3 → resize linear roi H [1, 0], W [0, 1], sizes [1,1,6,6] → conv3×3: field [15, 7], stride [1, 1] (was [3, 7]: a jump of −1 shrank H)', () => {
    // H: src(o) = 1·5 + o·(0 − 1)·5/5 = 5 − o, a pixel centre: reads [max(4 − o, 0), min(6 − o, 5)];
    // at step |−1| = 1 the box's offsets lo − o reach −5 (o = 5), hi − o 5 (o = 0): span 10, r = 3 + 10, then 13 + 2.
    // W: src(o) = o, reads [o − 1, o + 1] clamped: span 2, r = 3 + 2, then 5 + 2.
    const report = analyze(net([1, 1, 8, 8],
      { op: 'conv2d', outChannels: 1, kernelSize: 3 },
      { op: 'resize', mode: 'linear', coordinateTransformationMode: 'tf_crop_and_resize', roi: [0, 0, 1, 0, 1, 1, 0, 1], sizes: [1, 1, 6, 6] },
      { op: 'conv2d', outChannels: 1, kernelSize: 3 }));
    const rf = layer(report, 'l2').receptiveField!;
    expect([rf.size, rf.stride]).toEqual([[15, 7], [1, 1]]);
  });
});

describe("upsample nearest-exact's field follows the kernel's float32 sources, not a period of float64 quotients", () => {
  it('×2.5 on 6,000,017 rows: unit 10,485,764 reads floor(float32(10485764.5 · float32(0.4))) = floor(4194306) = 4194306, one past 0.4·o + 0.2 = 4194305.8: the H field is 2 units (was 1.999999999 by the period), stride 0.4', () => {
    const rf = layer(analyze(net([1, 2, 6000017, 1], { op: 'upsample', mode: 'nearest-exact', scaleFactor: [2.5, 1] })), 'l0').receptiveField!;
    expect([rf.size![0], rf.stride![0]]).toEqual([2, 0.4]);
  });
  it('×2 on 600 rows: c = 0.5 (num 1), (2o + 1)·c exact, the period kept: reads floor((o + ½)/2) = 0, 0, 1, 1 …, offsets from o/2 in [−½, 0]: size 1.5', () => {
    const rf = layer(analyze(net([1, 2, 600, 1], { op: 'upsample', mode: 'nearest-exact', scaleFactor: [2, 1] })), 'l0').receptiveField!;
    expect([rf.size![0], rf.stride![0]]).toEqual([1.5, 0.5]);
  });
});
