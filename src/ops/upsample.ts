/**
 * upsample: nearest and bilinear interpolation, by scale factor or to a size.
 * PyTorch: torch.nn.Upsample / torch.nn.functional.interpolate.
 *
 *   H' = size, or floor(H·scale)
 *   nearest:  src = floor(o·H/H') (PyTorch "nearest"; with a scale factor, floor(o / scale))
 *   bilinear: alignCorners false: src = (o + 0.5)·H/H' − 0.5, clamped at 0; true: src = o·(H − 1)/(H' − 1)
 *   FLOPs per output: nearest 0 (a copy); bilinear 7 (4 weighted taps: 4 mul + 3 add)
 * Receptive field: a resampling of step H/H' reading 1 (nearest) or 2 (bilinear) input units.
 */
import { z } from 'zod';
import { pair, posInt } from './geometry.js';
import { resample } from './receptive-field.js';
import { expectRank } from './common.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';

const positive = z.number().positive();

export const UpsampleAttrs = z
  .strictObject({
    mode: z.enum(['nearest', 'bilinear']).default('nearest'),
    scaleFactor: z.union([positive, z.tuple([positive, positive])]).optional(),
    size: z.union([posInt, z.tuple([posInt, posInt])]).optional(),
    alignCorners: z.boolean().optional(),
  })
  .refine((a) => (a.scaleFactor === undefined) !== (a.size === undefined), {
    message: 'give exactly one of scaleFactor and size',
    path: ['scaleFactor'],
  })
  .refine((a) => a.mode === 'bilinear' || a.alignCorners === undefined, {
    message: 'alignCorners applies to bilinear mode only (PyTorch rule)',
    path: ['alignCorners'],
  });
export type UpsampleAttrs = z.infer<typeof UpsampleAttrs>;

export interface UpsamplePlan {
  /** Per axis: input units per output unit, used by the kernel and the receptive field. */
  step: [number, number];
  alignCorners: boolean;
}

export const upsample: OpDef<UpsampleAttrs, UpsamplePlan> = {
  name: 'upsample',
  summary: 'Nearest or bilinear interpolation by a scale factor or to a size (alignCorners true/false)',
  pytorch: 'torch.nn.Upsample',
  inputNames: ['x'],
  minInputs: 1,
  attrs: UpsampleAttrs,
  infer(ctx) {
    const x = expectRank(ctx, 0, 4);
    const a = ctx.attrs;
    const scale = a.scaleFactor !== undefined ? pair(a.scaleFactor) : null;
    const out = [0, 1].map((i) => (scale ? Math.floor(x[2 + i] * scale[i]) : pair(a.size!)[i]));
    if (out.some((o) => o <= 0)) {
      ctx.fail('NON_POSITIVE_SIZE', `layer '${ctx.layer}': output size [${out.join(', ')}] is not positive`, 'scaleFactor', { shapes: { x } });
    }
    const alignCorners = a.alignCorners ?? false;
    // PyTorch scales by 1/scaleFactor when it is given (recompute_scale_factor unset), else by in/out.
    const step = [0, 1].map((i) =>
      a.mode === 'bilinear' && alignCorners ? (out[i] > 1 ? (x[2 + i] - 1) / (out[i] - 1) : 0) : scale ? 1 / scale[i] : x[2 + i] / out[i],
    ) as [number, number];
    const shape = [x[0], x[1], out[0], out[1]];
    return {
      outputs: [shape],
      weights: [],
      cost: { ...ZERO_COST, elementwise: a.mode === 'bilinear' ? 7 * numel(shape) : 0 },
      plan: { step, alignCorners },
    };
  },
  receptiveField(ctx) {
    const inp = ctx.rf[0];
    if (!inp || inp.global) return inp;
    const bilinear = ctx.attrs.mode === 'bilinear';
    return {
      global: false,
      axes: inp.axes.map((ax, i) => {
        const step = ctx.plan.step[i];
        if (!bilinear) return resample(ax, step, 0, 0);
        const centreOffset = ctx.plan.alignCorners ? 0 : 0.5 * step - 0.5;
        return resample(ax, step, 1, centreOffset);
      }),
    };
  },
};
