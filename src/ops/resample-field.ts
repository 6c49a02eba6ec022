/**
 * The receptive field of upsample and resize over the resampling plan (upsample-plan.ts).
 *
 * Receptive field: unit o reads the taps of nonzero weight (a weight of exactly 0, as PyTorch's at
 * a source clamped to 0 or on a pixel centre, carries no gradient: autograd leaves it out too, though
 * the kernel multiplies it, so a NaN or ±∞ there still makes NaN); the field
 * is the envelope of those reads (readEnvelope) at the step of the coordinate transform (0 from
 * one input unit, which every output unit reads): 1/scale (PyTorch uses the scale factor given),
 * (in − 1)/(out − 1) for align_corners, in/out for an axis PyTorch reads by size,
 * |end − start|·(in − 1)/(out − 1) for tf_crop_and_resize (an extrapolated unit counts the edge
 * taps it would read: a bound, not the envelope; a flipped roi, start > end,
 * reads backwards, so its box at the positive step spans both ends: conv3×3 → resize flipping H of
 * a 6×6 map → conv3×3 is 15 on H, where the reads' own extent is 7, and 7 on W). Bilinear ×2 reads floor(src)
 * and floor(src) + 1, src = o/2 − ¼ clamped at 0: [0, 0], [0, 1], [0, 1], [1, 2], [1, 2] …: size 2.5,
 * padding 1 at step ½. ONNX's antialias widens the taps (filteredTaps), and the field with them:
 * linear ×½ reads 2o − 1 … 2o + 2, size 4.
 */
import { perAxisWindow, resampleReads, spreadRF } from './receptive-field.js';
import { alignedPeriod, dyadic, interiorPeriod, scalePeriod, wholePeriod } from './read-period.js';
import type { ReadPeriod } from './read-period.js';
import type { RFContext, TensorRF } from './types.js';
import { atenSizeIndex, copiesAxis, filterWidth, filtered, filteredSpan, filteredUnit, pytorchStep, sourceCoordinate, unitTaps } from './upsample-plan.js';
import type { AxisTaps, ResamplePlan } from './upsample-plan.js';

/** The step of the field along one axis (header). */
function resampleStep(p: ResamplePlan, axis: number): number {
  if (copiesAxis(p, axis)) return 1;
  const [inSize, outSize] = [p.inSize[axis], p.outSize[axis]];
  if (p.transform === 'align_corners' && p.mode !== 'nearest') return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  if (p.crop) {
    // a flipped roi (start > end) reads backwards: at the step's magnitude the envelope still holds
    // every unit's reads (a wider box: the field grows, never shrinks, as a negative jump made it)
    const [start, end] = p.crop.roi[axis];
    return outSize > 1 ? Math.abs(((end - start) * (inSize - 1)) / (outSize - 1)) : 0;
  }
  const bySize = p.nearestBySize && p.mode === 'nearest' && atenSizeIndex(0, inSize, outSize, false) !== null;
  return bySize ? inSize / outSize : 1 / p.scale[axis];
}

/** Within this many input units of an integer, a source coordinate is on a pixel centre (onCentre). */
const ON_CENTRE = 1e-7;

/**
 * A source on a pixel centre n (src = n in exact arithmetic: ×3 half pixel, (o − 1)/3; alignCorners'
 * last unit, I − 1) is n ± an ulp in ATen's float arithmetic, which floors it to n − 1 or n by the
 * dtype (float64 with FMA: 0.99…9; float32: 1): the taps of either side carry an ulp of weight, so
 * the unit may read n − reach … n + reach (reach 1 linear, 2 cubic), within the input. A source of
 * exactly 0 by construction (clamped below 0, alignCorners' unit 0) is 0 in any arithmetic: `exact`.
 */
export function onCentre(read: readonly [number, number], src: number, inSize: number, reach: number, exact: boolean): [number, number] {
  const n = Math.round(src);
  if (exact || Math.abs(src - n) > ON_CENTRE) return [read[0], read[1]];
  return [Math.min(read[0], Math.max(n - reach, 0)), Math.max(read[1], Math.min(n + reach, inSize - 1))];
}

/** The input units output o reads: the span of its taps of nonzero weight, either side of a pixel centre (onCentre, header). */
export function tapSpan(p: ResamplePlan, axis: number, t: AxisTaps, o: number, at = o * t.taps): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = at; k < at + t.taps; k++) {
    if (t.weight[k] === 0) continue;
    lo = Math.min(lo, t.index[k]);
    hi = Math.max(hi, t.index[k]);
  }
  const read: [number, number] = lo <= hi ? [lo, hi] : [t.index[at], t.index[at]];
  return centredSpan(p, axis, o, read, t.taps);
}

/** tapSpan's reads either side of a pixel centre (onCentre) for a filter of `taps` taps. */
function centredSpan(p: ResamplePlan, axis: number, o: number, read: [number, number], taps: number): [number, number] {
  if (p.mode === 'nearest' || copiesAxis(p, axis)) return read;
  const src = sourceCoordinate(p, axis, o);
  // linear clamps a source below 0 to exactly 0 (PyTorch's half pixel; ONNX's linear at both edges); the filtered taps (cubic, antialias) do not clamp
  const exact = (p.transform === 'align_corners' && o === 0) || (!filtered(p) && (src < -ON_CENTRE || (!p.pytorchSizeRules && src > p.inSize[axis] - 1 + ON_CENTRE)));
  // a filter of 2m taps reads m either side of a centre (1 linear, 2 cubic, more with antialias)
  return onCentre(read, src, p.inSize[axis], taps / 2, exact);
}

