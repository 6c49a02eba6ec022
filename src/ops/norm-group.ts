/**
 * Normalisations by statistics the layer computes itself: layerNorm, groupNorm, instanceNorm2d
 * (and instanceNorm1d, instanceNorm3d: its kernel under PyTorch's names, with their rank checks).
 * Each normalises groups of elements by their own mean and (biased) variance, then applies a
 * per-element (layerNorm) or per-channel (groupNorm, instanceNorm2d) affine map:
 *   y = (x − mean)/√(var + ε)·γ + β
 *   layerNorm over 'last'      groups: the trailing dims (nn.LayerNorm(normalizedShape), ONNX
 *                              LayerNormalization's [axis, rank)); γ, β have the normalised shape
 *   layerNorm over 'channels'  groups: the C values at each (n, h, w) (ConvNeXt's LayerNorm2d on NCHW); γ, β [C]
 *   groupNorm                  groups: the (C/G)·H·W values of each (n, group); γ, β [C] (or [G]
 *                              with affinePer 'group', as ONNX GroupNormalization before opset 21)
 *   instanceNorm2d             groups: the H·W values of each (n, c); γ, β [C] when affine. With
 *                              trackRunningStats it normalises by its running statistics at inference, as BN does.
 *                              instanceNorm1d: (N, C, L) or unbatched (C, L); instanceNorm3d: (N, C, D, H, W)
 *                              or unbatched (C, D, H, W), a batch of one (an ONNX InstanceNormalization is
 *                              named by its input's rank: graph/onnx/map-norm.ts)
 * Refused as PyTorch's functional checks refuse them (F.group_norm, F.instance_norm; the ATen
 * kernels would give β): groupNorm where N·(C/G)·H·W = 1 (the whole batch one value per group),
 * instanceNorm2d on its own statistics where H·W = 1 (each map a single value). With singleValue
 * 'beta' (what the ONNX importer sets) those groups give β instead, as ONNX GroupNormalization and
 * InstanceNormalization define them (and onnxruntime computes): x − mean = 0 there.
 *   params  = 2·|γ| when affine (layerNorm: |γ| without its bias); instanceNorm2d's running statistics are buffers
 *   FLOPs   = 5 per element (sum for the mean, subtract, square, sum for the variance, scale by
 *             1/σ) + 4 per group (the two divisions by the count, + ε, 1/√) + 2 per element for the
 *             affine map (× γ, + β; 1 without layerNorm's bias). instanceNorm2d on running
 *             statistics: 2 per element (affine) or 1, as batchNorm2d at inference.
 * Receptive field: layerNorm over channels keeps each position's field (statistics per position).
 * Statistics over spatial dims (groupNorm, instanceNorm2d on its own statistics, layerNorm over
 * dims that include H or W) make each output depend on every position of its map: the field is
 * global, and a NORMALISATION_RECEPTIVE_FIELD warning gives the local field the layer had (the
 * dependence is through two numbers per group, mean and variance).
 * VJP (weights constant), with x̂ = (x − mean)/σ and gγ = g·γ over a group of M values:
 *   ∂L/∂x = (1/σ)·(gγ − mean(gγ) − x̂·mean(gγ·x̂))           (running statistics: gγ/σ)
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { IntList, channelVector } from './common.js';
import { normalizeAxis } from './axes.js';
import { posInt } from './geometry.js';
import { globalRF, mergeRF, summaryAlong } from './receptive-field.js';
import { normCost, normRun, normVjp, normVjpIntermediates } from './norm-kernels.js';
import type { NormAttrs, NormPlan } from './norm-kernels.js';
import { numel } from './types.js';
import type { InferContext, OpDef, RFContext, RunContext, Shape, WeightSpec } from './types.js';
import type { Tensor } from '../tensor/tensor.js';

export type { NormPlan } from './norm-kernels.js';

/** Groups of a single value: refused as PyTorch's functional checks refuse them, or β as ONNX's formula gives. */
const SingleValue = z
  .enum(['refuse', 'beta'])
  .default('refuse')
  .describe("groups of a single value (groupNorm: N·C/G·H·W = 1; instanceNorm2d on its own statistics: H·W = 1): 'refuse' as F.group_norm / F.instance_norm do, 'beta' gives β as ONNX GroupNormalization / InstanceNormalization do (set by the ONNX importer)");

