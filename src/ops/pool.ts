/**
 * Pooling: max, average, global average, adaptive average, and max unpooling.
 * PyTorch: torch.nn.MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (global = output 1×1), MaxUnpool2d.
 *
 *   maxPool2d     H' as conv (ceilMode: the last window must start inside input or left padding);
 *                 (Kh·Kw − 1) comparisons per output; returnIndices: each maximum's flat offset in
 *                 its (n, c) plane (PyTorch), or with indicesOver 'tensor' in the whole input,
 *                 offset + (n·C + c)·H·W (ONNX MaxPool's Indices)
 *   avgPool2d     Kh·Kw FLOPs per output: Kh·Kw − 1 additions and one division
 * maxPool2d (values) and avgPool2d run in WebAssembly SIMD for dilation 1, strides 1 and 2
 * (pool-simd.ts; the JS loops' bits, a NaN's payload aside), else in JS.
 *   adaptive      window i spans [floor(i·H/H'), ceil((i+1)·H/H')) (adaptive-windows.ts); (window − 1) adds + 1 divide;
 *                 outputSize [h, w] or one number, an entry null keeping that axis's input size (PyTorch's None)
 *   maxUnpool2d   H' = (H − 1)·s − pt − pb + k (PyTorch's padding p both sides, (H − 1)·s − 2p + k; or [t, l, b, r], ONNX's
 *                 pads apart), or outputSize: [h, w], or 4 sizes as PyTorch's x.size(), the last two read; a scatter, no arithmetic;
 *                 indicesOver and the output-size input as maxUnpool1d/3d's (pool-unpool-nd.ts)
 * Receptive field: max and average pooling a window; one window over the whole map (nn.AvgPool2d(7) on
 * a 7×7 map, a fixed-size export of AdaptiveMaxPool2d(1)) is global pooling: global, as globalAvgPool2d's.
 * Vector-Jacobian products: pool-vjp.ts. Each op also takes one unbatched [C, H, W] sample, as PyTorch's
 * modules (unbatched.ts); globalAvgPool2d in a JSON spec only (an imported ONNX GlobalAveragePool
 * reads a 3-D input as N, C, L).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { MAX_DIM, Pair, PaddingSchema, checkPoolPadding, pair, posInt, windowGeometry } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import { adaptiveAxes, adaptiveOutputSize, fixesSize, windowEnd, windowLengthSum, windowStart } from './adaptive-windows.js';
import type { AdaptiveAxis } from './adaptive-windows.js';
import { adaptiveRF, globalOver, poolWindowRF, transposedRF } from './receptive-field.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { adaptiveAvgPoolGrad, argmaxAgain, avgPoolGrad, globalAvgPoolGrad, maxPoolGrad } from './pool-vjp.js';
import { UnpoolIndicesOver, unpoolGeometry, unpoolGrad, unpoolPadding, unpoolPads, unpoolScatter, wantedOutputSize } from './pool-unpool-nd.js';
import { gradOrZeros } from './vjp-kernels.js';
import { READS_SHAPES_ONLY } from './types.js';
import { avgDivisors, avgPoolPlanes, indicesOverTensor, maxPoolArgmaxAgain, maxPoolForward, maxPoolValues, planeMeans, refuseInexactIndices } from './pool-kernels.js';
import { poolSimdFits } from './pool-simd.js';
import { acceptUnbatched } from './unbatched.js';

/**
 * MAX_RUN_WORK's work (Inferred.kernelWork) of a window loop in JavaScript, where the SIMD kernel
 * does not take the geometry (dilation over 1, a stride over 2, maxPool2d's indices) or has none
 * (1-D, 3-D, adaptive): `perTap` GEMM-equivalent units a window tap and `perOutput` an output,
 *   outputs · (perTap · taps + perOutput)
 * where the cost counts 1 a tap. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared), against
 * the 3×3 conv's 0.34 ns a MAC: maxPool2d 31×31 dilation 2 4.9 ns a tap (14.6× its cost's rate),
 * 3×3 dilation 2 137 ns an output (45×), 3×3 stride 2 with indices 184 ns an output (57×).
 * The slow loops' rates here and in the other ops' files are in units of about 0.3 ns, the conv's
 * rate in that run and under load; quiet, after more warm-ups, it ran at 0.084 ns a MAC. At 0.3 ns
 * MAX_RUN_WORK's 10^11 is about 30 s of a slow loop: over the 10 s a run never refused took, under
 * the 120 s TASK_TIMEOUT.
 */
