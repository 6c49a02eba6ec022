/**
 * ONNX normalisations and activations: hand-built nodes (test/graph/onnx-builder.ts) for each
 * attribute and refusal, and tiny modules exported by torch.onnx.export at opsets 11, 13 and 17
 * (scripts/export_norm_activation_onnx.py), analysed (parameters equal to PyTorch's) and run
 * (outputs ≤ 1e-4 of scale from PyTorch's).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, layer, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { InitSpec, NodeSpec } from './onnx-builder.js';

const analyzeOnnx = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes, { inputShapes: {} }).graph, DEFAULTS);
const runOnnx = (bytes: Uint8Array, x: { shape: number[]; data: number[] }) =>
  runGraph(importOnnx(bytes, { inputShapes: {} }).graph, { x: tensor(x.shape, x.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });

/** One node on input x [shape] writing y, with these initializers. */
function oneNode(shape: number[], node: Omit<NodeSpec, 'outputs' | 'inputs'> & { inputs?: string[]; outputs?: string[] }, initializers: InitSpec[] = [], opset = 17) {
  return onnxModel({
    inputs: [{ name: 'x', shape }],
    outputs: ['y'],
    nodes: [{ inputs: ['x'], outputs: ['y'], name: 'n', ...node }],
    initializers,
    opset,
  });
}

