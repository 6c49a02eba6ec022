/**
 * Adaptive pooling's windows along one axis (PyTorch's start_index / end_index): of `in` input
 * units pooled to `out`, window o spans [floor(o·in/out), ceil((o + 1)·in/out)).
 * A plan keeps only (in, out) per axis: kernels and the receptive field compute a window's bounds
 * when they reach it, so a plan costs the same at outputSize 1 or 16,777,216 (a table per axis held
 * 8 bytes an output unit for the whole analysis).
 */
import { gcd } from './read-period.js';

/** One spatial axis of an adaptive pooling: `in` input units to `out` output units. */
export interface AdaptiveAxis {
  readonly in: number;
  readonly out: number;
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
