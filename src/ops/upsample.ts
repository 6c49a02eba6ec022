/**
 * Interpolation: upsample (PyTorch's torch.nn.Upsample / F.interpolate) here, and resize (ONNX
 * Resize and Upsample, resize.ts). Both resolve to one resampling plan: output size, the scale used
 * for coordinates, the coordinate transform and the interpolation mode. The receptive-field rule and
 * the kernel read only the plan.
 *
 *   H' = size, or floor(H·scale)
 *   source coordinate of output o (ONNX coordinate_transformation_mode):
 *     half_pixel          (o + 0.5)/scale − 0.5          PyTorch bilinear, alignCorners false (source clamped at 0)
 *     pytorch_half_pixel  as half_pixel, 0 when H' = 1
 *     align_corners       o·(H − 1)/(H' − 1)             PyTorch alignCorners true
 *     asymmetric          o/scale                        PyTorch nearest (with floor)
 *     tf_half_pixel_for_nn (o + 0.5)/scale
 *     half_pixel_symmetric (H/2)·(1 − H'/(scale·H)) + (o + 0.5)/scale − 0.5   (opset 19)
 *     tf_crop_and_resize  roi start·(H − 1) + o·(end − start)·(H − 1)/(H' − 1); outside [0, H − 1]: the extrapolation value
 *   nearest rounds the source coordinate (floor for PyTorch); linear reads the two neighbours;
 *   cubic the four around it (Keys, a = −0.75, or ONNX's cubic_coeff_a), indices clamped to the edge;
 *   ONNX's exclude_outside and antialias: upsample-plan.ts (filteredTaps).
 *   FLOPs per output: nearest 0 (a copy); k taps (ky × kx) k multiplies + k − 1 adds: bilinear 7,
 *   bicubic 31, antialiased linear at ½ 31 (4 × 4 taps)
 * PyTorch uses the given scale factor for coordinates (recompute_scale_factor unset), not H'/H;
 * recomputeScaleFactor (F.interpolate's recompute_scale_factor=True) sizes the output floor(H·scale)
 * and then interpolates as to that size: coordinates from H/H', the size rules below included
 * (with an explicit size PyTorch refuses it, "not meaningful": INVALID_ATTRIBUTE);
 * except by output size, whatever the scale (upsample only, ATen's UpSample.h; resize keeps ONNX's rule):
 *   nearest (nearest_idx), one channel only     H' = H reads o, H' = 2H reads o >> 1 (C = 1 makes the NCHW
 *                                               tensor channels-last contiguous: ATen's channels-last kernel
 *                                               has the rule; the one for C > 1 reads floor(o·float32(1/scale)))
 *   bilinear (compute_source_index_and_lambda)  H' = H reads o with weights (1, 0): a copy, either alignCorners;
 *                                               else i0 = floor(source), i1 = i0 + 1 below the last row, weight source − i0
 *   bicubic                                     no exception
 * nearest-exact (PyTorch's mode 'nearest-exact', ONNX tf_half_pixel_for_nn with floor) reads
 * min(floor(float32((o + 0.5)·float32(1/scale))), H − 1): the output pixel's centre, no size rule.
 * Sums start at their first tap, not at 0, so a −0 input stays −0 (nearest, bilinear), as PyTorch.
 * Bilinear weights are float64 (PyTorch's float32): at a scale not exact in float32 (×3) a weight
 * PyTorch leaves a few ulps above 0 is 0 here, so an inf beside it is NaN where PyTorch's is inf.
 * VJP: the transpose of the same taps, ∂x[iy, ix] += wy·wx·g[oy, ox] for every tap (iy, wy) of
 * row oy and (ix, wx) of column ox (edge-clamped taps add up at the edge, as PyTorch's backward).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { pair, posInt } from './geometry.js';
import { axisTaps, filterWidth } from './upsample-plan.js';
import { resampleRF } from './resample-field.js';
import { fillOutside, passBackShapes, passShapes, separableBackward, separableForward } from './resample-kernels.js';
import type { ResamplePlan } from './upsample-plan.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { InferContext, Inferred, OpDef, RunContext, Shape, VjpContext } from './types.js';
import { gradOrZeros } from './vjp-kernels.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * FLOPs per output: nearest 0 (a copy); k taps over the plan's axes (the product of filterWidth per
 * axis) k multiplies and k − 1 adds: linear 3, bilinear 7, trilinear 15, bicubic 31, tricubic 127,
 * antialiased linear at ½ × ½ 31 (4 × 4 taps). A plan of no axis (every axis kept) is a copy.
 */
function flopsPerOutput(plan: ResamplePlan): number {
  if (plan.mode === 'nearest' || plan.dims.length === 0) return 0;
  const taps = plan.dims.reduce((n, _, k) => n * filterWidth(plan, k), 1);
  return 2 * taps - 1;
}

