/**
 * A run's work (Inferred.runWork, ops/common.ts runWork) of kernels far slower per operation than
 * the GEMM whose loops import-time folding shares (rates measured by bench/op-rates.ts, cited in
 * each op's file), each against its formula worked by hand on a small layer; the folding budget's
 * figure (kernelWork) stays the cost's count:
 *   gatherElements   1500 · outputs                 scatterElements 600 · updates
 *   gatherND         200 · index rows + 45 · outputs trilu 350 · elements    tile 300 · outputs
 *   where            250 · outputs                  pow 500 · outputs
 *   tanh             150 · elements                 mish 600 · elements
 *   elu              170 · elements                 softplus 400 · elements
 *   sqrt 210, exp 110, sin and cos 230, log 260 · elements; mod 275 · outputs
 *   layerNorm        180 · elements                 roiAlign 12 · its cost's FLOPs
 * and runtime/checks.ts layerWork adds the elements written (outputs and weights).
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { kernelWork, runWork } from '../../src/ops/common.js';
import { layerWork } from '../../src/runtime/checks.js';

/** Layer 'l', the only layer, on inputs of these shapes (x, then in1, in2 … as its inputs): its run's work, its folding work and its layer work. */
function works(shapes: number[][], layer: Record<string, unknown>) {
  const inputs = shapes.map((shape, i) => ({ name: i === 0 ? 'x' : `in${i}`, shape }));
  const spec = { inputs, layers: [{ name: 'l', ...(shapes.length > 1 ? { inputs: inputs.map((i) => i.name) } : {}), ...layer }] };
  const a = inferGraph(parseNetworkSpec(spec)).analysed[0];
  return { run: runWork(a.inferred!), fold: kernelWork(a.inferred!), layer: layerWork(a), vjp: a.inferred!.vjpWork };
}

describe('indexing loops', () => {
  it('gatherElements dim 1 of [2, 3] at [2, 2] indices: 1500·4 = 6000, + 4 written = 6004 (a fold: its cost, 0)', () => {
    expect(works([[2, 3], [2, 2]], { op: 'gatherElements', dim: 1 })).toEqual({ run: 6000, fold: 0, layer: 6004 });
  });

  it('scatterElements add dim 0 of [3, 4] with [2, 4] updates: 600·8 = 4800, + 12 written = 4812 (a fold: 8 additions)', () => {
    expect(works([[3, 4], [2, 4], [2, 4]], { op: 'scatterElements', dim: 0, reduction: 'add' })).toEqual({ run: 4800, fold: 8, layer: 4812 });
  });

  it('gatherND of [4, 5] at [3, 1] indices: 3 rows of 5, 200·3 + 45·15 = 1275, + 15 written = 1290', () => {
    expect(works([[4, 5], [3, 1]], { op: 'gatherND' })).toEqual({ run: 1275, fold: 0, layer: 1290 });
  });

  it('trilu of [2, 3, 3]: 350·18 = 6300, + 18 = 6318; tile of [1, 2] by [2, 3] ([2, 6]): 300·12 = 3600, + 12 = 3612', () => {
    expect(works([[2, 3, 3]], { op: 'trilu' })).toEqual({ run: 6300, fold: 0, layer: 6318 });
    expect(works([[1, 2]], { op: 'tile', repeats: [2, 3] })).toEqual({ run: 3600, fold: 0, layer: 3612 });
  });
});

