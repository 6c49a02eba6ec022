/**
 * batchNorm2d: y = γ·(x − μ)/√(σ² + ε) + β per channel (dim 1; any rank ≥ 2); batchNorm1d and
 * batchNorm3d (below) compute the same under PyTorch's names for a rank 2–3 and a rank-5 input.
 * PyTorch: torch.nn.BatchNorm2d. Inference uses the running statistics; training mode uses the
 * batch's (biased variance for normalising).
 *   params  = 2·C (γ, β) when affine; buffers = 2·C + 1 (running mean, var; num_batches_tracked, an
 *             int64 scalar) when tracking stats, 2·C from an ONNX file (which has no num_batches_tracked)
 *   FLOPs   = 2 per element at inference (scale and shift with folded constants), 1 without affine
 * Receptive field: passes through on running statistics; without them (trackRunningStats false)
 * the batch's statistics over N, H, W make it global, with a NORMALISATION_RECEPTIVE_FIELD warning.
 * trainingMode (an ONNX node in training mode: training_mode 1, or before opset 14 more than one
 * output, as torch.onnx.export writes a model in train()): the batch's statistics always, as ONNX
 * defines the node and PyTorch's train() forward computes (not folded, field global).
 * BN folding into a preceding conv: w' = w·γ/σ, b' = (b − μ)·γ/σ + β (domain.md).
 */
