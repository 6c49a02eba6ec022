/**
 * A batch norm folded into a conv as its weight is read (runtime/fuse.ts foldGroup's scale, issue
 * 12's peak memory): a run without a team hands conv2d its weight as it is, in place, with each
 * output channel's factor k = γ/√(σ² + ε) (RunContext.weightScale), instead of a folded copy; the
 * kernel applies it as it packs the weight (or stages it for Winograd, or, on a path that reads the
 * weight itself, into a copy). Its outputs are those of the conv run alone with ops/norm.ts
 * foldBatchNorm's weight and bias, bit for bit, on every conv path.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { foldBatchNorm } from '../../src/ops/norm.js';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import type { RunContext } from '../../src/ops/types.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { bnWeights, random } from './spec-tensors.js';

const OPTS: RunOptions = { training: false, seed: 7, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 22 };

/** conv (its attributes) → BN over `x`, weights given; and the conv alone with foldBatchNorm's weight and bias. */
function fusedAndFolded(x: Tensor, conv: Record<string, unknown>, cout: number, weightShape: number[]) {
  const w = random(weightShape, 3);
  const b = random([cout], 4);
  const bn = bnWeights('bn', cout, 5);
  const spec = (withBn: boolean) => ({
    inputs: [{ name: 'x', shape: x.shape }],
    layers: [{ name: 'conv', op: 'conv2d', outChannels: cout, ...conv }, ...(withBn ? [{ name: 'bn', op: 'batchNorm2d' }] : [])],
  });
  const run = vi.spyOn(OPS_BY_NAME.get('conv2d')!, 'run');
  const fused = runGraph(parseNetworkSpec(spec(true)), { x }, { ...OPTS, weights: { 'conv.weight': w, 'conv.bias': b, ...bn } });
  const ctx = run.mock.calls[0][0] as RunContext<unknown>;
  run.mockRestore();
  const folded = foldBatchNorm(w.data, b.data, { gamma: bn['bn.weight'].data, beta: bn['bn.bias'].data, mean: bn['bn.runningMean'].data, variance: bn['bn.runningVar'].data, eps: 1e-5 });
  const alone = runGraph(parseNetworkSpec(spec(false)), { x }, { ...OPTS, weights: { 'conv.weight': { shape: weightShape, data: folded.weight }, 'conv.bias': { shape: [cout], data: folded.bias } } });
  return { fused: fused.outputs.bn, alone: alone.outputs.conv, ctx, w };
}

describe('a batch norm folded into a conv as its weight is read (no folded copy)', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['3×3 stride 2, 8→16 (direct GEMM, weight packed at once)', [1, 8, 9, 9], { kernelSize: 3, stride: 2, padding: 1 }, 16, [16, 8, 3, 3]],
    ['3×3 stride 1, 8→12 at 16×16 (Winograd, kernels staged)', [1, 8, 16, 16], { kernelSize: 3, padding: 1 }, 12, [12, 8, 3, 3]],
    ['3×3 stride 2, 256→256 at 8×8 (packed A over PACK_TILE: packed a tile of rows at a time)', [1, 256, 8, 8], { kernelSize: 3, stride: 2, padding: 1 }, 256, [256, 256, 3, 3]],
    ['1×1 stride 1, 6→10 at 5×5 (pointwise)', [2, 6, 5, 5], { kernelSize: 1 }, 10, [10, 6, 1, 1]],
    ['3×3 stride 2, groups 2, 8→6 (each group\'s rows at its offset)', [1, 8, 7, 7], { kernelSize: 3, stride: 2, groups: 2 }, 6, [6, 4, 3, 3]],
    ['3×3 depthwise, 6 channels (a scaled copy)', [1, 6, 8, 8], { kernelSize: 3, padding: 1, groups: 6 }, 6, [6, 1, 3, 3]],
    ['3×3 mode convolution, 4→5 (kernels flipped, then scaled as packed)', [1, 4, 6, 6], { kernelSize: 3, mode: 'convolution' }, 5, [5, 4, 3, 3]],
  ] as const)('%s: conv2d gets the given weight itself and k per channel; output = the conv with foldBatchNorm\'s weights, bit for bit', (_name, shape, conv, cout, weightShape) => {
    const { fused, alone, ctx, w } = fusedAndFolded(random([...shape], 1), conv, cout, [...weightShape]);
    expect(ctx.weights.weight.data).toBe(w.data);
    expect(ctx.weightScale).toBeInstanceOf(Float64Array);
    expect(ctx.weightScale!.length).toBe(cout);
    expect(fused.shape).toEqual(alone.shape);
    expect(fused.data).toEqual(alone.data);
  });
});
