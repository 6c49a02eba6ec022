/**
 * linear (fully connected) and flatten.
 * PyTorch: torch.nn.Linear (applied to the last dimension), torch.nn.Flatten.
 *
 *   linear: params Ci·Co + Co; MACs = rows·Ci·Co; exact = rows·(2·Ci − 1)·Co (the notes)
 *   flatten: merges dims startDim..endDim; no arithmetic. Flattening the spatial axes makes every
 *   feature depend on the whole map, so the receptive field becomes global.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { globalOver, mergeRF, moveDims } from './receptive-field.js';
import { broadcastIndex, broadcastShapes } from './broadcast.js';
import { noteGlobalProduct } from './receptive-products.js';
import { normalizeAxis, normalizeBoundary } from './axes.js';
import { weightAndBias } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, RFContext, Shape, TensorRF } from './types.js';
import { gemm, gemmTiled } from './gemm-tiles.js';
import { gemv } from '../tensor/gemm.js';
import { tensor } from '../tensor/tensor.js';
import { zeroed } from '../tensor/large-buffers.js';
import { linearVjp, matmulVjp, matmulVjpIntermediates, reshapeVjp } from './vjp-plumbing.js';
import { READS_SHAPES_ONLY } from './types.js';

export const LinearAttrs = z.strictObject({
  outFeatures: posInt.describe('output features'),
  inFeatures: posInt.optional(),
  bias: z.boolean().default(true),
});
export type LinearAttrs = z.infer<typeof LinearAttrs>;

export const linear: OpDef<LinearAttrs, { rows: number; inFeatures: number }> = {
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'linear',
  emptyInputs: true, // an empty inner dimension sums nothing: the bias (torch.nn.Linear(0, n)), zeros (matmul)
  summary: 'Fully connected layer over the last dimension',
  pytorch: 'torch.nn.Linear',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  channelsLast: true,
  foldsBatchNormIntoWeights: true, // weight [Cout, …], bias [Cout]: a following inference BN folds in (runtime/fuse.ts)
  fullyConnected: true,
  mixesSpatialPositions: true,
  // the weight is [outFeatures, inFeatures]
  attrsFromWeights(weights, attrs) {
    const w = weights.weight;
    if (!w || w.length !== 2) return attrs;
    return { outFeatures: w[0], bias: weights.bias !== undefined, ...attrs };
  },
  attrs: LinearAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    // torch.nn.Linear: "both arguments to linear need to be at least 1D"
    if (x.length === 0) ctx.fail('RANK_MISMATCH', `linear reads its features from the input's last dimension, and a scalar ${fmtShape(x)} has none: give the input rank 1 or more`, 'inputs', { shapes: { input: x } });
    const ci = x[x.length - 1];
    if (a.inFeatures !== undefined && a.inFeatures !== ci) {
      ctx.fail(
        'CHANNEL_MISMATCH',
        `inFeatures=${a.inFeatures} but the input ${fmtShape(x)} has ${ci} features in its last dimension`,
        'inFeatures',
        { shapes: { input: x } },
      );
    }
    // the positions: every dimension but the last (numel / ci would be 0 / 0 for inFeatures 0)
    const rows = numel(x.slice(0, -1));
    const co = a.outFeatures;
    const weights = weightAndBias([co, ci], a.bias ? co : null);
    return {
      outputs: [[...x.slice(0, -1), co]],
      weights,
      cost: { macs: rows * ci * co, exactMacOps: rows * Math.max(0, 2 * ci - 1) * co, biasOps: a.bias ? rows * co : 0, elementwise: 0 },
      plan: { rows, inFeatures: ci },
    };
  },
  receptiveField: (ctx) => {
    const x = ctx.inputs[0];
    const rf = ctx.rf[0];
    // A linear over a spatial axis (the width of an NCHW map) mixes the whole row: global. Over the
    // channels of a channels-last map (ConvNeXt's NHWC block) every position keeps its own field.
    return rf && rf.dims.includes(x.length - 1) ? globalOver(rf, x) : rf;
  },
  // by output features: each band is this kernel on its rows of the weight (runtime/team-kernels.ts)
  teamBands: (ctx) => ({ kind: 'linear', rows: ctx.plan.rows, inFeatures: ctx.plan.inFeatures, outFeatures: ctx.attrs.outFeatures }),
  run(ctx) {
    const { rows, inFeatures: ci } = ctx.plan;
    const co = ctx.attrs.outFeatures;
    const w = ctx.weights.weight.data;
    const x = ctx.inputs[0].data;
    const bias = ctx.weights.bias?.data;
    // (a large one in a dead tensor's buffer during a run: MViT's MLP hidden tensors, tensor/large-buffers.ts)
    const y = zeroed(rows * co);
    linearColumns(x, rows, ci, w, bias, co, 0, co, y);
    return [tensor(ctx.outputs[0], y)];
  },
  vjp: linearVjp,
};


/** y[r·co + o] += bias[o] for r < rows, o in [from, to). */
function addBiasColumns(y: Float32Array, bias: Float32Array, rows: number, co: number, from: number, to: number): void {
  for (let r = 0; r < rows; r++) {
    const at = r * co;
    for (let o = from; o < to; o++) y[at + o] += bias[o];
  }
}

