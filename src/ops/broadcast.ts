/** NumPy/ONNX multidirectional broadcasting, for shapes and for folding small constant values. */
import { numel } from './types.js';
import type { Shape, TensorValue } from './types.js';

/** NumPy/ONNX multidirectional broadcasting; null when the shapes are incompatible. */
export function broadcastShapes(shapes: readonly Shape[]): number[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
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

/** Values of a small tensor broadcast to `shape` (NumPy rules). */
export function broadcastValue(v: TensorValue, from: Shape, to: Shape): TensorValue {
  const n = numel(to);
  const data = new Array<number>(n);
  const offset = to.length - from.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let stride = 1;
    for (let d = to.length - 1; d >= 0; d--) {
      const coord = rem % to[d];
      rem = Math.floor(rem / to[d]);
      const fd = d - offset;
      if (fd >= 0) {
        if (from[fd] !== 1) src += coord * stride;
        stride *= from[fd];
      }
    }
    data[i] = v.data[src];
  }
  return { data, integer: v.integer };
}

/** Folding limit: constant values larger than this are not evaluated. */
export const MAX_FOLDED_ELEMENTS = 65_536;
