/**
 * ONNX InstanceNormalization is named by its input's rank, as PyTorch names the module that exports
 * it (ops/norm-group.ts instanceNormForRank): InstanceNorm1d on (N, C, L), InstanceNorm2d on
 * (N, C, H, W), InstanceNorm3d on (N, C, D, H, W); any other rank keeps instanceNorm2d. And the
 * renaming (map-norm.ts nameNormsByRank, BatchNormalization's too) reaches the bodies of Loops
 * kept whole (loop-body.ts) as well as inlined If branches and unrolled Loops. Numbers do not change
 * with the name. Fixtures: scripts/export_norm_rank_onnx.py (torch.onnx.export and onnx.helper).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { ImportedLoopBody } from '../../src/graph/onnx/loop-body.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx/norm-rank/', import.meta.url);
const TRUTH = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as Record<string, { input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] }; branch?: string }>;
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

const fixture = (name: string) => importOnnx(readFileSync(new URL(`${name}.onnx`, DIR))).graph;
const opsOf = (graph: ReturnType<typeof fixture>) => Object.fromEntries(graph.layers.map((l) => [l.name, l.op]));
/** The graph run on the truth's input (or `as`'s), with the largest difference from its output. */
function runAgainst(graph: ReturnType<typeof fixture>, truth: string) {
  const { input, output } = TRUTH[truth];
  const y = runGraph(graph, { x: tensor(input.shape, Float32Array.from(input.data)) }, OPTS).outputs[graph.outputs![0]];
  return { shape: y.shape, maxDiff: Math.max(...output.data.map((v, i) => Math.abs(v - y.data[i]))) };
}

/** x → [Relu] → InstanceNormalization over 2 channels (scale [2, 1], B [0, 1]) at opset 13. */
const inModel = (x: number[], relu = false) =>
  onnxModel({
    inputs: [{ name: 'x', shape: x }],
    outputs: ['y'],
    initializers: [
      { name: 'S', dims: [2], data: [2, 1] },
      { name: 'B', dims: [2], data: [0, 1] },
    ],
    nodes: [...(relu ? [{ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['r'] }] : []), { op: 'InstanceNormalization', name: 'in', inputs: [relu ? 'r' : 'x', 'S', 'B'], outputs: ['y'] }],
    opset: 13,
  });
const inOp = (bytes: Uint8Array) => importOnnx(bytes).graph.layers.find((l) => l.name === 'in')!.op;

describe('ONNX InstanceNormalization named by its input rank (it was instanceNorm2d whatever the rank)', () => {
  it.each([
    ['(N, C, L) [1, 2, 5]', 'instanceNorm1d', [1, 2, 5]],
    ['(N, C, H, W) [1, 2, 3, 3]', 'instanceNorm2d', [1, 2, 3, 3]],
    ['(N, C, D, H, W) [1, 2, 2, 3, 3]', 'instanceNorm3d', [1, 2, 2, 3, 3]],
    ['rank 6 [1, 2, 1, 2, 2, 2] (no PyTorch module)', 'instanceNorm2d, which takes any rank ≥ 3', [1, 2, 1, 2, 2, 2]],
  ])('on a graph input %s: %s', (_, op, x) => {
    expect(inOp(inModel(x as number[]))).toBe((op as string).split(',')[0]);
  });

  it('after a Relu (a rank no layer states, so the import infers the graph): [1, 2, 2, 3, 3] instanceNorm3d, [1, 2, 5] instanceNorm1d', () => {
    expect([inOp(inModel([1, 2, 2, 3, 3], true)), inOp(inModel([1, 2, 5], true))]).toEqual(['instanceNorm3d', 'instanceNorm1d']);
  });

  it("GroupNorm(2, 8) as torch.onnx.export writes it at opset 13 (Reshape to the constant [0, 2, −1] → InstanceNormalization): instanceNorm1d, the Reshape's shape stating the rank", () => {
    const graph = importOnnx(readFileSync(new URL('../fixtures/onnx/norm_activation/groupnorm_silu_op13.onnx', import.meta.url))).graph;
    expect(graph.layers.filter((l) => l.source?.opType === 'InstanceNormalization').map((l) => l.op)).toEqual(['instanceNorm1d']);
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

describe('the renaming reaches control flow: a Loop body kept whole, an unrolled Loop, both branches of an If', () => {
  it('Loop M = 0 scanning BatchNormalization(v) on [1, 2, 5], kept whole (no iteration, a scan output): the body\'s BN is batchNorm1d once imported (it stayed batchNorm2d); outputs y [1, 2, 5] = x, ys [0, 1, 2, 5]', () => {
    const graph = fixture('loop_bn_scan');
    const loop = graph.layers.find((l) => l.op === 'loop')!;
    expect(opsOf((loop.attrs.body as ImportedLoopBody).graph).bn).toBe('batchNorm1d');
    expect(analyzeGraph(graph, DEFAULTS).layers.find((l) => l.name === 'loop')!.outputShapes).toEqual([[1, 2, 5], [0, 1, 2, 5]]);
    const { input } = TRUTH.loop_bn_scan;
    const out = runGraph(graph, { x: tensor(input.shape, Float32Array.from(input.data)) }, OPTS).outputs;
    expect([Array.from(out.y.data), out.ys.shape]).toEqual([Array.from(Float32Array.from(input.data)), [0, 1, 2, 5]]);
  });

  it('Loop M = 2 over the same body, unrolled: loop/0/bn and loop/1/bn are batchNorm1d; runs to BN applied twice (numpy, ≤ 1e-5)', () => {
    const graph = fixture('loop_bn_unrolled');
    expect([opsOf(graph)['loop/0/bn'], opsOf(graph)['loop/1/bn']]).toEqual(['batchNorm1d', 'batchNorm1d']);
    expect(runAgainst(graph, 'loop_bn_unrolled').maxDiff).toBeLessThan(1e-5);
  });

  it('If (ReduceSum(x) > 0) then BatchNormalization(x) else InstanceNormalization(x) on [1, 2, 5]: both inlined, batchNorm1d and instanceNorm1d; x takes then, −x else, each as numpy computes it (≤ 1e-5)', () => {
    const graph = fixture('if_norms');
    expect([opsOf(graph)['if/then/bn'], opsOf(graph)['if/else/inorm']]).toEqual(['batchNorm1d', 'instanceNorm1d']);
    expect([TRUTH.if_norms.branch, TRUTH.if_norms_negated.branch]).toEqual(['then', 'else']);
    expect(runAgainst(graph, 'if_norms').maxDiff).toBeLessThan(1e-5);
    expect(runAgainst(graph, 'if_norms_negated').maxDiff).toBeLessThan(1e-5);
  });
});
