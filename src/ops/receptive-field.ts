/**
 * Receptive-field algebra (Araujo, Norris, Sim, "Computing Receptive Fields of CNNs", Distill 2019),
 * carried forward from the input so that it works on any DAG.
 *
 * Every spatial op is a resampling: output unit o reads an input span starting near o·step. With
 * the input field (r, j, p) and centre c = (r − 1)/2 − p of unit 0:
 *   r' = r + span·j          span: extent of the read, in input units (k_eff − 1 for a window)
 *   j' = j·step
 *   c' = c + centre·j        centre: where output unit 0's read is centred, in input units
 * A window (conv, pooling) has step s, span k_eff − 1, centre (k_eff − 1)/2 − pb, which gives
 * Araujo's r = s·r' + (k − s) backwards and P' = P + pb·j. Transposed convolution is a window of
 * fractional stride 1/s over the zero-stuffed input: span (k_eff − 1)/s, centre (pb − (k_eff − 1)/2)/s.
 * The algebra is per axis, so a field has one entry per spatial axis of its tensor, however many:
 * [l] over N,C,L (conv1d), [h, w] over N,C,H,W, [d, h, w] over N,C,D,H,W (conv3d, video).
 *
 * Beside the field, the border b (AxisRF.b) the resolution check needs: a layer whose output of
 * `out` units comes from in = step·out + c inputs (c: its border, windowBorder) adds c·j, so the
 * map's k units come from k·j + b input units.
 */
import type { AxisRF, TensorRF, Warning } from './types.js';
import type { AxisGeometry } from './geometry.js';
import { gcd } from './read-period.js';
import { windowEnd, windowStart } from './adaptive-windows.js';
import type { AdaptiveAxis } from './adaptive-windows.js';
import type { ReadPeriod } from './read-period.js';
import { oneUnitReads, piecesEnvelope, spreadAxes, widestRank } from './receptive-broadcast.js';
import { phaseGrid } from './receptive-phases.js';

export const INPUT_RF: AxisRF = Object.freeze({ r: 1, j: 1, p: 0 });

/** A field's size, stride, padding or centre as reported: rounded to 1e-9 (upsampling's float residue, 37.99999999999999). */
export const reportedRf = (v: number): number => Math.round(v * 1e9) / 1e9;

export const centre = (rf: AxisRF): number => (rf.r - 1) / 2 - rf.p;

/** `border`: the layer's c of in = step·out + c, in its input's units (0 unless the layer loses or adds a border). */
export function resample(inp: AxisRF, step: number, span: number, centreOffset: number, border = 0): AxisRF {
  const r = inp.r + span * inp.j;
  const j = inp.j * step;
  const c = centre(inp) + centreOffset * inp.j;
  const b = (inp.b ?? 0) + border * inp.j;
  return b === 0 ? { r, j, p: (r - 1) / 2 - c } : { r, j, p: (r - 1) / 2 - c, b };
}

/**
 * A resampling whose local window is not one (k, s, p) for every unit (interpolation, adaptive
 * pooling, nearest upsampling, depth-to-space): output unit o reads input units read(o) = [lo, hi]
 * (clamped borders included), the same index arithmetic as the op's kernel. At the step s the
 * field uses, the tightest affine box holding every unit's read is [o·s − p, o·s − p + k − 1] with
 * p = max_o (o·s − lo(o)) and k − 1 = max_o (hi(o) − o·s) + p: a window of span k − 1 centred at
 * (k − 1)/2 − p, composed with the incoming field as any window (r' = r + (k − 1)·j, j' = j·s,
 * P' = P + p·j). Bilinear ×2 (half pixel, source clamped at 0): reads [0, 0], [0, 1], [0, 1], [1, 2],
 * [1, 2] … at s = ½: p = 1, k = 2.5. Nearest ×2 (floor): units 2k and 2k + 1 both read k, span ½
 * and centre −¼ (read as one unit at o/2, span 0, the odd units' boxes missed a row, up to J − J/2
 * input pixels at an input stride J: FPN's top-down path). Given the period of the reads
 * (ReadPeriod, read-period.ts), it visits one period and the borders: the same box in O(period +
 * borders) rather than O(count) (bilinear ×2 of 8,388,608 input units: 9 units at each border, not 16,777,216).
 */
