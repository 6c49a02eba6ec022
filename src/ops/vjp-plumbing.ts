/**
 * Vector-Jacobian products of the tensor plumbing, linear algebra and reductions whose op files
 * belong to other families (linear.ts, movement.ts, indexing.ts, reduction.ts, meta.ts): each op
 * there names its function here in a one-line `vjp:` entry. g = ∂L/∂y; parameter inputs (shape,
 * axes, pads, indices, split sizes) get null.
 *
 *   linear      ∂x [rows × Ci] = g [rows × Co] · W [Co × Ci]   (one GEMM, tensor/gemm.ts)
 *   matmul      ∂A = Σ↓ g·Bᵀ, ∂B = Σ↓ Aᵀ·g per batch matrix (Σ↓: over broadcast batch dims)
 *   reshape, flatten, squeeze, unsqueeze, identity, float cast   ∂x = g (a copy, x's shape);
 *               a cast to an integer type has no gradient (PyTorch: not differentiable)
 *   transpose   ∂x = g permuted by the inverse permutation
 *   expand      ∂x = Σ↓ g
 *   slice, split  g scattered back to the strided positions the outputs read (others 0)
 *   pad         ∂x[src(o)] += g[o] for every output o read from the input (constant cells read
 *               nothing; reflect, edge and wrap cells add into the input cell they copy)
 *   gather      ∂x[…, idx[j], …] += g[…, j, …]   (repeated indices add up)
 *   shape, argMax, argMin   no gradient (null): the output is a shape or an index
 *   reduceMean ∂x = g/n, reduceSum ∂x = g broadcast back; reduceMax/Min: g shared evenly among the
 *               elements equal to the extreme (torch.amax/amin); reduceL2 ∂x = g·x/y (0 where y = 0);
 *               reduceProd ∂xᵢ = g·Π_{j≠i} xⱼ (zeros counted, never divided by: torch.prod's rule)
 */
