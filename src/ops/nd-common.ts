/**
 * What the 1-D/3-D operators (conv-nd.ts, conv-transpose-nd.ts, pool-nd.ts, upsample-nd.ts) share:
 * the [N, C, …spatial] rank check. (Their receptive fields are receptive-field.ts's per-axis rules.)
 */
import { fmtShape } from '../errors.js';
import type { InferContext, Shape } from './types.js';

/** The input must be [N, C, …spatial] with `rank` spatial axes. */
export function expectSpatialRank<A>(ctx: InferContext<A>, rank: number): Shape {
  const x = ctx.inputs[0];
  if (x.length !== rank + 2) {
    const dims = rank === 1 ? '(N, C, L)' : '(N, C, D, H, W)';
    ctx.fail('RANK_MISMATCH', `input 0 must have ${rank + 2} dimensions ${dims}, got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
  }
  return x;
}