describe('element-wise loops', () => {
  it('where of [2, 1], [1, 3] and [2, 3] ([2, 3]): 250·6 = 1500, + 6 = 1506 (a fold: 6 FLOPs)', () => {
    expect(works([[2, 1], [1, 3], [2, 3]], { op: 'where' })).toEqual({ run: 1500, fold: 6, layer: 1506 });
  });

  it('pow of [2, 3] by [1]: 500·6 = 3000, + 6 = 3006 (a fold, as weight standardisation\'s: 6 FLOPs)', () => {
    expect(works([[2, 3], [1]], { op: 'pow' })).toEqual({ run: 3000, fold: 6, layer: 3006 });
  });

  it('tanh of [2, 5]: 150·10 = 1500, + 10 = 1510; mish: 600·10 = 6000, + 10 = 6010 (a fold: 10 and 50 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'tanh' })).toEqual({ run: 1500, fold: 10, layer: 1510 });
    expect(works([[2, 5]], { op: 'mish' })).toEqual({ run: 6000, fold: 50, layer: 6010 });
  });

  it('elu of [2, 5]: 170·10 = 1700, + 10 = 1710; softplus: 400·10 = 4000, + 10 = 4010 (a fold: 40 and 50 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'elu' })).toEqual({ run: 1700, fold: 40, layer: 1710 });
    expect(works([[2, 5]], { op: 'softplus' })).toEqual({ run: 4000, fold: 50, layer: 4010 });
  });

  it('of [2, 5]: sqrt 210·10 = 2100, exp 1100, sin and cos 2300, log 2600, each + 10 written (a fold: 10 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'sqrt' })).toEqual({ run: 2100, fold: 10, layer: 2110 });
    expect(works([[2, 5]], { op: 'exp' })).toEqual({ run: 1100, fold: 10, layer: 1110 });
    expect(works([[2, 5]], { op: 'sin' })).toEqual({ run: 2300, fold: 10, layer: 2310 });
    expect(works([[2, 5]], { op: 'cos' })).toEqual({ run: 2300, fold: 10, layer: 2310 });
    expect(works([[2, 5]], { op: 'log' })).toEqual({ run: 2600, fold: 10, layer: 2610 });
  });

  it('mod (fmod) of [2, 3] by [3]: 275·6 = 1650, + 6 = 1656 (a fold: 6 FLOPs)', () => {
    expect(works([[2, 3], [3]], { op: 'mod', fmod: true })).toEqual({ run: 1650, fold: 6, layer: 1656 });
  });

  it('add states no rate: its cost; relu 15 an element (RELU_RATE): 150, + 10 written (a fold: its 10 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'relu' })).toEqual({ run: 150, fold: 10, layer: 160 });
    expect(works([[2, 5], [2, 5]], { op: 'add' })).toEqual({ run: 10, fold: 10, layer: 20 });
  });
});

describe('normalisation and pooling of boxes', () => {
  it('layerNorm over [4] of [2, 3, 4] with weight and bias: 180·24 = 4320, + 24 written + 4 + 4 weights = 4352', () => {
    expect(works([[2, 3, 4]], { op: 'layerNorm', normalizedShape: [4] })).toMatchObject({ run: 4320, layer: 4352 });
  });

  it('roiAlign 2×2 sampling 2 of one ROI on [1, 2, 8, 8] (avg): 4 bins · (4 samples · (8·2 + 20) + 1·2) = 584 FLOPs · 12 = 7008, + 8 written = 7016', () => {
    expect(works([[1, 2, 8, 8], [1, 4], [1]], { op: 'roiAlign', outputHeight: 2, outputWidth: 2, samplingRatio: 2 })).toEqual({ run: 7008, fold: 584, layer: 7016 });
  });
});

/**
 * The second pass's rates (each op's file cites its bench/op-rates.ts figures and, where a single
 * cold run of a large tensor was far slower than the warmed bench, that run's):
 *   sigmoid, swish 60 · elements    gelu 200 (exact and tanh)    erf 50    prelu 30 · elements
 *   softmax 70, logSoftmax 140 · elements    transpose 50 · elements    cumSum 500 · elements
 *   nonZero 500 · output coordinates (rank · the non-zero count, or its bound, every element)
 *   scatterND 400 · index rows + 10 · update elements
 */
