/**
 * conv2d: standard, grouped, depthwise (groups = in = out channels) and dilated convolution.
 * PyTorch: torch.nn.Conv2d / torch.nn.functional.conv2d (cross-correlation, no kernel flip);
 * mode "convolution" flips the kernel, as the mathematical convolution does.
 *
 *   y[n, co, i, j] = b[co] + Σ_{ci ∈ group(co)} Σ_{u,v} w[co, ci, u, v] · x[n, ci, i·s − pt + u·d, j·s − pl + v·d]
 *   params = Cout·(Cin/g)·Kh·Kw (+ Cout bias)
 *   MACs   = N·Cout·H'·W'·(Cin/g)·Kh·Kw                 (domain.md; torchvision, fvcore)
 *   exact  = (2·(Cin/g)·Kh·Kw − 1)·N·Cout·H'·W'         (the notes' multiply+add count)
 */
import { z } from 'zod';
import { Pair, PaddingSchema, posInt, spatialOut, windowGeometry } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { windowRF } from './receptive-field.js';
import { checkChannels, expectRank } from './common.js';
import type { InferContext, Inferred, OpDef, WeightSpec } from './types.js';

export const ConvAttrs = z.strictObject({
  outChannels: posInt,
  inChannels: posInt.optional(),
  kernelSize: Pair,
  stride: Pair.default(1),
  padding: PaddingSchema.default(0),
  dilation: Pair.default(1),
  groups: posInt.default(1),
  bias: z.boolean().default(true),
  mode: z.enum(['crossCorrelation', 'convolution']).default('crossCorrelation'),
});
export type ConvAttrs = z.infer<typeof ConvAttrs>;

export interface ConvPlan {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  geo: AxisGeometry[];
}

type ConvLike = Pick<ConvAttrs, 'outChannels' | 'inChannels' | 'kernelSize' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/** Validates and resolves everything a conv-shaped layer needs; shared with deformConv2d. */
export function convPlan(ctx: InferContext<ConvLike>): ConvPlan {
  const x = expectRank(ctx, 0, 4);
  const a = ctx.attrs;
  checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
  const geo = windowGeometry(ctx, [x[2], x[3]], { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding });
  return { n: x[0], cin: x[1], cout: a.outChannels, groups: a.groups, geo };
}

export function convWeights(cout: number, cinPerGroup: number, geo: AxisGeometry[], bias: boolean): WeightSpec[] {
  const weights: WeightSpec[] = [{ name: 'weight', shape: [cout, cinPerGroup, geo[0].kernel, geo[1].kernel], trainable: true }];
  if (bias) weights.push({ name: 'bias', shape: [cout], trainable: true });
  return weights;
}

export function convInferred(plan: ConvPlan, bias: boolean): Inferred<ConvPlan> {
  const outPositions = plan.n * plan.cout * spatialOut(plan.geo);
  const perOutput = (plan.cin / plan.groups) * plan.geo[0].kernel * plan.geo[1].kernel;
  return {
    outputs: [[plan.n, plan.cout, plan.geo[0].out, plan.geo[1].out]],
    weights: convWeights(plan.cout, plan.cin / plan.groups, plan.geo, bias),
    cost: { macs: outPositions * perOutput, exactMacOps: outPositions * (2 * perOutput - 1), biasOps: bias ? outPositions : 0, elementwise: 0 },
    plan,
  };
}

export const conv2d: OpDef<ConvAttrs, ConvPlan> = {
  name: 'conv2d',
  summary: 'Standard, grouped, depthwise and dilated 2-D convolution (cross-correlation; mode "convolution" flips the kernel)',
  pytorch: 'torch.nn.Conv2d',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  attrs: ConvAttrs,
  infer: (ctx) => convInferred(convPlan(ctx), ctx.attrs.bias),
  receptiveField: (ctx) => windowRF(ctx.rf[0], ctx.plan.geo),
};
