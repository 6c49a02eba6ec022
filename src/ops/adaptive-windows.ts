/**
 * Adaptive pooling's output size and windows along one axis (PyTorch's start_index / end_index):
 * of `in` input units pooled to `out`, window o spans [floor(o·in/out), ceil((o + 1)·in/out)).
 * A plan keeps only (in, out) per axis: kernels and the receptive field compute a window's bounds
 * when they reach it, so a plan costs the same at outputSize 1 or 16,777,216 (a table per axis held
 * 8 bytes an output unit for the whole analysis).
 *
 * outputSize: one number for every axis, or one entry per axis; over 2 and 3 axes an entry may be
 * null, PyTorch's None (nn.AdaptiveAvgPool2d((None, 7)), F.adaptive_max_pool3d(x, (4, None, None))):
 * that axis keeps its input size (its windows [o, o + 1)). Resolved once into the plan's (in, out)
 * (adaptiveAxes), which shape, cost, receptive field, kernel and VJP read. As PyTorch 1.13: a lone
 * null is refused (F.adaptive_avg_pool2d(x, None): "object of type 'NoneType' has no len()"), and
 * 1-D takes none (F.adaptive_avg_pool1d(x, (None,)): "must be tuple of ints").
 */
import { z } from 'zod';
import { gcd } from './read-period.js';
import { posInt } from './geometry.js';
import { perAxis } from './geometry-nd.js';
import type { Shape } from './types.js';

/** One spatial axis of an adaptive pooling: `in` input units to `out` output units. */
export interface AdaptiveAxis {
  readonly in: number;
  readonly out: number;
}

/** A size, or null: that axis's input size (PyTorch's None). */
const sizeOrInput = posInt.nullable();

/**
 * The outputSize attribute over `rank` spatial axes: 1-D one number (or a list of one); 2-D a
 * number or [h, w]; 3-D a number or [t, h, w], entries of 2-D and 3-D a size or null. An entry's
 * own refusal (0, −1, 2.5) keeps its path, $.attributes.outputSize[1], as the entries' schema did.
 */
export function adaptiveOutputSize(rank: 1 | 2 | 3) {
  if (rank === 1) return perAxis(1).describe('the output length (no null: PyTorch 1-D adaptive pooling takes no None)');
  const entries = rank === 2 ? z.tuple([sizeOrInput, sizeOrInput]) : z.array(sizeOrInput).length(3);
  const axes = rank === 2 ? '[height, width], or one number for both' : '[depth, height, width], or one number for all';
  return z.union([posInt, entries]).describe(`the output ${axes}; an entry null keeps that axis's input size (PyTorch's None)`);
}
export type AdaptiveOutputSize = number | readonly (number | null)[];

/** (in, out) per spatial axis of x [N, C, …spatial]: out the outputSize entry, or the input's size where it is null. */
export function adaptiveAxes(x: Shape, outputSize: AdaptiveOutputSize): AdaptiveAxis[] {
  return x.slice(2).map((size, a) => ({ in: size, out: (typeof outputSize === 'number' ? outputSize : outputSize[a]) ?? size }));
}

/** Whether outputSize sets every output axis (no null): the output's size then no longer follows the input's (Inferred.fixedSize). */
export function fixesSize(outputSize: AdaptiveOutputSize): boolean {
  return typeof outputSize === 'number' || outputSize.every((s) => s !== null);
}

/** First input unit of window o. */
export function windowStart(o: number, inSize: number, outSize: number): number {
  return Math.floor((o * inSize) / outSize);
}

/** One past the last input unit of window o. */
export function windowEnd(o: number, inSize: number, outSize: number): number {
  return Math.ceil(((o + 1) * inSize) / outSize);
}

/**
 * Σ over the windows of their lengths, in + out − gcd(in, out): the ends overshoot o·in/out by
 * the same fractions the starts fall short, (out − g)/2 each (8 → 7: windows [o, o + 1], 14).
 */
export function windowLengthSum({ in: i, out: o }: AdaptiveAxis): number {
  return i + o - gcd(i, o);
}