export function resampled<A>(ctx: InferContext<A>, x: Shape, plan: ResamplePlan, fixedSize: boolean): Inferred<ResamplePlan> {
  if (plan.outSize.some((o) => !(o > 0))) {
    ctx.fail('NON_POSITIVE_SIZE', `output size [${plan.outSize.join(', ')}] is not positive (input ${fmtShape(x)})`, 'scaleFactor', {
      shapes: { x },
    });
  }
  const shape = [...x];
  plan.dims.forEach((d, k) => (shape[d] = plan.outSize[k]));
  const kernelWork = numel(shape) * (RESAMPLE_OUTPUT + (plan.mode === 'cubic' ? CUBIC_FLOP : RESAMPLE_FLOP) * flopsPerOutput(plan));
  return { outputs: [shape], weights: [], cost: { ...ZERO_COST, elementwise: flopsPerOutput(plan) * numel(shape) }, kernelWork, plan, fixedSize, ...kernelIntermediates(x, shape, plan) };
}

/**
 * MAX_RUN_WORK's work of the resampling kernels (upsample and resize: separableForward, in
 * JavaScript), an output at RESAMPLE_OUTPUT + RESAMPLE_FLOP·flopsPerOutput GEMM-equivalent units:
 * nearest 150, bilinear 150 + 3·7 = 171, bicubic 150 + 3·31 = 243. bench/op-rates.ts, 2026-12-05,
 * 2 vCPU AMD EPYC (shared), against the 3×3 conv's 0.34 ns a MAC: nearest ×128 56 ns an output
 * (167× the cost's 1 written), ×2 25 ns; bilinear ×2 53 ns (20× the cost's 8); bicubic ×2 79 ns
 * (7.3× the cost's 32), ×½ 36 ns; resize linear ×2 41 ns, cubic ×2 49 ns.
 */
const RESAMPLE_OUTPUT = 150;
const RESAMPLE_FLOP = 3;
/**
 * A cubic mode's FLOP: the cubic kernels ran at 2.1–2.8 times the conv's time a unit at ×2 (resize
 * 15.8–46.8 ns an output, upsample 30.9–52.2) and 4.0–5.3 at ×½, antialiased ×¼ 3.4–3.7, where
 * linear's ran at 0.9–1.0 (bench/op-rates.ts, 2026-12-05, load 11–15): bicubic 150 + 15·31 = 615
 * an output, not 243.
 */
export const CUBIC_FLOP = 15;

/**
 * What the kernels allocate beside the output, held to the tensor limit and counted as written
 * (runtime/checks.ts): each axis's tap tables, out × taps (antialias at scale s has 2·⌈support/s⌉
 * taps: a wide tf_crop_and_resize roi makes out·taps ≈ 2·in·(end − start), unbounded by the
 * output), and the float64 rows of the 2-D kernel (H × W', per plane; rowsKernel) or the separable
 * passes' results (resample-kernels.ts passShapes).
 * And what the VJP allocates beside ∂x (vjpIntermediates, asked with a gradient's memory): the same
 * tap tables, built again (axisTaps), and over the last two axes nothing more (resampleBackward
 * scatters into ∂x directly, whichever forward kernel ran); over other axes the transposed passes'
 * float64 results (passBackShapes: the forward's but the last, and one of the input's size); with
 * tf_crop_and_resize, the output's gradient copied with its extrapolated outputs zeroed (readGradient).
 */
function kernelIntermediates(x: Shape, y: Shape, plan: ResamplePlan): Pick<Inferred, 'intermediates' | 'vjpIntermediates'> {
  // a tap is an int32 index and a float64 weight (12 bytes), the rows and passes float64 (8)
  const tables = plan.dims.map((d, k) => ({ shape: [plan.outSize[k], filterWidth(plan, k)], what: `the tap table of axis ${d} (output size × taps)`, bytesPerElement: 12 }));
  const rows = rowsKernel(plan, x.length);
  const passes = rows ? [[plan.inSize[0], plan.outSize[1]]] : passShapes(x, plan);
  const what = rows ? 'the rows resampled along the last axis' : "a separable pass's float64 result";
  const backPasses = overLastTwo(plan, x.length) ? [] : passBackShapes(y, plan);
  return {
    intermediates: [...tables, ...passes.map((shape) => ({ shape, what, bytesPerElement: 8 }))],
    vjpIntermediates: [
      ...tables,
      ...backPasses.map((shape) => ({ shape, what: "a transposed pass's float64 gradient", bytesPerElement: 8 })),
      ...(plan.crop ? [{ shape: y, what: "the output's gradient without its extrapolated outputs (tf_crop_and_resize)" }] : []),
    ],
  };
}