/**
 * How the reads of one axis repeat (read-period.ts): a copy every unit, nearest ×2 by size every
 * two; PyTorch's float32 nearest (asymmetric, floor) reads floor(o·c), c = float32(1/scale), which
 * is exact, so periodic, when o·c fits float32's 24 bits, and nearest-exact floor(float32((o + ½)·c))
 * when (2o + 1)·c does (else every unit: ×2.5 on 6,000,017 rows was 1.999999999 by a period
 * of float64 quotients the kernel does not compute, 2 by every unit); every other source is a correctly rounded
 * quotient, periodic when the scale (alignCorners: (I − 1)/(O − 1)) is a fraction of small numerator.
 */
function readPeriod(p: ResamplePlan, axis: number, taps: number): ReadPeriod | null {
  const [inSize, count] = [p.inSize[axis], p.outSize[axis]];
  // sources computed with a float offset or product (tf_crop_and_resize, half_pixel_symmetric) are not the
  // exact quotients of the header, and antialias's taps reach past the interior's margin of 3: every unit
  if (p.crop || p.transform === 'half_pixel_symmetric' || taps > 4) return null;
  if (copiesAxis(p, axis)) return wholePeriod(1, 1, count);
  const bySize = p.mode === 'nearest' && p.nearestBySize ? atenSizeIndex(0, inSize, count, false) !== null : false;
  if (bySize) return count === inSize ? wholePeriod(1, 1, count) : wholePeriod(2, 1, count);
  const src = (o: number) => sourceCoordinate(p, axis, o);
  if (p.mode === 'nearest' && p.transform === 'asymmetric' && p.nearestMode === 'floor') {
    const c = dyadic(Math.fround(1 / p.scale[axis]));
    if (!c || (count - 1) * c.num >= 2 ** 24) return null;
    return interiorPeriod(c.num, c.den, inSize, count, (o) => Math.fround(o * Math.fround(1 / p.scale[axis])));
  }
  if (p.mode === 'nearest' && p.transform === 'tf_half_pixel_for_nn' && p.nearestMode === 'floor' && p.pytorchSizeRules) {
    // nearest-exact: float32((o + ½)·c), exact (so periodic) when (2o + 1)·num fits float32's 24 bits, as upsample-nd's
    const r = Math.fround(1 / p.scale[axis]);
    const c = dyadic(r);
    if (!c || c.num * (2 * count + 1) >= 2 ** 24) return null;
    return interiorPeriod(c.num, c.den, inSize, count, (o) => Math.fround((o + 0.5) * r));
  }
  // upsample's bilinear: exact multiples of a float32 step (pytorchStep), periodic in its dyadic fraction
  const step = pytorchStep(p, axis);
  if (step !== null) {
    const c = dyadic(step);
    return c ? interiorPeriod(c.num, c.den, inSize, count, src) : null;
  }
  if (p.transform === 'align_corners') return alignedPeriod(inSize, count, src);
  return scalePeriod(p.scale[axis], inSize, count, src);
}

/**
 * The field of upsample and resize: the envelope of every unit's reads, per spatial axis (header),
 * whatever their number (N,C,L; N,C,H,W; N,C,D,H,W). A spatial axis outside the plan is kept as it
 * is; a batch or channel axis resampled mixes images or channels, not positions: the field is as before.
 */
export function resampleRF(ctx: RFContext<unknown, ResamplePlan>): TensorRF | null {
  const inp = ctx.rf[0];
  if (!inp || inp.global) return spreadRF(inp, ctx.inputs[0], ctx.outputs[0]);
  const p = ctx.plan;
  return perAxisWindow(inp, ctx.inputs[0].length - 2, ctx.inputs[0], (ax, i) => {
    const k = p.dims.indexOf(2 + i);
    if (k < 0) return ax;
    // one unit's taps at a time: only the units readEnvelope visits are computed (readPeriod); the
    // filtered taps (cubic, antialias: any number) by their outermost nonzero weights, O(1) a unit (filteredSpan)
    const n = filterWidth(p, k);
    const taps: AxisTaps | null = filtered(p) ? null : { taps: n, index: new Int32Array(n), weight: new Float64Array(n) };
    const read = (o: number) => {
      if (!taps) {
        const clamp = (i: number) => Math.min(Math.max(i, 0), p.inSize[k] - 1);
        const first = clamp(filteredUnit(p, k, o, n).first);
        return centredSpan(p, k, o, filteredSpan(p, k, o, n) ?? [first, first], n);
      }
      unitTaps(p, k, o, taps.index, taps.weight, 0, n);
      return tapSpan(p, k, taps, o, 0);
    };
    return resampleReads(ax, p.inSize[k], resampleStep(p, k), p.outSize[k], read, readPeriod(p, k, n));
  });
}