describe('ONNX normalisation nodes', () => {
  it('LayerNormalization axis=-1 epsilon=1e-6 on [2,5,8] with Scale and B: layerNorm, 16 params; run equals (x − mean)/σ·γ + β', () => {
    const scale = Array.from({ length: 8 }, (_, i) => 1 + i / 8);
    const bias = Array.from({ length: 8 }, (_, i) => i / 10);
    const bytes = oneNode([1, 1, 8], { op: 'LayerNormalization', inputs: ['x', 'S', 'B'], attrs: { axis: { i: -1 }, epsilon: { f: 1e-6 } } }, [
      { name: 'S', dims: [8], data: scale },
      { name: 'B', dims: [8], data: bias },
    ]);
    const l = layer(analyzeOnnx(bytes), 'n');
    expect([l.op, l.params]).toEqual(['layerNorm', 16]);
    const x = [1, 2, 3, 4, 5, 6, 7, 8];
    const y = runOnnx(bytes, { shape: [1, 1, 8], data: x }).outputs.y.data;
    const sd = Math.sqrt(5.25 + 1e-6); // variance of 1…8 = (64 − 1)/12
    expect(Array.from(y)).toEqual(x.map((v, i) => expect.closeTo(((v - 4.5) / sd) * scale[i] + bias[i], 5)));
  });

  it('LayerNormalization without B: weight only (8 params); with its Mean output named: unsupported, saying why', () => {
    const s = [{ name: 'S', dims: [8], data: new Array(8).fill(1) }];
    expect(layer(analyzeOnnx(oneNode([2, 8], { op: 'LayerNormalization', inputs: ['x', 'S'] }, s)), 'n').params).toBe(8);
    const withMean = oneNode([2, 8], { op: 'LayerNormalization', inputs: ['x', 'S'], outputs: ['y', 'mean'] }, s);
    expect(analyzeOnnx(withMean).totals.unsupported).toEqual([{ opType: 'LayerNormalization', count: 1, nodes: ['n'], reasons: ['the optional outputs (Mean, InvStdDev) are not produced'] }]);
    expect(importOnnx(withMean, { inputShapes: {} }).graph.layers[0].attrs.reason).toBe('the optional outputs (Mean, InvStdDev) are not produced');
  });

  it('GroupNormalization (opset 18) num_groups=2 with scale [G]: groupNorm, γ and β per group (4 params); run: each group → [−1, 1]·γ_g + β_g', () => {
    const bytes = oneNode([1, 4, 1, 1], { op: 'GroupNormalization', inputs: ['x', 'S', 'B'], attrs: { num_groups: { i: 2 }, epsilon: { f: 1e-9 } } }, [
      { name: 'S', dims: [2], data: [2, 3] },
      { name: 'B', dims: [2], data: [0, 1] },
    ], 18);
    const l = layer(analyzeOnnx(bytes), 'n');
    expect([l.op, l.params]).toEqual(['groupNorm', 4]);
    const y = runOnnx(bytes, { shape: [1, 4, 1, 1], data: [1, 3, 10, 14] }).outputs.y.data;
    expect(Array.from(y)).toEqual([-2, 2, -2, 4].map((v) => expect.closeTo(v, 4)));
  });

  it('InstanceNormalization: ones and zeros (what torch exports for affine=False) are no params; other values are 2·C', () => {
    const plain = oneNode([1, 3, 4, 4], { op: 'InstanceNormalization', inputs: ['x', 'S', 'B'] }, [
      { name: 'S', dims: [3], data: [1, 1, 1] },
      { name: 'B', dims: [3], data: [0, 0, 0] },
    ]);
    expect(layer(analyzeOnnx(plain), 'n')).toMatchObject({ op: 'instanceNorm2d', params: 0 });
    const affine = oneNode([1, 3, 4, 4], { op: 'InstanceNormalization', inputs: ['x', 'S', 'B'] }, [
      { name: 'S', dims: [3], data: [1, 2, 1] },
      { name: 'B', dims: [3], data: [0, 0, 0] },
    ]);
    expect(layer(analyzeOnnx(affine), 'n')).toMatchObject({ op: 'instanceNorm2d', params: 6 });
  });

  // torch.onnx.export (1.13, opsets 13–17, training=PRESERVE, with or without constant folding) writes
  // BatchNorm2d(affine=False)'s scale and B as Constant nodes of ones and zeros; an affine BN's γ and β,
  // even at their initial ones and zeros, are initializers ('bn.weight', 'bn.bias')
  const bnRunning = [
    { name: 'mean', dims: [2], data: [1, -2] },
    { name: 'var', dims: [2], data: [3, 0.5] },
  ];
  const bnConstants = (s: number[], b: number[]): NodeSpec[] => [
    { op: 'Constant', inputs: [], outputs: ['S'], name: 'cs', attrs: { value: { t: { dims: [2], data: s } } } },
    { op: 'Constant', inputs: [], outputs: ['B'], name: 'cb', attrs: { value: { t: { dims: [2], data: b } } } },
  ];
  const bnNet = (constants: NodeSpec[], initializers: InitSpec[]) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 1, 2] }],
      outputs: ['y'],
      nodes: [...constants, { op: 'BatchNormalization', inputs: ['x', 'S', 'B', 'mean', 'var'], outputs: ['y'], name: 'n', attrs: { epsilon: { f: 1e-5 } } }],
      initializers: [...bnRunning, ...initializers],
      opset: 15,
    });

  it('BatchNormalization with scale and B Constant nodes of ones and zeros (BatchNorm2d(affine=False) exported): no params, 1 FLOP an element; runs (x − μ)/√(σ² + ε)', () => {
    const bytes = bnNet(bnConstants([1, 1], [0, 0]), []);
    expect(layer(analyzeOnnx(bytes), 'n')).toMatchObject({ op: 'batchNorm2d', params: 0, buffers: 4, flops: 4 });
    expect(analyzeOnnx(bytes).totals.params).toBe(0);
    const y = runOnnx(bytes, { shape: [1, 2, 1, 2], data: [4, 1, -2, 0] }).outputs.y.data;
    const s0 = Math.sqrt(3 + 1e-5);
    const s1 = Math.sqrt(0.5 + 1e-5);
    expect(Array.from(y)).toEqual([3 / s0, 0, 0, 2 / s1].map((v) => expect.closeTo(v, 5)));
  });

  it('BatchNormalization γ and β as initializers count 2·C even at ones and zeros (an affine BN at its initial values); other Constant values count too', () => {
    const init = bnNet([], [
      { name: 'S', dims: [2], data: [1, 1] },
      { name: 'B', dims: [2], data: [0, 0] },
    ]);
    expect(layer(analyzeOnnx(init), 'n')).toMatchObject({ op: 'batchNorm2d', params: 4, buffers: 4, flops: 8 });
    expect(layer(analyzeOnnx(bnNet(bnConstants([2, 1], [0, 0]), [])), 'n')).toMatchObject({ params: 4, flops: 8 });
    const y = runOnnx(bnNet(bnConstants([2, 1], [0, 0.5]), []), { shape: [1, 2, 1, 2], data: [4, 1, -2, 0] }).outputs.y.data;
    expect(Array.from(y)).toEqual([6 / Math.sqrt(3 + 1e-5), 0, 0.5, 2 / Math.sqrt(0.5 + 1e-5) + 0.5].map((v) => expect.closeTo(v, 5)));
  });
});

