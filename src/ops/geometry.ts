/**
 * Sliding-window geometry, computed once for shapes, costs, receptive fields and kernels.
 *
 * Forward window (conv, pooling), per axis, as PyTorch's pooling_output_shape / conv shape rule:
 *   k_eff = d·(k − 1) + 1
 *   out   = floor((in + pb + pe − k_eff) / s) + 1          (ceilMode: ceil, and the last window
 *                                                          must start inside the input or left pad)
 * Transposed window (torch.nn.ConvTranspose2d):
 *   out   = (in − 1)·s − pb − pe + k_eff + outputPadding
 * Padding "same" is PyTorch's: stride 1 only, total d·(k − 1), the odd pixel on the end side.
 * "sameUpper"/"sameLower" are ONNX's auto_pad (TensorFlow's SAME): out = ceil(in/s), total
 * max(0, (out − 1)·s + k_eff − in), the odd pixel at the end (upper) or the beginning (lower).
 */
import { z } from 'zod';
import type { AxisGeometry, InferContext } from './types.js';

/** Largest size, channel count or padding accepted on any axis: bounds every allocation an op makes. */
export const MAX_DIM = 2 ** 24;
export const posInt = z.number().int().positive().max(MAX_DIM);
export const nonNegInt = z.number().int().nonnegative().max(MAX_DIM);
/** An int for both spatial axes, or [h, w]. */
export const pairOf = (t: z.ZodNumber) => z.union([t, z.tuple([t, t])]);
export const Pair = pairOf(posInt);
export const PaddingSchema = z.union([
  nonNegInt,
  z.tuple([nonNegInt, nonNegInt]),
  z.tuple([nonNegInt, nonNegInt, nonNegInt, nonNegInt]),
  z.enum(['same', 'valid', 'sameUpper', 'sameLower']),
]);
export type Padding = z.infer<typeof PaddingSchema>;

