/**
 * Normalisations by statistics the layer computes itself: layerNorm, groupNorm, instanceNorm2d.
 * Each normalises groups of elements by their own mean and (biased) variance, then applies a
 * per-element (layerNorm) or per-channel (groupNorm, instanceNorm2d) affine map:
 *   y = (x − mean)/√(var + ε)·γ + β
 *   layerNorm over 'last'      groups: the trailing dims (nn.LayerNorm(normalizedShape), ONNX
 *                              LayerNormalization's [axis, rank)); γ, β have the normalised shape
 *   layerNorm over 'channels'  groups: the C values at each (n, h, w) (ConvNeXt's LayerNorm2d on NCHW); γ, β [C]
 *   groupNorm                  groups: the (C/G)·H·W values of each (n, group); γ, β [C] (or [G]
 *                              with affinePer 'group', as ONNX GroupNormalization before opset 21)
 *   instanceNorm2d             groups: the H·W values of each (n, c); γ, β [C] when affine. With
 *                              trackRunningStats it normalises by its running statistics at inference, as BN does
 * Refused as PyTorch's functional checks refuse them (F.group_norm, F.instance_norm; the ATen
 * kernels would give β): groupNorm where N·(C/G)·H·W = 1 (the whole batch one value per group),
 * instanceNorm2d on its own statistics where H·W = 1 (each map a single value).
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
import { globalRF } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, LayerCost, OpDef, RFContext, RunContext, Shape, VjpContext, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/** PyTorch's ε for LayerNorm, GroupNorm and InstanceNorm (and ONNX's defaults). */
const PYTORCH_NORM_EPS = 1e-5;
const PYTORCH_NORM_MOMENTUM = 0.1;
/** FLOPs of the statistics and normalisation per element, per group, and of the affine map per element (see the header). */
const PER_ELEMENT = 5;
const PER_GROUP = 4;

/**
 * The tensor viewed as [outer, S, inner]: group (o, i) is the S elements o·S·inner + s·inner + i.
 * The affine parameter of element (o, s, ·) is ((o mod A)·S + s) div B: layerNorm s (A = B = 1),
 * groupNorm channel (o mod G)·C/G + s div HW (A = G, B = HW), instanceNorm o mod C (A = C, B = HW).
 */
export interface NormPlan {
  outer: number;
  size: number;
  inner: number;
  affineA: number;
  affineB: number;
  /** Normalise by running statistics (instanceNorm2d at inference with trackRunningStats): per channel o mod affineA. */
  running: boolean;
  /** The input dims the statistics run over (for the receptive field). */
  dims: number[];
}

function normCost(shape: Shape, plan: NormPlan, affineOps: number): LayerCost {
  const n = numel(shape);
  if (plan.running) return { ...ZERO_COST, elementwise: n * Math.max(1, affineOps) };
  return { ...ZERO_COST, elementwise: n * (PER_ELEMENT + affineOps) + plan.outer * plan.inner * PER_GROUP };
}

/**
 * Mean and 1/σ of every group, in float64 (two passes: the variance from the mean, as PyTorch).
 * Groups strided by `inner` (layerNorm over channels: a group per position, its values a plane
 * apart) are summed a plane at a time into per-position accumulators, so memory is read in order;
 * each group still adds its values in the same order (s = 0, 1, …), so the sums are the same.
 */
function groupStats(x: Float32Array, p: NormPlan, eps: number): { mean: Float64Array; rstd: Float64Array } {
  const { outer, size, inner } = p;
  const mean = new Float64Array(outer * inner);
  const rstd = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    const g0 = o * inner;
    if (inner === 1) {
      let sum = 0;
      for (let at = base; at < base + size; at++) sum += x[at];
      const m = sum / size;
      let sq = 0;
      for (let at = base; at < base + size; at++) sq += (x[at] - m) * (x[at] - m);
      mean[g0] = m;
      rstd[g0] = 1 / Math.sqrt(sq / size + eps);
      continue;
    }
    // mean[] accumulates sums, then squares of deviations go into rstd[]
    for (let s = 0; s < size; s++) {
      const row = base + s * inner;
      for (let i = 0; i < inner; i++) mean[g0 + i] += x[row + i];
    }
    for (let i = 0; i < inner; i++) mean[g0 + i] /= size;
    for (let s = 0; s < size; s++) {
      const row = base + s * inner;
      for (let i = 0; i < inner; i++) {
        const dv = x[row + i] - mean[g0 + i];
        rstd[g0 + i] += dv * dv;
      }
    }
    for (let i = 0; i < inner; i++) rstd[g0 + i] = 1 / Math.sqrt(rstd[g0 + i] / size + eps);
  }
  return { mean, rstd };
}