import { fmtShape } from '../errors.js';
import { broadcastIndex } from './broadcast.js';
import { gemm } from './gemm-tiles.js';
import { holdsIntegers } from '../tensor/dtype.js';
import { strides, numel, tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { padColumns, padRows, transpose2d } from '../tensor/nd.js';
import type { PadMode } from '../tensor/nd.js';
import { gradOrZeros, reshaped, sumToShape } from './vjp-kernels.js';
import type { Intermediate, Shape, VjpContext } from './types.js';

type Grads = (Tensor | null)[];
/** Each op's own attributes and plan; these functions read only the fields they name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any op's attributes fit the default
type Ctx<P = unknown, A = any> = VjpContext<A, P>;

/** The gradient of input 0, null for every parameter input after it. */
const first = (ctx: Ctx, g: Tensor | null): Grads => ctx.inputs.map((_, i) => (i === 0 ? g : null));

/**
 * Ops whose output does not vary with the input's values (shape) or is an index (argMax, argMin):
 * no gradient flows through them, as PyTorch's autograd; a backward pass counts them as zeros,
 * and a unit whose gradient only they could carry to an input is NO_GRADIENT (runtime/backward.ts).
 */
export const noGradient = (ctx: Ctx): Grads => ctx.inputs.map(() => null);

/** reshape, flatten, squeeze, unsqueeze, identity: ∂x = g read in x's shape. */
export const reshapeVjp = (ctx: Ctx): Grads => first(ctx, reshaped(gradOrZeros(ctx), ctx.inputs[0].shape));

/** cast: the identity for float types; an integer (or bool) result has no gradient, as in PyTorch. */
export const castVjp = (ctx: Ctx<unknown, { to: string }>): Grads => first(ctx, holdsIntegers(ctx.attrs.to) ? null : reshaped(gradOrZeros(ctx), ctx.inputs[0].shape));

/**
 * gx[base + Σ_d i_d·stride_d] += g[i] for every element i of g (shape `shape`): the adjoint of
 * every strided read (slice, split, transpose, expand with stride 0). The last dim runs in a tight
 * loop; the others advance an odometer once per row.
 */
export function scatterAdd(g: Float32Array, shape: readonly number[], base: number, stride: readonly number[], gx: Float32Array): void {
  const rank = shape.length;
  if (g.length === 0) return;
  if (rank === 0) {
    gx[base] += g[0];
    return;
  }
  const inner = shape[rank - 1];
  const si = stride[rank - 1];
  const idx = new Int32Array(rank);
  let src = base;
  for (let o = 0; o < g.length; o += inner) {
    for (let i = 0, s = src; i < inner; i++, s += si) gx[s] += g[o + i];
    for (let d = rank - 2; d >= 0; d--) {
      src += stride[d];
      if (++idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
}

export function transposeVjp(ctx: Ctx<{ perm: number[] }>): Grads {
  const x = ctx.inputs[0];
  const own = strides(x.shape);
  const gx = new Float32Array(x.data.length);
  // output dim d is input dim perm[d]: g read with x's strides permuted lands where y read from
  scatterAdd(gradOrZeros(ctx), ctx.outputs[0], 0, ctx.plan.perm.map((p) => own[p]), gx);
  return first(ctx, tensor(x.shape, gx));
}

export const expandVjp = (ctx: Ctx): Grads => first(ctx, sumToShape(gradOrZeros(ctx), ctx.outputs[0], ctx.inputs[0].shape));

export function sliceVjp(ctx: Ctx<{ axes: number[]; starts: number[]; steps: number[] }>): Grads {
  const x = ctx.inputs[0];
  const own = strides(x.shape);
  const step = x.shape.map(() => 1);
  let base = 0;
  ctx.plan.axes.forEach((a, i) => {
    base += ctx.plan.starts[i] * own[a];
    step[a] = ctx.plan.steps[i];
  });
  const gx = new Float32Array(x.data.length);
  scatterAdd(gradOrZeros(ctx), ctx.outputs[0], base, own.map((s, d) => s * step[d]), gx);
  return first(ctx, tensor(x.shape, gx));
}

export function splitVjp(ctx: Ctx<{ axis: number; sizes: number[] }>): Grads {
  const x = ctx.inputs[0];
  const own = strides(x.shape);
  const gx = new Float32Array(x.data.length);
  let start = 0;
  ctx.plan.sizes.forEach((size, k) => {
    const g = ctx.gradOutputs[k];
    if (g) scatterAdd(g.data, ctx.outputs[k], start * own[ctx.plan.axis], own, gx);
    start += size;
  });
  return first(ctx, tensor(x.shape, gx));
}

/** pad: ∂x sums the gradient of every output cell read from it (reflect and edge read some twice or more), row by row in the output's order (tensor/nd.ts padRows). */
export function padVjp(ctx: Ctx<{ begin: number[] }, { mode: string }>): Grads {
  const x = ctx.inputs[0];
  const out = ctx.outputs[0];
  const g = gradOrZeros(ctx);
  const gx = new Float32Array(x.data.length);
  if (out.length === 0) {
    gx[0] = g[0];
    return first(ctx, tensor(x.shape, gx));
  }
  const mode = ctx.attrs.mode as PadMode;
  const width = out[out.length - 1];
  const { cols, lo, hi, shift } = padColumns(x.shape, ctx.plan.begin, out, mode);
  padRows(x.shape, ctx.plan.begin, out, mode, (o, src) => {
    if (src < 0) return;
    // the columns in order, as the element-by-element walk added them (the same sums, bit for bit)
    for (let k = 0; k < lo; k++) if (cols[k] >= 0) gx[src + cols[k]] += g[o + k];
    const from = src - shift;
    for (let k = lo; k < hi; k++) gx[from + k] += g[o + k];
    for (let k = hi; k < width; k++) if (cols[k] >= 0) gx[src + cols[k]] += g[o + k];
  });
  return first(ctx, tensor(x.shape, gx));
}

export function gatherVjp(ctx: Ctx<{ axis: number }>): Grads {
  const [x, indices] = ctx.inputs;
  const { axis } = ctx.plan;
  const dim = x.shape[axis];
  const inner = numel(x.shape.slice(axis + 1));
  const outer = numel(x.shape.slice(0, axis));
  const k = indices.data.length;
  const g = gradOrZeros(ctx);
  const gx = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < k; j++) {
      const i = indices.data[j] < 0 ? indices.data[j] + dim : indices.data[j];
      const src = (o * k + j) * inner;
      const dst = (o * dim + i) * inner;
      for (let e = 0; e < inner; e++) gx[dst + e] += g[src + e];
    }
  }
  return first(ctx, tensor(x.shape, gx));
}

export function linearVjp(ctx: Ctx<{ rows: number; inFeatures: number }>): Grads {
  const { rows, inFeatures } = ctx.plan;
  const w = ctx.weights.weight.data;
  const co = w.length / inFeatures;
  const gx = new Float32Array(rows * inFeatures);
  // ∂x [rows × Ci] = g [rows × Co] · W [Co × Ci]: W is already the right operand, row-major
  gemm(rows, inFeatures, co, gradOrZeros(ctx), 0, co, w, 0, inFeatures, gx, 0, inFeatures, false);
  return first(ctx, tensor(ctx.inputs[0].shape, gx));
}

/** Each m×n matrix of a [count, m, n] buffer transposed. */
function transposeEach(a: Float32Array, count: number, m: number, n: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < count; i++) out.set(transpose2d(a.subarray(i * m * n, (i + 1) * m * n), m, n), i * m * n);
  return out;
}

/**
 * What matmulVjp allocates besides ∂A and ∂B (OpInferred.vjpIntermediates), from the shapes it
 * reads (vectors as [1, k] and [k, 1]): every matrix of each operand transposed, and each
 * gradient at every product of the broadcast batch, before its sum to the operand's batch (then a
 * copy of it, the returned gradient, even where nothing was broadcast).
 */
export function matmulVjpIntermediates(a: Shape, b: Shape, batch: Shape, [m, k, n]: readonly number[]): Intermediate[] {
  return [
    { shape: a, what: `a's matrices transposed (${m} × ${k} each)` },
    { shape: b, what: `b's matrices transposed (${k} × ${n} each)` },
    { shape: [...batch, m, k], what: `a's gradient at every product of the batch, before its sum to a's shape` },
    { shape: [...batch, k, n], what: `b's gradient at every product of the batch, before its sum to b's shape` },
  ];
}

export function matmulVjp(ctx: Ctx): Grads {
  const [a, b] = ctx.inputs;
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [m, k] = aShape.slice(-2);
  const n = bShape[bShape.length - 1];
  const [aBatch, bBatch] = [aShape.slice(0, -2), bShape.slice(0, -2)];
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch = Array.from({ length: rank }, (_, d) => {
    const da = aBatch[d - rank + aBatch.length] ?? 1;
    const db = bBatch[d - rank + bBatch.length] ?? 1;
    return da === 1 ? db : da;
  });
  const count = numel(batch);
  const aAt = broadcastIndex(aBatch, batch);
  const bAt = broadcastIndex(bBatch, batch);
  const g = gradOrZeros(ctx);
  const aT = transposeEach(a.data, a.data.length / (m * k), m, k);
  const bT = transposeEach(b.data, b.data.length / (k * n), k, n);
  // per output matrix: ∂A_i = g_i · B_iᵀ [m × k], ∂B_i = A_iᵀ · g_i [k × n]; then Σ over broadcast batch dims
  const ga = new Float32Array(count * m * k);
  const gb = new Float32Array(count * k * n);
  for (let i = 0; i < count; i++) {
    gemm(m, k, n, g, i * m * n, n, bT, bAt[i] * k * n, k, ga, i * m * k, k, false);
    gemm(k, n, m, aT, aAt[i] * m * k, m, g, i * m * n, n, gb, i * k * n, n, false);
  }
  const gaT = sumToShape(ga, [...batch, m, k], aShape);
  const gbT = sumToShape(gb, [...batch, k, n], bShape);
  return [tensor(a.shape, gaT.data), tensor(b.shape, gbT.data)];
}

/** The shape x has with the reduced axes kept as size 1. */
const keptShape = (x: readonly number[], axes: readonly number[]) => x.map((d, i) => (axes.includes(i) ? 1 : d));

/** For each input element, the output element it reduces into. */
const reducedIndex = (ctx: Ctx<{ axes: number[] }>): Int32Array => broadcastIndex(keptShape(ctx.inputs[0].shape, ctx.plan.axes), ctx.inputs[0].shape);

/** ∂x[i] = g[j(i)]·factor(x[i], y[j(i)], j(i)) where j(i) is the output element x[i] reduces into (`into`). */
function reduceGrad(ctx: Ctx<{ axes: number[] }>, factor: (x: number, y: number, j: number) => number, counts?: (into: Int32Array) => Float32Array, into = reducedIndex(ctx)): Grads {
  const x = ctx.inputs[0];
  const g = gradOrZeros(ctx);
  const y = ctx.forward[0].data;
  const gx = new Float32Array(x.data.length);
  const c = counts?.(into);
  for (let i = 0; i < gx.length; i++) {
    const j = into[i];
    gx[i] = g[j] * factor(x.data[i], y[j], j) / (c ? c[j] : 1);
  }
  return first(ctx, tensor(x.shape, gx));
}

/** How many input elements equal their output's extreme (torch.amax/amin share the gradient among ties). */
const tieCounts = (ctx: Ctx) => (into: Int32Array) => {
  const y = ctx.forward[0].data;
  const c = new Float32Array(y.length);
  for (let i = 0; i < into.length; i++) if (ctx.inputs[0].data[i] === y[into[i]]) c[into[i]]++;
  return c;
};

/** reduceGrad's map of each input element to the output it reduces into (reducedIndex: int32, one an input element). */
const reducedInto = (x: Shape): Intermediate => ({ shape: x, what: `the output each input element reduces into (int32, ${fmtShape(x)})` });

/**
 * What each reduction's VJP below allocates beside ∂x (OpInferred.vjpIntermediates), by the same
 * names, from the input's and output's shapes (reduction.ts's factory reads its entry): reduceGrad's
 * map of every input element to its output, max and min's tie counts (float32, one an output),
 * and prod's zero counts and products of the nonzero elements (float64, one an output each).
 */
export const REDUCE_VJP_SCRATCH: Record<string, (x: Shape, y: Shape) => Intermediate[]> = {
  reduceMean: (x) => [reducedInto(x)],
  reduceSum: (x) => [reducedInto(x)],
  reduceMax: (x, y) => [reducedInto(x), { shape: y, what: 'how many elements equal each maximum (they share its gradient)' }],
  reduceMin: (x, y) => [reducedInto(x), { shape: y, what: 'how many elements equal each minimum (they share its gradient)' }],
  reduceL2: (x) => [reducedInto(x)],
  reduceProd: (x, y) => [
    reducedInto(x),
    { shape: y, what: "each output's zeros counted (float64)", bytesPerElement: 8 },
    { shape: y, what: "the product of each output's nonzero elements (float64)", bytesPerElement: 8 },
  ],
};

/** By reduction name (reduction.ts's factory reads its entry; an absent one has no vjp). */
export const REDUCE_VJPS: Record<string, (ctx: Ctx<{ axes: number[] }>) => Grads> = {
  reduceMean: (ctx) => {
    const n = ctx.inputs[0].data.length / Math.max(ctx.forward[0].data.length, 1);
    return reduceGrad(ctx, () => 1 / n);
  },
  reduceSum: (ctx) => reduceGrad(ctx, () => 1),
  reduceMax: (ctx) => reduceGrad(ctx, (x, y) => (x === y ? 1 : 0), tieCounts(ctx)),
  reduceMin: (ctx) => reduceGrad(ctx, (x, y) => (x === y ? 1 : 0), tieCounts(ctx)),
  reduceL2: (ctx) => reduceGrad(ctx, (x, y) => (y === 0 ? 0 : x / y)),
  reduceProd: (ctx) => {
    // Π_{j≠i} x_j without dividing by a zero: per output, the zeros counted and the others' product
    const x = ctx.inputs[0].data;
    const into = reducedIndex(ctx);
    const zeros = new Float64Array(ctx.forward[0].data.length);
    const rest = new Float64Array(zeros.length).fill(1);
    for (let i = 0; i < x.length; i++) {
      if (x[i] === 0) zeros[into[i]]++;
      else rest[into[i]] *= x[i];
    }
    // one zero: only it sees the others' product; two or more: every product of the others has a zero
    return reduceGrad(ctx, (xi, _y, j) => (zeros[j] === 0 ? rest[j] / xi : zeros[j] === 1 && xi === 0 ? rest[j] : 0), undefined, into);
  },
};
