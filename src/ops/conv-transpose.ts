/**
 * convTranspose2d: the gradient of conv2d with respect to its input; used for learned upsampling.
 * PyTorch: torch.nn.ConvTranspose2d. Weight [Cin, Cout/g, Kh, Kw].
 *
 *   H' = (H − 1)·s − pt − pb + d·(Kh − 1) + 1 + outputPadding
 *   padding "sameUpper" / "sameLower" and outputSize: ONNX's auto_pad and output_shape, resolved at
 *   the input's size to pt, pb and outputPadding (conv-transpose-padding.ts)
 *   MACs = N·Cin·H·W·(Cout/g)·Kh·Kw     counted over INPUT positions: each input pixel scatters
 *                                       one kernel (domain.md; thop, torchinfo, onnx-tool count
 *                                       output positions instead, which is wrong)
 *   exact = 2·MACs − (outputs that receive at least one product), since each output sums its products
 * VJP (weights constant): ∂L/∂x = conv2d(∂L/∂y) with the same weight, same stride, padding,
 * dilation and groups (conv's [Cout, Cin/g] layout is this op's [Cin, Cout/g]): the forward conv
 * kernel (implicit im2col into GEMM panels, or the depthwise window). Output padding only adds
 * rows no input reaches: conv's windows never start there.
 * Input [N, C, H, W], or one unbatched sample [C, H, W] as nn.ConvTranspose2d takes it: the batch
 * of one, answered without N (unbatched.ts; ONNX ConvTranspose takes N).
 */
import { z } from 'zod';
import { Pair, PaddingSchema, nonNegInt, pairOf, posInt, transposedGeometry } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { transposedRF } from './receptive-field.js';
import { NCHW_RANK, checkChannels, expectRank, weightAndBias } from './common.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { convTransposeForward } from './conv-transpose-kernel.js';
import { convForward } from './conv.js';
import { gradOrZeros } from './vjp-kernels.js';
import type { ConvTransposePlan } from './conv-transpose-kernel.js';
import { READS_SHAPES_ONLY } from './types.js';
import { ZerosPaddingOnly } from './conv-padding-mode.js';
import { outputSizeAttr, resolveTransposedPadding } from './conv-transpose-padding.js';
import type { Padding } from './geometry.js';
import { KERNEL_SCRATCH } from '../limits.js';
import { acceptUnbatched } from './unbatched.js';

export const ConvTransposeAttrs = z.strictObject({
  outChannels: posInt.describe('output channels'),
  inChannels: posInt.optional(),
  kernelSize: Pair.describe("the kernel's [height, width], or one number for both"),
  stride: Pair.default(1),
  padding: PaddingSchema.default(0).describe('integers, or "sameUpper" / "sameLower": ONNX ConvTranspose\'s auto_pad (output in·stride, or outputSize; conv-transpose-padding.ts)'),
  outputPadding: pairOf(nonNegInt).default(0),
  outputSize: outputSizeAttr(2),
  dilation: Pair.default(1),
  groups: posInt.default(1),
  bias: z.boolean().default(true),
  paddingMode: ZerosPaddingOnly,
});
export type ConvTransposeAttrs = z.infer<typeof ConvTransposeAttrs>;


/**
 * Output positions along one axis that receive at least one kernel tap, counted without touching
 * each position: tap t of input i lands on i·s + t·d − pb, so the taps with the same residue
 * r = t·d mod s cover runs [m, m + in − 1] of the progression r + m·s − pb, m = (t·d − r)/s.
 * Within a residue m grows with t, so its runs arrive sorted and merge in one pass: O(kernel)
 * time, O(min(kernel, s)) memory.
 */
export function coveredPositions(g: AxisGeometry): number {
  // per residue: the end of the runs merged so far
  const ends = new Map<number, number>();
  let covered = 0;
  for (let t = 0; t < g.kernel; t++) {
    const offset = t * g.dilation;
    const r = offset % g.stride;
    const first = (offset - r) / g.stride;
    // positions r + m·s − pb inside [0, out): m from ceil((pb − r)/s) to floor((out − 1 + pb − r)/s)
    const lo = Math.ceil((g.padBegin - r) / g.stride);
    const hi = Math.floor((g.out - 1 + g.padBegin - r) / g.stride);
    const end = ends.get(r) ?? -Infinity;
    const from = Math.max(first, lo, end + 1);
    const to = Math.min(first + g.in - 1, hi);
    if (to >= from) covered += to - from + 1;
    ends.set(r, Math.max(end, first + g.in - 1));
  }
  return covered;
}

