/**
 * Issue 9, defect 4: a variadic layer with a million inputs is a graph like any other (no recursion
 * or argument spreading over inputs), and a merge read 200,000 times computes its field without a
 * stack overflow. Nothing here is timed (the time bounds are test/analysis/scale.test.ts, which runs
 * alone), so these run beside other files.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze } from '../helpers.js';

describe('variadic layers with a million inputs', () => {
  const spec = { inputs: [{ name: 'x', shape: [1, 2] }], layers: [{ name: 'sum', op: 'add', inputs: Array<string>(1_000_000).fill('x') }] };

  // 600 s: a guard against a hang, not a clock (61 s at load 24)
  it('add of x a million times: analysed (999,999 FLOPs per element) and run (x·10^6), no stack overflow', { timeout: 600_000 }, () => {
    const graph = parseNetworkSpec(spec);
    const report = analyzeGraph(graph, DEFAULTS);
    expect(report.layers[0].flops).toBe(999_999 * 2);
    const res = runGraph(graph, { x: tensor([1, 2], [1, -0.5]) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(Array.from(res.outputs.sum.data)).toEqual([1_000_000, -500_000]);
  });
});

describe('merges of many operands with a spatial field', () => {
  it.each([
    ['add', { op: 'add' }],
    ['concat along the channels', { op: 'concat', dim: 1 }],
  ])('%s of a [1, 1, 2, 2] map read 200,000 times (the merge\'s field computed, and its one-unit check): analysed with the map\'s field, no stack overflow (it overflowed from about 125,000 on the main thread: a widest rank taken with Math.max(...shapes); a million through POST /v1/analyze answered 500)', { timeout: 60_000 }, (_, attrs) => {
    const report = analyze({ inputs: [{ name: 'x', shape: [1, 1, 2, 2] }], layers: [{ name: 'm', ...attrs, inputs: Array<string>(200_000).fill('x') }] });
    expect(report.layers[0].receptiveField).toMatchObject({ global: false, size: [1, 1], stride: [1, 1] });
  });
});
