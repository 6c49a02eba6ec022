import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, errorOf, layer } from '../helpers.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { hardmaxNet, onnxModel } from './onnx-builder.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url));
const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/truth.json', import.meta.url), 'utf8')) as {
  models: Record<string, { params: number; macs: number; output: number[]; input: number[]; featureReceptiveField?: { size: number[]; stride: number[]; padding: number[] } }>;
};
const analyzeOnnx = (bytes: Uint8Array, inputShapes: Record<string, number[]> = {}) => analyzeGraph(importOnnx(bytes, { inputShapes }).graph, DEFAULTS);

describe('ONNX files exported by PyTorch (scripts/export_onnx.py): params, MACs and shapes exactly as PyTorch counts them', () => {
  it.each(['resnet18', 'mobilenet_v2', 'shufflenet_v2_x1_0', 'unet'])('%s', (name) => {
    const t = truth.models[name];
    const r = analyzeOnnx(fixture(name), { '': t.input });
    expect(r.totals.params).toBe(t.params);
    expect(r.totals.macs).toBe(t.macs);
    expect(r.outputs.map((o) => o.shape)).toEqual([t.output]);
    expect(r.totals.complete).toBe(true);
  });

  it('layers keep their ONNX node names and op types; element-wise nodes appear with their costs', () => {
    const r = analyzeOnnx(fixture('resnet18'), { '': [1, 3, 224, 224] });
    const conv = layer(r, '/conv1/Conv');
    expect(conv).toMatchObject({ op: 'conv2d', source: { format: 'onnx', opType: 'Conv' }, outputShape: [1, 64, 112, 112], params: 64 * 3 * 49 });
    const add = r.layers.find((l) => l.source?.opType === 'Add')!;
    expect(add.flops).toBe(add.outputShape!.reduce((a, b) => a * b, 1));
  });

  it('shufflenet_v2_x1_0 with a dynamic batch: the Shape → Gather → Concat → Reshape subgraphs of channel shuffle fold away', () => {
    const r = analyzeOnnx(fixture('shufflenet_v2_x1_0'), { '': [1, 3, 224, 224] });
    expect(r.totals.folded.length).toBeGreaterThan(100);
    expect(r.layers.some((l) => l.op === 'shape')).toBe(false);
    const reshapes = r.layers.filter((l) => l.op === 'reshape' && l.outputShape!.length === 5);
    expect(reshapes.length).toBeGreaterThan(0);
    // channel shuffle keeps the receptive field: the 5-D view still has H, W last
    expect(reshapes.every((l) => l.receptiveField && !l.receptiveField.global)).toBe(true);
  });

  it('the receptive field of resnet18\'s last feature map equals what autograd measures (600×600 input)', () => {
    const t = truth.models.resnet18.featureReceptiveField!;
    const r = analyzeOnnx(fixture('resnet18'), { '': [1, 3, 600, 600] });
    const rf = layer(r, '/layer4/layer4.1/relu_1/Relu').receptiveField!;
    expect(rf.size).toEqual(t.size);
    expect(rf.stride).toEqual(t.stride);
    expect(rf.padding).toEqual(t.padding);
  });

  it('U-Net: ConvTranspose2d counted over input positions, concat skips aligned', () => {
    const r = analyzeOnnx(fixture('unet'));
    const up = r.layers.filter((l) => l.op === 'convTranspose2d');
    expect(up.map((l) => l.outputShape)).toEqual([
      [1, 32, 32, 32],
      [1, 16, 64, 64],
    ]);
    // up1: input [1, 64, 16, 16], 2×2 kernel, 32 outputs: 64·16·16·32·4
    expect(up[0].macs).toBe(64 * 16 * 16 * 32 * 4);
    expect(r.warnings.filter((w) => w.code === 'MISALIGNED_PATHS')).toEqual([]);
  });
});

const conv = (x: string, y: string, w: string, attrs = {}) => ({ op: 'Conv', inputs: [x, w], outputs: [y], attrs });

