/**
 * Weight-standardised convolutions exported without constant folding (scripts/
 * export_weight_standardisation.py): timm's StdConv2d (a BatchNormalization of the reshaped
 * weight), BiT's (w − mean)/√(var + ε), NFNet's ScaledStdConv2d (with a gain), the same by
 * InstanceNormalization, a standardised ConvTranspose2d and a standardised Linear (a Gemm whose B
 * is computed). Each weight folds at import by the graph's own nodes, run by their operators'
 * kernels (graph/fold-constants.ts); they were all unsupported ("the weight is computed in the
 * graph"). Figures are PyTorch's: sum(p.numel()) per module (the raw weight, the bias and the
 * gain), MACs by forward hooks, the standardised weights and the model's output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { Graph } from '../../src/graph/graph.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface Truth {
  params: number;
  modules: Record<string, { params: number; macs: number; outputShape: number[] }>;
  weights: Record<'stem' | 'scaled', Encoded>;
  input: Encoded;
  output: Encoded;
}
const DIR = new URL('../fixtures/onnx/ws/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as Truth;
const load = (name: string, maxFolded?: number) => importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {}, ...(maxFolded ? { maxFolded } : {}) }).graph;
const run = (graph: Graph) => runGraph(graph, { input: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
/** The module a layer is (torch names its nodes /<module>/<Op>). */
const LAYERS = { stem: '/stem/Conv', bit: '/bit/Conv', scaled: '/scaled/Conv', inorm: '/inorm/Conv', deconv: '/deconv/ConvTranspose', head: '/head/Gemm' } as const;

describe.each(['ws_13', 'ws_17', 'ws_17_stripped'])('%s: every standardised layer analysed with PyTorch\'s figures', (name) => {
  const report = analyzeGraph(load(name), DEFAULTS);

  it(`complete, ${truth.params.toLocaleString('en-US')} parameters in all (PyTorch's sum(p.numel()): raw weights, biases, the gain)`, () => {
    expect(report.totals).toMatchObject({ complete: true, unsupported: [], params: truth.params });
  });

  it.each(Object.entries(LAYERS))('%s (%s): its module\'s parameters, MACs and output shape', (module, layer) => {
    const l = report.layers.find((x) => x.name === layer)!;
    const m = truth.modules[module];
    expect([l.params, l.macs, l.outputShape]).toEqual([m.params, m.macs, m.outputShape]);
  });

  it('the standardisation nodes are folded away: the layers left are the six weighted ones, five ReLUs and the mean', () => {
    expect(report.layers.map((l) => l.op).sort()).toEqual(['conv2d', 'conv2d', 'conv2d', 'conv2d', 'convTranspose2d', 'linear', 'reduceMean', 'relu', 'relu', 'relu', 'relu', 'relu']);
    expect(report.totals.folded).toEqual(expect.arrayContaining(['/stem/BatchNormalization', '/bit/Sqrt', '/bit/Div', '/scaled/Mul', '/inorm/InstanceNormalization', '/deconv/Div', '/head/Div']));
  });
});

describe('the folded weights are what PyTorch computes, and the network runs to PyTorch\'s output', () => {
  it.each(['ws_13', 'ws_17'])('%s: stem\'s and scaled\'s standardised weights within 1e-6 of PyTorch\'s; the output within 1e-5', (name) => {
    const graph = load(name);
    for (const module of ['stem', 'scaled'] as const) {
      const layer = graph.layers.find((l) => l.name === LAYERS[module])!;
      const w = graph.constants.get(layer.weights!.weight.constant)!;
      expect([module, w.shape]).toEqual([module, truth.weights[module].shape]);
      expect([module, scaledError(w.typed as Float32Array, truth.weights[module].data) <= 1e-6]).toEqual([module, true]);
    }
    const out = run(graph).outputs.output;
    expect(out.shape).toEqual(truth.output.shape);
    expect(scaledError(out.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });

  it('weights stripped: a run is refused at the first folded weight, saying the file carries no data for the raw one', () => {
    const e = errorOf(() => run(load('ws_17_stripped')));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toMatch(/^the model file computes '\/stem\/Conv\.weight' from constants .*the file carries no data for 'stem\.weight' \(weights stripped\)/);
  });
});

describe('folding keeps the limits of constant folding', () => {
  it('MAX_FOLDED_ELEMENTS 1,000: the same analysis (shapes fold), the values of the later weights are not held, and a run names the limit', () => {
    const graph = load('ws_17', 1000);
    const report = analyzeGraph(graph, DEFAULTS);
    expect(report.totals).toMatchObject({ complete: true, params: truth.params });
    let held = 0;
    for (const c of graph.constants.values()) if (c.folded && c.typed) held += c.typed.length;
    expect(held).toBeLessThanOrEqual(1000);
    expect(errorOf(() => run(graph)).message).toMatch(/left of MAX_FOLDED_ELEMENTS/);
  });

  /** x [1, C, 1, 1] → Conv(x, W·2), W [co, C, 1, 1] with data. */
  const doubled = (co: number, c: number) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, c, 1, 1] }],
      outputs: ['y'],
      initializers: [
        { name: 'W', dims: [co, c, 1, 1], data: Array.from({ length: co * c }, (_, i) => ((i * 7) % 11) - 5) },
        { name: 'two', dims: [], data: [2] },
      ],
      nodes: [
        { op: 'Mul', inputs: ['W', 'two'], outputs: ['W2'], name: 'ws' },
        { op: 'Conv', inputs: ['x', 'W2'], outputs: ['y'], name: 'c1' },
      ],
      opset: 13,
    });

  it('a weight of 256·256 = 65,536 values (MAX_FOLDED_TENSOR) folds and runs: y = 2·W·x, here 2·Σ_c W[o, c] for x of ones', () => {
    const graph = importOnnx(doubled(256, 256), {}).graph;
    const y = runGraph(graph, { x: tensor([1, 256, 1, 1], new Float32Array(256).fill(1)) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.y.data;
    // row o of W holds ((o·256 + c)·7 mod 11) − 5 for c < 256
    const expected = (o: number) => 2 * Array.from({ length: 256 }, (_, c) => (((o * 256 + c) * 7) % 11) - 5).reduce((s, v) => s + v, 0);
    expect([y[0], y[1], y[255]]).toEqual([expected(0), expected(1), expected(255)]);
  });

  it('one of 257·256 = 65,792 values is analysed but not folded: a run names MAX_FOLDED_TENSOR', () => {
    const graph = importOnnx(doubled(257, 256), {}).graph;
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: 257 * 256, macs: 257 * 256 });
    const e = errorOf(() => runGraph(graph, { x: tensor([1, 256, 1, 1]) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 }));
    expect(e.message).toMatch(/node 'ws' \(Mul\) computes 65,792 values, more than one folded value may hold \(65,536, MAX_FOLDED_TENSOR\)/);
  });
});
