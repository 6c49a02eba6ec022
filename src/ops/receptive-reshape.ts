/**
 * Receptive fields through a reshape (ops/movement.ts): which input dims a row-major reshape pairs
 * with which output dims, and what that does to a field's axes (kept, split as a window, or merged
 * into a global field). The field's rules themselves are in receptive-field.ts.
 */
import { blockToSpace, globalOver, wholeAxis } from './receptive-field.js';
import type { AxisRF, TensorRF } from './types.js';

/**
 * Reshape's blocks: runs of input dims and of output dims with equal products (size-1 dims left
 * out), as a row-major reshape pairs them; null when the shapes do not pair (a zero-size dim).
 */
function reshapeBlocks(x: readonly number[], y: readonly number[]): { xs: number[]; ys: number[] }[] | null {
  const blocks: { xs: number[]; ys: number[] }[] = [];
  let i = 0;
  let j = 0;
  const next = (s: readonly number[], k: number) => {
    while (k < s.length && s[k] === 1) k++;
    return k;
  };
  for (i = next(x, i), j = next(y, j); i < x.length && j < y.length; i = next(x, i), j = next(y, j)) {
    const xs = [i];
    const ys = [j];
    let px = x[i++];
    let py = y[j++];
    while (px !== py) {
      if (px < py) {
        i = next(x, i);
        if (i >= x.length) return null;
        xs.push(i);
        px *= x[i++];
      } else {
        j = next(y, j);
        if (j >= y.length) return null;
        ys.push(j);
        py *= y[j++];
      }
    }
    if (!(px > 0)) return null;
    blocks.push({ xs, ys });
  }
  return next(x, i) === x.length && next(y, j) === y.length ? blocks : null;
}

/**
 * The field through a reshape of x to y. An axis kept whole moves to its new dim. An axis split
 * (H → H/b, b: pixel_unshuffle and window partitions as torch.onnx.export writes them, a view and
 * a permute) keeps its field on the outer part, a window of size b and stride b over the input
 * units (unit o reads rows o·b … o·b + b − 1); the inner part is a position within that window, so
 * whatever it joins later (the channels) adds nothing to the field. An axis merged as the outer
 * part with dims that carry no field axis (H, b → H·b, the b from the channels: depth-to-space or
 * pixel_shuffle written as a view, a permute and a view, einops' "(h b)") reads as depthToSpace by
 * b: unit o reads unit ⌊o/b⌋, stride 1/b, size + (b − 1)/b. An axis merged with another field axis
 * (flattening H and W) or as the inner part (b, H → b·H: unit o reads o mod H) makes the field global.
 */
export function reshapeRF(rf: TensorRF | null, x: readonly number[], y: readonly number[]): TensorRF | null {
  if (!rf) return rf;
  if (rf.global) return globalDimsMoved(rf, x, y);
  const blocks = rf.dims.every((d) => x[d] > 1) ? reshapeBlocks(x, y) : null;
  if (!blocks) {
    // a field over size-1 dims: kept where they are the trailing dims on both sides, unchanged
    const k = rf.dims.length;
    const trailing = rf.dims.every((d, i) => d === x.length - k + i);
    if (trailing && y.length >= k + 1 && rf.dims.every((d, i) => y[y.length - k + i] === x[d])) return { ...rf, dims: rf.dims.map((_, i) => y.length - k + i) };
    return globalOver(rf, x);
  }
  const dims: number[] = [];
  const axes: AxisRF[] = [];
  for (const [k, d] of rf.dims.entries()) {
    const block = blocks.find((b) => b.xs.includes(d))!;
    if (block.xs.length > 1) {
      // merged, outermost, into one dim with dims that carry no field axis (channels moved beside it:
      // depth-to-space as a reshape, a transpose and a reshape): unit o reads floor(o/B), B the inner
      // dims' product, as depthToSpace by B; merged inside another dim or with a field axis: global
      if (block.xs[0] !== d || block.ys.length !== 1 || block.xs.some((e) => e !== d && rf.dims.includes(e))) return globalOver(rf, x);
      dims.push(block.ys[0]);
      axes.push(blockToSpace(rf.axes[k], x[d], y[block.ys[0]] / x[d]));
      continue;
    }
    const outer = block.ys[0];
    const b = x[d] / y[outer];
    dims.push(outer);
    axes.push(b === 1 ? rf.axes[k] : wholeAxis(rf.axes[k], b));
  }
  return { global: false, dims, axes };
}

/**
 * A global field through a reshape still says where the map's spatial axes are (structure.ts reads
 * a map's size on them, the ERF refuses a channels-last map by them): each moves to the output dim
 * its block of dims starts at (MaxViT's windows put back, [N, C, 8, 7, 8, 7] → [N, C, 56, 56]: dims
 * 2 and 4 → 2 and 3). Where two share a block (H and W flattened together) or the shapes do not
 * pair, no output dim is theirs alone, and the dims are left as they were.
 */
function globalDimsMoved(rf: TensorRF, x: readonly number[], y: readonly number[]): TensorRF {
  const blocks = reshapeBlocks(x, y);
  if (!blocks) return rf;
  const dims = rf.dims.map((d) => blocks.find((b) => b.xs.includes(d))?.ys[0] ?? -1);
  if (dims.some((d) => d < 0) || new Set(dims).size !== dims.length) return rf;
  return { ...rf, dims };
}
