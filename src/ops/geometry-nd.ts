/**
 * Sliding-window geometry over N spatial axes (1-D audio, 3-D video), beside geometry.ts's 2-D
 * helpers and with the same per-axis rules:
 *   k_eff = d·(k − 1) + 1
 *   out   = floor((in + pb + pe − k_eff) / s) + 1          (ceilMode: ceil, and the last window
 *                                                          must start inside the input or left pad)
 * Padding: one number for every side; N numbers (one per axis, both sides); 2N numbers
 * [b1 … bN, e1 … eN] (ONNX's pads order); "same" (PyTorch: stride 1, total d·(k − 1), the odd
 * one at the end); "valid"; "sameUpper"/"sameLower" (ONNX auto_pad: out = ceil(in/s)).
 */
import { z } from 'zod';
import { nonNegInt, posInt } from './geometry.js';
import type { AxisGeometry } from './geometry.js';
import type { InferContext } from './types.js';

/** One int for every axis, or one per axis. */
export function perAxis(rank: number): z.ZodUnion<[z.ZodNumber, z.ZodArray<z.ZodNumber>]> {
  return z.union([posInt, z.array(posInt).length(rank)]);
}

export function paddingNd(rank: number) {
  return z.union([
    nonNegInt,
    z.array(nonNegInt).length(rank),
    z.array(nonNegInt).length(2 * rank),
    z.enum(['same', 'valid', 'sameUpper', 'sameLower']),
  ]);
}
export type PaddingNd = z.infer<ReturnType<typeof paddingNd>>;

export interface WindowSpecNd {
  kernel: number | readonly number[];
  stride: number | readonly number[];
  dilation?: number | readonly number[];
  padding: PaddingNd;
  ceilMode?: boolean;
}

export function expand(v: number | readonly number[], rank: number): number[] {
  return typeof v === 'number' ? Array<number>(rank).fill(v) : [...v];
}

/** Axis names for messages: 1-D [length], 2-D [height, width], 3-D [depth (time), height, width]. */
export function axisName(rank: number, a: number): string {
  if (rank === 1) return 'length';
  // the last axes are height and width whatever the rank: a 2-D map's first is its height
  return (rank <= 3 ? ['depth', 'height', 'width'][a + 3 - rank] : undefined) ?? `axis ${a}`;
}

function resolvePaddingNd<A>(ctx: InferContext<A>, p: PaddingNd, inSpatial: readonly number[], k: number[], d: number[], s: number[]): [number, number][] {
  const rank = inSpatial.length;
  const axes = [...Array(rank).keys()];
  if (p === 'valid') return axes.map(() => [0, 0]);
  if (p === 'sameUpper' || p === 'sameLower') {
    return axes.map((a) => {
      const out = Math.ceil(inSpatial[a] / s[a]);
      const total = Math.max(0, (out - 1) * s[a] + d[a] * (k[a] - 1) + 1 - inSpatial[a]);
      const small = Math.floor(total / 2);
      return (p === 'sameUpper' ? [small, total - small] : [total - small, small]) as [number, number];
    });
  }
  if (p === 'same') {
    if (s.some((v) => v !== 1)) ctx.fail('INVALID_ATTRIBUTE', `padding="same" needs stride 1 (PyTorch rule), got stride=[${s.join(', ')}]`, 'padding');
    return axes.map((a) => {
      const total = d[a] * (k[a] - 1);
      const begin = Math.floor(total / 2);
      return [begin, total - begin] as [number, number];
    });
  }
  if (typeof p === 'number') return axes.map(() => [p, p]);
  if (p.length === rank) return axes.map((a) => [p[a], p[a]]);
  return axes.map((a) => [p[a], p[rank + a]]);
}

