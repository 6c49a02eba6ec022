/**
 * batchNorm2d: y = γ·(x − μ)/√(σ² + ε) + β per channel (dim 1; any rank ≥ 2, so imported
 * BatchNorm1d runs too).
 * PyTorch: torch.nn.BatchNorm2d. Inference uses the running statistics; training mode uses the
 * batch's (biased variance for normalising).
 *   params  = 2·C (γ, β) when affine; buffers = 2·C (running mean, var) when tracking stats
 *   FLOPs   = 2 per element at inference (scale and shift with folded constants), 1 without affine
 * BN folding into a preceding conv: w' = w·γ/σ, b' = (b − μ)·γ/σ + β (domain.md).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef, WeightSpec } from './types.js';

export const BatchNormAttrs = z.strictObject({
  numFeatures: posInt.optional(),
  eps: z.number().positive().default(1e-5),
  momentum: z.number().min(0).max(1).default(0.1),
  affine: z.boolean().default(true),
  trackRunningStats: z.boolean().default(true),
});
export type BatchNormAttrs = z.infer<typeof BatchNormAttrs>;

export const batchNorm2d: OpDef<BatchNormAttrs, { channels: number }> = {
  name: 'batchNorm2d',
  summary: 'Batch normalisation over (N, H, W) per channel',
  pytorch: 'torch.nn.BatchNorm2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: BatchNormAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 2) ctx.fail('RANK_MISMATCH', `layer '${ctx.layer}': batch norm needs (N, C, …), got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const a = ctx.attrs;
    const c = x[1];
    if (a.numFeatures !== undefined && a.numFeatures !== c) {
      ctx.fail('CHANNEL_MISMATCH', `layer '${ctx.layer}': numFeatures=${a.numFeatures} but the input ${fmtShape(x)} has ${c} channels`, 'numFeatures', {
        shapes: { input: x },
      });
    }
    const weights: WeightSpec[] = [];
    if (a.affine) weights.push({ name: 'weight', shape: [c], trainable: true }, { name: 'bias', shape: [c], trainable: true });
    if (a.trackRunningStats) weights.push({ name: 'runningMean', shape: [c], trainable: false }, { name: 'runningVar', shape: [c], trainable: false });
    return { outputs: [x], weights, cost: { ...ZERO_COST, elementwise: numel(x) * (a.affine ? 2 : 1) }, plan: { channels: c } };
  },
  receptiveField: (ctx) => ctx.rf[0],
};
