/**
 * ONNX Conv/MaxPool/AveragePool over 1 and 3 spatial axes: tiny audio and video CNNs exported by
 * torch.onnx.export at opsets 13 and 17 with their weights (scripts/export_conv_nd_onnx.py),
 * analysed (MACs worked by hand) and run to PyTorch's outputs (≤ 1e-4 of scale); and hand-built
 * nodes for the attribute mapping.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, layer, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx-nd/', import.meta.url);
const load = (name: string) => readFileSync(new URL(name, DIR));
const golden = (name: string) => JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as { params: number; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } };
const graphOf = (bytes: Uint8Array) => importOnnx(bytes, { inputShapes: {} }).graph;

describe.each([13, 17])('torch.onnx.export opset %i', (opset) => {
  it('audio 1-D: conv1d s=4 (BN folded) → maxPool1d → grouped dilated conv1d → avgPool1d → depthwise ×2; MACs 3,600 + 2,400 + 576', () => {
    const bytes = load(`audio1d_op${opset}.onnx`);
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.layers.filter((l) => l.op === 'conv1d').map((l) => l.outputShape)).toEqual([[1, 8, 50], [1, 8, 25], [1, 16, 12]]);
    // front 8·50·1·9, mid 8·25·(8/2)·3, depthwise 16·12·1·3
    expect(r.totals.macs).toBe(8 * 50 * 9 + 8 * 25 * 4 * 3 + 16 * 12 * 3);
    // PyTorch's 256 less the BN's 16 (γ, β), which the exporter folded into front's weight and bias
    expect(golden(`audio1d_op${opset}.json`).params).toBe(256);
    expect(r.totals.params).toBe(256 - 16);
    const g = golden(`audio1d_op${opset}.json`);
    const { outputs } = runGraph(graphOf(bytes), { x: tensor(g.input.shape, g.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(outputs.y.shape).toEqual(g.output.shape);
    expect(scaledError(outputs.y.data, g.output.data)).toBeLessThan(1e-4);
  });

  it('video 3-D: r3d-style stem 3×7×7 s=1×2×2, maxPool3d, (2+1)-D convs, avgPool3d ceil; MACs by hand; runs to PyTorch', () => {
    const bytes = load(`video3d_op${opset}.onnx`);
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.complete).toBe(true);
    const stem = layer(r, '/stem/Conv');
    expect(stem.op).toBe('conv3d');
    expect(stem.outputShape).toEqual([1, 8, 4, 8, 8]);
    expect(layer(r, '/pool/MaxPool').outputShape).toEqual([1, 8, 4, 4, 4]);
    expect(layer(r, '/avg/AveragePool').outputShape).toEqual([1, 8, 2, 2, 2]);
    // stem 8·(4·8·8)·3·147, spatial 12·64·8·9, temporal 8·64·12·3, out 4·(1·2·2)·8·2
    expect(r.totals.macs).toBe(8 * 256 * 441 + 12 * 64 * 72 + 8 * 64 * 36 + 4 * 4 * 16);
    // PyTorch's 4,784 less BN3d's 16, plus the 8-element bias the folding gave the bias-free stem
    expect(r.totals.params).toBe(golden(`video3d_op${opset}.json`).params - 16 + 8);
    // the stem's field per axis [d, h, w]: its kernel, at its stride
    expect(stem.receptiveField).toMatchObject({ global: false, axes: ['d', 'h', 'w'], size: [3, 7, 7], stride: [1, 2, 2] });
    const g = golden(`video3d_op${opset}.json`);
    const { outputs } = runGraph(graphOf(bytes), { x: tensor(g.input.shape, g.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(outputs.y.shape).toEqual(g.output.shape);
    expect(scaledError(outputs.y.data, g.output.data)).toBeLessThan(1e-4);
  });
});

describe('ONNX 1-D/3-D window attributes', () => {
  it('Conv W [4,2,3] pads [1,2] strides [2] → conv1d padding [1,2]: floor((9 + 3 − 3)/2) + 1 = 5', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 9] }],
      outputs: ['y'],
      nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'], attrs: { pads: { ints: [1, 2] }, strides: { ints: [2] } } }],
      initializers: [{ name: 'W', dims: [4, 2, 3], data: Array(24).fill(0.5) }],
      opset: 17,
    });
    const l = layer(analyzeGraph(graphOf(bytes), DEFAULTS), 'c');
    expect(l.op).toBe('conv1d');
    expect(l.outputShape).toEqual([1, 4, 5]);
    expect(l.params).toBe(24);
  });

  it('ConvTranspose W [2,3,2,2,2] strides [2,2,2] output_padding [1,0,0] on [1,2,2,3,3] → convTranspose3d [1,3,5,6,6], 48 params', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 2, 3, 3] }],
      outputs: ['y'],
      nodes: [{ op: 'ConvTranspose', name: 't', inputs: ['x', 'W'], outputs: ['y'], attrs: { strides: { ints: [2, 2, 2] }, output_padding: { ints: [1, 0, 0] } } }],
      initializers: [{ name: 'W', dims: [2, 3, 2, 2, 2], data: Array(48).fill(0.25) }],
      opset: 17,
    });
    const l = layer(analyzeGraph(graphOf(bytes), DEFAULTS), 't');
    expect(l.op).toBe('convTranspose3d');
    // t: (2 − 1)·2 + 2 + 1 = 5; h, w: (3 − 1)·2 + 2 = 6
    expect(l.outputShape).toEqual([1, 3, 5, 6, 6]);
    expect(l.params).toBe(48);
  });

  it('MaxPool kernel_shape [2,2,2] auto_pad SAME_UPPER strides [2,2,2] on [1,1,3,5,5] → maxPool3d [1,1,2,3,3]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 3, 5, 5] }],
      outputs: ['y'],
      nodes: [{ op: 'MaxPool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2, 2, 2] }, strides: { ints: [2, 2, 2] }, auto_pad: { s: 'SAME_UPPER' } } }],
      initializers: [],
      opset: 17,
    });
    const l = layer(analyzeGraph(graphOf(bytes), DEFAULTS), 'p');
    expect(l.op).toBe('maxPool3d');
    expect(l.outputShape).toEqual([1, 1, 2, 3, 3]);
  });
});

describe("torchvision's r3d_18 exported at opset 17 (weights stripped; scripts/export_conv_nd_onnx.py)", () => {
  it('analyses completely through its 5-D GlobalAveragePool: MACs 40,696,553,472 (torchvision 40.70 G), params 33,371,472 − 9,600 BN γ/β + 4,800 biases (BN folded by the exporter)', () => {
    const r = analyzeGraph(graphOf(load('r3d_18_op17.onnx')), DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.macs).toBe(40_696_553_472);
    expect(r.totals.params).toBe(33_371_472 - 9_600 + 4_800);
    expect(r.outputs[0].shape).toEqual([1, 400]);
  });
});

describe('GlobalAveragePool over 1 and 3 spatial axes', () => {
  it('x=[1,2,3] (N, C, L) → [1,2,1], the mean of each channel; [1,1,2,2,2] → [1,1,1,1,1]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 3] }],
      outputs: ['y'],
      nodes: [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'], name: 'gap' }],
    });
    const graph = graphOf(bytes);
    expect(analyzeGraph(graph, DEFAULTS).outputs[0].shape).toEqual([1, 2, 1]);
    const y = runGraph(graph, { x: tensor([1, 2, 3], [1, 2, 3, 4, 5, 9]) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.y;
    expect(Array.from(y.data)).toEqual([2, 6]);
    const cube = onnxModel({ inputs: [{ name: 'x', shape: [1, 1, 2, 2, 2] }], outputs: ['y'], nodes: [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }] });
    expect(analyzeGraph(graphOf(cube), DEFAULTS).outputs[0].shape).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('a Conv weight of a rank no window has: the reason says what is wrong', () => {
  const reason = (op: string, x: number[], w: number[]) => {
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: x }], outputs: ['y'], nodes: [{ op, name: 'c', inputs: ['x', 'W'], outputs: ['y'] }], initializers: [{ name: 'W', dims: w }], opset: 17 });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.complete).toBe(false);
    return r.totals.unsupported[0].reasons[0];
  };
  it.each([
    ['Conv', [4], 'weight W [4] has rank 1: a convolution weight is [M, C/group, k1, …], of rank 3 or more'],
    ['Conv', [], 'weight W [] has rank 0: a convolution weight is [M, C/group, k1, …], of rank 3 or more'],
    ['ConvTranspose', [3, 4], 'weight W [3, 4] has rank 2: a transposed convolution weight is [M, C/group, k1, …], of rank 3 or more'],
  ])('%s on x [1,3,8,8] with W %j (it read "a -1-D convolution: only 2-D is supported")', (op, w, want) => {
    expect(reason(op, [1, 3, 8, 8], w)).toBe(want);
  });

  it('Conv over 4 spatial axes, W [1,1,1,1,1,1] on x [1,1,2,2,2,2]: "a 4-D convolution: only 1-D, 2-D and 3-D are supported" (1-D and 3-D are)', () => {
    expect(reason('Conv', [1, 1, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1])).toBe('a 4-D convolution: only 1-D, 2-D and 3-D are supported');
  });
});
