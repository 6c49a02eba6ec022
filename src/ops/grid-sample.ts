/**
 * gridSample: sampling a feature map at given normalised positions (ONNX GridSample opsets 16+;
 * torch.nn.functional.grid_sample on 4-D input): spatial transformers, flow warping, deformable
 * DETR's sampling.
 *
 *   x [N, C, H, W], grid [N, Hg, Wg, 2] holding (x, y) in [−1, 1] → y [N, C, Hg, Wg]
 *   unnormalised position: alignCorners ? (g + 1)/2·(size − 1) : ((g + 1)·size − 1)/2, in float32
 *   step by step as torch's CPU kernel (a nearest tap at a half pixel depends on it: `location`)
 *   paddingMode zeros: taps outside the map read 0; border: the position is clamped to
 *   [0, size − 1]; reflection: reflected about the map's edges (the corner pixels' centres with
 *   alignCorners, their outer edges without), then clamped. A grid value of NaN or ±∞, as torch's
 *   CPU kernel reads it: clamped, NaN is 0 (a reflected ±∞ is NaN, so 0); under zeros, bilinear
 *   gives NaN (its tap weights are NaN) and nearest 0 (no tap is inside)
 *   mode bilinear: the four neighbours weighted by distance; nearest: the closest, halves to even
 *   (torch's nearbyint)
 *   mode bicubic (4-D only, as torch; a 5-D input is refused with torch's rule): the position is
 *   unnormalised but NOT padded (torch's bicubic pads each tap instead: no clip, no reflection of
 *   the position); its floor (ix, iy) and fraction (tx, ty); the 4×4 taps at ix − 1 … ix + 2 by
 *   iy − 1 … iy + 2, each padded on its own (zeros: 0 outside the map; border: its index clamped;
 *   reflection: its index reflected, then clamped); Keys' cubic weights with A = −0.75 in tx and ty:
 *     outer taps (distance 1 < d < 2): ((A·d − 5A)·d + 8A)·d − 4A; inner (d ≤ 1): ((A + 2)·d − (A + 3))·d² + 1
 *   y = Σ_row wy·(Σ_col wx·x[tap]), rows first then the column, every tap multiplied (an outside
 *   one reads 0, so a NaN weight from a NaN or ±∞ grid value makes the output NaN in every padding)
 *
 * FLOPs as for resampling (upsample.ts): k taps cost k multiplies and k − 1 adds per output element:
 * bilinear 7 (4 taps), bicubic 31 (16 taps, as upsample's bicubic), nearest 0 (a copy); the
 * position and weight arithmetic per output position is not counted.
 * Receptive field: where a unit reads is given by the grid's values, so any input unit may be in
 * it: the field is global over the input, and a DATA_DEPENDENT_RECEPTIVE_FIELD warning says so.
 * Bicubic's 4×4 neighbourhood sits at the same data-dependent position, so the same rule holds.
 * VJP (torch's grid_sampler_2d_backward): x receives g through the same tap weights; the grid
 * receives Σ g·x·∂weight/∂position times the unnormalisation's scale (0 where border or
 * reflection padding clamped the position, the sign of a reflection's direction); nearest
 * sampling gives the grid no gradient. Bicubic pads integer taps, constant between pixel lines,
 * so its grid gradient is Σ g·x[tap]·∂(wx·wy)/∂t times the scale alone, whatever the padding.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalOver } from './receptive-field.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { bicubicBackward, bicubicForward, f32, unfolded, unnormalize } from './grid-sample-bicubic.js';

export const GridSampleAttrs = z.strictObject({
  mode: z.enum(['bilinear', 'nearest', 'bicubic']).default('bilinear'),
  paddingMode: z.enum(['zeros', 'border', 'reflection']).default('zeros'),
  alignCorners: z.boolean().default(false),
});
export type GridSampleAttrs = z.infer<typeof GridSampleAttrs>;

/** FLOPs per output element: k taps, k multiplies and k − 1 adds (upsample.ts's count). */
const TAP_FLOPS = { bilinear: 7, bicubic: 31, nearest: 0 } as const;
/**
 * MAX_RUN_WORK's work of the sampling loop, an output at GRID_OUTPUT + GRID_FLOP·TAP_FLOPS GEMM-
 * equivalent units: nearest 250, bilinear 306, bicubic 1490 (GRID_CUBIC_FLOP). bench/op-rates.ts, 2026-12-05, 2 vCPU
 * AMD EPYC (shared), against the 3×3 conv's 0.34 ns a MAC: bilinear 102 ns an output (38× the
 * cost's 8), bicubic with reflection 171 ns (16× the cost's 32).
 */
const GRID_OUTPUT = 250;
const GRID_FLOP = 8;
/**
 * Bicubic's FLOP: at 8 its loop ran at 3.4–6.2 times the conv's time a unit (55–192 ns an output
 * with reflection), bilinear's at 1.3–1.4 (bench/op-rates.ts, 2026-12-05, load 11–15): bicubic
 * 250 + 40·31 = 1490 an output, not 498.
 */
