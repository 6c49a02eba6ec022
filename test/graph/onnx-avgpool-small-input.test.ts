/**
 * ONNX AveragePool over 3 axes on an input smaller than the kernel but not than the padded input.
 * PyTorch's avg_pool3d refuses it whatever the padding ("input image smaller than kernel size"),
 * ONNX (and onnxruntime) pools the padded input: the importer sets smallInput 'pad', so the file
 * analyses and runs, while the same layer in a JSON spec or an operator call is still refused.
 * X [1,1,2,4,4], kernel 3, pads 1 on every side, stride 1: output [1,1,2,4,4]; per axis the windows
 * hold real units depth {0,1} {0,1}, height and width {0,1} {0,1,2} {1,2,3} {2,3}.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, layer, net } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const model = (countIncludePad: number) =>
  importOnnx(
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], name: 'avg', attrs: { kernel_shape: { ints: [3, 3, 3] }, pads: { ints: [1, 1, 1, 1, 1, 1] }, count_include_pad: { i: countIncludePad } } }],
    }),
    { inputShapes: {} },
  ).graph;
const runOnnx = (countIncludePad: number, data: number[]) =>
  runGraph(model(countIncludePad), { x: tensor([1, 1, 2, 4, 4], data) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.y;

describe('ONNX AveragePool 3-D, kernel 3 over depth 2, pads 1 (opset 13): ONNX semantics', () => {
  it("imports as avgPool3d with smallInput 'pad' and analyses to [1,1,2,4,4], 27 adds per output", () => {
    const g = model(0);
    expect(g.layers.find((l) => l.name === 'avg')?.attrs).toMatchObject({ smallInput: 'pad' });
    const l = layer(analyzeGraph(g, DEFAULTS), 'avg');
    expect([l.op, l.outputShape, l.flopsByConvention['2macs']]).toEqual(['avgPool3d', [1, 1, 2, 4, 4], 32 * 27]);
  });

  it('count_include_pad 1 on ones: real units / 27, rows [8,12,12,8] [12,18,18,12] [12,18,18,12] [8,12,12,8] in both depths', () => {
    const plane = [8, 12, 12, 8, 12, 18, 18, 12, 12, 18, 18, 12, 8, 12, 12, 8];
    const y = runOnnx(1, Array<number>(32).fill(1));
    expect(y.shape).toEqual([1, 1, 2, 4, 4]);
    expect(Array.from(y.data)).toEqual([...plane, ...plane].map((n) => Math.fround(n / 27)));
  });

  it('count_include_pad 0 (default) on x = t·16 + h·4 + w: the mean of the real units, 8 + 4·mean h + mean w', () => {
    // mean t = ½ in both depth windows; mean h (and w) per window ½, 1, 2, 2½
    const means = [0.5, 1, 2, 2.5];
    const plane = means.flatMap((h) => means.map((w) => 8 + 4 * h + w));
    const y = runOnnx(0, Array.from({ length: 32 }, (_, i) => i));
    expect(Array.from(y.data)).toEqual([...plane, ...plane]);
    expect(plane.slice(0, 4)).toEqual([10.5, 11, 12, 12.5]);
  });
});

describe('the same layer from a JSON spec or an operator call keeps PyTorch refusal; smallInput pad opts in', () => {
  it('spec: avgPool3d kernel 3 padding 1 on [1,1,2,4,4] is KERNEL_TOO_LARGE at $.layers[0].kernelSize', () => {
    const e = errorOf(() => analyze(net([1, 1, 2, 4, 4], { op: 'avgPool3d', kernelSize: 3, padding: 1 })));
    expect([e.code, e.status, e.details.path]).toEqual(['KERNEL_TOO_LARGE', 400, '$.layers[0].kernelSize']);
    expect(e.message).toContain('depth 2 < 3');
  });

  it("operator call: refused at $.attributes.kernelSize; with smallInput 'pad' and stride 1 the ONNX values (count_include_pad: corner 8/27, (0,1,1) 18/27)", () => {
    const call = { name: 'avgPool3d', inputs: [tensor([1, 1, 2, 4, 4], Array<number>(32).fill(1))], weights: {}, training: false, seed: 0, maxElements: 1 << 20 };
    const e = errorOf(() => runOperator({ ...call, attributes: { kernelSize: 3, padding: 1 } }));
    expect([e.code, e.details.path]).toEqual(['KERNEL_TOO_LARGE', '$.attributes.kernelSize']);
    const y = runOperator({ ...call, attributes: { kernelSize: 3, stride: 1, padding: 1, smallInput: 'pad' } }).outputs[0];
    expect([y.data[0], y.data[5]]).toEqual([Math.fround(8 / 27), Math.fround(18 / 27)]);
  });

  it('avgPool1d has no smallInput (PyTorch avg_pool1d has no such rule): INVALID_ATTRIBUTE or SPEC_INVALID naming it', () => {
    const e = errorOf(() => analyze(net([1, 1, 4], { op: 'avgPool1d', kernelSize: 3, smallInput: 'pad' })));
    expect(e.status).toBe(400);
    expect(e.details.path).toBe('$.layers[0].smallInput');
  });
});