export function readEnvelope(step: number, count: number, read: (o: number) => readonly [number, number], period?: ReadPeriod | null): { span: number; centre: number } {
  let lo = Infinity;
  let hi = -Infinity;
  const visit = (from: number, to: number) => {
    for (let o = from; o < to; o++) {
      const [a, b] = read(o);
      lo = Math.min(lo, a - o * step);
      hi = Math.max(hi, b - o * step);
    }
  };
  // periodic between the borders: one period of the interior stands for all of it (ReadPeriod)
  if (period && period.units > 0 && period.from >= 0 && period.to <= count && period.to - period.from > period.units) {
    visit(0, period.from + period.units);
    visit(Math.max(period.from + period.units, period.to - period.units), count);
  } else visit(0, count);
  return count > 0 ? { span: hi - lo, centre: (lo + hi) / 2 } : { span: 0, centre: 0 };
}

/**
 * A resampling's field on one axis of `inUnits` input units: the incoming field through the envelope of the reads (readEnvelope)
 * at `step`; from one input unit read by several, step 0 as expand's (spreadAxes spreads it): 1/scale put x + upsample(x[:, :, 1:2], size 4)'s unit 3 at rows [1, 1.75].
 */
export function resampleReads(inp: AxisRF, inUnits: number, step: number, count: number, read: (o: number) => readonly [number, number], period?: ReadPeriod | null): AxisRF {
  // one unit to one is the identity, whatever the scale (upsample by 1.5 of one row reads it at 1/1.5)
  if (inUnits === 1) return count > 1 ? resample(inp, 0, 0, 0) : inp;
  const env = readEnvelope(step, count, read, period);
  return resample(inp, step, env.span, env.centre);
}

/** Depth-to-space by `b` along one axis of `inUnits` units (pixel shuffle, and its reshape form): units b·h … b·h + b − 1 read unit h, the envelope over one block. */
export function blockToSpace(inp: AxisRF, inUnits: number, b: number): AxisRF {
  return resampleReads(inp, inUnits, 1 / b, b, (o) => [Math.floor(o / b), Math.floor(o / b)]);
}

/**
 * A window's border c (in = s·out + c): of the input sizes that give its `out` units, [lo, hi], the
 * one nearest s·out whose last window neither stops short of the last unit by more than the
 * stride's gap (a dropped pixel) nor hangs past the end padding (ceil mode): c in [k_eff − s −
 * pads, max(k_eff − s, 0) − pb] (else nearest s·out of all). SqueezeNet's ceil-mode 3×3 stride-2
 * pools: 1 (223 → 111 → 55 → 27 → 13), not 0 (209: three hang over). Floor: lo − s·out = k_eff −
 * pads − s, hi − s·out = k_eff − pads − 1. Ceil mode's start one stride earlier, less PyTorch's
 * correction dropping a last window that would start in the end padding ((out − 1)·s ≥ in + pb):
 * lo ≥ 1 − s − pb, and hi = min(k_eff − pads, −pb) when k_eff − pe < s. An unpadded 3×3 conv: 2; a
 * stride-2 3×3 conv padded 1: 0 (224 → 112); a 1×1 conv padded 1: −2; a 2×2 stride-2 ceil-mode pool
 * padded 1: −1 (5 → 3 → 6).
 */