export const GRID_CUBIC_FLOP = 40;

/**
 * The padded source coordinate along an axis of `size` and d coordinate / d g, as torch's CPU
 * kernel computes them (GridSamplerKernel.cpp ComputeLocation) in its AVX2 build, x86's default:
 * in float32, each step rounded, so that a nearest tap at a half pixel picks torch's pixel (in
 * float64 the identity grid's 2/3 lands at 4.50000006 on a map of 6, not 4.5, and rounds the other
 * way), except where the compiler fused a multiply with the add after it, rounded once: (g + 1)·s
 * − 0.5 and |v| − n·twice (a product of two float32 is exact in float64, so one fround is the
 * FMA's). torch's plain build (ATEN_CPU_CAPABILITY=default) rounds those twice: far out reflected
 * positions (|g| ≥ 10^6, or 1.512 past the edge of 1,000 pixels) differ by a pixel between the two.
 *   unnormalise: alignCorners ? (g + 1)·((size − 1)/2) : (g + 1)·(size/2) − 0.5
 *   reflection about low = 0 (alignCorners) or −0.5, twice the span 2(size − 1) or 2·size:
 *     |v − low| less whole double spans, folded back past one span, plus low
 *   clip to [0, size − 1] (a NaN to 0, as torch's clamp_min(0, v) order gives)
 * The gradient: the unnormalisation's scale, times −1 for a reflection that turned the direction,
 * times 0 where the position was clipped (at or past an edge). The unnormalisation and the fold
 * are grid-sample-bicubic.ts's `unnormalize` and `unfolded`, which bicubic's taps share.
 */
function location(g: number, size: number, a: GridSampleAttrs): { v: number; grad: number } {
  let v = unnormalize(g, size, a.alignCorners);
  let grad = f32(a.alignCorners ? (size - 1) / 2 : size / 2);
  if (a.paddingMode === 'zeros') return { v, grad };
  if (a.paddingMode === 'reflection') {
    const low = a.alignCorners ? 0 : -0.5;
    const twice = f32(a.alignCorners ? (size - 1) * 2 : size * 2);
    if (a.alignCorners && size <= 1) return { v: 0, grad: 0 };
    const shifted = f32(v - low);
    const extra = unfolded(shifted, twice);
    const folded = f32(twice - extra);
    const flip = extra > folded;
    v = f32((flip ? folded : extra) + low);
    if (flip !== shifted < 0) grad = -grad;
  }
  if (Number.isNaN(v)) return { v: 0, grad };
  if (v <= 0 || v >= size - 1) grad = 0;
  return { v: Math.min(Math.max(v, 0), size - 1), grad };
}

