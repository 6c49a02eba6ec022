/**
 * einsum: Einstein summation over labelled axes (ONNX Einsum opset 12+, torch.einsum), as
 * transformer exports write attention and projections ("bhqd,bhkd->bhqk", "bhqk,bhkd->bhqd",
 * "bij,jk->bik", "...ij,...jk->...ik").
 *
 *   equation  "<term>,<term>…[-><output>]": a term is letters (one per axis) with at most one
 *             "..." standing for the leading axes not named (broadcast between operands by NumPy
 *             rules); a letter repeated in a term takes that operand's diagonal. Without "->" the
 *             output is "..." then the letters used exactly once, in alphabetical order.
 *   y[out] = Σ over the summed labels (those not in the output) of Π_operands x_i[labels_i]
 *   A letter's size must agree across operands.
 *
 * Costs, as the obvious loop does them (one pass over every combination of all labels, L = ∏ of
 * every label's size): with ≥ 2 operands and a summed label (a contraction: attention's q·kᵀ,
 * attn·v) MACs = (operands − 1)·L, which for two operands is matmul's batch·M·K·N, exact
 * multiply+add count (2·(operands − 1)·L/numel(y) − 1)·numel(y); without a summed label (outer or
 * element-wise products) (operands − 1)·L element-wise multiplications; one operand (transpose,
 * trace, sums) numel(x) − numel(y) additions.
 * Receptive fields: an axis that survives to the output moves to its place there; a spatial axis
 * that is summed makes the field global; the operands' fields then merge (as matmul's), and two
 * activations' local fields made global state ATTENTION_RECEPTIVE_FIELD (receptive-products.ts).
 * Kernel: two operands of batch, M, N and K labels (attention, projections) are gathered into
 * blocks and multiplied by the GEMM (gemm-tiles.ts); anything else runs one loop over every
 * label combination, its work counted at LOOP_SLOWDOWN per operand and combination (kernelWork).
 * Blocks under GEMM_MIN_BLOCK MACs take the loop too; the GEMM path's work is its MACs and
 * GEMM_BATCH_WORK per batch.
 * VJP: operand i receives g times the product of the other operands, summed over every label
 * combination that reads it (a broadcast "..." axis or a diagonal sums its share back).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { mergeRF, moveDims } from './receptive-field.js';
import { noteGlobalProduct } from './receptive-products.js';
import { numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { gemm } from './gemm-tiles.js';

export interface EinsumPlan {
  /** Output labels, then the summed ones; label ids index `sizes`. */
  labels: number[];
  sizes: number[];
  outRank: number;
  /** Per operand, per label id: the element stride it moves by (0 when absent or broadcast). */
  strides: number[][];
  /** Per operand, per axis: its label id (for the receptive-field rule). */
  axes: number[][];
}

const LETTER = /^[A-Za-z]$/;
/** Ids of the axes "..." stands for, right-aligned: id ELLIPSIS + k for the k-th of E broadcast axes. */
const ELLIPSIS = 1000;

function parseTerm(term: string): { letters: string[]; ellipsisAt: number } {
  const dots = term.indexOf('...');
  if (dots !== term.lastIndexOf('...')) throw new Error(`"${term}" has more than one "..."`);
  const letters = term.replace('...', '').split('');
  for (const l of letters) if (!LETTER.test(l)) throw new Error(`"${term}" has '${l}', not a letter`);
  return { letters, ellipsisAt: dots < 0 ? -1 : term.slice(0, dots).length };
}

