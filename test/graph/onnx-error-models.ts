/** ONNX models whose errors have a known place in the file, for test/graph and test/http onnx-error-paths tests. */
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { Attr, InitSpec, NodeSpec } from './onnx-builder.js';

/** x [1, 2, 3, 3] → Relu (node 0) → Conv (node 1) with W [4, 2, 5, 5]: a 5×5 kernel over a 3×3 input, unpadded. */
export function bigKernelConv(attrs: Record<string, Attr>, x: (number | string)[] = [1, 2, 3, 3]): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', shape: x }],
    outputs: ['y'],
    initializers: [{ name: 'W', dims: [4, 2, 5, 5] }],
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'], name: 'r' },
      { op: 'Conv', inputs: ['r', 'W'], outputs: ['y'], name: 'c', attrs },
    ],
  });
}
/** strides, pads, then kernel_shape: kernel_shape is the node's third AttributeProto (attribute[2]), as in torch's exports. */
export const CONV_ATTRS: Record<string, Attr> = { strides: { ints: [1, 1] }, pads: { ints: [0, 0, 0, 0] }, kernel_shape: { ints: [5, 5] } };

/** The same 5×5 kernel over a 3×3 input as a JSON spec, the conv its fourth layer: its paths stay convlens's ($.layers[3].kernelSize). */
export const KERNEL_OVER_INPUT_SPEC = {
  inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
  layers: [
    { name: 'a', op: 'relu' },
    { name: 'b', op: 'relu' },
    { name: 'c', op: 'relu' },
    { name: 'd', op: 'conv2d', outChannels: 4, kernelSize: 5 },
  ],
};

/** An imported file analysed with no input shapes given: the error a layer's field raises names the file's field. */
export const analyzeOnnx = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes, { inputShapes: {} }).graph, DEFAULTS);

/** An int64 initializer of the given values, 1-D. */
export const int64 = (name: string, data: number[]): InitSpec => ({ name, dims: [data.length], data, type: 'int64' });

/** A file of one node reading the float input x (default [1, 2, 8, 8]) and the initializers given. */
export const oneNode = (node: NodeSpec, initializers: InitSpec[] = [], opset = 13, x: number[] = [1, 2, 8, 8]) =>
  onnxModel({ inputs: [{ name: 'x', shape: x }], outputs: node.outputs, initializers, nodes: [node], opset });

/** A scalar initializer (float unless `type` says). */
export const scalar = (name: string, v: number, type?: InitSpec['type']): InitSpec => ({ name, dims: [], data: [v], ...(type && { type }) });

/** QLinearConv 2 → 4 channels, 3×3, over x [1, 2, 8, 8] (pads its attribute[0], then `attrs`): its w_scale (node input 4, the layer's input 3) holds `wScale`. */
export function qlinearConv(wScale: number[], attrs: NodeSpec['attrs'] = {}): Uint8Array {
  const node: NodeSpec = { op: 'QLinearConv', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], outputs: ['y'], name: 'qc', attrs: { pads: { ints: [1, 1, 1, 1] }, ...attrs } };
  return oneNode(node, [
    scalar('xs', 0.1),
    scalar('xz', 128, 'uint8'),
    { name: 'w', dims: [4, 2, 3, 3], data: new Array(72).fill(1), type: 'int8' },
    { name: 'ws', dims: [wScale.length], data: wScale },
    scalar('wz', 0, 'int8'),
    scalar('ys', 0.1),
    scalar('yz', 128, 'uint8'),
  ]);
}

/** QuantizeLinear over x [1, 2, 8, 8] with axis 1 then block_size 2 (attribute[1]): blocked quantization, which convlens leaves unsupported. */
export function blockedQuantize(): Uint8Array {
  const node: NodeSpec = { op: 'QuantizeLinear', inputs: ['x', 's'], outputs: ['y'], name: 'q', attrs: { axis: { i: 1 }, block_size: { i: 2 } } };
  return oneNode(node, [{ name: 's', dims: [2, 4, 8] }]);
}
