/**
 * paddingMode of conv1d/2d/3d (src/ops/conv-padding-mode.ts) as a spec: a conv with paddingMode m
 * is the pad op in m's mode followed by the conv unpadded — same shapes, parameters, MACs, FLOPs
 * under every convention, receptive field, outputs and input gradients — and the paddings PyTorch
 * refuses are refused (scripts/goldens_conv_padding_mode.py; its value and gradient goldens run in
 * test/ops/goldens.test.ts and vjp.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, layer, net } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import type { Wire } from './golden-cases.js';

interface Refusal {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  inputs: Wire[];
  weights: Record<string, Wire>;
  torchError: string;
  code: string;
  path: string;
}
const { refusals } = JSON.parse(readFileSync(new URL('../fixtures/operators/conv_padding_mode.json', import.meta.url), 'utf8')) as { refusals: Refusal[] };
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const PAD = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' } as const;

/** Seeded values in [−1, 1) (a sine table: no generator to share between the two ways). */
const values = (n: number, phase: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + phase));
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** One network written both ways: conv with paddingMode, and pad (ONNX pads [begins…, ends…]) then the conv unpadded. */
function bothWays(shape: number[], mode: keyof typeof PAD, conv: Record<string, unknown>, begins: number[], ends: number[]) {
  const rank = shape.length - 2;
  const op = `conv${rank}d`;
  const fused = net(shape, { name: 'conv', op, ...conv, paddingMode: mode });
  const composed = net(shape, { name: 'pad', op: 'pad', mode: PAD[mode], pads: [0, 0, ...begins, 0, 0, ...ends] }, { name: 'conv', op, ...conv, padding: 0 });
  return { fused, composed };
}

const CASES: [string, number[], keyof typeof PAD, Record<string, unknown>, number[], number[]][] = [
  ['conv2d x=[1,3,9,10] k=3 p=1 reflect', [1, 3, 9, 10], 'reflect', { outChannels: 8, kernelSize: 3, padding: 1 }, [1, 1], [1, 1]],
  ['conv2d x=[2,4,7,6] k=5 s=2 p=[2,3] g=2 replicate', [2, 4, 7, 6], 'replicate', { outChannels: 6, kernelSize: 5, stride: 2, padding: [2, 3], groups: 2 }, [2, 3], [2, 3]],
  ['conv2d x=[1,4,5,5] k=3 d=2 p=2 g=4 circular (depthwise)', [1, 4, 5, 5], 'circular', { outChannels: 4, kernelSize: 3, dilation: 2, padding: 2, groups: 4 }, [2, 2], [2, 2]],
  ['conv2d x=[1,2,6,7] k=4 p=same reflect (1 before, 2 after)', [1, 2, 6, 7], 'reflect', { outChannels: 3, kernelSize: 4, padding: 'same' }, [1, 1], [2, 2]],
  ['conv1d x=[2,3,11] k=3 s=2 p=2 reflect', [2, 3, 11], 'reflect', { outChannels: 5, kernelSize: 3, stride: 2, padding: 2 }, [2], [2]],
  ['conv1d x=[1,2,5] k=2 p=[3,1] circular (asymmetric, ONNX order)', [1, 2, 5], 'circular', { outChannels: 2, kernelSize: 2, padding: [3, 1] }, [3], [1]],
  ['conv3d x=[1,2,4,5,6] k=3 p=1 replicate', [1, 2, 4, 5, 6], 'replicate', { outChannels: 3, kernelSize: 3, padding: 1 }, [1, 1, 1], [1, 1, 1]],
  ['conv3d x=[1,1,3,4,4] k=[3,2,3] s=[1,2,1] p=[2,1,3] reflect (input size − 1 on each axis)', [1, 1, 3, 4, 4], 'reflect', { outChannels: 2, kernelSize: [3, 2, 3], stride: [1, 2, 1], padding: [2, 1, 3] }, [2, 1, 3], [2, 1, 3]],
];

