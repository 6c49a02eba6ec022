/**
 * What the 1-D/3-D operators (conv-nd.ts, conv-transpose-nd.ts, pool-nd.ts, upsample-nd.ts) share:
 * the [N, C, …spatial] rank check, and the receptive-field rule for maps TensorRF cannot carry.
 */
import { fmtShape } from '../errors.js';
import { axisName } from './geometry-nd.js';
import type { InferContext, RFContext, Shape, TensorRF } from './types.js';

/** The input must be [N, C, …spatial] with `rank` spatial axes. */
export function expectSpatialRank<A>(ctx: InferContext<A>, rank: number): Shape {
  const x = ctx.inputs[0];
  if (x.length !== rank + 2) {
    const dims = rank === 1 ? '(N, C, L)' : '(N, C, D, H, W)';
    ctx.fail('RANK_MISMATCH', `input 0 must have ${rank + 2} dimensions ${dims}, got shape ${fmtShape(x)}`, 'inputs', { shapes: { input0: x } });
  }
  return x;
}

/** The RF over 1 or 3 axes is not representable in TensorRF's [h, w]: null, and said so once per layer. */
export function receptiveFieldNd<A, P>(kind: string) {
  return (ctx: RFContext<A, P>): TensorRF | null => {
    const rank = ctx.inputs[0].length - 2;
    ctx.warn({
      code: 'RECEPTIVE_FIELD_NOT_COMPUTED',
      message: `${kind} over ${rank} spatial axis${rank === 1 ? '' : 'es'} [${[...Array(rank).keys()].map((a) => axisName(rank, a)).join(', ')}]: receptive fields are computed for 2-D maps [h, w] only; reported as null`,
    });
    return null;
  };
}
