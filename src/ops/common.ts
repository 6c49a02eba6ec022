import { fmtShape } from '../errors.js';
import type { InferContext, Shape } from './types.js';

export function expectRank<A>(ctx: InferContext<A>, index: number, rank: number): Shape {
  const shape = ctx.inputs[index];
  if (shape.length !== rank) {
    ctx.fail(
      'RANK_MISMATCH',
      `input ${index} must have ${rank} dimensions (N, C, H, W), got shape ${fmtShape(shape)}`,
      'inputs',
      { shapes: { [`input${index}`]: shape } },
    );
  }
  return shape;
}

/** Checks an optional declared channel count against the input, and the group divisibility. */
export function checkChannels<A>(
  ctx: InferContext<A>,
  input: Shape,
  declared: number | undefined,
  declaredField: string,
  groups: number,
  outChannels: number,
): void {
  const c = input[1];
  if (declared !== undefined && declared !== c) {
    ctx.fail('CHANNEL_MISMATCH', `${declaredField}=${declared} but the input ${fmtShape(input)} has ${c} channels`, declaredField, {
      shapes: { input },
    });
  }
  if (c % groups !== 0) {
    ctx.fail('INVALID_ATTRIBUTE', `groups=${groups} does not divide ${c} input channels (input ${fmtShape(input)})`, 'groups', {
      shapes: { input },
    });
  }
  if (outChannels % groups !== 0) {
    ctx.fail('INVALID_ATTRIBUTE', `groups=${groups} does not divide ${outChannels} output channels`, 'groups', {
      shapes: { input },
    });
  }
}