/**
 * Output features [from, to) of a linear layer, written into y [rows × Co] in place, then the bias.
 * A few rows (a classifier head): y[r, o] = W[o, :]·x[r, :], both contiguous; bound by reading W
 * once, so no packing: W streamed through the GEMM module in slices (tensor/gemm.ts gemv, SIMD).
 * From 8 rows: y [rows × Co] = x [rows × Ci] · Wᵀ, x as A as it lies (packed once per tile), Wᵀ's
 * panels read from W's rows, y row-major (no transpose of the activations). Either way each output
 * is its row's sums over Ci in an order that does not depend on the other columns, so a band of
 * features is the whole layer's bits there (runtime/team-kernels.ts splits it so).
 */
export function linearColumns(x: Float32Array, rows: number, ci: number, w: Float32Array, bias: Float32Array | undefined, co: number, from: number, to: number, y: Float32Array): void {
  if (rows < 8) gemv(rows, to - from, ci, x, 0, w, from * ci, y, from, co);
  else {
    gemmTiled(rows, to - from, ci, x, 0, ci, (k0, col, width, panels, depth) => {
      for (let j = 0; j < width; j++) {
        const src = (from + col + j) * ci + k0;
        const dst = (j >> 3) * depth * 8 + (j & 7);
        for (let k = 0; k < depth; k++) panels[dst + k * 8] = w[src + k];
      }
    }, y, from, co, false);
  }
  if (bias) addBiasColumns(y, bias, rows, co, from, to);
}

export const FlattenAttrs = z.strictObject({
  startDim: z.number().int().default(1),
  endDim: z.number().int().default(-1),
  /** ONNX Flatten: a 2-D result [prod(dims before axis), prod(dims from axis)]; overrides startDim/endDim. */
  axis: z.number().int().optional(),
});
export type FlattenAttrs = z.infer<typeof FlattenAttrs>;

export const flatten: OpDef<FlattenAttrs, { start: number; end: number }> = {
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  reView: true, // torch.flatten of a contiguous tensor is a view, ONNX Flatten an alias: no element read or written (types.ts)
  name: 'flatten',
  summary: 'Merge a range of dimensions into one',
  pytorch: 'torch.nn.Flatten',
  inputNames: ['x'],
  mixesSpatialPositions: true,
  minInputs: 1,
  attrs: FlattenAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (ctx.attrs.axis !== undefined) {
      const axis = normalizeBoundary(ctx, ctx.attrs.axis, x.length, 'axis');
      const lead = numel(x.slice(0, axis));
      return { outputs: [[lead, numel(x.slice(axis))]], weights: [], cost: ZERO_COST, plan: { start: Math.max(axis, 1), end: x.length - 1 } };
    }
    const start = normalizeAxis(ctx, ctx.attrs.startDim, x.length, 'startDim');
    const end = normalizeAxis(ctx, ctx.attrs.endDim, x.length, 'endDim');
    if (start > end) ctx.fail('INVALID_ATTRIBUTE', `startDim ${start} is after endDim ${end}`, 'startDim');
    const merged = numel(x.slice(start, end + 1));
    return { outputs: [[...x.slice(0, start), merged, ...x.slice(end + 1)]], weights: [], cost: ZERO_COST, plan: { start, end } };
  },
  receptiveField(ctx) {
    const [x, y] = [ctx.inputs[0], ctx.outputs[0]];
    const rf = ctx.rf[0];
    if (!rf) return rf;
    const { start, end } = ctx.plan;
    // dims outside [start, end] survive, those after it shifted; merging a spatial axis (or ONNX's
    // axis form merging the leading dims: the size differs) makes the field global
    const where = (d: number) => (d < start ? d : d - Math.max(0, end - start));
    const survives = (d: number) => (d < start || d > end) && y[where(d)] === x[d];
    return rf.dims.every(survives) ? moveDims(rf, where) : globalOver(rf, x);
  },
  run: (ctx) => [tensor(ctx.outputs[0], ctx.inputs[0].data)],
  returnsInputData: true,
  vjp: reshapeVjp,
};

