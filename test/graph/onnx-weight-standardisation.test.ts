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

// the limits of folding (past 65,536 values, MAX_FOLDED_ELEMENTS, the graph's work): onnx-fold-limits.test.ts