describe('activations, softmax, movement and indexing loops of the second pass', () => {
  it('of [2, 5]: sigmoid 60·10 = 600, swish 600, erf 500, gelu 2000 (exact or tanh), each + 10 written (a fold: 40, 50, 10, 50 and 90 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'sigmoid' })).toEqual({ run: 600, fold: 40, layer: 610 });
    expect(works([[2, 5]], { op: 'swish' })).toEqual({ run: 600, fold: 50, layer: 610 });
    expect(works([[2, 5]], { op: 'erf' })).toEqual({ run: 500, fold: 10, layer: 510 });
    expect(works([[2, 5]], { op: 'gelu' })).toEqual({ run: 2000, fold: 50, layer: 2010 });
    expect(works([[2, 5]], { op: 'gelu', approximate: 'tanh' })).toEqual({ run: 2000, fold: 90, layer: 2010 });
  });

  it('prelu of [1, 2, 5] with one slope: 30·10 = 300, + 10 written + 1 weight = 311 (a fold: 20 FLOPs)', () => {
    expect(works([[1, 2, 5]], { op: 'prelu' })).toEqual({ run: 300, fold: 20, layer: 311 });
  });

  it('softmax of [2, 5]: 70·10 = 700, + 10 = 710; logSoftmax 1400, + 10 = 1410 (a fold: 50 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'softmax', dim: -1 })).toEqual({ run: 700, fold: 50, layer: 710 });
    expect(works([[2, 5]], { op: 'logSoftmax', dim: -1 })).toEqual({ run: 1400, fold: 50, layer: 1410 });
  });

  it('transpose of [2, 3, 4]: 50·24 = 1200, + 24 = 1224; cumSum of [2, 5] along dim 1: 500·10 = 5000, + 10 = 5010 (a fold: 0 and 10)', () => {
    expect(works([[2, 3, 4]], { op: 'transpose', perm: [2, 0, 1] })).toEqual({ run: 1200, fold: 0, layer: 1224 });
    expect(works([[2, 5]], { op: 'cumSum', dim: 1 })).toEqual({ run: 5000, fold: 10, layer: 5010 });
  });

  it('nonZero of [2, 3] (values unknown: bounded at [2, 6]): 500·12 = 6000, + 12 written = 6012 (a fold: 6)', () => {
    expect(works([[2, 3]], { op: 'nonZero' })).toEqual({ run: 6000, fold: 6, layer: 6012 });
  });

  it('scatterND add of [3, 5] updates at [3, 1] indices into [4, 5]: 400·3 + 10·15 = 1350, + 20 written = 1370 (a fold: 15 additions)', () => {
    expect(works([[4, 5], [3, 1], [3, 5]], { op: 'scatterND', reduction: 'add' })).toEqual({ run: 1350, fold: 15, layer: 1370 });
  });
});

/**
 * The third pass's rates (each op's file cites its bench/op-rates.ts figures):
 *   relu 15, relu6 and clip 20 (RELU_RATE, CLAMP_RATE), hardSwish 40, hardSigmoid 60,
 *   softsign 100 · elements (leakyRelu and hardTanh, 100 here, in the fifth pass)
 *   pad (every mode) 1200 · output rows (of its last axis) + 5 · output elements (PAD_ROW, PAD_ELEMENT)
 *   argMax, argMin 100 · input elements (ARG_ELEMENT)
 */