export function windowBorder(g: AxisGeometry): number {
  const { stride: s, effKernel: k, padBegin: pb, padEnd: pe } = g;
  const pads = pb + pe;
  const [lo, hi] = g.ceilMode ? [Math.max(k - pads - 2 * s + 1, 1 - s - pb), k - pe < s ? Math.min(k - pads, 0 - pb) : k - pads - s] : [k - pads - s, k - pads - 1];
  // short of the last unit by no more than the stride's gap (a 1×1 stride-2 conv reads every other one)
  const [cleanLo, cleanHi] = [Math.max(lo, k - s - pads), Math.min(hi, Math.max(k - s, 0) - pb)];
  const [a, b] = cleanLo <= cleanHi ? [cleanLo, cleanHi] : [lo, hi];
  return Math.min(Math.max(0, a), b);
}

/** The spatial axes' names in the report, as PyTorch names the layouts: N,C,L → [l]; N,C,H,W → [h, w]; N,C,D,H,W → [d, h, w] (d: depth, time). */
export type AxisName = 'l' | 'd' | 'h' | 'w';
const AXIS_NAMES: Record<number, AxisName[]> = { 1: ['l'], 2: ['h', 'w'], 3: ['d', 'h', 'w'] };
export function axisNames(count: number): AxisName[] {
  const names = AXIS_NAMES[count];
  // fields start at network inputs of rank 3 to 5 (inputRF) and keep their number of axes
  if (!names) throw new Error(`internal: a receptive field over ${count} spatial axes`);
  return [...names];
}

/** Spatial ranks a network input carries a field over: N,C,L (1-D), N,C,H,W (2-D), N,C,D,H,W (3-D). */
export const MIN_FIELD_RANK = 3;
export const MAX_FIELD_RANK = 5;

/** The field of a network input: every unit sees itself, on each axis after N and C; null for other ranks. */
export function inputRF(shape: readonly number[]): TensorRF | null {
  if (shape.length < MIN_FIELD_RANK || shape.length > MAX_FIELD_RANK) return null;
  const dims = shape.slice(2).map((_, k) => k + 2);
  return { axes: dims.map(() => INPUT_RF), dims, global: false };
}

/**
 * The spatial size of the first network input of each layout (N,C,L → [L]; N,C,H,W → [H, W];
 * N,C,D,H,W → [D, H, W]), keyed by its number of spatial axes: the whole input a global field sees.
 */
export function fieldInputSizes(shapes: readonly (readonly number[])[]): Map<number, number[]> {
  const sizes = new Map<number, number[]>();
  for (const s of shapes) if (inputRF(s) && !sizes.has(s.length - 2)) sizes.set(s.length - 2, s.slice(2));
  return sizes;
}

/** The sizes of the field's axes in a tensor of this shape. */
export function spatialSizes(rf: TensorRF, shape: readonly number[]): number[] {
  return rf.dims.map((d) => shape[d] ?? 1);
}

/**
 * A window over the spatial axes of an [N, C, …spatial] tensor: f(a, i) gives axis a's field through
 * the window over dim 2 + i (i < count), each axis by its own dim's window (a transposed field meets
 * the right geometry). An axis moved to the batch or channel position turns the field global (an
 * over-approximation, never smaller than the true one).
 */
export function perAxisWindow(inp: TensorRF | null, count: number, shape: readonly number[] | undefined, f: (a: AxisRF, i: number) => AxisRF): TensorRF | null {
  if (!inp || inp.global) return inp;
  const axes = inp.axes.map((a, k) => {
    const i = inp.dims[k] - 2;
    return i >= 0 && i < count ? f(a, i) : null;
  });
  if (axes.some((a) => a === null)) return globalRF(inp, shape ? spatialSizes(inp, shape) : inp.axes.map(() => 1));
  return { global: false, dims: [...inp.dims], axes: axes as AxisRF[] };
}

export function windowRF(inp: TensorRF | null, geo: readonly AxisGeometry[], shape?: readonly number[]): TensorRF | null {
  return perAxisWindow(inp, geo.length, shape, (a, i) => {
    const g = geo[i];
    return resample(a, g.stride, g.effKernel - 1, (g.effKernel - 1) / 2 - g.padBegin, windowBorder(g));
  });
}