/**
 * Separable resampling: each output is Σ over the row taps of wy·(Σ over the column taps of
 * wx·input). The inner sums depend only on the input row and the output column, so each is
 * computed once per plane into `rows` (H × OW doubles) and the outputs combine rows of it: an
 * 8× bilinear upsampling (LR-ASPP's head) does a sixteenth of the column work it did per output.
 * Same doubles in the same order as summing per output, so the same float32 results.
 */
function resampleForward(x: Tensor, plan: ResamplePlan, outShape: Shape): Tensor {
  const ty = axisTaps(plan, 0);
  const tx = axisTaps(plan, 1);
  const [H, W] = plan.inSize;
  const [OH, OW] = plan.outSize;
  const planes = x.data.length / (H * W);
  const out = new Float32Array(planes * OH * OW);
  const xd = x.data;
  const { taps: kx, index: ix, weight: wx } = tx;
  const { taps: ky, index: iy, weight: wy } = ty;
  // only the input rows some output reads
  const used = new Uint8Array(H);
  for (let k = 0; k < iy.length; k++) used[iy[k]] = 1;
  const rows = new Float64Array(H * OW);
  for (let p = 0; p < planes; p++) {
    const xp = p * H * W;
    for (let h = 0; h < H; h++) {
      if (!used[h]) continue;
      const src = xp + h * W;
      const dst = h * OW;
      for (let ox = 0; ox < OW; ox++) {
        // from the first tap, not 0 + …: −0 stays −0 (PyTorch), and nearest is a plain copy
        let acc = wx[ox * kx] * xd[src + ix[ox * kx]];
        for (let b = 1; b < kx; b++) acc += wx[ox * kx + b] * xd[src + ix[ox * kx + b]];
        rows[dst + ox] = acc;
      }
    }
    for (let oy = 0; oy < OH; oy++) {
      const dst = (p * OH + oy) * OW;
      if (ky === 2) {
        // bilinear: two rows, weights hoisted
        const r0 = iy[oy * 2] * OW;
        const r1 = iy[oy * 2 + 1] * OW;
        const w0 = wy[oy * 2];
        const w1 = wy[oy * 2 + 1];
        for (let ox = 0; ox < OW; ox++) out[dst + ox] = w0 * rows[r0 + ox] + w1 * rows[r1 + ox];
        continue;
      }
      for (let ox = 0; ox < OW; ox++) {
        let sum = wy[oy * ky] * rows[iy[oy * ky] * OW + ox];
        for (let a = 1; a < ky; a++) sum += wy[oy * ky + a] * rows[iy[oy * ky + a] * OW + ox];
        out[dst + ox] = sum;
      }
    }
  }
  if (plan.crop) extrapolate(out, planes, ty.outside!, tx.outside!, plan.crop.extrapolation);
  return tensor(outShape, out);
}

/** tf_crop_and_resize: an output whose row or column source is outside the input is the extrapolation value (TF's CropAndResize). */
function extrapolate(out: Float32Array, planes: number, rowOut: Uint8Array, colOut: Uint8Array, value: number): void {
  const [OH, OW] = [rowOut.length, colOut.length];
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const dst = (p * OH + oy) * OW;
      if (rowOut[oy]) {
        out.fill(value, dst, dst + OW);
        continue;
      }
      for (let ox = 0; ox < OW; ox++) if (colOut[ox]) out[dst + ox] = value;
    }
  }
}

/** Whether the plan is over the last two axes alone (upsample; a resize of H and W): the 2-D kernels above, else the separable ones (resample-kernels.ts). */
const overLastTwo = (plan: ResamplePlan, rank: number) => plan.dims.length === 2 && plan.dims[0] === rank - 2 && plan.dims[1] === rank - 1;

/**
 * The 2-D forward kernel, unless its rows (H × W' doubles a plane) would outgrow both the input's
 * and the output's plane (H shrinks as W grows: [2048, 1] to [1, 65536] was 2048 × 65536): the
 * separable passes then go in the order that keeps every intermediate within them (passOrder).
 */
const rowsKernel = (plan: ResamplePlan, rank: number) =>
  overLastTwo(plan, rank) && plan.inSize[0] * plan.outSize[1] <= Math.max(plan.inSize[0] * plan.inSize[1], plan.outSize[0] * plan.outSize[1]);

export const runResample = (ctx: RunContext<unknown, ResamplePlan>) => {
  const x = ctx.inputs[0];
  if (rowsKernel(ctx.plan, x.shape.length)) return [resampleForward(x, ctx.plan, ctx.outputs[0])];
  return [tensor(ctx.outputs[0], separableForward(x.data, x.shape, ctx.plan))];
};

