/**
 * An error about a layer imported from ONNX names a field the file has (src/errors.ts
 * fieldUnderLayer, graph/onnx/file-fields.ts): the AttributeProto a convlens attribute was read from
 * (`$.graph.node[1].attribute[2]`, its kernel_shape, named in details.onnxAttribute), the node input
 * it was read from (opset ≥ 10 Slice's starts: `.input[1]`), else the node itself: never a convlens
 * name (`$.graph.node[1].kernelSize`), which the file does not have. A JSON spec keeps its own paths.
 */
import { describe, expect, it } from 'vitest';
import { analyze, errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import { analyzeOnnx, bigKernelConv, CONV_ATTRS, int64, KERNEL_OVER_INPUT_SPEC, oneNode } from './onnx-error-models.js';

describe('an attribute read from one ONNX attribute: the path is that AttributeProto', () => {
  it('Conv 5×5 (kernel_shape at attribute[2]) over a 3×3 input, pads 0: KERNEL_TOO_LARGE at $.graph.node[1].attribute[2], onnxAttribute kernel_shape (was $.graph.node[1].kernelSize)', () => {
    const e = errorOf(() => analyzeOnnx(bigKernelConv(CONV_ATTRS)));
    expect(e.code).toBe('KERNEL_TOO_LARGE');
    expect(e.details).toMatchObject({ path: '$.graph.node[1].attribute[2]', onnxAttribute: 'kernel_shape', layer: 'c', opType: 'Conv' });
  });

  it('the same attributes in another order (kernel_shape first): attribute[0], the index of the node\'s own list', () => {
    const { kernel_shape, ...rest } = CONV_ATTRS;
    const e = errorOf(() => analyzeOnnx(bigKernelConv({ kernel_shape, ...rest })));
    expect(e.details).toMatchObject({ path: '$.graph.node[1].attribute[0]', onnxAttribute: 'kernel_shape' });
  });

  it('Conv group 2 over 3 channels (W [4, 2, 3, 3]): INVALID_ATTRIBUTE at the group attribute, attribute[1]', () => {
    const conv = { op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c', attrs: { strides: { ints: [1, 1] }, group: { i: 2 } } };
    const e = errorOf(() => analyzeOnnx(oneNode(conv, [{ name: 'W', dims: [4, 2, 3, 3] }], 13, [1, 3, 8, 8])));
    expect([e.code, e.details.path, e.details.onnxAttribute]).toEqual(['INVALID_ATTRIBUTE', '$.graph.node[0].attribute[1]', 'group']);
  });

  it('MaxPool strides [0, 0] (attribute[1]): ONNX_GRAPH_INVALID at $.graph.node[0].attribute[1], onnxAttribute strides (was $.graph.node[0].attribute, the list)', () => {
    const pool = { op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'p', attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [0, 0] } } };
    const e = errorOf(() => analyzeOnnx(oneNode(pool)));
    expect(e.code).toBe('ONNX_GRAPH_INVALID');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1]', onnxAttribute: 'strides', layer: 'p', opType: 'MaxPool' });
  });

  it('Concat axis 7 over rank 4: INVALID_ATTRIBUTE at attribute[0] (its axis; convlens calls it dim)', () => {
    const e = errorOf(() => analyzeOnnx(oneNode({ op: 'Concat', inputs: ['x', 'x'], outputs: ['y'], name: 'cat', attrs: { axis: { i: 7 } } })));
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[0]', onnxAttribute: 'axis' });
  });

  it('Softmax (opset 13) axis 4 over rank 4 (a family mapper, map-activation.ts): at attribute[0], onnxAttribute axis (its default, below, names the node)', () => {
    const e = errorOf(() => analyzeOnnx(oneNode({ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 's', attrs: { axis: { i: 4 } } })));
    expect([e.code, e.details.path, e.details.onnxAttribute]).toEqual(['INVALID_ATTRIBUTE', '$.graph.node[0].attribute[0]', 'axis']);
  });
});

