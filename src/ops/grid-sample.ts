/**
 * gridSample: sampling a feature map at given normalised positions (ONNX GridSample opsets 16+;
 * torch.nn.functional.grid_sample on 4-D input): spatial transformers, flow warping, deformable
 * DETR's sampling.
 *
 *   x [N, C, H, W], grid [N, Hg, Wg, 2] holding (x, y) in [−1, 1] → y [N, C, Hg, Wg]
 *   unnormalised position: alignCorners ? (g + 1)/2·(size − 1) : ((g + 1)·size − 1)/2
 *   paddingMode zeros: taps outside the map read 0; border: the position is clamped to
 *   [0, size − 1]; reflection: reflected about the map's edges (the corner pixels' centres with
 *   alignCorners, their outer edges without), then clamped
 *   mode bilinear: the four neighbours weighted by distance; nearest: the closest, halves to even
 *   (torch's nearbyint)
 *
 * FLOPs as for resampling (upsample.ts): bilinear 7 per output element (4 multiplies, 3 adds),
 * nearest 0 (a copy); the position arithmetic per output position is not counted.
 * Receptive field: where a unit reads is given by the grid's values, so any input unit may be in
 * it: the field is global over the input, and a DATA_DEPENDENT_RECEPTIVE_FIELD warning says so.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { globalRF } from './receptive-field.js';
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

/** torch's reflect_coordinates: reflect `v` into [lo2/2, hi2/2] (twice the bounds given). */
function reflect(v: number, lo2: number, hi2: number): number {
  if (lo2 === hi2) return 0;
  const min = lo2 / 2;
  const span = (hi2 - lo2) / 2;
  const a = Math.abs(v - min);
  const extra = a % span;
  const flips = Math.floor(a / span);
  return flips % 2 === 0 ? extra + min : span - extra + min;
}

/** The unnormalised, padded source coordinate along an axis of `size`. */
function source(g: number, size: number, a: GridSampleAttrs): number {
  let v = a.alignCorners ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2;
  if (a.paddingMode === 'reflection') v = a.alignCorners ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1);
  if (a.paddingMode !== 'zeros') v = Math.min(Math.max(v, 0), size - 1);
  return v;
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
    return globalRF(rf, [x[rf.dims[0]], x[rf.dims[1]]]);
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
        const sx = source(grid.data[gi], w, a);
        const sy = source(grid.data[gi + 1], h, a);
        const dst = b * c * positions + p;
        const src = b * c * plane;
        if (a.mode === 'nearest') {
          const ix = nearbyint(sx);
          const iy = nearbyint(sy);
          if (!inside(iy, ix)) continue;
          for (let ch = 0; ch < c; ch++) out[dst + ch * positions] = x.data[src + ch * plane + iy * w + ix];
          continue;
        }
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        // the four taps and their weights; a tap outside the map reads 0 (zeros padding)
        for (let t = 0; t < 4; t++) {
          const yy = y0 + (t >> 1);
          const xx = x0 + (t & 1);
          const wt = (t >> 1 ? fy : 1 - fy) * (t & 1 ? fx : 1 - fx);
          if (!inside(yy, xx) || wt === 0) continue;
          const at = src + yy * w + xx;
          for (let ch = 0; ch < c; ch++) out[dst + ch * positions] += wt * x.data[at + ch * plane];
        }
      }
    }
    return [tensor(ctx.outputs[0], out)];
  },
};