describe('ONNX activation nodes', () => {
  it.each([
    ['Erf', {}, 'erf', {}],
    ['Tanh', {}, 'tanh', {}],
    ['Softsign', {}, 'softsign', {}],
    ['Mish', {}, 'mish', {}],
    ['Softplus', {}, 'softplus', { beta: 1, threshold: 20 }],
    ['Elu', { alpha: { f: 0.5 } }, 'elu', { alpha: 0.5 }],
    ['Celu', { alpha: { f: 2 } }, 'celu', { alpha: 2 }],
    ['Selu', { alpha: { f: 1.5 }, gamma: { f: 2 } }, 'selu', { alpha: 1.5, gamma: 2 }],
    ['Gelu', { approximate: { s: 'tanh' } }, 'gelu', { approximate: 'tanh' }],
    ['Gelu', {}, 'gelu', { approximate: 'none' }],
    ['LogSoftmax', {}, 'logSoftmax', { dim: -1, coerce2d: false }],
  ])('%s %j → %s %j', (opType, attrs, op, want) => {
    const r = analyzeOnnx(oneNode([1, 2, 3, 3], { op: opType, attrs }, [], 20));
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'n').op).toBe(op);
    expect(importOnnx(oneNode([1, 2, 3, 3], { op: opType, attrs }, [], 20), { inputShapes: {} }).graph.layers[0].attrs).toMatchObject(want);
  });

  it('PRelu: slope [1] is 1 param; [C,1,1] (torch) and [1,C,1,1] per channel are C; [W] along the last dim is refused', () => {
    const prelu = (dims: number[]) => oneNode([1, 3, 2, 4], { op: 'PRelu', inputs: ['x', 'A'] }, [{ name: 'A', dims, data: new Array(dims.reduce((a, b) => a * b, 1)).fill(0.1) }]);
    expect(layer(analyzeOnnx(prelu([1])), 'n')).toMatchObject({ op: 'prelu', params: 1 });
    expect(layer(analyzeOnnx(prelu([3, 1, 1])), 'n')).toMatchObject({ op: 'prelu', params: 3 });
    expect(layer(analyzeOnnx(prelu([1, 3, 1, 1])), 'n')).toMatchObject({ op: 'prelu', params: 3 });
    const y = runOnnx(prelu([3, 1, 1]), { shape: [1, 3, 2, 4], data: new Array(24).fill(-2) }).outputs.y.data;
    expect(Array.from(y)).toEqual(new Array(24).fill(Math.fround(-0.2)));
    // a slope of [4] broadcasts along W: prelu's slopes run along a channel dim of the input, which is W here (dim −1)
    expect(layer(analyzeOnnx(prelu([4])), 'n')).toMatchObject({ op: 'prelu', params: 4 });
    expect(analyzeOnnx(prelu([3, 2, 1])).totals.unsupported).toEqual([{ opType: 'PRelu', count: 1, nodes: ['n'], reasons: ['a slope of shape [3, 2, 1]: only one shared slope or one per channel is supported'] }]);
  });

  it('PRelu(x, Unsqueeze(A [3], [1, 2])) as torch exports nn.PReLU(3) without constant folding (PRESERVE): analysed, 3 params, slopes per channel; at opset 11 (axes an attribute) too; it was unsupported ("the slope is not a constant")', () => {
    const net = (opset: number) =>
      onnxModel({
        opset,
        inputs: [{ name: 'x', shape: [1, 3, 2, 2] }],
        outputs: ['y'],
        initializers: [{ name: 'A', dims: [3], data: [0.1, 0.2, 0.3] }, ...(opset >= 13 ? [{ name: 'axes', dims: [2], type: 'int64' as const, data: [1, 2] }] : [])],
        nodes: [
          { op: 'Unsqueeze', inputs: opset >= 13 ? ['A', 'axes'] : ['A'], outputs: ['A3'], name: 'u', ...(opset < 13 && { attrs: { axes: { ints: [1, 2] } } }) },
          { op: 'PRelu', inputs: ['x', 'A3'], outputs: ['y'], name: 'n' },
        ],
      });
    for (const opset of [11, 13]) {
      const r = analyzeOnnx(net(opset));
      expect([r.totals.complete, r.totals.params, layer(r, 'n').op]).toEqual([true, 3, 'prelu']);
      const y = runOnnx(net(opset), { shape: [1, 3, 2, 2], data: new Array(12).fill(-1) }).outputs.y.data;
      expect(Array.from(y)).toEqual([0.1, 0.2, 0.3].flatMap((a) => new Array(4).fill(Math.fround(-a))));
    }
  });

  it('Squeeze of a constant [1, 3, 1] with axes [0, 2] is that constant as [3]; a Squeeze of a dim that is not 1 stays a layer, whose inference refuses it', () => {
    const net = (axes: number[]) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        initializers: [
          { name: 'B', dims: [1, 3, 1], data: [1, 2, 3] },
          { name: 'axes', dims: [axes.length], type: 'int64', data: axes },
        ],
        nodes: [
          { op: 'Squeeze', inputs: ['B', 'axes'], outputs: ['b'], name: 's' },
          { op: 'Add', inputs: ['x', 'b'], outputs: ['y'], name: 'add' },
        ],
      });
    const y = runOnnx(net([0, 2]), { shape: [1, 3], data: [10, 20, 30] }).outputs.y.data;
    expect(Array.from(y)).toEqual([11, 22, 33]);
    expect(errorOf(() => analyzeOnnx(net([1])))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { layer: 's' } });
  });

  it('Softmax at opset 11 on [1,2,3]: axis 1 coerces to 2-D, normalising over all 6 values at once (opset 13: over dim 1 only)', () => {
    const v = [1, 2, 3, 4, 5, 6];
    const e = v.map(Math.exp);
    const sum = e.reduce((a, b) => a + b, 0);
    const old = runOnnx(oneNode([1, 2, 3], { op: 'Softmax', attrs: { axis: { i: 1 } } }, [], 11), { shape: [1, 2, 3], data: v }).outputs.y.data;
    expect(Array.from(old)).toEqual(e.map((x) => expect.closeTo(x / sum, 6)));
    const now = runOnnx(oneNode([1, 2, 3], { op: 'Softmax', attrs: { axis: { i: 1 } } }, [], 13), { shape: [1, 2, 3], data: v }).outputs.y.data;
    expect(now[0] + now[3]).toBeCloseTo(1, 6);
  });
});

