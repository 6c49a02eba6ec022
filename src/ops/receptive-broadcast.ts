/**
 * Receptive fields of operands broadcast in a merge (receptive-field.ts mergeRF): an operand of one
 * unit, or of stride 0 (expand, tile of one unit, alignCorners upsampling from one unit), along an
 * axis the merge spans is read by every unit there.
 */
import { broadcastShapes } from './broadcast.js';
import type { TensorRF } from './types.js';

/**
 * An operand of one unit (or stride 0) along an axis where the merge spans n > 1 units (x · x[..., :1];
 * coordinate attention's [N, C, H, 1] gate) is read by every unit there: at the stride J of an operand
 * spanning the axis, the box holding its one box [−p, r − 1 − p] for units 0 … n − 1 is size
 * r + (n − 1)·J, padding p + (n − 1)·J (its own stride kept, coordinate attention on 6×8 was stride
 * [6, 8]). Global operands are gates (mergeRF), not spread.
 */
export function spreadAxes(fields: (TensorRF | null)[], shapes: readonly (readonly number[])[]): (TensorRF | null)[] {
  const out = broadcastShapes(shapes.filter((s) => s != null));
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
    // one unit broadcast, or a field of stride 0 there (expandRF; alignCorners from one unit)
    const spread = f.dims.map((d, k) => (shape[d] === 1 || f.axes[k].j === 0) && out[d + shift] > 1);
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
