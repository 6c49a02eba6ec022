/**
 * A map cut into its stride's phases and joined along the channels: a space-to-depth written as
 * strided slices (YOLOv5's Focus stem, Swin's PatchMerging: x[..., ::2, ::2], x[..., 1::2, ::2],
 * x[..., ::2, 1::2], x[..., 1::2, 1::2] concatenated along C). The pieces share a stride j and a size
 * but their centres differ: each unit's channels hold the j/d phases, d apart, of a map of stride d, as
 * spaceToDepth's do. That is the layer's design, not paths drifting apart (MISALIGNED_PATHS, as an
 * upsampled FPN path is), and receptive-field.ts mergeRF does not flag it; the union of the pieces'
 * boxes is their field there (Focus on 8×8: 2×2 at stride 2, as autograd finds).
 *
 * The fields alone cannot tell phases from paths: two convs k2 s2 padded 0 and 1 have the fields of
 * the two phases of one k2 s1 map (r 2, j 2, centres 1 = j/2 apart), and were taken for them. So the
 * pieces must also be slices of one map (TensorRF.phase, set by slice), each field still the one the
 * slices left: a conv after the slice moves it, and its pieces are paths again.
 */
import type { AxisRF, TensorRF } from './types.js';

/** Tolerance on strides, sizes and centres (sums of float fractions), as mergeRF's. */
const EPS = 1e-9;

const centreOf = (r: number, p: number): number => (r - 1) / 2 - p;

const sameAxes = (a: readonly AxisRF[], b: readonly AxisRF[]): boolean =>
  a.length === b.length && a.every((x, k) => Math.abs(x.r - b[k].r) <= EPS && Math.abs(x.j - b[k].j) <= EPS && Math.abs(x.p - b[k].p) <= EPS);

/**
 * Whether the fields (local, over the same axes) are the phases of one grid: strided slices of one
 * map, unmoved since (TensorRF.phase), and on each axis one stride
 * j and one size, the distinct centres n evenly d apart with n·d = j (one phase: n = 1), and every
 * combination of the axes' phases present (Focus's four slices; the diagonal two alone are not).
 */
export function phaseGrid(fields: readonly TensorRF[]): boolean {
  if (fields.length < 2 || fields.some((f) => f.global || f.axes.length !== fields[0].axes.length)) return false;
  // pieces of one map, each field still the one its slices left (not moved by a conv since)
  const of = fields[0].phase?.of;
  if (!of || fields.some((f) => f.phase?.of !== of || !sameAxes(f.axes, f.phase.axes))) return false;
  const phases: number[][] = [];
  for (let a = 0; a < fields[0].axes.length; a++) {
    const first = fields[0].axes[a];
    if (!(first.j > 0) || fields.some((f) => Math.abs(f.axes[a].j - first.j) > EPS || Math.abs(f.axes[a].r - first.r) > EPS)) return false;
    const centres: number[] = [];
    for (const f of fields) {
      const c = centreOf(f.axes[a].r, f.axes[a].p);
      if (!centres.some((x) => Math.abs(x - c) <= EPS)) centres.push(c);
    }
    centres.sort((x, y) => x - y);
    const d = centres.length > 1 ? centres[1] - centres[0] : first.j;
    if (centres.some((c, k) => Math.abs(c - centres[0] - k * d) > EPS) || Math.abs(centres.length * d - first.j) > EPS) return false;
    phases.push(centres);
  }
  // every combination present: the pieces' distinct centre tuples number the product of the axes' phases
  const tuples = new Set(fields.map((f) => f.axes.map((ax, a) => phases[a].findIndex((c) => Math.abs(c - centreOf(ax.r, ax.p)) <= EPS)).join(',')));
  return tuples.size === phases.reduce((n, c) => n * c.length, 1);
}
