/**
 * conv2d: standard, grouped, depthwise (groups = in = out channels) and dilated convolution.
 * PyTorch: torch.nn.Conv2d / torch.nn.functional.conv2d (cross-correlation, no kernel flip);
 * mode "convolution" flips the kernel, as the mathematical convolution does. paddingMode reflect,
 * replicate, circular: the input padded in that mode, then the conv unpadded (conv-padding-mode.ts).
 *
 *   y[n, co, i, j] = b[co] + Σ_{ci ∈ group(co)} Σ_{u,v} w[co, ci, u, v] · x[n, ci, i·s − pt + u·d, j·s − pl + v·d]
 *   params = Cout·(Cin/g)·Kh·Kw (+ Cout bias)
 *   MACs   = N·Cout·H'·W'·(Cin/g)·Kh·Kw                 (domain.md; torchvision, fvcore)
 *   exact  = (2·(Cin/g)·Kh·Kw − 1)·N·Cout·H'·W'         (the notes' multiply+add count)
 * Kernel: per group, the im2col columns are written straight into the GEMM's packed panels
 * (tensor/gemm.ts, a WebAssembly SIMD micro-kernel); depthwise runs a direct sliding window; a
 * stride-1 3×3 conv with enough channels and positions runs Winograd F(2×2, 3×3) (conv-winograd.ts).
 *
 * Input gradient (vjp, weights constant): ∂L/∂x = convTranspose2d(∂L/∂y) with the same weight,
 *   gx[n, ci, i, j] = Σ_{co ∈ group(ci)} Σ_{u,v} w[co, ci, u, v] · gy[n, co, (i + pt − u·d)/s, (j + pl − v·d)/s]
 * (terms whose index is fractional or outside [0, H') vanish; rows the forward dropped get 0).
 * Stride 1: the same sum is a conv2d of gy by the kernels flipped and transposed per group
 * (w'[ci, co] = w[co, ci] reversed) with padding d·(k − 1) − pt, so it runs through the fast
 * forward path above (implicit im2col into GEMM panels, or the depthwise window). Strided: the
 * transposed-convolution kernel (a GEMM, then col2im: conv-transpose-kernel.ts).
 *
 * Input [N, C, H, W], or one unbatched sample [C, H, W] as nn.Conv2d takes it (torch ≥ 1.11): the
 * batch of one in the same memory, answered [Cout, H', W'] (unbatched.ts; ONNX Conv takes N).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { Pair, PaddingSchema, posInt, spatialOut, windowGeometry } from './geometry.js';
import type { AxisGeometry, ConvSizes } from './geometry.js';
import { windowRF } from './receptive-field.js';
import { NCHW_RANK, checkChannels, expectRank, weightAndBias } from './common.js';
import { addBias, flipKernels, scaledWeight, transposeUnits } from './kernels.js';
import type { InferContext, Inferred, Intermediate, OpDef, RunContext, Shape, WeightSpec } from './types.js';
import { convTransposeForward } from './conv-transpose-kernel.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import { depthwiseRows } from './depthwise.js';
import { depthwise, depthwiseInputGradient } from './depthwise-scalar.js';
import { winogradApplies, winogradRows } from './conv-winograd.js';
import { directRows, directWhereNotFinite } from './conv-direct.js';
import type { KeptKernels } from './conv-winograd.js';
import { READS_SHAPES_ONLY } from './types.js';
import { acceptUnbatched } from './unbatched.js';
import { PaddingMode, padGradientIntermediate, padInput, padIntermediate, padStage, padStageRF, unpadGradient } from './conv-padding-mode.js';
import type { PadStage } from './conv-padding-mode.js';

export const ConvAttrs = z.strictObject({
  outChannels: posInt.describe('number of kernels: the output channels'),
  inChannels: posInt.optional(),
  kernelSize: Pair.describe("the kernel's [height, width], or one number for both"),
  stride: Pair.default(1),
  padding: PaddingSchema.default(0),
  dilation: Pair.default(1),
  groups: posInt.default(1),
  bias: z.boolean().default(true),
  mode: z.enum(['crossCorrelation', 'convolution']).default('crossCorrelation'),
  paddingMode: PaddingMode,
});
export type ConvAttrs = z.infer<typeof ConvAttrs>;

export interface ConvPlan extends ConvSizes {
  /** paddingMode other than zeros: the pad before the window (geo is then over the padded input, padding 0). */
  pad?: PadStage;
}

