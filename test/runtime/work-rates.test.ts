/**
 * A hardening hunt's tiny requests that passed MAX_RUN_WORK (counted at the GEMM's rate a MAC or
 * a comparison) and then held a worker to the 120 s TASK_TIMEOUT: with each slow loop counted at its
 * own measured rate (the ops' kernelWork, bench/op-rates.ts) and the reverse pass at twice its
 * forward (backward.ts REVERSE_RATE), each is 413 WORK_TOO_LARGE under the default before any kernel
 * runs, naming the heaviest layer.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULT_MAX_RUN_WORK } from '../../src/limits.js';
import { kernelWork } from '../../src/ops/common.js';
import { forwardForBackward, resolveTarget } from '../../src/runtime/backward.js';
import { FRESH_ELEMENT_WORK, FRESH_TENSOR_ELEMENTS, layerWork } from '../../src/runtime/checks.js';
import { intermediateElements, numel } from '../../src/ops/types.js';
import { finalFeatureMap } from '../../src/runtime/erf-task.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 64 * 1024 * 1024, maxWork: DEFAULT_MAX_RUN_WORK };

function refusal(spec: { inputs: { name: string; shape: number[] }[]; layers: Record<string, unknown>[] }) {
  const shape = spec.inputs[0].shape;
  const t = performance.now();
  const e = errorOf(() => runGraph(parseNetworkSpec(spec), { x: tensor(shape) }, OPTS));
  return { e, seconds: (performance.now() - t) / 1000 };
}

describe('tiny requests that ran to the timeout are refused up front', () => {
  it('[1, 1, 8, 8] → conv 1×1 to 32 → upsample ×128 → maxPool2d 31 stride 1 dilation 2 (estimate 2.85e10, over 120 s): 413 naming the pool', () => {
    const { e, seconds } = refusal({
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 32, kernelSize: 1 },
        { name: 'up', op: 'upsample', scaleFactor: 128 },
        { name: 'pool', op: 'maxPool2d', kernelSize: 31, stride: 1, dilation: 2 },
      ],
    });
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.status).toBe(413);
    // 32·964·964 outputs · (15·961 + 300) + those outputs written, 29.7 M elements, over
    // FRESH_TENSOR_ELEMENTS: 1 + 50 units each (runtime/checks.ts writeWork) = 4.39e11
    expect(e.details).toMatchObject({ layer: 'pool', path: '$.layers[2]', limit: 1e11, layerWork: 32 * 964 * 964 * (15 * 961 + 300) + 51 * 32 * 964 * 964 });
    expect(seconds).toBeLessThan(2);
  });

  it('[1, 1, 64, 64] → conv 1×1 to 4096 → localResponseNorm size 4096 (estimate 6.88e10, over 120 s): 413 naming the LRN', () => {
    const { e, seconds } = refusal({
      inputs: [{ name: 'x', shape: [1, 1, 64, 64] }],
      layers: [
        { name: 'conv', op: 'conv2d', outChannels: 4096, kernelSize: 1 },
        { name: 'lrn', op: 'localResponseNorm', size: 4096 },
      ],
    });
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.details).toMatchObject({ layer: 'lrn', path: '$.layers[1]' });
    // windows of 2048 before and 2047 after, clipped: c < 2048 reads c + 2048 channels (6,290,432 in
    // all), c = 2048 all 4096, c > 2048 6144 − c (6,288,384): 12,582,912 a position; 4096 positions ·
    // (20 · 12,582,912 + 700 · 4096) + the 4096² elements written, at 1 + 50 each (fresh memory)
    expect(e.details.layerWork).toBe(4096 * (20 * 12_582_912 + 700 * 4096) + 51 * 4096 * 4096);
    expect(seconds).toBeLessThan(2);
  });

  it('five bicubic upsamples and average pools on [1, 37, 16, 16] (1.08e10 units at the GEMM rate; such a chain took 107.6 s): 413 naming the stride-3 pool', () => {
    const { e, seconds } = refusal({
      inputs: [{ name: 'x', shape: [1, 37, 16, 16] }],
      layers: [
        { name: 'up1', op: 'upsample', scaleFactor: 16, mode: 'bicubic' },
        { name: 'pool1', op: 'avgPool2d', kernelSize: 9, stride: 3 },
        { name: 'up2', op: 'upsample', scaleFactor: 12, mode: 'bicubic' },
        { name: 'pool2', op: 'avgPool2d', kernelSize: 45, stride: 3 },
        { name: 'up3', op: 'upsample', scaleFactor: 4, mode: 'bicubic' },
      ],
    });
    expect(e.code).toBe('WORK_TOO_LARGE');
    // 37·318·318 outputs · (15·2025 + 300), the JavaScript loop (stride 3 is no SIMD geometry)
    expect(e.details).toMatchObject({ layer: 'pool2', path: '$.layers[3]', layerWork: 37 * 318 * 318 * (15 * 2025 + 300) + 37 * 318 * 318 });
    expect(seconds).toBeLessThan(2);
  });

  it('the ERF of densenet121 at 224 with 17 samples (1.00e11 with the reverse pass at 1×, 55–115 s): 413 for all 17 together', () => {
    const { graph } = loadGraph({ kind: 'model', name: 'densenet121' });
    const inference = inferGraph(graph);
    const target = resolveTarget(graph, inference, { layer: finalFeatureMap(graph, inference), channels: null, position: null });
    const x = { [graph.inputs[0].name]: tensor(graph.inputs[0].shape) };
    const e = errorOf(() => forwardForBackward(graph, x, OPTS, inference, [target], 17));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // 17 samples × (forward 3.16e9 + reverse 2 × 3.16e9; its relus at 15 an element, 2.94e9 before)
    expect((e.details.estimate as number) / 1e11).toBeCloseTo(1.6, 1);
    // the default 8 samples still fit: 7.58e10
    expect(() => forwardForBackward(graph, x, { ...OPTS, maxWork: 7.6e10 }, inference, [target], 8)).not.toThrow();
  });
});

/**
 * Element-wise and indexing loops that folding shares (Inferred.runWork): a [1, 1, 1, 1] input
 * padded with zeros to [1, 1, 4096, 4096] (16,777,216 elements) and read by a chain of one op.
 * Counted by the cost (1 a FLOP or element written: the figure import-time folding still reads,
 * ops/common.ts kernelWork) each chain was about 1% of 10^11 or less; at the rates bench/op-rates.ts
 * measured (each op's file, 2026-12-05, ns an element × elements, checked on 2048² chains) it held a
 * worker for the times below, and each is now 413 naming its first layer of the op.
 */
