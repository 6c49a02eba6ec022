/**
 * ONNX Sign and GlobalMaxPool, which blocked whole models (nn.LPPool2d exports Sign;
 * nn.AdaptiveMaxPool2d(1) with dynamic axes exports GlobalMaxPool): sign is a unary op of
 * ops/math.ts, GlobalMaxPool is reduceMax over axes 2 on (ops/reduction.ts axesFrom). Their
 * PyTorch goldens (scripts/goldens_sign_globalmax.py) run with every operator's in goldens.test.ts;
 * here the hand-worked values, torch.sign's edges, the import and the analysis.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

const op = (name: string, x: { shape: number[]; data: number[] }, attributes: Record<string, unknown> = {}) =>
  runOperator({ name, inputs: [tensor(x.shape, Float32Array.from(x.data))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });

const fixture = JSON.parse(readFileSync(new URL('../fixtures/operators/sign_globalmax.json', import.meta.url), 'utf8')) as { edges: { input: (number | string)[]; sign: number[] } };

describe('sign', () => {
  it("torch.sign's edges: NaN → 0, ±0 → 0, ±inf → ±1, the smallest subnormals → ±1", () => {
    const input = fixture.edges.input.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
    const { outputs } = op('sign', { shape: [input.length], data: input });
    expect(Array.from(outputs[0].data)).toEqual(fixture.edges.sign);
    expect(fixture.edges.sign).toEqual([0, 0, 0, -1, 1, 1, -1, 1, -1]);
    // −0 gives +0, as torch.sign
    expect(Object.is(outputs[0].data[1], 0)).toBe(true);
  });

  it('cost 1 FLOP per element (a comparison), no MACs or parameters; the field passes through', () => {
    const { layer } = op('sign', { shape: [1, 2, 3, 3], data: new Array(18).fill(-1) });
    expect([layer.macs, layer.params, layer.flops, layer.outputShape]).toEqual([0, 0, 18, [1, 2, 3, 3]]);
  });
});

describe('reduceMax axesFrom (ONNX GlobalMaxPool)', () => {
  it('[1, 2, 2, 2] → [1, 2, 1, 1]: the max of each plane, 5 and −1; 2·(4 − 1) = 6 comparisons', () => {
    const { outputs, layer } = op('reduceMax', { shape: [1, 2, 2, 2], data: [1, 5, -2, 3, -4, -1, -7, -3] }, { axesFrom: 2 });
    expect([outputs[0].shape, Array.from(outputs[0].data)]).toEqual([[1, 2, 1, 1], [5, -1]]);
    expect([layer.flops, layer.macs]).toEqual([6, 0]);
  });

  it('a rank-2 input has no axis 2: RANK_MISMATCH; with axes too: INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => op('reduceMax', { shape: [2, 3], data: new Array(6).fill(0) }, { axesFrom: 2 })).code).toBe('RANK_MISMATCH');
    expect(errorOf(() => op('reduceMax', { shape: [1, 1, 2, 2], data: [0, 0, 0, 0] }, { axesFrom: 2, axes: [2, 3] })).code).toBe('INVALID_ATTRIBUTE');
  });
});

describe('ONNX Sign and GlobalMaxPool import, analyse and run', () => {
  // x [1, 2, 3, 3] → Sign → GlobalMaxPool → y [1, 2, 1, 1]
  const bytes = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
    outputs: ['y'],
    nodes: [
      { op: 'Sign', inputs: ['x'], outputs: ['s'], name: 'sign' },
      { op: 'GlobalMaxPool', inputs: ['s'], outputs: ['y'], name: 'gmp' },
    ],
  });

  it('complete: sign then reduceMax [1, 2, 1, 1], 18 + 2·8 FLOPs; the field is global after the pool', () => {
    const { graph } = importOnnx(bytes);
    expect(graph.layers.map((l) => [l.op, l.source?.opType])).toEqual([
      ['sign', 'Sign'],
      ['reduceMax', 'GlobalMaxPool'],
    ]);
    const report = analyzeGraph(graph, DEFAULTS);
    expect(report.totals.unsupported).toEqual([]);
    expect(report.layers.map((l) => [l.outputShape, l.flops])).toEqual([
      [[1, 2, 3, 3], 18],
      [[1, 2, 1, 1], 16],
    ]);
    expect(report.layers[1].receptiveField?.global).toBe(true);
  });

  it('runs: a plane of negatives but one zero gives 0, a plane with one positive gives 1', () => {
    const { graph } = importOnnx(bytes);
    const x = new Float32Array(18).fill(-3);
    x[4] = 0;
    x[9 + 8] = 0.5;
    const { outputs } = runGraph(graph, { x: tensor([1, 2, 3, 3], x) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(Array.from(outputs.y.data)).toEqual([0, 1]);
  });
});