// also one unbatched sample [C, H, W], as nn.ConvTranspose2d takes it: the batch of one (unbatched.ts)
export const convTranspose2d: OpDef<ConvTransposeAttrs, ConvTransposePlan> = acceptUnbatched({
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'convTranspose2d',
  windowedAxes: 2,
  summary: 'Transposed (fractionally strided) 2-D convolution for learned upsampling',
  pytorch: 'torch.nn.ConvTranspose2d',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  // the weight is [Cin, Cout/g, kh, kw]
  attrsFromWeights(weights, attrs) {
    const w = weights.weight;
    if (!w || w.length !== 4) return attrs;
    return { outChannels: w[1] * ((attrs.groups as number | undefined) ?? 1), kernelSize: [w[2], w[3]], bias: weights.bias !== undefined, ...attrs };
  },
  attrs: ConvTransposeAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
    const resolved = resolveTransposedPadding(ctx, [x[2], x[3]], { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding, outputPadding: a.outputPadding, outputSize: a.outputSize });
    const geo = transposedGeometry(ctx, [x[2], x[3]], {
      kernel: a.kernelSize,
      stride: a.stride,
      dilation: a.dilation,
      padding: resolved.padding as Padding,
      outputPadding: resolved.outputPadding,
    });
    const [n, cin, h, w] = x;
    const cout = a.outChannels;
    const macs = n * cin * h * w * (cout / a.groups) * geo[0].kernel * geo[1].kernel;
    const covered = n * cout * coveredPositions(geo[0]) * coveredPositions(geo[1]);
    const outPositions = n * cout * geo[0].out * geo[1].out;
    const weights = weightAndBias([cin, cout / a.groups, geo[0].kernel, geo[1].kernel], a.bias ? cout : null);
    // what convTransposeForward allocates besides its output, for its step (runtime/run-memory.ts asks
    // for it): the weight transposed per group, Cin × Cout/g·Kh·Kw, and the column matrix, that many
    // rows of H·W made a band of at most KERNEL_SCRATCH floats at a time (a 3×3 stride-1 layer's
    // columns are 9 × its output)
    const rows = (cout / a.groups) * geo[0].kernel * geo[1].kernel;
    const band = Math.max(1, Math.min(rows, Math.floor(KERNEL_SCRATCH / (h * w))));
    return {
      outputs: [[n, cout, geo[0].out, geo[1].out]],
      weights,
      cost: { macs, exactMacOps: 2 * macs - covered, biasOps: a.bias ? outPositions : 0, elementwise: 0 },
      plan: { n, cin, cout, groups: a.groups, geo },
      intermediates: [
        { shape: [cin, rows], what: 'the weight transposed per group' },
        { shape: [band, h * w], what: 'a band of the column matrix (col2im adds it into the output)', scratch: true },
      ],
    };
  },
  receptiveField: (ctx) => transposedRF(ctx.rf[0], ctx.plan.geo),
  run: (ctx) => [tensor(ctx.outputs[0], convTransposeForward(ctx.inputs[0].data, ctx.weights.weight.data, ctx.weights.bias?.data, ctx.plan))],
  vjp(ctx) {
    const p = ctx.plan;
    // the conv that maps y's size back to x's: in and out swapped, the same begin padding; the end
    // padding is whatever makes floor((in + pb + pe − k_eff)/s) + 1 = out (read only for 1×1 checks)
    const geo = p.geo.map((g) => ({ ...g, in: g.out, out: g.in, padEnd: (g.in - 1) * g.stride + g.effKernel - g.out - g.padBegin }));
    const gx = convForward(gradOrZeros(ctx), ctx.weights.weight.data, undefined, { n: p.n, cin: p.cout, cout: p.cin, groups: p.groups, geo });
    return [tensor(ctx.inputs[0].shape, gx)];
  },
}, 2, [0], 'ConvTranspose');

export { convTransposeForward };
export type { ConvTransposePlan };
