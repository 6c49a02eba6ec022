/**
 * einsum (costs equal to matmul's for attention, implicit outputs, errors), topK (k constant,
 * folded, or data-dependent with DATA_DEPENDENT_SHAPE), the block rearrangements' receptive fields
 * and gridSample's data-dependent field.
 */
import { describe, expect, it } from 'vitest';
import { einsum } from '../../src/ops/einsum.js';
import { topK } from '../../src/ops/topk.js';
import { matmul } from '../../src/ops/linear.js';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { DEFAULTS, analyze, errorOf, layer, net } from '../helpers.js';
import { inferOf, iota, ints, run } from './op-helpers.js';
import { layerWork } from '../../src/runtime/checks.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';

describe('einsum', () => {
  it('attention scores bhqd,bhkd->bhqk over [1,12,197,64]: MACs 12·197·197·64, as matmul of q by kᵀ counts them', () => {
    const e = inferOf(einsum, [[1, 12, 197, 64], [1, 12, 197, 64]], { equation: 'bhqd,bhkd->bhqk' });
    const m = inferOf(matmul, [[1, 12, 197, 64], [1, 12, 64, 197]]);
    expect(e.outputs).toEqual([[1, 12, 197, 197]]);
    expect(e.cost.macs).toBe(12 * 197 * 197 * 64);
    expect(e.cost).toEqual(m.cost);
  });

  it('implicit output: "ij,jk" is ik (letters used once, alphabetical); "ba" is ab, a transpose with no FLOPs', () => {
    expect(inferOf(einsum, [[2, 3], [3, 4]], { equation: 'ij,jk' }).outputs).toEqual([[2, 4]]);
    const t = inferOf(einsum, [[2, 3]], { equation: 'ba' });
    expect(t.outputs).toEqual([[3, 2]]);
    expect(t.cost).toMatchObject({ macs: 0, elementwise: 0 });
    expect(run('einsum', [[[2, 3], iota(6)]], { equation: 'ba' })[0].data).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('no summed label (outer product i,j->ij of 3 and 4) is 12 element-wise products, not MACs; a sum ij->i is numel(x) − numel(y) additions', () => {
    expect(inferOf(einsum, [[3], [4]], { equation: 'i,j->ij' }).cost).toMatchObject({ macs: 0, elementwise: 12 });
    expect(inferOf(einsum, [[3, 4]], { equation: 'ij->i' }).cost).toMatchObject({ macs: 0, elementwise: 9 });
  });

  it('hand-worked: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]; trace "ii" of it is 69', () => {
    expect(run('einsum', [[[2, 2], [1, 2, 3, 4]], [[2, 2], [5, 6, 7, 8]]], { equation: 'ij,jk->ik' })[0].data).toEqual([19, 22, 43, 50]);
    expect(run('einsum', [[[2, 2], [19, 22, 43, 50]]], { equation: 'ii' })).toEqual([{ shape: [], data: [69] }]);
  });

  it('a label summed in one operand only (k in ijk,jl->il) takes the general loop: (1+2)·1 + (3+4)·10 = 73; the GEMM path agrees with it on ij,jk', () => {
    expect(run('einsum', [[[1, 2, 2], [1, 2, 3, 4]], [[2, 1], [1, 10]]], { equation: 'ijk,jl->il' })).toEqual([{ shape: [1, 1], data: [73] }]);
    const a: [number[], number[]] = [[3, 4], iota(12)];
    const b: [number[], number[]] = [[4, 2], iota(8)];
    // the general loop, through a three-operand form with a ones vector: same sums
    const ones: [number[], number[]] = [[2], [1, 1]];
    const viaLoop = run('einsum', [a, b, ones], { equation: 'ij,jk,k->ik' })[0].data;
    expect(run('einsum', [a, b], { equation: 'ij,jk->ik' })[0].data).toEqual(viaLoop);
  });

  it.each([
    ['ij,jk->ik', [[2, 3], [4, 5]], "'j' is 3"],
    ['ij->ik', [[2, 3]], "'k' is in no operand"],
    ['ij,jk', [[2, 3]], '2 operand terms for 1 inputs'],
    ['i2->i', [[2, 3]], 'not a letter'],
    ['ijk->i', [[2, 3]], 'names 3 axes'],
  ])('"%s" on %j is INVALID_ATTRIBUTE: %s', (equation, shapes, text) => {
    const e = errorOf(() => inferOf(einsum, shapes as number[][], { equation }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain(text);
  });

  it('receptive field: summing the channels of a 3×3 conv output keeps its 3×3 field; summing W makes it global', () => {
    const conv = { op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };
    const c = layer(analyze(net([1, 1, 6, 6], conv, { op: 'einsum', equation: 'nchw->nhw' })), 'l1');
    expect(c.outputShape).toEqual([1, 6, 6]);
    expect(c.receptiveField).toMatchObject({ global: false, size: [3, 3] });
    expect(layer(analyze(net([1, 1, 6, 6], conv, { op: 'einsum', equation: 'nchw->nch' })), 'l1').receptiveField).toMatchObject({ global: true });
  });
});

describe('topK', () => {
  it('k from the constant input: [2,5] k=2 → two outputs [2,2]; ⌈log₂ 3⌉ = 2 comparisons per element', () => {
    const r = inferOf(topK, [[2, 5], [1]], {}, [null, ints(2)]);
    expect(r.outputs).toEqual([[2, 2], [2, 2]]);
    expect(r.cost.elementwise).toBe(20);
    expect(r.plan.dataDependent).toBe(false);
    expect(run('topK', [[[5], [3, 1, 4, 1, 5]], [[1], [3]]])).toEqual([
      { shape: [3], data: [5, 4, 3] },
      { shape: [3], data: [4, 2, 0] },
    ]);
  });

  it('ties keep the lower index first (ONNX); smallest orders ascending', () => {
    expect(run('topK', [[[4], [2, 7, 2, 7]]], { k: 3 })[1].data).toEqual([1, 3, 0]);
    expect(run('topK', [[[4], [2, 7, 2, 7]]], { k: 3, largest: false })[1].data).toEqual([0, 2, 1]);
  });

  it('k larger than the axis is INVALID_ATTRIBUTE naming the shape', () => {
    const e = errorOf(() => inferOf(topK, [[2, 5]], { k: 6 }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('[2, 5]');
  });

  const topkModel = (kNodes: Parameters<typeof onnxModel>[0]['nodes'], inits: Parameters<typeof onnxModel>[0]['initializers'] = []) =>
    analyzeGraph(
      importOnnx(
        onnxModel({
          inputs: [{ name: 'scores', shape: [1, 100] }],
          outputs: ['vals'],
          initializers: inits,
          nodes: [...kNodes, { name: 'topk', op: 'TopK', inputs: ['scores', 'k'], outputs: ['vals', 'idx'], attrs: { axis: { i: 1 } } }],
          opset: 13,
        }),
      ).graph,
      DEFAULTS,
    );

  it('a detection head’s k = Min(Shape(scores)[1], 50) folds: outputs [1, 50], no warning', () => {
    const r = topkModel(
      [
        { op: 'Shape', inputs: ['scores'], outputs: ['s'] },
        { op: 'Slice', inputs: ['s', 'one', 'two'], outputs: ['n'] },
        { op: 'Min', inputs: ['n', 'fifty'], outputs: ['k'] },
      ],
      [
        { name: 'one', dims: [1], data: [1], type: 'int64' },
        { name: 'two', dims: [1], data: [2], type: 'int64' },
        { name: 'fifty', dims: [1], data: [50], type: 'int64' },
      ],
    );
    expect(layer(r, 'topk').outputShapes).toEqual([
      [1, 50],
      [1, 50],
    ]);
    expect(r.warnings.map((w) => w.code)).not.toContain('DATA_DEPENDENT_SHAPE');
  });

  it('a k computed from tensor values (ArgMax of the scores) is analysed at the bound 100 with a DATA_DEPENDENT_SHAPE warning; the report is complete', () => {
    const r = topkModel([
      { op: 'ArgMax', inputs: ['scores'], outputs: ['am'], attrs: { axis: { i: 1 }, keepdims: { i: 0 } } },
      { op: 'Cast', inputs: ['am'], outputs: ['k'], attrs: { to: { i: 7 } } },
    ]);
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'topk').outputShape).toEqual([1, 100]);
    const w = r.warnings.find((x) => x.code === 'DATA_DEPENDENT_SHAPE');
    expect(w).toMatchObject({ layer: 'topk' });
    expect(w!.message).toContain('upper bound 100');
  });
});

describe('block rearrangements and gridSample: receptive fields', () => {
  const conv3 = { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 };

  it('spaceToDepth 2 after a 3×3 conv: a 2-wide window of stride 2 over its units, r = 3 + 1 = 4, stride 2', () => {
    const l = layer(analyze(net([1, 1, 8, 8], conv3, { op: 'spaceToDepth', blockSize: 2 })), 'l1');
    expect(l.outputShape).toEqual([1, 16, 4, 4]);
    expect(l.receptiveField).toMatchObject({ size: [4, 4], stride: [2, 2] });
    expect(layer(analyze(net([1, 1, 8, 8], conv3, { op: 'pixelUnshuffle', downscaleFactor: 2 })), 'l1').receptiveField).toMatchObject({ size: [4, 4], stride: [2, 2] });
  });

  it('pixelShuffle 2 after a stride-2 conv 3×3 p1: the stride halves back to 1; units 2k and 2k + 1 both read conv unit k (rows 2k − 1 … 2k + 1), so the size grows by 1 to 4, padding 2', () => {
    const down = { op: 'conv2d', outChannels: 4, kernelSize: 3, stride: 2, padding: 1 };
    const conv = layer(analyze(net([1, 1, 8, 8], down)), 'l0').receptiveField;
    const l = layer(analyze(net([1, 1, 8, 8], down, { op: 'pixelShuffle', upscaleFactor: 2 })), 'l1');
    expect(l.outputShape).toEqual([1, 1, 8, 8]);
    expect(conv).toMatchObject({ size: [3, 3], stride: [2, 2], padding: [1, 1] });
    expect(l.receptiveField).toMatchObject({ size: [4, 4], stride: [1, 1], padding: [2, 2] });
  });

  it('depthToSpace of channels not a multiple of b² is INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => analyze(net([1, 6, 2, 2], { op: 'depthToSpace', blockSize: 2 }))).code).toBe('INVALID_ATTRIBUTE');
  });

  it('gridSample: the field is global over the input, with a DATA_DEPENDENT_RECEPTIVE_FIELD warning; bilinear costs 7 per output element', () => {
    const r = analyze({
      inputs: [
        { name: 'x', shape: [1, 2, 8, 8] },
        { name: 'grid', shape: [1, 4, 4, 2] },
      ],
      layers: [{ name: 'gs', op: 'gridSample', inputs: ['x', 'grid'] }],
    });
    expect(layer(r, 'gs')).toMatchObject({ outputShape: [1, 2, 4, 4], flops: 7 * 32 });
    expect(layer(r, 'gs').receptiveField).toMatchObject({ global: true });
    expect(r.warnings.map((w) => w.code)).toContain('DATA_DEPENDENT_RECEPTIVE_FIELD');
  });
});

// found by the differential run against PyTorch: a tap inside the map with weight 0 was skipped
describe('gridSample reads every tap inside the map, as PyTorch: 0·NaN and 0·∞ are NaN', () => {
  // grid points (−1, −1), (1, 1), (−1, 1), (0, 0) with alignCorners: pixels (0, 0), (1, 1), (0, 1) exactly, and the centre
  const grid: [number[], number[]] = [[1, 1, 4, 2], [-1, -1, 1, 1, -1, 1, 0, 0]];

  it('gridSample bilinear zeros alignCorners x=[1, 1, 2, 2] = [1, NaN, 3, 4]: F.grid_sample gives [NaN, 4, 3, NaN] (convlens gave 1 at (0, 0))', () => {
    const y = run('gridSample', [[[1, 1, 2, 2], [1, NaN, 3, 4]], grid], { alignCorners: true })[0];
    expect(y.shape).toEqual([1, 1, 1, 4]);
    expect(y.data).toEqual([NaN, 4, 3, NaN]);
  });

  it('gridSample bilinear zeros alignCorners x=[1, 1, 2, 2] = [1, ∞, 3, 4]: F.grid_sample gives [NaN, 4, 3, ∞]', () => {
    expect(run('gridSample', [[[1, 1, 2, 2], [1, Infinity, 3, 4]], grid], { alignCorners: true })[0].data).toEqual([NaN, 4, 3, Infinity]);
  });
});

// found by a hunt: a 215-byte 'ab,cd->' over a [3000, 100] tile was 9·10^10 units as MACs, under MAX_RUN_WORK, and ran for the whole task timeout
describe('einsum work: the general loop counted at 100 units per operand and label combination, the GEMM path at its MACs and 64,000 a batch', () => {
  const workOf = (shapes: number[][], equation: string) => {
    const spec = { inputs: shapes.map((shape, i) => ({ name: `x${i}`, shape })), layers: [{ name: 'e', op: 'einsum', equation, inputs: shapes.map((_, i) => `x${i}`) }] };
    const { graph } = loadGraph({ kind: 'spec', spec });
    return layerWork(inferGraph(graph).analysed.find((a) => a.layer.name === 'e')!);
  };

  it.each([
    ["'ab,cd->' over [10, 10] twice: 10^4 combinations · 2 operands · 100, + 1 written", [[10, 10], [10, 10]], 'ab,cd->', 2_000_001],
    ["'ii->i' (a diagonal, one operand): 4 combinations · 100, + 4 written", [[4, 4]], 'ii->i', 404],
    ["'ij,jk,kl->il' over [2, 3], [3, 4], [4, 5]: 120 combinations · 3 · 100, + 10 written", [[2, 3], [3, 4], [4, 5]], 'ij,jk,kl->il', 36_010],
    ["'ij,jk->ik' over [2, 3] and [3, 4] (a 24-MAC block, under the GEMM's 256: the loop): 24 combinations · 2 · 100, + 8 written", [[2, 3], [3, 4]], 'ij,jk->ik', 4_808],
    ["'ij,jk->ik' over [16, 16] twice (the GEMM, one batch): 4,096 MACs + 64,000 + 256 written", [[16, 16], [16, 16]], 'ij,jk->ik', 68_352],
    ["'bhqd,bhkd->bhqk' over [1, 2, 16, 8] twice (the GEMM, 2 batches of 16·16·8 MACs): 4,096 MACs + 2 · 64,000 + 512 written", [[1, 2, 16, 8], [1, 2, 16, 8]], 'bhqd,bhkd->bhqk', 132_608],
    ["'ij,ij->ij' over [1000, 1000] (a million 1×1×1 blocks: the loop): 10^6 · 2 · 100, + 10^6 written", [[1000, 1000], [1000, 1000]], 'ij,ij->ij', 201_000_000],
  ])('%s = %i', (_, shapes, equation, work) => {
    expect(workOf(shapes, equation)).toBe(work);
  });
});

// found by a hunt against PyTorch: nn.PixelShuffle takes (*, C·r², H, W); rank ≠ 4 was RANK_MISMATCH
describe('pixelShuffle and pixelUnshuffle over torch\'s (*, C, H, W)', () => {
  it('pixelShuffle 2 of torch.arange(8).view(8, 1, 1) (no batch axis) is [2, 2, 2] [[[0, 1], [2, 3]], [[4, 5], [6, 7]]], as torch 1.13 gives; pixelUnshuffle 2 gives it back', () => {
    const [y] = run('pixelShuffle', [[[8, 1, 1], iota(8)]], { upscaleFactor: 2 });
    expect(y).toEqual({ shape: [2, 2, 2], data: [0, 1, 2, 3, 4, 5, 6, 7] });
    // (a DCR order would interleave the channels: [[[0, 2], [4, 6]], [[1, 3], [5, 7]]])
    expect(run('depthToSpace', [[[1, 8, 1, 1], iota(8)]], { blockSize: 2 })[0].data).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect(run('pixelUnshuffle', [[[2, 2, 2], iota(8)]], { downscaleFactor: 2 })[0]).toEqual({ shape: [8, 1, 1], data: iota(8) });
  });

  it('a [2, 3, 8, 2, 2] tensor (two batch axes) shuffles as the [6, 8, 2, 2] one it flattens to: [2, 3, 2, 4, 4], the same values', () => {
    const data = iota(2 * 3 * 8 * 2 * 2);
    const [five] = run('pixelShuffle', [[[2, 3, 8, 2, 2], data]], { upscaleFactor: 2 });
    const [four] = run('pixelShuffle', [[[6, 8, 2, 2], data]], { upscaleFactor: 2 });
    expect(five.shape).toEqual([2, 3, 2, 4, 4]);
    expect(five.data).toEqual(four.data);
    expect(run('pixelUnshuffle', [[[2, 3, 2, 4, 4], five.data]], { downscaleFactor: 2 })[0]).toEqual({ shape: [2, 3, 8, 2, 2], data });
  });

  it('rank 2 is RANK_MISMATCH (at least (C, H, W)); ONNX\'s depthToSpace stays [N, C, H, W] only', () => {
    expect(errorOf(() => run('pixelShuffle', [[[4, 1], [1, 2, 3, 4]]], { upscaleFactor: 2 }))).toMatchObject({ code: 'RANK_MISMATCH' });
    expect(errorOf(() => run('depthToSpace', [[[4, 1, 1], [1, 2, 3, 4]]], { blockSize: 2 }))).toMatchObject({ code: 'RANK_MISMATCH' });
  });
});