/** PyTorch's ε for LayerNorm, GroupNorm and InstanceNorm (and ONNX's defaults). */
const PYTORCH_NORM_EPS = 1e-5;
const PYTORCH_NORM_MOMENTUM = 0.1;
/**
 * The buffers of a norm tracking running statistics (PyTorch's _NormBase: BatchNorm and
 * InstanceNorm with track_running_stats): running mean and variance, and num_batches_tracked, an
 * int64 scalar only training's update reads (unread: weights memory counts its 8 bytes, memory
 * access does not). An ONNX file has no num_batches_tracked (BatchNormalization takes the mean and
 * variance alone; the exporter drops it): an imported norm declares the two vectors.
 */
export function runningStatistics(channels: number, fromOnnx: boolean): WeightSpec[] {
  const stats = [channelVector('runningMean', channels, 0, false), channelVector('runningVar', channels, 1, false)];
  if (fromOnnx) return stats;
  return [...stats, { name: 'numBatchesTracked', shape: [], trainable: false, init: { kind: 'constant', value: 0 }, dtype: 'int64', unread: true }];
}

function normRF(ctx: RFContext<unknown, NormPlan>) {
  return ctx.plan.running ? ctx.rf[0] : statisticsRF(ctx, ctx.plan.dims);
}

/**
 * The field after normalising by statistics over input dims `dims`: when they include every
 * spatial dim, global, with the local field in a NORMALISATION_RECEPTIVE_FIELD warning (also
 * batchNorm2d without running statistics); when some, spanning those (below).
 */
export function statisticsRF(ctx: RFContext<unknown, unknown>, dims: readonly number[]) {
  const rf = ctx.rf[0];
  if (!rf || rf.global || !rf.dims.some((d) => dims.includes(d))) return rf;
  const x = ctx.inputs[0];
  if (!rf.dims.every((d) => dims.includes(d) || x[d] === 1)) {
    // over some spatial dims only (LayerNorm(W) on NCHW): a unit reads its whole row along them and
    // its own box along the others, as x − x.mean(3, keepdim=True) does: the summary (one unit
    // spanning those dims) merged back, spread over them (it was global: autograd reads a strip)
    const strip = mergeRF(ctx.layer, [rf, summaryAlong(rf, x, dims)], ctx.warn, [x, x.map((n, d) => (dims.includes(d) ? 1 : n))]);
    ctx.warn({
      code: 'NORMALISATION_RECEPTIVE_FIELD',
      message: `layer '${ctx.layer}' normalises by statistics over ${rf.dims.filter((d) => dims.includes(d)).map((d) => `dim ${d}`).join(' and ')} of its map, so each output depends on every position along it (through the mean and variance alone): the field spans it; before it, ${rf.axes.map((a) => a.r).join('×')} with stride ${rf.axes.map((a) => a.j).join('×')}`,
      localField: rf.axes.map((a) => ({ size: a.r, stride: a.j, padding: a.p })),
    });
    return strip;
  }
  ctx.warn({
    code: 'NORMALISATION_RECEPTIVE_FIELD',
    message: `layer '${ctx.layer}' normalises by statistics over the spatial dims, so each output depends on every position of its map (through the mean and variance alone): the field is global; before it, ${rf.axes.map((a) => a.r).join('×')} with stride ${rf.axes.map((a) => a.j).join('×')}`,
    localField: rf.axes.map((a) => ({ size: a.r, stride: a.j, padding: a.p })),
  });
  return globalRF(rf, rf.dims.map((d) => ctx.inputs[0][d]));
}

function checkDeclaredChannels<A>(ctx: InferContext<A>, x: Shape, declared: number | undefined, field: string): void {
  if (declared !== undefined && declared !== x[1]) {
    ctx.fail('CHANNEL_MISMATCH', `${field}=${declared} but the input ${fmtShape(x)} has ${x[1]} channels`, field, { shapes: { input: x } });
  }
}