/**
 * A pooling window (max, average). One window that covers a map of more than one unit on every
 * field axis (one output, the kernel and the padding spanning the input: nn.AvgPool2d(7) on a 7×7
 * map, torch's fixed-size export of AdaptiveMaxPool2d(1)) is global pooling, and its field is
 * global, as GlobalMaxPool's is. A conv's window is not read so: a 3×3 conv over the 2×2 map of a
 * tiny input keeps its field, so the network's structure reads as at its usual size.
 */
export function poolWindowRF(inp: TensorRF | null, geo: readonly AxisGeometry[], shape?: readonly number[]): TensorRF | null {
  if (inp && !inp.global) {
    const windowed = inp.dims.map((d) => geo[d - 2]);
    // undilated: a dilated window can span the map and read few of its units (k 2, dilation 3 over 3 units reads one)
    const covers = (g: AxisGeometry | undefined): g is AxisGeometry => g !== undefined && g.out === 1 && g.dilation === 1 && g.effKernel - g.padBegin >= g.in;
    if (windowed.every(covers) && windowed.some((g) => g!.in > 1)) return globalRF(inp, windowed.map((g) => g!.in));
  }
  return windowRF(inp, geo, shape);
}

export function transposedRF(inp: TensorRF | null, geo: readonly AxisGeometry[], shape?: readonly number[]): TensorRF | null {
  return perAxisWindow(inp, geo.length, shape, (a, i) => {
    const g = geo[i];
    // in = out/s + c: c = in − out/s (0 for the usual k = 2s, padding s/2). From one input unit too:
    // the box counts the zero-stuffed input's padding, as every window's (the README's convention)
    return resample(a, 1 / g.stride, (g.effKernel - 1) / g.stride, (g.padBegin - (g.effKernel - 1) / 2) / g.stride, g.in - g.out / g.stride);
  });
}

/**
 * Adaptive pooling of an [N, C, …spatial] tensor, axes[i] = (in, out) along dim 2 + i (PyTorch's
 * start_index/end_index: window o is [floor(o·in/out), ceil((o + 1)·in/out))): the envelope of
 * the windows (readEnvelope) at the mean spacing of their starts, (start(out − 1) − start(0))/(out − 1)
 * (8 → 7: windows [o, o + 1], step 1, size 2; 12 → 5: step 2.25). Pooled to one unit on every axis
 * it is global pooling.
 */
export function adaptiveRF(inp: TensorRF | null, axes: readonly AdaptiveAxis[], shape: readonly number[]): TensorRF | null {
  if (!inp || inp.global) return inp;
  if (axes.every((a) => a.out === 1)) return globalOver(inp, shape);
  return perAxisWindow(inp, axes.length, shape, (a, i) => {
    const { in: size, out } = axes[i];
    // one output unit: in/out (one window over the axis)
    const spacing = out > 1 ? (windowStart(out - 1, size, out) - windowStart(0, size, out)) / (out - 1) : size / out;
    // window o + out/g is window o moved by in/g (g = gcd(in, out)): the reads repeat (ReadPeriod)
    const g = gcd(size, out);
    const period = { units: out / g, shift: size / g, from: 0, to: out };
    return resampleReads(a, size, spacing, out, (o) => [windowStart(o, size, out), windowEnd(o, size, out) - 1], period);
  });
}

/** One unit reading all n units of an axis (a global pool's window, a summary's; n = 1 keeps the box). */
export const wholeAxis = (a: AxisRF, n: number): AxisRF => resample(a, n, n - 1, (n - 1) / 2);

/** A summary over input dims `dims` (x.mean(3, keepdim=True)): each of those axes read whole, the others kept. */
export const summaryAlong = (rf: TensorRF, x: readonly number[], dims: readonly number[]): TensorRF => ({ ...rf, axes: rf.axes.map((a, k) => (dims.includes(rf.dims[k]) ? wholeAxis(a, x[rf.dims[k]]) : a)) });

