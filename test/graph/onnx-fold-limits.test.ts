/**
 * The limits of folding weights computed from constants (graph/fold-budget.ts). A value computed
 * from the file's float initializers may be as large as the largest of them; the graph's held-values
 * budget (MAX_FOLDED_ELEMENTS) grows by the initializers the folds read, and one fold may overdraw it
 * by 3 × its largest initializer in flight; all the graph's folds take at most 2^22 + 16 operations
 * per element of those initializers. Everything else keeps the generic caps (65,536 values, 2^22
 * operations a value). An analysis imports without folding values at all.
 *
 * ws_big_17.onnx (scripts/export_weight_standardisation.py --big, PyTorch's figures in
 * truth_big.json) standardises a 128 × 64 × 3 × 3 weight, 73,728 values: past the 65,536 a folded
 * value held before. The other graphs are built here; their figures are worked by hand.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { OnnxImportOptions } from '../../src/graph/onnx/import.js';
import type { Graph } from '../../src/graph/graph.js';
import { runGraph } from '../../src/runtime/execute.js';
import { analyzeNetwork, runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx/ws/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth_big.json', DIR), 'utf8')) as {
  params: number;
  bigWeight: { shape: number[]; first: number[]; sumSquares: number[] };
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
};
const big = (options: OnnxImportOptions = {}) => importOnnx(readFileSync(new URL('ws_big_17.onnx', DIR)), options).graph;
const run = (graph: Graph, inputs: Record<string, Tensor>) => runGraph(graph, inputs, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24 });
const weightOf = (graph: Graph, layer: string) => graph.constants.get(graph.layers.find((l) => l.name === layer)!.weights!.weight.constant)!;

describe('a standardised weight of 73,728 values (PyTorch StdConv2d 64 → 128, 3×3) folds and runs', () => {
  it('the weight is held, its first values within 1e-6 of PyTorch\'s, each output channel\'s Σw² (576·v/(v + ε), ≈ 575) within 1e-5 relative', () => {
    const w = weightOf(big(), '/big/Conv');
    expect([w.shape, w.typed?.length]).toEqual([truth.bigWeight.shape, 73_728]);
    const data = w.typed as Float32Array;
    expect(scaledError(data.subarray(0, 64), truth.bigWeight.first)).toBeLessThanOrEqual(1e-6);
    const sums = Array.from({ length: 128 }, (_, o) => data.subarray(o * 576, (o + 1) * 576).reduce((s, v) => s + v * v, 0));
    sums.forEach((s, o) => expect(Math.abs(s - truth.bigWeight.sumSquares[o]) / truth.bigWeight.sumSquares[o]).toBeLessThanOrEqual(1e-5));
  });

  it('the network runs to PyTorch\'s output within 1e-5, and analyses to its 76,938 parameters', () => {
    const graph = big();
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: truth.params });
    const out = run(graph, { input: tensor(truth.input.shape, truth.input.data) }).outputs.output;
    expect(out.shape).toEqual(truth.output.shape);
    expect(scaledError(out.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it('MAX_FOLDED_ELEMENTS 1,000, far below the weight: it folds all the same (the budget grows by the 1,728 + 73,728 raw weights read) and runs to the same output', () => {
    const graph = big({ maxFolded: 1000 });
    expect(weightOf(graph, '/big/Conv').typed?.length).toBe(73_728);
    expect(scaledError(run(graph, { input: tensor(truth.input.shape, truth.input.data) }).outputs.output.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it('imported for an analysis (values: false): the same report, and no weight value computed', () => {
    const graph = big({ values: false });
    expect(analyzeGraph(graph, DEFAULTS)).toEqual(analyzeGraph(big(), DEFAULTS));
    const w = weightOf(graph, '/big/Conv');
    expect([w.typed, w.folded?.unheld]).toEqual([null, 'its values are folded for a run only (an analysis reads its shape)']);
  });

  it('POST /v1/analyze\'s task imports so (no value computed); a run\'s folds the weight and runs to PyTorch\'s output', () => {
    const source = { kind: 'onnx' as const, bytes: readFileSync(new URL('ws_big_17.onnx', DIR)), inputShapes: {} };
    const { graph, report } = analyzeNetwork({ source, options: DEFAULTS });
    expect([report.totals.params, weightOf(graph, '/big/Conv').typed]).toEqual([truth.params, null]);
    const out = runTask({ source, inputs: { input: tensor(truth.input.shape, truth.input.data) }, training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24 }).outputs.output;
    expect(scaledError(out.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });
});

/** x [1, ci, 1, 1] → Conv(x, weight), the weight computed by `nodes` from W [rows, cols, 1, 1] = ((i·7) mod 11) − 5 and `two` = 2. */
const model = (rows: number, cols: number, ci: number, weight: string, nodes: NodeSpec[]) =>
  onnxModel({
    inputs: [{ name: 'x', shape: [1, ci, 1, 1] }],
    outputs: ['y'],
    initializers: [
      { name: 'W', dims: [rows, cols, 1, 1], data: Array.from({ length: rows * cols }, (_, i) => ((i * 7) % 11) - 5) },
      { name: 'two', dims: [], data: [2] },
    ],
    nodes: [...nodes, { op: 'Conv', inputs: ['x', weight], outputs: ['y'], name: 'conv' }],
    opset: 13,
  });
