/**
 * What a run keeps with its inference (runtime/run-plan.ts, runtime/checks.ts checkRun): the plan
 * and the layer and work checks are worked out once for a graph's inference, and a second run of
 * the same inference (a cached model's next forward, a prepared operator call) takes them from
 * there. Each kept part is kept for what it depends on, and only that: another mode (training,
 * fusion off, captures) plans afresh, tighter limits check afresh, and a run's own inputs and
 * given weights are checked on every run.
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { errorOf } from '../helpers.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/execute.js';
import { checkRun } from '../../src/runtime/checks.js';
import { runPlan } from '../../src/runtime/run-plan.js';
import { tensor } from '../../src/tensor/tensor.js';

const OPTS: RunOptions = { training: false, seed: 7, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 22 };

/** conv 1×1 (w = 2, no bias) → ReLU on a 1×1×1×3 input: y = max(0, 2x), hand-worked. */
const spec = {
  inputs: [{ name: 'x', shape: [1, 1, 1, 3] }],
  layers: [
    { name: 'conv', op: 'conv2d', outChannels: 1, kernelSize: 1, bias: false },
    { name: 'relu', op: 'relu' },
  ],
};
const W = { 'conv.weight': tensor([1, 1, 1, 1], Float32Array.of(2)) };
const x = () => ({ x: tensor([1, 1, 1, 3], Float32Array.of(-1, 1, 2)) });

describe('a run plan kept with its inference', () => {
  it('conv 1×1 → ReLU run twice on one inference: the same plan object, the same executed set, and the hand-worked [0, 2, 4] both times (the ReLU fused: one kernel timed)', () => {
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const runs = [0, 1].map(() => {
      const ops: string[] = [];
      const y = runGraph(graph, x(), { ...OPTS, weights: W, onLayer: (_l, op) => ops.push(op) }, inference);
      return { y: Array.from(Object.values(y.outputs)[0].data), ops };
    });
    expect(runs).toEqual([
      { y: [0, 2, 4], ops: ['conv2d'] },
      { y: [0, 2, 4], ops: ['conv2d'] },
    ]);
    const limits = { maxElements: OPTS.maxElements, maxWork: 1e12 };
    const executed = checkRun(graph, inference, x(), W, limits);
    expect(checkRun(graph, inference, x(), W, limits)).toBe(executed);
    expect([...executed].sort()).toEqual(['conv', 'relu']);
    const plan = runPlan(graph, inference, executed, false, new Set());
    expect(runPlan(graph, inference, executed, false, new Set())).toBe(plan);
    expect([...plan.fusion.groups.keys()]).toEqual(['conv']);
  });

  it('another mode plans afresh: fusion skipped (training, fuse false) has no groups, a capture of the conv keeps it apart; the fused plan is still kept', () => {
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    const executed = checkRun(graph, inference, x(), W, { maxElements: OPTS.maxElements, maxWork: 1e12 });
    const fused = runPlan(graph, inference, executed, false, new Set());
    const unfused = runPlan(graph, inference, executed, true, new Set());
    const captured = runPlan(graph, inference, executed, false, new Set(['conv']));
    expect(fused.fusion.groups.size).toBe(1);
    expect(unfused.fusion.groups.size).toBe(0);
    expect(captured.fusion.groups.size).toBe(0);
    expect(runPlan(graph, inference, executed, false, new Set())).toBe(fused);
    // and a run with the capture after runs without it: the conv's own output, before the ReLU, [−2, 2, 4]
    runGraph(graph, x(), { ...OPTS, weights: W }, inference);
    const r = runGraph(graph, x(), { ...OPTS, weights: W, capture: ['conv'] }, inference);
    expect(Array.from(r.captured.conv.data)).toEqual([-2, 2, 4]);
    expect(Array.from(Object.values(r.outputs)[0].data)).toEqual([0, 2, 4]);
  });

  it('checks kept for the limits they passed: after a run within them, MAX_RUN_WORK 1 is refused (WORK_TOO_LARGE), MAX_TENSOR_ELEMENTS 2 too (TENSOR_TOO_LARGE)', () => {
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    runGraph(graph, x(), { ...OPTS, weights: W }, inference);
    expect(errorOf(() => runGraph(graph, x(), { ...OPTS, weights: W, maxWork: 1 }, inference)).code).toBe('WORK_TOO_LARGE');
    expect(errorOf(() => runGraph(graph, x(), { ...OPTS, weights: W, maxElements: 2 }, inference)).code).toBe('TENSOR_TOO_LARGE');
    // and the limits it passed still pass
    expect(Array.from(Object.values(runGraph(graph, x(), { ...OPTS, weights: W }, inference).outputs)[0].data)).toEqual([0, 2, 4]);
  });

  it("each run's own inputs and given weights are checked after the kept checks: an input of shape [1, 1, 1, 4], a weight of shape [2, 1, 1, 1], a weight for no layer", () => {
    const graph = parseNetworkSpec(spec);
    const inference = inferGraph(graph);
    runGraph(graph, x(), { ...OPTS, weights: W }, inference);
    const wrongInput = errorOf(() => runGraph(graph, { x: tensor([1, 1, 1, 4], new Float32Array(4)) }, { ...OPTS, weights: W }, inference));
    expect(wrongInput.code).toBe('SHAPE_MISMATCH');
    const wrongWeight = errorOf(() => runGraph(graph, x(), { ...OPTS, weights: { 'conv.weight': tensor([2, 1, 1, 1], new Float32Array(2)) } }, inference));
    expect(wrongWeight.code).toBe('SHAPE_MISMATCH');
    const noLayer = errorOf(() => runGraph(graph, x(), { ...OPTS, weights: { ...W, 'conv2.weight': tensor([1], new Float32Array(1)) } }, inference));
    expect(noLayer.code).toBe('INVALID_TENSOR');
  });
});