function needRank<A>(ctx: InferContext<A>, x: Shape, min: number, what: string): void {
  if (x.length < min) ctx.fail('RANK_MISMATCH', `${what}, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
}

export const LayerNormAttrs = z.strictObject({
  over: z
    .enum(['last', 'channels'])
    .default('last')
    .describe("'last': the trailing dims (nn.LayerNorm); 'channels': dim 1 at each position of an NCHW map (ConvNeXt's LayerNorm2d)"),
  normalizedShape: IntList.optional().describe("over 'last': the trailing dims normalised, as nn.LayerNorm's normalized_shape (default: the last dim)"),
  /** ONNX LayerNormalization's axis: normalise over dims [axis, rank). An alternative to normalizedShape. */
  axis: z.number().int().optional(),
  eps: z.number().positive().default(PYTORCH_NORM_EPS),
  elementwiseAffine: z.boolean().default(true),
  bias: z.boolean().default(true),
});
type LayerNormAttrs = z.infer<typeof LayerNormAttrs>;

/**
 * The first input dim a trailing-dims norm (layerNorm over 'last', rmsNorm) normalises: the dims of
 * `normalizedShape` (PyTorch's), which must be the input's trailing dims, or from ONNX's `axis`
 * (default −1); both given must name the same dims.
 */
export function normalizedFrom(ctx: InferContext<{ normalizedShape?: number[]; axis?: number }>, x: Shape, a: { normalizedShape?: number[]; axis?: number }): number {
  if (a.normalizedShape === undefined) return normalizeAxis(ctx, a.axis ?? -1, x.length, 'axis');
  const shape = a.axis === undefined ? a.normalizedShape : besideAxis(a.normalizedShape, x, normalizeAxis(ctx, a.axis, x.length, 'axis'));
  const k = shape.length;
  const tail = x.slice(x.length - k);
  if (k === 0 || k > x.length || tail.some((d, i) => d !== shape[i])) {
    ctx.fail('SHAPE_MISMATCH', `normalizedShape [${a.normalizedShape.join(', ')}] must be the trailing dims of the input ${fmtShape(x)}`, 'normalizedShape', { shapes: { input: x } });
  }
  const from = x.length - k;
  // both given (an ONNX Scale's shape beside the node's axis): they must name the same dims
  if (a.axis !== undefined && normalizeAxis(ctx, a.axis, x.length, 'axis') !== from) {
    ctx.fail('SHAPE_MISMATCH', `axis ${a.axis} normalises dims from ${normalizeAxis(ctx, a.axis, x.length, 'axis')} of the input ${fmtShape(x)}, but the weight's shape [${a.normalizedShape.join(', ')}] covers the last ${k}`, 'normalizedShape', { shapes: { input: x } });
  }
  return from;
}

/**
 * A weight's shape beside ONNX's axis: it and the normalised dims x[from:] may differ by leading 1s
 * (the importer drops an ONNX scale's leading 1s, and the normalised dims may begin with 1s:
 * axis 1 of (2, 1, 8) with a scale [1, 8]), which name no values; the shape as x[from:] has it then,
 * else as given (checked against x by the caller).
 */
function besideAxis(shape: number[], x: Shape, from: number): number[] {
  const want = x.length - from;
  if (shape.length > want && shape.slice(0, shape.length - want).every((d) => d === 1)) return shape.slice(shape.length - want);
  if (shape.length < want && x.slice(from, x.length - shape.length).every((d) => d === 1)) return [...x.slice(from, x.length - shape.length), ...shape];
  return shape;
}

function layerNormPlan(ctx: InferContext<LayerNormAttrs>): { plan: NormPlan; affineShape: Shape } {
  const x = ctx.inputs[0];
  const a = ctx.attrs;
  if (a.over === 'channels') {
    needRank(ctx, x, 2, "layerNorm over 'channels' needs (N, C, …)");
    if (a.axis !== undefined) ctx.fail('INVALID_ATTRIBUTE', "axis applies to over 'last' only", 'axis');
    if (a.normalizedShape && (a.normalizedShape.length !== 1 || a.normalizedShape[0] !== x[1])) {
      ctx.fail('CHANNEL_MISMATCH', `normalizedShape [${a.normalizedShape.join(', ')}] but the input ${fmtShape(x)} has ${x[1]} channels`, 'normalizedShape', { shapes: { input: x } });
    }
    return { plan: { outer: x[0], size: x[1], inner: Math.max(1, numel(x.slice(2))), affineA: 1, affineB: 1, running: false, dims: [1] }, affineShape: [x[1]] };
  }
  needRank(ctx, x, 1, 'layerNorm needs at least one dim');
  const from = normalizedFrom(ctx, x, a);
  const size = numel(x.slice(from));
  const dims = Array.from({ length: x.length - from }, (_, i) => from + i);
  return { plan: { outer: numel(x.slice(0, from)), size, inner: 1, affineA: 1, affineB: 1, running: false, dims }, affineShape: x.slice(from) };
}