/** Collapse the spatial axes (global pooling, flatten): every output sees the whole map; spatial[k] is axis k's size. */
export function globalRF(inp: TensorRF | null, spatial: readonly number[]): TensorRF | null {
  return !inp || inp.global ? inp : { global: true, dims: inp.dims, axes: inp.axes.map((a, i) => wholeAxis(a, spatial[i] ?? 1)) };
}

/** globalRF over the field's own axes of a tensor of this shape. */
export const globalOver = (inp: TensorRF | null, shape: readonly number[]): TensorRF | null => (inp ? globalRF(inp, spatialSizes(inp, shape)) : inp);

/**
 * RF of a tensor whose dims moved (transpose, squeeze, gather …): `where(d)` is the new position
 * of input dim d, or −1 if it vanished; losing a spatial axis makes the field global.
 */
export function moveDims(rf: TensorRF | null, where: (d: number) => number): TensorRF | null {
  if (!rf) return rf;
  const dims = rf.dims.map(where);
  if (dims.some((d) => d < 0)) return rf.global ? rf : { ...rf, global: true };
  return { ...rf, dims };
}

/**
 * The field of a 1×1 map spread over positions (upsampled, expanded): `rf` is the output's field
 * (its dims in y), x the input's shape, y the output's, right-aligned as broadcasting aligns them. A
 * global field whose axes all had size 1 in x becomes one summary repeated at every position
 * (TensorRF.broadcast); any other field is returned as it is.
 */
export function spreadRF(rf: TensorRF | null, x: readonly number[], y: readonly number[]): TensorRF | null {
  if (!rf?.global || rf.broadcast) return rf;
  const shift = y.length - x.length;
  return rf.dims.every((d) => (x[d - shift] ?? 1) === 1) && rf.dims.some((d) => (y[d] ?? 1) > 1) ? { ...rf, broadcast: true } : rf;
}

/**
 * A local field expanded along axes of size 1 in x (torch.onnx's expand_as): every unit there reads
 * the one box, a stride of 0 (spreadAxes spreads it in a merge). Global fields as spreadRF.
 */
export function expandRF(rf: TensorRF | null, x: readonly number[], y: readonly number[]): TensorRF | null {
  if (!rf || rf.global) return spreadRF(rf, x, y);
  const shift = y.length - x.length;
  const flat = rf.dims.map((d) => (x[d - shift] ?? 1) === 1 && (y[d] ?? 1) > 1);
  return flat.some(Boolean) ? { ...rf, axes: rf.axes.map((ax, k) => (flat[k] ? { ...ax, j: 0 } : ax)) } : rf;
}

/**
 * Whether operand i is broadcast over these dims of the merge's output (size 1 on each, its shape
 * right-aligned to the widest operand's rank, as broadcasting aligns it): a gate, not a path.
 */
function broadcastOver(shapes: readonly (readonly number[])[], i: number, dims: readonly number[], rank: number): boolean {
  const shape = shapes[i];
  if (!shape) return false;
  return dims.every((d) => (shape[d - (rank - shape.length)] ?? 1) === 1);
}

/**
 * The union of boxes of one stride on one axis: unit 0 of field k covers [−p_k, r_k − 1 − p_k], and
 * unit x each shifted by x·j alike, so the union is [min(−p_k), max(r_k − 1 − p_k)] at every unit.
 * The border kept is the largest field's.
 */
function unionAxis(axes: readonly AxisRF[]): AxisRF {
  let best = axes[0];
  let lo = -axes[0].p;
  let hi = axes[0].r - 1 - axes[0].p;
  for (const ax of axes) {
    if (ax.r > best.r) best = ax;
    lo = Math.min(lo, -ax.p);
    hi = Math.max(hi, ax.r - 1 - ax.p);
  }
  const r = hi - lo + 1;
  if (r === best.r && -lo === best.p) return best;
  return best.b === undefined ? { r, j: best.j, p: -lo } : { r, j: best.j, p: -lo, b: best.b };
}