/** Round half to even, as C's nearbyint under the default rounding mode. */
function nearbyint(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const gridSample: OpDef<GridSampleAttrs, null> = {
  name: 'gridSample',
  summary: 'Sample a feature map at normalised (x, y) positions given by a grid (bilinear, nearest or bicubic)',
  pytorch: 'torch.nn.functional.grid_sample',
  inputNames: ['x', 'grid'],
  minInputs: 2,
  attrs: GridSampleAttrs,
  infer(ctx) {
    if (ctx.attrs.mode === 'bicubic' && ctx.inputs[0].length === 5) {
      ctx.fail('RANK_MISMATCH', `bicubic grid sampling takes a 4-D input only (PyTorch's rule: "grid_sampler(): bicubic interpolation only supports 4D input"), got ${fmtShape(ctx.inputs[0])}`, 'inputs', { shapes: { x: ctx.inputs[0] } });
    }
    const x = expectRank(ctx, 0, NCHW_RANK);
    const g = ctx.inputs[1];
    if (g.length !== 4 || g[3] !== 2 || g[0] !== x[0]) {
      ctx.fail('SHAPE_MISMATCH', `grid ${fmtShape(g)} must be [${x[0]}, Hg, Wg, 2] for input ${fmtShape(x)}`, 'inputs', { shapes: { x, grid: g } });
    }
    const out = [x[0], x[1], g[1], g[2]];
    const kernelWork = numel(out) * (GRID_OUTPUT + (ctx.attrs.mode === 'bicubic' ? GRID_CUBIC_FLOP : GRID_FLOP) * TAP_FLOPS[ctx.attrs.mode]);
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: TAP_FLOPS[ctx.attrs.mode] * numel(out) }, kernelWork, plan: null };
  },
  receptiveField(ctx) {
    const rf = ctx.rf[0];
    if (!rf || rf.global) return rf;
    ctx.warn({
      code: 'DATA_DEPENDENT_RECEPTIVE_FIELD',
      message: `layer '${ctx.layer}': grid sampling reads wherever the grid's values point, so every input unit may be in an output unit's field; reported as global`,
    });
    const x = ctx.inputs[0];
    return globalOver(rf, x);
  },
  run(ctx) {
    const [x, grid] = ctx.inputs;
    const a = ctx.attrs;
    const [n, c, h, w] = x.shape;
    const [, hg, wg] = grid.shape;
    if (a.mode === 'bicubic') return [tensor(ctx.outputs[0], bicubicForward(x.data, grid.data, n, c, h, w, hg * wg, a))];
    const out = new Float32Array(n * c * hg * wg);
    const plane = h * w;
    const positions = hg * wg;
    const inside = (yy: number, xx: number) => yy >= 0 && yy < h && xx >= 0 && xx < w;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < positions; p++) {
        const gi = (b * positions + p) * 2;
        const sx = location(grid.data[gi], w, a).v;
        const sy = location(grid.data[gi + 1], h, a).v;
        const dst = b * c * positions + p;
        const src = b * c * plane;
        if (a.mode === 'nearest') {
          const ix = nearbyint(sx);
          const iy = nearbyint(sy);
          if (!inside(iy, ix)) continue;
          for (let ch = 0; ch < c; ch++) out[dst + ch * positions] = x.data[src + ch * plane + iy * w + ix];
          continue;
        }
        // a position at NaN or ±∞ (zeros padding: nothing clamps it) has NaN weights: torch's four taps, read
        // as 0 outside the map, are each multiplied by one, so the output is NaN
        if (!Number.isFinite(sx) || !Number.isFinite(sy)) {
          for (let ch = 0; ch < c; ch++) out[dst + ch * positions] = NaN;
          continue;
        }
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        // the four taps and their weights; a tap outside the map reads 0 (zeros padding). A tap
        // inside with weight 0 is read as PyTorch reads it: 0·NaN and 0·∞ are NaN
        for (let t = 0; t < 4; t++) {
          const yy = y0 + (t >> 1);
          const xx = x0 + (t & 1);
          const wt = (t >> 1 ? fy : 1 - fy) * (t & 1 ? fx : 1 - fx);
          if (!inside(yy, xx)) continue;
          const at = src + yy * w + xx;
          for (let ch = 0; ch < c; ch++) out[dst + ch * positions] += wt * x.data[at + ch * plane];
        }
      }
    }
    return [tensor(ctx.outputs[0], out)];
  },
  vjp(ctx) {
    const [x, grid] = ctx.inputs;
    const a = ctx.attrs;
    const [n, c, h, w] = x.shape;
    const [, hg, wg] = grid.shape;
    const gx = new Float32Array(x.data.length);
    const gGrid = new Float32Array(grid.data.length);
    const g = ctx.gradOutputs[0]?.data;
    if (!g) return [tensor(x.shape, gx), tensor(grid.shape, gGrid)];
    if (a.mode === 'bicubic') {
      bicubicBackward(x.data, grid.data, g, { n, c, h, w, positions: hg * wg }, a, gx, gGrid);
      return [tensor(x.shape, gx), tensor(grid.shape, gGrid)];
    }
    const plane = h * w;
    const positions = hg * wg;
    const inside = (yy: number, xx: number) => yy >= 0 && yy < h && xx >= 0 && xx < w;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < positions; p++) {
        const gi = (b * positions + p) * 2;
        const sx = location(grid.data[gi], w, a).v;
        const sy = location(grid.data[gi + 1], h, a).v;
        const dst = b * c * positions + p;
        const src = b * c * plane;
        if (a.mode === 'nearest') {
          // a piecewise-constant read: the picked pixel gets g, the grid none
          const ix = nearbyint(sx);
          const iy = nearbyint(sy);
          if (inside(iy, ix)) for (let ch = 0; ch < c; ch++) gx[src + ch * plane + iy * w + ix] += g[dst + ch * positions];
          continue;
        }
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        let dx = 0;
        let dy = 0;
        for (let t = 0; t < 4; t++) {
          const oy = t >> 1;
          const ox = t & 1;
          const yy = y0 + oy;
          const xx = x0 + ox;
          if (!inside(yy, xx)) continue;
          const wt = (oy ? fy : 1 - fy) * (ox ? fx : 1 - fx);
          // ∂weight/∂sx and ∂weight/∂sy of this tap
          const wx = (ox ? 1 : -1) * (oy ? fy : 1 - fy);
          const wy = (oy ? 1 : -1) * (ox ? fx : 1 - fx);
          const at = src + yy * w + xx;
          for (let ch = 0; ch < c; ch++) {
            const go = g[dst + ch * positions];
            gx[at + ch * plane] += wt * go;
            const v = x.data[at + ch * plane] * go;
            dx += wx * v;
            dy += wy * v;
          }
        }
        gGrid[gi] = dx * location(grid.data[gi], w, a).grad;
        gGrid[gi + 1] = dy * location(grid.data[gi + 1], h, a).grad;
      }
    }
    return [tensor(x.shape, gx), tensor(grid.shape, gGrid)];
  },
};