/** Resolves the equation against the input shapes; `fail`s with the reason. */
export function einsumPlan<A>(ctx: InferContext<A>, equation: string): { plan: EinsumPlan; out: Shape } {
  const shapes = ctx.inputs;
  const bad = (why: string): never => ctx.fail('INVALID_ATTRIBUTE', `einsum "${equation}": ${why}`, 'equation', { shapes: Object.fromEntries(shapes.map((s, i) => [`input${i}`, s])) });
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, ...more] = eq.split('->');
  if (more.length) bad('more than one "->"');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) bad(`${terms.length} operand terms for ${shapes.length} inputs`);
  let parsed: ReturnType<typeof parseTerm>[] = [];
  try {
    parsed = terms.map(parseTerm);
  } catch (e) {
    bad((e as Error).message);
  }
  const ids = new Map<string, number>();
  const idOf = (l: string) => ids.get(l) ?? (ids.set(l, ids.size), ids.size - 1);
  const size = new Map<number, number>();
  // the broadcast axes "..." covers: as many as the most any operand leaves unnamed
  let ellipsisRank = 0;
  const axes = parsed.map((p, i) => {
    const e = shapes[i].length - p.letters.length;
    if (e < 0 || (e > 0 && p.ellipsisAt < 0)) bad(`term "${terms[i]}" names ${p.letters.length} axes of ${fmtShape(shapes[i])}`);
    ellipsisRank = Math.max(ellipsisRank, e);
    return { p, e };
  });
  const opAxes = axes.map(({ p, e }, i) => {
    const labels: number[] = [];
    p.letters.forEach((l, k) => {
      if (k === p.ellipsisAt) for (let j = 0; j < e; j++) labels.push(-1 - j);
      labels.push(idOf(l));
    });
    if (p.ellipsisAt === p.letters.length) for (let j = 0; j < e; j++) labels.push(-1 - j);
    // ellipsis axes right-aligned with the widest: axis j of e is broadcast axis ellipsisRank − e + j
    return labels.map((id, axis) => {
      const label = id >= 0 ? id : ELLIPSIS + ellipsisRank - e + (-1 - id);
      const d = shapes[i][axis];
      const known = size.get(label);
      if (label >= ELLIPSIS) {
        if (known === undefined || known === 1) size.set(label, d);
        else if (d !== 1 && d !== known) bad(`the "..." axes of ${fmtShape(shapes[i])} do not broadcast with the others`);
      } else if (known === undefined) size.set(label, d);
      else if (known !== d) bad(`'${[...ids].find(([, v]) => v === label)![0]}' is ${known} in one operand and ${d} in ${fmtShape(shapes[i])}`);
      return label;
    });
  });
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, j) => ELLIPSIS + j);
  let outLabels: number[];
  if (rhs !== undefined) {
    let p: ReturnType<typeof parseTerm> = { letters: [], ellipsisAt: -1 };
    try {
      p = parseTerm(rhs);
    } catch (e) {
      bad((e as Error).message);
    }
    outLabels = [];
    p.letters.forEach((l, k) => {
      if (k === p.ellipsisAt) outLabels.push(...ellipsisLabels);
      if (!ids.has(l)) bad(`output '${l}' is in no operand`);
      if (outLabels.includes(ids.get(l)!)) bad(`output '${l}' appears twice`);
      outLabels.push(ids.get(l)!);
    });
    if (p.ellipsisAt === p.letters.length) outLabels.push(...ellipsisLabels);
    if (p.ellipsisAt < 0 && ellipsisRank > 0) bad('the output drops the "..." axes');
  } else {
    const count = new Map<string, number>();
    for (const { p } of axes) for (const l of p.letters) count.set(l, (count.get(l) ?? 0) + 1);
    const once = [...count].filter(([, n]) => n === 1).map(([l]) => l).sort();
    outLabels = [...ellipsisLabels, ...once.map((l) => ids.get(l)!)];
  }
  const summed = [...size.keys()].filter((l) => !outLabels.includes(l));
  const labels = [...outLabels, ...summed];
  const sizes = labels.map((l) => size.get(l)!);
  const strides = opAxes.map((ax, i) => {
    const own = new Array<number>(ax.length);
    for (let k = ax.length - 1, s = 1; k >= 0; k--) {
      own[k] = s;
      s *= shapes[i][k];
    }
    // a label repeated in a term (the diagonal) moves by the sum of its axes' strides
    return labels.map((l) => ax.reduce((acc, a, k) => (a === l && shapes[i][k] !== 1 ? acc + own[k] : acc), 0));
  });
  const axesById = opAxes.map((ax) => ax.map((l) => labels.indexOf(l)));
  return { plan: { labels, sizes, outRank: outLabels.length, strides, axes: axesById }, out: sizes.slice(0, outLabels.length) };
}

