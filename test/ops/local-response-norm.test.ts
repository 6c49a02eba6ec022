/**
 * localResponseNorm (src/ops/local-response-norm.ts): hand-worked windows, PyTorch's and ONNX's
 * placement of an even window, the cost, the field, the refusals, and the ONNX LRN node. PyTorch's
 * outputs and gradients are in test/fixtures/operators/norm_activation.json and
 * test/fixtures/vjp/activation.json (scripts/goldens_norm_activation.py, vjp_goldens_activation.py).
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze, errorOf, layer, net } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { run } from './op-helpers.js';

/** x = [1, 2, 3] on three channels of one position. */
const x: [number[], number[]] = [[1, 3, 1, 1], [1, 2, 3]];
const close = (values: number[]) => values.map((v) => expect.closeTo(v, 6));

describe('localResponseNorm: y = x / (k + α/size·Σ window x²)^β', () => {
  it('size=3 α=3 β=1 k=1 on channels [1, 2, 3]: sums 5, 14, 13 (cut short at both ends) → 1/6, 2/15, 3/14', () => {
    expect(run('localResponseNorm', [x], { size: 3, alpha: 3, beta: 1 })[0].data).toEqual(close([1 / 6, 2 / 15, 3 / 14]));
  });

  it("size=2 (even) α=2: PyTorch's window reads c − 1 and c (sums 1, 5, 13); channelsBefore=0, ONNX's, reads c and c + 1 (5, 13, 9)", () => {
    expect(run('localResponseNorm', [x], { size: 2, alpha: 2, beta: 1 })[0].data).toEqual(close([1 / 2, 2 / 6, 3 / 14]));
    expect(run('localResponseNorm', [x], { size: 2, alpha: 2, beta: 1, channelsBefore: 0 })[0].data).toEqual(close([1 / 6, 2 / 14, 3 / 10]));
  });

  it('defaults α=1e-4 β=0.75 k=1, size=1: y = x / (1 + 1e-4·x²)^0.75', () => {
    expect(run('localResponseNorm', [[[1, 1, 2], [10, -20]]], { size: 1 })[0].data).toEqual(close([10 / 1.01 ** 0.75, -20 / 1.04 ** 0.75]));
  });

  it("AlexNet's LRN (size 5) on [1,96,55,55]: no params, (5 + 5)·290,400 = 2,904,000 FLOPs, the conv's field kept", () => {
    const r = analyze(net([1, 3, 227, 227], { op: 'conv2d', outChannels: 96, kernelSize: 11, stride: 4 }, { op: 'localResponseNorm', size: 5, alpha: 1e-4, beta: 0.75, k: 2 }));
    const l = layer(r, 'l1');
    expect([l.outputShape, l.params, l.macs, l.flops]).toEqual([[1, 96, 55, 55], 0, 0, 2_904_000]);
    expect(l.receptiveField).toEqual(layer(r, 'l0').receptiveField);
  });

  it('refused: a rank-2 input (RANK_MISMATCH, as PyTorch), channelsBefore past size − 1 (INVALID_ATTRIBUTE), size 0 (SPEC_INVALID, the schema)', () => {
    expect(errorOf(() => analyze(net([4, 8], { op: 'localResponseNorm', size: 3 }))).code).toBe('RANK_MISMATCH');
    const before = errorOf(() => analyze(net([1, 8, 4, 4], { op: 'localResponseNorm', size: 3, channelsBefore: 3 })));
    expect([before.code, before.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.layers[0].channelsBefore']);
    expect(errorOf(() => analyze(net([1, 8, 4, 4], { op: 'localResponseNorm', size: 0 }))).code).toBe('SPEC_INVALID');
  });
});

describe('ONNX LRN', () => {
  const lrnModel = (attrs: Record<string, { i: number } | { f: number }>) =>
    onnxModel({ inputs: [{ name: 'x', shape: [1, 3, 1, 1] }], outputs: ['y'], nodes: [{ op: 'LRN', inputs: ['x'], outputs: ['y'], name: 'n', attrs }], initializers: [], opset: 13 });

  it("size=2 alpha=2 beta=1 bias=1: localResponseNorm with ONNX's window (channelsBefore 0), k from bias", () => {
    const l = importOnnx(lrnModel({ size: { i: 2 }, alpha: { f: 2 }, beta: { f: 1 }, bias: { f: 1 } }), { inputShapes: {} }).graph.layers[0];
    expect([l.op, l.attrs]).toEqual(['localResponseNorm', { size: 2, alpha: 2, beta: 1, k: 1, channelsBefore: 0 }]);
    expect(run('localResponseNorm', [x], l.attrs)[0].data).toEqual(close([1 / 6, 2 / 14, 3 / 10]));
  });

  it('size=5 with the defaults: alpha 1e-4, beta 0.75, bias 1, 2 channels before (as PyTorch for an odd size); without size: unsupported, saying why', () => {
    const l = importOnnx(lrnModel({ size: { i: 5 } }), { inputShapes: {} }).graph.layers[0];
    expect(l.attrs).toEqual({ size: 5, alpha: 1e-4, beta: 0.75, k: 1, channelsBefore: 2 });
    const report = analyzeGraph(importOnnx(lrnModel({}), { inputShapes: {} }).graph, DEFAULTS);
    expect(report.totals.unsupported).toEqual([{ opType: 'LRN', count: 1, nodes: ['n'], reasons: ['LRN without its required attribute size'] }]);
  });
});