/**
 * MAX_RUN_WORK units a run of matmul takes (Inferred.runWork; a fold counts the MACs). run calls
 * tensor/gemm.ts gemm once a batch, and the call's cost is the block's shape, not only its MACs:
 *   n < 8 (gemm's few-columns loop, JavaScript, nothing packed): MATMUL_FEW_MAC a MAC +
 *     MATMUL_FEW_BATCH a batch. 64×64·64×7 ran 3.4 ns a MAC, 4×64·64×4 3.0, 16×16·16×4 2.5, 7×7·7×7
 *     1.6 µs a batch, 1×1·1×1 to 2×2·2×2 45–150 ns a batch;
 *   n ≥ 8 (packed, WebAssembly): its MACs + MATMUL_BATCH a batch + MATMUL_PACK an element of the
 *     k×n block it packs (a JavaScript loop, every batch) + MATMUL_OUT an output: 1×64·64×64 ran
 *     20 µs a batch (4.8 ns an element of B), 1×256·256×8 10.5 µs, 2×2·2×64 1.5 µs, 8×8·8×8 0.8,
 *     64×1·1×64 4.3 (1 ns an output), 64×64·64×64 18 µs (its 262,144 MACs at 0.07 ns).
 * bench/op-rates.ts, 2026-12-06, 2 vCPU AMD EPYC, load 11–16, each time taken as the ratio to the
 * reference conv's beside it × its quiet 0.03 ns a unit. Counted as its MACs + 5000 a batch before,
 * 64×64·64×7 ran 5.5 ns a unit (96× the conv), 1×64·64×64 6.8, 1×256·256×8 4.7, 16×16·16×4 3.0
 * (a 10^11 estimate would have run for minutes) while 2×2·2×2 ran 0.011 (5008 units for 60–80 ns).
 * Units of about 0.3 ns (pool.ts).
 */
export const MATMUL_FEW_MAC = 12;
export const MATMUL_FEW_BATCH = 500;
export const MATMUL_BATCH = 2500;
export const MATMUL_PACK = 20;
export const MATMUL_OUT = 2;
/** tensor/gemm.ts gemm's default: a product of fewer columns runs its few-columns loop. */
const GEMM_FEW_COLUMNS = 8;

/** matmul's Inferred.runWork: `batches` products of [m, k] by [k, n] (see MATMUL_FEW_MAC and MATMUL_BATCH). */
export function matmulWork(batches: number, m: number, k: number, n: number): number {
  const macs = batches * m * k * n;
  if (n < GEMM_FEW_COLUMNS) return MATMUL_FEW_MAC * macs + MATMUL_FEW_BATCH * batches;
  return macs + batches * (MATMUL_BATCH + MATMUL_PACK * k * n + MATMUL_OUT * m * n);
}

/**
 * The field of a matrix product y[…, m, n] = Σ_k a[…, m, k]·b[…, k, n] with fields `rf` on a and b
 * (null: none, as a constant weight's), for matmul and the quantized qlinearMatMul and matMulInteger
 * (quant-linear.ts). Every unit reads the contracted axis (a's last dim, b's second to last; a
 * vector's only one) whole, so a field along it is global, as einsum's summed labels are (a 1-D
 * signal's feature Gram matrix F·Fᵀ, or torch.onnx's x·Wᵀ with Wᵀ a Transpose node, exported without
 * constant folding: both kept the conv's 3-unit field); a's rows and b's columns move to the output's
 * last two dims, the batch dims right-aligned. A product of two activations that turns their local
 * fields global (attention's q·kᵀ as torch.onnx writes it) states ATTENTION_RECEPTIVE_FIELD
 * (receptive-products.ts).
 */