export function poolLoopWork(outputs: number, taps: number, perTap: number, perOutput: number): number {
  return outputs * (perTap * taps + perOutput);
}
/** maxPoolPlanesJs, avgPoolPlanesJs, maxPoolForward: 15 units a tap, 300 an output (poolLoopWork). */
const JS_TAP = 15;
const JS_OUTPUT = 300;
/**
 * Adaptive pooling (avg here, max in pool-adaptive-max.ts, 1-D and 3-D in pool-nd.ts): 3 units a
 * tap, 350 an output; bench/op-rates.ts (as above): adaptiveAvgPool2d 56→55 120 ns an output (72×
 * its cost's rate), 56→7 104 ns; adaptiveMaxPool2d 56→55 130 ns (97×), 56→7 192 ns.
 */
export const ADAPTIVE_TAP = 3;
export const ADAPTIVE_OUTPUT = 350;

export { maxPoolForward } from './pool-kernels.js';

const PoolBase = {
  kernelSize: Pair.describe("the window's [height, width], or one number for both"),
  /** PyTorch's default stride is the kernel size. */
  stride: Pair.optional(),
  padding: PaddingSchema.default(0),
  ceilMode: z.boolean().default(false),
};

export const MaxPoolAttrs = z.strictObject({
  ...PoolBase,
  dilation: Pair.default(1),
  returnIndices: z.boolean().default(false),
  indicesOver: z
    .enum(['plane', 'tensor'])
    .default('plane')
    .describe("what returnIndices' flat offsets count over: 'plane', each (n, c) plane, as PyTorch (what maxUnpool2d reads); 'tensor', the whole N·C·H·W input, as ONNX MaxPool's Indices (the ONNX importer sets it)"),
});
export type MaxPoolAttrs = z.infer<typeof MaxPoolAttrs>;
/** PyTorch refuses only 0 ("divisor must be not zero"): a negative divisor divides like any other (avg_pool2d/3d). */
export const DivisorOverride = z.number().int().min(-MAX_DIM).max(MAX_DIM).refine((d) => d !== 0, 'divisorOverride must not be 0 (PyTorch: "divisor must be not zero")');
export const AvgPoolAttrs = z.strictObject({ ...PoolBase, countIncludePad: z.boolean().default(true), divisorOverride: DivisorOverride.optional() });
export type AvgPoolAttrs = z.infer<typeof AvgPoolAttrs>;

export interface PoolPlan {
  geo: AxisGeometry[];
}

function poolGeometry<A extends { kernelSize: number | number[]; stride?: number | number[]; padding: z.infer<typeof PaddingSchema>; ceilMode: boolean; dilation?: number | number[] }>(
  ctx: InferContext<A>,
): { x: Shape; geo: AxisGeometry[] } {
  const x = expectRank(ctx, 0, NCHW_RANK);
  const a = ctx.attrs;
  if (a.padding === 'same') ctx.fail('INVALID_ATTRIBUTE', `pooling takes integer padding, not "same"`, 'padding');
  const geo = windowGeometry(ctx, [x[2], x[3]], {
    kernel: a.kernelSize,
    stride: a.stride ?? a.kernelSize,
    dilation: a.dilation ?? 1,
    padding: a.padding,
    ceilMode: a.ceilMode,
  });
  checkPoolPadding(ctx, geo, a.padding);
  return { x, geo };
}

/** Whether the forward's second output is the per-plane argmax the VJP reads. */
const planeIndices = (a: MaxPoolAttrs): boolean => a.returnIndices && a.indicesOver === 'plane';