describe('conv with paddingMode = pad in that mode, then the conv unpadded', () => {
  it.each(CASES)('%s: the same output shape, params, MACs, FLOPs under every convention and receptive field', (_, shape, mode, conv, begins, ends) => {
    const { fused, composed } = bothWays(shape, mode, conv, begins, ends);
    const [a, b] = [analyze(fused), analyze(composed)];
    const [ca, cb] = [layer(a, 'conv'), layer(b, 'conv')];
    expect(ca.outputShape).toEqual(cb.outputShape);
    expect([ca.params, ca.macs, ca.flopsByConvention, ca.receptiveField]).toEqual([cb.params, cb.macs, cb.flopsByConvention, cb.receptiveField]);
    // the pad layer adds no parameters, MACs or FLOPs
    expect([a.totals.params, a.totals.macs, a.totals.flops]).toEqual([b.totals.params, b.totals.macs, b.totals.flops]);
    // and the conv's count equals zeros padding's: the padding mode changes values, not work
    expect(ca.macs).toBe(layer(analyze(net(shape, { name: 'conv', op: `conv${shape.length - 2}d`, ...conv })), 'conv').macs);
  });

  it.each(CASES)('%s: the same outputs and input gradients as the two ops run one after the other', (_, shape, mode, conv, begins, ends) => {
    const { fused, composed } = bothWays(shape, mode, conv, begins, ends);
    const x = tensor(shape, values(size(shape), 0.3));
    const opts = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };
    const groups = (conv.groups as number | undefined) ?? 1;
    const kernel = Array.isArray(conv.kernelSize) ? (conv.kernelSize as number[]) : Array<number>(shape.length - 2).fill(conv.kernelSize as number);
    const k = [conv.outChannels as number, shape[1] / groups, ...kernel];
    const weights = { 'conv.weight': tensor(k, values(size(k), 1.1)), 'conv.bias': tensor([conv.outChannels as number], values(conv.outChannels as number, 2.3)) };
    const run = (spec: unknown) => Object.values(runGraph(parseNetworkSpec(spec), { x }, { ...opts, weights }).outputs)[0];
    const [ya, yb] = [run(fused), run(composed)];
    expect(ya.shape).toEqual(yb.shape);
    expect(Array.from(ya.data)).toEqual(Array.from(yb.data));

    // gradients: the fused op's VJP against the conv's (over the padded input) then the pad's
    const g = tensor(ya.shape, values(size(ya.shape), 0.7));
    const w = { weight: weights['conv.weight'], bias: weights['conv.bias'] };
    const call = (name: string, input: Tensor, attributes: Record<string, unknown>, gy: Tensor, ws = {}) =>
      vjpOperator({ name, inputs: [input], attributes, weights: ws, gradOutputs: [gy], training: false, seed: 0, maxElements: 1 << 20 });
    const op = `conv${shape.length - 2}d`;
    const gFused = call(op, x, { ...conv, paddingMode: mode }, g, w).gradInputs[0]!;
    const padAttrs = { mode: PAD[mode], pads: [0, 0, ...begins, 0, 0, ...ends] };
    const padded = runOperator({ name: 'pad', inputs: [x], attributes: padAttrs, weights: {}, training: false, seed: 0, maxElements: 1 << 20 }).outputs[0];
    const gPadded = call(op, padded, { ...conv, padding: 0 }, g, w).gradInputs[0]!;
    const gComposed = call('pad', x, padAttrs, gPadded).gradInputs[0]!;
    expect(gFused.shape).toEqual(shape);
    expect(Array.from(gFused.data)).toEqual(Array.from(gComposed.data));
  });

  it('conv1d k=3 p=1 of [1, 2, 3] with weights 1: reflect [5, 6, 7], replicate [4, 6, 8], circular [6, 6, 6], zeros [3, 6, 5]', () => {
    const one = (paddingMode: string) =>
      runOperator({ name: 'conv1d', inputs: [tensor([1, 1, 3], [1, 2, 3])], attributes: { outChannels: 1, kernelSize: 3, padding: 1, bias: false, paddingMode }, weights: { weight: tensor([1, 1, 3], [1, 1, 1]) }, training: false, seed: 0, maxElements: 1 << 10 }).outputs[0].data;
    // reflect pads [2 | 1 2 3 | 2]; replicate [1 | 1 2 3 | 3]; circular [3 | 1 2 3 | 1]
    expect(Array.from(one('reflect'))).toEqual([5, 6, 7]);
    expect(Array.from(one('replicate'))).toEqual([4, 6, 8]);
    expect(Array.from(one('circular'))).toEqual([6, 6, 6]);
    expect(Array.from(one('zeros'))).toEqual([3, 6, 5]);
  });
});

