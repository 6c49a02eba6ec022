/**
 * ONNX Resize with the attributes exported models use beyond PyTorch's defaults (graph/onnx/map-resize.ts,
 * ops/resize.ts, ops/upsample-plan.ts): cubic_coeff_a −0.5 (TensorFlow's bicubic via tf2onnx),
 * exclude_outside, opset 18's axes, keep_aspect_ratio_policy and antialias, tf_crop_and_resize with
 * roi and extrapolation_value, opset 19's half_pixel_symmetric. Each fixture is one Resize built with
 * onnx.helper (scripts/export_resize_fixtures.py) with two expected outputs: onnxruntime 1.30's
 * (scripts/resize_goldens.mjs) and onnx's reference implementation ported to NumPy
 * (scripts/resize_reference.py). They agree within 2e-6 on every case but one: onnxruntime's cubic
 * ignores tf_crop_and_resize's extrapolation_value and region (its first row, whose source is −1,
 * is interpolated where the spec writes 7), so that case is held to the reference alone. Before,
 * each of these attributes left the node unsupported or refused it (opset 18's axes: INVALID_ATTRIBUTE),
 * and keep_aspect_ratio_policy was ignored: sizes read as stretched, a wrong shape.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, net, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

interface Case {
  opset: number;
  input: { shape: number[]; data: number[] };
  /** onnxruntime's */
  output: { shape: number[]; data: number[] };
  /** onnx's reference implementation's (NumPy port) */
  reference: { shape: number[]; data: number[] };
}
const DIR = new URL('../fixtures/onnx/resize/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { onnxruntime: string; cases: Record<string, Case> };

/** Imports, analyses and runs one fixture: its resize layer, and the run's output against onnxruntime's. */
function check(name: string) {
  const t = truth.cases[name];
  const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} });
  const r = analyzeGraph(graph, DEFAULTS);
  expect(r.totals).toMatchObject({ complete: true, unsupported: [] });
  const run = runGraph(graph, { X: tensor(t.input.shape, t.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
  return { layer: r.layers[0], run: run.outputs.Y, ort: t.output, reference: t.reference };
}

/**
 * [case, output shape, FLOPs]: FLOPs per output 2·ky·kx − 1 for ky × kx taps (linear 2 × 2 = 7,
 * cubic 4 × 4 = 31), nearest 0; with antialias an axis at scale s < 1 reads 2·⌈support/s⌉ taps
 * (support 1 linear, 2 cubic). Tolerance 1e-5 of the largest output, as the operator goldens.
 */
/** Cases onnxruntime computes otherwise than the spec (header): held to the reference alone. */
const ORT_DEVIATES = new Set(['crop_cubic_extrapolate']);

const CASES: [string, number[], number][] = [
  ['cubic_a05_half_pixel', [1, 2, 7, 12], 31 * 168],
  ['cubic_a05_exclude_asymmetric', [1, 2, 10, 9], 31 * 180],
  ['cubic_a05_exclude_half_pixel_sizes', [1, 2, 9, 11], 31 * 198],
  ['cubic_exclude_down', [1, 2, 4, 3], 31 * 24],
  ['cubic_a05_exclude_align_corners', [1, 2, 8, 7], 31 * 112],
  ['axes_23_scales_linear', [1, 2, 10, 3], 7 * 60],
  ['axes_last_sizes_linear', [1, 2, 5, 10], 7 * 100],
  ['axes_32_sizes_nearest', [1, 2, 8, 4], 0],
  ['keep_not_larger', [1, 2, 2, 3], 7 * 12],
  ['keep_not_smaller', [1, 2, 9, 11], 7 * 198],
  ['keep_not_larger_all_axes', [1, 2, 4, 5], 7 * 40],
  ['keep_not_smaller_cubic', [1, 2, 5, 4], 31 * 40],
  ['aa_linear_down', [1, 2, 4, 5], 31 * 40],
  ['aa_linear_mixed_asymmetric', [1, 2, 4, 6], 23 * 48],
  ['aa_linear_align_corners_sizes', [1, 2, 4, 3], 71 * 24],
  ['aa_cubic_down_sizes', [1, 2, 3, 5], 191 * 30],
  ['aa_cubic_a05_exclude', [1, 2, 4, 6], 95 * 48],
  ['aa_cubic_up', [1, 2, 6, 10], 31 * 120],
  ['crop_linear_inside', [1, 2, 5, 4], 7 * 40],
  ['crop_cubic_extrapolate', [1, 2, 6, 5], 31 * 60],
  ['crop_nearest_extrapolate', [1, 2, 5, 6], 0],
  ['symmetric_linear', [1, 2, 8, 4], 7 * 64],
  ['symmetric_cubic_sizes', [1, 2, 8, 4], 31 * 64],
  ['nearest_round_prefer_ceil_tf_nn', [1, 2, 7, 4], 0],
];

describe('Resize attributes beyond PyTorch\'s: analysed shape and FLOPs by hand, run to onnxruntime\'s output', () => {
  it.each(CASES)('%s → %j, %d FLOPs', (name, shape, flops) => {
    const { layer, run, ort, reference } = check(name);
    expect([layer.op, layer.outputShape, layer.flops, layer.macs]).toEqual(['resize', shape, flops, 0]);
    expect(run.shape).toEqual(reference.shape);
    expect(scaledError(run.data, reference.data)).toBeLessThanOrEqual(1e-5);
    if (ORT_DEVIATES.has(name)) return;
    expect(run.shape).toEqual(ort.shape);
    expect(scaledError(run.data, ort.data)).toBeLessThanOrEqual(1e-5);
  });

  it('onnxruntime\'s cubic with tf_crop_and_resize is not the spec\'s: rows whose source is outside the region are not extrapolation_value (7)', () => {
    const t = truth.cases.crop_cubic_extrapolate;
    const row = (d: number[]) => d.slice(0, 5);
    expect(row(t.reference.data)).toEqual([7, 7, 7, 7, 7]);
    expect(row(t.output.data)).not.toContain(7);
  });
});

/**
 * The field of a ×½ resize of a 16 × 16 map (output unit o at source 2o + ½, half pixel), by hand:
 *   linear            reads 2o, 2o + 1                              size 2, padding 0
 *   linear antialias  the triangle widened to 2 units: 2o − 1 … 2o + 2 (weights ⅛, ⅜, ⅜, ⅛)   size 4, padding 1
 *   cubic antialias   Keys' widened to 4 units: 2o − 3 … 2o + 4 (|d|/2 < 2)                     size 8, padding 3
 *   cubic             Keys' four: 2o − 1 … 2o + 2                     size 4, padding 1
 * all at stride 2; edge units are cut by the border, interior ones set the envelope.
 */
describe('the receptive field of an antialiased resize widens with its filter', () => {
  it.each([
    ['linear', false, 2, 0, 7],
    ['linear', true, 4, 1, 31],
    ['cubic', false, 4, 1, 31],
    ['cubic', true, 8, 3, 127],
  ] as const)('%s, antialias %s, ×½ on 16 × 16: size %d, padding %d, stride 2; %d FLOPs per output', (mode, antialias, size, padding, perOutput) => {
    const r = analyze(net([1, 1, 16, 16], { op: 'resize', mode, antialias, scales: [1, 1, 0.5, 0.5] }));
    const l = r.layers[0];
    expect(l.outputShape).toEqual([1, 1, 8, 8]);
    expect(l.flops).toBe(perOutput * 64);
    expect(l.receptiveField).toMatchObject({ size: [size, size], stride: [2, 2], padding: [padding, padding] });
  });
});

describe('Resize output sizes from scales are floor(in·scale) in float32, as onnxruntime and the exporting PyTorch give them', () => {
  it.each([
    // float32(1.4) = 1.39999997615…: in float64 5·1.4f = 6.99999988 (6), in float32 it rounds to 7.0 (PyTorch's 5·1.4 = 7.000…01: 7)
    [5, 1.4, 7],
    [10, 1.1, 11],
    [3, 2.5, 7],
    [7, 0.3, 2],
  ])('W %d × float32 scale %d (as an ONNX file stores it) → %d', (w, s, out) => {
    const r = analyze(net([1, 1, 2, w], { op: 'resize', mode: 'nearest', scales: [1, 1, 1, Math.fround(s)] }));
    expect(r.layers[0].outputShape).toEqual([1, 1, 2, out]);
  });
});

describe('keep_aspect_ratio_policy sizes are rounded from onnxruntime\'s float32 scale', () => {
  it.each([
    // 7/6 = 1.1666666 in float32; × 27 = 31.4999990 in float32 → 31 (float64 31.5 → 32); × 6 = 7
    ['not_larger', [7, 100], [7, 31]],
    // 100/27 = 3.7037036 in float32 is the larger ratio: × 27 = 100, × 6 = 22.222 → 22
    ['not_smaller', [7, 100], [22, 100]],
  ] as const)('X [1, 1, 6, 27], axes [2, 3], sizes %s %j → H, W %j', (policy, sizes, out) => {
    const r = analyze(net([1, 1, 6, 27], { op: 'resize', mode: 'nearest', axes: [2, 3], sizes: [...sizes], keepAspectRatioPolicy: policy }));
    expect(r.layers[0].outputShape).toEqual([1, 1, ...out]);
  });
});

describe('Resize parameters convlens cannot honour are refused with the reason, never a wrong shape', () => {
  /** X [1, 3, 4, 6] → Resize(X, '', '', sizes) at opset 18 with the attributes given. */
  const model = (attrs: Record<string, { s: string } | { ints: number[] } | { i: number }>, sizes: number[]) =>
    onnxModel({
      opset: 18,
      inputs: [{ name: 'X', shape: [1, 3, 4, 6] }],
      outputs: ['Y'],
      initializers: [{ name: 'sizes', dims: [sizes.length], data: sizes, type: 'int64' }],
      nodes: [{ op: 'Resize', inputs: ['X', '', '', 'sizes'], outputs: ['Y'], name: 'r', attrs: { mode: { s: 'linear' }, ...attrs } }],
    });

  // keep_aspect_ratio_policy not_smaller over all four axes doubling the batch and channels was refused here: it runs now (onnx-resize-nd.test.ts, nc_keep_not_smaller_all_axes)

  it('axes [2, 2] (repeated) is INVALID_ATTRIBUTE naming the axes', () => {
    const { graph } = importOnnx(model({ axes: { ints: [2, 2] } }, [8, 8]), { inputShapes: {} });
    expect(errorOf(() => analyzeGraph(graph, DEFAULTS)).message).toContain('resize axes [2, 2] must be distinct');
  });

  it('axes [2, 3] with sizes of four values is INVALID_ATTRIBUTE: 2 sizes for 2 axes', () => {
    const { graph } = importOnnx(model({ axes: { ints: [2, 3] } }, [1, 3, 8, 12]), { inputShapes: {} });
    expect(errorOf(() => analyzeGraph(graph, DEFAULTS)).message).toContain('resize needs 2 constant scales or sizes (axes [2, 3])');
  });
});