export const EinsumAttrs = z.strictObject({ equation: z.string().min(1).max(256).describe('Einstein summation, e.g. "bhqd,bhkd->bhqk"') });
export const einsum: OpDef<z.infer<typeof EinsumAttrs>, EinsumPlan> = {
  name: 'einsum',
  summary: 'Einstein summation over labelled axes (contractions, transposes, diagonals, batched products)',
  pytorch: 'torch.einsum',
  inputNames: ['a', 'b'],
  minInputs: 1,
  variadic: true,
  foldsConstantOperands: true,
  attrs: EinsumAttrs,
  infer(ctx) {
    const { plan, out } = einsumPlan(ctx, ctx.attrs.equation);
    const all = numel(plan.sizes);
    const y = numel(out);
    const ops = ctx.inputs.length;
    const contraction = plan.labels.length > plan.outRank;
    const cost =
      ops >= 2 && contraction
        ? { macs: (ops - 1) * all, exactMacOps: y === 0 ? 0 : (2 * ((ops - 1) * all) / y - 1) * y, biasOps: 0, elementwise: 0 }
        : { macs: 0, exactMacOps: 0, biasOps: 0, elementwise: ops >= 2 ? (ops - 1) * all : all - y };
    // the general loop visits every label combination at about 1/LOOP_SLOWDOWN of the GEMM's MAC
    // rate; the GEMM path pays a call, a gather and a scatter per batch besides its MACs
    const gemm = gemmBlocks(plan);
    const loopWork = LOOP_SLOWDOWN * ops * all;
    // the VJP runs the loop whatever the forward took: once for every operand's gradient
    return { outputs: [out], weights: [], cost, plan, kernelWork: gemm ? cost.macs + gemm.batches * GEMM_BATCH_WORK : loopWork, vjpWork: loopWork };
  },
  receptiveField(ctx) {
    const { axes, outRank } = ctx.plan;
    // an operand's field at the output's dims; a summed spatial label makes it global (moveDims). A
    // global field whose dims do not all survive keeps the operand's own dims, which name no output
    // dim: mergeRF reads such an operand by the shape it presents below, never by those dims
    const moved = ctx.rf.map((rf, i) => moveDims(rf, (d) => (axes[i][d] < outRank ? axes[i][d] : -1)));
    // each operand merged at the shape it presents at the output, as broadcasting presents an
    // element-wise operand: its size along the output labels it has, 1 along those it lacks. One axis
    // at two output dims ('bcl,bcm->blm': unit (l, m) reads around l and around m) has no box of one
    // stride, and a global operand with the output's spatial labels is a path (attention's scores);
    // one without them is a summary broadcast over the map, a gate as mul's ('nchw,nc->nchw' of a
    // pooled s: the squeeze-excitation mul(x, s[:, :, None, None]) is). Merged at the output's shape,
    // such a summary was a path: 'nchw,ncij->nchw' of x.mean((2, 3), keepdim=True) made the field
    // global where the same product written as mul kept x's
    const presented = axes.map((ax, i) => ctx.outputs[0].map((_, l) => {
      const k = ax.indexOf(l);
      return k < 0 ? 1 : ctx.inputs[i][k];
    }));
    const product = mergeRF(ctx.layer, moved, ctx.warn, presented);
    // attention's 'bhqd,bhkd->bhqk' pairs the positions of two activations: ATTENTION_RECEPTIVE_FIELD
    noteGlobalProduct(ctx, ctx.rf, product);
    return product;
  },
  run(ctx) {
    const { sizes, outRank, strides } = ctx.plan;
    const lowered = ctx.inputs.length === 2 ? batchedProduct(ctx.plan, ctx.inputs[0].data, ctx.inputs[1].data) : null;
    if (lowered) return [tensor(ctx.outputs[0], lowered)];
    const out = new Float32Array(numel(sizes.slice(0, outRank)));
    const data = ctx.inputs.map((t) => t.data);
    const n = data.length;
    const rank = sizes.length;
    const total = numel(sizes);
    if (total === 0) return [tensor(ctx.outputs[0], out)];
    const inner = numel(sizes.slice(outRank));
    // odometer over every label, summed ones innermost; each operand's offset moves by its stride
    const at = new Array<number>(rank).fill(0);
    const offsets = new Array<number>(n).fill(0);
    for (let o = 0; o < out.length; o++) {
      let acc = 0;
      for (let s = 0; s < inner; s++) {
        let p = data[0][offsets[0]];
        for (let i = 1; i < n; i++) p *= data[i][offsets[i]];
        acc += p;
        for (let d = rank - 1; d >= 0; d--) {
          for (let i = 0; i < n; i++) offsets[i] += strides[i][d];
          if (++at[d] < sizes[d]) break;
          for (let i = 0; i < n; i++) offsets[i] -= strides[i][d] * sizes[d];
          at[d] = 0;
        }
      }
      out[o] = acc;
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjp(ctx) {
    // ∂L/∂x_i[offset_i] += g[out] · Π_{j≠i} x_j[offset_j], over the same odometer as the forward
    const { sizes, outRank, strides } = ctx.plan;
    const data = ctx.inputs.map((t) => t.data);
    const grads = data.map((d) => new Float32Array(d.length));
    const g = ctx.gradOutputs[0]?.data;
    const n = data.length;
    const rank = sizes.length;
    const total = numel(sizes);
    if (g && total > 0) {
      const inner = numel(sizes.slice(outRank));
      const at = new Array<number>(rank).fill(0);
      const offsets = new Array<number>(n).fill(0);
      for (let o = 0; o < g.length; o++) {
        const go = g[o];
        for (let s = 0; s < inner; s++) {
          for (let i = 0; i < n; i++) {
            let p = go;
            for (let j = 0; j < n; j++) if (j !== i) p *= data[j][offsets[j]];
            grads[i][offsets[i]] += p;
          }
          for (let d = rank - 1; d >= 0; d--) {
            for (let i = 0; i < n; i++) offsets[i] += strides[i][d];
            if (++at[d] < sizes[d]) break;
            for (let i = 0; i < n; i++) offsets[i] -= strides[i][d] * sizes[d];
            at[d] = 0;
          }
        }
      }
    }
    return grads.map((gr, i) => tensor(ctx.inputs[i].shape, gr));
  },
};

/**
 * Two operands without diagonals or one-sided sums, as attention and projections write them: the
 * labels split into batch (both operands and the output), M (the first and the output), N (the
 * second and the output) and K (both operands, summed). Each operand is gathered into a
 * [batch, M, K] or [batch, K, N] block (its strides, 0 along broadcast axes), multiplied by the
 * GEMM per batch, and the [batch, M, N] product scattered into the output's label order. Null
 * when the equation has another shape, or blocks too small for the GEMM (gemmBlocks): the general
 * loop then runs.
 */
function batchedProduct(plan: EinsumPlan, a: Float32Array, b: Float32Array): Float32Array | null {
  const blocks = gemmBlocks(plan);
  if (!blocks) return null;
  const { labels, sizes, outRank, strides } = plan;
  const { batch, m, n, k } = blocks;
  const size = (group: number[]) => numel(group.map((l) => sizes[l]));
  const [B, M, N, K] = [size(batch), size(m), size(n), size(k)];
  if (K === 0 || B * M * N === 0) return new Float32Array(B * M * N);
  const A = gatherBlock(a, strides[0], sizes, [...batch, ...m, ...k]);
  const Bm = gatherBlock(b, strides[1], sizes, [...batch, ...k, ...n]);
  const C = new Float32Array(B * M * N);
  for (let i = 0; i < B; i++) gemm(M, N, K, A, i * M * K, K, Bm, i * K * N, N, C, i * M * N, N, false);
  // the output's own row-major strides, per label, scatter C into label order
  const outStride = new Array<number>(labels.length).fill(0);
  for (let l = outRank - 1, st = 1; l >= 0; l--) {
    outStride[l] = st;
    st *= sizes[l];
  }
  const res = new Float32Array(B * M * N);
  const order = [...batch, ...m, ...n];
  walkLabels(order, sizes, outStride, (i, at) => {
    res[at] = C[i];
  });
  return res;
}

/** Two operands' labels as batch, M, N and K (batchedProduct), or null when the equation has another shape (a diagonal, a label summed in one operand only). */
function productLabels(plan: EinsumPlan): { batch: number[]; m: number[]; n: number[]; k: number[] } | null {
  const { labels, outRank, axes } = plan;
  if (axes.length !== 2) return null;
  for (const ax of axes) if (new Set(ax).size !== ax.length) return null;
  const inA = (l: number) => axes[0].includes(l);
  const inB = (l: number) => axes[1].includes(l);
  const ids = labels.map((_, i) => i);
  const out = (l: number) => l < outRank;
  const batch = ids.filter((l) => inA(l) && inB(l) && out(l));
  const m = ids.filter((l) => inA(l) && !inB(l) && out(l));
  const n = ids.filter((l) => !inA(l) && inB(l) && out(l));
  const k = ids.filter((l) => inA(l) && inB(l) && !out(l));
  return batch.length + m.length + n.length + k.length === ids.length ? { batch, m, n, k } : null;
}

/**
 * The labels of two operands that run as blocks through the GEMM (batchedProduct), and how many
 * blocks; null for the general loop: another equation, or blocks under GEMM_MIN_BLOCK MACs, where a
 * GEMM call per batch costs more than the loop ('ij,ij->ij' over [1000, 1000]: a million 1×1×1
 * calls, 283 ms; 2×2×2 blocks as fast as the loop, 4×4×4 slower).
 */
function gemmBlocks(plan: EinsumPlan): { batch: number[]; m: number[]; n: number[]; k: number[]; batches: number } | null {
  const groups = productLabels(plan);
  if (!groups) return null;
  const size = (group: number[]) => numel(group.map((l) => plan.sizes[l]));
  return size(groups.m) * size(groups.n) * size(groups.k) >= GEMM_MIN_BLOCK ? { ...groups, batches: size(groups.batch) } : null;
}

/** Fewest MACs a block takes to the GEMM (measured 2026-12-05: the loop is faster up to 4×4×4). */
const GEMM_MIN_BLOCK = 256;

/**
 * The GEMM path's work per batch beside its MACs, in MACs: a call, packing, a gather and a scatter
 * (measured 2026-12-05 on the AMD EPYC host against a 3×3 conv in the same process: 1,500 a batch
 * at 1×1×1 blocks, 16,500 at 4×4×4, 73,000 at 16×16×16 with its 4,096 MACs). A million small
 * blocks are counted as the time they take, not as their few MACs.
 */
const GEMM_BATCH_WORK = 64_000;

/**
 * The general loop's work per operand and label combination, in the GEMM's MACs: measured
 * 2026-12-05 on the AMD EPYC host, 'ab,cd->' over two [100, 100] operands (10^8 combinations) ran
 * 80 M combinations/s against a 3×3 conv 64→64 at 56²'s 14 GMAC/s in the same process, 160–180
 * times slower; counted at 100 per operand (200 for two), so MAX_RUN_WORK bounds its time as it
 * does a conv's (a hunt's 215-byte 'ab,cd->' over [3000, 100] had 9·10^10 combinations, under the
 * limit as MACs, and held a worker for the whole task timeout).
 */
const LOOP_SLOWDOWN = 100;

/** The elements of an operand in the order of `order`'s labels (row-major over them). */
function gatherBlock(data: Float32Array, stride: number[], sizes: number[], order: number[]): Float32Array {
  const block = new Float32Array(numel(order.map((l) => sizes[l])));
  walkLabels(order, sizes, stride, (i, at) => {
    block[i] = data[at];
  });
  return block;
}

/** Visits every combination of `order`'s labels (last fastest) with the offset Σ index·stride[label]. */
function walkLabels(order: number[], sizes: number[], stride: number[], visit: (i: number, offset: number) => void): void {
  const total = numel(order.map((l) => sizes[l]));
  const at = new Array<number>(order.length).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    visit(i, offset);
    for (let d = order.length - 1; d >= 0; d--) {
      const l = order[d];
      offset += stride[l];
      if (++at[d] < sizes[l]) break;
      offset -= stride[l] * sizes[l];
      at[d] = 0;
    }
  }
}