describe('ONNX node mapping (hand-built graphs)', () => {
  it('Clip(0, 6) is relu6; Clip(0, ∞) is relu; other bounds stay clip', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['c'],
      initializers: [
        { name: 'zero', dims: [], data: [0] },
        { name: 'six', dims: [], data: [6] },
        { name: 'one', dims: [], data: [1] },
      ],
      nodes: [
        { op: 'Clip', inputs: ['x', 'zero', 'six'], outputs: ['a'], name: 'r6' },
        { op: 'Clip', inputs: ['a', 'zero'], outputs: ['b'], name: 'r' },
        { op: 'Clip', inputs: ['b', '', 'one'], outputs: ['c'], name: 'c1' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(r.layers.map((l) => [l.name, l.op, l.flops])).toEqual([
      ['r6', 'relu6', 64],
      ['r', 'relu', 32],
      ['c1', 'clip', 32],
    ]);
  });

  it('Gemm with transB = 0 and MatMul by a constant are linear layers; their weights count as params', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [2, 8] }],
      outputs: ['z'],
      initializers: [
        { name: 'W', dims: [8, 4] },
        { name: 'b', dims: [4] },
        { name: 'V', dims: [4, 3] },
      ],
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W', 'b'], outputs: ['y'], name: 'fc1' },
        { op: 'MatMul', inputs: ['y', 'V'], outputs: ['z'], name: 'fc2' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(layer(r, 'fc1')).toMatchObject({ op: 'linear', outputShape: [2, 4], params: 8 * 4 + 4, macs: 2 * 8 * 4 });
    expect(layer(r, 'fc2')).toMatchObject({ op: 'linear', outputShape: [2, 3], params: 12, macs: 2 * 4 * 3 });
  });

  it('MatMul of two activations is a batched matmul: MACs = batch·M·K·N', () => {
    const bytes = onnxModel({
      inputs: [
        { name: 'q', shape: [2, 5, 8] },
        { name: 'k', shape: [2, 8, 5] },
      ],
      outputs: ['s'],
      nodes: [{ op: 'MatMul', inputs: ['q', 'k'], outputs: ['s'], name: 'attn' }],
    });
    expect(layer(analyzeOnnx(bytes), 'attn')).toMatchObject({ op: 'matmul', outputShape: [2, 5, 5], macs: 2 * 5 * 8 * 5 });
  });

  it('Shape → Gather → Unsqueeze → Concat → Reshape folds to a constant target shape', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 6, 4, 4] }],
      outputs: ['y'],
      initializers: [
        { name: 'zero', dims: [], data: [0], type: 'int64' },
        { name: 'axes', dims: [1], data: [0], type: 'int64' },
        { name: 'rest', dims: [1], data: [-1], type: 'int64' },
      ],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: { i: 0 } } },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'rest'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'], name: 'flat' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(r.totals.folded).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(layer(r, 'flat').outputShape).toEqual([1, 96]);
    expect(layer(r, 'flat').receptiveField?.global).toBe(true);
  });

  it('Conv with auto_pad SAME_UPPER and stride 2: out = ceil(in/s), the odd pad pixel at the end', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 7, 7] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [1, 1, 4, 4] }],
      nodes: [conv('x', 'y', 'W', { auto_pad: { s: 'SAME_UPPER' }, strides: { ints: [2, 2] } })],
    });
    // ceil(7/2) = 4; total pad = (4 − 1)·2 + 4 − 7 = 3 → begin 1, end 2
    const l = analyzeOnnx(bytes).layers[0];
    expect(l.outputShape).toEqual([1, 1, 4, 4]);
    expect(l.receptiveField?.padding).toEqual([1, 1]);
  });

  it('Resize by constant scales (nearest, asymmetric, floor) and Pad with constant pads', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 3, 5] }],
      outputs: ['p'],
      initializers: [
        { name: 'scales', dims: [4], data: [1, 1, 2, 2] },
        { name: 'pads', dims: [8], data: [0, 0, 1, 2, 0, 0, 3, 4], type: 'int64' },
      ],
      nodes: [
        { op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['u'], name: 'up', attrs: { coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } } },
        { op: 'Pad', inputs: ['u', 'pads'], outputs: ['p'], name: 'pad' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(layer(r, 'up')).toMatchObject({ op: 'resize', outputShape: [1, 2, 6, 10], flops: 0 });
    expect(layer(r, 'pad').outputShape).toEqual([1, 2, 10, 16]);
    // after the ×2 upsample one output pixel is half an input pixel: pads [1, 2] are [0.5, 1] input
    // pixels, on the upsample's own 0.5 (units 2k and 2k + 1 both read input k: the box of unit u is
    // [u/2 − 0.5, u/2], size 1.5)
    expect(layer(r, 'up').receptiveField).toMatchObject({ size: [1.5, 1.5], padding: [0.5, 0.5] });
    expect(layer(r, 'pad').receptiveField?.padding).toEqual([1, 1.5]);
    expect(layer(r, 'pad').receptiveField?.stride).toEqual([0.5, 0.5]);
  });

  it('Split into three outputs and Slice with steps', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 6, 8, 8] }],
      outputs: ['a', 'b', 's'],
      initializers: [
        { name: 'sizes', dims: [3], data: [1, 2, 3], type: 'int64' },
        { name: 'st', dims: [1], data: [1], type: 'int64' },
        { name: 'en', dims: [1], data: [100], type: 'int64' },
        { name: 'ax', dims: [1], data: [3], type: 'int64' },
        { name: 'sp', dims: [1], data: [2], type: 'int64' },
      ],
      nodes: [
        { op: 'Split', inputs: ['x', 'sizes'], outputs: ['a', 'b', 'c'], name: 'split', attrs: { axis: { i: 1 } } },
        { op: 'Slice', inputs: ['c', 'st', 'en', 'ax', 'sp'], outputs: ['s'], name: 'slice' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(layer(r, 'split').outputShapes).toEqual([
      [1, 1, 8, 8],
      [1, 2, 8, 8],
      [1, 3, 8, 8],
    ]);
    // W: start 1, end clamped to 8, step 2 → ceil(7/2) = 4; field: stride 2 along W, unit 0 at pixel 1
    const s = layer(r, 'slice');
    expect(s.outputShape).toEqual([1, 3, 8, 4]);
    expect(s.receptiveField).toMatchObject({ stride: [1, 2], centre: [0, 1] });
    expect(r.outputs.map((o) => o.name)).toEqual(['a', 'b', 's']);
  });

  it('an unsupported operator is named with its count; the totals say they are incomplete; downstream layers are listed, never zero-filled silently', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }],
      outputs: ['z'],
      initializers: [{ name: 'W', dims: [2, 2, 1, 1] }],
      nodes: [
        { op: 'Hardmax', inputs: ['x'], outputs: ['t1'], name: 'hardmax1' },
        { op: 'Hardmax', inputs: ['t1'], outputs: ['t2'], name: 'hardmax2' },
        conv('t2', 'z', 'W'),
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: 'Hardmax', count: 2, nodes: ['hardmax1', 'hardmax2'], reasons: ['convlens does not model ONNX Hardmax'] }]);
    expect(layer(r, 'hardmax1')).toMatchObject({ supported: false, outputShape: null });
    expect(r.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['UNSUPPORTED_OPERATOR', 'LAYERS_NOT_ANALYSED']));
    // the warning says why (it named the nodes only)
    expect(r.warnings.find((w) => w.code === 'UNSUPPORTED_OPERATOR')!.message).toBe('2 node(s) of type Hardmax cannot be analysed (hardmax1, hardmax2): convlens does not model ONNX Hardmax; totals are incomplete');
  });

  it('a BatchNormalization scale of 4 on 8 channels is SHAPE_MISMATCH naming the layer and both shapes, not a wrong count or a crash at run', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 8, 4, 4] }],
      outputs: ['y'],
      initializers: [
        { name: 'g', dims: [4] },
        { name: 'b', dims: [8] },
        { name: 'm', dims: [8] },
        { name: 'v', dims: [8] },
      ],
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'], outputs: ['y'], name: 'bn' }],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain("initializer 'g' [4]");
    expect(e.message).toContain('[8]');
    expect(e.details).toMatchObject({ layer: 'bn' });
  });

  it('an empty int64 Constant (dims [0], no data fields) is the empty value []: Reshape of a 1-element tensor by it gives a scalar', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1] }],
      outputs: ['y'],
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['empty'], name: 'c', attrs: { value: { t: { dims: [0], type: 'int64' } } } },
        { op: 'Reshape', inputs: ['x', 'empty'], outputs: ['y'], name: 'r' },
      ],
    });
    const r = analyzeOnnx(bytes);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs[0].shape).toEqual([]);
  });

  it('a dynamic dimension without a value is a 400 naming the input and dimension; a given shape fills it', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'image', shape: ['batch', 3, 8, 8] }],
      outputs: ['y'],
      nodes: [{ op: 'Relu', inputs: ['image'], outputs: ['y'] }],
    });
    expect(errorOf(() => analyzeOnnx(bytes))).toMatchObject({ code: 'MISSING_DIMENSION', details: { input: 'image', dimension: 0, dimParam: 'batch' } });
    expect(analyzeOnnx(bytes, { image: [4, 3, 8, 8] }).outputs[0].shape).toEqual([4, 3, 8, 8]);
    expect(errorOf(() => analyzeOnnx(bytes, { image: [4, 3, 9, 8] }))).toMatchObject({ code: 'SHAPE_MISMATCH', details: { dimension: 2 } });
    expect(errorOf(() => analyzeOnnx(bytes, { image: [4, 3] }))).toMatchObject({ code: 'SHAPE_MISMATCH' });
  });
});

