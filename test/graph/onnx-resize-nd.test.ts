/**
 * ONNX Resize beyond N,C,H,W (ops/resize.ts, ops/resample-kernels.ts): rank 3 (N, C, L: audio), rank
 * 5 (N, C, D, H, W: video, 3-D UNets), and the batch or channel axis resized. Before, each was
 * INVALID_ATTRIBUTE, a valid file refused. Each fixture is one Resize built with onnx.helper
 * (scripts/export_resize_fixtures.py) with up to three expected outputs: onnxruntime 1.30's
 * (scripts/resize_goldens.mjs), onnx's reference ported to NumPy (scripts/resize_reference.py), and
 * PyTorch's F.interpolate where it has the same resampling (linear, trilinear, nearest). onnxruntime
 * refuses cubic outside 2-D and linear across batch or channels: those are held to the reference.
 * Two tiny 3-D networks (Conv3d, trilinear F.interpolate, Conv3d) exported by torch.onnx.export at
 * opsets 13 and 17 run to PyTorch's output. And scales or sizes computed from tensor values leave
 * the layer unsupported with the reason, the rest of the graph analysed (before: INVALID_ATTRIBUTE).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, net, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

interface Values {
  shape: number[];
  data: number[];
}
interface Case {
  input: Values;
  /** onnxruntime's; null where it refuses the graph (onnxruntimeRefuses) */
  output: Values | null;
  onnxruntimeRefuses?: string;
  /** onnx's reference implementation's (NumPy port) */
  reference: Values;
  /** F.interpolate's, where PyTorch has the same resampling */
  torch?: Values;
}
const DIR = new URL('../fixtures/onnx/resize/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { cases: Record<string, Case> };
const RUN = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

/**
 * [case, output shape, FLOPs]: per output 2k − 1 for k taps over the resampled axes (linear 2 per
 * axis, cubic 4; with antialias an axis at scale s < 1 reads 2·⌈support/s⌉, support 1 linear, 2
 * cubic), nearest 0: rank-3 linear 3, trilinear 15, tricubic 127. A batch or channel axis resized
 * counts its taps too (linear over N, C, H, W: 16 taps, 31).
 */
const CASES: [string, number[], number][] = [
  ['r3_linear_half_pixel', [1, 2, 17], 3 * 34],
  ['r3_linear_align_corners_sizes', [2, 3, 11], 3 * 66],
  ['r3_nearest_asymmetric_floor_sizes', [1, 2, 12], 0],
  ['r3_cubic_a05_exclude', [1, 2, 9], 7 * 18],
  // ×0.4: 2·⌈1/0.4⌉ = 6 taps
  ['r3_aa_linear_down_axes', [1, 2, 4], 11 * 8],
  // 13 → 5: 2·⌈2·13/5⌉ = 12 taps
  ['r3_aa_cubic_down_sizes', [1, 2, 5], 23 * 10],
  ['r3_crop_linear_extrapolate', [1, 2, 7], 3 * 14],
  ['r5_linear_half_pixel', [1, 2, 6, 8, 10], 15 * 960],
  ['r5_linear_align_corners_sizes', [1, 2, 5, 7, 6], 15 * 420],
  ['r5_nearest_asymmetric_floor_sizes', [1, 2, 6, 9, 3], 0],
  ['r5_nearest_round_prefer_ceil', [1, 2, 4, 3, 8], 0],
  ['r5_cubic_half_pixel', [1, 1, 4, 8, 5], 127 * 160],
  // ×[0.5, 0.7, 0.6]: 8 · 6 · 8 = 384 taps
  ['r5_cubic_aa_a05_exclude_axes', [1, 1, 3, 4, 4], 767 * 48],
  // [6, 7, 8] → [3, 4, 3]: 4 · 4 · 6 = 96 taps
  ['r5_aa_linear_down_sizes', [1, 2, 3, 4, 3], 191 * 72],
  // s = max(4/3, 4/5, 4/4) = 4/3: [3, 5, 4] → round([4, 6.67, 5.33])
  ['r5_keep_not_smaller', [1, 1, 4, 7, 5], 15 * 140],
  // axes [4, 2, 3], s = min(6/4, 9/3, 9/5) = 1.5: [3, 5, 4] → [4.5, 7.5, 6] halves up
  ['r5_keep_not_larger_sizes_nearest', [1, 1, 5, 8, 6], 0],
  ['r5_crop_nearest_extrapolate', [1, 2, 4, 3, 5], 0],
  ['r5_symmetric_linear', [1, 1, 5, 2, 6], 15 * 60],
  ['r5_pytorch_half_pixel_linear_down', [1, 2, 1, 3, 4], 15 * 24],
  ['nc_nearest_channels', [1, 6, 4, 5], 0],
  ['nc_nearest_batch_r5', [3, 2, 4, 3, 3], 0],
  ['nc_linear_batch_channels', [3, 6, 6, 4], 31 * 432],
  // not_smaller over all four axes, sizes [1, 3, 2, 12] of [1, 3, 4, 6]: s = 2 doubles the batch and channels too
  ['nc_keep_not_smaller_all_axes', [2, 6, 8, 12], 31 * 1152],
  ['nc_cubic_channels_r3', [1, 3, 10], 31 * 30],
];

/** Where onnxruntime's output is not the spec's (its own test below): held to the reference. */
const ORT_DEVIATES = new Set(['r5_crop_nearest_extrapolate']);

function check(name: string) {
  const t = truth.cases[name];
  const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} });
  const r = analyzeGraph(graph, DEFAULTS);
  expect(r.totals).toMatchObject({ complete: true, unsupported: [] });
  const run = runGraph(graph, { X: tensor(t.input.shape, t.input.data) }, RUN);
  return { layer: r.layers[0], run: run.outputs.Y, t };
}

