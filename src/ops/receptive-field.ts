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
 */
import type { AxisRF, TensorRF, Warning } from './types.js';
import type { AxisGeometry } from './geometry.js';

export const INPUT_RF: AxisRF = Object.freeze({ r: 1, j: 1, p: 0 });

export function centre(rf: AxisRF): number {
  return (rf.r - 1) / 2 - rf.p;
}

export function resample(inp: AxisRF, step: number, span: number, centreOffset: number): AxisRF {
  const r = inp.r + span * inp.j;
  const j = inp.j * step;
  const c = centre(inp) + centreOffset * inp.j;
  return { r, j, p: (r - 1) / 2 - c };
}

export function windowRF(inp: TensorRF | null, geo: AxisGeometry[]): TensorRF | null {
  if (!inp || inp.global) return inp;
  return {
    global: false,
    dims: [2, 3],
    axes: inp.axes.map((a, i) => resample(a, geo[i].stride, geo[i].effKernel - 1, (geo[i].effKernel - 1) / 2 - geo[i].padBegin)),
  };
}

export function transposedRF(inp: TensorRF | null, geo: AxisGeometry[]): TensorRF | null {
  if (!inp || inp.global) return inp;
  return {
    global: false,
    dims: [2, 3],
    axes: inp.axes.map((a, i) => {
      const g = geo[i];
      return resample(a, 1 / g.stride, (g.effKernel - 1) / g.stride, (g.padBegin - (g.effKernel - 1) / 2) / g.stride);
    }),
  };
}

/** Collapse the spatial axes (global pooling, flatten): every output sees the whole map. */
export function globalRF(inp: TensorRF | null, spatial: readonly number[]): TensorRF | null {
  if (!inp || inp.global) return inp;
  return {
    global: true,
    dims: inp.dims,
    axes: inp.axes.map((a, i) => resample(a, spatial[i], spatial[i] - 1, (spatial[i] - 1) / 2)),
  };
}

/**
 * RF of a tensor whose dims moved (transpose, squeeze, gather …): `where(d)` is the new position
 * of input dim d, or −1 if it vanished; losing a spatial axis makes the field global.
 */
export function moveDims(rf: TensorRF | null, where: (d: number) => number): TensorRF | null {
  if (!rf) return rf;
  const dims = rf.dims.map(where) as [number, number];
  if (dims.some((d) => d < 0)) return rf.global ? rf : { ...rf, global: true };
  return { ...rf, dims };
}

/** Tolerance when comparing effective strides and centres of merging paths (sums of float fractions). */
const EPS = 1e-9;

/**
 * Merge the fields of paths that meet (add, mul, concat). Paths are aligned when they share the
 * effective stride and centre; the field kept is the largest, and misalignment is reported.
 * An operand broadcast over the spatial axes (a squeeze-excitation gate: 1×1, or already global)
 * is global context, not a spatial path: when spatial paths are present it is left out, so the
 * field stays the local one.
 */
export function mergeRF(
  layer: string,
  fields: (TensorRF | null)[],
  warn: (w: Omit<Warning, 'layer'>) => void,
  shapes?: readonly (readonly number[])[],
): TensorRF | null {
  const all = fields.filter((f): f is TensorRF => f !== null);
  const spatial = (f: TensorRF, i: number) => !f.global && !(shapes && shapes[i] && shapes[i][f.dims[0]] === 1 && shapes[i][f.dims[1]] === 1);
  const local = fields.flatMap((f, i) => (f !== null && spatial(f, i) ? [f] : []));
  const present = local.length > 0 ? local : all;
  if (present.length === 0) return null;
  const axes = present[0].axes.map((_, a) => {
    let best = present[0].axes[a];
    for (const f of present) if (f.axes[a].r > best.r) best = f.axes[a];
    return best;
  });
  const misaligned = present.some((f) =>
    f.axes.some((ax, a) => Math.abs(ax.j - present[0].axes[a].j) > EPS || Math.abs(centre(ax) - centre(present[0].axes[a])) > EPS),
  );
  if (misaligned) {
    warn({
      code: 'MISALIGNED_PATHS',
      message: `layer '${layer}': the paths it merges are not aligned (different effective stride or centre); the largest receptive field is kept`,
      paths: present.map((f) => f.axes.map((ax) => ({ size: ax.r, stride: ax.j, padding: ax.p, centre: centre(ax) }))),
    });
  }
  return { global: present.some((f) => f.global), dims: present[0].dims, axes };
}
