/**
 * Receptive fields of operands broadcast in a merge (receptive-field.ts mergeRF): an operand of one
 * unit, or of stride 0 (expand, tile of one unit, alignCorners upsampling from one unit), along an
 * axis the merge spans is read by every unit there.
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
 * (an expand or tile of one unit) is read by every unit there and spread alike.
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
    // one unit broadcast, or a field of stride 0 there (expandRF; alignCorners from one unit); a
    // piece of a concat is not broadcast, but a stride-0 field in it is read by every unit all the
    // same, along the concat's dim too (replicate padding as cat([x[..., :1].expand(…, 2), x, …]):
    // spread over the whole joined length, a box that holds every unit's reads, if loosely)
    const spread = f.dims.map((d, k) => (along === undefined ? shape[d] === 1 || f.axes[k].j === 0 : f.axes[k].j === 0) && out[d + shift] > 1);
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
