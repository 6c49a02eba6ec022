/**
 * roiAlign's sampling grid (ops/detection.ts): a ROI in feature-map coordinates as torchvision
 * computes it, its samples per bin that fall on the map, and a visit of every output bin with them,
 * computed once for all channels. The kernels (forward and vector-Jacobian product) read a bin's
 * corners and bilinear weights from binCorners, also once per bin.
 */
import { ConvlensError, fmtShape } from '../errors.js';

/** The attributes the grid depends on (RoiAlignAttrs' part). */
export interface RoiGridAttrs {
  samplingRatio: number;
  spatialScale: number;
  coordinateTransformationMode: 'half_pixel' | 'output_half_pixel';
}

/** torchvision holds sampling_ratio and the adaptive grid in a C++ int. */
export const INT32_MAX = 2 ** 31 - 1;

/** ROI k in feature-map coordinates as torchvision computes it, and its sampling grid per bin (gh, gw; ≤ 0 or NaN: no samples). */
export function roiGeometry(r: ArrayLike<number>, k: number, a: RoiGridAttrs, PH: number, PW: number) {
  const aligned = a.coordinateTransformationMode === 'half_pixel';
  const offset = aligned ? 0.5 : 0;
  const x1 = r[4 * k] * a.spatialScale - offset;
  const y1 = r[4 * k + 1] * a.spatialScale - offset;
  let rw = r[4 * k + 2] * a.spatialScale - offset - x1;
  let rh = r[4 * k + 3] * a.spatialScale - offset - y1;
  if (!aligned) {
    // torchvision aligned=False: "Force malformed ROIs to be 1x1"
    rw = Math.max(rw, 1);
    rh = Math.max(rh, 1);
  }
  const gh = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(rh / PH);
  const gw = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(rw / PW);
  return { x1, y1, rw, rh, gh, gw, samples: gh > 0 && gw > 0 ? gh * gw : 0 };
}

/** Why ROI k's adaptive grid cannot be sampled (over the C++ int torchvision holds it in), or null. */
export function gridError(r: ArrayLike<number>, k: number, g: { gh: number; gw: number }): string | null {
  if (!(g.gh > INT32_MAX || g.gw > INT32_MAX)) return null;
  const box = Array.from({ length: 4 }, (_, i) => r[4 * k + i]).join(', ');
  return `rois[${k}] = [${box}] needs a sampling grid of ${g.gh} rows × ${g.gw} columns per bin (⌈roi size / output size⌉), over the ${INT32_MAX} torchvision's int grid holds`;
}

/**
 * One axis of a ROI: its samples that fall on the map ([−1, size]; those off it read 0), bin by
 * bin (bin p's are first[p] … first[p + 1] − 1), each with its two rows (columns) and the fraction
 * towards the second. The arrays grow as needed and are reused from ROI to ROI.
 */
class AxisSamples {
  first: Int32Array;
  lo = new Int32Array(64);
  hi = new Int32Array(64);
  frac = new Float64Array(64);

  constructor(bins: number) {
    this.first = new Int32Array(bins + 1);
  }

  /** Bin p's samples sit at start + p·bin + (i + 0.5)·bin/grid, i = 0 … grid − 1. */
  fill(size: number, bins: number, start: number, bin: number, grid: number): void {
    let n = 0;
    for (let p = 0; p < bins; p++) {
      this.first[p] = n;
      const origin = start + p * bin;
      // those on the map are one run of i, found from the ends of [−1, size] (a margin absorbs the rounding, the test
      // below decides): visiting only them bounds the work by the map, not the box
      let [i0, i1] = [0, grid > 0 ? grid : 0];
      if (bin !== 0 && i1 > 0) {
        const clamp = (t: number) => Math.max(-1, Math.min(grid + 1, t));
        const a = clamp(((-1 - origin) * grid) / bin - 0.5);
        const b = clamp(((size - origin) * grid) / bin - 0.5);
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        i0 = Math.max(0, Math.floor(Math.min(a, b)) - 1);
        i1 = Math.min(grid, Math.ceil(Math.max(a, b)) + 2);
      }
      for (let i = i0; i < i1; i++) {
        let c = origin + ((i + 0.5) * bin) / grid;
        if (!(c >= -1 && c <= size)) continue;
        if (c <= 0) c = 0;
        let lo = Math.floor(c);
        let hi = lo + 1;
        if (lo >= size - 1) lo = hi = c = size - 1;
        if (n === this.lo.length) this.grow();
        this.lo[n] = lo;
        this.hi[n] = hi;
        this.frac[n++] = c - lo;
      }
    }
    this.first[bins] = n;
  }

  /** Doubles the arrays, keeping what they hold (amortised: a ROI's samples are appended). */
  private grow(): void {
    const twice = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(2 * a.length);
      b.set(a);
      return b;
    };
    this.lo = twice(this.lo, (n) => new Int32Array(n));
    this.hi = twice(this.hi, (n) => new Int32Array(n));
    this.frac = twice(this.frac, (n) => new Float64Array(n));
  }
}

