/**
 * A node the mappers of map-node.ts, map-gemm.ts, map-index.ts and map-activation.ts leave
 * unsupported is refused by a run at the field its reason is about (Unsupported.field, resolved
 * against the file's node: file-fields.ts), the AttributeProto `.attribute[j]` or the input
 * `.input[i]`; a reason about no field of the file (an absent W) stays at the node.
 * test/graph/onnx-error-paths-families.test.ts has the quantization and detection mappers'.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from './onnx-builder.js';
import type { InitSpec, NodeSpec } from './onnx-builder.js';

type Input = { name: string; shape: number[]; elemType?: number };

/** The one node `n` over x [1, 2, 8, 8] (and `more` graph inputs): its layer's reason and where a run refuses it. */
function refusal(node: NodeSpec, initializers: InitSpec[] = [], more: Input[] = [], opset = 13): [unknown, string | undefined] {
  const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 2, 8, 8] }, ...more], outputs: [node.outputs[0]], initializers, nodes: [node], opset });
  const a = inferGraph(importOnnx(bytes).graph).analysed.find((l) => l.layer.name === 'n')!;
  return [a.layer.attrs.reason, a.unsupportedPath];
}

const n = (op: string, inputs: string[], attrs: NodeSpec['attrs'] = {}): NodeSpec => ({ op, inputs, outputs: ['y'], name: 'n', attrs });

describe('map-node.ts', () => {
  it('Conv whose W is a graph input (a dynamic conv): at W, $.graph.node[0].input[1]', () => {
    const [reason, path] = refusal(n('Conv', ['x', 'w'], { strides: { ints: [1, 1] } }), [], [{ name: 'w', shape: [4, 2, 3, 3] }]);
    expect(reason).toMatch(/^the weight W is an input of the graph, not an initializer/);
    expect(path).toBe('$.graph.node[0].input[1]');
  });

  it('Conv whose W [4, 2, 3, 3, 3, 3] is 4-D: at W, .input[1]', () => {
    const [reason, path] = refusal(n('Conv', ['x', 'w']), [{ name: 'w', dims: [4, 2, 3, 3, 3, 3] }]);
    expect(reason).toMatch(/convolution/);
    expect(path).toBe('$.graph.node[0].input[1]');
  });

  it('ConvTranspose 2-D with an output_shape of 3 sizes (its attribute[1], after strides; ONNX gives the 2 spatial ones): at .attribute[1]', () => {
    const [reason, path] = refusal(n('ConvTranspose', ['x', 'w'], { strides: { ints: [2, 2] }, output_shape: { ints: [4, 16, 16] } }), [{ name: 'w', dims: [2, 4, 3, 3] }]);
    expect(reason).toBe('output_shape of length 3 for a 2-D transposed convolution (ONNX gives the 2 spatial sizes)');
    expect(path).toBe('$.graph.node[0].attribute[1]');
  });

  it('MaxPool storage_order 1 (its attribute[1]): at .attribute[1]', () => {
    const [reason, path] = refusal(n('MaxPool', ['x'], { kernel_shape: { ints: [2, 2] }, storage_order: { i: 1 } }));
    expect(reason).toBe('storage_order 1 (column-major indices)');
    expect(path).toBe('$.graph.node[0].attribute[1]');
  });

  it('Clip-13 whose min is a graph input: at min, .input[1]; max, a graph input too, is input 2', () => {
    const scalarIn = (name: string): Input => ({ name, shape: [] });
    expect(refusal(n('Clip', ['x', 'lo']), [], [scalarIn('lo')])).toEqual(['input 1 is not a constant', '$.graph.node[0].input[1]']);
    expect(refusal(n('Clip', ['x', '', 'hi']), [], [scalarIn('hi')])).toEqual(['input 2 is not a constant', '$.graph.node[0].input[2]']);
  });
});

describe('map-gemm.ts', () => {
  const gemm = (b: number[], c?: number[]) =>
    onnxModel({
      inputs: [{ name: 'a', shape: [3, 4] }],
      outputs: ['y'],
      initializers: [{ name: 'b', dims: b }, ...(c ? [{ name: 'c', dims: c }] : [])],
      nodes: [n('Gemm', ['a', 'b', ...(c ? ['c'] : [])], { transB: { i: 1 } })],
    });
  const at = (bytes: Uint8Array) => {
    const a = inferGraph(importOnnx(bytes).graph).analysed.find((l) => l.layer.name === 'n')!;
    return [a.layer.attrs.reason, a.unsupportedPath];
  };

  it('B of shape [4] (not a matrix): at B, .input[1]', () => {
    expect(at(gemm([4]))).toEqual(["B of shape [4]: a Gemm's B is a matrix", '$.graph.node[0].input[1]']);
  });

  it('C of shape [3, 2] beside B [5, 4] (N = 5): at C, .input[2]', () => {
    expect(at(gemm([5, 4], [3, 2]))).toEqual(["a bias C of shape [3, 2]: ONNX's C broadcasts to [M, 5] (unidirectionally)", '$.graph.node[0].input[2]']);
  });
});

describe('map-index.ts', () => {
  it("Einsum whose equation (attribute[0]) is '': at .attribute[0]", () => {
    expect(refusal(n('Einsum', ['x'], { equation: { s: '' } }))).toEqual(['no equation', '$.graph.node[0].attribute[0]']);
  });

  it("GridSample-16 mode 'area' (its attribute[1], after align_corners): at .attribute[1]", () => {
    const node = n('GridSample', ['x', 'grid'], { align_corners: { i: 0 }, mode: { s: 'area' } });
    const [reason, path] = refusal(node, [], [{ name: 'grid', shape: [1, 4, 4, 2] }], 16);
    expect(reason).toMatch(/^mode area/);
    expect(path).toBe('$.graph.node[0].attribute[1]');
  });

  it('ConstantOfShape whose value (attribute[0]) holds 2 elements: at .attribute[0]', () => {
    const node = n('ConstantOfShape', ['shape'], { value: { t: { dims: [2], data: [1, 2] } } });
    const [reason, path] = refusal(node, [], [{ name: 'shape', shape: [2], elemType: 7 }]);
    expect(reason).toMatch(/^a value tensor of 2 elements/);
    expect(path).toBe('$.graph.node[0].attribute[0]');
  });
});

describe('map-activation.ts', () => {
  it('PRelu whose slope is a graph input: at the slope, .input[1]; a slope [2, 8] (two axes not 1): there too', () => {
    expect(refusal(n('PRelu', ['x', 's']), [], [{ name: 's', shape: [2, 1, 1] }])).toEqual(['the slope (input 1) is not a constant', '$.graph.node[0].input[1]']);
    const [reason, path] = refusal(n('PRelu', ['x', 's']), [{ name: 's', dims: [2, 8, 1] }]);
    expect(reason).toMatch(/^a slope of shape \[2, 8, 1\]/);
    expect(path).toBe('$.graph.node[0].input[1]');
  });

  it("Gelu-20 approximate 'fast' (its attribute[0]): at .attribute[0]", () => {
    expect(refusal(n('Gelu', ['x'], { approximate: { s: 'fast' } }), [], [], 20)).toEqual(["approximate 'fast'", '$.graph.node[0].attribute[0]']);
  });
});
