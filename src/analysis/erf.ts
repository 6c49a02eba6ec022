/**
 * Effective receptive field statistics (Luo, Li, Urtasun, Zemel, NIPS 2016) of a contribution map
 * M[y, x] ≥ 0 over the input (the channel-summed magnitude of an output unit's input gradient),
 * against the unit's theoretical field. Pure functions over arrays; pixel (y, x) stands at its centre.
 *
 * - theoretical box: unit i covers input [i·S − P, i·S − P + r − 1] per axis (receptive-field.ts,
 *   Araujo et al.); fractional fields (after upsampling) are rounded outwards; `clipped` is the part
 *   inside the input, and `area` its pixel count. A global field is the whole input.
 * - support: the bounding box of the pixels with M ≠ 0 (it must lie inside the theoretical box).
 * - radius p: the smallest Euclidean distance d from the field's centre (i·S − P + (r − 1)/2) such
 *   that the pixels within d hold at least p of the mass Σ M.
 * - gaussian: a 2-D axis-aligned Gaussian fitted by moments (the maximum-likelihood fit to M as a
 *   density): μ = Σ M·y / Σ M, σ² = Σ M·(y − μ)² / Σ M, per axis.
 * - effectiveArea: the fewest pixels holding 95 % of the mass (largest first); areaRatio = that over
 *   the theoretical area inside the input.
 * - highContribution (Ding et al., RepLKNet, CVPR 2022, appendix and its erf/analyze_erf.py): the
 *   scores are rescaled as A = log10(M + 1) / max; for t, the smallest square of side 2k + 1
 *   (k = 1 … ⌊H/2⌋ − 1) centred on the unit's centre pixel whose share of Σ A exceeds t; ratio =
 *   side² / (H·W), the minimum rectangle's area over the input's. null when no square does.
 *
 * A clip [N, C, T, H, W] (a video network's input): the map M[y, x] sums channels and frames, so
 * every statistic above keeps its meaning; the time axis is told apart by `temporal`: the share of
 * Σ|g| in each input frame, and the unit's theoretical extent over frames (unit t covers frames
 * [t·S − P, t·S − P + r − 1] of its T axis, as a spatial axis), clipped to the clip.
 */
import { reportedRf } from '../ops/receptive-field.js';
import type { AxisRF } from '../ops/types.js';

/** Inclusive pixel bounds. */
export interface Box {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface UnitField {
  /** Per axis [h, w]; ignored when global. */
  axes: AxisRF[];
  global: boolean;
  /** The unit's [row, column] in its map; null for a unit without spatial axes. */
  position: [number, number] | null;
}

export interface HighContribution {
  t: number;
  /** Side of the square, or null when no square within the map holds more than t. */
  side: number | null;
  areaRatio: number | null;
}

export interface ErfStats {
  input: [number, number];
  theoretical: {
    global: boolean;
    size: [number, number];
    /** Unclipped (may reach into the padding). */
    box: Box;
    /** The part inside the input. */
    clipped: Box;
    area: number;
    centre: [number, number];
  };
  support: { box: Box | null; pixels: number; insideTheoretical: boolean };
  mass: number;
  radius: { p50: number | null; p90: number | null; p95: number | null };
  gaussian: { mean: [number, number]; sigma: [number, number] } | null;
  effectiveArea: number;
  areaRatio: number;
  highContribution: HighContribution[];
}

export const HIGH_CONTRIBUTION_T = [0.2, 0.3, 0.5, 0.99] as const;
export const RADIUS_P = [0.5, 0.9, 0.95] as const;

/** The unit's theoretical box (unclipped) and centre, in input pixels. */
export function theoreticalBox(field: UnitField, input: [number, number]): { box: Box; centre: [number, number]; size: [number, number] } {
  if (field.global || !field.position) {
    return { box: { top: 0, left: 0, bottom: input[0] - 1, right: input[1] - 1 }, centre: [(input[0] - 1) / 2, (input[1] - 1) / 2], size: [...input] };
  }
  const span = (axis: number) => {
    const { r, j, p } = field.axes[axis];
    const start = field.position![axis] * j - p;
    // as the analyzer reports the field (37.99999999999999 was 38 there and not here)
    return { lo: Math.floor(start + 1e-9), hi: Math.ceil(start + r - 1 - 1e-9), centre: reportedRf(start + (r - 1) / 2), size: reportedRf(r) };
  };
  const h = span(0);
  const w = span(1);
  return { box: { top: h.lo, left: w.lo, bottom: h.hi, right: w.hi }, centre: [h.centre, w.centre], size: [h.size, w.size] };
}

function clip(b: Box, input: [number, number]): Box {
  return { top: Math.max(0, b.top), left: Math.max(0, b.left), bottom: Math.min(input[0] - 1, b.bottom), right: Math.min(input[1] - 1, b.right) };
}

const boxArea = (b: Box) => Math.max(0, b.bottom - b.top + 1) * Math.max(0, b.right - b.left + 1);

/** The bounding box of the non-zero entries, and how many there are. */
export function supportBox(map: ArrayLike<number>, h: number, w: number): { box: Box | null; pixels: number } {
  let top = h;
  let left = w;
  let bottom = -1;
  let right = -1;
  let pixels = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (map[row + x] === 0) continue;
      pixels++;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
      if (x < left) left = x;
      if (x > right) right = x;
    }
  }
  return { box: pixels ? { top, left, bottom, right } : null, pixels };
}