describe('paddings PyTorch refuses: 400 INVALID_ATTRIBUTE at padding, with the input shape', () => {
  it.each(refusals.map((r) => [`${r.name} (PyTorch: ${r.torchError})`, r] as const))('%s', (_, r) => {
    const e = errorOf(() =>
      runOperator({ name: r.op, inputs: r.inputs.map(t), attributes: r.attributes, weights: Object.fromEntries(Object.entries(r.weights).map(([k, w]) => [k, t(w)])), training: false, seed: 0, maxElements: 1 << 20 }),
    );
    expect([e.code, e.status, e.details.path]).toEqual([r.code, 400, r.path]);
    expect(Object.values(e.details.shapes ?? {})).toContainEqual(r.inputs[0].shape);
  });

  it('in a spec: conv2d reflect padding 4 on an 4×8 map → INVALID_ATTRIBUTE at $.layers[0].padding; replicate takes it', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 8], { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 4, paddingMode: 'reflect' })));
    expect([e.code, e.status, e.details.path]).toEqual(['INVALID_ATTRIBUTE', 400, '$.layers[0].padding']);
    expect(layer(analyze(net([1, 1, 4, 8], { op: 'conv2d', outChannels: 1, kernelSize: 3, padding: 4, paddingMode: 'replicate' })), 'l0').outputShape).toEqual([1, 1, 10, 14]);
  });

  it("transposed convolutions take paddingMode 'zeros' only, as PyTorch's ConvTranspose", () => {
    for (const op of ['convTranspose1d', 'convTranspose2d', 'convTranspose3d']) {
      const shape = op === 'convTranspose1d' ? [1, 2, 5] : op === 'convTranspose2d' ? [1, 2, 5, 5] : [1, 2, 3, 3, 3];
      expect(layer(analyze(net(shape, { op, outChannels: 2, kernelSize: 3, paddingMode: 'zeros' })), 'l0').params).toBe(2 * 2 * 3 ** (shape.length - 2) + 2);
      const e = errorOf(() => analyze(net(shape, { op, outChannels: 2, kernelSize: 3, paddingMode: 'reflect' })));
      expect([e.status, e.details.path]).toEqual([400, '$.layers[0].paddingMode']);
    }
  });
});

describe('ONNX: Pad (reflect, edge, wrap) then Conv stays two layers, counted as conv2d with paddingMode', () => {
  it.each([
    ['reflect', 'reflect'],
    ['edge', 'replicate'],
    ['wrap', 'circular'],
  ] as const)('Pad mode %s pads [1, 2] then a 3×3 Conv on [1,2,6,7] = conv2d paddingMode %s padding [1, 2]: same conv numbers and field', (onnxMode, mode) => {
    const w = Array.from({ length: 4 * 2 * 9 }, (_, i) => Math.sin(i));
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 6, 7] }],
      outputs: ['y'],
      initializers: [
        { name: 'pads', dims: [8], data: [0, 0, 1, 2, 0, 0, 1, 2], type: 'int64' },
        { name: 'W', dims: [4, 2, 3, 3], data: w },
      ],
      nodes: [
        { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'], name: 'pad', attrs: { mode: { s: onnxMode } } },
        { op: 'Conv', inputs: ['p', 'W'], outputs: ['y'], name: 'conv', attrs: { kernel_shape: { ints: [3, 3] } } },
      ],
    });
    const r = analyzeGraph(importOnnx(bytes, { inputShapes: {} }).graph, DEFAULTS);
    expect(r.layers.map((l) => l.op)).toEqual(['pad', 'conv2d']);
    const onnx = layer(r, 'conv');
    const spec = layer(analyze(net([1, 2, 6, 7], { name: 'conv', op: 'conv2d', outChannels: 4, kernelSize: 3, padding: [1, 2], bias: false, paddingMode: mode })), 'conv');
    expect([onnx.outputShape, onnx.params, onnx.macs, onnx.receptiveField]).toEqual([spec.outputShape, spec.params, spec.macs, spec.receptiveField]);
  });
});

describe('ops that take conv2d window attributes but pad with zeros only', () => {
  it.each(['deformConv2d', 'qlinearConv', 'convInteger'])("%s refuses paddingMode (rather than ignoring it): 400 at paddingMode", (op) => {
    const e = errorOf(() => parseNetworkSpec(net([1, 2, 6, 6], { op, outChannels: 2, kernelSize: 3, paddingMode: 'reflect' })));
    expect([e.status, e.details.path]).toEqual([400, '$.layers[0].paddingMode']);
  });
});

describe('the padded input is held to the tensor limit, as the pad layer of the composition would be', () => {
  it('conv2d replicate padding 3000, kernel 1, stride 6001 on [1,1,2,2]: a 2×2 output but a 6002×6002 padded input → 413 TENSOR_TOO_LARGE at a 2^20 limit', () => {
    const attributes = { outChannels: 1, kernelSize: 1, stride: 6001, padding: 3000, paddingMode: 'replicate' };
    expect(layer(analyze(net([1, 1, 2, 2], { op: 'conv2d', ...attributes })), 'l0').outputShape).toEqual([1, 1, 2, 2]);
    const e = errorOf(() => runOperator({ name: 'conv2d', inputs: [tensor([1, 1, 2, 2], [1, 2, 3, 4])], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 }));
    expect([e.code, e.status, e.details.path]).toEqual(['TENSOR_TOO_LARGE', 413, '$.attributes']);
    expect(e.details.shapes).toEqual({ intermediate: [1, 1, 6002, 6002] });
    expect(e.message).toBe(`layer 'conv2d' would need its input padded in paddingMode replicate, [1, 1, 6002, 6002], over the 1048576-element limit`);
  });
});
