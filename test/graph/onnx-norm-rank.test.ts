/**
 * ONNX InstanceNormalization is named by its input's rank, as PyTorch names the module that exports
 * it (ops/norm-group.ts instanceNormForRank): InstanceNorm1d on (N, C, L), InstanceNorm2d on
 * (N, C, H, W), InstanceNorm3d on (N, C, D, H, W); any other rank keeps instanceNorm2d
 * (map-norm.ts nameNormsByRank, as BatchNormalization's). Numbers do not change with the name. Fixtures: scripts/export_norm_rank_onnx.py (torch.onnx.export and onnx.helper).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx/norm-rank/', import.meta.url);
const TRUTH = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as Record<string, { input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] }; branch?: string }>;
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

const fixture = (name: string) => importOnnx(readFileSync(new URL(`${name}.onnx`, DIR))).graph;
/** The graph run on the truth's input (or `as`'s), with the largest difference from its output. */
function runAgainst(graph: ReturnType<typeof fixture>, truth: string) {
  const { input, output } = TRUTH[truth];
  const y = runGraph(graph, { x: tensor(input.shape, Float32Array.from(input.data)) }, OPTS).outputs[graph.outputs![0]];
  return { shape: y.shape, maxDiff: Math.max(...output.data.map((v, i) => Math.abs(v - y.data[i]))) };
}

/** x → InstanceNormalization over 2 channels (scale [2, 1], B [0, 1]) at opset 13. */
const inModel = (x: number[]) =>
  onnxModel({
    inputs: [{ name: 'x', shape: x }],
    outputs: ['y'],
    initializers: [
      { name: 'S', dims: [2], data: [2, 1] },
      { name: 'B', dims: [2], data: [0, 1] },
    ],
    nodes: [{ op: 'InstanceNormalization', name: 'in', inputs: ['x', 'S', 'B'], outputs: ['y'] }],
    opset: 13,
  });

describe('ONNX InstanceNormalization named by its input rank (it was instanceNorm2d whatever the rank)', () => {
  it.each([
    ['(N, C, L) [1, 2, 5]', 'instanceNorm1d', [1, 2, 5]],
    ['(N, C, H, W) [1, 2, 3, 3]', 'instanceNorm2d', [1, 2, 3, 3]],
    ['(N, C, D, H, W) [1, 2, 2, 3, 3]', 'instanceNorm3d', [1, 2, 2, 3, 3]],
    ['rank 6 [1, 2, 1, 2, 2, 2] (no PyTorch module)', 'instanceNorm2d, which takes any rank ≥ 3', [1, 2, 1, 2, 2, 2]],
  ])('on a graph input %s: %s', (_, op, x) => {
    expect(importOnnx(inModel(x as number[])).graph.layers.find((l) => l.name === 'in')!.op).toBe((op as string).split(',')[0]);
  });

  it('torch.onnx.export of Conv1d(2, 3, 3) → InstanceNorm1d(3, affine=True) on [1, 2, 8]: instanceNorm1d, 6 parameters, 7·24 + 4·3 FLOPs; runs to PyTorch (≤ 1e-5)', () => {
    const graph = fixture('instance_norm1d_op13');
    const n = analyzeGraph(graph, DEFAULTS).layers.find((l) => l.name === '/1/InstanceNormalization')!;
    expect([n.op, n.inputShapes[0], n.params, n.flops]).toEqual(['instanceNorm1d', [1, 3, 8], 6, 24 * 7 + 3 * 4]);
    const r = runAgainst(graph, 'instance_norm1d_op13');
    expect(r.shape).toEqual([1, 3, 8]);
    expect(r.maxDiff).toBeLessThan(1e-5);
  });

  it('torch.onnx.export of Conv3d(1, 2, 1) → InstanceNorm3d(2) (scale 1, B 0: no affine) on [1, 1, 2, 3, 4]: instanceNorm3d, no parameters; runs to PyTorch (≤ 1e-5)', () => {
    const graph = fixture('instance_norm3d_op13');
    const n = analyzeGraph(graph, DEFAULTS).layers.find((l) => l.name === '/1/InstanceNormalization')!;
    expect([n.op, n.inputShapes[0], n.params]).toEqual(['instanceNorm3d', [1, 2, 2, 3, 4], 0]);
    expect(runAgainst(graph, 'instance_norm3d_op13').maxDiff).toBeLessThan(1e-5);
  });
});
