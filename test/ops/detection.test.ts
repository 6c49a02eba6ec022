import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nonMaxSuppression, roiAlign } from '../../src/ops/detection.js';
import { analyze, errorOf, layer } from '../helpers.js';
import { inferOf, iota, run } from './op-helpers.js';
import { tensor } from '../../src/tensor/tensor.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';

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

  // found by a hunt against PyTorch: torchvision's default sampling_ratio=-1 was refused (">=0")
  it('samplingRatio −1 (torchvision\'s default) is adaptive as 0 is: a 4×4 ROI over 2 bins samples ⌈4/2⌉² = 4 per bin, the same values', () => {
    const x: [number[], number[]] = [[1, 1, 4, 4], iota(16)];
    const rois: [number[], number[]] = [[1, 4], [0, 0, 4, 4]];
    const idx: [number[], number[]] = [[1], [0]];
    const attrs = { outputHeight: 2, outputWidth: 2 };
    const adaptive = run('roiAlign', [x, rois, idx], { ...attrs, samplingRatio: 0 })[0];
    expect(run('roiAlign', [x, rois, idx], { ...attrs, samplingRatio: -1 })[0]).toEqual(adaptive);
    expect(run('roiAlign', [x, rois, idx], { ...attrs, samplingRatio: 2 })[0]).toEqual(adaptive);
  });

  it('a batch index that names no image of x is INVALID_TENSOR (a 400), not a read past the end', () => {
    const e = errorOf(() => run('roiAlign', [[[1, 1, 2, 2], [1, 2, 3, 4]], [[1, 4], [0, 0, 1, 1]], [[1], [3]]]));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toMatch(/batchIndices\[0\] = 3 is not an image of x \[1, 1, 2, 2\]/);
  });

  it('output [K, C, oh, ow]; FLOPs per sample 8 per channel (7 interpolation + 1 pooling) + 20 shared (coordinates, weights), + 1 divide per output; unknown boxes at the ⌈H/oh⌉·⌈W/ow⌉ bound; global field', () => {
    const fixed = inferOf(roiAlign, [[1, 16, 14, 14], [5, 4], [5]], { outputHeight: 7, outputWidth: 7, samplingRatio: 2 });
    expect(fixed.outputs).toEqual([[5, 16, 7, 7]]);
    // 5 ROIs × 49 bins × 4 samples, each 8·16 + 20; + 5·16·49 divides
    expect(fixed.cost.elementwise).toBe(5 * 49 * 4 * (8 * 16 + 20) + 5 * 16 * 49);
    const adaptive = inferOf(roiAlign, [[1, 16, 14, 14], [5, 4], [5]], { outputHeight: 7, outputWidth: 7 });
    expect(adaptive.cost.elementwise).toBe(5 * 49 * 4 * (8 * 16 + 20) + 5 * 16 * 49);
    const r = analyze({
      name: 'roi',
      inputs: [{ name: 'x', shape: [1, 4, 8, 8] }, { name: 'rois', shape: [3, 4] }, { name: 'idx', shape: [3] }],
      layers: [{ name: 'pool', op: 'roiAlign', inputs: ['x', 'rois', 'idx'], outputHeight: 2, outputWidth: 2 }],
    });
    expect(layer(r, 'pool').receptiveField).toMatchObject({ global: true });
  });

  // x = 1 … 16 on a 4×4 map: x[y][x] = 4y + x + 1, linear, so a bilinear sample at (y, x) inside is 4y + x + 1
  const map: [number[], number[]] = [[1, 1, 4, 4], iota(16).map((i) => i + 1)];
  const box = (...b: number[]): [number[], number[]] => [[1, 4], b];
  const image0: [number[], number[]] = [[1], [0]];

  it('a reversed box [3, 0, 0, 3] (x2 < x1), torchvision: half_pixel keeps its width −3, so the adaptive grid ⌈−3/1⌉ has no samples and the bin is 0; samplingRatio 2 walks it backwards; output_half_pixel forces width 1', () => {
    expect(run('roiAlign', [map, box(3, 0, 0, 3), image0])[0]).toEqual({ shape: [1, 1, 1, 1], data: [0] });
    // x from 2.5 by −1.5: samples at x 1.75, 0.25 and y −0.5 + 0.75, 2.25 = 0.25, 1.75: (2.25 + 3.75 + 8.25 + 9.75)/4 = 6
    expect(run('roiAlign', [map, box(3, 0, 0, 3), image0], { samplingRatio: 2 })[0].data).toEqual([6]);
    // torchvision's 2×2 bins of it, mirrored left-right: [4, 2.5625, 9.75, 8.3125]
    expect(run('roiAlign', [map, box(3, 0, 0, 3), image0], { samplingRatio: 2, outputHeight: 2, outputWidth: 2 })[0].data).toEqual([4, 2.5625, 9.75, 8.3125]);
    // width max(−3, 1) = 1 from x 3: one column (clamped to x 3), rows 0.5, 1.5, 2.5: (6 + 10 + 14)/3
    expect(run('roiAlign', [map, box(3, 0, 0, 3), image0], { coordinateTransformationMode: 'output_half_pixel' })[0].data).toEqual([10]);
    // no gradient flows from a bin without samples
    const inputs = [tensor(...map), tensor(...box(3, 0, 0, 3)), tensor(...image0)];
    const { gradInputs } = vjpOperator({ name: 'roiAlign', inputs, attributes: {}, weights: {}, training: false, seed: 0, maxElements: 1 << 16, gradOutputs: [tensor([1, 1, 1, 1], [1])] });
    expect(Array.from(gradInputs[0]!.data).every((v) => v === 0)).toBe(true);
  });

  it('a box far over the map: only the samples on it are read, the others count 0 (torchvision: 0.025), and its cost counts all 100 × 100 of the grid', () => {
    // half_pixel: samples at −0.5 + (i + 0.5) = i, i < 100; on the map y, x ∈ 0 … 4 (4 clamps to 3): Σ 4y + x + 1 = 250, over 10⁴
    const [y] = run('roiAlign', [map, box(0, 0, 100, 100), image0]);
    expect(y.data[0]).toBe(Math.fround(250 / 1e4));
    expect(inferOf(roiAlign, [[1, 1, 4, 4], [1, 4], [1]], {}, [null, { data: [0, 0, 100, 100], integer: true }]).cost.elementwise).toBe(1e4 * (8 + 20) + 1);
    // [0, 0, 10⁴, 10⁴]: 10⁸ samples, 250/10⁸, at once (the old kernel walked all of them: 27 s); costed 2.8·10⁹
    expect(run('roiAlign', [map, box(0, 0, 1e4, 1e4), image0])[0].data[0]).toBe(Math.fround(250 / 1e8));
  });

  it('199 samples on one axis (more than the first 64 the sample tables hold, so they grow): over a ramp x[h, w] = w, the mean of w = 0 … 198 is 99', () => {
    // half_pixel: x1 = −0.5, width 199, one bin, grid 199: samples at −0.5 + (j + 0.5) = j
    const ramp: [number[], number[]] = [[1, 1, 2, 200], Array.from({ length: 400 }, (_, i) => i % 200)];
    expect(run('roiAlign', [ramp, box(0, 0, 199, 1), image0], { samplingRatio: 0 })[0].data).toEqual([99]);
  });

  it('in a graph, where the boxes are unknown to the analysis (costed at the map bound), a huge box still costs the kernel only the map', () => {
    const inf = inferOf(roiAlign, [[1, 1, 4, 4], [1, 4], [1]]);
    const inputs = [tensor(...map), tensor(...box(0, 0, 1e6, 1e6)), tensor(...image0)];
    const [y] = roiAlign.run({ attrs: roiAlign.attrs.parse({}), plan: null, inputs, weights: {}, outputs: inf.outputs, training: false, seed: 0 });
    expect(y.data[0]).toBe(Math.fround(250 / 1e12));
  });

  it('a grid too large to run is refused before any kernel: WORK_TOO_LARGE for a huge box or samplingRatio, INVALID_TENSOR over torchvision\'s int grid, SPEC_INVALID naming samplingRatio over it', () => {
    // 10¹² samples per bin × 28 = 2.8·10¹³ > MAX_RUN_WORK 10¹¹
    expect(errorOf(() => run('roiAlign', [map, box(0, 0, 1e6, 1e6), image0])).code).toBe('WORK_TOO_LARGE');
    // 10¹⁰ samples × 28 = 2.8·10¹¹
    expect(errorOf(() => run('roiAlign', [map, box(0, 0, 3, 3), image0], { samplingRatio: 100000 })).code).toBe('WORK_TOO_LARGE');
    const wide = errorOf(() => run('roiAlign', [map, box(0, 0, 3e9, 0.5), image0]));
    expect(wide.code).toBe('INVALID_TENSOR');
    expect(wide.message).toMatch(/rois\[0\] = \[0, 0, 3000000000, 0.5\] needs a sampling grid of 1 rows × 3000000000 columns per bin/);
    const ratio = errorOf(() => run('roiAlign', [map, box(0, 0, 3, 3), image0], { samplingRatio: 2 ** 31 }));
    expect(ratio.code).toBe('SPEC_INVALID');
    expect(ratio.message).toMatch(/samplingRatio/);
  });
});

