/**
 * The kernels of the normalisations by their own statistics (layerNorm, groupNorm, instanceNorm2d;
 * the ops, their formulas and refusals are in src/ops/norm-group.ts): the group statistics in
 * float64, the normalisation with its affine map, its VJP, and the cost the header there states.
 * A group of one value normalises to exactly β: x − mean is 0 and (0·1/σ)·γ + β = β.
 */
import { ZERO_COST, numel } from './types.js';
import type { Intermediate, LayerCost, RunContext, Shape, VjpContext } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

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

export function normCost(shape: Shape, plan: NormPlan, affineOps: number): LayerCost {
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

export interface NormAttrs {
  eps: number;
}

function statsOf(ctx: RunContext<NormAttrs, NormPlan>) {
  const p = ctx.plan;
  return p.running && !ctx.training ? runningStats(p, ctx.weights, ctx.attrs.eps) : groupStats(ctx.inputs[0].data, p, ctx.attrs.eps);
}

export function normRun(ctx: RunContext<NormAttrs, NormPlan>): Tensor[] {
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

/**
 * What normVjp allocates beside ∂x (OpInferred.vjpIntermediates): every group's mean and 1/σ in
 * float64 (statsOf; the running statistics too, spread to the groups), 16 bytes a group: a
 * fraction 4/size of the input, so the whole of it for layerNorm over 4 channels.
 */
export const normVjpIntermediates = (p: NormPlan): Intermediate[] => [
  { shape: [2, p.outer * p.inner], what: `each group's mean and 1/σ (float64, ${p.outer * p.inner} groups)`, bytesPerElement: 8 },
];

export function normVjp(ctx: VjpContext<NormAttrs, NormPlan>): (Tensor | null)[] {
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

