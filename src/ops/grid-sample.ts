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
 *
 * FLOPs as for resampling (upsample.ts): bilinear 7 per output element (4 multiplies, 3 adds),
 * nearest 0 (a copy); the position arithmetic per output position is not counted.
 * Receptive field: where a unit reads is given by the grid's values, so any input unit may be in
 * it: the field is global over the input, and a DATA_DEPENDENT_RECEPTIVE_FIELD warning says so.
 * VJP (torch's grid_sampler_2d_backward): x receives g through the same tap weights; the grid
 * receives Σ g·x·∂weight/∂position times the unnormalisation's scale (0 where border or
 * reflection padding clamped the position, the sign of a reflection's direction); nearest
 * sampling gives the grid no gradient.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalOver } from './receptive-field.js';
import { NCHW_RANK, expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';

export const GridSampleAttrs = z.strictObject({
  mode: z.enum(['bilinear', 'nearest']).default('bilinear'),
  paddingMode: z.enum(['zeros', 'border', 'reflection']).default('zeros'),
  alignCorners: z.boolean().default(false),
});
export type GridSampleAttrs = z.infer<typeof GridSampleAttrs>;

const f32 = Math.fround;

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
 * times 0 where the position was clipped (at or past an edge).
 */
function location(g: number, size: number, a: GridSampleAttrs): { v: number; grad: number } {
  const scale = f32(a.alignCorners ? (size - 1) / 2 : size / 2);
  const sum = f32(f32(g) + 1);
  let v = a.alignCorners ? f32(sum * scale) : f32(sum * scale - 0.5);
  let grad = scale;
  if (a.paddingMode === 'zeros') return { v, grad };
  if (a.paddingMode === 'reflection') {
    const low = a.alignCorners ? 0 : -0.5;
    const twice = f32(a.alignCorners ? (size - 1) * 2 : size * 2);
    if (a.alignCorners && size <= 1) return { v: 0, grad: 0 };
    const shifted = f32(v - low);
    const abs = Math.abs(shifted);
    const extra = f32(abs - Math.trunc(f32(abs / twice)) * twice);
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
  summary: 'Sample a feature map at normalised (x, y) positions given by a grid (bilinear or nearest)',
  pytorch: 'torch.nn.functional.grid_sample',
  inputNames: ['x', 'grid'],
  minInputs: 2,
  attrs: GridSampleAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, NCHW_RANK);
    const g = ctx.inputs[1];
    if (g.length !== 4 || g[3] !== 2 || g[0] !== x[0]) {
      ctx.fail('SHAPE_MISMATCH', `grid ${fmtShape(g)} must be [${x[0]}, Hg, Wg, 2] for input ${fmtShape(x)}`, 'inputs', { shapes: { x, grid: g } });
    }
    const out = [x[0], x[1], g[1], g[2]];
    return { outputs: [out], weights: [], cost: { ...ZERO_COST, elementwise: ctx.attrs.mode === 'bilinear' ? 7 * numel(out) : 0 }, plan: null };
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
