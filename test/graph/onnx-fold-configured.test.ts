/**
 * Folding at import within MAX_TENSOR_ELEMENTS as the service is configured (graph/fold-budget.ts),
 * not its default: a file cannot make the import compute a value larger than the operator allows.
 *
 * The file: x [1, 64, 1, 1] → Conv with the weight ReduceSum(Concat(W, W, W, W; axis 0), axis 0,
 * keepdims) of W [8, 64, 1, 1] = ((i·7) mod 11) − 5: a [1, 64, 1, 1] weight of 64 values, 4·Σ_o W[o, c],
 * computed through a Concat of 32·64 = 2,048 values. Worked by hand: 7i mod 11 takes every residue
 * once in 11 steps (Σ(r − 5) = 0 over them), so Σ_i W over 512 = 46·11 + 6 values is that of
 * i = 506 … 511: residues 0, 7, 3, 10, 6, 2, Σ = 28 − 30 = −2, and y = Σ_c 4·Σ_o W[o, c]·1 = −8;
 * weight[0] = 4·Σ_o W[o, 0] (i = 64o: 8o mod 11 = 0, 8, 5, 2, 10, 7, 4, 1, Σ = 37 − 40 = −3) = −12.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { Graph } from '../../src/graph/graph.js';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { concatSumConvModel } from './fold-configured-model.js';

const file = concatSumConvModel();
const weightOf = (graph: Graph) => graph.constants.get(graph.layers.find((l) => l.name === 'conv')!.weights!.weight.constant)!;
const REASON = "node 'four' (Concat) computes 2,048 values, more than a tensor may hold (1,000, MAX_TENSOR_ELEMENTS)";
const run = (maxElements: number) =>
  runTask({ source: { kind: 'onnx', bytes: file, inputShapes: {} }, inputs: { x: tensor([1, 64, 1, 1], new Float32Array(64).fill(1)) }, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements });

describe('MAX_TENSOR_ELEMENTS as configured bounds a fold at import (a weight computed through 2,048 values)', () => {
  it('by default (64 Mi elements) the weight folds: [1, 64, 1, 1], weight[0] = −12', () => {
    const w = weightOf(importOnnx(file, {}).graph);
    expect([w.shape, w.typed?.length, w.typed?.[0]]).toEqual([[1, 64, 1, 1], 64, -12]);
  });

  it('configured 1,000: the Concat of 2,048 is not computed, the weight keeps its shape with the reason, and the analysis is whole (64 MACs, W\'s 512 parameters)', () => {
    const graph = importOnnx(file, { maxElements: 1000 }).graph;
    const w = weightOf(graph);
    expect([w.shape, w.typed, w.folded?.unheld]).toEqual([[1, 64, 1, 1], null, REASON]);
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: 512, macs: 64 });
  });

  it('configured 2,048 (the Concat\'s size): it folds', () => {
    expect(weightOf(importOnnx(file, { maxElements: 2048 }).graph).typed?.length).toBe(64);
  });

  it('POST /v1/run\'s task with maxElements 2^20 runs to y = −8; then with 1,000 (its own cache entry, not the folded one) refuses at the conv with the reason', () => {
    expect(Array.from(run(1 << 20).outputs.y.data)).toEqual([-8]);
    const e = errorOf(() => run(1000));
    expect([e.code, e.details.path, e.details.layer]).toEqual(['INVALID_TENSOR', '$.weights', 'conv']);
    expect(e.message).toContain(REASON);
  });
});
