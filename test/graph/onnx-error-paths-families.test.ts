/**
 * The family mappers (graph/onnx/map-quant.ts, map-detection.ts, map-math.ts) and the nodes
 * control flow and sequences write in a node's place say what each convlens attribute is read from
 * (Mapped.from), so an error about it names the file's field: the AttributeProto
 * (`$.graph.node[0].attribute[1]`, details.onnxAttribute its name) or the node input
 * (`$.graph.node[0].input[4]`), never the node alone when the file has the field.
 * test/graph/onnx-error-paths.test.ts has the Conv, pooling, Slice and Softmax cases.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldUnderLayer } from '../../src/errors.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { InitSpec, NodeSpec } from './onnx-builder.js';
import { analyzeOnnx, blockedQuantize, int64, oneNode, qlinearConv, scalar } from './onnx-error-models.js';

describe('quantization (map-quant.ts)', () => {
  it('QuantizeLinear-13 per axis (scale and zero point [2]) with axis 5 over rank 4, block_size its attribute[0]: INVALID_ATTRIBUTE at $.graph.node[0].attribute[1], onnxAttribute axis (was the node)', () => {
    const q: NodeSpec = { op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], name: 'q', attrs: { block_size: { i: 0 }, axis: { i: 5 } } };
    const e = errorOf(() => analyzeOnnx(oneNode(q, [{ name: 's', dims: [2], data: [0.1, 0.2] }, { name: 'z', dims: [2], data: [0, 0], type: 'uint8' }])));
    expect(e.message).toBe("layer 'q': axis=5 is out of range for rank 4 (input [1, 2, 8, 8]): valid values are -4…3");
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1]', onnxAttribute: 'axis', layer: 'q', opType: 'QuantizeLinear' });
  });

  it('DequantizeLinear with scale [2] and zero point [3] on axis 1 of [1, 2, 8, 8]: SHAPE_MISMATCH at its zero point, $.graph.node[0].input[2] (was .input, the list)', () => {
    const dq: NodeSpec = { op: 'DequantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], name: 'dq' };
    const e = errorOf(() => analyzeOnnx(oneNode(dq, [{ name: 's', dims: [2], data: [0.1, 0.2] }, { name: 'z', dims: [3], data: [0, 0, 0], type: 'uint8' }])));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].input[2]', shapes: { zeroPoint: [3] } });
    expect(e.details).not.toHaveProperty('onnxAttribute');
  });

  it('QLinearConv 2 → 4 channels with w_scale [3]: SHAPE_MISMATCH at $.graph.node[0].input[4], the node\'s w_scale (the layer\'s input 3: W binds as its weight)', () => {
    const e = errorOf(() => analyzeOnnx(qlinearConv([0.1, 0.1, 0.1])));
    expect(e.message).toBe("layer 'qc': wScale [3] must be a scalar or 1-D of 4 elements (one per output channel)");
    expect(e.details).toMatchObject({ path: '$.graph.node[0].input[4]', layer: 'qc', opType: 'QLinearConv' });
  });

  it('QLinearConv group 3 (attribute[1]) over 2 channels: INVALID_ATTRIBUTE at $.graph.node[0].attribute[1], onnxAttribute group', () => {
    const e = errorOf(() => analyzeOnnx(qlinearConv([0.1], { group: { i: 3 } })));
    expect([e.code, e.details.path, e.details.onnxAttribute]).toEqual(['INVALID_ATTRIBUTE', '$.graph.node[0].attribute[1]', 'group']);
  });
});

describe("a mapper's refusal names the field it is about: where a run refuses the node (UNSUPPORTED_OPERATOR)", () => {
  it('QuantizeLinear with block_size 2 (attribute[1], after axis): left unsupported, its report reason unchanged, and refused at $.graph.node[0].attribute[1]', () => {
    const bytes = blockedQuantize();
    const { graph } = importOnnx(bytes);
    expect(graph.layers[0].attrs).toEqual({ reason: 'blocked quantization (block_size)' });
    expect(inferGraph(graph).analysed[0].unsupportedPath).toBe('$.graph.node[0].attribute[1]');
  });

  it('QLinearConv with auto_pad "SAME" (attribute[1], after pads; none of ONNX\'s four, which onnxruntime refuses): refused at $.graph.node[0].attribute[1], as Conv is (it was read as NOTSET: the pads); auto_pad "" is NOTSET (the pads [1, 1, 1, 1])', () => {
    const { graph } = importOnnx(qlinearConv([0.1], { auto_pad: { s: 'SAME' } }));
    expect(graph.layers[0].attrs).toEqual({ reason: 'auto_pad "SAME" (ONNX\'s are NOTSET, SAME_UPPER, SAME_LOWER, VALID)' });
    expect(inferGraph(graph).analysed[0].unsupportedPath).toBe('$.graph.node[0].attribute[1]');
    expect(importOnnx(qlinearConv([0.1], { auto_pad: { s: '' } })).graph.layers[0]).toMatchObject({ op: 'qlinearConv', attrs: { padding: [1, 1, 1, 1] } });
  });

  it('QLinearConv whose w_scale is fine but whose W is no constant (a graph input): refused at W, $.graph.node[0].input[3]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, { name: 'w', shape: [4, 2, 3, 3], elemType: 3 }],
      outputs: ['y'],
      initializers: [scalar('xs', 0.1), scalar('xz', 128, 'uint8'), scalar('ws', 0.1), scalar('wz', 0, 'int8'), scalar('ys', 0.1), scalar('yz', 128, 'uint8')],
      nodes: [{ op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'], name: 'qc' }],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.layers[0].attrs).toEqual({ reason: 'the weight is not a constant' });
    expect(inferGraph(graph).analysed[0].unsupportedPath).toBe('$.graph.node[0].input[3]');
  });

  it('QuantizeLinear-21 whose zero point is a graph input (not a constant) and output_dtype INT32 (attribute[1], after axis): the type came from output_dtype, refused at $.graph.node[0].attribute[1] (was .input[2], the zero point, which says nothing of it)', () => {
    const bytes = onnxModel({
      opset: 21,
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, { name: 'z', shape: [], elemType: 6 }],
      outputs: ['y'],
      initializers: [scalar('s', 0.1)],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], name: 'q', attrs: { axis: { i: 1 }, output_dtype: { i: 6 } } }],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.layers[0].attrs).toEqual({ reason: 'quantized type int32 (convlens reads uint8, int8, uint16, int16)' });
    expect(inferGraph(graph).analysed[0].unsupportedPath).toBe('$.graph.node[0].attribute[1]');
  });

  it('QuantizeLinear-13 whose zero point is an INT8 graph input, no output_dtype: the quantized type is int8, the zero point\'s (ONNX: the output takes its type T2; it was read as uint8, every value 128 off), read from .input[2]', () => {
    const bytes = onnxModel({
      opset: 13,
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, { name: 'z', shape: [], elemType: 3 }],
      outputs: ['y'],
      initializers: [scalar('s', 0.1)],
      nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's', 'z'], outputs: ['y'], name: 'q' }],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.layers[0].op).toBe('quantizeLinear');
    expect(graph.layers[0].attrs).toMatchObject({ dtype: 'int8' });
    // and with no zero point at all: uint8, the spec's default
    const plain = importOnnx(onnxModel({ opset: 13, inputs: [{ name: 'x', shape: [1, 2, 8, 8] }], outputs: ['y'], initializers: [scalar('s', 0.1)], nodes: [{ op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], name: 'q' }] })).graph;
    expect(plain.layers[0].attrs).toMatchObject({ dtype: 'uint8' });
  });

  it('NonMaxSuppression with max_output_boxes_per_class 0, a constant: refused at $.graph.node[0].input[2]; absent, at the node', () => {
    const nms = (inputs: string[]) =>
      importOnnx(
        onnxModel({
          inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 2, 6] }],
          outputs: ['sel'],
          initializers: [int64('max', [0])],
          nodes: [{ op: 'NonMaxSuppression', inputs, outputs: ['sel'], name: 'nms' }],
        }),
      ).graph;
    expect(inferGraph(nms(['boxes', 'scores', 'max'])).analysed[0].unsupportedPath).toBe('$.graph.node[0].input[2]');
    expect(inferGraph(nms(['boxes', 'scores'])).analysed[0]).not.toHaveProperty('unsupportedPath');
  });
});

describe('detection (map-detection.ts)', () => {
  const boxesAndScores = [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 2, 6] }];

  it('NonMaxSuppression center_point_box 2 (ONNX: 0 or 1): ONNX_GRAPH_INVALID at $.graph.node[0].attribute[0], onnxAttribute center_point_box (was .attribute, the list)', () => {
    const bytes = onnxModel({
      inputs: boxesAndScores,
      outputs: ['sel'],
      initializers: [int64('max', [3])],
      nodes: [{ op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max'], outputs: ['sel'], name: 'nms', attrs: { center_point_box: { i: 2 } } }],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.code).toBe('ONNX_GRAPH_INVALID');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[0]', onnxAttribute: 'center_point_box', layer: 'nms', opType: 'NonMaxSuppression' });
  });

  it('NonMaxSuppression whose max_output_boxes_per_class is computed, Sub(Gather(Shape(boxes), 0), the same) = 0: INVALID_ATTRIBUTE at the node\'s input 2, $.graph.node[3].input[2] (was $.graph.node[3], the node)', () => {
    const bytes = onnxModel({
      inputs: boxesAndScores,
      outputs: ['sel'],
      initializers: [{ name: 'zero', dims: [], data: [0], type: 'int64' }],
      nodes: [
        { op: 'Shape', inputs: ['boxes'], outputs: ['shape'], name: 'shape' },
        { op: 'Gather', inputs: ['shape', 'zero'], outputs: ['batch'], name: 'batch' },
        { op: 'Sub', inputs: ['batch', 'batch'], outputs: ['max'], name: 'none' },
        { op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max'], outputs: ['sel'], name: 'nms' },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.message).toBe("layer 'nms': maxOutputBoxesPerClass is 0 (ONNX reads an absent one as 0): nothing can be selected");
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details).toMatchObject({ path: '$.graph.node[3].input[2]', layer: 'nms' });
    expect(e.details).not.toHaveProperty('onnxAttribute');
  });

  it('RoiAlign-16 spatial_scale 0 (its attribute[2]; convlens needs it positive): ONNX_GRAPH_INVALID at $.graph.node[0].attribute[2], onnxAttribute spatial_scale', () => {
    const bytes = onnxModel({
      opset: 16,
      inputs: [{ name: 'x', shape: [1, 8, 16, 16] }, { name: 'rois', shape: [5, 4] }, { name: 'idx', shape: [5] }],
      outputs: ['y'],
      nodes: [{ op: 'RoiAlign', inputs: ['x', 'rois', 'idx'], outputs: ['y'], name: 'roi', attrs: { output_height: { i: 7 }, output_width: { i: 7 }, spatial_scale: { f: 0 } } }],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.code).toBe('ONNX_GRAPH_INVALID');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[2]', onnxAttribute: 'spatial_scale', layer: 'roi', opType: 'RoiAlign' });
  });
});

describe('math (map-math.ts): Mod is the one op with an attribute', () => {
  it('Mod fmod 2 (ONNX Runtime: "fmod must have value either 0 or 1"; was read as 0, Python\'s %): ONNX_GRAPH_INVALID at $.graph.node[0].attribute[0], onnxAttribute fmod', () => {
    const e = errorOf(() => analyzeOnnx(oneNode({ op: 'Mod', inputs: ['x', 'x'], outputs: ['y'], name: 'm', attrs: { fmod: { i: 2 } } })));
    expect(e.message).toBe("node 'm' (Mod): attribute 'fmod' must be 0 or 1, got 2");
    expect(e.details).toEqual({ path: '$.graph.node[0].attribute[0]', layer: 'm', opType: 'Mod', onnxAttribute: 'fmod' });
  });

  it('Mod fmod 1: the layer reads it (fmod true), so a valid file is unchanged', () => {
    const { graph } = importOnnx(oneNode({ op: 'Mod', inputs: ['x', 'x'], outputs: ['y'], name: 'm', attrs: { fmod: { i: 1 } } }));
    expect(graph.layers.map((l) => [l.op, l.attrs])).toEqual([['mod', { fmod: true }]]);
  });
});

describe('sequences (sequences.ts) and control flow (control-flow.ts): a node written in the place of the file\'s names the file\'s fields', () => {
  const x = [{ name: 'x', shape: [1, 2, 8, 8] }];

  it('SplitToSequence (keepdims its attribute[0], axis 7 its attribute[1]) read by SequenceAt, resolved to a Split: INVALID_ATTRIBUTE at $.graph.node[0].attribute[1], onnxAttribute axis (was attribute[0], the keepdims, the index of the Split convlens wrote), opType SplitToSequence (was Split)', () => {
    const bytes = onnxModel({
      inputs: x,
      outputs: ['y'],
      initializers: [int64('sp', [4, 4]), { name: 'p', dims: [], data: [0], type: 'int64' }],
      nodes: [
        { op: 'SplitToSequence', inputs: ['x', 'sp'], outputs: ['s'], name: 'split', attrs: { keepdims: { i: 1 }, axis: { i: 7 } } },
        { op: 'SequenceAt', inputs: ['s', 'p'], outputs: ['y'], name: 'at' },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.message).toBe("layer 'split': axis=7 is out of range for rank 4 (input [1, 2, 8, 8]): valid values are -4…3");
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1]', onnxAttribute: 'axis', layer: 'split', opType: 'SplitToSequence' });
  });

  it('ConcatFromSequence (new_axis 0 its attribute[0], axis 7 its attribute[1]) of SequenceConstruct(x, x), resolved to a Concat: INVALID_ATTRIBUTE at $.graph.node[1].attribute[1], onnxAttribute axis (was attribute[0]), opType ConcatFromSequence (was Concat)', () => {
    const bytes = onnxModel({
      inputs: x,
      outputs: ['y'],
      nodes: [
        { op: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['s'], name: 'make' },
        { op: 'ConcatFromSequence', inputs: ['s'], outputs: ['y'], name: 'cat', attrs: { new_axis: { i: 0 }, axis: { i: 7 } } },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details).toMatchObject({ path: '$.graph.node[1].attribute[1]', onnxAttribute: 'axis', layer: 'cat', opType: 'ConcatFromSequence' });
  });

  it("ConcatFromSequence whose axis (attribute[1]) is a FLOAT: ONNX_GRAPH_INVALID at $.graph.node[1].attribute[1], onnxAttribute axis (sequences.ts read its .i: the default 0, silently)", () => {
    const bytes = onnxModel({
      inputs: x,
      outputs: ['y'],
      nodes: [
        { op: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['s'], name: 'make' },
        { op: 'ConcatFromSequence', inputs: ['s'], outputs: ['y'], name: 'cat', attrs: { new_axis: { i: 0 }, axis: { f: 1 } } },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.message).toBe("node 'cat' (ConcatFromSequence): attribute 'axis' must be an INT, got FLOAT");
    expect(e.details).toEqual({ path: '$.graph.node[1].attribute[1]', layer: 'cat', opType: 'ConcatFromSequence', onnxAttribute: 'axis' });
  });

  it('If on a constant true whose then_branch output names a tensor nothing defines: ONNX_GRAPH_INVALID at the If, $.graph.node[0] (was $.graph.node[0].input[0], its condition: the index in the Identity convlens wrote), naming the If op type (was Identity)', () => {
    const branch = (output: string) => ({ g: { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'r' }], outputs: [output] } });
    const bytes = onnxModel({
      inputs: x,
      outputs: ['y'],
      initializers: [{ name: 'c', dims: [], data: [1], type: 'bool' }],
      nodes: [{ op: 'If', inputs: ['c'], outputs: ['y'], name: 'if', attrs: { then_branch: branch('nowhere'), else_branch: branch('r') } }],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    // the If's own op type, not that of the Identity convlens writes for its output (was '(Identity)')
    expect(e.message).toBe("node 'if/output0' (If) reads 'nowhere', which no input, initializer or node produces");
    expect(e.details).toEqual({ path: '$.graph.node[0]', layer: 'if/output0' });
  });

  it('a node inlined from a branch keeps its own attributes, under the AttributeProto that holds the branch: Concat axis 7 in then_branch (the If\'s attribute[1], after else_branch) at $.graph.node[0].attribute[1].g.node[0].attribute[0] (was .then_branch.node[0], a field the file does not have)', () => {
    const bytes = onnxModel({
      inputs: x,
      outputs: ['y'],
      initializers: [{ name: 'c', dims: [], data: [1], type: 'bool' }],
      nodes: [
        {
          op: 'If',
          inputs: ['c'],
          outputs: ['y'],
          name: 'if',
          attrs: {
            else_branch: { g: { nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'r' }], outputs: ['r'] } },
            then_branch: { g: { nodes: [{ op: 'Concat', inputs: ['x', 'x'], outputs: ['r'], name: 'cat', attrs: { axis: { i: 7 } } }], outputs: ['r'] } },
          },
        },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1].g.node[0].attribute[0]', onnxAttribute: 'axis', layer: 'if/then/cat' });
  });
});

describe('a node of an unrolled Loop body is under the body AttributeProto (its field g)', () => {
  it('Loop M 2 over x whose body concatenates its carried value with axis a FLOAT: ONNX_GRAPH_INVALID at $.graph.node[1].attribute[0].g.node[0].attribute[0], onnxAttribute axis (was .body.node[0])', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
      outputs: ['v_final'],
      initializers: [int64('m', [2])],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'relu' },
        {
          op: 'Loop',
          inputs: ['m', '', 'r'],
          outputs: ['v_final'],
          name: 'loop',
          attrs: { body: { g: { inputs: ['i', 'c', 'v'], outputs: ['c', 'v_out'], nodes: [{ op: 'Concat', inputs: ['v', 'v'], outputs: ['v_out'], name: 'cat', attrs: { axis: { f: 1 } } }] } } },
        },
      ],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.message).toBe("node 'loop/0/cat' (Concat): attribute 'axis' must be an INT, got FLOAT");
    expect(e.details).toEqual({ path: '$.graph.node[1].attribute[0].g.node[0].attribute[0]', onnxAttribute: 'axis', layer: 'loop/0/cat', opType: 'Concat' });
  });
});

describe('a sequence node left unsupported (sequences.ts): refused at the input its own reason is about', () => {
  const reasons = (bytes: Uint8Array) => inferGraph(importOnnx(bytes).graph).analysed.filter((a) => !a.op).map((a) => [a.layer.name, a.layer.attrs.reason, a.unsupportedPath]);

  it("SequenceAt at a computed position (a graph input): at its position, $.graph.node[1].input[1]; the SplitToSequence kept for it, whose reason is the reader's, at the node", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4, 2] }, { name: 'p', shape: [], elemType: 7 }],
      outputs: ['y'],
      initializers: [int64('sp', [2, 2])],
      nodes: [
        { op: 'SplitToSequence', inputs: ['x', 'sp'], outputs: ['s'], name: 'split', attrs: { axis: { i: 1 } } },
        { op: 'SequenceAt', inputs: ['s', 'p'], outputs: ['y'], name: 'at' },
      ],
    });
    expect(reasons(bytes)).toEqual([
      ['split', "a sequence convlens cannot resolve: the sequence 's' is read by 'at' (SequenceAt), which cannot be resolved: SequenceAt 'at': its position 'p' is computed, not a constant", undefined],
      ['at', "a sequence convlens cannot resolve: SequenceAt 'at': its position 'p' is computed, not a constant", '$.graph.node[1].input[1]'],
    ]);
  });
});

describe('a Loop left unsupported (control-flow.ts): refused at the input its reason is about', () => {
  /** Loop (M, cond, v) → (v_final, scan): the body passes v on and scans it. */
  const loop = (inputs: string[], initializers: InitSpec[], graphInputs: { name: string; shape: number[]; elemType?: number }[] = []) =>
    importOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [2, 3] }, ...graphInputs],
        outputs: ['v_final', 'scan'],
        initializers,
        nodes: [
          {
            op: 'Loop',
            inputs,
            outputs: ['v_final', 'scan'],
            name: 'loop',
            attrs: { body: { g: { inputs: ['i', 'c', 'v'], outputs: ['c', 'v_out', 'v_scan'], nodes: [{ op: 'Identity', inputs: ['v'], outputs: ['v_out'], name: 'id' }, { op: 'Identity', inputs: ['v'], outputs: ['v_scan'], name: 'sc' }] } } },
          },
        ],
      }),
    ).graph;
  const refusal = (graph: ReturnType<typeof loop>) => {
    const a = inferGraph(graph).analysed.find((l) => l.layer.name === 'loop')!;
    return [a.layer.attrs.reason, a.unsupportedPath];
  };

  it('M a graph input (computed, not from shapes): at M, $.graph.node[0].input[0] (was the node)', () => {
    expect(refusal(loop(['m', '', 'x'], [], [{ name: 'm', shape: [], elemType: 7 }]))).toEqual(['its trip count M is computed, and not from shapes convlens can fold: the loop cannot be unrolled', '$.graph.node[0].input[0]']);
  });

  it('M 3 and a constant false condition with a scan output: no longer refused (it was, at the condition, .input[1]): kept whole at no iteration, v_final [2, 3] and an empty scan [0, 2, 3], as ONNX Runtime gives them', () => {
    const graph = loop(['m', 'c0', 'x'], [int64('m', [3]), { name: 'c0', dims: [], data: [0], type: 'bool' }]);
    const a = inferGraph(graph).analysed.find((l) => l.layer.name === 'loop')!;
    expect([a.layer.op, a.inferred?.outputs, a.layer.path]).toEqual(['loop', [[2, 3], [0, 2, 3]], '$.graph.node[0]']);
  });

  it('no trip count and no condition (a while loop): at the node, no input being at fault', () => {
    expect(refusal(loop(['', '', 'x'], []))).toEqual(['a loop without a trip count (a while loop) cannot be unrolled', undefined]);
  });
});

describe('a Loop kept whole (import.ts: one loop layer)', () => {
  // torchvision's paste_masks_in_image (test/graph/onnx-control-flow.test.ts): Loop node 61 reads (M, cond, masks); its layer
  // reads those, then the two tensors its body takes from the enclosing graph, which are no input of the node
  const graph = importOnnx(readFileSync(new URL('../fixtures/onnx/detection/paste_masks.onnx', import.meta.url))).graph;
  const loop = graph.layers.find((l) => l.op === 'loop')!;

  it('its body (attribute[0]) is that AttributeProto; a carried input is the node\'s; a tensor the body captures is no input of the node: .input, the list (was .input[3], a field the node does not have)', () => {
    expect([loop.path, loop.inputs.length]).toEqual(['$.graph.node[61]', 5]);
    expect(fieldUnderLayer(loop, '$.body')).toEqual({ path: '$.graph.node[61].attribute[0]', onnxAttribute: 'body' });
    expect(fieldUnderLayer(loop, '$.inputs[2]')).toEqual({ path: '$.graph.node[61].input[2]' });
    expect(fieldUnderLayer(loop, '$.inputs[3]')).toEqual({ path: '$.graph.node[61].input' });
  });
});
