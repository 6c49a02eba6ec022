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
import { forwardForBackward, resolveTarget } from '../../src/runtime/backward.js';
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
    // 32·964·964 outputs · (15·961 + 300) + those outputs written = 4.38e11
    expect(e.details).toMatchObject({ layer: 'pool', path: '$.layers[2]', limit: 1e11, layerWork: 32 * 964 * 964 * (15 * 961 + 300) + 32 * 964 * 964 });
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
    // (20 · 12,582,912 + 700 · 4096) + the 4096² elements written
    expect(e.details.layerWork).toBe(4096 * (20 * 12_582_912 + 700 * 4096) + 4096 * 4096);
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
    // 17 samples × (forward 2.94e9 + reverse 2 × 2.94e9)
    expect((e.details.estimate as number) / 1e11).toBeCloseTo(1.5, 1);
    // the default 8 samples still fit: 7.06e10
    expect(() => forwardForBackward(graph, x, { ...OPTS, maxWork: 7.1e10 }, inference, [target], 8)).not.toThrow();
  });
});
