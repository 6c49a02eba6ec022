/**
 * channelShuffle (ShuffleNet): reshape (N, g, C/g, H, W) → transpose dims 1, 2 → flatten back.
 * PyTorch: torch.nn.ChannelShuffle, any rank ≥ 3 (N, C, …: [N, C, L] and [N, C, D, H, W] too; a
 * rank-2 input is refused, as F.channel_shuffle's "expects input with > 2 dims"). A permutation: no arithmetic; output channel
 * c' = (c mod (C/g))·g + floor(c / (C/g)) holds input channel c.
 * VJP: the inverse permutation, ∂x[c] = g[c'] (a shuffle with C/g groups).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { ZERO_COST } from './types.js';
import type { OpDef } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { gradOrZeros } from './vjp-kernels.js';

export const ChannelShuffleAttrs = z.strictObject({ groups: posInt });
export type ChannelShuffleAttrs = z.infer<typeof ChannelShuffleAttrs>;

export const channelShuffle: OpDef<ChannelShuffleAttrs, null> = {
  name: 'channelShuffle',
  summary: 'ShuffleNet channel shuffle across groups',
  pytorch: 'torch.nn.ChannelShuffle',
  inputNames: ['x'],
  minInputs: 1,
  attrs: ChannelShuffleAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    if (x.length < 3) ctx.fail('RANK_MISMATCH', `channelShuffle needs (N, C, …) with at least one position dim, as PyTorch does, got ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
    if (x[1] % ctx.attrs.groups !== 0) {
      ctx.fail('INVALID_ATTRIBUTE', `groups=${ctx.attrs.groups} does not divide ${x[1]} channels (input ${fmtShape(x)})`, 'groups', {
        shapes: { input: x },
      });
    }
    return { outputs: [x], weights: [], cost: ZERO_COST, plan: null };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run: (ctx) => [tensor(ctx.inputs[0].shape, shuffle(ctx.inputs[0].data, ctx.inputs[0].shape, ctx.attrs.groups, false))],
  vjp: (ctx) => [tensor(ctx.inputs[0].shape, shuffle(gradOrZeros(ctx), ctx.inputs[0].shape, ctx.attrs.groups, true))],
};

/** Moves channel c to c' (or, inverse, c' back to c), one plane (the positions of all dims after C) at a time. */
function shuffle(data: Float32Array, shape: readonly number[], g: number, inverse: boolean): Float32Array {
  const [n, c] = shape;
  const perGroup = c / g;
  const plane = data.length / (n * c);
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const to = (ch % perGroup) * g + Math.floor(ch / perGroup);
      const [src, dst] = inverse ? [to, ch] : [ch, to];
      out.set(data.subarray((b * c + src) * plane, (b * c + src + 1) * plane), (b * c + dst) * plane);
    }
  }
  return out;
}