/** The running statistics as group statistics: group (o, i) reads channel o mod A. */
function runningStats(p: NormPlan, w: Record<string, Tensor>, eps: number): { mean: Float64Array; rstd: Float64Array } {
  const groups = p.outer * p.inner;
  const mean = new Float64Array(groups);
  const rstd = new Float64Array(groups);
  for (let o = 0; o < p.outer; o++) {
    const c = o % p.affineA;
    for (let i = 0; i < p.inner; i++) {
      mean[o * p.inner + i] = w.runningMean.data[c];
      rstd[o * p.inner + i] = 1 / Math.sqrt(w.runningVar.data[c] + eps);
    }
  }
  return { mean, rstd };
}

interface NormAttrs {
  eps: number;
}

function statsOf(ctx: RunContext<NormAttrs, NormPlan>) {
  const p = ctx.plan;
  return p.running && !ctx.training ? runningStats(p, ctx.weights, ctx.attrs.eps) : groupStats(ctx.inputs[0].data, p, ctx.attrs.eps);
}

function normRun(ctx: RunContext<NormAttrs, NormPlan>): Tensor[] {
  const x = ctx.inputs[0].data;
  if (x.length === 0) return [ctx.inputs[0]];
  const p = ctx.plan;
  const gamma = ctx.weights.weight?.data;
  const beta = ctx.weights.bias?.data;
  const { mean, rstd } = statsOf(ctx);
  const out = new Float32Array(x.length);
  const { outer, size, inner } = p;
  if (inner === 1 && p.affineA === 1 && p.affineB === 1) {
    // layerNorm over the trailing dims: each group a contiguous row, γ and β indexed by s
    for (let o = 0, base = 0; o < outer; o++, base += size) {
      const m = mean[o];
      const r = rstd[o];
      for (let s = 0; s < size; s++) out[base + s] = (x[base + s] - m) * r * (gamma ? gamma[s] : 1) + (beta ? beta[s] : 0);
    }
    return [tensor(ctx.inputs[0].shape, out)];
  }
  // the affine parameter index k = ((o mod A)·S + s) div B, stepped per s rather than divided per element
  for (let o = 0; o < outer; o++) {
    const affineBase = (o % p.affineA) * size;
    let k = Math.floor(affineBase / p.affineB);
    let left = p.affineB - (affineBase % p.affineB); // values of s before k moves on
    const base = o * size * inner;
    const g0 = o * inner;
    for (let s = 0; s < size; s++) {
      const g = gamma ? gamma[k] : 1;
      const b = beta ? beta[k] : 0;
      const row = base + s * inner;
      if (inner === 1) {
        out[row] = (x[row] - mean[g0]) * rstd[g0] * g + b;
      } else {
        for (let i = 0; i < inner; i++) out[row + i] = (x[row + i] - mean[g0 + i]) * rstd[g0 + i] * g + b;
      }
      if (--left === 0) {
        k++;
        left = p.affineB;
      }
    }
  }
  return [tensor(ctx.inputs[0].shape, out)];
}

function normVjp(ctx: VjpContext<NormAttrs, NormPlan>): (Tensor | null)[] {
  const x = ctx.inputs[0].data;
  const out = new Float32Array(x.length);
  const g = ctx.gradOutputs[0]?.data;
  if (!g || x.length === 0) return [tensor(ctx.inputs[0].shape, out)];
  const p = ctx.plan;
  const gamma = ctx.weights.weight?.data;
  const { mean, rstd } = statsOf(ctx);
  const constant = p.running && !ctx.training;
  for (let o = 0; o < p.outer; o++) {
    const affineBase = (o % p.affineA) * p.size;
    for (let i = 0; i < p.inner; i++) {
      const m = mean[o * p.inner + i];
      const r = rstd[o * p.inner + i];
      const base = o * p.size * p.inner + i;
      // mean(gγ) and mean(gγ·x̂) over the group (zero on running statistics, which are constants)
      let gMean = 0;
      let gxMean = 0;
      if (!constant) {
        for (let s = 0, at = base; s < p.size; s++, at += p.inner) {
          const gg = g[at] * (gamma ? gamma[Math.floor((affineBase + s) / p.affineB)] : 1);
          gMean += gg;
          gxMean += gg * (x[at] - m) * r;
        }
        gMean /= p.size;
        gxMean /= p.size;
      }
      for (let s = 0, at = base; s < p.size; s++, at += p.inner) {
        const gg = g[at] * (gamma ? gamma[Math.floor((affineBase + s) / p.affineB)] : 1);
        out[at] = r * (gg - gMean - (x[at] - m) * r * gxMean);
      }
    }
  }
  return [tensor(ctx.inputs[0].shape, out)];
}

function normRF(ctx: RFContext<unknown, NormPlan>) {
  return ctx.plan.running ? ctx.rf[0] : statisticsRF(ctx, ctx.plan.dims);
}

/**
 * The field after normalising by statistics over input dims `dims`: when they include a spatial
 * dim, global, with the local field in a NORMALISATION_RECEPTIVE_FIELD warning (also batchNorm2d
 * without running statistics).
 */