export function matmulRF(ctx: Pick<RFContext<unknown>, 'layer' | 'warn'>, rf: readonly (TensorRF | null)[], [a, b]: readonly Shape[], y: Shape): TensorRF | null {
  const batch = y.length - (a.length === 1 ? 0 : 1) - (b.length === 1 ? 0 : 1);
  const where = (i: number) => (d: number): number => {
    const r = (i === 0 ? a : b).length;
    if (i === 0 ? d === r - 1 : r === 1 || d === r - 2) return -1;
    if (d < r - 2) return d + batch - (r - 2);
    return i === 0 ? batch : batch + (a.length === 1 ? 0 : 1);
  };
  // the fields now at the output's dims: an axis at two dims (tᵀ·t's unit (l, m) reads around l
  // and around m) has no box of one stride, and a global operand is a path, not a broadcast gate
  const product = mergeRF(ctx.layer, [moveDims(rf[0] ?? null, where(0)), moveDims(rf[1] ?? null, where(1))], ctx.warn, [y, y]);
  noteGlobalProduct(ctx, rf, product);
  return product;
}

/**
 * matmul: batched matrix product with NumPy broadcasting of the batch dims (attention, imported
 * MatMul of two activations). MACs = prod(batch)·M·K·N; exact = prod(batch)·M·N·(2·K − 1).
 */
export const matmul: OpDef<Record<string, never>, null> = {
  name: 'matmul',
  emptyInputs: true, // an empty inner dimension sums nothing: the bias (torch.nn.Linear(0, n)), zeros (matmul)
  summary: 'Batched matrix product of two tensors (NumPy matmul rules)',
  pytorch: 'torch.matmul',
  inputNames: ['a', 'b'],
  foldsConstantOperands: true,
  // x·Wᵀ as torch writes a Linear: with a weight on the right, a constant on the left is the input (a buffer)
  constantOperandIsWeight: (i, constantDerived) => i === 1 || !constantDerived[1],
  minInputs: 2,
  attrs: z.strictObject({}),
  infer(ctx) {
    let [a, b] = ctx.inputs;
    // torch.matmul: "both arguments to matmul need to be at least 1D"
    for (const [role, t] of [['a', a], ['b', b]] as const) {
      if (t.length === 0) ctx.fail('RANK_MISMATCH', `matmul multiplies tensors of rank 1 or more, and ${role} is a scalar ${fmtShape(t)}: give it a dimension, or multiply element-wise (mul)`, 'inputs', { shapes: { a, b } });
    }
    const aVec = a.length === 1;
    const bVec = b.length === 1;
    if (aVec) a = [1, a[0]];
    if (bVec) b = [b[0], 1];
    const [m, k] = a.slice(-2);
    const [k2, n] = b.slice(-2);
    if (k !== k2) {
      ctx.fail('SHAPE_MISMATCH', `cannot multiply ${fmtShape(ctx.inputs[0])} by ${fmtShape(ctx.inputs[1])}: inner dims ${k} and ${k2}`, 'inputs', {
        shapes: { a: ctx.inputs[0], b: ctx.inputs[1] },
      });
    }
    const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
    if (!batch) return ctx.fail('SHAPE_MISMATCH', `batch dims of ${fmtShape(a)} and ${fmtShape(b)} do not broadcast`, 'inputs');
    const out = [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])];
    const rows = numel(batch) * m * n;
    const cost = { macs: rows * k, exactMacOps: rows * Math.max(0, 2 * k - 1), biasOps: 0, elementwise: 0 };
    // the VJP transposes both operands and sums each gradient over the broadcast batch (vjp-plumbing.ts matmulVjp)
    return { outputs: [out], weights: [], cost, runWork: matmulWork(numel(batch), m, k, n), plan: null, vjpIntermediates: matmulVjpIntermediates(ctx.inputs[0], ctx.inputs[1], batch, [m, k, n]) };
  },
  receptiveField: (ctx) => matmulRF(ctx, ctx.rf, ctx.inputs, ctx.outputs[0]),
  run(ctx) {
    const [a, b] = ctx.inputs;
    const aShape = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const bShape = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const [m, k] = aShape.slice(-2);
    const n = bShape[bShape.length - 1];
    const batch = broadcastShapes([aShape.slice(0, -2), bShape.slice(0, -2)])!;
    const count = numel(batch);
    const out = new Float32Array(count * m * n);
    // which matrix of each operand output batch i reads (0 along broadcast batch dims)
    const aAt = broadcastIndex(aShape.slice(0, -2), batch);
    const bAt = broadcastIndex(bShape.slice(0, -2), batch);
    for (let i = 0; i < count; i++) {
      gemm(m, n, k, a.data, aAt[i] * m * k, k, b.data, bAt[i] * k * n, n, out, i * m * n, n, false);
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjp: matmulVjp,
};
