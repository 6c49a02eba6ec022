/**
 * Issue 9, defect 4: a run is refused up front when its inferred cost is over MAX_RUN_WORK:
 * Σ over executed layers of MACs + element-wise FLOPs + elements written (outputs and weights),
 * computed from the analysis before any kernel runs; 413 WORK_TOO_LARGE with the estimate, the
 * limit and the heaviest layer. The default (10^11) runs the zoo's ResNet-101 at 224 (8.17·10^9).
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { executedLayers } from '../../src/graph/walks.js';
import { DEFAULT_MAX_RUN_WORK } from '../../src/limits.js';
import { checkWork, layerWork } from '../../src/runtime/checks.js';
import { runGraph } from '../../src/runtime/execute.js';
import { envLimits } from '../../src/runtime/limits.js';
import { runOperator } from '../../src/runtime/operator.js';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };

// ten relu layers on [1, 1000]: each 15 units an element (RELU_RATE) + 1000 elements written = 16,000; 160,000 in all
const chain = { inputs: [{ name: 'x', shape: [1, 1000] }], layers: Array.from({ length: 10 }, (_, i) => ({ name: `r${i}`, op: 'relu' })) };
const x = tensor([1, 1000], new Float32Array(1000).fill(-1));

describe('the work estimate', () => {
  it('ten relu on [1, 1000]: 160,000 units; a budget of 159,999 is 413 WORK_TOO_LARGE naming estimate, limit and heaviest layer', () => {
    const graph = parseNetworkSpec(chain);
    const e = errorOf(() => runGraph(graph, { x }, { ...OPTS, maxWork: 159_999 }));
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.status).toBe(413);
    expect(e.details).toMatchObject({ estimate: 160_000, limit: 159_999, layer: 'r0', layerWork: 16_000, path: '$.layers[0]' });
    expect(Array.from(runGraph(graph, { x }, { ...OPTS, maxWork: 160_000 }).outputs.r9.data.slice(0, 2))).toEqual([0, 0]);
  });

  it('refused before any kernel: a gather whose data index is out of range reports the budget, not the index', () => {
    const graph = parseNetworkSpec({
      inputs: [{ name: 'x', shape: [4, 250] }, { name: 'i', shape: [1] }],
      layers: [{ name: 'g', op: 'gather', inputs: ['x', 'i'] }],
    });
    const inputs = { x: tensor([4, 250], new Float32Array(1000)), i: tensor([1], [7]) };
    expect(errorOf(() => runGraph(graph, inputs, { ...OPTS, maxWork: 10 })).code).toBe('WORK_TOO_LARGE');
    expect(errorOf(() => runGraph(graph, inputs, OPTS)).code).toBe('INVALID_TENSOR');
  });

  it('layers that do not execute (an unused auxiliary head) cost nothing', () => {
    const graph = parseNetworkSpec({ ...chain, layers: [...chain.layers, { name: 'aux', op: 'relu', inputs: ['x'] }], outputs: ['r9'] });
    expect(checkWork(inferGraph(graph).analysed, executedLayers(graph), 160_000)).toBe(160_000);
  });

  it('the default 10^11 runs the zoo ResNet-101 at 224: it costs 8.17·10^9 (7.80·10^9 MACs; its relus 2.1·10^8 at 15 an element)', () => {
    const { graph } = loadGraph({ kind: 'model', name: 'resnet101', resolution: 224 });
    const work = checkWork(inferGraph(graph).analysed, executedLayers(graph), DEFAULT_MAX_RUN_WORK);
    expect(work / 1e9).toBeCloseTo(8.17, 2);
  });
});

describe('every path applies it', () => {
  it('runTask with limits { maxWork: 159,999 }: WORK_TOO_LARGE', () => {
    const e = errorOf(() => runTask({ source: { kind: 'spec', spec: chain }, inputs: { x }, weights: {}, weightInit: 'seed', training: false, seed: 0, capture: [], maxElements: 1 << 20, limits: { maxWork: 159_999 } }));
    expect(e.code).toBe('WORK_TOO_LARGE');
  });

  it('runOperator conv2d 256→1024, 7×7 on [1, 256, 128, 128] (2.1·10^11 MACs) under the default: WORK_TOO_LARGE before any weight is made', () => {
    const big = tensor([1, 256, 128, 128]);
    const e = errorOf(() => runOperator({ name: 'conv2d', inputs: [big], attributes: { outChannels: 1024, kernelSize: 7, padding: 3 }, weights: {}, training: false, seed: 0, maxElements: 1 << 26 }));
    expect(e.code).toBe('WORK_TOO_LARGE');
    expect(e.details.estimate).toBeGreaterThan(2.1e11);
  });

  it('MAX_RUN_WORK and MAX_FOLDED_ELEMENTS from the environment, defaults when unset or invalid', () => {
    expect(envLimits({ MAX_RUN_WORK: '5e9', MAX_FOLDED_ELEMENTS: '4096' })).toEqual({ maxWork: 5e9, maxFolded: 4096 });
    expect(envLimits({})).toEqual({ maxWork: 1e11, maxFolded: 1 << 20 });
    expect(envLimits({ MAX_RUN_WORK: 'lots' }).maxWork).toBe(1e11);
  });
});

describe('tiny requests cost little', () => {
  it('convTranspose2d kernelSize [60000, 1] on [1, 1, 1, 1] (a 150-byte request that took 39 s): runs in under 1 s, the kernel written out', () => {
    const t = performance.now();
    const res = runOperator({ name: 'convTranspose2d', inputs: [tensor([1, 1, 1, 1], [2])], attributes: { outChannels: 1, kernelSize: [60_000, 1], bias: false }, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });
    expect((performance.now() - t) / 1000).toBeLessThan(1);
    expect(res.outputs[0].shape).toEqual([1, 1, 60_000, 1]);
    expect(res.layer.macs).toBe(60_000);
  });
});

describe('layerWork counts integer MACs too (a quantized layer is bounded by MAX_RUN_WORK like a float one)', () => {
  it('intMacs 1,000 + elementwise 10 + an output of 6 and a weight of 4 elements = 1,020', () => {
    const inferred = { outputs: [[1, 6]], weights: [{ name: 'weight', shape: [4], trainable: true, init: { kind: 'constant' as const, value: 0 } }], cost: { macs: 0, intMacs: 1000, exactMacOps: 0, biasOps: 0, elementwise: 10 }, plan: null };
    expect(layerWork({ inferred } as unknown as Parameters<typeof layerWork>[0])).toBe(1020);
  });
});
