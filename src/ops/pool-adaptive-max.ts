/**
 * Adaptive max pooling over 1, 2 or 3 spatial axes ([L], [H, W], [T, H, W]) to a fixed output size.
 * PyTorch: torch.nn.AdaptiveMaxPool1d/2d/3d (CBAM's channel and spatial attention, detector heads).
 *
 *   windows   window o along an axis of I inputs and O outputs spans [floor(o·I/O), ceil((o+1)·I/O)),
 *             PyTorch's start_index / end_index (adaptive-windows.ts, as adaptive average pooling)
 *   size      outputSize one number or one per axis; over 2 and 3 axes an entry null keeps that
 *             axis's input size (PyTorch's None: AdaptiveMaxPool2d((None, 7))), 1-D's none, as PyTorch
 *   shape     [N, C, …outputSize]; with returnIndices a second output of that shape: the argmax's
 *             flat offset in its (n, c) input plane (w; h·W + w; (t·H + h)·W + w), as PyTorch's
 *   value     the window's maximum; ties keep the first tap; NaN propagates: PyTorch's
 *             `val > max || isnan(val)` lets a NaN replace the running maximum and no number
 *             replace a NaN, so the value is NaN and its index the window's last NaN
 *   cost      (window volume − 1) comparisons per output, as the max pools count them: Σ over
 *             outputs = N·C·(Π over axes of Σ window lengths − Π outputSize)
 * Receptive field: adaptiveRF (receptive-field.ts), as adaptive average pooling: the envelope of
 * the windows at the mean spacing of their starts; global at output 1 on every axis.
 * VJP: ∂x[argmax of window o] += g[o] (pool-vjp.ts maxPoolGrad over the forward's indices).
 * Unbatched [C, …spatial] input: one sample, as PyTorch's modules (unbatched.ts).
 */
import { z } from 'zod';
import { product } from './geometry-nd.js';
import { expectSpatialRank } from './nd-common.js';
import { NCHW_RANK, expectRank } from './common.js';
import { adaptiveRF } from './receptive-field.js';
import { adaptiveAxes, adaptiveOutputSize, fixesSize, windowEnd, windowLengthSum, windowStart } from './adaptive-windows.js';
import type { AdaptiveAxis } from './adaptive-windows.js';
import { argmaxAgain, maxPoolGrad } from './pool-vjp.js';
import { gradOrZeros } from './vjp-kernels.js';
import { ZERO_COST, numel } from './types.js';
import { ADAPTIVE_OUTPUT, ADAPTIVE_TAP } from './pool.js';
import { refuseInexactIndices } from './pool-kernels.js';
import { acceptUnbatched } from './unbatched.js';
import type { OpDef, Shape } from './types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

const adaptiveMaxAttrs = (rank: 1 | 2 | 3) =>
  z.strictObject({
    outputSize: adaptiveOutputSize(rank),
    returnIndices: z.boolean().default(false).describe("a second output: each maximum's flat offset in its (n, c) input plane, as PyTorch's"),
  });
export type AdaptiveMaxAttrs = z.infer<ReturnType<typeof adaptiveMaxAttrs>>;

export interface AdaptiveMaxPlan {
  axes: AdaptiveAxis[]; // (in, out) per spatial axis: windows are computed where they are read (adaptive-windows.ts)
}

/**
 * Max and argmax of every window of x [planes, T, H, W] to [planes, OT, OH, OW] (1-D and 2-D maps
 * with unit leading axes). Window bounds are computed once per output row and column, so the inner
 * loop only loads and compares; indices (when asked for) are plane offsets, written as float32 as
 * maxPool2d's are.
 */
function adaptiveMax(x: Float32Array, planes: number, [T, H, W]: number[], [OT, OH, OW]: number[], out: Float32Array, indices: Float32Array | Int32Array | null): void {
  const plane = T * H * W;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const xp = p * plane;
    for (let ot = 0; ot < OT; ot++) {
      const t0 = windowStart(ot, T, OT);
      const t1 = windowEnd(ot, T, OT);
      for (let oh = 0; oh < OH; oh++) {
        const h0 = windowStart(oh, H, OH);
        const h1 = windowEnd(oh, H, OH);
        for (let ow = 0; ow < OW; ow++, o++) {
          const w0 = windowStart(ow, W, OW);
          const w1 = windowEnd(ow, W, OW);
          let best = -Infinity;
          let at = (t0 * H + h0) * W + w0; // PyTorch's initial index: the window's first tap (an all −∞ window keeps it)
          for (let it = t0; it < t1; it++) {
            for (let ih = h0; ih < h1; ih++) {
              const row = (it * H + ih) * W;
              for (let iw = w0; iw < w1; iw++) {
                const v = x[xp + row + iw];
                // v !== v: NaN, which replaces the maximum (and, once there, no number beats it)
                if (v > best || v !== v) {
                  best = v;
                  at = row + iw;
                }
              }
            }
          }
          out[o] = best;
          if (indices) indices[o] = at;
        }
      }
    }
  }
}