/** ∂x of the separable resampling: each output's gradient scattered back along its taps, row weight hoisted. */
function resampleBackward(g: Float32Array, plan: ResamplePlan, inShape: Shape): Tensor {
  const ty = axisTaps(plan, 0);
  const tx = axisTaps(plan, 1);
  const [H, W] = plan.inSize;
  const [OH, OW] = plan.outSize;
  const planes = g.length / (OH * OW);
  const gx = new Float32Array(planes * H * W);
  for (let p = 0; p < planes; p++) {
    const xp = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const src = (p * OH + oy) * OW;
      for (let a = 0; a < ty.taps; a++) {
        const row = xp + ty.index[oy * ty.taps + a] * W;
        const wy = ty.weight[oy * ty.taps + a];
        for (let ox = 0; ox < OW; ox++) {
          const gy = wy * g[src + ox];
          for (let b = 0; b < tx.taps; b++) gx[row + tx.index[ox * tx.taps + b]] += tx.weight[ox * tx.taps + b] * gy;
        }
      }
    }
  }
  return tensor(inShape, gx);
}

/** One gradient for x; the parameter inputs (roi, scales, sizes) have none. */
export const resampleVjp = (ctx: VjpContext<unknown, ResamplePlan>) =>
  ctx.inputs.map((x, i) => {
    if (i !== 0) return null;
    const g = readGradient(ctx);
    return overLastTwo(ctx.plan, x.shape.length) ? resampleBackward(g, ctx.plan, x.shape) : tensor(x.shape, separableBackward(g, ctx.outputs[0], ctx.plan));
  });

/** The output gradient, without the extrapolated outputs of tf_crop_and_resize (a constant: they read nothing). */
function readGradient(ctx: VjpContext<unknown, ResamplePlan>): Float32Array {
  const g = gradOrZeros(ctx);
  if (!ctx.plan.crop) return g;
  const masked = g.slice();
  fillOutside(masked, ctx.outputs[0], ctx.plan, 0);
  return masked;
}

const positive = z.number().positive();

export const UpsampleAttrs = z
  .strictObject({
    mode: z.enum(['nearest', 'nearest-exact', 'bilinear', 'bicubic']).default('nearest'),
    scaleFactor: z.union([positive, z.tuple([positive, positive])]).optional(),
    size: z.union([posInt, z.tuple([posInt, posInt])]).optional(),
    alignCorners: z.boolean().optional(),
    recomputeScaleFactor: z
      .boolean()
      .default(false)
      .describe("F.interpolate's recompute_scale_factor: the output floor(H·scaleFactor), then coordinates from H/H' as for that size rather than from 1/scaleFactor"),
  })
  .refine((a) => (a.scaleFactor === undefined) !== (a.size === undefined), {
    message: 'give exactly one of scaleFactor and size',
    path: ['scaleFactor'],
  })
  .refine((a) => (a.mode !== 'nearest' && a.mode !== 'nearest-exact') || a.alignCorners === undefined, {
    message: 'alignCorners applies to bilinear and bicubic modes only (PyTorch rule)',
    path: ['alignCorners'],
  })
  .refine((a) => !(a.recomputeScaleFactor && a.size !== undefined), {
    message: 'recomputeScaleFactor is not meaningful with an explicit size (PyTorch rule)',
    path: ['recomputeScaleFactor'],
  });
export type UpsampleAttrs = z.infer<typeof UpsampleAttrs>;

export const upsample: OpDef<UpsampleAttrs, ResamplePlan> = {
  name: 'upsample',
  summary: 'Nearest, nearest-exact, bilinear or bicubic interpolation by a scale factor or to a size (alignCorners true/false)',
  pytorch: 'torch.nn.Upsample',
  inputNames: ['x'],
  minInputs: 1,
  attrs: UpsampleAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const a = ctx.attrs;
    const inSize: [number, number] = [x[2], x[3]];
    const factor = a.scaleFactor !== undefined ? pair(a.scaleFactor) : null;
    const outSize = (factor ? [0, 1].map((i) => Math.floor(inSize[i] * factor[i])) : pair(a.size!)) as [number, number];
    // recomputeScaleFactor: the scale the size implies, as PyTorch passes the size alone on
    const scale = (factor && !a.recomputeScaleFactor ? factor : [outSize[0] / inSize[0], outSize[1] / inSize[1]]) as [number, number];
    const smooth = a.mode === 'bilinear' || a.mode === 'bicubic';
    return resampled(ctx, x, {
      dims: [2, 3],
      inSize,
      outSize,
      scale,
      transform: smooth ? (a.alignCorners ? 'align_corners' : 'half_pixel') : a.mode === 'nearest-exact' ? 'tf_half_pixel_for_nn' : 'asymmetric',
      mode: a.mode === 'bilinear' ? 'linear' : a.mode === 'bicubic' ? 'cubic' : 'nearest',
      nearestMode: 'floor',
      pytorchSizeRules: true,
      nearestBySize: a.mode === 'nearest' && x[1] === 1,
    }, factor === null);
  },
  receptiveField: resampleRF,
  run: runResample,
  vjp: resampleVjp,
};
