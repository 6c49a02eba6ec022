/**
 * Folding of data-movement ops (slice, transpose, tile …) on known values of any rank: the op's own
 * kernel runs on the positions 0 … n − 1 (exact in float32 below 2^24, far above the folding cap
 * of 65,536 elements), and each output position picks the value it names. One rule for every
 * movement, so a folded value is exactly what the kernel computes, and int64 values (kept as
 * JavaScript numbers) never pass through float32.
 */
import type { Shape, TensorValue } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export function foldMovement(v: TensorValue, shape: Shape, move: (positions: Tensor) => Tensor): TensorValue {
  const positions = new Float32Array(v.data.length);
  for (let i = 0; i < positions.length; i++) positions[i] = i;
  const moved = move(tensor(shape, positions)).data;
  return { data: Array.from(moved, (p) => v.data[p]), integer: v.integer };
}
