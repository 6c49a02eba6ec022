/**
 * ONNX Gemm as a linear layer with α, β and the bias C in the shapes ONNX allows for one per
 * output (graph/onnx/map-gemm.ts): α·B and β·C fold into the weight and the bias at import by the
 * mul operator's kernel. Goldens are PyTorch's torch.addmm(C, A, B', beta=β, alpha=α) on the same
 * initializers (scripts/export_gemm_fixtures.py, models built with onnx.helper). Before, any α or
 * β other than 1, or a C not of shape [N], left the Gemm unsupported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { Attr } from './onnx-builder.js';

interface Case {
  alpha: number;
  beta: number;
  transB: number;
  B: { shape: number[]; numel: number };
  C: { shape: number[]; numel: number } | null;
  output: { shape: number[]; data: number[] };
}
const DIR = new URL('../fixtures/onnx/gemm/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { input: { shape: number[]; data: number[] }; cases: Record<string, Case> };
const [M, K] = truth.input.shape;
const N = 4;

describe('Gemm with α, β, transB and C broadcast: analysed as a linear layer, run to torch.addmm\'s output', () => {
  it.each([
    ['alpha_beta_b0', 'α 0.5, β 2, transB 0, C [4]'],
    ['alpha_beta_b1', 'α 0.5, β 2, transB 1, C [4]'],
    ['c_one_b1', 'β 2, transB 1, C [1] broadcast to the 4 outputs'],
    ['c_scalar_b0', 'α 0.5, transB 0, a scalar C'],
    ['c_row_b1', 'β 2, transB 1, C [1, 4]'],
    ['alpha_no_c_b0', 'α 0.5, transB 0, no C'],
  ])('%s (%s)', (name) => {
    const t = truth.cases[name];
    const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} });
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals).toMatchObject({ complete: true, unsupported: [] });
    // parameters: the stored B and C (a C of one value is a literal, as a scalar operand of an Add is)
    const params = t.B.numel + (t.C && t.C.numel > 1 ? t.C.numel : 0);
    expect(r.layers.map((l) => [l.op, l.outputShape, l.params, l.macs])).toEqual([['linear', [M, N], params, M * K * N]]);
    const run = runGraph(graph, { A: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(run.outputs.Y.shape).toEqual(t.output.shape);
    expect(scaledError(run.outputs.Y.data, t.output.data)).toBeLessThanOrEqual(1e-6);
  });
});

describe('Gemm nodes that are not a linear layer stay unsupported, with the reason', () => {
  /** A [3, 5] (or [5, 3] with transA) → Gemm with B [5, 4] and C of the shape given. */
  const gemm = (attrs: Record<string, Attr>, c: number[] | null, a = [3, 5]) =>
    onnxModel({
      inputs: [{ name: 'A', shape: a }],
      outputs: ['Y'],
      initializers: [{ name: 'B', dims: [5, 4] }, ...(c ? [{ name: 'C', dims: c }] : [])],
      nodes: [{ op: 'Gemm', inputs: ['A', 'B', ...(c ? ['C'] : [])], outputs: ['Y'], name: 'g', attrs }],
      opset: 13,
    });
  const reasons = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes, { inputShapes: {} }).graph, DEFAULTS).totals.unsupported.flatMap((u) => u.reasons);

  it('transA 1 (Aᵀ·B: the features are A\'s first dim)', () => {
    expect(reasons(gemm({ transA: { i: 1 } }, [4], [5, 3]))).toEqual([expect.stringMatching(/^transA 1: A is read transposed/)]);
  });

  it.each([
    [[3, 4], 'one per row and output'],
    [[3, 1], 'one per row'],
    [[2], 'neither one value nor one per output'],
  ])('a C of shape %j (%s)', (c) => {
    expect(reasons(gemm({ beta: { f: 2 } }, c))).toEqual([expect.stringMatching(new RegExp(`^a bias C of shape \\[${c.join(', ')}\\]: only one per output feature`))]);
  });

  it('weights stripped: α and β still fold by shape, so the analysis is whole (20 + 4 parameters, 60 MACs)', () => {
    const r = analyzeGraph(importOnnx(gemm({ alpha: { f: 0.5 }, beta: { f: 2 } }, [4]), { inputShapes: {} }).graph, DEFAULTS);
    expect(r.layers.map((l) => [l.op, l.params, l.macs])).toEqual([['linear', 24, 60]]);
  });
});