/**
 * The field of a piece joined along a spatial dim at `offset` units (concat along H: a roll's
 * pieces): output unit x is the piece's unit x − offset, so its box starts offset·j later.
 */
export function offsetAlong(rf: TensorRF | null, dim: number, offset: number): TensorRF | null {
  if (!rf || rf.global || offset === 0) return rf;
  const k = rf.dims.indexOf(dim);
  if (k < 0) return rf;
  return { ...rf, axes: rf.axes.map((ax, i) => (i === k ? { ...ax, p: ax.p + offset * ax.j } : ax)) };
}

/** Tolerance when comparing effective strides and centres of merging paths (sums of float fractions). */
const EPS = 1e-9;

/**
 * Merge the fields of paths that meet (add, mul, concat). Paths are aligned when they share the
 * effective stride and centre; the field kept is the largest, and misalignment is reported.
 * A global operand broadcast over the spatial axes (a squeeze-excitation gate: 1×1) is global
 * context, not a spatial path: when local paths are present it is left out, so the field stays the
 * local one (on a 1×1 map too). A local operand broadcast along some axes or all is a path, its
 * field spread over them (spreadAxes). A global operand of full spatial size (x + attention(x)) is a
 * path: the merge is global.
 * `joined`: the operands are pieces, never broadcast (a roll's last unit of an [N, C, L] signal is a
 * path): written where indices say (true: a scatter's updates, never spread), or laid side by side
 * along a dim ({ along }: a concat, whose pieces' stride-0 axes on the other dims spread as above).
 */