const ones = (n: number) => ({ x: tensor([1, n, 1, 1], new Float32Array(n).fill(1)) });
/** Σ_c W[o, c] for W of `cols` columns: 2·W·x for x of ones, doubled. */
const rowSum = (o: number, cols: number) => Array.from({ length: cols }, (_, c) => (((o * cols + c) * 7) % 11) - 5).reduce((s, v) => s + v, 0);

describe('one value: as large as the largest float initializer it is computed from, else 65,536 (MAX_FOLDED_TENSOR)', () => {
  it('W·2 of 257·256 = 65,792 values (over 65,536, the size of W) folds and runs: y[o] = 2·Σ_c W[o, c]', () => {
    const graph = importOnnx(model(257, 256, 256, 'W2', [{ op: 'Mul', inputs: ['W', 'two'], outputs: ['W2'], name: 'ws' }]), {}).graph;
    const y = run(graph, ones(256)).outputs.y.data;
    expect([y[0], y[1], y[256]]).toEqual([2 * rowSum(0, 256), 2 * rowSum(1, 256), 2 * rowSum(256, 256)]);
  });

  it('Concat(W, W) of 2·256·256 = 131,072 values, twice W: analysed, not folded, and a run names MAX_FOLDED_TENSOR and W', () => {
    const graph = importOnnx(model(256, 256, 256, 'WW', [{ op: 'Concat', inputs: ['W', 'W'], outputs: ['WW'], name: 'twice', attrs: { axis: { i: 0 } } }]), {}).graph;
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: 256 * 256, macs: 512 * 256 });
    const e = errorOf(() => run(graph, ones(256)));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toContain("node 'twice' (Concat) computes 131,072 values, more than one folded value may hold (65,536, MAX_FOLDED_TENSOR, or as many as the largest float initializer it is computed from: 'W', 65,536)");
  });
});

