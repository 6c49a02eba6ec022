/**
 * ONNX normalisations over groups of one value (scripts/export_norm_single_value_onnx.py: graphs
 * built with onnx.helper, expected outputs from ONNX's formula in numpy float64). ONNX gives β
 * there, which F.group_norm / F.instance_norm refuse: the importer sets singleValue 'beta', so
 * the file imports, analyses and runs to β, while the same layers in a JSON spec are refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, layer, net } from '../helpers.js';

interface Wire {
  shape: number[];
  data: number[];
}
interface Model {
  file: string;
  opset: number;
  input: Wire;
  output: Wire;
}
const dir = new URL('../fixtures/onnx/norm_activation/', import.meta.url);
const { models } = JSON.parse(readFileSync(new URL('single_value.json', dir), 'utf8')) as { models: Record<string, Model> };
const bytes = (m: Model) => new Uint8Array(readFileSync(new URL(m.file, dir)));
const runOnnx = (m: Model) =>
  runGraph(importOnnx(bytes(m), { inputShapes: {} }).graph, { x: tensor(m.input.shape, m.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.y;

describe('ONNX InstanceNormalization / GroupNormalization over one value per group give β (ONNX semantics)', () => {
  it.each([
    ['instance', 'GlobalAveragePool [2,3,4,4] → InstanceNormalization (opset 13, affine) on [2,3,1,1]', 'instanceNorm2d', 6],
    ['instance_plain', 'InstanceNormalization (opset 13, scale 1, B 0) on [1,4,1,1]', 'instanceNorm2d', 0],
    ['group', 'GroupNormalization (opset 18) num_groups=4 on [1,4,1,1] (N·C/G·H·W = 1)', 'groupNorm', 8],
  ] as const)('%s: %s imports as %s with singleValue beta, analyses (%i params) and runs to B', (key, _, op, params) => {
    const m = models[key];
    const g = importOnnx(bytes(m), { inputShapes: {} }).graph;
    expect(g.layers.find((l) => l.name === 'norm')?.attrs).toMatchObject({ singleValue: 'beta' });
    const r = analyzeGraph(g, DEFAULTS);
    const l = layer(r, 'norm');
    expect([l.op, l.params, l.outputShape]).toEqual([op, params, m.output.shape]);
    const y = runOnnx(m);
    expect(y.shape).toEqual(m.output.shape);
    // β exactly: x − mean is 0 in every group of one value
    expect(Array.from(y.data)).toEqual(m.output.data.map(Math.fround));
  });

  it('the fixtures are β: the instance model outputs B per channel in both samples, the plain one zeros', () => {
    expect(models.instance.output.data.slice(0, 3)).toEqual(models.instance.output.data.slice(3));
    expect(models.instance_plain.output.data).toEqual([0, 0, 0, 0]);
  });
});

describe('the same layers from a JSON spec or an operator call keep PyTorch refusal; singleValue beta opts in', () => {
  it('spec: globalAvgPool2d → instanceNorm2d on [2,3,1,1] is INVALID_TENSOR at the layer inputs; groupNorm numGroups=4 on [1,4,1,1] at numGroups', () => {
    const e1 = errorOf(() => analyze(net([2, 3, 4, 4], { op: 'globalAvgPool2d' }, { op: 'instanceNorm2d', affine: true })));
    expect([e1.code, e1.status, e1.details.path]).toEqual(['INVALID_TENSOR', 400, '$.layers[1].inputs']);
    const e2 = errorOf(() => analyze(net([1, 4, 1, 1], { op: 'groupNorm', numGroups: 4 })));
    expect([e2.code, e2.status, e2.details.path]).toEqual(['INVALID_TENSOR', 400, '$.layers[0].numGroups']);
  });

  it("spec with singleValue 'beta': accepted; run on [1,4,1,1] with β = [0.5, −1, 2, 3] gives β", () => {
    expect(layer(analyze(net([1, 4, 1, 1], { op: 'groupNorm', numGroups: 4, singleValue: 'beta' })), 'l0').params).toBe(8);
    const beta = [0.5, -1, 2, 3];
    const y = runOperator({
      name: 'groupNorm',
      inputs: [tensor([1, 4, 1, 1], [7, -3, 0.25, 100])],
      attributes: { numGroups: 4, singleValue: 'beta' },
      weights: { weight: tensor([4], [2, 2, 2, 2]), bias: tensor([4], beta) },
      training: false,
      seed: 0,
      maxElements: 1 << 20,
    }).outputs[0];
    expect(Array.from(y.data)).toEqual(beta);
  });

  it("instanceNorm2d trackRunningStats in training on [2,3,1,1]: refused by default, β with singleValue 'beta'", () => {
    const call = (attributes: Record<string, unknown>) =>
      runOperator({
        name: 'instanceNorm2d',
        inputs: [tensor([2, 3, 1, 1], [1, 2, 3, 4, 5, 6])],
        attributes: { trackRunningStats: true, affine: true, ...attributes },
        weights: { weight: tensor([3], [1, 1, 1]), bias: tensor([3], [9, 8, 7]), runningMean: tensor([3], [0, 0, 0]), runningVar: tensor([3], [1, 1, 1]) },
        training: true,
        seed: 0,
        maxElements: 1 << 20,
      });
    expect(errorOf(() => call({})).code).toBe('INVALID_TENSOR');
    expect(Array.from(call({ singleValue: 'beta' }).outputs[0].data)).toEqual([9, 8, 7, 9, 8, 7]);
  });
});