describe('an attribute read from a node input: the path is that input', () => {
  it('Conv with no kernel_shape: the kernel is W\'s shape, so KERNEL_TOO_LARGE at $.graph.node[1].input[1] (W), no onnxAttribute', () => {
    const e = errorOf(() => analyzeOnnx(bigKernelConv({})));
    expect(e.code).toBe('KERNEL_TOO_LARGE');
    expect(e.details.path).toBe('$.graph.node[1].input[1]');
    expect(e.details).not.toHaveProperty('onnxAttribute');
  });

  it('Conv over 3 channels whose W is [4, 2, 3, 3] (C/group = 3 needs [4, 3, 3, 3]): SHAPE_MISMATCH at the weight, $.graph.node[0].input[1] (was .input, the list)', () => {
    const conv = { op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c', attrs: { strides: { ints: [1, 1] } } };
    const e = errorOf(() => analyzeOnnx(oneNode(conv, [{ name: 'W', dims: [4, 2, 3, 3] }], 13, [1, 3, 8, 8])));
    expect(e.message).toBe("layer 'c': initializer 'W' [4, 2, 3, 3] cannot be the weight [4, 3, 3, 3] this layer needs");
    expect(e.details).toMatchObject({ path: '$.graph.node[0].input[1]', layer: 'c', opType: 'Conv', shapes: { W: [4, 2, 3, 3], weight: [4, 3, 3, 3] } });
  });

  it('BatchNormalization on 8 channels whose mean (input 3) holds 4: at $.graph.node[0].input[3], whichever weight it is', () => {
    const bn = { op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'], outputs: ['y'], name: 'bn' };
    const e = errorOf(() => analyzeOnnx(oneNode(bn, [{ name: 'g', dims: [8] }, { name: 'b', dims: [8] }, { name: 'm', dims: [4] }, { name: 'v', dims: [8] }], 13, [1, 8, 4, 4])));
    expect([e.code, e.details.path]).toEqual(['SHAPE_MISMATCH', '$.graph.node[0].input[3]']);
  });

  it('Slice (opset 13) whose starts is a graph input, not a constant: INVALID_ATTRIBUTE at $.graph.node[0].input[1] (was .input, the list)', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, { name: 'st', shape: [1], elemType: 7 }],
      outputs: ['y'],
      initializers: [int64('e', [4]), int64('ax', [2])],
      nodes: [{ op: 'Slice', inputs: ['x', 'st', 'e', 'ax'], outputs: ['y'], name: 'sl' }],
    });
    const e = errorOf(() => analyzeOnnx(bytes));
    expect(e.message).toBe("layer 'sl': starts comes from input 1, whose value is not a constant convlens can evaluate");
    expect(e.details.path).toBe('$.graph.node[0].input[1]');
  });

  it('Slice (opset 13) with steps [0] (input 4): INVALID_ATTRIBUTE "slice step 0" at $.graph.node[0].input[4] (was $.graph.node[0].steps)', () => {
    const slice = { op: 'Slice', inputs: ['x', 's', 'e', 'ax', 'sp'], outputs: ['y'], name: 'sl' };
    const e = errorOf(() => analyzeOnnx(oneNode(slice, [int64('s', [0]), int64('e', [4]), int64('ax', [2]), int64('sp', [0])])));
    expect([e.message, e.details.path]).toEqual(["layer 'sl': slice step 0", '$.graph.node[0].input[4]']);
  });

  it('Slice (opset 9, starts/ends/axes attributes) with ends of a second length: at the ends AttributeProto, attribute[1]', () => {
    const slice = { op: 'Slice', inputs: ['x'], outputs: ['y'], name: 'sl', attrs: { starts: { ints: [0, 0] }, ends: { ints: [4] } } };
    const e = errorOf(() => analyzeOnnx(oneNode(slice, [], 9)));
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1]', onnxAttribute: 'ends' });
  });
});

describe('an attribute convlens defaults or derives: the path is the node', () => {
  it('Softmax (opset 11) with no axis, so axis 1, over a rank-1 input [4]: INVALID_ATTRIBUTE at $.graph.node[0] (was $.graph.node[0].dim)', () => {
    const e = errorOf(() => analyzeOnnx(oneNode({ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 's' }, [], 11, [4])));
    expect(e.message).toBe("layer 's': dim=1 is out of range for rank 1 (input [4]): valid values are -1…0");
    expect(e.details.path).toBe('$.graph.node[0]');
    expect(e.details).not.toHaveProperty('onnxAttribute');
  });
});

describe('a JSON spec keeps its own paths', () => {
  it('conv2d kernelSize 5 over a 3×3 input as layers[3]: KERNEL_TOO_LARGE at $.layers[3].kernelSize, no onnxAttribute', () => {
    const spec = KERNEL_OVER_INPUT_SPEC;
    const e = errorOf(() => analyze(spec));
    expect([e.code, e.details.path]).toEqual(['KERNEL_TOO_LARGE', '$.layers[3].kernelSize']);
    expect(e.details).not.toHaveProperty('onnxAttribute');
  });
});

describe('the report', () => {
  it("a layer's source in the report is its format and op type only (the file's fields are for errors)", () => {
    const r = analyzeOnnx(bigKernelConv({ strides: { ints: [1, 1] }, kernel_shape: { ints: [5, 5] } }, [1, 2, 8, 8]));
    expect(r.layers.map((l) => l.source)).toEqual([{ format: 'onnx', opType: 'Relu' }, { format: 'onnx', opType: 'Conv' }]);
  });
});