/** The smallest radius around `centre` holding each fraction of the mass (null for an empty map). */
export function massRadii(map: ArrayLike<number>, h: number, w: number, centre: [number, number], fractions: readonly number[]): (number | null)[] {
  const n = h * w;
  const dist = new Float64Array(n);
  let total = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      dist[y * w + x] = Math.hypot(y - centre[0], x - centre[1]);
      total += map[y * w + x];
    }
  }
  if (!(total > 0)) return fractions.map(() => null);
  // the pixels by ring ⌊distance⌋ (a counting sort); a ring's pixels are sorted by distance only where
  // a fraction is reached inside it (a JS sort of every pixel took 11 s and 600 MB at 4096²)
  let rings = 0;
  for (let k = 0; k < n; k++) rings = Math.max(rings, Math.floor(dist[k]) + 1);
  const start = new Uint32Array(rings + 1);
  for (let k = 0; k < n; k++) start[Math.floor(dist[k]) + 1]++;
  for (let r = 0; r < rings; r++) start[r + 1] += start[r];
  const order = new Uint32Array(n);
  const next = start.slice(0, rings);
  for (let k = 0; k < n; k++) order[next[Math.floor(dist[k])]++] = k;
  const out: (number | null)[] = fractions.map(() => null);
  let acc = 0;
  let f = 0;
  const sorted = fractions.map((q, i) => [q, i] as const).sort((a, b) => a[0] - b[0]);
  const reached = () => f < sorted.length && acc >= sorted[f][0] * total * (1 - 1e-12);
  for (let r = 0; r < rings && f < sorted.length; r++) {
    let ringMass = 0;
    for (let k = start[r]; k < start[r + 1]; k++) ringMass += map[order[k]];
    const before = acc;
    acc += ringMass;
    if (!reached()) continue;
    acc = before;
    const ring = Array.from(order.subarray(start[r], start[r + 1])).sort((a, b) => dist[a] - dist[b]);
    for (let k = 0; k < ring.length; k++) {
      acc += map[ring[k]];
      // every pixel at the same distance counts together: the radius is a disc, not a pixel order
      if (k + 1 < ring.length && dist[ring[k + 1]] === dist[ring[k]]) continue;
      while (reached()) out[sorted[f++][1]] = dist[ring[k]];
    }
  }
  return out;
}

