/**
 * A Conv's kernel_shape that is not its weight's spatial dims was taken silently from the weight
 * (found by fuzzing the service; onnxruntime refuses the file): now ONNX_GRAPH_INVALID at the
 * attribute, naming the node and both shapes (graph/onnx/node-checks.ts).
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { Attr } from './onnx-builder.js';

/** x [1, 2, 8, 8] → op(x, W): W [4, 2, 3, 3] (Conv) or [2, 4, 3, 3] (ConvTranspose), or of rank 3 or 5 for 1-D and 3-D. */
function conv(attrs: Record<string, Attr>, op = 'Conv', w = [4, 2, 3, 3], x = [1, 2, 8, 8], opset = 13) {
  return onnxModel({ inputs: [{ name: 'x', shape: x }], outputs: ['y'], initializers: [{ name: 'W', dims: w }], nodes: [{ op, inputs: ['x', 'W'], outputs: ['y'], name: 'c1', attrs }], opset });
}

describe("a convolution's kernel_shape must be its weight's spatial dims", () => {
  it('Conv kernel_shape [5, 5] beside a 3×3 W [4, 2, 3, 3] → ONNX_GRAPH_INVALID at the attribute, naming the node and both shapes (it analysed as 3×3)', () => {
    const e = errorOf(() => importOnnx(conv({ strides: { ints: [1, 1] }, kernel_shape: { ints: [5, 5] } })));
    expect(e.code).toBe('ONNX_GRAPH_INVALID');
    expect(e.message).toBe("node 'c1' (Conv) has kernel_shape [5, 5], but its weight 'W' is [4, 2, 3, 3], a [3, 3] kernel: kernel_shape must be the weight's spatial dims");
    expect(e.details).toEqual({ path: '$.graph.node[0].attribute[1]', layer: 'c1', opType: 'Conv', shapes: { kernelShape: [5, 5], weight: [4, 2, 3, 3] } });
  });

  it.each([
    ['ConvTranspose [3, 5] beside W [2, 4, 3, 3]', 'ConvTranspose', [2, 4, 3, 3], [1, 2, 8, 8], [3, 5]],
    ['a 1-D Conv [5] beside W [4, 2, 3]', 'Conv', [4, 2, 3], [1, 2, 8], [5]],
    ['a 3-D Conv [3, 3] (rank 2) beside W [4, 2, 3, 3, 3]', 'Conv', [4, 2, 3, 3, 3], [1, 2, 8, 8, 8], [3, 3]],
  ])('%s → ONNX_GRAPH_INVALID', (_, op, w, x, k) => {
    const e = errorOf(() => importOnnx(conv({ kernel_shape: { ints: k } }, op, w, x)));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', details: { path: '$.graph.node[0].attribute[0]', layer: 'c1', opType: op, shapes: { kernelShape: k, weight: w } } });
  });

  it('a kernel_shape that agrees (or none) imports: the 3×3 conv, 4·2·9 = 72 parameters, [1, 4, 6, 6]', () => {
    for (const attrs of [{ kernel_shape: { ints: [3, 3] } }, {}] as Record<string, Attr>[]) {
      const { graph } = importOnnx(conv(attrs));
      const report = analyzeGraph(graph, DEFAULTS);
      expect([report.layers[0].params, report.layers[0].outputShape]).toEqual([72, [1, 4, 6, 6]]);
    }
  });
});

describe('a Conv whose weight the graph computes', () => {
  /** x [1, 2, 8, 8] → Conv(x, W2), W2 = Mul(w, two): w the initializer W [4, 2, 3, 3] (stripped), or a second graph input. */
  const scaledWeight = (w: 'W' | 'wIn', attrs: Record<string, Attr> = {}) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, ...(w === 'wIn' ? [{ name: 'wIn', shape: [4, 2, 3, 3] }] : [])],
      outputs: ['y'],
      initializers: [...(w === 'W' ? [{ name: 'W', dims: [4, 2, 3, 3] }] : []), { name: 'two', dims: [], data: [2] }],
      nodes: [
        { op: 'Mul', inputs: [w, 'two'], outputs: ['W2'], name: 'ws' },
        { op: 'Conv', inputs: ['x', 'W2'], outputs: ['y'], name: 'c1', attrs },
      ],
      opset: 13,
    });

  it('W2 = W·2 (a Mul over the initializer): folded at import (it was unsupported), the conv analysed with W\'s 72 parameters (the scalar 2 is a literal), the Mul listed in totals.folded', () => {
    const r = analyzeGraph(importOnnx(scaledWeight('W'), { inputShapes: {} }).graph, DEFAULTS);
    expect(r.totals).toMatchObject({ complete: true, unsupported: [], folded: ['ws'], params: 72, macs: 4 * 36 * 18 });
    expect(r.layers.map((l) => [l.name, l.outputShape])).toEqual([['c1', [1, 4, 6, 6]]]);
  });

  it('a 1-D Conv whose W [4, 2, 3] is W·2: folded the same, conv1d over [1, 2, 8] → [1, 4, 6], 24 parameters', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 8] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [4, 2, 3] }, { name: 'two', dims: [], data: [2] }],
      nodes: [
        { op: 'Mul', inputs: ['W', 'two'], outputs: ['W2'], name: 'ws' },
        { op: 'Conv', inputs: ['x', 'W2'], outputs: ['y'], name: 'c1' },
      ],
      opset: 13,
    });
    const r = analyzeGraph(importOnnx(bytes, { inputShapes: {} }).graph, DEFAULTS);
    expect(r.layers.map((l) => [l.op, l.outputShape, l.params])).toEqual([['conv1d', [1, 4, 6], 24]]);
  });

  it("a weight computed from a graph input (a dynamic conv) does not fold: unsupported, the reason naming the input", () => {
    const r = analyzeGraph(importOnnx(scaledWeight('wIn'), { inputShapes: {} }).graph, DEFAULTS);
    expect(r.totals.unsupported).toEqual([{ opType: 'Conv', count: 1, nodes: ['c1'], reasons: [expect.stringMatching(/^the weight W is computed in the graph and does not fold to a constant: 'wIn' is not computed from constants \(an input of the graph\); .*onnxsim in\.onnx out\.onnx/)] }]);
  });

  it('kernel_shape [5, 5] beside the folded weight\'s 3×3 → ONNX_GRAPH_INVALID, as beside a stored one', () => {
    const e = errorOf(() => importOnnx(scaledWeight('W', { kernel_shape: { ints: [5, 5] } }), { inputShapes: {} }));
    expect(e).toMatchObject({ code: 'ONNX_GRAPH_INVALID', details: { layer: 'c1', shapes: { kernelShape: [5, 5], weight: [4, 2, 3, 3] } } });
  });
});
