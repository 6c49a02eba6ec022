/**
 * Pooling over 1 or 3 spatial axes (audio [L], video [T, H, W]), as pool.ts over 2.
 * PyTorch: torch.nn.MaxPool1d/3d, AvgPool1d/3d, AdaptiveAvgPool1d/3d (r3d_18's head is
 * AdaptiveAvgPool3d(1)).
 *
 *   maxPool   O per axis as conv (ceilMode: the last window must start inside input or left
 *             padding); ΠK − 1 comparisons per output; returnIndices: each maximum's flat offset
 *             in its (n, c) plane, l or t·H·W + h·W + w (PyTorch; what maxUnpool1d/3d read), or
 *             with indicesOver 'tensor' in the whole input, offset + (n·C + c)·plane (ONNX
 *             MaxPool's Indices); float32, refused past 2^24 + 1 elements as maxPool2d's
 *   avgPool   ΠK FLOPs per output: ΠK − 1 additions and one division; avgPool3d refuses an input
 *             smaller than the kernel on any axis, whatever the padding (PyTorch's avg_pool3d shape
 *             check: "input image smaller than kernel size"; avg_pool1d and max pooling have none)
 *   adaptive  window i spans [floor(i·I/O), ceil((i+1)·I/O)) per axis; per output
 *             (window − 1) adds + 1 divide, Σ over outputs of the window volume; 3-D outputSize
 *             entries may be null (that axis's input size, PyTorch's None), 1-D's not, as PyTorch
 * Kernels run as 3-axis windows (1-D gets two trivial leading axes: geometry-nd.ts asThreeAxes).
 * Input gradient: max pooling's (vjp): each window's argmax (the forward's plane indices when it
 * returned them, else found again as the forward finds it: the first maximum, the last NaN wins;
 * PyTorch's index starts at the window's first tap inside the input) and ∂x[argmax] += g there
 * (pool-vjp.ts maxPoolGrad), as PyTorch's max_pool3d_with_indices_backward;
 * adaptive average pooling's spreads each output's g evenly over its window (adaptiveAvgPoolGradNd);
 * average pooling's adds g / divisor (the forward's: override, countIncludePad, ceil-mode clipping)
 * to each tap of its window inside the input (avgPoolGradNd), as PyTorch's avg_pool2d/3d backward.
 * Receptive field: per spatial axis as pool.ts: max/avg pooling a window (poolWindowRF: one window over the whole map is global pooling), adaptive
 * pooling a window of fractional step in/out spanning the widest window, global at output 1
 * on every axis (adaptiveRF). Each also takes one unbatched [C, …spatial] sample, as PyTorch's modules
 * (unbatched.ts).
 */
