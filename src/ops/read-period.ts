/**
 * Periods of a resampling's reads (ReadPeriod, receptive-field.ts), so that its receptive field
 * visits one period and the borders rather than every output unit (16,777,216 at most per axis).
 *
 * A source coordinate src(o) = A·o + B with A = p/q (q, p integers, q ≤ MAX_PERIOD) moves by
 * exactly p input units every q output units; a read that is a function of src alone (floor,
 * round, the taps either side, their weights, a pixel centre), away from the clamps at the borders,
 * then repeats: read(o + q) = read(o) + p. That holds for the reads as computed (floats), not only
 * in exact arithmetic, when each float operation is an exact one or a correctly rounded quotient
 * of exact operands (src = (o + ½)/scale − ½ with scale = n/2^k a float; o·(I − 1)/(O − 1)): the
 * exact quotient is then on an integer or half-integer, which a float holds exactly, or at least
 * 1/(2q) ≥ 2^−21 from every one, far beyond the float error (|src|·2^−52 ≤ 2^−27) and the 10^−7 a
 * pixel-centre test allows, so floor, round, ties, zero weights and pixel centres decide alike
 * one period on. A scale that is no such fraction (7/3 as a float, 1.1) has no period here: the
 * field visits every unit (the envelope is unchanged, the work O(out)).
 *
 *   interior: from = the first o with src(o) ≥ MARGIN, to = the first with src(o) > I − 1 − MARGIN
 *   (binary search: src is non-decreasing), MARGIN = 3 input units, beyond any tap (cubic reads
 *   floor(src) − 1 … floor(src) + 2, a pixel centre n reads n ± 2) and any clamp.
 */

/**
 * Reads that repeat: for from ≤ o < o + units < to, read(o + units) = read(o) + shift, exactly (an
 * integer shift). Unit o's offsets lo(o) − o·step and hi(o) − o·step then change by the same
 * shift − units·step from one period to the next (0 when step is shift/units; adaptive pooling's
 * mean spacing of the starts may differ a little), so for each residue o mod units they are
 * extreme at its first or its last unit in [from, to): readEnvelope visits [0, from + units) and
 * [to − units, count) only, O(period + borders) rather than O(count), with the same result. The
 * op that gives one vouches for it (resample-field.ts readPeriod, upsample-nd.ts, adaptiveRF's gcd).
 */
export interface ReadPeriod {
  units: number;
  shift: number;
  from: number;
  to: number;
}

/** The longest period followed, in output units (beyond it the field visits every unit). */
export const MAX_PERIOD = 2 ** 20;
/** Input units kept from each border by the interior (header). */
const MARGIN = 3;

/** A float x as n/d in lowest terms with d a power of two (every finite float is one), or null past 2^40. */
export function dyadic(x: number): { num: number; den: number } | null {
  if (!Number.isFinite(x)) return null;
  let den = 1;
  while (!Number.isInteger(x * den)) {
    den *= 2;
    if (den > 2 ** 40) return null;
  }
  return Math.abs(x * den) <= Number.MAX_SAFE_INTEGER ? { num: x * den, den } : null;
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** The period of reads that repeat at every unit (a copy, nearest ×2 by size): `units` output units move them by `shift`. */
export function wholePeriod(units: number, shift: number, count: number): ReadPeriod {
  return { units, shift, from: 0, to: count };
}

/**
 * The interior period of reads of src(o) = (o·num)/den + offset, A = num/den (integers, num ≥ 0):
 * q = den/g, p = num/g; null when q > MAX_PERIOD. `src` is the source as the kernel computes it.
 */
export function interiorPeriod(num: number, den: number, inSize: number, count: number, src: (o: number) => number): ReadPeriod | null {
  if (!(num >= 0 && den > 0 && Number.isSafeInteger(num) && Number.isSafeInteger(den))) return null;
  const g = gcd(num, den) || 1;
  const [units, shift] = [den / g, num / g];
  if (units > MAX_PERIOD) return null;
  const first = (pred: (o: number) => boolean) => {
    let [lo, hi] = [0, count];
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (pred(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const from = first((o) => src(o) >= MARGIN);
  const to = first((o) => src(o) > inSize - 1 - MARGIN);
  return { units, shift, from, to };
}

/** The period of reads at the step A = 1/scale, scale a float (header): scale = n/d, A = d/n. */
export function scalePeriod(scale: number, inSize: number, count: number, src: (o: number) => number): ReadPeriod | null {
  const s = dyadic(scale);
  return s ? interiorPeriod(s.den, s.num, inSize, count, src) : null;
}

/** The period of alignCorners reads, src = o·(I − 1)/(O − 1). */
export function alignedPeriod(inSize: number, count: number, src: (o: number) => number): ReadPeriod | null {
  return count > 1 ? interiorPeriod(inSize - 1, count - 1, inSize, count, src) : null;
}
