/**
 * Broadcast arithmetic as flat loops (issue 12: a ConvNeXt block stack spent 64 % of its forward
 * in add/mul/div on constants, each element a closure call through a per-row index walk).
 *
 * Layout: every operand's broadcast strides over the output (tensor/nd.ts broadcastStrides) are
 * collapsed first, so the common cases become one or two flat loops:
 *   - size-1 output dims are dropped;
 *   - adjacent dims d, d+1 merge when every operand's stride satisfies s[d] = s[d+1]·n[d+1]
 *     (contiguous across the pair, or broadcast along both: 0 = 0·n);
 * which turns same-shape operands into one row of numel elements, a scalar into stride 0, a
 * trailing vector ([C] against [N, H, W, C]) into rows × C with strides (C, 1) and (0, 1), and a
 * per-channel [C, 1, 1] against [N, C, H, W] into N·C rows of H·W with strides (H·W, 1) and
 * (1, 0). After collapsing, the innermost dim's stride of each operand is 1 or 0, so a row is one
 * of four loops (vector or scalar on each side) with the scalar hoisted out; the outer dims walk
 * with an odometer that moves each operand's offset by its stride (no index array, no allocation
 * per element or per row).
 *
 * Each operation has its own row function (add, sub, mul, div), so each loop is monomorphic and
 * its arithmetic inlined; float32 results are the double-precision result rounded once, which for
 * +, −, ×, ÷ of float32 values is the correctly rounded float32 operation (double has more than
 * 2·24 + 2 bits), the same values as the former per-element closures.
 */
import { numel } from './tensor.js';
import type { Tensor } from './tensor.js';
import { tensor } from './tensor.js';
import { broadcastStrides } from './nd.js';
import { ARITH_SIMD_FROM, arithSimd } from './arith-simd.js';
import type { Arith } from './arith-simd.js';

/** Output dims and each operand's strides after dropping size-1 dims and merging contiguous pairs. */
export interface Collapsed {
  sizes: number[];
  strides: number[][];
}

/** Collapses `out` with the operands' broadcast strides (see the header); rank 0 when out has one element. */
export function collapseBroadcast(out: readonly number[], operandStrides: readonly (readonly number[])[]): Collapsed {
  const sizes: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  for (let d = 0; d < out.length; d++) {
    const n = out[d];
    if (n === 1) continue;
    const last = sizes.length - 1;
    // merge into the previous kept dim when every operand walks the pair as one
    if (last >= 0 && operandStrides.every((s, k) => strides[k][last] === s[d] * n)) {
      sizes[last] *= n;
      operandStrides.forEach((s, k) => (strides[k][last] = s[d]));
      continue;
    }
    sizes.push(n);
    operandStrides.forEach((s, k) => strides[k].push(s[d]));
  }
  return { sizes, strides };
}

/**
 * One row: r[ro + i] = a[ao + i·sa] ∘ b[bo + i·sb] for i < n, sa and sb each 0 or 1 (collapsed
 * innermost strides); a scalar side is read once.
 */
export type RowKernel = (r: Float32Array, ro: number, a: Float32Array, ao: number, sa: number, b: Float32Array, bo: number, sb: number, n: number) => void;

// Four written-out loops per operation: sharing one loop through a callback would make its call
// site megamorphic (one target per op) and stop the arithmetic from inlining.
const addRow: RowKernel = (r, ro, a, ao, sa, b, bo, sb, n) => {
  if (sa === 1 && sb === 1) for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] + b[bo + i];
  else if (sa === 1) {
    const v = b[bo];
    for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] + v;
  } else if (sb === 1) {
    const v = a[ao];
    for (let i = 0; i < n; i++) r[ro + i] = v + b[bo + i];
  } else r.fill(a[ao] + b[bo], ro, ro + n);
};
const subRow: RowKernel = (r, ro, a, ao, sa, b, bo, sb, n) => {
  if (sa === 1 && sb === 1) for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] - b[bo + i];
  else if (sa === 1) {
    const v = b[bo];
    for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] - v;
  } else if (sb === 1) {
    const v = a[ao];
    for (let i = 0; i < n; i++) r[ro + i] = v - b[bo + i];
  } else r.fill(a[ao] - b[bo], ro, ro + n);
};
const mulRow: RowKernel = (r, ro, a, ao, sa, b, bo, sb, n) => {
  if (sa === 1 && sb === 1) for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] * b[bo + i];
  else if (sa === 1) {
    const v = b[bo];
    for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] * v;
  } else if (sb === 1) {
    const v = a[ao];
    for (let i = 0; i < n; i++) r[ro + i] = v * b[bo + i];
  } else r.fill(a[ao] * b[bo], ro, ro + n);
};
// a / v, not a · (1/v): the reciprocal rounds, and the result must be the division's
const divRow: RowKernel = (r, ro, a, ao, sa, b, bo, sb, n) => {
  if (sa === 1 && sb === 1) for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] / b[bo + i];
  else if (sa === 1) {
    const v = b[bo];
    for (let i = 0; i < n; i++) r[ro + i] = a[ao + i] / v;
  } else if (sb === 1) {
    const v = a[ao];
    for (let i = 0; i < n; i++) r[ro + i] = v / b[bo + i];
  } else r.fill(a[ao] / b[bo], ro, ro + n);
};