import { z } from 'zod';
import { checkPoolPadding } from './geometry.js';
import { ADAPTIVE_OUTPUT, ADAPTIVE_TAP, DivisorOverride, poolLoopWork } from './pool.js';
import type { AxisGeometry } from './geometry.js';
import { asThreeAxes, axisName, paddingNd, perAxis, product, windowGeometryNd } from './geometry-nd.js';
import { expectSpatialRank } from './nd-common.js';
import { adaptiveRF, poolWindowRF } from './receptive-field.js';
import { READS_SHAPES_ONLY, ZERO_COST, numel } from './types.js';
import type { InferContext, OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { adaptiveAxes, adaptiveOutputSize, fixesSize, windowEnd, windowLengthSum, windowStart } from './adaptive-windows.js';
import type { AdaptiveAxis } from './adaptive-windows.js';
import { adaptiveAvgPoolGradNd, argmaxAgain, avgPoolGradNd, maxPoolGrad } from './pool-vjp.js';
import { gradOrZeros } from './vjp-kernels.js';
import { acceptUnbatched } from './unbatched.js';
import { indicesOverTensor, refuseInexactIndices } from './pool-kernels.js';

function poolBase(rank: number) {
  return {
    kernelSize: perAxis(rank).describe(rank === 1 ? "the window's length" : "the window's [depth, height, width], or one number for all"),
    /** PyTorch's default stride is the kernel size. */
    stride: perAxis(rank).optional(),
    padding: paddingNd(rank).default(0),
    ceilMode: z.boolean().default(false),
  };
}

const maxPoolNdAttrs = (rank: number) =>
  z.strictObject({
    ...poolBase(rank),
    dilation: perAxis(rank).default(1),
    returnIndices: z.boolean().default(false),
    indicesOver: z
      .enum(['plane', 'tensor'])
      .default('plane')
      .describe(
        rank === 1
          ? "what returnIndices' flat offsets count over: 'plane', each (n, c) row of L, as PyTorch (what maxUnpool1d reads); 'tensor', the whole N·C·L input, as ONNX MaxPool's Indices (the ONNX importer sets it)"
          : "what returnIndices' flat offsets count over: 'plane', each (n, c) volume (t·H·W + h·W + w), as PyTorch (what maxUnpool3d reads); 'tensor', the whole N·C·T·H·W input, as ONNX MaxPool's Indices (the ONNX importer sets it)",
      ),
  });
/** avgPool3d only: an unpadded input smaller than the kernel on some axis (checkUnpaddedFits). */
const SmallInput = z
  .enum(['refuse', 'pad'])
  .default('refuse')
  .describe("an unpadded input smaller than the kernel on some axis: 'refuse' as PyTorch's avg_pool3d does whatever the padding, 'pad' pools the padded input as ONNX AveragePool does (set by the ONNX importer)");
const avgPoolBase = (rank: number) => ({ ...poolBase(rank), countIncludePad: z.boolean().default(true), divisorOverride: DivisorOverride.optional() });
const avgPoolNdAttrs = (rank: 1 | 3) => (rank === 3 ? z.strictObject({ ...avgPoolBase(rank), smallInput: SmallInput }) : z.strictObject(avgPoolBase(rank)));
export type MaxPoolNdAttrs = z.infer<ReturnType<typeof maxPoolNdAttrs>>;
/** smallInput: avgPool3d only. */
export type AvgPoolNdAttrs = z.infer<z.ZodObject<ReturnType<typeof avgPoolBase>>> & { smallInput?: z.infer<typeof SmallInput> };

export interface PoolNdPlan {
  geo: AxisGeometry[];
}

function poolNdGeometry(ctx: InferContext<MaxPoolNdAttrs | AvgPoolNdAttrs>, rank: number): { x: Shape; geo: AxisGeometry[] } {
  const x = expectSpatialRank(ctx, rank);
  const a = ctx.attrs;
  if (a.padding === 'same') ctx.fail('INVALID_ATTRIBUTE', `pooling takes integer padding, not "same"`, 'padding');
  const geo = windowGeometryNd(ctx, x.slice(2), {
    kernel: a.kernelSize,
    stride: a.stride ?? a.kernelSize,
    dilation: 'dilation' in a ? a.dilation : 1,
    padding: a.padding,
    ceilMode: a.ceilMode,
  });
  checkPoolPadding(ctx, geo, a.padding);
  return { x, geo };
}

const outShape = (x: Shape, geo: AxisGeometry[]): number[] => [x[0], x[1], ...geo.map((g) => g.out)];

/**
 * windowPool (JavaScript, any geometry): 25 units a tap, 300 an output (pool.ts poolLoopWork);
 * bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared), against the 3×3 conv's 0.34 ns a MAC:
 * maxPool1d 31 dilation 2 300 ns an output (29× its cost's rate), maxPool3d 5³ dilation 2 1.29 µs
 * (31×), avgPool1d 31 250 ns (23×), avgPool3d 5³ 620 ns (15×).
 */
const ND_TAP = 25;
const ND_OUTPUT = 300;

/** Whether the forward's second output is the per-plane argmax the VJP reads (pool.ts's rule). */
const planeIndices = (a: MaxPoolNdAttrs): boolean => a.returnIndices && a.indicesOver === 'plane';

function makeMaxPool(rank: 1 | 3): OpDef<MaxPoolNdAttrs, PoolNdPlan> {
  const name = `maxPool${rank}d`;
  return {
    name,
    windowedAxes: rank,
    summary: `Max pooling over ${rank === 1 ? '[L]' : '[T, H, W]'} (optional dilation, ceil mode, and indices for maxUnpool${rank}d)`,
    pytorch: `torch.nn.MaxPool${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    attrs: maxPoolNdAttrs(rank),
    outputCount: (a) => (a.returnIndices ? 2 : 1),
    infer(ctx) {
      const { x, geo } = poolNdGeometry(ctx, rank);
      const out = outShape(x, geo);
      const taps = product(geo.map((g) => g.kernel));
      return {
        outputs: ctx.attrs.returnIndices ? [out, out] : [out],
        weights: [],
        cost: { ...ZERO_COST, elementwise: numel(out) * (taps - 1) },
        kernelWork: poolLoopWork(numel(out), taps, ND_TAP, ND_OUTPUT),
        plan: { geo },
        // without its plane indices output the VJP finds the argmax again
        vjpIntermediates: planeIndices(ctx.attrs) ? [] : argmaxAgain(out),
      };
    },
    receptiveField: (ctx) => poolWindowRF(ctx.rf[0], ctx.plan.geo, ctx.inputs[0]),
    run(ctx) {
      const x = ctx.inputs[0];
      if (!ctx.attrs.returnIndices) return [tensor(ctx.outputs[0], windowPool(x.data, x.shape, ctx.plan.geo, 'max', true, undefined))];
      // indices as maxPool2d's: flat offsets in each (n, c) plane (t·H·W + h·W + w), or over the whole input (ONNX)
      const tensorWide = ctx.attrs.indicesOver === 'tensor';
      refuseInexactIndices(tensorWide ? x.shape : x.shape.slice(2), '$.returnIndices', `${name} returnIndices`, tensorWide ? 'tensor' : 'plane');
      const idx = new Float32Array(numel(ctx.outputs[0]));
      const values = windowPool(x.data, x.shape, ctx.plan.geo, 'max', true, undefined, idx);
      if (tensorWide) indicesOverTensor(idx, x.shape[0] * x.shape[1], numel(ctx.outputs[0].slice(2)), numel(x.shape.slice(2)));
      return [tensor(ctx.outputs[0], values), tensor(ctx.outputs[1], idx)];
    },
    vjp(ctx) {
      // the forward's own argmax (its plane indices output), or found again as the forward finds it;
      // the gradient scattered there (pool-vjp.ts)
      const x = ctx.inputs[0];
      const planes = x.shape[0] * x.shape[1];
      if (planeIndices(ctx.attrs)) return [tensor(x.shape, maxPoolGrad(gradOrZeros(ctx), ctx.forward[1].data, planes, numel(x.shape.slice(2))))];
      // Int32Array: a float32 index rounds past 2^24 (maxPool1d with L = 2^24 + 8 put 5 gradients wrong)
      const argmax = new Int32Array(numel(ctx.outputs[0]));
      windowPool(x.data, x.shape, ctx.plan.geo, 'max', true, undefined, argmax);
      return [tensor(x.shape, maxPoolGrad(gradOrZeros(ctx), argmax, planes, numel(x.shape.slice(2))))];
    },
  };
}

/**
 * avgPool3d's extra rule: the unpadded input at least the kernel on every axis. PyTorch's
 * avg_pool3d checks it (pool3d_shape_check with check_input_size) where padding or ceilMode would
 * otherwise give windows, so [1, 1, 2, 3, 3] with kernel [3, 2, 1] and padding [1, 0, 0] is refused
 * there, and must be here rather than answered with numbers PyTorch never gives. ONNX AveragePool
 * (and onnxruntime) pools the padded input: its importer sets smallInput 'pad', which skips the rule.
 */
function checkUnpaddedFits(ctx: InferContext<AvgPoolNdAttrs>, x: Shape, geo: AxisGeometry[]): void {
  const short = geo.findIndex((g) => g.in < g.kernel);
  if (short < 0 || ctx.attrs.smallInput === 'pad') return;
  ctx.fail(
    'KERNEL_TOO_LARGE',
    `kernel [${geo.map((g) => g.kernel).join(', ')}] is larger than the unpadded input [${geo.map((g) => g.in).join(', ')}] (${axisName(3, short)} ${geo[short].in} < ${geo[short].kernel}); PyTorch's avg_pool3d refuses it whatever the padding ("input image smaller than kernel size")`,
    'kernelSize',
    { shapes: { x } },
  );
}

function makeAvgPool(rank: 1 | 3): OpDef<AvgPoolNdAttrs, PoolNdPlan> {
  return {
    name: `avgPool${rank}d`,
    windowedAxes: rank,
    summary: `Average pooling over ${rank === 1 ? '[L]' : '[T, H, W]'} (ceil mode, countIncludePad)`,
    pytorch: `torch.nn.AvgPool${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    attrs: avgPoolNdAttrs(rank),
    infer(ctx) {
      const { x, geo } = poolNdGeometry(ctx, rank);
      if (rank === 3) checkUnpaddedFits(ctx, x, geo);
      const out = outShape(x, geo);
      const taps = product(geo.map((g) => g.kernel));
      return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: numel(out) * taps }, kernelWork: poolLoopWork(numel(out), taps, ND_TAP, ND_OUTPUT), plan: { geo } };
    },
    receptiveField: (ctx) => poolWindowRF(ctx.rf[0], ctx.plan.geo, ctx.inputs[0]),
    run(ctx) {
      const a = ctx.attrs;
      return [tensor(ctx.outputs[0], windowPool(ctx.inputs[0].data, ctx.inputs[0].shape, ctx.plan.geo, 'avg', a.countIncludePad, a.divisorOverride))];
    },
    vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
    vjp(ctx) {
      const x = ctx.inputs[0];
      return [tensor(x.shape, avgPoolGradNd(gradOrZeros(ctx), x.shape, ctx.plan.geo, ctx.attrs.countIncludePad, ctx.attrs.divisorOverride))];
    },
  };
}

/** Start and end of output o's window along one axis: [lo, hi) inside the input; padded end for the avg divisor. */
function span(g: AxisGeometry, o: number, max: boolean): { lo: number; hi: number; padded: number } {
  const s0 = o * g.stride - g.padBegin;
  if (max) {
    // taps at s0 + t·d inside the input (padding is −∞)
    let lo = s0;
    while (lo < 0) lo += g.dilation;
    return { lo, hi: Math.min(s0 + (g.kernel - 1) * g.dilation + 1, g.in), padded: 0 };
  }
  // PyTorch avg_pool: the window clipped to the padded input for the divisor, to the input for the sum
  const e0 = Math.min(s0 + g.kernel, g.in + g.padEnd);
  return { lo: Math.max(s0, 0), hi: Math.min(e0, g.in), padded: e0 - s0 };
}

/**
 * Max (NaN wins, as PyTorch) or average pooling of x [N, C, …] over its 1 or 3 spatial axes.
 * Windows per axis are resolved once per output row, so the inner loops only add or compare.
 */
function windowPool(x: Float32Array, shape: Shape, geo: AxisGeometry[], kind: 'max' | 'avg', countIncludePad: boolean, divisorOverride: number | undefined, argmax?: Float32Array | Int32Array): Float32Array {
  const [gt, gh, gw] = asThreeAxes(geo);
  const [H, W] = [gh.in, gw.in];
  const plane = gt.in * H * W;
  const max = kind === 'max';
  const [dt, dh, dw] = max ? [gt.dilation, gh.dilation, gw.dilation] : [1, 1, 1];
  const out = new Float32Array(shape[0] * shape[1] * gt.out * gh.out * gw.out);
  const wSpans = Array.from({ length: gw.out }, (_, o) => span(gw, o, max));
  let o = 0;
  for (let p = 0; p < shape[0] * shape[1]; p++) {
    const xp = p * plane;
    for (let ot = 0; ot < gt.out; ot++) {
      const t = span(gt, ot, max);
      for (let oh = 0; oh < gh.out; oh++) {
        const h = span(gh, oh, max);
        for (let ow = 0; ow < gw.out; ow++, o++) {
          const w = wSpans[ow];
          if (max) {
            let best = -Infinity;
            // PyTorch's index starts at the window's first tap inside the input (all −∞: that one)
            let at = (t.lo * H + h.lo) * W + w.lo;
            for (let it = t.lo; it < t.hi; it += dt) {
              for (let ih = h.lo; ih < h.hi; ih += dh) {
                const row = xp + (it * H + ih) * W;
                for (let iw = w.lo; iw < w.hi; iw += dw) {
                  const v = x[row + iw];
                  if (v > best) {
                    best = v;
                    at = row + iw - xp;
                  } else if (Number.isNaN(v)) {
                    // every NaN takes the window, so its last one is the argmax, as PyTorch's CPU
                    // kernel (val > maxval || isnan(val)) scanning on: x [1, NaN, 2, NaN, 0.5, −1]
                    // k=6 has torch's x.grad [0, 0, 0, 1, 0, 0]; the value is NaN either way
                    best = v;
                    at = row + iw - xp;
                  }
                }
              }
            }
            out[o] = best;
            if (argmax) argmax[o] = at;
          } else {
            if (t.lo >= t.hi || h.lo >= h.hi || w.lo >= w.hi) continue;
            let sum = 0;
            for (let it = t.lo; it < t.hi; it++) {
              for (let ih = h.lo; ih < h.hi; ih++) {
                const row = xp + (it * H + ih) * W;
                for (let iw = w.lo; iw < w.hi; iw++) sum += x[row + iw];
              }
            }
            const divisor = divisorOverride ?? (countIncludePad ? t.padded * h.padded * w.padded : (t.hi - t.lo) * (h.hi - h.lo) * (w.hi - w.lo));
            out[o] = sum / divisor;
          }
        }
      }
    }
  }
  return out;
}

const adaptiveAttrs = (rank: 1 | 3) => z.strictObject({ outputSize: adaptiveOutputSize(rank) });
export type AdaptiveNdAttrs = z.infer<ReturnType<typeof adaptiveAttrs>>;

export interface AdaptiveNdPlan {
  axes: AdaptiveAxis[]; // (in, out) per spatial axis: windows are computed where they are read (adaptive-windows.ts)
}

function makeAdaptiveAvgPool(rank: 1 | 3): OpDef<AdaptiveNdAttrs, AdaptiveNdPlan> {
  return {
    name: `adaptiveAvgPool${rank}d`,
    windowedAxes: rank, // its windows slide over every spatial axis (analysis/input-layout.ts)
    summary: `Adaptive average pooling over ${rank === 1 ? '[L]' : '[T, H, W]'} to a fixed output size (1: global)`,
    pytorch: `torch.nn.AdaptiveAvgPool${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    attrs: adaptiveAttrs(rank),
    infer(ctx) {
      const x = expectSpatialRank(ctx, rank);
      const axes = adaptiveAxes(x, ctx.attrs.outputSize);
      const out = [x[0], x[1], ...axes.map((a) => a.out)];
      // Σ over outputs of the window volume = Π over axes of Σ window lengths
      const taps = x[0] * x[1] * product(axes.map(windowLengthSum));
      const kernelWork = ADAPTIVE_TAP * taps + ADAPTIVE_OUTPUT * numel(out); // the loop's rate (pool.ts)
      return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: taps }, kernelWork, plan: { axes }, fixedSize: fixesSize(ctx.attrs.outputSize) };
    },
    receptiveField: (ctx) => adaptiveRF(ctx.rf[0], ctx.plan.axes, ctx.inputs[0]),
    run(ctx) {
      const shape = ctx.inputs[0].shape;
      const x = ctx.inputs[0].data;
      const [T, H, W] = [...Array<number>(3 - rank).fill(1), ...shape.slice(2)];
      const [OT, OH, OW] = [...Array<number>(3 - rank).fill(1), ...ctx.plan.axes.map((a) => a.out)];
      const out = new Float32Array(numel(ctx.outputs[0]));
      let o = 0;
      for (let p = 0; p < shape[0] * shape[1]; p++) {
        const xp = p * T * H * W;
        for (let ot = 0; ot < OT; ot++) {
          const t0 = windowStart(ot, T, OT);
          const t1 = windowEnd(ot, T, OT);
          for (let oh = 0; oh < OH; oh++) {
            const h0 = windowStart(oh, H, OH);
            const h1 = windowEnd(oh, H, OH);
            for (let ow = 0; ow < OW; ow++, o++) {
              const w0 = windowStart(ow, W, OW);
              const w1 = windowEnd(ow, W, OW);
              let sum = 0;
              for (let it = t0; it < t1; it++) {
                for (let ih = h0; ih < h1; ih++) {
                  const row = xp + (it * H + ih) * W;
                  for (let iw = w0; iw < w1; iw++) sum += x[row + iw];
                }
              }
              out[o] = sum / ((t1 - t0) * (h1 - h0) * (w1 - w0));
            }
          }
        }
      }
      return [tensor(ctx.outputs[0], out)];
    },
    vjpReads: READS_SHAPES_ONLY, // its input gradient is a linear map of g: no forward values
    vjp: (ctx) => [tensor(ctx.inputs[0].shape, adaptiveAvgPoolGradNd(gradOrZeros(ctx), ctx.inputs[0].shape, ctx.plan.axes))],
  };
}

// each also takes an unbatched [C, …spatial] input, as PyTorch's modules (unbatched.ts)
export const maxPool1d = acceptUnbatched(makeMaxPool(1), 1);
export const maxPool3d = acceptUnbatched(makeMaxPool(3), 3);
export const avgPool1d = acceptUnbatched(makeAvgPool(1), 1);
export const avgPool3d = acceptUnbatched(makeAvgPool(3), 3);
export const adaptiveAvgPool1d = acceptUnbatched(makeAdaptiveAvgPool(1), 1);
export const adaptiveAvgPool3d = acceptUnbatched(makeAdaptiveAvgPool(3), 3);