export const maxPool2d: OpDef<MaxPoolAttrs, PoolPlan> = acceptUnbatched({
  name: 'maxPool2d',
  windowedAxes: 2,
  summary: 'Max pooling (optional dilation, ceil mode, and indices for maxUnpool2d)',
  pytorch: 'torch.nn.MaxPool2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: MaxPoolAttrs,
  outputCount: (a) => (a.returnIndices ? 2 : 1),
  infer(ctx) {
    const { x, geo } = poolGeometry(ctx);
    const out = [x[0], x[1], geo[0].out, geo[1].out];
    return {
      outputs: ctx.attrs.returnIndices ? [out, out] : [out],
      weights: [],
      cost: { ...ZERO_COST, elementwise: numel(out) * (geo[0].kernel * geo[1].kernel - 1) },
      ...(ctx.attrs.returnIndices || !poolSimdFits(geo) ? { kernelWork: poolLoopWork(numel(out), geo[0].kernel * geo[1].kernel, JS_TAP, JS_OUTPUT) } : {}),
      plan: { geo },
      // without its plane indices output the VJP finds the argmax again: maxPoolForward's values and indices
      vjpIntermediates: planeIndices(ctx.attrs) ? [] : argmaxAgain(out),
    };
  },
  receptiveField: (ctx) => poolWindowRF(ctx.rf[0], ctx.plan.geo),
  // the values alone (no indices), by planes: pool-kernels.ts maxPoolPlanes
  teamBands(ctx) {
    const x = ctx.inputs[0];
    if (ctx.attrs.returnIndices || x.shape.length !== 4) return null;
    const [n, c, H, W] = x.shape;
    return { kind: 'maxPool', planes: n * c, H, W, geo: ctx.plan.geo };
  },
  run(ctx) {
    if (!ctx.attrs.returnIndices) return [maxPoolValues(ctx.inputs[0], ctx.plan.geo)];
    const x = ctx.inputs[0];
    const tensorWide = ctx.attrs.indicesOver === 'tensor';
    refuseInexactIndices(tensorWide ? x.shape : x.shape.slice(2), '$.returnIndices', 'maxPool2d returnIndices', tensorWide ? 'tensor' : 'plane');
    const [values, indices] = maxPoolForward(x, ctx.plan.geo);
    if (tensorWide) indicesOverTensor(indices.data, x.shape[0] * x.shape[1], numel(values.shape.slice(2)), numel(x.shape.slice(2)));
    return [values, indices];
  },
  vjp(ctx) {
    const x = ctx.inputs[0];
    // the argmax the forward chose (its second output when it counts within planes, or found again the same way)
    const [n, c, H, W] = x.shape;
    const indices = planeIndices(ctx.attrs) ? ctx.forward[1].data : maxPoolArgmaxAgain(x, ctx.plan.geo);
    return [tensor(x.shape, maxPoolGrad(gradOrZeros(ctx), indices, n * c, H * W))];
  },
}, 2);


export const avgPool2d: OpDef<AvgPoolAttrs, PoolPlan> = acceptUnbatched({
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'avgPool2d',
  windowedAxes: 2,
  summary: 'Average pooling (ceil mode, countIncludePad)',
  pytorch: 'torch.nn.AvgPool2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: AvgPoolAttrs,
  infer(ctx) {
    const { x, geo } = poolGeometry(ctx);
    const out = [x[0], x[1], geo[0].out, geo[1].out];
    return {
      outputs: [out],
      weights: [],
      cost: { ...ZERO_COST, elementwise: numel(out) * geo[0].kernel * geo[1].kernel },
      ...(poolSimdFits(geo) ? {} : { kernelWork: poolLoopWork(numel(out), geo[0].kernel * geo[1].kernel, JS_TAP, JS_OUTPUT) }),
      plan: { geo },
    };
  },
  receptiveField: (ctx) => poolWindowRF(ctx.rf[0], ctx.plan.geo),
  run(ctx) {
    // PyTorch avg_pool2d: the window clipped to the padded input for the divisor, to the input for the sum (pool-kernels.ts)
    const x = ctx.inputs[0];
    const [n, c, H, W] = x.shape;
    const geo = ctx.plan.geo;
    const out = new Float32Array(n * c * geo[0].out * geo[1].out);
    avgPoolPlanes(x.data, H, W, geo, avgDivisors(geo, ctx.attrs.countIncludePad, ctx.attrs.divisorOverride), out, 0, n * c);
    return [tensor([n, c, geo[0].out, geo[1].out], out)];
  },
  vjp: (ctx) => [
    tensor(ctx.inputs[0].shape, avgPoolGrad(gradOrZeros(ctx), ctx.inputs[0].shape, ctx.plan.geo, ctx.attrs.countIncludePad, ctx.attrs.divisorOverride)),
  ],
}, 2);

export const GlobalPoolAttrs = z.strictObject({});

/**
 * MAX_RUN_WORK units a run of globalAvgPool2d takes an input element (Inferred.runWork): planeMeans
 * ran at 1.1 ns an element over [1, 256, 56, 56] at load 4–8 (1.3 at load 12–16) where it was
 * counted 1 a FLOP (bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC); units of about 0.3 ns.
 */
export const GLOBAL_POOL_ELEMENT = 5;

/** Whether globalAvgPool2d reads its 3-D input as one unbatched [C, H, W] (a JSON spec's) rather than N, C, … */
export interface GlobalPoolPlan {
  unbatched: boolean;
}