/** What forEachBin hands its visitor for one output bin (one object, updated in place). */
export interface Bin {
  /** ROI k of image `batch`, bin (ph, pw): index ph·PW + pw of bins = PH·PW */
  k: number;
  batch: number;
  ph: number;
  pw: number;
  index: number;
  bins: number;
  ys: AxisSamples;
  xs: AxisSamples;
  /** The bin's grid gh·gw (the average's divisor; 0 when the grid is empty) */
  samples: number;
  /** Some of its samples fall off the map (each reads 0). */
  offMap: boolean;
}

/**
 * Visits every output bin of every ROI with the samples it reads on the map, computed once for all
 * channels. A bin of adaptive grid ⌈roi_h/oh⌉ × ⌈roi_w/ow⌉ ≤ 0 (a reversed box under half_pixel,
 * which torchvision does not force to 1×1) has no samples: its output is 0, as torchvision's loops
 * (and ONNX's reference) make it.
 */
export function forEachBin(
  ctx: { attrs: RoiGridAttrs; inputs: readonly { shape: readonly number[]; data: Float32Array }[]; outputs: readonly (readonly number[])[] },
  visit: (bin: Bin) => void,
): void {
  const [x, rois, idx] = ctx.inputs;
  const a = ctx.attrs;
  const [, , H, W] = x.shape;
  const [K, , PH, PW] = ctx.outputs[0];
  const s: Bin = { k: 0, batch: 0, ph: 0, pw: 0, index: 0, bins: PH * PW, ys: new AxisSamples(PH), xs: new AxisSamples(PW), samples: 0, offMap: false };
  for (let k = 0; k < K; k++) {
    const b = idx.data[k];
    if (!(Number.isInteger(b) && b >= 0 && b < x.shape[0])) {
      throw new ConvlensError('INVALID_TENSOR', `batchIndices[${k}] = ${b} is not an image of x ${fmtShape(x.shape)} (0…${x.shape[0] - 1})`, { path: '$.inputs[2]', shapes: { x: [...x.shape] } });
    }
    const g = roiGeometry(rois.data, k, a, PH, PW);
    const e = gridError(rois.data, k, g);
    if (e) throw new ConvlensError('INVALID_TENSOR', e, { path: '$.inputs[1]', shapes: { rois: [...rois.shape] } });
    s.ys.fill(H, PH, g.y1, g.rh / PH, g.samples > 0 ? g.gh : 0);
    s.xs.fill(W, PW, g.x1, g.rw / PW, g.samples > 0 ? g.gw : 0);
    [s.k, s.batch, s.samples] = [k, b, g.samples];
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++) {
        const onMap = (s.ys.first[ph + 1] - s.ys.first[ph]) * (s.xs.first[pw + 1] - s.xs.first[pw]);
        [s.ph, s.pw, s.index, s.offMap] = [ph, pw, ph * PW + pw, onMap < g.samples];
        visit(s);
      }
    }
  }
}

/** A bin's corners: offsets within a channel's plane and their bilinear weights, four a sample (scratch reused from bin to bin). */
export interface Corners {
  pos: Int32Array;
  wt: Float64Array;
}

/**
 * Fills `c` with bin s's corners in the kernels' order (row lo then hi, column lo then hi, each
 * weighted (1 − ly)(1 − lx), (1 − ly)lx, ly(1 − lx), ly·lx: the products the kernels used inline,
 * so the sums are unchanged) and returns how many; grows the scratch when a bin has more.
 */
export function binCorners(s: Bin, W: number, c: Corners): number {
  const { ys, xs } = s;
  const [y0, y1, x0, x1] = [ys.first[s.ph], ys.first[s.ph + 1], xs.first[s.pw], xs.first[s.pw + 1]];
  const need = 4 * (y1 - y0) * (x1 - x0);
  if (need > c.pos.length) [c.pos, c.wt] = [new Int32Array(need), new Float64Array(need)];
  const { pos, wt } = c;
  let n = 0;
  for (let i = y0; i < y1; i++) {
    const [r0, r1, ly] = [ys.lo[i] * W, ys.hi[i] * W, ys.frac[i]];
    for (let j = x0; j < x1; j++) {
      const lx = xs.frac[j];
      pos[n] = r0 + xs.lo[j];
      wt[n++] = (1 - ly) * (1 - lx);
      pos[n] = r0 + xs.hi[j];
      wt[n++] = (1 - ly) * lx;
      pos[n] = r1 + xs.lo[j];
      wt[n++] = ly * (1 - lx);
      pos[n] = r1 + xs.hi[j];
      wt[n++] = ly * lx;
    }
  }
  return n;
}
