/**
 * ONNX BatchNormalization is named by its input's rank, as PyTorch names the module that exports it
 * (ops/norm.ts batchNormForRank): BatchNorm1d on (N, C) or (N, C, L), BatchNorm2d on (N, C, H, W),
 * BatchNorm3d on (N, C, D, H, W). The importer maps before it knows the rank; the name is settled from
 * the ranks the graph states or its inferred shapes (import.ts settle, map-norm.ts nameNormsByRank).
 * Numbers do not change with the name: the same kernel, the same family for every convention.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { run } from '../ops/op-helpers.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

/** x → [Conv (W of rank 2 + spatial)] → BatchNormalization over 2 channels: γ [2, 1], β [0, 1], μ [1, 3], σ² [1, 4]. */
function bnModel(x: number[], conv?: number[]) {
  const nodes: NodeSpec[] = [
    ...(conv ? [{ op: 'Conv', name: 'conv', inputs: ['x', 'W'], outputs: ['c'] }] : []),
    { op: 'BatchNormalization', name: 'bn', inputs: [conv ? 'c' : 'x', 'scale', 'B', 'mean', 'var'], outputs: ['y'] },
  ];
  return onnxModel({
    inputs: [{ name: 'x', shape: x }],
    outputs: ['y'],
    initializers: [
      ...(conv ? [{ name: 'W', dims: conv, data: Array.from({ length: conv.reduce((a, b) => a * b, 1) }, () => 1) }] : []),
      { name: 'scale', dims: [2], data: [2, 1] },
      { name: 'B', dims: [2], data: [0, 1] },
      { name: 'mean', dims: [2], data: [1, 3] },
      { name: 'var', dims: [2], data: [1, 4] },
    ],
    nodes,
    opset: 13,
  });
}
const opOf = (bytes: Uint8Array) => importOnnx(bytes).graph.layers.find((l) => l.name === 'bn')!.op;

describe('ONNX BatchNormalization named by its input rank (it was batchNorm2d whatever the rank)', () => {
  it.each([
    ['(N, C) [3, 2]', [3, 2], 'batchNorm1d'],
    ['(N, C, L) [1, 2, 5]', [1, 2, 5], 'batchNorm1d'],
    ['(N, C, H, W) [1, 2, 3, 3]', [1, 2, 3, 3], 'batchNorm2d'],
    ['(N, C, D, H, W) [1, 2, 2, 3, 3]', [1, 2, 2, 3, 3], 'batchNorm3d'],
  ])('on a graph input %s: %s', (_, x, op) => {
    expect(opOf(bnModel(x as number[]))).toBe(op);
  });

  it('after a Conv of a 3-D kernel (its output rank known only by inference): batchNorm3d; the report names it so, PyTorch batchNorm counts unchanged (2 per element, 4 parameters, 4 buffers)', () => {
    const graph = importOnnx(bnModel([1, 1, 3, 4, 4], [2, 1, 1, 1, 1])).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    const bn = r.layers.find((l) => l.name === 'bn')!;
    expect([bn.op, bn.inputShapes[0], bn.flops, bn.params, bn.buffers]).toEqual(['batchNorm3d', [1, 2, 3, 4, 4], 2 * 96, 4, 4]);
  });

  it('after a Conv of a 1-D kernel: batchNorm1d', () => {
    expect(opOf(bnModel([1, 1, 8], [2, 1, 3]))).toBe('batchNorm1d');
  });

  it('after Conv → Relu (a rank no layer states: the import infers the graph) of a 3-D kernel: batchNorm3d', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 3, 3] }],
      outputs: ['y'],
      initializers: [
        { name: 'W', dims: [2, 1, 1, 1, 1], data: [1, 1] },
        ...['scale', 'B', 'mean', 'var'].map((name) => ({ name, dims: [2], data: [1, 1] })),
      ],
      nodes: [
        { op: 'Conv', name: 'conv', inputs: ['x', 'W'], outputs: ['c'] },
        { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
        { op: 'BatchNormalization', name: 'bn', inputs: ['r', 'scale', 'B', 'mean', 'var'], outputs: ['y'] },
      ],
      opset: 13,
    });
    expect(opOf(bytes)).toBe('batchNorm3d');
  });

  it('batchNorm3d runs the same numbers, hand-worked: x [1, 2, 1, 1, 2] = [1, 2 | 3, 4] → [0, 2 | 1, 1.5] (γ(x − μ)/√(σ² + ε) + β, ε 1e-5)', () => {
    const graph = importOnnx(bnModel([1, 2, 1, 1, 2])).graph;
    const y = runGraph(graph, { x: tensor([1, 2, 1, 1, 2], Float32Array.from([1, 2, 3, 4])) }, OPTS).outputs.y;
    expect(Array.from(y.data).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([0, 2, 1, 1.5]);
  });
});

describe('batchNorm1d and batchNorm3d hold their ranks, as PyTorch\'s modules do (batchNorm2d takes any rank ≥ 2, as before)', () => {
  it('batchNorm3d on [1, 2, 4, 4]: RANK_MISMATCH; batchNorm1d on [1, 2, 4, 4]: RANK_MISMATCH; batchNorm2d on [1, 2, 2, 2, 2] runs', () => {
    const x4: [number[], number[]] = [[1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => i)];
    const w = { runningMean: [[2], [0, 0]] as [number[], number[]], runningVar: [[2], [1, 1]] as [number[], number[]] };
    expect(errorOf(() => run('batchNorm3d', [x4], { affine: false }, w)).code).toBe('RANK_MISMATCH');
    expect(errorOf(() => run('batchNorm1d', [x4], { affine: false }, w)).message).toMatch(/expected 2D or 3D input \(got 4D input\)/);
    expect(run('batchNorm2d', [[[1, 2, 2, 2, 2], Array.from({ length: 16 }, (_, i) => i)]], { affine: false }, w)[0].shape).toEqual([1, 2, 2, 2, 2]);
  });
});
