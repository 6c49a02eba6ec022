/**
 * An ONNX file of two inputs whose spatial dims are dynamic, a [1, 1, h, w] and b [1, 1, h2, w2]:
 * ya = conv(a, wa), yb = conv(b, wb), both 3×3 without padding, added into `sum`. At 5×5 inputs the
 * sum is 3×3, and its unit (1, 1) has ∂/∂a[1 + u, 1 + v] = wa[u, v] and ∂/∂b[1 + u, 1 + v] =
 * wb[u, v] (hand-worked: `placed`). For the specs that size each input from the tensors given.
 */
import { onnxModel } from '../graph/onnx-builder.js';

export const WA = [1, 2, 3, 4, 5, 6, 7, 8, 9];
export const WB = [9, 8, 7, 6, 5, 4, 3, 2, 1];

export const twoDynamicOnnx = (): Uint8Array =>
  onnxModel({
    inputs: [{ name: 'a', shape: [1, 1, 'h', 'w'] }, { name: 'b', shape: [1, 1, 'h2', 'w2'] }],
    outputs: ['sum'],
    nodes: [
      { op: 'Conv', inputs: ['a', 'wa'], outputs: ['ya'], name: 'ca', attrs: { kernel_shape: { ints: [3, 3] } } },
      { op: 'Conv', inputs: ['b', 'wb'], outputs: ['yb'], name: 'cb', attrs: { kernel_shape: { ints: [3, 3] } } },
      { op: 'Add', inputs: ['ya', 'yb'], outputs: ['sum'], name: 'add' },
    ],
    initializers: [{ name: 'wa', dims: [1, 1, 3, 3], data: WA }, { name: 'wb', dims: [1, 1, 3, 3], data: WB }],
  });

/** A 5×5 input's gradient of sum[0, 0, 1, 1]: the 3×3 weight `w` on rows and columns 1…3, zero elsewhere. */
export const placed = (w: readonly number[]): number[] =>
  Array.from({ length: 25 }, (_, k) => (k % 5 >= 1 && k % 5 <= 3 && k >= 5 && k < 20 ? w[(Math.floor(k / 5) - 1) * 3 + (k % 5) - 1] : 0));
