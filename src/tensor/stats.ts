/**
 * Summary statistics of a result tensor (min, max, mean, population std): the `stats` of every
 * REST and GraphQL answer and the x-tensor-stats header, computed on the main thread as it answers.
 */
import type { Tensor } from './tensor.js';

export interface TensorStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Elements that are NaN or ±Infinity (JSON writes them, and a statistic they make non-finite, as null). */
  nonFinite: number;
}

/** NaN and ±Infinity elements: counted only when the sum says there are some (a float64 sum of float32 values cannot overflow). */
function countNonFinite(d: Float32Array): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) n++;
  return n;
}

/** Adds d[from, to) into acc: partial sums at 0–3 (a group of four a lane each, a last partial group in the first), min at 4, max at 5. */
function sumSlice(d: Float32Array, from: number, to: number, acc: Float64Array): void {
  // read one by one (a destructuring's iterator left V8 keeping the sums as boxed numbers)
  let s0 = acc[0];
  let s1 = acc[1];
  let s2 = acc[2];
  let s3 = acc[3];
  let min = acc[4];
  let max = acc[5];
  const whole = to - ((to - from) % 4);
  let i = from;
  for (; i < whole; i += 4) {
    const v0 = d[i];
    const v1 = d[i + 1];
    const v2 = d[i + 2];
    const v3 = d[i + 3];
    s0 += v0;
    s1 += v1;
    s2 += v2;
    s3 += v3;
    if (v0 < min) min = v0;
    if (v0 > max) max = v0;
    if (v1 < min) min = v1;
    if (v1 > max) max = v1;
    if (v2 < min) min = v2;
    if (v2 > max) max = v2;
    if (v3 < min) min = v3;
    if (v3 > max) max = v3;
  }
  for (; i < to; i++) {
    const v = d[i];
    s0 += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  acc[0] = s0;
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
  acc[4] = min;
  acc[5] = max;
}

/** Adds the squared deviations from `mean` of d[from, to) into acc's four partial sums. */
function squaresSlice(d: Float32Array, from: number, to: number, mean: number, acc: Float64Array): void {
  let q0 = acc[0];
  let q1 = acc[1];
  let q2 = acc[2];
  let q3 = acc[3];
  const whole = to - ((to - from) % 4);
  let i = from;
  for (; i < whole; i += 4) {
    const e0 = d[i] - mean;
    const e1 = d[i + 1] - mean;
    const e2 = d[i + 2] - mean;
    const e3 = d[i + 3] - mean;
    q0 += e0 * e0;
    q1 += e1 * e1;
    q2 += e2 * e2;
    q3 += e3 * e3;
  }
  for (; i < to; i++) {
    const e = d[i] - mean;
    q0 += e * e;
  }
  acc[0] = q0;
  acc[1] = q1;
  acc[2] = q2;
  acc[3] = q3;
}

/**
 * Min, max, mean and (population) standard deviation in two passes, pausing (a bare `yield`) after
 * every `slice` elements (in whole groups of four, at least four) so a caller on the event loop can
 * let others run; the numbers do not depend on `slice`. Each pass keeps four partial sums (the
 * elements of each group of four a lane each), added pairwise at the end: one float64 sum's chain
 * of dependent additions was the bound (a 3×3 conv's 1.6 M outputs took 7.1–7.4 ms on the main
 * thread for every answer's statistics, now 3.4–3.7), and four partial sums round no worse than
 * one running sum.
 * The loops are plain functions, which V8 optimizes while they run (a generator's own loops it
 * does not). Min and max compare element by element, so a NaN is skipped there as before (and
 * makes the sums NaN).
 */
export function* statsInSteps(t: Tensor, slice = 1 << 20): Generator<void, TensorStats, void> {
  const d = t.data;
  const n = d.length;
  if (n === 0) return { min: 0, max: 0, mean: 0, std: 0, nonFinite: 0 };
  // whole groups of four a slice, so the partial sums see every element at the same place
  const step = Number.isFinite(slice) && slice < n ? Math.max(4, slice - (slice % 4)) : n;
  const acc = new Float64Array([0, 0, 0, 0, Infinity, -Infinity]);
  for (let from = 0; from < n; from += step) {
    sumSlice(d, from, Math.min(n, from + step), acc);
    yield;
  }
  const mean = (acc[0] + acc[1] + (acc[2] + acc[3])) / n;
  const [min, max] = [acc[4], acc[5]];
  acc.fill(0);
  for (let from = 0; from < n; from += step) {
    const to = Math.min(n, from + step);
    squaresSlice(d, from, to, mean, acc);
    if (to < n) yield;
  }
  return { min, max, mean, std: Math.sqrt((acc[0] + acc[1] + (acc[2] + acc[3])) / n), nonFinite: Number.isFinite(mean) ? 0 : countNonFinite(d) };
}

export function stats(t: Tensor): TensorStats {
  const steps = statsInSteps(t, Number.MAX_SAFE_INTEGER);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
