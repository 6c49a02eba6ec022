/**
 * Receptive fields of operands broadcast in a merge (receptive-field.ts mergeRF): an operand of one
 * unit, or of stride 0 (expand, tile of one unit, upsampling from one unit), along an axis the merge
 * spans is read by every unit there. And a concat's pieces of different strides: one box that holds
 * each piece's units where they land (piecesEnvelope).
 */
import { broadcastShapes } from './broadcast.js';
import type { AxisRF, TensorRF } from './types.js';

/**
 * An operand of one unit (or stride 0) along an axis where the merge spans n > 1 units (x · x[..., :1];
 * coordinate attention's [N, C, H, 1] gate) is read by every unit there: at the stride J of an operand
 * spanning the axis, the box holding its one box [−p, r − 1 − p] for units 0 … n − 1 is size
 * r + (n − 1)·J, padding p + (n − 1)·J (its own stride kept, coordinate attention on 6×8 was stride
 * [6, 8]). Global operands are gates (mergeRF), not spread. With `along`, the operands are a
 * concat's pieces laid side by side on that dim: none is broadcast, but a piece's stride-0 axis
 * (an expand or tile of one unit) is read by every unit there and spread alike, on the other dims
 * (on `along` itself its units are its own: piecesEnvelope).
 */
export function spreadAxes(fields: (TensorRF | null)[], shapes: readonly (readonly number[])[], along?: number): (TensorRF | null)[] {
  const out = along === undefined ? broadcastShapes(shapes.filter((s) => s != null)) : joinedShape(shapes, along);
  if (!out) return fields;
  const rank = out.length;
  // per axis (by count of axes and index): the stride of the first local operand spanning it, found
  // once, not per spread operand (a merge of many one-unit operands would search them all each time)
  const spanning = new Map<string, number | null>();
  const strideSpanning = (axes: number, k: number): number | null => {
    const key = `${axes}:${k}`;
    if (!spanning.has(key)) {
      const g = fields.find((g, m) => g && !g.global && g.axes.length === axes && g.axes[k].j > 0 && (shapes[m]?.[g.dims[k]] ?? 1) > 1);
      spanning.set(key, g ? g.axes[k].j : null);
    }
    return spanning.get(key)!;
  };
  return fields.map((f, i) => {
    const shape = shapes[i];
    if (!f || f.global || !shape) return f;
    const shift = rank - shape.length;
    // one unit broadcast, or a field of stride 0 there (expandRF; upsampling from one unit); a
    // piece of a concat is not broadcast, but a stride-0 field in it is read by every unit all the
    // same, on the other dims. Along the concat's dim its units read their own box where they land
    // (replicate padding as cat([x[..., :1].expand(…, 2), x, …]): piecesEnvelope, 5 units where
    // spreading over the whole joined length gave 19)
    const spread = f.dims.map((d, k) => (along === undefined ? shape[d] === 1 || f.axes[k].j === 0 : f.axes[k].j === 0 && d !== along) && out[d + shift] > 1);
    if (!spread.some(Boolean)) return f;
    const axes = f.axes.map((ax, k) => {
      if (!spread[k]) return ax;
      const n = out[f.dims[k] + shift];
      const spans = strideSpanning(f.axes.length, k);
      if (spans === null && ax.j === 0) return ax;
      const j = spans ?? ax.j;
      return { ...ax, r: ax.r + (n - 1) * j, j, p: ax.p + (n - 1) * j };
    });
    return { ...f, axes };
  });
}

/**
 * A concat's pieces of different strides on an axis (cat([x, avgPool(x, [1, 2])], 3) along it; a
 * stride-0 piece, expand or tile of one unit, beside others; along the channels, pieces that
 * strided differently to one size): no one stride moves every piece's boxes, and no unit reads two
 * pieces (keeping the largest field put cat([x, pool(x)])'s first units at [−8, −7], reading [0, 3]).
 * Piece k's units x in [from, last] (on the concat's own dim, where it lands; on another, all of
 * them) read [x·j_k − p_k, x·j_k − p_k + r_k − 1] (p_k counted from its offset, offsetAlong); at a
 * stride J the tightest box [x·J − P, x·J − P + R − 1] holding them all has P = max(x·J − lo(x)) and
 * R − 1 = max(hi(x) − x·J) + P, both linear in x within a piece, so its end units suffice. J is the
 * stride, among the pieces', that gives the smallest R (the smallest such J); P and R − 1 − P are
 * each a maximum of functions linear in J, so R is convex, and a binary search over the sorted strides finds it in
 * O(pieces · log strides) (trying every stride was quadratic: 16,000 pieces of 16,000 strides took
 * 7 s). The border kept is the largest field's. `axis`: the field axis, at `dim` of the pieces;
 * `pieces`: the fields merged.
 */
