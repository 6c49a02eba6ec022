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
  transA?: number;
  /** transA's A, [K, M] (the others read truth.input, [M, K]) */
  input?: { shape: number[]; data: number[] };
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

  it('a C of shape [2] (broadcasts to neither [3, 4] nor one per output) is refused with the reason', () => {
    expect(reasons(gemm({ beta: { f: 2 } }, [2]))).toEqual([expect.stringMatching(/^a bias C of shape \[2\]: ONNX's C broadcasts to \[M, 4\]/)]);
  });

  it('weights stripped: α and β still fold by shape, so the analysis is whole (20 + 4 parameters, 60 MACs)', () => {
    const r = analyzeGraph(importOnnx(gemm({ alpha: { f: 0.5 }, beta: { f: 2 } }, [4]), { inputShapes: {} }).graph, DEFAULTS);
    expect(r.layers.map((l) => [l.op, l.params, l.macs])).toEqual([['linear', 24, 60]]);
  });
});

/**
 * Gemm nodes that are a linear layer with a layer beside it (graph/onnx/map-gemm.ts): transA 1 is a
 * transpose of A [5, 3] to [3, 5] (no cost) then the linear layer; a C per row ([3, 4], [3, 1]) is the
 * linear layer without a bias, then an add of the constant β·C (one FLOP per output, 12; its
 * parameters C's elements). Goldens: torch.addmm as above. Before, both were unsupported.
 */
describe('Gemm with transA 1 or a C per row: a transpose before, or a constant add after, the linear layer', () => {
  const run = (name: string) => {
    const t = truth.cases[name];
    const { graph } = importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} });
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals).toMatchObject({ complete: true, unsupported: [] });
    const input = t.input ?? truth.input;
    const y = runGraph(graph, { A: tensor(input.shape, input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.Y;
    expect(y.shape).toEqual(t.output.shape);
    expect(scaledError(y.data, t.output.data)).toBeLessThanOrEqual(1e-6);
    return r.layers.map((l) => [l.name, l.op, l.outputShape, l.params, l.macs, l.flops]);
  };
  const B = K * N;
  const linearFlops = 2 * M * K * N;

  it('trans_a_b1 (transA 1, A [5, 3], transB 1, C [4]): transpose [5, 3] → [3, 5], then linear 20 + 4 params, 60 MACs', () => {
    expect(run('trans_a_b1')).toEqual([
      ['gemm:transposeA', 'transpose', [M, K], 0, 0, 0],
      ['gemm', 'linear', [M, N], B + N, M * K * N, linearFlops],
    ]);
  });

  it.each([
    ['c_per_row_b0', 'α 0.5, β 2, transB 0, C [3, 4]', M * N],
    ['c_column_b1', 'β 2, transB 1, C [3, 1]', M],
  ])('%s (%s): linear without bias (20 params, 60 MACs), then add of β·C (%d params, 12 FLOPs)', (name, _, cParams) => {
    expect(run(name)).toEqual([
      ['gemm', 'linear', [M, N], B, M * K * N, linearFlops],
      ['gemm:addC', 'add', [M, N], cParams, 0, M * N],
    ]);
  });

  it('trans_a_c_per_row (transA 1, α 0.5, β 2, C [3, 4]): transpose, linear, add', () => {
    expect(run('trans_a_c_per_row').map((l) => l[1])).toEqual(['transpose', 'linear', 'add']);
  });
});