describe('bad ONNX files: 400 with a stable code', () => {
  it.each([
    ['empty', new Uint8Array(0)],
    ['truncated', fixture('unet').subarray(0, 200)],
    ['not ONNX', new TextEncoder().encode('{"inputs": [], "layers": []}')],
  ])('%s → ONNX_INVALID', (_, bytes) => {
    expect(errorOf(() => importOnnx(bytes)).code).toBe('ONNX_INVALID');
  });

  it('resnet18.onnx cut by its last 4 bytes, its opset_import (42 02 10 0d: opset 13), still decodes: ONNX_INVALID naming opset_import, not an analysis at opset 1', () => {
    const file = fixture('resnet18');
    expect([...file.subarray(-4)]).toEqual([0x42, 0x02, 0x10, 0x0d]);
    const e = errorOf(() => importOnnx(file.subarray(0, -4)));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toBe('the model (IR version 7) names no ai.onnx opset (opset_import) for its ai.onnx operators, which IR version 3 on requires: the file may be cut short (exporters write opset_import last)');
    expect(importOnnx(file, { inputShapes: { input: [1, 3, 224, 224] } }).info.opset).toBe(13);
  });

  it('a graph with a cycle → CYCLE', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      outputs: ['b'],
      nodes: [
        { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' },
        { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.code).toBe('CYCLE');
    expect(e.message).toMatch(/first|second/);
  });

  it('a dangling input → ONNX_GRAPH_INVALID with the node and its input index', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
      outputs: ['y'],
      nodes: [{ op: 'Add', inputs: ['x', 'ghost'], outputs: ['y'], name: 'add' }],
    });
    expect(errorOf(() => importOnnx(bytes))).toMatchObject({ code: 'ONNX_GRAPH_INVALID', details: { path: '$.graph.node[0].input[1]', layer: 'add' } });
  });

  it('a shape error inside the graph names the ONNX node and op type', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 4, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'W', dims: [8, 2, 3, 3] }],
      nodes: [conv('x', 'y', 'W', { group: { i: 2 } })],
    });
    expect(errorOf(() => analyzeOnnx(bytes))).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { layer: 'n0', opType: 'Conv' } });
  });
});