/**
 * MAX_RUN_WORK's units (Inferred.runWork) a run of layerNorm (and groupNorm and instanceNorm2d,
 * through the same normRun: 12.4 and 10.8 ns an element of [1, 64, 56, 56] at load 5, a review's
 * timing, beside layerNorm's 8.3) takes an element normalised (its
 * cost counts 7 FLOPs with the affine map). bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC
 * (shared; the 3×3 conv at 0.06–0.19 ns a MAC): [1, 3136, 768] over 768, 48–71 ns an element. In
 * units of about 0.3 ns (pool.ts).
 */
const LAYER_NORM_ELEMENT = 180;

export const layerNorm: OpDef<LayerNormAttrs, NormPlan> = {
  name: 'layerNorm',
  summary: "Layer normalisation over the trailing dims (nn.LayerNorm) or over the channels at each position ('channels', ConvNeXt's LayerNorm2d)",
  pytorch: 'torch.nn.LayerNorm',
  inputNames: ['x'],
  minInputs: 1,
  attrs: LayerNormAttrs,
  infer(ctx) {
    const { plan, affineShape } = layerNormPlan(ctx);
    const a = ctx.attrs;
    const weights: WeightSpec[] = [];
    if (a.elementwiseAffine) {
      weights.push({ name: 'weight', shape: affineShape, trainable: true, init: { kind: 'constant', value: 1 } });
      if (a.bias) weights.push({ name: 'bias', shape: affineShape, trainable: true, init: { kind: 'constant', value: 0 } });
    }
    const affineOps = a.elementwiseAffine ? (a.bias ? 2 : 1) : 0;
    const runWork = LAYER_NORM_ELEMENT * numel(ctx.inputs[0]);
    return { outputs: [ctx.inputs[0]], weights, cost: normCost(ctx.inputs[0], plan, affineOps), runWork, plan, vjpIntermediates: normVjpIntermediates(plan) };
  },
  receptiveField: normRF,
  run: normRun,
  vjp: normVjp,
};

export const GroupNormAttrs = z.strictObject({
  numGroups: posInt.describe('G: the channels split into G groups, each normalised over its channels and positions'),
  numChannels: posInt.optional(),
  eps: z.number().positive().default(PYTORCH_NORM_EPS),
  affine: z.boolean().default(true),
  /** 'groups': one γ, β per group (ONNX GroupNormalization before opset 21); PyTorch's are per channel. */
  affinePer: z.enum(['channel', 'group']).default('channel'),
  singleValue: SingleValue,
});
type GroupNormAttrs = z.infer<typeof GroupNormAttrs>;

