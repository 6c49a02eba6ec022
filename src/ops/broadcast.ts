/**
 * NumPy/ONNX multidirectional broadcasting (numpy.org/doc/stable/user/basics.broadcasting.html;
 * onnx.ai Broadcasting.md; torch broadcasting semantics), one rule for shapes, folded constants,
 * matmul's batch dims, reductions and the element-wise kernels:
 *
 *   shapes align at their last dim; per dim the sizes must be equal or one of them 1; the result
 *   takes the larger. An operand of shape `from` read as `to` has stride 0 along every dim it is
 *   broadcast over (missing leading dims and size-1 dims) and its own row-major stride elsewhere
 *   (broadcastStrides, tensor/nd.ts), so output element (i₀ … iₖ) reads from[Σ i_d·stride_d].
 */
import { numel } from './types.js';
import type { Shape, TensorValue } from './types.js';
import { broadcastStrides } from '../tensor/nd.js';

export { broadcastStrides };

/** NumPy/ONNX multidirectional broadcasting; null when the shapes are incompatible. */
export function broadcastShapes(shapes: readonly Shape[]): number[] | null {
  // a loop, not Math.max(...): an add may have a million inputs
  let rank = 0;
  for (const s of shapes) rank = Math.max(rank, s.length);
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) return null;
    }
  }
  return out;
}

/**
 * For every element of `to`, in row-major order, the flat index of the element of `from` it
 * reads under broadcasting (`from` must broadcast to `to`).
 */
export function broadcastIndex(from: Shape, to: Shape): Int32Array {
  const stride = broadcastStrides(from, to);
  const index = new Int32Array(numel(to));
  const rank = to.length;
  const at = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < index.length; i++) {
    index[i] = src;
    // odometer over `to`, last dim fastest, moving the source offset by the dim's stride
    for (let d = rank - 1; d >= 0; d--) {
      src += stride[d];
      if (++at[d] < to[d]) break;
      src -= stride[d] * to[d];
      at[d] = 0;
    }
  }
  return index;
}

/** Values of a small tensor broadcast to `shape` (NumPy rules). */
export function broadcastValue(v: TensorValue, from: Shape, to: Shape): TensorValue {
  const data = Array.from(broadcastIndex(from, to), (i) => v.data[i]);
  return { data, integer: v.integer };
}

/** Folding limit: constant values larger than this are not evaluated (src/limits.ts). */
export { MAX_FOLDED_TENSOR } from '../limits.js';