/** Moment fit of an axis-aligned Gaussian: mean and standard deviation per axis. */
export function gaussianFit(map: ArrayLike<number>, h: number, w: number): { mean: [number, number]; sigma: [number, number] } | null {
  let m = 0;
  let sy = 0;
  let sx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = map[y * w + x];
      m += v;
      sy += v * y;
      sx += v * x;
    }
  }
  if (!(m > 0)) return null;
  const my = sy / m;
  const mx = sx / m;
  let vy = 0;
  let vx = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = map[y * w + x];
      vy += v * (y - my) ** 2;
      vx += v * (x - mx) ** 2;
    }
  }
  return { mean: [my, mx], sigma: [Math.sqrt(vy / m), Math.sqrt(vx / m)] };
}

/** The fewest pixels (largest values first) holding `fraction` of the mass. */
export function areaHolding(map: ArrayLike<number>, fraction: number): number {
  const values = Float64Array.from(map).sort().reverse();
  let total = 0;
  for (const v of values) total += v;
  if (!(total > 0)) return 0;
  let acc = 0;
  for (let k = 0; k < values.length; k++) {
    acc += values[k];
    if (acc >= fraction * total * (1 - 1e-12)) return k + 1;
  }
  return values.length;
}

/** RepLKNet's high-contribution area ratio at each t, squares centred on pixel `centre`. */
export function highContribution(map: ArrayLike<number>, h: number, w: number, centre: [number, number], ts: readonly number[] = HIGH_CONTRIBUTION_T): HighContribution[] {
  const a = new Float64Array(h * w);
  let max = 0;
  for (let k = 0; k < a.length; k++) {
    a[k] = Math.log10(map[k] + 1);
    if (a[k] > max) max = a[k];
  }
  if (!(max > 0)) return ts.map((t) => ({ t, side: null, areaRatio: null }));
  let all = 0;
  for (let k = 0; k < a.length; k++) all += a[k] / max;
  const [cy, cx] = centre;
  // each square's sum is the one before it plus its ring at Chebyshev distance k (both clipped to the
  // map): O(H·W) for them all, where summing each square whole was O(H³), 46 s at 4096² outside MAX_RUN_WORK
  const at = (y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? a[y * w + x] / max : 0);
  const ring = (k: number) => {
    let s = 0;
    const x0 = Math.max(0, cx - k);
    const x1 = Math.min(w - 1, cx + k);
    for (const y of cy - k === cy + k ? [cy] : [cy - k, cy + k]) if (y >= 0 && y < h) for (let x = x0; x <= x1; x++) s += a[y * w + x] / max;
    const y0 = Math.max(0, cy - k + 1);
    const y1 = Math.min(h - 1, cy + k - 1);
    for (const x of [cx - k, cx + k]) if (x >= 0 && x < w) for (let y = y0; y <= y1; y++) s += a[y * w + x] / max;
    return s;
  };
  const sums: number[] = [];
  let square = at(cy, cx);
  for (let k = 1; k < Math.floor(h / 2); k++) sums.push((square += ring(k)));
  return ts.map((t) => {
    const k = sums.findIndex((s) => s / all > t);
    if (k < 0) return { t, side: null, areaRatio: null };
    const side = 2 * (k + 1) + 1;
    return { t, side, areaRatio: ((side / h) * side) / w };
  });
}

/** The unit's place along a clip's time axis: its T axis's field and frame, or global (null axis). */
export interface TemporalUnit {
  axis: AxisRF | null;
  position: number | null;
}

export interface ErfTemporal {
  /** Σ|g| of each input frame over Σ|g| (all zeros for a zero gradient); length T. */
  frames: number[];
  theoretical: {
    global: boolean;
    /** Frames the field spans (may reach past the clip into its padding). */
    size: number;
    /** The first and last frame of the clip it can see. */
    from: number;
    to: number;
  };
}

/** The unit's theoretical extent over a clip of `frames` frames. */
export function temporalExtent(unit: TemporalUnit, frames: number): ErfTemporal['theoretical'] {
  if (!unit.axis || unit.position === null) return { global: true, size: frames, from: 0, to: frames - 1 };
  const { r, j, p } = unit.axis;
  const start = unit.position * j - p;
  const from = Math.floor(start + 1e-9);
  const to = Math.ceil(start + r - 1 - 1e-9);
  return { global: false, size: reportedRf(r), from: Math.max(0, from), to: Math.min(frames - 1, to) };
}