const S = 4096;
const N = S * S;
type Spec = { inputs: { name: string; shape: number[] }[]; layers: Record<string, unknown>[] };
function paddedChain(op: string, layers: number, attrs: (prev: string) => Record<string, unknown>): Spec {
  const spec: Spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [{ name: 't', op: 'pad', inputs: ['x'], pads: [0, 0, 0, 0, 0, 0, S - 1, S - 1] }] };
  for (let i = 0; i < layers; i++) spec.layers.push({ name: `l${i}`, op, ...attrs(i === 0 ? 't' : `l${i - 1}`) });
  return spec;
}
/** The estimate before the rates: each layer's cost (kernelWork) + the elements it writes, 1 each. */
function costEstimate(spec: Spec): number {
  return inferGraph(parseNetworkSpec(spec)).analysed.reduce((s, a) => {
    const { outputs, weights, intermediates } = a.inferred!;
    const written = [...outputs, ...weights.map((w) => w.shape)].reduce((n, o) => n + numel(o), 0) + (intermediates ?? []).reduce((n, t) => n + intermediateElements(t), 0);
    return s + kernelWork(a.inferred!) + written;
  }, 0);
}
/** Each 4096² (or larger) output written: 1 + FRESH_ELEMENT_WORK units an element (runtime/checks.ts writeWork). */
const W = 1 + FRESH_ELEMENT_WORK;
function refusedAt(spec: Spec, layer: string, work: number, cost: number) {
  expect(costEstimate(spec)).toBe(cost);
  const { e, seconds } = refusal(spec);
  expect(e.code).toBe('WORK_TOO_LARGE');
  expect(e.details).toMatchObject({ layer, limit: 1e11, layerWork: work });
  expect(e.details.estimate as number).toBeGreaterThan(1e11);
  expect(seconds).toBeLessThan(2);
}