describe('activations, pad and argMax of the third pass', () => {
  it('of [2, 5]: relu 15·10 = 150, relu6 and clip 200, hardSwish 400, hardSigmoid 600, softsign 1000, each + 10 written', () => {
    expect(works([[2, 5]], { op: 'relu6' })).toEqual({ run: 200, fold: 20, layer: 210 });
    expect(works([[2, 5]], { op: 'clip', min: 0, max: 1 })).toEqual({ run: 200, fold: 20, layer: 210 });
    expect(works([[2, 5]], { op: 'hardSwish' })).toEqual({ run: 400, fold: 50, layer: 410 });
    expect(works([[2, 5]], { op: 'hardSigmoid' })).toEqual({ run: 600, fold: 40, layer: 610 });
    expect(works([[2, 5]], { op: 'softsign' })).toMatchObject({ run: 1000, layer: 1010 });
  });

  it('pad of [2, 3, 4] by 1 around the last two axes to [2, 5, 6]: 10 rows · 1200 + 60 · 5 = 12,300, + 60 written; reflect, edge, wrap the same (a fold: 0)', () => {
    for (const mode of ['constant', 'reflect', 'edge', 'wrap']) {
      expect(works([[2, 3, 4]], { op: 'pad', pads: [0, 1, 1, 0, 1, 1], mode })).toEqual({ run: 12_300, fold: 0, layer: 12_360 });
    }
  });

  it('pad of [5] to [7] (one row): 1200 + 7 · 5 = 1235, + 7 written', () => {
    expect(works([[5]], { op: 'pad', pads: [1, 1], mode: 'reflect' })).toEqual({ run: 1235, fold: 0, layer: 1242 });
  });

  it('argMax along dim 1 of [2, 5]: 100 · 10 = 1000, + 2 written (a fold: 8 comparisons); argMin of the flattened [2, 5]: 1000, + 1', () => {
    expect(works([[2, 5]], { op: 'argMax', dim: 1 })).toEqual({ run: 1000, fold: 8, layer: 1002 });
    expect(works([[2, 5]], { op: 'argMin' })).toEqual({ run: 1000, fold: 9, layer: 1001 });
  });
});

/**
 * The fourth pass's rates (each op's file cites its bench/op-rates.ts figures):
 *   matmul           (replaced in the fifth pass, below)
 *   reduceSum, reduceMax, reduceMin, reduceMean, reduceL2 7 · input elements (REDUCE_ELEMENT);
 *   reduceProd 10 (REDUCE_PROD_ELEMENT); globalAvgPool2d 5 · input elements (GLOBAL_POOL_ELEMENT)
 *   slice            runs of ≥ 16 floats copied whole: 300 · runs (SLICE_RUN); shorter: 80 · rows of
 *                    the output's last axis + 12 · elements (SLICE_ROW, SLICE_ELEMENT)
 *   gather           200 · rows copied (rows before the axis · indices) + 3 · outputs (GATHER_ROW, GATHER_ELEMENT)
 *   pixelShuffle, depthToSpace, spaceToDepth, pixelUnshuffle 12 · elements (BLOCK_ELEMENT)
 *   add, mul, sub, div with an operand broadcast: 12 · operations (BROADCAST_OP); same shapes their cost
 *
 * The fifth pass:
 *   matmul, n < 8    12 · MACs + 500 · batches (MATMUL_FEW_MAC, MATMUL_FEW_BATCH: gemm's few-columns loop)
 *   matmul, n ≥ 8    MACs + batches · (2500 + 20 · k·n + 2 · m·n) (MATMUL_BATCH, MATMUL_PACK, MATMUL_OUT)
 *   add, mul, sub, div whose operands are the output's shape or one element: 6 · operations (SCALAR_OP)
 *   pad to an empty output: 0 (no row is copied)
 *   leakyRelu 30 · elements (LEAKY_RELU_RATE: its loop without a branch), hardTanh 20 (CLAMP_RATE: clip's SIMD loop)
 */