const DIR = new URL('../fixtures/onnx/norm_activation/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as {
  models: Record<string, { opset: number; nodes: string[]; params: number; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } }>;
};

describe('torch.onnx.export of small modules (scripts/export_norm_activation_onnx.py): complete analysis, PyTorch parameters, PyTorch outputs', () => {
  it.each(Object.entries(truth.models))('%s', (name, t) => {
    const bytes = readFileSync(new URL(`${name}.onnx`, DIR));
    const r = analyzeOnnx(bytes);
    expect(r.totals.unsupported).toEqual([]);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(t.params);
    expect(r.outputs[0].shape).toEqual(t.output.shape);
    const y = runOnnx(bytes, t.input).outputs.y;
    expect(y.shape).toEqual(t.output.shape);
    expect(scaledError(y.data, t.output.data)).toBeLessThanOrEqual(1e-4);
  });
});

describe('ONNX normalisation weights that do not fit the input', () => {
  it('a LayerNormalization Scale of 4 values for 8 normalised ones is SHAPE_MISMATCH naming both; one broadcast over axis −2 is unsupported', () => {
    const bytes = oneNode([2, 8], { op: 'LayerNormalization', inputs: ['x', 'S'] }, [{ name: 'S', dims: [4], data: [1, 1, 1, 1] }]);
    expect(errorOf(() => analyzeOnnx(bytes))).toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('normalizedShape [4]') });
    const broadcast = oneNode([2, 3, 8], { op: 'LayerNormalization', inputs: ['x', 'S'], attrs: { axis: { i: -2 } } }, [{ name: 'S', dims: [8], data: new Array(8).fill(1) }]);
    expect(analyzeOnnx(broadcast).totals.unsupported).toEqual([{ opType: 'LayerNormalization', count: 1, nodes: ['n'], reasons: ['a Scale of shape [8] broadcast over the 2 normalised dims'] }]);
  });
  it('InstanceNormalization with a scale of 4 for 3 channels, GroupNormalization with 6 for 8 channels: CHANNEL_MISMATCH', () => {
    const s = (n: number) => [
      { name: 'S', dims: [n], data: new Array(n).fill(2) },
      { name: 'B', dims: [n], data: new Array(n).fill(0) },
    ];
    expect(errorOf(() => analyzeOnnx(oneNode([1, 3, 4, 4], { op: 'InstanceNormalization', inputs: ['x', 'S', 'B'] }, s(4)))).code).toBe('CHANNEL_MISMATCH');
    expect(errorOf(() => analyzeOnnx(oneNode([1, 8, 2, 2], { op: 'GroupNormalization', inputs: ['x', 'S', 'B'], attrs: { num_groups: { i: 2 } } }, s(6), 21))).code).toBe('CHANNEL_MISMATCH');
  });
});