export function pair(v: number | readonly number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** One spatial axis of a sliding window, computed once (defined in ops/types.ts, where OpDef.teamBands names it too). */
export type { AxisGeometry } from './types.js';

/** The sizes of a 2-D convolution that its kernels read (ops/conv.ts ConvPlan adds the padding mode's stage). */
export interface ConvSizes {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  geo: AxisGeometry[];
}

export interface WindowSpec {
  kernel: number | readonly number[];
  stride: number | readonly number[];
  dilation?: number | readonly number[];
  padding: Padding;
  ceilMode?: boolean;
}

/** [top, left, bottom, right] → per-axis [begin, end], resolving "same" and "valid". */
function resolvePadding<A>(
  ctx: InferContext<A>,
  spec: WindowSpec,
  inSpatial: readonly number[],
  k: [number, number],
  d: [number, number],
  s: [number, number],
): [number, number][] {
  const p = spec.padding;
  if (p === 'valid') return [[0, 0], [0, 0]];
  if (p === 'sameUpper' || p === 'sameLower') {
    return [0, 1].map((a) => {
      const out = Math.ceil(inSpatial[a] / s[a]);
      const total = Math.max(0, (out - 1) * s[a] + d[a] * (k[a] - 1) + 1 - inSpatial[a]);
      const small = Math.floor(total / 2);
      return (p === 'sameUpper' ? [small, total - small] : [total - small, small]) as [number, number];
    });
  }
  if (p === 'same') {
    if (s[0] !== 1 || s[1] !== 1) {
      ctx.fail('INVALID_ATTRIBUTE', `padding="same" needs stride 1 (PyTorch rule), got stride=[${s.join(', ')}]`, 'padding');
    }
    return [0, 1].map((a) => {
      const total = d[a] * (k[a] - 1);
      const begin = Math.floor(total / 2);
      return [begin, total - begin] as [number, number];
    });
  }
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (p.length === 2) return [[p[0], p[0]], [p[1], p[1]]];
  return [[p[0], p[2]], [p[1], p[3]]];
}

/** Geometry of a forward window over the two spatial axes of an NCHW input. */
export function windowGeometry<A>(ctx: InferContext<A>, inSpatial: readonly number[], spec: WindowSpec): AxisGeometry[] {
  const k = pair(spec.kernel);
  const s = pair(spec.stride);
  const d = pair(spec.dilation ?? 1);
  const pads = resolvePadding(ctx, spec, inSpatial, k, d, s);
  return [0, 1].map((a) => {
    const effKernel = d[a] * (k[a] - 1) + 1;
    const [padBegin, padEnd] = pads[a];
    const span = inSpatial[a] + padBegin + padEnd;
    // ceilMode: PyTorch still gives the windows that start inside (a padded input shorter than the
    // kernel has one, clipped); refused below only when there is none
    if (span < effKernel && !spec.ceilMode) {
      const axis = a === 0 ? 'height' : 'width';
      ctx.fail(
        'KERNEL_TOO_LARGE',
        `effective kernel ${effKernel} (kernel ${k[a]}, dilation ${d[a]}) is larger than the padded input ${axis} ${span} (input ${inSpatial[a]}, padding ${padBegin}+${padEnd})`,
        'kernelSize',
      );
    }
    let out: number;
    if (spec.ceilMode) {
      // PyTorch's pooling_output_shape: floor((span − k_eff + s − 1) / s) + 1, then the last window
      // dropped if it starts past the input and left padding
      out = Math.floor((span - effKernel + s[a] - 1) / s[a]) + 1;
      if ((out - 1) * s[a] >= inSpatial[a] + padBegin) out -= 1;
      if (out < 1) {
        ctx.fail(
          'KERNEL_TOO_LARGE',
          `effective kernel ${effKernel} (kernel ${k[a]}, dilation ${d[a]}) leaves no window that starts inside the padded input ${a === 0 ? 'height' : 'width'} ${span} (input ${inSpatial[a]}, padding ${padBegin}+${padEnd}, stride ${s[a]}, ceilMode)`,
          'kernelSize',
        );
      }
    } else {
      out = Math.floor((span - effKernel) / s[a]) + 1;
    }
    return { in: inSpatial[a], kernel: k[a], stride: s[a], dilation: d[a], effKernel, padBegin, padEnd, out, ...(spec.ceilMode && { ceilMode: true as const }) };
  });
}

export interface TransposedSpec extends WindowSpec {
  outputPadding: number | readonly number[];
}

/** Geometry of a transposed window; padBegin/padEnd are the padding removed from the full output. */
export function transposedGeometry<A>(ctx: InferContext<A>, inSpatial: readonly number[], spec: TransposedSpec): AxisGeometry[] {
  const k = pair(spec.kernel);
  const s = pair(spec.stride);
  const d = pair(spec.dilation ?? 1);
  const op = pair(spec.outputPadding);
  if (typeof spec.padding === 'string') {
    ctx.fail('INVALID_ATTRIBUTE', `padding="${spec.padding}" is not defined for transposed convolution (PyTorch accepts integers only)`, 'padding');
  }
  const pads = resolvePadding(ctx, spec, inSpatial, k, d, s);
  return [0, 1].map((a) => {
    if (op[a] >= Math.max(s[a], d[a])) {
      ctx.fail(
        'INVALID_ATTRIBUTE',
        `outputPadding ${op[a]} must be smaller than stride ${s[a]} or dilation ${d[a]} (PyTorch rule)`,
        'outputPadding',
      );
    }
    const effKernel = d[a] * (k[a] - 1) + 1;
    const [padBegin, padEnd] = pads[a];
    const out = (inSpatial[a] - 1) * s[a] - padBegin - padEnd + effKernel + op[a];
    if (out <= 0) {
      ctx.fail(
        'NON_POSITIVE_SIZE',
        `output ${a === 0 ? 'height' : 'width'} would be ${out} = (${inSpatial[a]} − 1)·${s[a]} − ${padBegin} − ${padEnd} + ${effKernel} + ${op[a]}`,
        'padding',
      );
    }
    return { in: inSpatial[a], kernel: k[a], stride: s[a], dilation: d[a], effKernel, padBegin, padEnd, out };
  });
}

/**
 * The PyTorch pooling rule: padding at most floor(k/2) of the kernel size k as given, not the
 * dilated d·(k − 1) + 1 ("pad should be at most half of kernel size"): maxPool2d k 3, dilation 2
 * takes padding 1, not 2. Average pooling has no dilation, so k is its whole window.
 */
export function checkPoolPadding<A>(ctx: InferContext<A>, geo: AxisGeometry[], padding?: number | readonly number[] | string): void {
  if (ctx.fromOnnx) return checkWindowsReadInput(ctx, geo);
  geo.forEach((g, axis) => {
    const pad = Math.max(g.padBegin, g.padEnd);
    if (pad <= Math.floor(g.kernel / 2)) return;
    // the offending entry: one per axis, or [begins…, ends…] (the end's when it is the larger)
    const entry = typeof padding !== 'object' ? null : padding.length === geo.length || g.padBegin >= g.padEnd ? axis : geo.length + axis;
    const along = geo.length === 1 ? '' : ` along the ${POOL_AXES[geo.length][axis]}`;
    ctx.fail(
      'INVALID_ATTRIBUTE',
      `padding ${pad} is more than half the kernel ${g.kernel}${along} (PyTorch: "pad should be at most half of kernel size", the kernel size before dilation)`,
      entry === null ? 'padding' : ['padding', entry],
    );
  });
}
const POOL_AXES: Record<number, string[]> = { 2: ['height', 'width'], 3: ['depth', 'height', 'width'] };

/**
 * ONNX's rule for a pool's pads: any, so long as every window reads at least one input element
 * (what the kernels rely on; ONNX Runtime asks pads < kernel). PyTorch's exporter at opset 9,
 * before MaxPool's ceil_mode, writes MaxPool2d(3, 2, ceil_mode=True) as pads [0, 0, 2, 2], past
 * PyTorch's own half-kernel rule, which refused GoogLeNet's opset-9 file.
 */
function checkWindowsReadInput<A>(ctx: InferContext<A>, geo: AxisGeometry[]): void {
  geo.forEach((g, axis) => {
    for (let w = 0; w < g.out; w++) {
      const start = w * g.stride - g.padBegin;
      // the first tap at or past 0, and whether it is inside the kernel and the input
      const first = start >= 0 ? 0 : Math.ceil(-start / g.dilation);
      if (first < g.kernel && start + first * g.dilation < g.in) continue;
      ctx.fail('INVALID_ATTRIBUTE', `window ${w} along spatial axis ${axis} reads only padding (input ${g.in}, kernel ${g.kernel}, stride ${g.stride}, pads ${g.padBegin} and ${g.padEnd}): a pool's window must cover an input element`, 'padding');
    }
  });
}

export function spatialOut(geo: AxisGeometry[]): number {
  return geo[0].out * geo[1].out;
}

/**
 * The input rows (along one axis) that output rows [from, to) read, clamped to the input:
 * [from·stride − padBegin, (to − 1)·stride − padBegin + effKernel) ∩ [0, in). A conv band stages
 * exactly these (ops/conv-im2col.ts), and a team copies exactly these in for its partners
 * (runtime/team-kernels.ts convJob).
 */
export function inputRows(g: AxisGeometry, from: number, to: number): [number, number] {
  const first = Math.min(g.in, Math.max(0, from * g.stride - g.padBegin));
  return [first, Math.max(first, Math.min(g.in, (to - 1) * g.stride - g.padBegin + g.effKernel))];
}
