/**
 * The family mappers (graph/onnx/map-quant.ts, map-detection.ts, map-math.ts) and the nodes
 * control flow and sequences write in a node's place say what each convlens attribute is read from
 * (Mapped.from), so an error about it names the file's field: the AttributeProto
 * (`$.graph.node[0].attribute[1]`, details.onnxAttribute its name) or the node input
 * (`$.graph.node[0].input[4]`), never the node alone when the file has the field.
 * test/graph/onnx-error-paths.test.ts has the Conv, pooling, Slice and Softmax cases.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';
import { analyzeOnnx, int64, oneNode, qlinearConv } from './onnx-error-models.js';

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
  it('Mod fmod 2 (ONNX Runtime: "fmod must have value either 0 or 1"; was read as 0, Python\'s %): ONNX_GRAPH_INVALID at $.graph.node[0].attribute[0], attribute fmod', () => {
    const e = errorOf(() => analyzeOnnx(oneNode({ op: 'Mod', inputs: ['x', 'x'], outputs: ['y'], name: 'm', attrs: { fmod: { i: 2 } } })));
    expect(e.message).toBe("node 'm' (Mod): attribute 'fmod' must be 0 or 1, got 2");
    expect(e.details).toEqual({ path: '$.graph.node[0].attribute[0]', layer: 'm', opType: 'Mod', attribute: 'fmod' });
  });

  it('Mod fmod 1: the layer reads it (fmod true), so a valid file is unchanged', () => {
    const { graph } = importOnnx(oneNode({ op: 'Mod', inputs: ['x', 'x'], outputs: ['y'], name: 'm', attrs: { fmod: { i: 1 } } }));
    expect(graph.layers.map((l) => [l.op, l.attrs])).toEqual([['mod', { fmod: true }]]);
  });
});
