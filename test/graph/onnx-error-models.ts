/** ONNX models whose errors have a known place in the file, for test/graph and test/http onnx-error-paths tests. */
import { onnxModel } from './onnx-builder.js';
import type { Attr } from './onnx-builder.js';

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
