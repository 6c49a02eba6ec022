/**
 * x [1, 64, 1, 1] → Conv with ReduceSum(Concat(W ×4; axis 0), axis 0) of W [8, 64, 1, 1]: a 64-value
 * weight computed through 2,048 values, so a configured MAX_TENSOR_ELEMENTS between the two decides
 * whether the fold runs (onnx-fold-configured.test.ts, test/http/run-fold-memory.test.ts).
 */
import { onnxModel } from './onnx-builder.js';

export const concatSumConvModel = () =>
  onnxModel({
    inputs: [{ name: 'x', shape: [1, 64, 1, 1] }],
    outputs: ['y'],
    initializers: [
      { name: 'W', dims: [8, 64, 1, 1], data: Array.from({ length: 512 }, (_, i) => ((i * 7) % 11) - 5) },
      { name: 'axes0', dims: [1], data: [0], type: 'int64' },
    ],
    nodes: [
      { op: 'Concat', inputs: ['W', 'W', 'W', 'W'], outputs: ['W4'], name: 'four', attrs: { axis: { i: 0 } } },
      { op: 'ReduceSum', inputs: ['W4', 'axes0'], outputs: ['Wsum'], name: 'sum', attrs: { keepdims: { i: 1 } } },
      { op: 'Conv', inputs: ['x', 'Wsum'], outputs: ['y'], name: 'conv' },
    ],
    opset: 13,
  });