describe('the reductions of the fourth pass', () => {
  it('along dim 1 of [2, 5]: reduceSum and reduceMax 7·10 = 70, + 2 written (a fold: 8), reduceProd 100, reduceL2 70 (a fold: 20); reduceMean of every axis 70, + 1', () => {
    expect(works([[2, 5]], { op: 'reduceSum', axes: [1] })).toEqual({ run: 70, fold: 8, layer: 72 });
    expect(works([[2, 5]], { op: 'reduceMax', axes: [1] })).toEqual({ run: 70, fold: 8, layer: 72 });
    expect(works([[2, 5]], { op: 'reduceProd', axes: [1] })).toEqual({ run: 100, fold: 8, layer: 102 });
    expect(works([[2, 5]], { op: 'reduceL2', axes: [1] })).toEqual({ run: 70, fold: 20, layer: 72 });
    expect(works([[2, 5]], { op: 'reduceMean' })).toEqual({ run: 70, fold: 10, layer: 71 });
  });

  it('reduceSum with no axis and noopWithEmptyAxes (a copy): its cost, 0, + 10 written', () => {
    expect(works([[2, 5]], { op: 'reduceSum', axes: [], noopWithEmptyAxes: true })).toEqual({ run: 0, fold: 0, layer: 10 });
  });

  it('globalAvgPool2d of [1, 2, 3, 3]: 5·18 = 90, + 2 written (a fold: 18)', () => {
    expect(works([[1, 2, 3, 3]], { op: 'globalAvgPool2d' })).toEqual({ run: 90, fold: 18, layer: 92 });
  });
});

describe('slice, gather and block rearrangements of the fourth pass', () => {
  it('slice by step 2 of [2, 3, 8] on its last axis to [2, 3, 4]: 6 rows · 80 + 24 · 12 = 768, + 24 written; by step 1 to its first 4 the same (runs of 4)', () => {
    expect(works([[2, 3, 8]], { op: 'slice', starts: [0], ends: [8], axes: [2], steps: [2] })).toEqual({ run: 768, fold: 0, layer: 792 });
    expect(works([[2, 3, 8]], { op: 'slice', starts: [0], ends: [4], axes: [2] })).toEqual({ run: 768, fold: 0, layer: 792 });
  });

  it('slice of [2, 40] to [2, 20] (2 runs of 20, copied whole): 2 · 300 = 600, + 40 written; of [4, 2, 20] to [2, 2, 20] (one run of 80): 300', () => {
    expect(works([[2, 40]], { op: 'slice', starts: [0], ends: [20], axes: [1] })).toEqual({ run: 600, fold: 0, layer: 640 });
    expect(works([[4, 2, 20]], { op: 'slice', starts: [1], ends: [3], axes: [0] })).toEqual({ run: 300, fold: 0, layer: 380 });
  });

  it('gather of [5, 4] at 3 indices: axis 0 3 rows · 200 + 12 · 3 = 636, + 12 written; axis 1 15 rows of 1: 3000 + 45 = 3045, + 15', () => {
    expect(works([[5, 4], [3]], { op: 'gather' })).toEqual({ run: 636, fold: 0, layer: 648 });
    expect(works([[5, 4], [3]], { op: 'gather', axis: 1 })).toEqual({ run: 3045, fold: 0, layer: 3060 });
  });

  it('pixelShuffle and depthToSpace by 2 of [1, 8, 3, 3] to [1, 2, 6, 6]: 12 · 72 = 864, + 72 written; spaceToDepth back 864', () => {
    expect(works([[1, 8, 3, 3]], { op: 'pixelShuffle', upscaleFactor: 2 })).toEqual({ run: 864, fold: 0, layer: 936 });
    expect(works([[1, 8, 3, 3]], { op: 'depthToSpace', blockSize: 2 })).toEqual({ run: 864, fold: 0, layer: 936 });
    expect(works([[1, 2, 6, 6]], { op: 'spaceToDepth', blockSize: 2 })).toEqual({ run: 864, fold: 0, layer: 936 });
  });
});

