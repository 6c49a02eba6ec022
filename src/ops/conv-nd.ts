/**
 * conv1d and conv3d (audio and video CNNs): standard, grouped, depthwise (groups = in channels),
 * dilated, strided and padded convolution over 1 or 3 spatial axes, as conv.ts over 2.
 * PyTorch: torch.nn.Conv1d / torch.nn.Conv3d (cross-correlation, no kernel flip).
 *
 *   y[n, co, o] = b[co] + Σ_{ci ∈ group(co)} Σ_{t ∈ taps} w[co, ci, t] · x[n, ci, o·s − pb + t·d]   (per axis)
 *   params = Cout·(Cin/g)·ΠK (+ Cout bias)
 *   MACs   = N·Cout·ΠO·(Cin/g)·ΠK                       (torchvision's GFLOPS for r3d_18, fvcore)
 *   exact  = (2·(Cin/g)·ΠK − 1)·N·Cout·ΠO              (multiply+add count)
 * with K the kernel and O the output size per spatial axis (1-D: [L]; 3-D: [T, H, W]).
 *
 * Kernel: both ranks run as a 3-axis convolution (1-D gets two trivial leading axes). Per image
 * and group, im2col writes a chunk of output positions' columns (rows (ci, kt, kh, kw)) into one
 * scratch matrix, and the GEMM (ops/gemm-tiles.ts) multiplies the group's [Cout/g, K] weights by
 * it into the output rows. Chunks bound the scratch at COLUMN_SCRATCH floats whatever the size.
 *
 * Input gradient (vjp, weights constant): ∂L/∂x = convTranspose1d/3d(∂L/∂y) with the same weight
 * (conv's [Cout, Cin/g, …K] is the transposed conv's [in, out/g, …K]), stride, padding, dilation
 * and groups, cropped to x's size (rows the forward never read get 0): conv-transpose-nd.ts.
 *
 * paddingMode reflect, replicate, circular: the input padded in that mode, then the conv unpadded
 * (conv-padding-mode.ts: shape, cost, field and gradient those of the pad op followed by the conv).
 *
 * Receptive field: per spatial axis ([l] or [d, h, w]), the window algebra of conv.ts on each axis
 * (receptive-field.ts windowRF: r' = r + (k_eff − 1)·j, j' = j·s, P' = P + pb·j).
 *
 * Input [N, C, …spatial], or one unbatched sample [C, …spatial] as PyTorch's modules take it: the
 * batch of one, answered without N (unbatched.ts; ONNX Conv takes N).
 */
import { z } from 'zod';
import { posInt } from './geometry.js';
import { paddingNd, perAxis, product, windowGeometryNd } from './geometry-nd.js';
import { expectSpatialRank } from './nd-common.js';
import { windowRF } from './receptive-field.js';
import { checkChannels, weightAndBias } from './common.js';
import { tensor } from '../tensor/tensor.js';
import { READS_SHAPES_ONLY } from './types.js';
import type { InferContext, Inferred, OpDef } from './types.js';
import { columnChunk, convNdForward, convNdStages, convTransposeNdForward } from './conv-nd-kernels.js';
import type { ConvNdPlan } from './conv-nd-kernels.js';
import { PaddingMode, padGradientIntermediate, padInput, padIntermediate, padStage, padStageRF, unpadGradient } from './conv-padding-mode.js';
import type { PadStage } from './conv-padding-mode.js';
import { acceptUnbatched } from './unbatched.js';

export type { ConvNdPlan };

export function convNdAttrs(rank: number) {
  return z.strictObject({
    outChannels: posInt.describe('number of kernels: the output channels'),
    inChannels: posInt.optional(),
    kernelSize: perAxis(rank).describe(rank === 1 ? "the kernel's length" : "the kernel's [depth, height, width], or one number for all"),
    stride: perAxis(rank).default(1),
    padding: paddingNd(rank).default(0),
    dilation: perAxis(rank).default(1),
    groups: posInt.default(1),
    bias: z.boolean().default(true),
    paddingMode: PaddingMode,
  });
}
export type ConvNdAttrs = z.infer<ReturnType<typeof convNdAttrs>>;


/** A conv's plan, with its pad stage when paddingMode is not zeros (geo then over the padded input). */
type ConvNdModePlan = ConvNdPlan & { pad?: PadStage };

