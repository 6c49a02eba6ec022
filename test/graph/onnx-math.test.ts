/**
 * ONNX shape subgraphs that torch.onnx.export writes for ViT, Swin and F.pad, built node by node:
 * ConstantOfShape, Equal, Where, Mod, Range and multi-dimensional Slice/Transpose fold to
 * constants, so the Expand, Pad and Gather they feed have known shapes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, layer, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const analyzeOnnx = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
const i64 = (name: string, data: number[], dims: number[] = [data.length]) => ({ name, dims, data, type: 'int64' as const });

describe('ONNX shape arithmetic of transformer exports folds', () => {
  it("ViT's class token: Expand(cls, Where(Equal(target, −1·ones), ones, target)) over ConstantOfShape folds: the token expands to [2, 1, 80]", () => {
    const r = analyzeOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [2, 4, 80] }],
        outputs: ['out'],
        initializers: [{ name: 'cls', dims: [1, 1, 80], data: Array(80).fill(0.5) }, i64('zero', [0], []), i64('axes0', [0]), i64('m1', [-1]), i64('neg1', [-1], [])],
        nodes: [
          { op: 'Shape', inputs: ['x'], outputs: ['s'] },
          { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: { i: 0 } } },
          { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
          { op: 'Concat', inputs: ['n1', 'm1', 'm1'], outputs: ['target'], attrs: { axis: { i: 0 } } },
          { op: 'Shape', inputs: ['target'], outputs: ['tlen'] },
          { op: 'ConstantOfShape', inputs: ['tlen'], outputs: ['ones'], attrs: { value: { t: { dims: [1], data: [1], type: 'int64' } } } },
          { op: 'Mul', inputs: ['ones', 'neg1'], outputs: ['minus'] },
          { op: 'Equal', inputs: ['target', 'minus'], outputs: ['eq'] },
          { op: 'Where', inputs: ['eq', 'ones', 'target'], outputs: ['shape'] },
          { name: 'expand', op: 'Expand', inputs: ['cls', 'shape'], outputs: ['tok'] },
          { name: 'cat', op: 'Concat', inputs: ['tok', 'x'], outputs: ['out'], attrs: { axis: { i: 1 } } },
        ],
      }),
    );
    expect(r.totals.complete).toBe(true);
    expect(r.totals.folded).toEqual(expect.arrayContaining(['n5', 'n6', 'n7', 'n8']));
    expect(layer(r, 'expand').outputShape).toEqual([2, 1, 80]);
    // the class token is a learned [1, 1, 80] initializer: 80 parameters (torchvision counts it)
    expect(layer(r, 'expand').params).toBe(80);
    expect(r.totals.params).toBe(80);
    expect(layer(r, 'cat').outputShape).toEqual([2, 5, 80]);
  });

  it('a Gather from a float initializer is a learned table (a relative-position bias table [169, 3]): 507 parameters, its int64 indices none', () => {
    const r = analyzeOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3, 49, 49] }],
        outputs: ['y'],
        initializers: [
          { name: 'table', dims: [169, 3], data: Array(507).fill(0.1) },
          i64('index', Array.from({ length: 2401 }, (_, i) => i % 169)),
          i64('shape', [49, 49, 3]),
        ],
        nodes: [
          { name: 'bias', op: 'Gather', inputs: ['table', 'index'], outputs: ['b'], attrs: { axis: { i: 0 } } },
          { op: 'Reshape', inputs: ['b', 'shape'], outputs: ['b2'] },
          { op: 'Transpose', inputs: ['b2'], outputs: ['b3'], attrs: { perm: { ints: [2, 0, 1] } } },
          { name: 'add', op: 'Add', inputs: ['x', 'b3'], outputs: ['y'] },
        ],
      }),
    );
    expect(layer(r, 'bias')).toMatchObject({ outputShape: [2401, 3], params: 507 });
    expect(r.totals.params).toBe(507);
  });

  it("F.pad's export: pads reshaped to [−1, 2], sliced backwards, transposed and flattened fold to ONNX order; (l, r, t, b) = (1, 2, 3, 4) pads [1,1,5,5] to [1,1,12,8]", () => {
    const r = analyzeOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 5, 5] }],
        outputs: ['y'],
        initializers: [
          i64('torchPads', [1, 2, 3, 4]),
          i64('four', [4]),
          i64('pairs', [-1, 2]),
          i64('start', [-1]),
          i64('end', ['-9223372036854775807' as unknown as number]),
          i64('axes', [0]),
          i64('step', [-1]),
          i64('flat', [-1]),
        ],
        nodes: [
          { op: 'ConstantOfShape', inputs: ['four'], outputs: ['zeros'], attrs: { value: { t: { dims: [1], data: [0], type: 'int64' } } } },
          { op: 'Concat', inputs: ['torchPads', 'zeros'], outputs: ['p8'], attrs: { axis: { i: 0 } } },
          { op: 'Reshape', inputs: ['p8', 'pairs'], outputs: ['p42'] },
          { op: 'Slice', inputs: ['p42', 'start', 'end', 'axes', 'step'], outputs: ['rev'] },
          { op: 'Transpose', inputs: ['rev'], outputs: ['tr'], attrs: { perm: { ints: [1, 0] } } },
          { op: 'Reshape', inputs: ['tr', 'flat'], outputs: ['onnxPads'] },
          { name: 'pad', op: 'Pad', inputs: ['x', 'onnxPads'], outputs: ['y'] },
        ],
      }),
    );
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'pad').outputShape).toEqual([1, 1, 12, 8]);
  });

  it("Swin's window padding: (7 − W mod 7) mod 7 from Shape folds (W = 10 → 4) into Pad's pads, and Range(0, H, 1) gathers all rows", () => {
    const r = analyzeOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 10, 10, 3] }],
        outputs: ['y', 'g'],
        initializers: [i64('two', [2], []), i64('one', [1], []), i64('seven', [7], []), i64('zero', [0], []), i64('axes0', [0]), i64('zeros6', [0, 0, 0, 0, 0, 0]), i64('zeros1', [0])],
        nodes: [
          { op: 'Shape', inputs: ['x'], outputs: ['s'] },
          { op: 'Gather', inputs: ['s', 'two'], outputs: ['w'], attrs: { axis: { i: 0 } } },
          { op: 'Mod', inputs: ['w', 'seven'], outputs: ['wm'] },
          { op: 'Sub', inputs: ['seven', 'wm'], outputs: ['d'] },
          { op: 'Mod', inputs: ['d', 'seven'], outputs: ['padW'] },
          { op: 'Unsqueeze', inputs: ['padW', 'axes0'], outputs: ['padW1'] },
          // NHWC pads [0, 0, 0, 0, 0, 0, padW, 0]: W grows at its end
          { op: 'Concat', inputs: ['zeros6', 'padW1', 'zeros1'], outputs: ['pads'], attrs: { axis: { i: 0 } } },
          { name: 'pad', op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'] },
          { op: 'Gather', inputs: ['s', 'one'], outputs: ['h'], attrs: { axis: { i: 0 } } },
          { op: 'Range', inputs: ['zero', 'h', 'one'], outputs: ['rows'] },
          { name: 'rows', op: 'Gather', inputs: ['x', 'rows'], outputs: ['g'], attrs: { axis: { i: 1 } } },
        ],
      }),
    );
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'pad').outputShape).toEqual([1, 10, 14, 3]);
    expect(layer(r, 'rows').outputShape).toEqual([1, 10, 10, 3]);
  });

  // ONNX ConstantOfShape: "all values of the input must be non-negative" (onnxruntime refuses the
  // file). The small ones evaluate at import (graph/onnx/qdq.ts smallConstant); a shape of two
  // negatives (element count 2), or with a 0 beside a negative (count −0), or with 1.5, was folded
  // into a graph output of that shape, answered 200 [−1, −2]
  it.each([
    ['[-1, -2]', [-1, -2], 'negative dimension -1'],
    ['[0, -1]', [0, -1], 'negative dimension -1'],
    ['[1.5, 2]', [1.5, 2], 'shape must be integers'],
  ])('ConstantOfShape of the constant shape %s is INVALID_ATTRIBUTE at its input, $.graph.node[0].input[0], not an output of that shape', (_, dims, message) => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3] }],
      outputs: ['y'],
      initializers: [Number.isInteger(dims[0]) ? i64('s', dims) : { name: 's', dims: [dims.length], data: dims }],
      nodes: [{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['y'] }],
    });
    expect(() => analyzeOnnx(bytes)).toThrow(expect.objectContaining({ code: 'INVALID_ATTRIBUTE', details: expect.objectContaining({ path: '$.graph.node[0].input[0]' }) }));
    expect(() => analyzeOnnx(bytes)).toThrow(message);
  });
});

describe('a Swin Transformer exported with weights runs to PyTorch’s output (scripts/onnx_math_fixtures.py)', () => {
  // one stage, 2 blocks (the second shifted), window 7, a 36×44 input: a 9×11 patch grid padded to 14×14
  it.each([13, 17])('opset %i: complete, every shape subgraph folded, parameters PyTorch’s but for the bias tables (folded into buffers), logits within 1e-5 of the scale', (opset) => {
    const dir = new URL('../fixtures/onnx-math/', import.meta.url);
    const bytes = readFileSync(new URL(`swin_tiny_pad_op${opset}.onnx`, dir));
    const truth = JSON.parse(readFileSync(new URL(`swin_tiny_pad_op${opset}.json`, dir), 'utf8')) as { params: number; input: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } };
    const { graph } = importOnnx(bytes);
    const inference = inferGraph(graph);
    const r = analyzeGraph(graph, DEFAULTS, inference);
    expect(r.totals.complete).toBe(true);
    // what is left are tensor computations: no Mod, Range, ConstantOfShape or ScatterND survives folding
    const left = new Set(r.layers.map((l) => l.source?.opType));
    for (const op of ['Mod', 'Range', 'ConstantOfShape', 'ScatterND', 'Shape']) expect(left.has(op), op).toBe(false);
    // the exporter folds table[index] into a [heads, 49, 49] bias per block, added to the scores: a buffer, 2 blocks × 2 heads × 2401
    // (counted as parameters until fix/onnx: truth.params + 2 × 2 × (2401 − 169)); the module's [169, heads] tables are not in the file
    expect(r.totals.params).toBe(truth.params - 2 * 2 * 169);
    expect(r.totals.buffers).toBe(2 * 2 * 2401);
    const { outputs } = runGraph(graph, { image: tensor(truth.input.shape, truth.input.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 24 }, inference);
    const y = outputs.logits;
    expect(y.shape).toEqual(truth.output.shape);
    expect(scaledError(y.data, truth.output.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('a detector’s post-processing: ssd300_vgg16 exported at opset 17, weights stripped (scripts/onnx_math_fixtures.py)', () => {
  it('complete at torchvision’s published figures (35,641,826 parameters, 34.86 GFLOPS); TopK/NonZero/GatherND per class analysed at their bounds with DATA_DEPENDENT_SHAPE warnings', () => {
    const bytes = readFileSync(new URL('../fixtures/onnx-math/ssd300_vgg16_op17_stripped.onnx', import.meta.url));
    const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(35_641_826);
    expect(Math.round(r.totals.macs / 1e7) / 100).toBe(34.86);
    expect(r.outputs.map((o) => o.shape)).toEqual([[200, 4], [200], [200]]);
    const dataDependent = r.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE');
    expect(dataDependent.length).toBeGreaterThan(0);
    expect(r.layers.some((l) => l.source?.opType === 'NonZero')).toBe(true);
  });
});