/** Geometry of a forward window over the spatial axes (everything after N, C) of the input. */
export function windowGeometryNd<A>(ctx: InferContext<A>, inSpatial: readonly number[], spec: WindowSpecNd): AxisGeometry[] {
  const rank = inSpatial.length;
  const k = expand(spec.kernel, rank);
  const s = expand(spec.stride, rank);
  const d = expand(spec.dilation ?? 1, rank);
  const pads = resolvePaddingNd(ctx, spec.padding, inSpatial, k, d, s);
  return inSpatial.map((size, a) => {
    const effKernel = d[a] * (k[a] - 1) + 1;
    const [padBegin, padEnd] = pads[a];
    const span = size + padBegin + padEnd;
    // ceilMode: PyTorch still gives the windows that start inside (a padded input shorter than the
    // kernel has one, clipped); refused below only when there is none
    if (span < effKernel && !spec.ceilMode) {
      ctx.fail(
        'KERNEL_TOO_LARGE',
        `effective kernel ${effKernel} (kernel ${k[a]}, dilation ${d[a]}) is larger than the padded input ${axisName(rank, a)} ${span} (input ${size}, padding ${padBegin}+${padEnd})`,
        'kernelSize',
      );
    }
    let out: number;
    if (spec.ceilMode) {
      // PyTorch's pooling_output_shape: floor((span − k_eff + s − 1) / s) + 1, then the last window
      // dropped if it starts past the input and left padding
      out = Math.floor((span - effKernel + s[a] - 1) / s[a]) + 1;
      if ((out - 1) * s[a] >= size + padBegin) out -= 1;
      if (out < 1) {
        ctx.fail(
          'KERNEL_TOO_LARGE',
          `effective kernel ${effKernel} (kernel ${k[a]}, dilation ${d[a]}) leaves no window that starts inside the padded input ${axisName(rank, a)} ${span} (input ${size}, padding ${padBegin}+${padEnd}, stride ${s[a]}, ceilMode)`,
          'kernelSize',
        );
      }
    } else {
      out = Math.floor((span - effKernel) / s[a]) + 1;
    }
    return { in: size, kernel: k[a], stride: s[a], dilation: d[a], effKernel, padBegin, padEnd, out, ...(spec.ceilMode && { ceilMode: true as const }) };
  });
}

/** A trivial axis (size 1, kernel 1): lets 1-D and 3-D share one 3-axis kernel. */
export const UNIT_AXIS: AxisGeometry = Object.freeze({ in: 1, kernel: 1, stride: 1, dilation: 1, effKernel: 1, padBegin: 0, padEnd: 0, out: 1 });

/** The geometry as exactly three axes [d, h, w], trivial leading axes added for 1-D (and 2-D). */
export function asThreeAxes(geo: readonly AxisGeometry[]): [AxisGeometry, AxisGeometry, AxisGeometry] {
  const g = [...Array<AxisGeometry>(3 - geo.length).fill(UNIT_AXIS), ...geo];
  return [g[0], g[1], g[2]];
}

export const product = (v: readonly number[]): number => v.reduce((p, x) => p * x, 1);

/**
 * Geometry of a transposed window over N axes (torch.nn.ConvTranspose1d/3d), per axis
 *   out = (in − 1)·s − pb − pe + d·(k − 1) + 1 + outputPadding
 * padBegin/padEnd are what is cropped from the full output; outputPadding < max(s, d) (PyTorch).
 */
export function transposedGeometryNd<A>(ctx: InferContext<A>, inSpatial: readonly number[], spec: WindowSpecNd & { outputPadding: number | readonly number[] }): AxisGeometry[] {
  const rank = inSpatial.length;
  const k = expand(spec.kernel, rank);
  const s = expand(spec.stride, rank);
  const d = expand(spec.dilation ?? 1, rank);
  const op = expand(spec.outputPadding, rank);
  if (typeof spec.padding === 'string') {
    ctx.fail('INVALID_ATTRIBUTE', `padding="${spec.padding}" is not defined for transposed convolution (PyTorch accepts integers only)`, 'padding');
  }
  const pads = resolvePaddingNd(ctx, spec.padding, inSpatial, k, d, s);
  return inSpatial.map((size, a) => {
    if (op[a] >= Math.max(s[a], d[a])) {
      ctx.fail('INVALID_ATTRIBUTE', `outputPadding ${op[a]} must be smaller than stride ${s[a]} or dilation ${d[a]} (PyTorch rule)`, 'outputPadding');
    }
    const effKernel = d[a] * (k[a] - 1) + 1;
    const [padBegin, padEnd] = pads[a];
    const out = (size - 1) * s[a] - padBegin - padEnd + effKernel + op[a];
    if (out <= 0) {
      ctx.fail('NON_POSITIVE_SIZE', `output ${axisName(rank, a)} would be ${out} = (${size} − 1)·${s[a]} − ${padBegin} − ${padEnd} + ${effKernel} + ${op[a]}`, 'padding');
    }
    return { in: size, kernel: k[a], stride: s[a], dilation: d[a], effKernel, padBegin, padEnd, out };
  });
}