export const groupNorm: OpDef<GroupNormAttrs, NormPlan> = {
  name: 'groupNorm',
  summary: 'Group normalisation: each of G channel groups normalised over its channels and positions, per sample',
  pytorch: 'torch.nn.GroupNorm',
  inputNames: ['x'],
  minInputs: 1,
  attrs: GroupNormAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    needRank(ctx, x, 2, 'groupNorm needs (N, C, …)');
    checkDeclaredChannels(ctx, x, a.numChannels, 'numChannels');
    const [n, c] = x;
    if (c % a.numGroups !== 0) ctx.fail('INVALID_ATTRIBUTE', `numGroups=${a.numGroups} does not divide ${c} channels (input ${fmtShape(x)})`, 'numGroups', { shapes: { input: x } });
    const hw = numel(x.slice(2));
    // F.group_norm's _verify_batch_size over [N·C/G, G, …spatial]: the product without G must exceed 1
    if (n * (c / a.numGroups) * hw === 1 && a.singleValue === 'refuse') {
      ctx.fail('INVALID_TENSOR', `groupNorm with numGroups=${a.numGroups} on ${fmtShape(x)}: one value per group in the whole batch (N·C/G·H·W = 1) (PyTorch: Expected more than 1 value per channel when training)`, 'numGroups', { shapes: { input: x } });
    }
    const size = (c / a.numGroups) * hw;
    const perGroup = a.affinePer === 'group';
    // per group: element (o, s) reads γ[o mod G] (affineB = the group's size)
    const plan: NormPlan = { outer: n * a.numGroups, size, inner: 1, affineA: a.numGroups, affineB: Math.max(1, perGroup ? size : hw), running: false, dims: x.map((_, i) => i).slice(1) };
    const k = perGroup ? a.numGroups : c;
    const weights = a.affine ? [channelVector('weight', k, 1, true), channelVector('bias', k, 0, true)] : [];
    return { outputs: [x], weights, cost: normCost(x, plan, a.affine ? 2 : 0), runWork: LAYER_NORM_ELEMENT * numel(x), plan, vjpIntermediates: normVjpIntermediates(plan) };
  },
  receptiveField: normRF,
  run: normRun,
  vjp: normVjp,
};

export const InstanceNormAttrs = z.strictObject({
  numFeatures: posInt.optional(),
  eps: z.number().positive().default(PYTORCH_NORM_EPS),
  momentum: z.number().min(0).max(1).default(PYTORCH_NORM_MOMENTUM),
  affine: z.boolean().default(false),
  trackRunningStats: z.boolean().default(false),
  singleValue: SingleValue,
});
type InstanceNormAttrs = z.infer<typeof InstanceNormAttrs>;

/**
 * An instance norm's shape, weights, cost and plan; `unbatched`: x is one sample (C, …) as PyTorch's
 * modules take it (InstanceNorm1d on (C, L), 3d on (C, D, H, W): unsqueezed to a batch of one), in
 * the same memory as [1, C, …].
 */
function instanceNormInfer(ctx: InferContext<InstanceNormAttrs>, name: string, unbatched: boolean) {
  const x = ctx.inputs[0];
  const a = ctx.attrs;
  const batch = unbatched ? [1, ...x] : x;
  // nn.InstanceNorm reads numFeatures only for its affine and running-statistics vectors (torch 1.13's _check_input_dim)
  if (a.affine || a.trackRunningStats) checkDeclaredChannels(ctx, batch, a.numFeatures, 'numFeatures');
  const [n, c] = batch;
  const hw = numel(batch.slice(2));
  // F.instance_norm's _verify_spatial_size whenever it uses the input's statistics (at inference without trackRunningStats; in training: instanceNormRun)
  if (hw === 1 && !a.trackRunningStats && a.singleValue === 'refuse') ctx.fail('INVALID_TENSOR', oneSpatialValue(name, x), 'inputs', { shapes: { input: x } });
  const first = unbatched ? 1 : 2;
  const plan: NormPlan = { outer: n * c, size: hw, inner: 1, affineA: c, affineB: Math.max(1, hw), running: a.trackRunningStats, dims: x.map((_, i) => i).slice(first) };
  const weights: WeightSpec[] = [];
  if (a.affine) weights.push(channelVector('weight', c, 1, true), channelVector('bias', c, 0, true));
  if (a.trackRunningStats) weights.push(...runningStatistics(c, ctx.fromOnnx === true));
  // one unbatched sample over x.length − 1 spatial axes: the network input it is read as (analysis/input-layout.ts)
  return { outputs: [x], weights, cost: normCost(x, plan, a.affine ? 2 : 0), runWork: LAYER_NORM_ELEMENT * numel(x), plan, vjpIntermediates: normVjpIntermediates(plan), ...(unbatched && { unbatched: x.length - 1 }) };
}