export function piecesEnvelope(fields: (TensorRF | null)[], shapes: readonly (readonly number[])[], along: number, axis: number, dim: number, pieces: ReadonlySet<TensorRF>): AxisRF {
  const spans: { ax: AxisRF; from: number; last: number }[] = [];
  let at = 0;
  fields.forEach((f, i) => {
    const shape = shapes[i] ?? [];
    const n = shape[dim] ?? 1;
    if (f && pieces.has(f) && n > 0) spans.push({ ax: f.axes[axis], from: dim === along ? at : 0, last: (dim === along ? at : 0) + n - 1 });
    at += shape[along] ?? 0;
  });
  let widest = spans[0].ax;
  for (const { ax } of spans) if (ax.r > widest.r) widest = ax;
  const boxAt = (j: number): AxisRF => {
    let p = -Infinity;
    let h = -Infinity;
    for (const { ax, from, last } of spans) {
      for (const x of [from, last]) {
        const lo = x * ax.j - ax.p;
        p = Math.max(p, x * j - lo);
        h = Math.max(h, lo + ax.r - 1 - x * j);
      }
    }
    return { r: h + p + 1, j, p };
  };
  const strides = [...new Set(spans.map((s) => s.ax.j))].sort((a, b) => a - b);
  // the first stride from which R stops falling: R's differences only grow (convex), so it is the
  // smallest of the strides that give the least R
  let [lo, hi] = [0, strides.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (boxAt(strides[mid]).r <= boxAt(strides[mid + 1]).r) hi = mid;
    else lo = mid + 1;
  }
  const best = boxAt(strides[lo]);
  return widest.b === undefined ? best : { ...best, b: widest.b };
}

/** The shape of pieces laid side by side along `along` (a concat's output), or null when their ranks differ. */
function joinedShape(shapes: readonly (readonly number[])[], along: number): number[] | null {
  const given = shapes.filter((s) => s != null);
  if (given.length === 0 || given.some((s) => s.length !== given[0].length)) return null;
  const out = [...given[0]];
  out[along] = given.reduce((n, s) => n + s[along], 0);
  return out;
}

/** The widest rank among the shapes (a loop: a merge may have a million operands, too many to spread into Math.max). */
export function widestRank(shapes: readonly (readonly number[] | undefined)[]): number {
  let rank = 0;
  for (const s of shapes) if (s && s.length > rank) rank = s.length;
  return rank;
}

/**
 * A merge of one unit per axis (its output, broadcast or joined, of one unit on every dim of the
 * local field `axes` of operand `ref`) broadcasts nothing: a global operand there (a map pooled to
 * 1×1) is read by that unit as a local one is, so its box (globalRF keeps the envelope of the map it
 * pooled) joins the union, axis by axis (a field's axes are the input's, wherever its dims sit: a
 * transposed or squeezed operand matches too), at the local stride. x[..., :1, :1] + avgPool3(x)
 * on 3×3 was reported [1, 1], its one unit reading every pixel; a squeeze-excitation gate at 1×1
 * pooled the one unit it gates, so its box is that unit's and the union is unchanged (EfficientNet
 * at 8 px).
 */
export function oneUnitReads(axes: AxisRF[], fields: (TensorRF | null)[], shapes: readonly (readonly number[])[], ref: number, along?: number): AxisRF[] {
  const own = shapes[ref];
  const local = fields[ref];
  const out = along === undefined ? broadcastShapes(shapes.filter((s) => s != null)) : joinedShape(shapes, along);
  if (!own || !local || !out) return axes;
  const shift = out.length - own.length;
  if (!local.dims.every((d) => out[d + shift] === 1)) return axes;
  const read = fields.filter((f): f is TensorRF => f !== null && f.global && f.axes.length === axes.length);
  if (read.length === 0) return axes;
  return axes.map((ax, a) => {
    let lo = -ax.p;
    let hi = ax.r - 1 - ax.p;
    for (const g of read) {
      lo = Math.min(lo, -g.axes[a].p);
      hi = Math.max(hi, g.axes[a].r - 1 - g.axes[a].p);
    }
    return hi - lo + 1 === ax.r && -lo === ax.p ? ax : { ...ax, r: hi - lo + 1, p: -lo };
  });
}