describe('chains of loops folding shares, at their run rates', () => {
  it('8 gatherElements on 4096² (cost 1.5e8; 382–553 ns an element: 51–74 s): 1500 + 1 written an element', () => {
    refusedAt(paddedChain('gatherElements', 8, (p) => ({ inputs: [p, 't'], dim: 3 })), 'l0', (1500 + W) * N, 9 * N);
  });

  it('16 scatterElements on 4096² (cost 2.9e8; 130–250 ns an update: 35–67 s): 600 an update + 1 written', () => {
    refusedAt(paddedChain('scatterElements', 16, (p) => ({ inputs: [p, 't', 't'], dim: 3 })), 'l0', (600 + W) * N, 17 * N);
  });

  it('32 trilu on 4096² (cost 5.5e8; 111–146 ns an element: 60–78 s): 350 + 1', () => {
    refusedAt(paddedChain('trilu', 32, (p) => ({ inputs: [p] })), 'l0', (350 + W) * N, 33 * N);
  });

  it('32 where on 4096² (cost 1.1e9; 26–128 ns an element: 14–69 s): 250 + 1', () => {
    refusedAt(paddedChain('where', 32, (p) => ({ inputs: ['t', p, 't'] })), 'l0', (250 + W) * N, 65 * N);
  });

  it('16 pow on 4096² (cost 5.5e8; 143–232 ns an element: 38–62 s): 500 + 1', () => {
    refusedAt(paddedChain('pow', 16, (p) => ({ inputs: [p, 't'] })), 'l0', (500 + W) * N, 33 * N);
  });

  it('48 tanh on 4096² (cost 1.6e9; 42–46 ns an element: 34–37 s): 150 + 1; 16 mish (cost 1.6e9; 130–250 ns: 35–67 s): 600 + 1', () => {
    refusedAt(paddedChain('tanh', 48, (p) => ({ inputs: [p] })), 'l0', (150 + W) * N, 97 * N);
    refusedAt(paddedChain('mish', 16, (p) => ({ inputs: [p] })), 'l0', (600 + W) * N, 6 * 16 * N + N);
  });

  it('32 sqrt on 4096² (cost 1.1e9; 21–52 ns an element: 11–28 s, a chain of 2,900 under the old limit 1,000–2,500 s): 210 + 1', () => {
    refusedAt(paddedChain('sqrt', 32, (p) => ({ inputs: [p] })), 'l0', (210 + W) * N, 65 * N);
  });

  it('ops on the same loops without a rate of their own take the loop\'s (a review): 32 abs 150 + W (unaryOp\'s), 32 minimum 275 + W (broadcastOp\'s), 32 selu 170 + W (elu\'s), 40 groupNorm 180 + W + weight and bias (layerNorm\'s normRun)', () => {
    refusedAt(paddedChain('abs', 32, (p) => ({ inputs: [p] })), 'l0', (150 + W) * N, 65 * N);
    refusedAt(paddedChain('minimum', 32, (p) => ({ inputs: [p, 't'] })), 'l0', (275 + W) * N, 65 * N);
    refusedAt(paddedChain('selu', 32, (p) => ({ inputs: [p] })), 'l0', (170 + W) * N, 5 * 32 * N + 32 * N + N);
    const gn = paddedChain('groupNorm', 40, (p) => ({ inputs: [p], numGroups: 1 }));
    const { e } = refusal(gn);
    expect(e.details).toMatchObject({ layer: 'l0', layerWork: (180 + W) * N + 2 });
  });

  it('40 layerNorm over 4096 on 4096² (cost 5.4e9; 48–71 ns an element: 32–48 s): 180 + 1 + its weight and bias', () => {
    const spec = paddedChain('layerNorm', 40, (p) => ({ inputs: [p], normalizedShape: [S] }));
    const { e } = refusal(spec);
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.details).toMatchObject({ layer: 'l0', layerWork: (180 + W) * N + 2 * S });
    expect(costEstimate(spec)).toBeLessThan(1e10);
  });

  it('8 tiles of [1, 1, 1, 1] to [1, 1, 8192, 8192] (cost 5.4e8; 92–125 ns an element: 49–67 s): 300 + 1 an element', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, op: 'tile', inputs: ['x'], repeats: [1, 1, 8192, 8192] })) };
    refusedAt(spec, 't0', (300 + W) * 8192 * 8192, 8 * 8192 * 8192);
  });

  it('30 gatherND of 4096² points of [1, 1, 1, 1] (cost 5.7e8; 57–451 ns a point: 29–227 s): 200 a row + 45 + 1 an element', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 1] }, { name: 'y', shape: [1, 1, 4] }],
      layers: [{ name: 'i', op: 'pad', inputs: ['y'], pads: [0, 0, 0, S - 1, S - 1, 0] }, ...Array.from({ length: 30 }, (_, k) => ({ name: `g${k}`, op: 'gatherND', inputs: ['x', 'i'] }))],
    };
    expect(costEstimate(spec)).toBe(4 * N + 30 * N);
    const e = errorOf(() => runGraph(parseNetworkSpec(spec), { x: tensor([1, 1, 1, 1]), y: tensor([1, 1, 4]) }, OPTS));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // the pad that makes the N index rows of 4 is the heaviest layer at its own rate (indexing.ts:
    // PAD_ROW 1200 a row + PAD_ELEMENT 5 an element; rows of 4 ran 320 ns each); each gatherND 245 + W
    const pad = (1200 + 5 * 4 + 4 * W) * N;
    expect(e.details).toMatchObject({ layer: 'i', layerWork: pad, estimate: pad + 30 * (245 + W) * N });
    const g0 = inferGraph(parseNetworkSpec(spec)).analysed.find((a) => a.layer.name === 'g0')!;
    expect(layerWork(g0)).toBe((245 + W) * N);
  });

  it('roiAlign 7×7 adaptive, 2000 ROIs of unknown boxes on [1, 64, 200, 200] (cost 4.4e10; 1.9–2.4 ns a FLOP: 83–105 s): 12 a FLOP', () => {
    const spec = {
      inputs: [{ name: 'x', shape: [1, 1, 1, 1] }, { name: 'r', shape: [1, 4] }, { name: 'b', shape: [1] }],
      layers: [
        { name: 'm', op: 'tile', inputs: ['x'], repeats: [1, 64, 200, 200] },
        { name: 'rois', op: 'tile', inputs: ['r'], repeats: [2000, 1] },
        { name: 'idx', op: 'tile', inputs: ['b'], repeats: [2000] },
        { name: 'roi', op: 'roiAlign', inputs: ['m', 'rois', 'idx'], outputHeight: 7, outputWidth: 7 },
      ],
    };
    expect(costEstimate(spec)).toBeLessThan(1e11);
    const e = errorOf(() => runGraph(parseNetworkSpec(spec), { x: tensor([1, 1, 1, 1]), r: tensor([1, 4]), b: tensor([1]) }, OPTS));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // 2000 ROIs · ⌈200/7⌉² = 1,682,000 samples a bin, 49 bins · (samples · (8·64 + 20) + 2000·64) FLOPs
    const flops = 49 * (1_682_000 * (8 * 64 + 20) + 2000 * 64);
    expect(e.details).toMatchObject({ layer: 'roi', layerWork: 12 * flops + 2000 * 64 * 49 });
  });
});