export const instanceNorm2d: OpDef<InstanceNormAttrs, NormPlan> = {
  name: 'instanceNorm2d',
  summary: 'Instance normalisation: each (sample, channel) map normalised over its positions: (N, C, H, W), or one sample (C, H, W) as nn.InstanceNorm2d takes it; also (N, C, …) of rank 5 and more, and an ONNX InstanceNormalization\'s (N, C, L)',
  pytorch: 'torch.nn.InstanceNorm2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: InstanceNormAttrs,
  infer(ctx) {
    needRank(ctx, ctx.inputs[0], 3, 'instanceNorm2d needs (N, C, H, W) or one sample (C, H, W)');
    // nn.InstanceNorm2d reads a 3-D input as one unbatched sample (C, H, W), its channels in dim 0
    // (it read it as N, C, L before: each (c, h) row normalised over W, not each channel over H·W);
    // ONNX's InstanceNormalization reads (N, C, L), which the importer names instanceNorm1d
    return instanceNormInfer(ctx, 'instanceNorm2d', ctx.inputs[0].length === 3 && ctx.fromOnnx !== true);
  },
  receptiveField: normRF,
  run: instanceNormRun('instanceNorm2d'),
  vjp: normVjp,
};

/**
 * instanceNorm1d and instanceNorm3d: instanceNorm2d's kernel under PyTorch's names, with their
 * modules' rank checks (torch 1.13 _check_input_dim): InstanceNorm1d takes (N, C, L) or one sample
 * (C, L), InstanceNorm3d (N, C, D, H, W) or (C, D, H, W); the unbatched form is a batch of one
 * (_handle_no_batch_input). instanceNorm2d takes (N, C, H, W) or one sample (C, H, W) as
 * nn.InstanceNorm2d does, and any rank ≥ 5 as (N, C, …), as it always has.
 */
function instanceNormOfRank(d: 1 | 3, layout: string, single: string): OpDef<InstanceNormAttrs, NormPlan> {
  const name = `instanceNorm${d}d`;
  return {
    ...instanceNorm2d,
    name,
    summary: `Instance normalisation of ${layout} or one sample ${single}: each (sample, channel) map normalised over its positions`,
    pytorch: `torch.nn.InstanceNorm${d}d`,
    run: instanceNormRun(name),
    infer(ctx) {
      const x = ctx.inputs[0];
      if (x.length !== d + 1 && x.length !== d + 2) {
        ctx.fail('RANK_MISMATCH', `${name} needs ${layout} or unbatched ${single}, got ${fmtShape(x)} (PyTorch: expected ${d + 1}D or ${d + 2}D input (got ${x.length}D input))`, 'inputs', { shapes: { input: x } });
      }
      return instanceNormInfer(ctx, name, x.length === d + 1);
    },
  };
}

export const instanceNorm1d = instanceNormOfRank(1, '(N, C, L)', '(C, L)');
export const instanceNorm3d = instanceNormOfRank(3, '(N, C, D, H, W)', '(C, D, H, W)');

/** The instance norm PyTorch names for an ONNX (N, C, …) input of this rank: InstanceNorm1d (3), 2d (4), 3d (5); instanceNorm2d otherwise, which reads an ONNX input of any rank ≥ 3 as (N, C, …). */
export const instanceNormForRank = (rank: number): OpDef<InstanceNormAttrs, NormPlan> => (rank === 3 ? instanceNorm1d : rank === 5 ? instanceNorm3d : instanceNorm2d);

const INSTANCE_NORMS: ReadonlySet<OpDef> = new Set<OpDef>([instanceNorm1d, instanceNorm2d, instanceNorm3d]);
/** Whether an op is an instance norm of any rank (the decomposed GroupNorm pattern reads any of them: analysis/patterns.ts). */
export const isInstanceNorm = (op: OpDef | undefined): boolean => op !== undefined && INSTANCE_NORMS.has(op);

const oneSpatialValue = (name: string, x: Shape) =>
  `${name} on ${fmtShape(x)} from its own statistics: one value per (sample, channel) map (H·W = 1) has none (PyTorch: Expected more than 1 spatial element when training)`;

/** An instance norm with trackRunningStats in training normalises by the input's statistics, which one value per map has not (PyTorch refuses it). */
function instanceNormRun(name: string) {
  return (ctx: RunContext<NormAttrs & { singleValue: 'refuse' | 'beta' }, NormPlan>): Tensor[] => {
    if (ctx.training && ctx.plan.size === 1 && ctx.attrs.singleValue === 'refuse') throw new ConvlensError('INVALID_TENSOR', oneSpatialValue(name, ctx.inputs[0].shape), { shapes: { input: ctx.inputs[0].shape } });
    return normRun(ctx);
  };
}