type ConvLike = Pick<ConvAttrs, 'outChannels' | 'inChannels' | 'kernelSize' | 'stride' | 'padding' | 'dilation' | 'groups'>;

/** Validates and resolves everything a conv-shaped layer needs; shared with deformConv2d. */
export function convPlan(ctx: InferContext<ConvLike>): ConvPlan {
  const x = expectRank(ctx, 0, NCHW_RANK);
  const a = ctx.attrs;
  checkChannels(ctx, x, a.inChannels, 'inChannels', a.groups, a.outChannels);
  const geo = windowGeometry(ctx, [x[2], x[3]], { kernel: a.kernelSize, stride: a.stride, dilation: a.dilation, padding: a.padding });
  return { n: x[0], cin: x[1], cout: a.outChannels, groups: a.groups, geo };
}

/** outChannels and kernelSize from a [Cout, Cin/g, kh, kw] weight; bias from whether one is given. */
export function convAttrsFromWeights(weights: Record<string, Shape>, attrs: Record<string, unknown>): Record<string, unknown> {
  const w = weights.weight;
  if (!w || w.length !== 4) return attrs;
  return { outChannels: w[0], kernelSize: [w[2], w[3]], bias: weights.bias !== undefined, ...attrs };
}

export function convWeights(cout: number, cinPerGroup: number, geo: AxisGeometry[], bias: boolean): WeightSpec[] {
  return weightAndBias([cout, cinPerGroup, geo[0].kernel, geo[1].kernel], bias ? cout : null);
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

/** The kernels the window reads: flipped for mode "convolution" (a true convolution). */
const convWeight = (ctx: RunContext<ConvAttrs, ConvPlan>): Float32Array => {
  const w = ctx.weights.weight.data;
  return ctx.attrs.mode === 'convolution' ? flipKernels(w, ctx.plan.geo[0].kernel, ctx.plan.geo[1].kernel) : w;
};

/** The input the window reads: padded in paddingMode first when the conv has a pad stage. */
const convInput = (ctx: RunContext<ConvAttrs, ConvPlan>): Tensor => (ctx.plan.pad ? padInput(ctx.inputs[0], ctx.plan.pad) : ctx.inputs[0]);

// also one unbatched sample [C, H, W], as nn.Conv2d takes it: the batch of one (unbatched.ts)
export const conv2d: OpDef<ConvAttrs, ConvPlan> = acceptUnbatched({
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'conv2d',
  windowedAxes: 2,
  summary: 'Standard, grouped, depthwise and dilated 2-D convolution (cross-correlation; mode "convolution" flips the kernel)',
  pytorch: 'torch.nn.Conv2d',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  foldsBatchNormIntoWeights: true, // weight [Cout, …], bias [Cout]: a following inference BN folds in (runtime/fuse.ts)
  scalesWeightOnRead: true, // its factors applied as the GEMM packs the weight (convRows' scale)
  attrsFromWeights: convAttrsFromWeights,
  attrs: ConvAttrs,
  infer(ctx) {
    const p = convPlan(ctx);
    const { stage, geo } = padStage(ctx, ctx.inputs[0], p.geo, ctx.attrs.paddingMode);
    const plan = stage ? { ...p, geo, pad: stage } : p;
    const vjpIntermediates = convVjpIntermediates(plan, ctx.attrs.mode);
    if (!stage) return { ...convInferred(plan, ctx.attrs.bias), vjpIntermediates };
    return { ...convInferred(plan, ctx.attrs.bias), intermediates: [padIntermediate(stage)], vjpIntermediates };
  },
  receptiveField: (ctx) => (ctx.plan.pad ? windowRF(padStageRF(ctx, ctx.plan.pad), ctx.plan.geo) : windowRF(ctx.rf[0], ctx.plan.geo)),
  // bands of output rows or channels, each convRows on its part of the input: the padded input of a
  // pad stage and the flipped kernels of mode "convolution", made as run makes them (the same bits)
  teamBands: (ctx) => ({
    kind: 'conv',
    plan: ctx.plan,
    ...(ctx.plan.pad && { input: () => convInput(ctx).data }),
    ...(ctx.attrs.mode === 'convolution' && { weight: () => convWeight(ctx) }),
  }),
  run(ctx) {
    return [tensor(ctx.outputs[0], convForward(convInput(ctx).data, convWeight(ctx), ctx.weights.bias?.data, ctx.plan, ctx.weightScale))];
  },
  vjp(ctx) {
    const w = ctx.weights.weight.data;
    const weight = ctx.attrs.mode === 'convolution' ? flipKernels(w, ctx.plan.geo[0].kernel, ctx.plan.geo[1].kernel) : w;
    const gy = ctx.gradOutputs[0];
    const pad = ctx.plan.pad;
    const shape = pad ? pad.shape : ctx.inputs[0].shape;
    const gx = tensor(shape, gy ? convInputGradient(gy.data, weight, ctx.plan) : new Float32Array(shape.reduce((a, b) => a * b, 1)));
    return [pad ? unpadGradient(ctx, pad, gx) : gx];
  },
}, 2, [0], 'Conv');

/** Padding a stride-1 input gradient runs as a conv of gy: d·(k − 1), the whole kernel's reach. */
const fullPad = (g: AxisGeometry) => g.dilation * (g.kernel - 1);

/**
 * Which kernel convInputGradient runs for this plan: a stride-1 conv with begin padding within
 * d·(k − 1) runs the forward conv of gy by the flipped, transposed kernels ('flipped'); otherwise a
 * depthwise conv scatters directly ('depthwise') and any other runs the transposed convolution
 * ('transposed', conv-transpose-kernel.ts: a GEMM by the weight transposed, then col2im).
 */
export function inputGradientPath(p: ConvPlan): 'flipped' | 'depthwise' | 'transposed' {
  const [gh, gw] = p.geo;
  if (gh.stride === 1 && gw.stride === 1 && gh.padBegin <= fullPad(gh) && gw.padBegin <= fullPad(gw)) return 'flipped';
  // depthwise: a direct scatter (the transposed kernel would run a 1-deep GEMM per channel)
  return p.cin === p.groups && p.groups > 1 ? 'depthwise' : 'transposed';
}

/**
 * What the VJP allocates besides ∂x (OpInferred.vjpIntermediates), from the plan it reads: mode
 * "convolution"'s flipped kernels, the weight's copy its kernel takes (w' of the stride-1 conv, or
 * the per-group transpose of convTransposeForward; the depthwise scatter takes none), and with a
 * paddingMode the gradient over the padded input. Not counted: convTransposeForward's columns, a
 * band of at most KERNEL_SCRATCH floats, and the GEMM's packing in WebAssembly memory.
 */
export function convVjpIntermediates(p: ConvPlan, mode: ConvAttrs['mode']): Intermediate[] {
  const w = [p.cout, p.cin / p.groups, p.geo[0].kernel, p.geo[1].kernel];
  const path = inputGradientPath(p);
  return [
    ...(mode === 'convolution' ? [{ shape: w, what: `its kernels flipped for mode convolution (${fmtShape(w)})` }] : []),
    ...(path === 'flipped' ? [{ shape: w, what: `its kernels flipped and transposed per group, the input gradient's stride-1 conv (${fmtShape(w)})` }] : []),
    ...(path === 'transposed' ? [{ shape: w, what: `its weight transposed per group for the input gradient's transposed convolution (${fmtShape(w)})` }] : []),
    ...(p.pad ? [padGradientIntermediate(p.pad)] : []),
  ];
}

/**
 * ∂L/∂x of a convolution by weight [Cout, Cin/g, Kh, Kw] (see the header). Stride 1 with padding
 * at most d·(k − 1) per side: conv2d of gy by w' [Cin, Cout/g, Kh, Kw], w'[g·Cin/g + ci, co] =
 * w[g·Cout/g + co, ci] flipped, padding d·(k − 1) − pt before (the end is bounded by the input).
 * Otherwise: the transposed convolution of gy by w itself (its [in, out/g] layout is conv's
 * [Cout, Cin/g]), whose output is the forward's input size, so dropped rows stay 0.
 */
export function convInputGradient(gy: Float32Array, weight: Float32Array, p: ConvPlan): Float32Array {
  const swapped = p.geo.map((g) => ({ ...g, in: g.out, out: g.in }));
  const path = inputGradientPath(p);
  if (path === 'depthwise') return depthwiseInputGradient(gy, weight, p);
  if (path === 'transposed') return convTransposeForward(gy, weight, undefined, { n: p.n, cin: p.cout, cout: p.cin, groups: p.groups, geo: swapped });
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const taps = p.geo[0].kernel * p.geo[1].kernel;
  // w' [Cin, Cout/g, Kh, Kw]: per group the [co, ci] blocks transposed, each kernel reversed
  const wT = new Float32Array(weight.length);
  for (let g = 0; g < p.groups; g++) transposeUnits(weight, g * coutG * cinG * taps, coutG, cinG, taps, wT, g * coutG * cinG * taps, true);
  const geo = swapped.map((g) => {
    const padBegin = fullPad(g) - g.padBegin;
    return { ...g, padBegin, padEnd: g.out - 1 + fullPad(g) - padBegin - (g.in - 1) };
  });
  return convForward(gy, wT, undefined, { n: p.n, cin: p.cout, cout: p.cin, groups: p.groups, geo });
}

/** Convolution of x by weight [Cout, Cin/g, Kh, Kw] with a resolved plan. */
export function convForward(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvPlan, scale?: Float64Array): Float32Array {
  // cleared, though the GEMM paths set every output: an uncleared output (tensor.ts uncleared) made a
  // one-thread MobileNetV2 forward's peak RSS about 1.8 MiB higher on average (bench memory's child:
  // 1.47–1.58× weights and activations in six runs against 1.40–1.48 in sixteen; issue 12's limit 1.5)
  const out = new Float32Array(p.n * p.cout * p.geo[0].out * p.geo[1].out);
  convRows(x, weight, bias, p, 0, p.geo[0].out, out, undefined, scale);
  return out;
}

/**
 * Whether convRows sets every output of its rows whatever `out` held there: the GEMM paths store
 * their sums (accumulate off; a depth-tiled GEMM's first tile stores), the bias added after; the
 * depthwise SIMD kernel (horizontal strides 1 and 2) stores too, but the depthwise scalar loop adds
 * its taps into `out`, so for depthwise convs a reused buffer is cleared (this says false for all).
 */
export function convRowsOverwrites(p: ConvPlan): boolean {
  return !(p.cin / p.groups === 1 && p.groups > 1);
}

/**
 * Output rows [from, to) of the convolution, written into `out` (the whole output; those rows zero
 * unless convRowsOverwrites): a worker and its partner threads share one input and one output and
 * each computes a band (runtime/team-protocol.ts); `kept`: the job's kernels transformed for
 * Winograd, kept from band to band (ops/conv-winograd.ts KeptKernels); `scale`: a factor per output
 * channel applied to the weight as it is read (RunContext.weightScale), as the GEMM packs it or the
 * Winograd transform stages it (the same values as a folded copy of the weight, without the copy).
 */
export function convRows(x: Float32Array, weight: Float32Array, bias: Float32Array | undefined, p: ConvPlan, from: number, to: number, out: Float32Array, kept?: KeptKernels, scale?: Float64Array): void {
  const cinG = p.cin / p.groups;
  let biasAdded = false;
  if (cinG === 1 && p.groups > 1) {
    // a depthwise weight is small: scaled into a copy
    if (scale) weight = scaledWeight(weight, scale);
    // the SIMD kernel (ops/depthwise.ts) covers horizontal strides 1 and 2 and adds the bias itself; the scalar loop the rest
    if (depthwiseRows(x, weight, out, p, from, to, bias)) return;
    depthwise(x, weight, out, p, from, to);
  } else if (winogradApplies(cinG, p.geo)) {
    // a stride-1 3×3 conv: Winograd F(2×2, 3×3), 2.25× fewer multiply-adds (ops/conv-winograd.ts), the bias added in its output transform
    const notFinite = winogradRows(x, weight, bias, p, from, to, out, undefined, kept, scale);
    // tile rows with an output not finite: the direct sum's ±∞ where Winograd's transforms made ∞ − ∞ (ops/conv-direct.ts)
    if (notFinite) directWhereNotFinite(x, weight, bias, p, from, to, out, notFinite, scale);
    biasAdded = true;
  } else if (directRows(x, weight, bias, p, from, to, out, undefined, scale)) biasAdded = true;
  const OW = p.geo[1].out;
  if (!biasAdded) addBias(out, bias, p.n, p.cout, p.geo[0].out * OW, from * OW, to * OW);
}