// found by a hunt: 118,000 boxes were under MAX_RUN_WORK as FLOPs and would have held a worker for about 165 s
describe('nonMaxSuppression work: its FLOPs at 12 units each (its pair loop 12–23 times slower per FLOP than the GEMM per MAC)', () => {
  it('100 boxes, one class: 100 compares + 100·7 sort + 3·100 areas + 13·4,950 IoUs = 65,450 FLOPs, work 12 × 65,450 + 300 written = 785,700', () => {
    const inferred = inferOf(nonMaxSuppression, [[1, 100, 4], [1, 1, 100]], { maxOutputBoxesPerClass: 100 });
    expect(inferred.cost.elementwise).toBe(65_450);
    expect(inferred.kernelWork).toBe(12 * 65_450);
  });

  it('the kernel keeps every disjoint box and suppresses the overlapping one: 4 boxes, IoU(0, 1) = 90/100 > 0.5', () => {
    const boxes = [0, 0, 10, 10, 0, 0, 10, 9, 20, 20, 30, 30, 40, 40, 50, 50];
    const [y] = run('nonMaxSuppression', [[[1, 4, 4], boxes], [[1, 1, 4], [0.9, 0.8, 0.7, 0.6]]], { maxOutputBoxesPerClass: 4, iouThreshold: 0.5 });
    expect(y).toEqual({ shape: [3, 3], data: [0, 0, 0, 0, 0, 2, 0, 0, 3] });
  });
});