describe('memory: what folding holds, within MAX_FOLDED_ELEMENTS + the initializers read + 3 × the largest in flight', () => {
  // five convs in a chain, each weight W·2 (W [64, 64, 1, 1], 4,096 values), with MAX_FOLDED_ELEMENTS 1,000:
  // 'two' takes 1 as the file's literal and 1 as the float32 copy the kernel reads (998 left); the
  // first fold reads W (+4,096, once) and holds W decoded and its product: 998 − 4,096 left; each
  // further product 4,096 more, with 3 × 4,096 = 12,288 in flight allowed: the 2nd leaves
  // 998 − 8,192, the 3rd 998 − 12,288; the 4th would need 4,096 of 998
  const nodes: NodeSpec[] = [];
  for (let k = 1; k <= 5; k++) nodes.push({ op: 'Mul', inputs: ['W', 'two'], outputs: [`W${k}`], name: `m${k}` }, { op: 'Conv', inputs: [k === 1 ? 'x' : `y${k - 1}`, `W${k}`], outputs: [k === 5 ? 'y' : `y${k}`], name: `conv${k}` });
  const file = onnxModel({ inputs: [{ name: 'x', shape: [1, 64, 1, 1] }], outputs: ['y'], initializers: [{ name: 'W', dims: [64, 64, 1, 1], data: Array.from({ length: 4096 }, (_, i) => ((i * 7) % 11) - 5) }, { name: 'two', dims: [], data: [2] }], nodes, opset: 13 });
  const graph = importOnnx(file, { maxFolded: 1000 }).graph;

  it('three copies of W·2 are held (16,384 values with W, within 1,000 + 4,096 + 12,288), exactly 2·W (W = ((i·7) mod 11) − 5: −5, 2, −2, 5 …); the 4th and 5th are not', () => {
    const held = [1, 2, 3, 4, 5].map((k) => weightOf(graph, `conv${k}`).typed);
    expect(held.map((t) => t?.length ?? null)).toEqual([4096, 4096, 4096, null, null]);
    expect(Array.from(held[2]!).slice(0, 4)).toEqual([-10, 4, -4, 10]);
  });

  it('a run refuses at conv4, naming MAX_FOLDED_ELEMENTS and what is left', () => {
    const e = errorOf(() => run(graph, ones(64)));
    expect([e.code, e.details.layer]).toEqual(['INVALID_TENSOR', 'conv4']);
    expect(e.message).toContain("folding it needs up to 4,096 more values at node 'm4' (Mul), and 998 are left of MAX_FOLDED_ELEMENTS (the graph's folding budget grown by the float initializers folded, and 12,288 in flight (3 × 'W'))");
  });
});

describe('work: a chain of 10,000 Adds over a weight of 589,824 values stops folding within the graph\'s work', () => {
  // W [256, 256, 3, 3]; a_k = a_{k−1} + one; each Add takes 589,824 FLOPs + 589,824 elements
  // written = 1,179,648; the graph's folds may take 2^22 + 16 · 589,824 = 13,631,488: eleven Adds
  // (12,976,128), and 655,360 are left for the twelfth
  const n = 256 * 256 * 9;
  const chain: NodeSpec[] = Array.from({ length: 10_000 }, (_, k) => ({ op: 'Add', inputs: [k === 0 ? 'W' : `a${k}`, 'one'], outputs: [`a${k + 1}`], name: `add${k + 1}` }));
  const file = onnxModel({
    inputs: [{ name: 'x', shape: [1, 256, 4, 4] }],
    outputs: ['y'],
    initializers: [{ name: 'W', dims: [256, 256, 3, 3], data: Array.from({ length: n }, (_, i) => (i % 5) - 2) }, { name: 'one', dims: [], data: [1] }],
    nodes: [...chain, { op: 'Conv', inputs: ['x', 'a10000'], outputs: ['y'], name: 'conv', attrs: { pads: { ints: [1, 1, 1, 1] } } }],
    opset: 13,
  });
  const graph = importOnnx(file, {}).graph;
  const reason = "node 'add12' (Add) takes 1,179,648 operations, and 655,360 are left of the graph's folding work (13,631,488: 4,194,304 + 16 per element of the float initializers folded)";

  it('the weight keeps its shape, unheld with the reason; the analysis is whole (the Adds folded away)', () => {
    const w = weightOf(graph, 'conv');
    expect([w.shape, w.typed, w.folded?.unheld]).toEqual([[256, 256, 3, 3], null, reason]);
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: n });
  });

  it('a run refuses at the conv with that reason', () => {
    const e = errorOf(() => run(graph, { x: tensor([1, 256, 4, 4]) }));
    expect([e.code, e.details.layer]).toEqual(['INVALID_TENSOR', 'conv']);
    expect(e.message).toContain(reason);
  });
});