export function statisticsRF(ctx: RFContext<unknown, unknown>, dims: readonly number[]) {
  const rf = ctx.rf[0];
  if (!rf || rf.global || !rf.dims.some((d) => dims.includes(d))) return rf;
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
  let from: number;
  if (a.normalizedShape !== undefined) {
    const k = a.normalizedShape.length;
    const tail = x.slice(x.length - k);
    if (k === 0 || k > x.length || tail.some((d, i) => d !== a.normalizedShape![i])) {
      ctx.fail('SHAPE_MISMATCH', `normalizedShape [${a.normalizedShape.join(', ')}] must be the trailing dims of the input ${fmtShape(x)}`, 'normalizedShape', { shapes: { input: x } });
    }
    from = x.length - k;
    // both given (an ONNX Scale's shape beside the node's axis): they must name the same dims
    if (a.axis !== undefined && normalizeAxis(ctx, a.axis, x.length, 'axis') !== from) {
      ctx.fail('SHAPE_MISMATCH', `axis ${a.axis} normalises dims from ${normalizeAxis(ctx, a.axis, x.length, 'axis')} of the input ${fmtShape(x)}, but the weight's shape [${a.normalizedShape.join(', ')}] covers the last ${k}`, 'normalizedShape', { shapes: { input: x } });
    }
  } else {
    from = normalizeAxis(ctx, a.axis ?? -1, x.length, 'axis');
  }
  const size = numel(x.slice(from));
  const dims = Array.from({ length: x.length - from }, (_, i) => from + i);
  return { plan: { outer: numel(x.slice(0, from)), size, inner: 1, affineA: 1, affineB: 1, running: false, dims }, affineShape: x.slice(from) };
}

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
    return { outputs: [ctx.inputs[0]], weights, cost: normCost(ctx.inputs[0], plan, affineOps), plan };
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
    if (n * (c / a.numGroups) * hw === 1) {
      ctx.fail('INVALID_TENSOR', `groupNorm with numGroups=${a.numGroups} on ${fmtShape(x)}: one value per group in the whole batch (N·C/G·H·W = 1) (PyTorch: Expected more than 1 value per channel when training)`, 'numGroups', { shapes: { input: x } });
    }
    const size = (c / a.numGroups) * hw;
    const perGroup = a.affinePer === 'group';
    // per group: element (o, s) reads γ[o mod G] (affineB = the group's size)
    const plan: NormPlan = { outer: n * a.numGroups, size, inner: 1, affineA: a.numGroups, affineB: Math.max(1, perGroup ? size : hw), running: false, dims: x.map((_, i) => i).slice(1) };
    const k = perGroup ? a.numGroups : c;
    const weights = a.affine ? [channelVector('weight', k, 1, true), channelVector('bias', k, 0, true)] : [];
    return { outputs: [x], weights, cost: normCost(x, plan, a.affine ? 2 : 0), plan };
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
});
type InstanceNormAttrs = z.infer<typeof InstanceNormAttrs>;

export const instanceNorm2d: OpDef<InstanceNormAttrs, NormPlan> = {
  name: 'instanceNorm2d',
  summary: 'Instance normalisation: each (sample, channel) map normalised over its positions (any rank ≥ 3: N, C, …)',
  pytorch: 'torch.nn.InstanceNorm2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: InstanceNormAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    needRank(ctx, x, 3, 'instanceNorm2d needs (N, C, H, W) (or N, C, L …)');
    checkDeclaredChannels(ctx, x, a.numFeatures, 'numFeatures');
    const [n, c] = x;
    const hw = numel(x.slice(2));
    // F.instance_norm's _verify_spatial_size whenever it uses the input's statistics (at inference without trackRunningStats; in training: instanceNormRun)
    if (hw === 1 && !a.trackRunningStats) ctx.fail('INVALID_TENSOR', oneSpatialValue(x), 'inputs', { shapes: { input: x } });
    const plan: NormPlan = { outer: n * c, size: hw, inner: 1, affineA: c, affineB: Math.max(1, hw), running: a.trackRunningStats, dims: x.map((_, i) => i).slice(2) };
    const weights: WeightSpec[] = [];
    if (a.affine) weights.push(channelVector('weight', c, 1, true), channelVector('bias', c, 0, true));
    if (a.trackRunningStats) weights.push(channelVector('runningMean', c, 0, false), channelVector('runningVar', c, 1, false));
    return { outputs: [x], weights, cost: normCost(x, plan, a.affine ? 2 : 0), plan };
  },
  receptiveField: normRF,
  run: instanceNormRun,
  vjp: normVjp,
};

const oneSpatialValue = (x: Shape) =>
  `instanceNorm2d on ${fmtShape(x)} from its own statistics: one value per (sample, channel) map (H·W = 1) has none (PyTorch: Expected more than 1 spatial element when training)`;

/** instanceNorm2d with trackRunningStats in training normalises by the input's statistics, which one value per map has not (PyTorch refuses it). */
function instanceNormRun(ctx: RunContext<NormAttrs, NormPlan>): Tensor[] {
  if (ctx.training && ctx.plan.size === 1) throw new ConvlensError('INVALID_TENSOR', oneSpatialValue(ctx.inputs[0].shape), { shapes: { input: ctx.inputs[0].shape } });
  return normRun(ctx);
}