describe('broadcast arithmetic of the fourth pass', () => {
  it('add of [2, 3, 4] and [3, 1]: 24 operations · 12 = 288, + 24 written (a fold: 24); mul and sub the same; three operands, one broadcast: 576; same shapes: 24', () => {
    expect(works([[2, 3, 4], [3, 1]], { op: 'add' })).toEqual({ run: 288, fold: 24, layer: 312 });
    expect(works([[2, 3, 4], [3, 1]], { op: 'mul' })).toEqual({ run: 288, fold: 24, layer: 312 });
    expect(works([[3, 1], [2, 3, 4]], { op: 'sub' })).toEqual({ run: 288, fold: 24, layer: 312 });
    expect(works([[2, 3, 4], [2, 3, 4], [4]], { op: 'add' })).toEqual({ run: 576, fold: 48, layer: 600 });
    expect(works([[2, 3, 4], [2, 3, 4]], { op: 'add' })).toEqual({ run: 24, fold: 24, layer: 48 });
  });
});

describe('matmul, scalar arithmetic, empty pads and the clamps of the fifth pass', () => {
  it('matmul of [3, 2, 4] by [4, 5] (5 columns: the few-columns loop): 12 · 120 MACs + 500 · 3 = 2940, + 30 written (a fold: its 120 MACs); [2, 4] by [4]: 12 · 8 + 500 = 596, + 2', () => {
    expect(works([[3, 2, 4], [4, 5]], { op: 'matmul' })).toEqual({ run: 2940, fold: 120, layer: 2970 });
    expect(works([[2, 4], [4]], { op: 'matmul' })).toEqual({ run: 596, fold: 8, layer: 598 });
  });

  it('matmul of [2, 3, 4] by [4, 8] (packed): 192 MACs + 2 · (2500 + 20 · 32 + 2 · 24) = 6568, + 48 written; [1, 4] by [4, 64]: 256 + 2500 + 5120 + 128 = 8004, + 64', () => {
    expect(works([[2, 3, 4], [4, 8]], { op: 'matmul' })).toEqual({ run: 6568, fold: 192, layer: 6616 });
    expect(works([[1, 4], [4, 64]], { op: 'matmul' })).toEqual({ run: 8004, fold: 256, layer: 8068 });
  });

  it('add of [2, 3, 4] and [1]: 24 operations · 6 = 144, + 24 written (a fold: 24); mul by [1, 1, 1], div by [1, 1, 1, 1] the same; [1] − [2, 3, 4] too; with [1] and [2, 3, 4] more: 288; with [4] more: 12 · 48 = 576', () => {
    expect(works([[2, 3, 4], [1]], { op: 'add' })).toEqual({ run: 144, fold: 24, layer: 168 });
    expect(works([[2, 3, 4], [1, 1, 1]], { op: 'mul' })).toEqual({ run: 144, fold: 24, layer: 168 });
    expect(works([[2, 3, 4], [1, 1, 1, 1]], { op: 'div' })).toEqual({ run: 144, fold: 24, layer: 168 });
    expect(works([[1], [2, 3, 4]], { op: 'sub' })).toEqual({ run: 144, fold: 24, layer: 168 });
    expect(works([[2, 3, 4], [1], [2, 3, 4]], { op: 'add' })).toEqual({ run: 288, fold: 48, layer: 312 });
    expect(works([[2, 3, 4], [1], [4]], { op: 'add' })).toEqual({ run: 576, fold: 48, layer: 600 });
    expect(works([[1], [1]], { op: 'add' })).toEqual({ run: 1, fold: 1, layer: 2 });
  });

  it('pad of [5] cropped to nothing ([0, −5] constant, [−5, 0] wrap): 0 (was one row, 1200); by [1, 1] still 1200 + 5 · 7', () => {
    expect(works([[5]], { op: 'pad', pads: [0, -5] })).toEqual({ run: 0, fold: 0, layer: 0 });
    expect(works([[5]], { op: 'pad', pads: [-5, 0], mode: 'wrap' })).toEqual({ run: 0, fold: 0, layer: 0 });
    expect(works([[5]], { op: 'pad', pads: [1, 1] })).toEqual({ run: 1235, fold: 0, layer: 1242 });
  });

  it('of [2, 5]: leakyRelu 30·10 = 300, hardTanh 20·10 = 200, each + 10 written (a fold: 20 FLOPs)', () => {
    expect(works([[2, 5]], { op: 'leakyRelu' })).toEqual({ run: 300, fold: 20, layer: 310 });
    expect(works([[2, 5]], { op: 'hardTanh' })).toEqual({ run: 200, fold: 20, layer: 210 });
  });

  it('pixelUnshuffle by 2 of [1, 2, 6, 6] to [1, 8, 3, 3]: 12 · 72 = 864, + 72 written (as spaceToDepth)', () => {
    expect(works([[1, 2, 6, 6]], { op: 'pixelUnshuffle', downscaleFactor: 2 })).toEqual({ run: 864, fold: 0, layer: 936 });
  });
});

