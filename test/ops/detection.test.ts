import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nonMaxSuppression, roiAlign } from '../../src/ops/detection.js';
import { analyze, errorOf, layer } from '../helpers.js';
import { inferOf, run } from './op-helpers.js';

interface Case { name: string; op: string; attributes: Record<string, unknown>; inputs: { shape: number[]; data: number[] }[]; outputs: { shape: number[]; data: number[] }[]; bound?: number[] }
const fixture = (f: string) => (JSON.parse(readFileSync(new URL(`../fixtures/detection/${f}`, import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const runCase = (c: Case) => run(c.op, c.inputs.map((t) => [t.shape, t.data] as [number[], number[]]), c.attributes);

describe('nonMaxSuppression', () => {
  it.each(fixture('nms.json').map((c) => [c.name, c] as const))('%s: selects below the bound, [K, 3] rows exactly', (_, c) => {
    const [y] = runCase(c);
    expect(y.shape).toEqual(c.outputs[0].shape);
    expect(y.data).toEqual(c.outputs[0].data);
    expect(y.shape[0]).toBeLessThan(c.bound![0]);
  });

  it('is analysed at its upper bound batches·classes·min(boxes, max) with a DATA_DEPENDENT_SHAPE warning', () => {
    const r = analyze({
      name: 'nms',
      inputs: [{ name: 'boxes', shape: [2, 50, 4] }, { name: 'scores', shape: [2, 3, 50] }],
      layers: [{ name: 'nms', op: 'nonMaxSuppression', inputs: ['boxes', 'scores'], maxOutputBoxesPerClass: 10 }],
    });
    expect(layer(r, 'nms').outputShape).toEqual([2 * 3 * 10, 3]);
    expect(r.warnings.find((w) => w.code === 'DATA_DEPENDENT_SHAPE')).toMatchObject({ layer: 'nms', bound: [60, 3] });
  });

  it('without a max every box is the bound; FLOPs per batch and class: N + N·⌈log₂N⌉ + 3N + 13·N(N−1)/2', () => {
    const inf = inferOf(nonMaxSuppression, [[1, 8, 4], [1, 2, 8]]);
    expect(inf.outputs).toEqual([[16, 3]]);
    expect(inf.cost.elementwise).toBe(2 * (8 + 8 * 3 + 24 + 13 * 28));
  });

  it('by hand: two overlapping boxes (IoU 4/6) and a far one, iou 0.5 → the better of the pair and the far one; iou 0.7 keeps all three', () => {
    // [y1, x1, y2, x2]: boxes 0 and 1 (1×5 each) share 4 columns: IoU = 4/(5 + 5 − 4) = 2/3; box 1 scores higher
    const boxes: [number[], number[]] = [[1, 3, 4], [0, 0, 1, 5, 0, 1, 1, 6, 10, 10, 11, 11]];
    const scores: [number[], number[]] = [[1, 1, 3], [0.5, 0.9, 0.1]];
    expect(run('nonMaxSuppression', [boxes, scores, [[1], [3]], [[1], [0.5]]])[0]).toEqual({ shape: [2, 3], data: [0, 0, 1, 0, 0, 2] });
    expect(run('nonMaxSuppression', [boxes, scores, [[1], [3]], [[1], [0.7]]])[0]).toEqual({ shape: [3, 3], data: [0, 0, 1, 0, 0, 0, 0, 0, 2] });
  });

  it('boxes not [B, N, 4], or scores not [B, C, N]: SHAPE_MISMATCH', () => {
    expect(errorOf(() => inferOf(nonMaxSuppression, [[1, 8, 5], [1, 2, 8]])).code).toBe('SHAPE_MISMATCH');
    expect(errorOf(() => inferOf(nonMaxSuppression, [[1, 8, 4], [1, 2, 7]])).code).toBe('SHAPE_MISMATCH');
  });
});

describe('roiAlign', () => {
  it.each(fixture('roialign-onnx.json').map((c) => [c.name, c] as const))('%s: within 1e-4 of the values the backend test publishes (4 decimals; torchvision agrees to 1e-5 in the goldens)', (_, c) => {
    const [y] = runCase(c);
    expect(y.shape).toEqual(c.outputs[0].shape);
    const err = Math.max(...y.data.map((v, i) => Math.abs(v - c.outputs[0].data[i])));
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  it('by hand: one sample at the centre of a 2×2 map [[1, 2], [3, 4]]: avg interpolates 2.5; max (ONNX) takes the largest weighted corner 0.25·4 = 1', () => {
    const x: [number[], number[]] = [[1, 1, 2, 2], [1, 2, 3, 4]];
    const rois: [number[], number[]] = [[1, 4], [0.5, 0.5, 1.5, 1.5]];
    const idx: [number[], number[]] = [[1], [0]];
    expect(run('roiAlign', [x, rois, idx], { samplingRatio: 1 })[0].data).toEqual([2.5]);
    expect(run('roiAlign', [x, rois, idx], { samplingRatio: 1, mode: 'max' })[0].data).toEqual([1]);
  });

  it('a batch index that names no image of x is INVALID_TENSOR (a 400), not a read past the end', () => {
    const e = errorOf(() => run('roiAlign', [[[1, 1, 2, 2], [1, 2, 3, 4]], [[1, 4], [0, 0, 1, 1]], [[1], [3]]]));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toMatch(/batchIndices\[0\] = 3 is not an image of x \[1, 1, 2, 2\]/);
  });

  it('output [K, C, oh, ow]; FLOPs 8 per sample (7 interpolation + 1 pooling) + 1 divide per output; adaptive sampling at the ⌈H/oh⌉·⌈W/ow⌉ bound; global field', () => {
    const fixed = inferOf(roiAlign, [[1, 16, 14, 14], [5, 4], [5]], { outputHeight: 7, outputWidth: 7, samplingRatio: 2 });
    expect(fixed.outputs).toEqual([[5, 16, 7, 7]]);
    expect(fixed.cost.elementwise).toBe(5 * 16 * 49 * (4 * 8 + 1));
    const adaptive = inferOf(roiAlign, [[1, 16, 14, 14], [5, 4], [5]], { outputHeight: 7, outputWidth: 7 });
    expect(adaptive.cost.elementwise).toBe(5 * 16 * 49 * (4 * 8 + 1));
    const r = analyze({
      name: 'roi',
      inputs: [{ name: 'x', shape: [1, 4, 8, 8] }, { name: 'rois', shape: [3, 4] }, { name: 'idx', shape: [3] }],
      layers: [{ name: 'pool', op: 'roiAlign', inputs: ['x', 'rois', 'idx'], outputHeight: 2, outputWidth: 2 }],
    });
    expect(layer(r, 'pool').receptiveField).toMatchObject({ global: true });
  });
});
