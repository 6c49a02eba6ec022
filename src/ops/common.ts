import { fmtShape } from '../errors.js';
import { numel } from '../tensor/tensor.js';
import type { InferContext, Shape, WeightSpec } from './types.js';

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

/**
 * The weight and optional bias of a conv-like or linear layer, initialised as PyTorch's modules
 * do: both U(−1/√fan_in, 1/√fan_in) with fan_in = weight.size(1)·∏kernel (for a transposed conv,
 * whose weight is [Cin, Cout/g, kh, kw], that is Cout/g·kh·kw, as torch computes it).
 */
export function weightAndBias(weight: Shape, biasChannels: number | null): WeightSpec[] {
  const init = { kind: 'fanIn' as const, fanIn: numel(weight.slice(1)) };
  const specs: WeightSpec[] = [{ name: 'weight', shape: weight, trainable: true, init }];
  if (biasChannels !== null) specs.push({ name: 'bias', shape: [biasChannels], trainable: true, init });
  return specs;
}

/** A per-channel vector filled with one value (BN's affine and running statistics). */
export function channelVector(name: string, channels: number, value: number, trainable: boolean): WeightSpec {
  return { name, shape: [channels], trainable, init: { kind: 'constant', value } };
}