function runAdaptiveMax(x: Tensor, axes: AdaptiveAxis[], outShape: Shape, withIndices: boolean): Tensor[] {
  if (withIndices) refuseInexactIndices(x.shape.slice(2), '$.returnIndices', `adaptiveMaxPool${axes.length}d returnIndices`);
  const out = new Float32Array(numel(outShape));
  const indices = withIndices ? new Float32Array(out.length) : null;
  adaptiveMaxInto(x, axes, out, indices);
  return indices ? [tensor(outShape, out), tensor(outShape, indices)] : [tensor(outShape, out)];
}

/** The values into `out` and each window's argmax into `indices` (an Int32Array for the VJP: exact past 2^24). */
function adaptiveMaxInto(x: Tensor, axes: AdaptiveAxis[], out: Float32Array, indices: Float32Array | Int32Array | null): void {
  const lead = Array<number>(3 - axes.length).fill(1);
  adaptiveMax(x.data, x.shape[0] * x.shape[1], [...lead, ...x.shape.slice(2)], [...lead, ...axes.map((a) => a.out)], out, indices);
}

function makeAdaptiveMaxPool(rank: 1 | 2 | 3): OpDef<AdaptiveMaxAttrs, AdaptiveMaxPlan> {
  const axes = rank === 1 ? '[L]' : rank === 2 ? '[H, W]' : '[T, H, W]';
  return {
    name: `adaptiveMaxPool${rank}d`,
    windowedAxes: rank, // its windows slide over every spatial axis (analysis/input-layout.ts)
    summary: `Adaptive max pooling over ${axes} to a fixed output size (1: global max), optionally with the argmax indices`,
    pytorch: `torch.nn.AdaptiveMaxPool${rank}d`,
    inputNames: ['x'],
    minInputs: 1,
    attrs: adaptiveMaxAttrs(rank),
    outputCount: (a) => (a.returnIndices ? 2 : 1),
    infer(ctx) {
      const x = rank === 2 ? expectRank(ctx, 0, NCHW_RANK) : expectSpatialRank(ctx, rank);
      const axes = adaptiveAxes(x, ctx.attrs.outputSize);
      const size = axes.map((a) => a.out);
      // Σ over outputs of the window volume = Π over axes of Σ window lengths; one comparison fewer per output
      const out = [x[0], x[1], ...size];
      return {
        outputs: ctx.attrs.returnIndices ? [out, out] : [out],
        weights: [],
        cost: { ...ZERO_COST, elementwise: x[0] * x[1] * (product(axes.map(windowLengthSum)) - product(size)) },
        // the loop's rate (pool.ts ADAPTIVE_TAP, ADAPTIVE_OUTPUT: 130 ns an output at 56→55, 97× the cost's)
        kernelWork: ADAPTIVE_TAP * x[0] * x[1] * product(axes.map(windowLengthSum)) + ADAPTIVE_OUTPUT * numel(out),
        plan: { axes },
        fixedSize: fixesSize(ctx.attrs.outputSize),
        // without its indices output the VJP finds the argmax again: runAdaptiveMax's values and indices
        vjpIntermediates: ctx.attrs.returnIndices ? [] : argmaxAgain(out),
      };
    },
    receptiveField: (ctx) => adaptiveRF(ctx.rf[0], ctx.plan.axes, ctx.inputs[0]),
    run: (ctx) => runAdaptiveMax(ctx.inputs[0], ctx.plan.axes, ctx.outputs[0], ctx.attrs.returnIndices),
    vjp(ctx) {
      const x = ctx.inputs[0];
      // the argmax the forward chose (its second output, or found again the same way)
      let indices: Float32Array | Int32Array;
      if (ctx.attrs.returnIndices) indices = ctx.forward[1].data;
      else {
        // Int32Array: a float32 index rounds past 2^24 (as max pooling's VJPs)
        indices = new Int32Array(numel(ctx.outputs[0]));
        adaptiveMaxInto(x, ctx.plan.axes, new Float32Array(indices.length), indices);
      }
      return [tensor(x.shape, maxPoolGrad(gradOrZeros(ctx), indices, x.shape[0] * x.shape[1], numel(x.shape.slice(2))))];
    },
  };
}

// each also takes an unbatched [C, …spatial] input, as PyTorch's modules (unbatched.ts)
export const adaptiveMaxPool1d = acceptUnbatched(makeAdaptiveMaxPool(1), 1);
export const adaptiveMaxPool2d = acceptUnbatched(makeAdaptiveMaxPool(2), 2);
export const adaptiveMaxPool3d = acceptUnbatched(makeAdaptiveMaxPool(3), 3);