// golden: scripts/export_bn_training_onnx.py (a model left in train(), exported with TrainingMode.PRESERVE)
describe("BatchNormalization in training mode (opset 17 training_mode=1; opset 13 five outputs): the batch's statistics, as ONNX defines the node and PyTorch's train() forward", () => {
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/norm_activation/bn_training.json', import.meta.url), 'utf8')) as Record<'input' | 'train' | 'eval', { shape: number[]; data: number[] }>;
  for (const opset of [13, 17]) {
    const bytes = readFileSync(new URL(`../fixtures/onnx/norm_activation/bn_training_op${opset}.onnx`, import.meta.url));
    it(`opset ${opset}: runs to PyTorch's train() output (not its eval() one), fused or not; the field turns global with the NORMALISATION_RECEPTIVE_FIELD warning`, () => {
      const graph = importOnnx(bytes, { inputShapes: {} }).graph;
      expect(graph.layers.find((l) => l.op === 'batchNorm2d')?.attrs).toMatchObject({ trainingMode: true });
      for (const fuse of [false, true]) {
        const y = runGraph(graph, { x: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20, fuse }).outputs.y;
        expect(scaledError(y.data, truth.train.data)).toBeLessThan(1e-5);
        expect(scaledError(y.data, truth.eval.data)).toBeGreaterThan(0.05);
      }
      const r = analyzeGraph(graph, DEFAULTS);
      expect(r.outputs[0].receptiveField).toMatchObject({ global: true });
      expect(r.warnings.filter((w) => w.code === 'NORMALISATION_RECEPTIVE_FIELD')).toHaveLength(1);
    });
  }
});