describe('Resize of rank 3 and 5, and across batch or channels: shape and FLOPs by hand, run to onnxruntime, the reference and PyTorch', () => {
  it.each(CASES)('%s → %j, %d FLOPs', (name, shape, flops) => {
    const { layer, run, t } = check(name);
    expect([layer.op, layer.outputShape, layer.flops, layer.macs]).toEqual(['resize', shape, flops, 0]);
    expect(run.shape).toEqual(t.reference.shape);
    expect(scaledError(run.data, t.reference.data)).toBeLessThanOrEqual(1e-5);
    if (t.torch) {
      expect(run.shape).toEqual(t.torch.shape);
      expect(scaledError(run.data, t.torch.data)).toBeLessThanOrEqual(1e-5);
    }
    if (t.output && !ORT_DEVIATES.has(name)) {
      expect(run.shape).toEqual(t.output.shape);
      expect(scaledError(run.data, t.output.data)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('PyTorch has 6 of these cases, onnxruntime refuses 7 (cubic outside 2-D; linear and cubic across batch or channels): each still has a truth', () => {
    const names = CASES.map(([n]) => n);
    expect(names.filter((n) => truth.cases[n].torch)).toHaveLength(6);
    const refused = names.filter((n) => !truth.cases[n].output);
    expect(refused).toEqual(['r3_cubic_a05_exclude', 'r3_aa_cubic_down_sizes', 'r5_cubic_half_pixel', 'r5_cubic_aa_a05_exclude_axes', 'nc_linear_batch_channels', 'nc_keep_not_smaller_all_axes', 'nc_cubic_channels_r3']);
  });

  it("onnxruntime's 5-D nearest with tf_crop_and_resize is not the spec's: the first frame, whose source is −0.2·3 = −0.6, is not extrapolation_value (−2)", () => {
    const t = truth.cases.r5_crop_nearest_extrapolate;
    const frame = (d: number[]) => d.slice(0, 15);
    expect(frame(t.reference.data)).toEqual(Array(15).fill(-2));
    expect(frame(t.output!.data).filter((v) => v === -2).length).toBeLessThan(15);
  });
});

/** torch.onnx.export of Conv3d(2→3, k 3, pad 1) → ReLU → F.interpolate(trilinear) → Conv3d(3→2, k 1), PyTorch's output kept (torch3d.json). */
const torch3d = JSON.parse(readFileSync(new URL('torch3d.json', DIR), 'utf8')) as Record<string, { opset: number; input: Values; output: Values }>;

describe('a tiny 3-D network exported by torch.onnx.export (trilinear F.interpolate → Resize on rank 5) runs to PyTorch\'s output', () => {
  it.each([
    // scale_factor 2: a constant scales [1, 1, 2, 2, 2]; 15 FLOPs per output
    ['torch3d_trilinear_x2_opset13', 13, [1, 3, 6, 8, 10], 15 * 3 * 480],
    // size (5, 9, 7), align_corners: sizes as Concat(Slice(Shape(x)), [5, 9, 7]), folded by inference
    ['torch3d_trilinear_size_align_opset17', 17, [1, 3, 5, 9, 7], 15 * 3 * 315],
  ] as const)('%s (opset %d): resize → %j, %d FLOPs', (name, opset, shape, flops) => {
    const t = torch3d[name];
    expect(t.opset).toBe(opset);
    const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} });
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    const resize = r.layers.find((l) => l.op === 'resize')!;
    expect([resize.outputShape, resize.flops]).toEqual([shape, flops]);
    expect(r.layers.at(-1)!.outputShape).toEqual(t.output.shape);
    const run = runGraph(graph, { X: tensor(t.input.shape, t.input.data) }, RUN);
    expect(run.outputs.Y.shape).toEqual(t.output.shape);
    expect(scaledError(run.outputs.Y.data, t.output.data)).toBeLessThanOrEqual(1e-5);
  });
});

/**
 * The field of linear ×2 (half pixel) per axis, by hand: unit o reads ⌊src⌋ and ⌊src⌋ + 1 at
 * src = o/2 − ¼ clamped to [0, in − 1] (a clamped unit reads one): [0, 0], [0, 1], [0, 1], [1, 2], …:
 * size 2.5, padding 1 at stride ½, on the one axis of N,C,L and on each of N,C,D,H,W, the same as
 * PyTorch's upsample1d and upsample3d (upsample-nd.ts, its own taps).
 */
describe('the receptive field of a resize of rank 3 and 5 is per spatial axis', () => {
  it.each([
    ['rank 3, linear ×2', [1, 2, 8], { op: 'upsample1d', mode: 'linear', scaleFactor: 2 }, 1],
    ['rank 5, linear ×2', [1, 2, 4, 6, 8], { op: 'upsample3d', mode: 'trilinear', scaleFactor: 2 }, 3],
  ] as const)('%s on %j: size 2.5, stride ½, padding 1 per axis, as PyTorch\'s upsample1d / upsample3d', (_, shape, pytorch, axes) => {
    const resize = analyze(net([...shape], { op: 'resize', mode: 'linear', scales: [1, 1, ...Array(axes).fill(2)] })).layers[0];
    const torch = analyze(net([...shape], pytorch)).layers[0];
    const expected = { size: Array(axes).fill(2.5), stride: Array(axes).fill(0.5), padding: Array(axes).fill(1) };
    expect(resize.receptiveField).toMatchObject(expected);
    expect(torch.receptiveField).toMatchObject(expected);
    expect(resize.outputShape).toEqual(torch.outputShape);
  });

  it('rank 5 linear antialias ×½ on 16³: the triangle widened to 4 units (2o − 1 … 2o + 2) on each axis: size 4, padding 1, stride 2; 4³ taps, 127 FLOPs per output', () => {
    const l = analyze(net([1, 1, 16, 16, 16], { op: 'resize', mode: 'linear', antialias: true, scales: [1, 1, 0.5, 0.5, 0.5] })).layers[0];
    expect([l.outputShape, l.flops]).toEqual([[1, 1, 8, 8, 8], 127 * 512]);
    expect(l.receptiveField).toMatchObject({ size: [4, 4, 4], stride: [2, 2, 2], padding: [1, 1, 1] });
  });

  it('nearest over the channels alone ([1, 3, 4, 5] ×[1, 2, 1, 1]) mixes channels, not positions: each unit sees itself', () => {
    const l = analyze(net([1, 3, 4, 5], { op: 'resize', mode: 'nearest', scales: [1, 2, 1, 1] })).layers[0];
    expect([l.outputShape, l.flops]).toEqual([[1, 6, 4, 5], 0]);
    expect(l.receptiveField).toMatchObject({ size: [1, 1], stride: [1, 1], padding: [0, 0] });
  });
});

describe('a Resize whose scales or sizes are computed from tensor values is unsupported with the reason, the rest analysed (was INVALID_ATTRIBUTE, the file refused)', () => {
  /** X [1, 2, 4, 4] → Resize(X, scales or sizes from the graph input S) → Relu → Y; X → Relu → Z. */
  const model = (via: 'scales' | 'sizes') =>
    onnxModel({
      opset: 13,
      inputs: [{ name: 'X', shape: [1, 2, 4, 4] }, { name: 'S', shape: [4] }],
      outputs: ['Y', 'Z'],
      nodes: [
        ...(via === 'sizes' ? [{ op: 'Cast', inputs: ['S'], outputs: ['Sz'], name: 'cast', attrs: { to: { i: 7 } } }] : []),
        { op: 'Resize', inputs: via === 'scales' ? ['X', '', 'S'] : ['X', '', '', 'Sz'], outputs: ['R'], name: 'resize', attrs: { mode: { s: 'linear' } } },
        { op: 'Relu', inputs: ['R'], outputs: ['Y'], name: 'after' },
        { op: 'Relu', inputs: ['X'], outputs: ['Z'], name: 'beside' },
      ],
    });

  it.each(['scales', 'sizes'] as const)('%s from the graph input S: Resize listed unsupported, the layer after it not analysed, the one beside it analysed; a run refuses it at the Resize node\'s input that carries them', (via) => {
    const { graph } = importOnnx(model(via), { inputShapes: {} });
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: 'Resize', count: 1, nodes: ['resize'], reasons: [`resize ${via} computed from tensor values (not constants inference can fold): its output shape is not known`] }]);
    const by = (name: string) => r.layers.find((l) => l.name === name)!;
    expect([by('resize').supported, by('after').outputShape, by('beside').outputShape]).toEqual([false, null, [1, 2, 4, 4]]);
    const e = errorOf(() => runGraph(graph, { X: tensor([1, 2, 4, 4], new Float32Array(32)), S: tensor([4], [1, 1, 2, 2]) }, RUN));
    expect([e.code, e.message]).toEqual(['UNSUPPORTED_OPERATOR', expect.stringContaining(`resize ${via} computed from tensor values`)]);
    // scales are the Resize's input 2 (node 0); sizes its input 3 (node 1, after the Cast)
    expect(e.details.path).toBe(via === 'scales' ? '$.graph.node[0].input[2]' : '$.graph.node[1].input[3]');
  });
});