/**
 * multiscaleAttention (MViT) at its run rates (ops/multiscale-attention.ts, measured by
 * bench/op-rates.ts's multiscaleAttention cases): its GEMMs' MACs at 1, a score's softmax 60
 * (MSA_SOFTMAX_SCORE, WebAssembly SIMD; 150 with Math.exp), a MAC of a pool's depthwise Conv3d 15 (MSA_POOL_MAC), a unit of relPos
 * (a MAC of its dots, 3 a grid score) 10 (MSA_REL_POS_UNIT), its other element-wise FLOPs at 1.
 */
describe('multiscaleAttention at its run rates', () => {
  it('v2 x [1, 33, 8] grid 2×4×4, h 2, D 16 (d 8), q and kv pooled 3³ stride [1, 2, 2] (grids 2×2×2), relPos, residual pooling of the grid tokens: run 17,568 GEMM MACs + 15·10,368 pool MACs + 10·(768 dot MACs + 3·128 grid scores) + 60·162 scores + 3,296 other FLOPs = 197,624 (a fold: its cost, 28,704 MACs + 4,490 FLOPs = 33,194); its VJP 3 times the run (MSA_VJP_RATE)', () => {
    const layer = { op: 'multiscaleAttention', inputSize: [2, 4, 4], numHeads: 2, outputDim: 16, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 2, 2], strideKv: [1, 2, 2], relPos: true, residualPool: true, residualWithClsEmbed: false };
    // pools 2·8·(8·27 + 2·8·27); other FLOPs: the three LayerNorms 7·2·(9 + 2·9)·8, q's scale 9·16, the residual 2·8·8
    expect(17_568 + 15 * 10_368 + 10 * (768 + 3 * 128) + 60 * 162 + (7 * 432 + 144 + 128)).toBe(197_624);
    expect(works([[1, 33, 8]], layer)).toMatchObject({ run: 197_624, fold: 33_194, vjp: 3 * 197_624 });
  });

  it('v1 x [1, 33, 8] grid 2×4×4, h 2 (d 4), k and v pooled 3³ stride [1, 2, 2], q not: run 13,200 GEMM MACs + 15·3,456 pool MACs + 60·594 scores + 1,272 other FLOPs = 101,952 (a fold: 16,656 MACs + 4,242 FLOPs = 20,898)', () => {
    const layer = { op: 'multiscaleAttention', inputSize: [2, 4, 4], numHeads: 2, kernelKv: [3, 3, 3], strideKv: [1, 2, 2] };
    // GEMMs 33·8·24 + 33·8·8 + 2·594·4; pools 2·4·2·8·27; other FLOPs: k's and v's LayerNorms 7·2·2·9·4, q's scale 33·8
    expect(6_336 + 2_112 + 4_752).toBe(13_200);
    expect(13_200 + 15 * 3_456 + 60 * 594 + (7 * 144 + 264)).toBe(101_952);
    expect(works([[1, 33, 8]], layer)).toMatchObject({ run: 101_952, fold: 20_898, vjp: 3 * 101_952 });
  });
});