export function mergeRF(
  layer: string,
  given: (TensorRF | null)[],
  warn: (w: Omit<Warning, 'layer'>) => void,
  shapes?: readonly (readonly number[])[],
  joined: boolean | { along: number } = false,
): TensorRF | null {
  // an empty operand (a concat's empty slice) brings no unit, so no field
  const nonEmpty = shapes ? given.map((f, i) => (shapes[i]?.includes(0) ? null : f)) : given;
  const fields = !shapes || joined === true ? nonEmpty : spreadAxes(nonEmpty, shapes, joined === false ? undefined : joined.along);
  const all = fields.filter((f): f is TensorRF => f !== null);
  // a local operand is a path, broadcast or not (spreadAxes gave it the envelope of its reads); only
  // a global one broadcast over the map is a gate (a squeeze-excitation's pooled summary)
  const local = fields.flatMap((f) => (f !== null && !f.global ? [f] : []));
  // a global operand of full spatial size (attention's x + attn(x), a non-local block) is a path
  // whose every unit sees the whole input: the merge is global. Only a broadcast one is a gate (a
  // 1×1 operand, or a 1×1 map spread back over the positions).
  // the widest rank once (a loop): per operand it made a merge of n operands quadratic (20,000: 17 s)
  const rank = shapes ? widestRank(shapes) : 0;
  // pieces laid along a spatial axis are units of their own, never broadcast: a global one is a path
  // (cat([x[..., :1, :1], pool(x)], 3) on 3×3: its second unit reads the whole map; it was [1, 1])
  const alongField = typeof joined === 'object' && local.length > 0 && local[0].dims.includes(joined.along);
  if (local.length > 0 && shapes && fields.some((f, i) => f !== null && f.global && (alongField || (f.broadcast !== true && !broadcastOver(shapes, i, local[0].dims, rank))))) {
    return { global: true, dims: local[0].dims, axes: local[0].axes };
  }
  // on a 1×1 map no path is spatial: a global operand does not make the merge global while a local
  // field is there (an SE block at 1×1 made every later field global, and the final map an earlier
  // one); its box joins the local one's below (oneUnitReads)
  const notGlobal = all.filter((f) => !f.global);
  const candidates = local.length > 0 ? local : notGlobal.length > 0 ? notGlobal : all;
  if (candidates.length === 0) return null;
  // fields over a different number of axes (a 1-D path beside a 2-D one) have no common axes: the first path's count is kept
  const present = candidates.filter((f) => f.axes.length === candidates[0].axes.length);
  // an axis at another dim in another operand (coordinate attention's concat of a pooled [N, C, H, 1]
  // with a transposed [N, C, W, 1]: h and w along one dim; a one-unit slice transposed) has no box of one
  // stride: global, whatever the operands' order (a size-1 dim skipped here let add(x, t) keep t's axes swapped)
  const end = (i: number, d: number) => d - (shapes?.[i]?.length ?? 0); // dims aligned from the last, as broadcasting aligns them
  const ref = fields.indexOf(present[0]);
  const moved = (f: TensorRF | null, i: number) => f !== null && !f.global && f.axes.length === present[0].axes.length && f.dims.some((d, k) => end(i, d) !== end(ref, present[0].dims[k]));
  if (shapes && fields.some(moved)) {
    return { global: true, dims: present[0].dims, axes: present[0].axes };
  }
  const sameStride = (a: number) => present.every((f) => Math.abs(f.axes[a].j - present[0].axes[a].j) <= EPS);
  // a concat's own axis: its pieces' units are side by side, none read by another's unit
  const pieces = typeof joined === 'object' && shapes ? joined.along : null;
  const along = pieces === null ? -1 : present[0].dims.indexOf(pieces);
  const merged = present[0].axes.map((_, a) => {
    // one stride: every unit's boxes move together, so their union is a field (a Focus stem's four
    // slices, the pieces of a roll); strides that differ drift apart, and the largest is kept, but
    // for a concat's pieces, whose box holds each one's units (piecesEnvelope)
    if (sameStride(a)) return unionAxis(present.map((f) => f.axes[a]));
    if (pieces !== null) return piecesEnvelope(fields, shapes!, pieces, a, present[0].dims[a], new Set(present));
    let best = present[0].axes[a];
    for (const f of present) if (f.axes[a].r > best.r) best = f.axes[a];
    return best;
  });
  // on a map of one unit, a global operand is read, not broadcast (oneUnitReads)
  const axes = shapes && joined !== true && local.length > 0 ? oneUnitReads(merged, fields, shapes, fields.indexOf(present[0]), joined === false ? undefined : joined.along) : merged;
  // global fields (no local path left) have no stride or centre to misalign
  // nor a spread operand a centre of its own (its box is the envelope of its reads), nor a stride's phases joined along C (phaseGrid)
  const spreadOut = new Set(fields.filter((f, i) => f !== nonEmpty[i]));
  const misaligned = !present[0].global && !(pieces !== null && along < 0 && phaseGrid(present)) && present.some((f) =>
    f.axes.some((ax, a) => a !== along && (Math.abs(ax.j - present[0].axes[a].j) > EPS || (!spreadOut.has(f) && !spreadOut.has(present[0]) && Math.abs(centre(ax) - centre(present[0].axes[a])) > EPS))),
  );
  if (misaligned) {
    // the concat's own axis aside: its pieces' strides may differ, and piecesEnvelope holds them
    const strides = present[0].axes.every((_, a) => a === along || sameStride(a));
    warn({
      code: 'MISALIGNED_PATHS',
      message: `layer '${layer}': the paths it merges are not aligned (different ${strides ? 'centres: the union of their fields is kept' : pieces !== null ? "effective strides: one box holding every piece's is kept" : 'effective strides: the largest receptive field is kept'})`,
      paths: present.map((f) => f.axes.map((ax) => ({ size: ax.r, stride: ax.j, padding: ax.p, centre: centre(ax) }))),
    });
  }
  // summaries spread over the map, merged (expand(a) + expand(b)), are still one
  const spread = present.every((f) => f.global && f.broadcast === true);
  return { global: present.some((f) => f.global), dims: present[0].dims, axes, ...(spread && { broadcast: true }) };
}
