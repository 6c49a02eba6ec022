/**
 * rmsNorm: root-mean-square layer normalisation (nn.RMSNorm, torch ≥ 2.4; ONNX RMSNormalization,
 * opset 23; T5's, LLaMA's and many ViT hybrids' norm). Over the trailing dims from `axis` (ONNX's
 * [axis, rank)) or `normalizedShape` (PyTorch's), each row of M values is scaled by the inverse of
 * its root mean square, with no mean taken out and no bias:
 *   y = x / √(mean(x²) + ε) · γ            (γ has the normalised shape; ONNX's Scale, PyTorch's weight)
 * The mean of squares is computed in float64 (ONNX's stash_type, the precision of it, is moot).
 * ε: ONNX's default 1e-5 (PyTorch's None, the dtype's machine epsilon, is given as eps by who builds it).
 *   params = |γ| when elementwiseAffine (ONNX always has a Scale)
 *   FLOPs  = 3 per element (square, sum, scale by 1/rms) + 3 per row (÷ M, + ε, 1/√) + 1 per element
 *            for × γ
 * Receptive field: as layerNorm's (norm-group.ts statisticsRF): statistics over the normalised dims;
 * over a spatial dim, each output depends on its whole row along it.
 * VJP (γ constant), with r = 1/√(mean(x²) + ε), x̂ = x·r, gγ = g·γ over a row of M values:
 *   ∂L/∂x = r·(gγ − x̂·mean(gγ·x̂))
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { IntList } from './common.js';
import { normalizedFrom, statisticsRF } from './norm-group.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, WeightSpec } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const RmsNormAttrs = z.strictObject({
  normalizedShape: IntList.optional().describe('the trailing dims normalised, as nn.RMSNorm\'s normalized_shape (default: from axis)'),
  /** ONNX RMSNormalization's axis: normalise over dims [axis, rank) (−1 by default). */
  axis: z.number().int().optional(),
  eps: z.number().positive().default(1e-5),
  elementwiseAffine: z.boolean().default(true),
});
type RmsNormAttrs = z.infer<typeof RmsNormAttrs>;

/** rows × size: the input as `outer` rows of `size` values, each normalised by its own RMS; `dims` the input dims a row spans. */
export interface RmsNormPlan {
  outer: number;
  size: number;
  dims: number[];
}

/** FLOPs per element (square, add, scale) and per row (÷ M, + ε, 1/√), see the header. */
const PER_ELEMENT = 3;
const PER_ROW = 3;
/** MAX_RUN_WORK's units an element normalised takes: layerNorm's (norm-group.ts LAYER_NORM_ELEMENT), an upper bound (one pass fewer). */
const RMS_NORM_ELEMENT = 180;

function rmsNormPlan(ctx: InferContext<RmsNormAttrs>): RmsNormPlan {
  const x = ctx.inputs[0];
  const a = ctx.attrs;
  if (x.length < 1) ctx.fail('RANK_MISMATCH', `rmsNorm needs at least one dim, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
  const from = normalizedFrom(ctx, x, a);
  return { outer: numel(x.slice(0, from)), size: numel(x.slice(from)), dims: Array.from({ length: x.length - from }, (_, i) => from + i) };
}

/** 1/√(mean(x²) + ε) of every row, in float64. */
function rowScales(x: Float32Array, p: RmsNormPlan, eps: number): Float64Array {
  const r = new Float64Array(p.outer);
  for (let o = 0, base = 0; o < p.outer; o++, base += p.size) {
    let sq = 0;
    for (let at = base; at < base + p.size; at++) sq += x[at] * x[at];
    r[o] = 1 / Math.sqrt(sq / p.size + eps);
  }
  return r;
}

export const rmsNorm: OpDef<RmsNormAttrs, RmsNormPlan> = {
  name: 'rmsNorm',
  summary: 'Root-mean-square normalisation over the trailing dims: x / √(mean(x²) + ε) · γ (nn.RMSNorm, ONNX RMSNormalization)',
  pytorch: 'torch.nn.RMSNorm',
  inputNames: ['x'],
  minInputs: 1,
  attrs: RmsNormAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const plan = rmsNormPlan(ctx);
    const affine = ctx.attrs.elementwiseAffine;
    const weights: WeightSpec[] = affine ? [{ name: 'weight', shape: x.slice(x.length - plan.dims.length), trainable: true, init: { kind: 'constant', value: 1 } }] : [];
    const n = numel(x);
    const cost = { ...ZERO_COST, elementwise: n * (PER_ELEMENT + (affine ? 1 : 0)) + plan.outer * PER_ROW };
    return { outputs: [x], weights, cost, runWork: RMS_NORM_ELEMENT * n, plan, vjpIntermediates: [{ shape: [plan.outer], what: `each row's 1/rms (float64, ${plan.outer} rows)`, bytesPerElement: 8 }] };
  },
  receptiveField: (ctx) => statisticsRF(ctx, ctx.plan.dims),
  run(ctx) {
    const x = ctx.inputs[0].data;
    const { outer, size } = ctx.plan;
    const gamma = ctx.weights.weight?.data;
    const r = rowScales(x, ctx.plan, ctx.attrs.eps);
    const out = new Float32Array(x.length);
    for (let o = 0, base = 0; o < outer; o++, base += size) {
      for (let s = 0; s < size; s++) out[base + s] = x[base + s] * r[o] * (gamma ? gamma[s] : 1);
    }
    return [tensor(ctx.inputs[0].shape, out)];
  },
  vjp(ctx) {
    const x = ctx.inputs[0].data;
    const out = new Float32Array(x.length);
    const g = ctx.gradOutputs[0]?.data;
    if (!g || x.length === 0) return [tensor(ctx.inputs[0].shape, out)];
    const { outer, size } = ctx.plan;
    const gamma = ctx.weights.weight?.data;
    const r = rowScales(x, ctx.plan, ctx.attrs.eps);
    for (let o = 0, base = 0; o < outer; o++, base += size) {
      let gx = 0;
      for (let s = 0; s < size; s++) gx += g[base + s] * (gamma ? gamma[s] : 1) * x[base + s] * r[o];
      gx /= size;
      for (let s = 0; s < size; s++) out[base + s] = r[o] * (g[base + s] * (gamma ? gamma[s] : 1) - x[base + s] * r[o] * gx);
    }
    return [tensor(ctx.inputs[0].shape, out)];
  },
};