export function convNdPlan(ctx: InferContext<ConvNdAttrs>, rank: number): ConvNdModePlan {
  const x = expectSpatialRank(ctx, rank);
  const a = ctx.attrs;
  checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
  const resolved = windowGeometryNd(ctx, x.slice(2), { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding });
  const { stage, geo } = padStage(ctx, x, resolved, a.paddingMode);
  return { n: x[0], cin: x[1], cout: a.outChannels, groups: a.groups, geo, ...(stage ? { pad: stage } : {}) };
}

function convNdInferred(plan: ConvNdModePlan, bias: boolean): Inferred<ConvNdModePlan> {
  const outPositions = plan.n * plan.cout * product(plan.geo.map((g) => g.out));
  const kernel = plan.geo.map((g) => g.kernel);
  const perOutput = (plan.cin / plan.groups) * product(kernel);
  return {
    outputs: [[plan.n, plan.cout, ...plan.geo.map((g) => g.out)]],
    weights: weightAndBias([plan.cout, plan.cin / plan.groups, ...kernel], bias ? plan.cout : null),
    cost: { macs: outPositions * perOutput, exactMacOps: outPositions * (2 * perOutput - 1), biasOps: bias ? outPositions : 0, elementwise: 0 },
    plan,
  };
}

function makeConvNd(rank: 1 | 3): OpDef<ConvNdAttrs, ConvNdModePlan> {
  const name = `conv${rank}d`;
  return {
    name,
    windowedAxes: rank,
    summary: `Standard, grouped, depthwise and dilated ${rank}-D convolution (cross-correlation) over ${rank === 1 ? '[L]' : '[T, H, W]'}`,
    pytorch: `torch.nn.Conv${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    weighted: true,
    attrsFromWeights(weights, attrs) {
      const w = weights.weight;
      if (!w || w.length !== rank + 2) return attrs;
      return { outChannels: w[0], kernelSize: w.slice(2), bias: weights.bias !== undefined, ...attrs };
    },
    attrs: convNdAttrs(rank),
    infer(ctx) {
      const plan = convNdPlan(ctx, rank);
      const inferred = convNdInferred(plan, ctx.attrs.bias);
      // the kernel's im2col chunk (K rows × up to 16 MiB of output positions) where it is not staged
      // in WebAssembly memory (convNdStages: all but a conv whose weight needs GEMM tiles, such as
      // r3d_18's and r2plus1d_18's layer4 convs), and the padded input it reads (paddingMode): held
      // to the tensor limit as the pad op's output would be; the VJP's gradient over it
      // (convTransposeNdForward scatters directly: no other scratch)
      const columns = convNdStages(plan) ? [] : [{ shape: columnChunk(plan), what: 'a chunk of the im2col matrix (K rows × output positions)', scratch: true as const }];
      return plan.pad
        ? { ...inferred, intermediates: [...columns, padIntermediate(plan.pad)], vjpIntermediates: [padGradientIntermediate(plan.pad)] }
        : { ...inferred, intermediates: columns };
    },
    receptiveField: (ctx) => (ctx.plan.pad ? windowRF(padStageRF(ctx, ctx.plan.pad), ctx.plan.geo, ctx.plan.pad.shape) : windowRF(ctx.rf[0], ctx.plan.geo, ctx.inputs[0])),
    run(ctx) {
      const x = ctx.plan.pad ? padInput(ctx.inputs[0], ctx.plan.pad) : ctx.inputs[0];
      return [tensor(ctx.outputs[0], convNdForward(x.data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))];
    },
    vjpReads: READS_SHAPES_ONLY, // a linear map of g: no forward values
    vjp(ctx) {
      const p = ctx.plan;
      const g = ctx.gradOutputs[0]?.data ?? new Float32Array(ctx.outputs[0].reduce((a, b) => a * b, 1));
      const geo = p.geo.map((a) => ({ ...a, in: a.out, out: a.in }));
      const gx = tensor(p.pad ? p.pad.shape : ctx.inputs[0].shape, convTransposeNdForward(g, ctx.weights.weight.data, undefined, { n: p.n, cin: p.cout, cout: p.cin, groups: p.groups, geo }));
      return [p.pad ? unpadGradient(ctx, p.pad, gx) : gx];
    },
  };
}

// each also takes one unbatched sample [C, L] / [C, D, H, W], as nn.Conv1d/3d: the batch of one (unbatched.ts)
export const conv1d = acceptUnbatched(makeConvNd(1), 1, [0], 'Conv');
export const conv3d = acceptUnbatched(makeConvNd(3), 3, [0], 'Conv');
