/**
 * The family mappers (graph/onnx/map-quant.ts, map-detection.ts, map-math.ts) and the nodes
 * control flow and sequences write in a node's place say what each convlens attribute is read from
 * (Mapped.from), so an error about it names the file's field: the AttributeProto
 * (`$.graph.node[0].attribute[1]`, details.onnxAttribute its name) or the node input
 * (`$.graph.node[0].input[4]`), never the node alone when the file has the field.
 * test/graph/onnx-error-paths.test.ts has the Conv, pooling, Slice and Softmax cases.
 */
import { describe, expect, it } from 'vitest';
import { errorOf } from '../helpers.js';
import type { NodeSpec } from './onnx-builder.js';
import { analyzeOnnx, oneNode, qlinearConv } from './onnx-error-models.js';

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