/** The planes globalAvgPool2d averages, each to one value: N·C of the spatial size, or an unbatched [C, H, W]'s C of H·W. */
function meanPlanes(x: readonly number[], plan: GlobalPoolPlan): { planes: number; plane: number } {
  const lead = plan.unbatched ? 1 : 2;
  return { planes: numel(x.slice(0, lead)), plane: numel(x.slice(lead)) };
}

/**
 * As nn.AdaptiveAvgPool2d(1) in a JSON spec, which takes a 3-D input as one unbatched [C, H, W]
 * sample ([C, 1, 1]); as ONNX GlobalAveragePool in an imported graph, which reads it as N, C, L
 * ([N, C, 1]). 4-D is N, C, H, W in both; 5-D and up N, C, … (ONNX's; nn.AdaptiveAvgPool2d refuses it).
 */
export const globalAvgPool2d: OpDef<Record<string, never>, GlobalPoolPlan> = {
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'globalAvgPool2d',
  summary: 'Global average pooling over every spatial axis: (N, C, H, W) → (N, C, 1, 1); an unbatched (C, H, W) → (C, 1, 1), as nn.AdaptiveAvgPool2d(1); (N, C, D, H, W) → (N, C, 1, 1, 1), and an imported ONNX GlobalAveragePool\'s (N, C, L) → (N, C, 1)',
  pytorch: 'torch.nn.AdaptiveAvgPool2d(1)',
  inputNames: ['x'],
  minInputs: 1,
  attrs: GlobalPoolAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 3) ctx.fail('RANK_MISMATCH', `input 0 must have a channel and at least one spatial axis (N, C, …; or one unbatched (C, H, W)), got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
    const unbatched = x.length === 3 && !ctx.fromOnnx;
    const lead = unbatched ? 1 : 2;
    const out = [...x.slice(0, lead), ...x.slice(lead).map(() => 1)];
    return {
      outputs: [out],
      weights: [],
      cost: { ...ZERO_COST, elementwise: numel(x) },
      runWork: GLOBAL_POOL_ELEMENT * numel(x),
      plan: { unbatched },
      fixedSize: true,
      ...(unbatched ? { unbatched: 2 } : {}),
    };
  },
  // the field turns global over every spatial axis (1-D, 2-D and 3-D maps alike; an unbatched image's H and W)
  receptiveField: (ctx) => globalOver(ctx.rf[0], ctx.inputs[0]),
  teamBands: (ctx) => ({ kind: 'planeMean', ...meanPlanes(ctx.inputs[0].shape, ctx.plan) }),
  run(ctx) {
    const { planes, plane } = meanPlanes(ctx.inputs[0].shape, ctx.plan);
    const out = new Float32Array(planes);
    planeMeans(ctx.inputs[0].data, plane, out, 0, planes);
    return [tensor(ctx.outputs[0], out)];
  },
  vjp: (ctx) => [tensor(ctx.inputs[0].shape, globalAvgPoolGrad(gradOrZeros(ctx), meanPlanes(ctx.inputs[0].shape, ctx.plan).plane))],
};

export const AdaptiveAvgPoolAttrs = z.strictObject({ outputSize: adaptiveOutputSize(2) });
export type AdaptiveAvgPoolAttrs = z.infer<typeof AdaptiveAvgPoolAttrs>;

export interface AdaptivePlan {
  axes: AdaptiveAxis[]; // (in, out) per spatial axis: windows are computed where they are read (adaptive-windows.ts)
}

export const adaptiveAvgPool2d: OpDef<AdaptiveAvgPoolAttrs, AdaptivePlan> = acceptUnbatched({
  vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
  name: 'adaptiveAvgPool2d',
  windowedAxes: 2, // its windows slide over H and W (analysis/input-layout.ts)
  summary: 'Adaptive average pooling to a fixed output size',
  pytorch: 'torch.nn.AdaptiveAvgPool2d',
  inputNames: ['x'],
  minInputs: 1,
  attrs: AdaptiveAvgPoolAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const axes = adaptiveAxes(x, ctx.attrs.outputSize);
    const taps = x[0] * x[1] * windowLengthSum(axes[0]) * windowLengthSum(axes[1]);
    return {
      outputs: [[x[0], x[1], axes[0].out, axes[1].out]],
      weights: [],
      cost: { ...ZERO_COST, elementwise: taps },
      kernelWork: ADAPTIVE_TAP * taps + ADAPTIVE_OUTPUT * x[0] * x[1] * axes[0].out * axes[1].out,
      plan: { axes },
      fixedSize: fixesSize(ctx.attrs.outputSize),
    };
  },
  receptiveField: (ctx) => adaptiveRF(ctx.rf[0], ctx.plan.axes, ctx.inputs[0]),
  run(ctx) {
    const x = ctx.inputs[0];
    const [n, c, H, W] = x.shape;
    const [{ out: OH }, { out: OW }] = ctx.plan.axes;
    const out = new Float32Array(n * c * OH * OW);
    for (let p = 0; p < n * c; p++) {
      const xp = p * H * W;
      for (let oy = 0; oy < OH; oy++) {
        const h0 = windowStart(oy, H, OH);
        const h1 = windowEnd(oy, H, OH);
        for (let ox = 0; ox < OW; ox++) {
          const w0 = windowStart(ox, W, OW);
          const w1 = windowEnd(ox, W, OW);
          let sum = 0;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) sum += x.data[xp + h * W + w];
          out[(p * OH + oy) * OW + ox] = sum / ((h1 - h0) * (w1 - w0));
        }
      }
    }
    return [tensor([n, c, OH, OW], out)];
  },
  vjp: (ctx) => [tensor(ctx.inputs[0].shape, adaptiveAvgPoolGrad(gradOrZeros(ctx), ctx.inputs[0].shape, ctx.plan.axes))],
}, 2);

export const MaxUnpoolAttrs = z.strictObject({ kernelSize: Pair, stride: Pair.optional(), padding: unpoolPadding(2), indicesOver: UnpoolIndicesOver, outputSize: z
    .union([Pair, z.tuple([posInt, posInt, posInt, posInt])])
    .optional()
    .describe("the output's [height, width]; or 4 sizes, of which the last two are read, as PyTorch takes output_size=input.size() (N and C ignored: it slices [2:])") });
/** outputSize's [height, width]: PyTorch's _unpool_output_size reads the last two of 4 entries. */
const unpoolSize = (size: number | readonly number[]): [number, number] => pair(typeof size === 'number' || size.length !== 4 ? size : size.slice(2));
export type MaxUnpoolAttrs = z.infer<typeof MaxUnpoolAttrs>;

export const maxUnpool2d: OpDef<MaxUnpoolAttrs, PoolPlan> = acceptUnbatched({
  name: 'maxUnpool2d',
  windowedAxes: 2,
  summary: 'Max unpooling: values back at the argmax positions of a maxPool2d (inputs [x, "pool:1"]), zeros elsewhere',
  pytorch: 'torch.nn.MaxUnpool2d',
  inputNames: ['x', 'indices', 'outputSize'],
  minInputs: 2,
  attrs: MaxUnpoolAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const idx = ctx.inputs[1];
    if (idx.length !== 4 || idx.some((d, i) => d !== x[i])) {
      ctx.fail('SHAPE_MISMATCH', `indices ${fmtShape(idx)} must have the shape of x ${fmtShape(x)}`, 'inputs', { shapes: { x, indices: idx } });
    }
    const k = pair(ctx.attrs.kernelSize);
    const s = pair(ctx.attrs.stride ?? ctx.attrs.kernelSize);
    const wanted = wantedOutputSize(ctx);
    const geo = unpoolGeometry(ctx, x, k, s, unpoolPads(ctx.attrs.padding, 2), wanted === undefined ? undefined : unpoolSize(wanted), false);
    return { outputs: [[x[0], x[1], geo[0].out, geo[1].out]], weights: [], cost: ZERO_COST, plan: { geo } };
  },
  receptiveField: (ctx) => transposedRF(ctx.rf[0], ctx.plan.geo),
  run(ctx) {
    const [x, indices] = ctx.inputs;
    const [n, c] = x.shape;
    const [OH, OW] = [ctx.plan.geo[0].out, ctx.plan.geo[1].out];
    const out = unpoolScatter(x, indices, [OH, OW], ctx.attrs.indicesOver, 'maxUnpool2d');
    return [tensor([n, c, OH, OW], out)];
  },
  vjp(ctx) {
    const [x, indices] = ctx.inputs;
    return [tensor(x.shape, unpoolGrad(gradOrZeros(ctx), x, indices, [ctx.plan.geo[0].out, ctx.plan.geo[1].out], ctx.attrs.indicesOver)), null];
  },
}, 2, [0, 1]);