describe('memory access of imported layers', () => {
  it('a constant operand is read once, as a weight: Mul of [1,4,2,2] by a learned [1,4,1,1] scale', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4, 2, 2] }],
      outputs: ['y'],
      initializers: [{ name: 'scale', dims: [1, 4, 1, 1], data: [1, 2, 3, 4] }],
      nodes: [{ op: 'Mul', inputs: ['x', 'scale'], outputs: ['y'], name: 'mul' }],
    });
    const l = layer(analyzeOnnx(bytes), 'mul');
    expect(l.params).toBe(4);
    expect(l.memoryAccess.elements).toEqual({ inputs: 16, outputs: 16, weights: 4, total: 36 });
  });
});

describe('running a graph with an operator convlens cannot analyse', () => {
  it('UNSUPPORTED_OPERATOR names the layer and why (it said only "cannot run in convlens")', () => {
    const graph = importOnnx(hardmaxNet(4, 1)).graph;
    const e = errorOf(() => runGraph(graph, { x: tensor([1, 2, 4, 4], new Float32Array(32)) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 16 }));
    expect([e.code, e.message]).toEqual(['UNSUPPORTED_OPERATOR', "layer 'hardmax1' (Hardmax) cannot run in convlens: convlens does not model ONNX Hardmax"]);
  });
});