export type { Arith };
export const ROW_KERNELS: Record<Arith, RowKernel> = { add: addRow, sub: subRow, mul: mulRow, div: divRow };
/** Each row kernel's operation, for the SIMD path of same-shape operands. */
const ARITH_OF = new Map<RowKernel, Arith>(Object.entries(ROW_KERNELS).map(([op, row]) => [row, op as Arith]));

/**
 * Runs `row` over the collapsed layout of a and b broadcast to `out`, writing `res` (numel(out)
 * elements; it may be a's or b's own buffer when that operand has out's shape: each element is
 * read before it is written, at the same index).
 */
export function broadcastRows(row: RowKernel, a: Tensor, b: Tensor, out: readonly number[], res: Float32Array): void {
  const n = res.length;
  if (n === 0) return;
  const ad = a.data;
  const bd = b.data;
  // the two commonest cases without building strides: same shape (in WebAssembly SIMD from
  // ARITH_SIMD_FROM elements: tensor/arith-simd.ts, the same bits), and a one-element side
  if (ad.length === n && bd.length === n) {
    const op = n >= ARITH_SIMD_FROM ? ARITH_OF.get(row) : undefined;
    return op ? arithSimd(op, res, 0, ad, 0, bd, 0, n) : row(res, 0, ad, 0, 1, bd, 0, 1, n);
  }
  if (ad.length === n && bd.length === 1) return row(res, 0, ad, 0, 1, bd, 0, 0, n);
  if (bd.length === n && ad.length === 1) return row(res, 0, ad, 0, 0, bd, 0, 1, n);
  const { sizes, strides } = collapseBroadcast(out, [broadcastStrides(a.shape, out), broadcastStrides(b.shape, out)]);
  const rank = sizes.length;
  if (rank === 0) return row(res, 0, ad, 0, 0, bd, 0, 0, 1);
  const [as, bs] = strides;
  const inner = sizes[rank - 1];
  const sa = as[rank - 1];
  const sb = bs[rank - 1];
  if (rank === 1) return row(res, 0, ad, 0, sa, bd, 0, sb, inner);
  if (rank === 2) {
    // rows × inner: the per-channel and trailing-vector cases
    const [rows, ra, rb] = [sizes[0], as[0], bs[0]];
    for (let o = 0, ao = 0, bo = 0; o < rows; o++, ao += ra, bo += rb) row(res, o * inner, ad, ao, sa, bd, bo, sb, inner);
    return;
  }
  // rank ≥ 3: an odometer over the outer dims, last outer dim fastest
  const idx = new Array<number>(rank - 1).fill(0);
  const rows = n / inner;
  let ao = 0;
  let bo = 0;
  for (let o = 0; o < rows; o++) {
    row(res, o * inner, ad, ao, sa, bd, bo, sb, inner);
    for (let d = rank - 2; d >= 0; d--) {
      ao += as[d];
      bo += bs[d];
      if (++idx[d] < sizes[d]) break;
      ao -= as[d] * sizes[d];
      bo -= bs[d] * sizes[d];
      idx[d] = 0;
    }
  }
}

/** a ∘ b under NumPy broadcasting into a new tensor of shape `out`. */
export function arith(op: Arith, a: Tensor, b: Tensor, out: readonly number[]): Tensor {
  const res = new Float32Array(numel(out));
  broadcastRows(ROW_KERNELS[op], a, b, out, res);
  return tensor(out, res);
}

/** Folds the operands left to right, ((x₀ ∘ x₁) ∘ x₂) …, one new buffer for all: the later steps write in place. */
export function arithAll(op: Arith, xs: readonly Tensor[], out: readonly number[]): Tensor {
  let acc = arith(op, xs[0], xs[1], out);
  for (let i = 2; i < xs.length; i++) broadcastRows(ROW_KERNELS[op], acc, xs[i], out, acc.data);
  return acc;
}
