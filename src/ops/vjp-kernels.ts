/**
 * Building blocks of the vector-Jacobian products (OpDef.vjp), shared by the op families.
 *
 *   sumToShape   the adjoint of broadcasting: an operand of shape `from` read as `to` receives
 *                the sum of the gradient over every dim it was broadcast along,
 *                gx[Σ i_d·stride_d] += g[i]  (stride 0 on broadcast dims: broadcast.ts)
 *   gradOrZeros  ∂L/∂output k, zeros when the output does not reach L (gradOutputs[k] null)
 *
 * Gradients are fresh arrays, never the caller's: a backward pass may accumulate into them.
 */
import { broadcastStrides } from '../tensor/nd.js';
import { numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { VjpContext } from './types.js';

/** ∂L/∂output k as a flat array (zeros when that output does not reach L). */
export function gradOrZeros(ctx: VjpContext<unknown, unknown>, k = 0): Float32Array {
  return ctx.gradOutputs[k]?.data ?? new Float32Array(numel(ctx.outputs[k]));
}

/** A fresh copy of g reshaped to `shape` (same element count): the adjoint of every pure reshape. */
export function reshaped(g: Float32Array, shape: readonly number[]): Tensor {
  return tensor(shape, g.slice());
}

/**
 * The adjoint of broadcasting `from` to `to` (g has shape `to`): sums g over the broadcast dims.
 * The last dim runs in a tight loop with its source stride (0 when broadcast: a running sum);
 * the other dims advance an odometer once per row.
 */
export function sumToShape(g: Float32Array, to: readonly number[], from: readonly number[]): Tensor {
  const n = numel(from);
  if (n === g.length) return tensor(from, g.slice());
  const out = new Float32Array(n);
  const rank = to.length;
  if (rank === 0) return tensor(from, out);
  const stride = broadcastStrides(from, to);
  const inner = to[rank - 1];
  const si = stride[rank - 1];
  const rows = inner === 0 ? 0 : g.length / inner;
  const idx = new Int32Array(Math.max(rank - 1, 0));
  let src = 0;
  for (let r = 0, o = 0; r < rows; r++, o += inner) {
    if (si === 0) {
      let acc = 0;
      for (let i = 0; i < inner; i++) acc += g[o + i];
      out[src] += acc;
    } else {
      for (let i = 0, s = src; i < inner; i++, s += si) out[s] += g[o + i];
    }
    // next row: the odometer over dims rank − 2 … 0
    for (let d = rank - 2; d >= 0; d--) {
      src += stride[d];
      if (++idx[d] < to[d]) break;
      src -= stride[d] * to[d];
      idx[d] = 0;
    }
  }
  return tensor(from, out);
}
