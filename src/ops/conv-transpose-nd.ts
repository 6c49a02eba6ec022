/**
 * convTranspose1d and convTranspose3d: transposed (fractionally strided) convolution over 1 or 3
 * spatial axes, as conv-transpose.ts over 2. PyTorch: torch.nn.ConvTranspose1d/3d. Weight
 * [Cin, Cout/g, …K].
 *
 *   O = (I − 1)·s − pb − pe + d·(K − 1) + 1 + outputPadding          (per axis)
 *   padding "sameUpper" / "sameLower" and outputSize: ONNX's auto_pad and output_shape (conv-transpose-padding.ts)
 *   params = Cin·(Cout/g)·ΠK (+ Cout bias)
 *   MACs   = N·Cin·ΠI·(Cout/g)·ΠK      over INPUT positions, as convTranspose2d (each input
 *                                      element scatters one kernel per output channel of its group)
 *   exact  = 2·MACs − (outputs that receive at least one product)
 * Kernel: the scatter itself (col2im without the column matrix): for every input channel, output
 * channel of its group and tap, one weight times a run of input rows added at stride s; the
 * output index per row is computed once and only the last axis steps.
 * Input gradient (vjp): conv1d/3d of ∂L/∂y with the same weight and window (conv-nd-kernels.ts).
 * Receptive field: per spatial axis, a window of fractional stride 1/s over the zero-stuffed input
 * (receptive-field.ts transposedRF), as convTranspose2d.
 * Input [N, C, …spatial], or one unbatched sample [C, …spatial] as PyTorch's modules take it: the
 * batch of one, answered without N (unbatched.ts; ONNX ConvTranspose takes N).
 */
import { z } from 'zod';
import { nonNegInt, posInt } from './geometry.js';
import { paddingNd, perAxis, product, transposedGeometryNd } from './geometry-nd.js';
import { expectSpatialRank } from './nd-common.js';
import { transposedRF } from './receptive-field.js';
import { coveredPositions } from './conv-transpose.js';
import { checkChannels, weightAndBias } from './common.js';
import { convNdForward, convTransposeNdForward } from './conv-nd-kernels.js';
import type { ConvNdPlan } from './conv-nd-kernels.js';
import { tensor } from '../tensor/tensor.js';
import { READS_SHAPES_ONLY } from './types.js';
import { ZerosPaddingOnly } from './conv-padding-mode.js';
import { outputSizeAttr, resolveTransposedPadding } from './conv-transpose-padding.js';
import type { PaddingNd } from './geometry-nd.js';
import type { OpDef } from './types.js';
import { acceptUnbatched } from './unbatched.js';

function attrs(rank: number) {
  return z.strictObject({
    outChannels: posInt.describe('output channels'),
    inChannels: posInt.optional(),
    kernelSize: perAxis(rank).describe(rank === 1 ? "the kernel's length" : "the kernel's [depth, height, width], or one number for all"),
    stride: perAxis(rank).default(1),
    padding: paddingNd(rank).default(0),
    outputPadding: z.union([nonNegInt, z.array(nonNegInt).length(rank)]).default(0),
    outputSize: outputSizeAttr(rank),
    dilation: perAxis(rank).default(1),
    groups: posInt.default(1),
    bias: z.boolean().default(true),
    paddingMode: ZerosPaddingOnly,
  });
}
export type ConvTransposeNdAttrs = z.infer<ReturnType<typeof attrs>>;

export type ConvTransposeNdPlan = ConvNdPlan;

/**
 * MAX_RUN_WORK's work a MAC of convTransposeNdForward (a scalar scatter loop, no GEMM).
 * bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared): convTranspose1d k4 s2 128 channels at
 * 512 6.7–8.7 ns a MAC, convTranspose3d k2 s2 16 at 12³ 7.4–21.5 ns (26–89× the 3×3 conv's rate);
 * at MAX_RUN_WORK's unit of about 0.3 ns (see pool.ts), 25.
 */
const LOOP_MAC = 25;

function makeConvTransposeNd(rank: 1 | 3): OpDef<ConvTransposeNdAttrs, ConvTransposeNdPlan> {
  const name = `convTranspose${rank}d`;
  return {
    name,
    windowedAxes: rank,
    summary: `Transposed (fractionally strided) ${rank}-D convolution over ${rank === 1 ? '[L]' : '[T, H, W]'} for learned upsampling`,
    pytorch: `torch.nn.ConvTranspose${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    weighted: true,
    // the weight is [Cin, Cout/g, …K]
    attrsFromWeights(weights, a) {
      const w = weights.weight;
      if (!w || w.length !== rank + 2) return a;
      return { outChannels: w[1] * ((a.groups as number | undefined) ?? 1), kernelSize: w.slice(2), bias: weights.bias !== undefined, ...a };
    },
    attrs: attrs(rank),
    infer(ctx) {
      const x = expectSpatialRank(ctx, rank);
      const a = ctx.attrs;
      checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
      const resolved = resolveTransposedPadding(ctx, x.slice(2), { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding, outputPadding: a.outputPadding, outputSize: a.outputSize });
      const geo = transposedGeometryNd(ctx, x.slice(2), { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: resolved.padding as PaddingNd, outputPadding: resolved.outputPadding });
      const [n, cin] = x;
      const cout = a.outChannels;
      const kernel = geo.map((g) => g.kernel);
      const macs = n * cin * product(x.slice(2)) * (cout / a.groups) * product(kernel);
      const covered = n * cout * product(geo.map(coveredPositions));
      const outPositions = n * cout * product(geo.map((g) => g.out));
      return {
        outputs: [[n, cout, ...geo.map((g) => g.out)]],
        weights: weightAndBias([cin, cout / a.groups, ...kernel], a.bias ? cout : null),
        cost: { macs, exactMacOps: 2 * macs - covered, biasOps: a.bias ? outPositions : 0, elementwise: 0 },
        kernelWork: LOOP_MAC * macs,
        plan: { n, cin, cout, groups: a.groups, geo },
      };
    },
    receptiveField: (ctx) => transposedRF(ctx.rf[0], ctx.plan.geo, ctx.inputs[0]),
    run: (ctx) => [tensor(ctx.outputs[0], convTransposeNdForward(ctx.inputs[0].data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))],
    vjpReads: READS_SHAPES_ONLY, // a linear map of g: no forward values
    vjp(ctx) {
      // ∂L/∂x = conv1d/3d(∂L/∂y) with the same weight ([Cin, Cout/g, …K] is conv's [out, in/g, …K]),
      // stride, padding, dilation and groups; output padding only adds positions no input reaches
      const p = ctx.plan;
      const g = ctx.gradOutputs[0]?.data ?? new Float32Array(ctx.outputs[0].reduce((a, b) => a * b, 1));
      const geo = p.geo.map((a) => ({ ...a, in: a.out, out: a.in, padEnd: (a.in - 1) * a.stride + a.effKernel - a.out - a.padBegin }));
      return [tensor(ctx.inputs[0].shape, convNdForward(g, ctx.weights.weight.data, undefined, { n: p.n, cin: p.cout, cout: p.cin, groups: p.groups, geo }))];
    },
  };
}

// each also takes one unbatched sample [C, L] / [C, D, H, W], as nn.ConvTranspose1d/3d: the batch of one (unbatched.ts)
export const convTranspose1d = acceptUnbatched(makeConvTransposeNd(1), 1, [0], 'ConvTranspose');
export const convTranspose3d = acceptUnbatched(makeConvTransposeNd(3), 3, [0], 'ConvTranspose');