import { z } from 'zod';
import { ConvlensError, fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { channelVector } from './common.js';
import { runningStatistics, statisticsRF } from './norm-group.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, RunContext, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';

/** torch.nn.BatchNorm2d's defaults: ε added to the variance, and the running-statistics momentum. */
const PYTORCH_BN_EPS = 1e-5;
const PYTORCH_BN_MOMENTUM = 0.1;

export const BatchNormAttrs = z.strictObject({
  numFeatures: posInt.optional(),
  eps: z.number().positive().default(PYTORCH_BN_EPS),
  // null: PyTorch's momentum=None, the cumulative moving average (training updates the running
  // statistics by 1/num_batches_tracked); momentum only sets that update, which convlens never makes
  // (inference reads the running statistics, training the batch's): no kernel reads it
  momentum: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .default(PYTORCH_BN_MOMENTUM)
    .describe("the running statistics' update factor in training, or null for PyTorch's cumulative moving average (momentum=None); the forward pass does not read it"),
  affine: z.boolean().default(true),
  trackRunningStats: z.boolean().default(true),
  trainingMode: z.boolean().default(false).describe("normalise by the batch's statistics even at inference (an ONNX BatchNormalization in training mode)"),
});
export type BatchNormAttrs = z.infer<typeof BatchNormAttrs>;

export const batchNorm2d: OpDef<BatchNormAttrs, null> = {
  name: 'batchNorm2d',
  summary: 'Batch normalisation over (N, H, W) per channel',
  pytorch: 'torch.nn.BatchNorm2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: BatchNormAttrs,
  foldsIntoPrecedingConv: (a) => a.trackRunningStats && !a.trainingMode, // by the batch's statistics: not a constant map
  // with running statistics the input gradient is g·γ/σ: no forward values; the batch's statistics read x
  vjpReads: (a) => ({ inputs: !a.trackRunningStats || a.trainingMode, outputs: false }),
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 2) ctx.fail('RANK_MISMATCH', `batch norm needs (N, C, …), got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const a = ctx.attrs;
    const c = x[1];
    if (a.numFeatures !== undefined && a.numFeatures !== c) {
      ctx.fail('CHANNEL_MISMATCH', `numFeatures=${a.numFeatures} but the input ${fmtShape(x)} has ${c} channels`, 'numFeatures', {
        shapes: { input: x },
      });
    }
    // without running statistics it normalises by the batch's at inference too (F.batch_norm's
    // _verify_batch_size): one value per channel has none (in training: bnStatistics)
    const batchStats = !a.trackRunningStats || a.trainingMode;
    if (batchStats && numel(x) === c) ctx.fail('INVALID_TENSOR', oneValuePerChannel(x), 'inputs', { shapes: { input: x } });
    const weights: WeightSpec[] = [];
    if (a.affine) weights.push(channelVector('weight', c, 1, true), channelVector('bias', c, 0, true));
    if (a.trackRunningStats) weights.push(...runningStatistics(c, ctx.fromOnnx === true));
    // without running statistics the VJP takes the batch's, per channel in float64 (bnStatistics)
    const vjpIntermediates = !batchStats ? [] : [{ shape: [2, c], what: `the batch's mean and variance of each channel (float64, ${c} channels)`, bytesPerElement: 8 }];
    return { outputs: [x], weights, cost: { ...ZERO_COST, elementwise: numel(x) * (a.affine ? 2 : 1) }, plan: null, vjpIntermediates };
  },
  // batch statistics at inference (no running statistics) are taken over N, H, W: every output depends on every position
  receptiveField: (ctx) => (ctx.attrs.trackRunningStats && !ctx.attrs.trainingMode ? ctx.rf[0] : statisticsRF(ctx, ctx.inputs[0].map((_, i) => i).filter((i) => i !== 1))),
  run(ctx) {
    const x = ctx.inputs[0];
    const [n, c] = x.shape;
    const plane = x.data.length / (n * c);
    const { eps, affine } = ctx.attrs;
    const w = ctx.weights;
    const { mean, variance } = bnStatistics(ctx);
    const out = new Float32Array(x.data.length);
    for (let ch = 0; ch < c; ch++) {
      const scale = (affine ? w.weight.data[ch] : 1) / Math.sqrt(variance[ch] + eps);
      const shift = (affine ? w.bias.data[ch] : 0) - mean[ch] * scale;
      for (let b = 0; b < n; b++) {
        const o = (b * c + ch) * plane;
        for (let i = 0; i < plane; i++) out[o + i] = x.data[o + i] * scale + shift;
      }
    }
    return [tensor(x.shape, out)];
  },
  /**
   * Running statistics (inference): ∂L/∂x = g·γ/√(var + ε) per channel, constants.
   * Batch statistics (training, or no running stats): the mean and variance depend on x too, so
   * with x̂ = (x − μ)/σ over the channel's M = N·H·W values,
   *   ∂L/∂x = (γ/σ)·(g − mean(g) − x̂·mean(g·x̂))            (PyTorch's batch_norm_backward)
   */
  vjp(ctx) {
    const x = ctx.inputs[0];
    const [n, c] = x.shape;
    const plane = x.data.length / (n * c);
    const out = new Float32Array(x.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (!g) return [tensor(x.shape, out)];
    const { eps, affine } = ctx.attrs;
    const { mean, variance, batch } = bnStatistics(ctx);
    const count = n * plane;
    for (let ch = 0; ch < c; ch++) {
      const inv = 1 / Math.sqrt(variance[ch] + eps);
      const scale = (affine ? ctx.weights.weight.data[ch] : 1) * inv;
      // mean(g) and mean(g·x̂) over the channel, when the statistics are the batch's
      let gMean = 0;
      let gxMean = 0;
      if (batch) {
        for (let b = 0; b < n; b++) {
          const o = (b * c + ch) * plane;
          for (let i = o; i < o + plane; i++) {
            gMean += g[i];
            gxMean += g[i] * (x.data[i] - mean[ch]) * inv;
          }
        }
        gMean /= count;
        gxMean /= count;
      }
      for (let b = 0; b < n; b++) {
        const o = (b * c + ch) * plane;
        for (let i = o; i < o + plane; i++) out[i] = batch ? scale * (g[i] - gMean - (x.data[i] - mean[ch]) * inv * gxMean) : scale * g[i];
      }
    }
    return [tensor(x.shape, out)];
  },
};

/**
 * batchNorm1d and batchNorm3d: batchNorm2d's computation under PyTorch's names for the input's
 * rank, which their modules check (BatchNorm1d: (N, C) or (N, C, L); BatchNorm3d: (N, C, D, H, W)).
 * batchNorm2d itself takes any rank ≥ 2, as it always has (specs that write it on video).
 */
function batchNormOfRank(d: 1 | 3, ranks: readonly number[], layout: string): OpDef<BatchNormAttrs, null> {
  return {
    ...batchNorm2d,
    name: `batchNorm${d}d`,
    summary: `Batch normalisation per channel of ${layout}`,
    pytorch: `torch.nn.BatchNorm${d}d`,
    infer(ctx) {
      const x = ctx.inputs[0];
      if (!ranks.includes(x.length)) ctx.fail('RANK_MISMATCH', `batchNorm${d}d needs ${layout}, got ${fmtShape(x)} (PyTorch: expected ${ranks.map((r) => `${r}D`).join(' or ')} input (got ${x.length}D input))`, 'inputs', { shapes: { input: x } });
      return batchNorm2d.infer(ctx);
    },
  };
}

export const batchNorm1d = batchNormOfRank(1, [2, 3], '(N, C) or (N, C, L)');
export const batchNorm3d = batchNormOfRank(3, [5], '(N, C, D, H, W)');

/** The batch norm PyTorch names for an input of this rank: BatchNorm1d (2, 3), BatchNorm2d (4), BatchNorm3d (5); batchNorm2d otherwise, which takes any. */
export const batchNormForRank = (rank: number): OpDef<BatchNormAttrs, null> => (rank === 2 || rank === 3 ? batchNorm1d : rank === 5 ? batchNorm3d : batchNorm2d);

/**
 * The statistics a batch norm normalises with: the running ones at inference, else the batch's
 * over (N, H, W) with the biased variance (PyTorch), in float64.
 */
function bnStatistics(ctx: RunContext<BatchNormAttrs, null>): { mean: ArrayLike<number>; variance: ArrayLike<number>; batch: boolean } {
  const x = ctx.inputs[0];
  if (!ctx.training && ctx.attrs.trackRunningStats && !ctx.attrs.trainingMode) return { mean: ctx.weights.runningMean.data, variance: ctx.weights.runningVar.data, batch: false };
  const [n, c] = x.shape;
  const plane = x.data.length / (n * c);
  // one value per channel has no variance to learn from: PyTorch refuses it in training (and at inference without running statistics: infer)
  if (n * plane === 1) throw new ConvlensError('INVALID_TENSOR', oneValuePerChannel(x.shape), { shapes: { input: x.shape } });
  const m = new Float64Array(c);
  const v = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) m[ch] += x.data[o + i];
    }
  }
  for (let ch = 0; ch < c; ch++) m[ch] /= n * plane;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) v[ch] += (x.data[o + i] - m[ch]) ** 2;
    }
  }
  for (let ch = 0; ch < c; ch++) v[ch] /= n * plane;
  return { mean: m, variance: v, batch: true };
}

const oneValuePerChannel = (x: readonly number[]) =>
  `batch norm on ${fmtShape(x)} from the batch's statistics (in training, or without trackRunningStats): one value per channel (N·H·W = 1) has none (PyTorch: Expected more than 1 value per channel when training)`;

export interface FoldedConv {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * Folds an inference BN into the conv before it: σ = √(var + ε), w' = w·γ/σ per output channel,
 * b' = (b − μ)·γ/σ + β (domain.md). The folded conv's output equals conv → BN.
 */
export function foldBatchNorm(
  convWeight: Float32Array,
  convBias: Float32Array | null,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array; eps: number },
): FoldedConv {
  const cout = bn.gamma.length;
  const per = convWeight.length / cout;
  const weight = new Float32Array(convWeight.length);
  const bias = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    const k = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.eps);
    for (let i = 0; i < per; i++) weight[c * per + i] = convWeight[c * per + i] * k;
    bias[c] = ((convBias ? convBias[c] : 0) - bn.mean[c]) * k + bn.beta[c];
  }
  return { weight, bias };
}
