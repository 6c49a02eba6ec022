/**
 * linear (fully connected) and flatten.
 * PyTorch: torch.nn.Linear (applied to the last dimension), torch.nn.Flatten.
 *
 *   linear: params Ci·Co + Co; MACs = rows·Ci·Co; exact = rows·(2·Ci − 1)·Co (the notes)
 *   flatten: merges dims startDim..endDim; no arithmetic. Flattening the spatial axes makes every
 *   feature depend on the whole map, so the receptive field becomes global.
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { globalRF } from './receptive-field.js';
import { ZERO_COST, numel } from './types.js';
import type { OpDef } from './types.js';

export const LinearAttrs = z.strictObject({
  outFeatures: posInt,
  inFeatures: posInt.optional(),
  bias: z.boolean().default(true),
});
export type LinearAttrs = z.infer<typeof LinearAttrs>;

export const linear: OpDef<LinearAttrs, { rows: number; inFeatures: number }> = {
  name: 'linear',
  summary: 'Fully connected layer over the last dimension',
  pytorch: 'torch.nn.Linear',
  inputNames: ['x'],
  minInputs: 1,
  weighted: true,
  attrs: LinearAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    const ci = x[x.length - 1];
    if (a.inFeatures !== undefined && a.inFeatures !== ci) {
      ctx.fail(
        'CHANNEL_MISMATCH',
        `layer '${ctx.layer}': inFeatures=${a.inFeatures} but the input ${fmtShape(x)} has ${ci} features in its last dimension`,
        'inFeatures',
        { shapes: { input: x } },
      );
    }
    const rows = numel(x) / ci;
    const co = a.outFeatures;
    const weights = [{ name: 'weight', shape: [co, ci], trainable: true }];
    if (a.bias) weights.push({ name: 'bias', shape: [co], trainable: true });
    return {
      outputs: [[...x.slice(0, -1), co]],
      weights,
      cost: { macs: rows * ci * co, exactMacOps: rows * (2 * ci - 1) * co, biasOps: a.bias ? rows * co : 0, elementwise: 0 },
      plan: { rows, inFeatures: ci },
    };
  },
  receptiveField: (ctx) => {
    const x = ctx.inputs[0];
    // A linear over the width axis of a spatial map mixes the whole row: treat it as global.
    return x.length === 4 ? globalRF(ctx.rf[0], x.slice(2)) : ctx.rf[0];
  },
};

export const FlattenAttrs = z.strictObject({ startDim: z.number().int().default(1), endDim: z.number().int().default(-1) });
export type FlattenAttrs = z.infer<typeof FlattenAttrs>;

export const flatten: OpDef<FlattenAttrs, { start: number; end: number }> = {
  name: 'flatten',
  summary: 'Merge a range of dimensions into one',
  pytorch: 'torch.nn.Flatten',
  inputNames: ['x'],
  minInputs: 1,
  attrs: FlattenAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const norm = (d: number, field: string) => {
      const v = d < 0 ? d + x.length : d;
      if (v < 0 || v >= x.length) ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': ${field}=${d} is out of range for input ${fmtShape(x)}`, field, { shapes: { input: x } });
      return v;
    };
    const start = norm(ctx.attrs.startDim, 'startDim');
    const end = norm(ctx.attrs.endDim, 'endDim');
    if (start > end) ctx.fail('INVALID_ATTRIBUTE', `layer '${ctx.layer}': startDim ${start} is after endDim ${end}`, 'startDim');
    const merged = x.slice(start, end + 1).reduce((p, d) => p * d, 1);
    return { outputs: [[...x.slice(0, start), merged, ...x.slice(end + 1)]], weights: [], cost: ZERO_COST, plan: { start, end } };
  },
  receptiveField(ctx) {
    const x = ctx.inputs[0];
    const touchesSpatial = x.length === 4 && ctx.plan.end >= 2;
    return touchesSpatial ? globalRF(ctx.rf[0], x.slice(2)) : ctx.rf[0];
  },
};