/**
 * Fresh memory: a tensor of 32 MiB or more (FRESH_TENSOR_ELEMENTS floats) is mmapped by glibc and
 * unmapped when freed, so each one a kernel writes faults its pages in anew (13–28 ns an element a
 * relu over [1, 32, 512, 512], 3.6–5.0 over [1, 32, 505, 505]): such a write counts 1 + 50 units an
 * element, and a chain of cheap layers over such a map is refused before it holds a worker.
 */
describe('writing a tensor of 2^23 elements or more costs FRESH_ELEMENT_WORK more an element', () => {
  const relus = (side: number, layers: number): Spec => ({
    inputs: [{ name: 'x', shape: [1, 32, 1, 1] }],
    layers: [{ name: 'up', op: 'upsample', scaleFactor: side }, ...Array.from({ length: layers }, (_, i) => ({ name: `r${i}`, op: 'relu' }))],
  });
  const reluWork = (side: number) => layerWork(inferGraph(parseNetworkSpec(relus(side, 1))).analysed.find((a) => a.layer.name === 'r0')!);

  it('a relu over [1, 32, 512, 512] (2^23 elements): 15 (RELU_RATE) + 51 written an element = 66 · 2^23; over [1, 32, 505, 505] (8,160,800): 16 an element', () => {
    expect(FRESH_TENSOR_ELEMENTS).toBe(32 * 512 * 512);
    expect(reluWork(512)).toBe(66 * 2 ** 23);
    expect(reluWork(505)).toBe(16 * 32 * 505 * 505);
  });

  it('a reshape or unsqueeze of [1, 32, 512, 512] hands back its input\'s memory (op.returnsInputData): 1 an element, 2^23, not 51', () => {
    const spec = (op: string, attrs: Record<string, unknown>): Spec => ({ inputs: [{ name: 'x', shape: [1, 32, 1, 1] }], layers: [{ name: 'up', op: 'upsample', scaleFactor: 512 }, { name: 'v', op, ...attrs }] });
    for (const [op, attrs] of [['reshape', { shape: [32, 512, 512] }], ['unsqueeze', { axes: [0] }], ['flatten', {}]] as const) {
      const a = inferGraph(parseNetworkSpec(spec(op, attrs))).analysed.find((l) => l.layer.name === 'v')!;
      expect(layerWork(a)).toBe(2 ** 23);
    }
  });

  it('[1, 32, 1, 1] upsampled ×512, then 250 relus (a 20 KB spec; 50 of them ran 20.7 s, about 100 s for 250): 413 naming the upsample, the heaviest layer', () => {
    const { e, seconds } = refusal(relus(512, 250));
    expect(e.code).toBe('WORK_TOO_LARGE');
    // the upsample: 150 an output (nearest: no FLOPs) + 51 written, + its two tap tables (512 × 12
    // bytes each) and its resampled row (512 × 8 bytes): 4,096 floats at 1; each relu 15 + 51 an element
    const up = (150 + 51) * 2 ** 23 + 4096;
    expect(e.details).toMatchObject({ layer: 'up', layerWork: up, estimate: up + 250 * 66 * 2 ** 23 });
    expect(seconds).toBeLessThan(2);
  });
});