/** Σ_{c, h, w} |g[0, c, t, h, w]| / Σ |g[0]| per frame t of a clip's gradient [N, C, T, H, W]. */
export function frameShares(grad: { shape: readonly number[]; data: ArrayLike<number> }): number[] {
  const [, c, t, h, w] = grad.shape;
  const hw = h * w;
  const mass = new Float64Array(t);
  for (let ch = 0; ch < c; ch++) {
    for (let f = 0; f < t; f++) {
      const base = (ch * t + f) * hw;
      for (let k = 0; k < hw; k++) mass[f] += Math.abs(grad.data[base + k]);
    }
  }
  let total = 0;
  for (const m of mass) total += m;
  return Array.from(mass, (m) => (total > 0 ? m / total : 0));
}

/**
 * Bytes a pixel that summarising one H×W map holds at its peak (runtime/erf-task.ts summaryTask,
 * asked of the request's memory budget before it runs): the magnitude map and its answer's copy, and
 * one pass of erfStats (a sorted copy of the map, the high-contribution squares' map, the distances and
 * their order). Measured as the peak resident memory above the task's start: 28–29 bytes a pixel at
 * 2048² and 4096² (one channel, one random sample), 40 with a stage's map beside it, 32 with the
 * heatmap (ERF_STAGE_BYTES_PER_PIXEL, ERF_HEATMAP_BYTES_PER_PIXEL).
 */
export const ERF_SUMMARY_BYTES_PER_PIXEL = 32;
/** A stage's mean map (float64) and its statistics' pass beside the unit's (summaryTask with stages). */
export const ERF_STAGE_BYTES_PER_PIXEL = 8;
/** The heatmap's RGB pixels and their PNG. */
export const ERF_HEATMAP_BYTES_PER_PIXEL = 4;

/** Every statistic of one map against one unit's field. */
export function erfStats(map: ArrayLike<number>, input: [number, number], field: UnitField): ErfStats {
  const [h, w] = input;
  const { box, centre, size } = theoreticalBox(field, input);
  const clipped = clip(box, input);
  const area = boxArea(clipped);
  const support = supportBox(map, h, w);
  const inside = support.box === null || (support.box.top >= box.top && support.box.left >= box.left && support.box.bottom <= box.bottom && support.box.right <= box.right);
  let mass = 0;
  for (let k = 0; k < h * w; k++) mass += map[k];
  const [p50, p90, p95] = massRadii(map, h, w, centre, RADIUS_P);
  const effectiveArea = areaHolding(map, 0.95);
  const centrePixel: [number, number] = [Math.min(h - 1, Math.max(0, Math.floor(centre[0]))), Math.min(w - 1, Math.max(0, Math.floor(centre[1])))];
  return {
    input: [h, w],
    theoretical: { global: field.global || !field.position, size, box, clipped, area, centre },
    support: { box: support.box, pixels: support.pixels, insideTheoretical: inside },
    mass,
    radius: { p50, p90, p95 },
    gaussian: gaussianFit(map, h, w),
    effectiveArea,
    areaRatio: area > 0 ? effectiveArea / area : 0,
    highContribution: highContribution(map, h, w, centrePixel),
  };
}

/**
 * Σ_c |g[0, c, y, x]|: the channel-summed magnitude of a [N, C, H, W] gradient's first batch item;
 * of a clip's [N, C, T, H, W], summed over channels and frames.
 */
export function magnitudeMap(grad: { shape: readonly number[]; data: ArrayLike<number> }): Float64Array {
  const [h, w] = grad.shape.slice(-2);
  // the channels (and frames) of batch item 0, each an H×W plane
  const planes = grad.shape.slice(1, -2).reduce((a, b) => a * b, 1);
  const out = new Float64Array(h * w);
  const hw = h * w;
  for (let ch = 0; ch < planes; ch++) {
    const base = ch * hw;
    for (let k = 0; k < hw; k++) out[k] += Math.abs(grad.data[base + k]);
  }
  return out;
}
