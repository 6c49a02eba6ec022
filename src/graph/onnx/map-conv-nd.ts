/**
 * ONNX Conv, ConvTranspose, MaxPool and AveragePool over 1 or 3 spatial axes (audio, video) →
 * conv1d/conv3d, convTranspose1d/3d, maxPool1d/3d, avgPool1d/3d. The 2-D cases stay in map-node.ts; it asks mapWindowNd first and
 * keeps its own mapping when this returns null (a 2-D window). Attribute names and defaults per
 * the ONNX operator specs: pads [b1 … bN, e1 … eN] (our padding's 2N form, same order), auto_pad.
 */
import type { Mapped, MapContext } from './mapping.js';
import { Unsupported } from './mapping.js';

/** auto_pad or pads → a conv-nd/pool-nd padding attribute. */
function paddingNd(ctx: MapContext, rank: number): unknown {
  const auto = ctx.a.string('auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER') return 'sameUpper';
  if (auto === 'SAME_LOWER') return 'sameLower';
  if (auto === 'VALID') return 'valid';
  const pads = ctx.a.ints('pads');
  if (!pads) return 0;
  if (pads.length !== 2 * rank) throw new Unsupported(`pads of length ${pads.length} for a ${rank}-D window (expected ${2 * rank})`);
  return [...pads];
}

/**
 * Why a conv weight W of the wrong rank is not mapped: under rank 3 it is no conv weight at all
 * ([M, C/group, k1, …]; the message read "a -1-D convolution"), else a window over more axes than
 * `supported` (1, 2, 3 for Conv and ConvTranspose; 2 for the quantized convs).
 */
export function convRankReason(shape: readonly number[], what: string, supported = '1-D, 2-D and 3-D are'): string {
  if (shape.length < 3) return `weight W [${shape.join(', ')}] has rank ${shape.length}: a ${what} weight is [M, C/group, k1, …], of rank 3 or more`;
  return `a ${shape.length - 2}-D ${what}: only ${supported} supported`;
}

/**
 * What a window's attributes are read from (Mapped.from), for the 1-D, 2-D and 3-D convs and pools:
 * a conv's kernelSize is kernel_shape when given, else W's (input 1) shape; padding is pads, else auto_pad.
 */
export const WINDOW_FROM = {
  kernelSize: ['kernel_shape', 1],
  stride: 'strides',
  padding: ['pads', 'auto_pad'],
  dilation: 'dilations',
  groups: 'group',
  outputPadding: 'output_padding',
  ceilMode: 'ceil_mode',
  countIncludePad: 'count_include_pad',
} as const;

const ints = (ctx: MapContext, name: string): readonly number[] | number => ctx.a.ints(name) ?? 1;

function conv(ctx: MapContext): Mapped | null {
  const w = ctx.weightOf(1, 'the weight W');
  if (!w || (w.shape.length !== 3 && w.shape.length !== 5)) return null;
  const rank = w.shape.length - 2;
  const b = ctx.weightOf(2, 'the bias B');
  return {
    op: `conv${rank}d`,
    inputs: [ctx.node.input[0]],
    attrs: {
      outChannels: w.shape[0],
      kernelSize: w.shape.slice(2),
      stride: ints(ctx, 'strides'),
      padding: paddingNd(ctx, rank),
      dilation: ints(ctx, 'dilations'),
      groups: ctx.a.int('group', 1),
      bias: b !== null,
    },
    weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
    from: WINDOW_FROM,
  };
}

function convTranspose(ctx: MapContext): Mapped | null {
  const w = ctx.weightOf(1, 'the weight W');
  if (!w || (w.shape.length !== 3 && w.shape.length !== 5)) return null;
  const rank = w.shape.length - 2;
  if (ctx.a.has('output_shape')) throw new Unsupported('output_shape (give explicit pads and output_padding)');
  const padding = paddingNd(ctx, rank);
  if (typeof padding === 'string') throw new Unsupported(`auto_pad ${ctx.a.string('auto_pad', '')} on a transposed convolution`);
  const b = ctx.weightOf(2, 'the bias B');
  const group = ctx.a.int('group', 1);
  return {
    op: `convTranspose${rank}d`,
    inputs: [ctx.node.input[0]],
    attrs: {
      outChannels: w.shape[1] * group,
      kernelSize: w.shape.slice(2),
      stride: ints(ctx, 'strides'),
      padding,
      outputPadding: ctx.a.ints('output_padding') ?? 0,
      dilation: ints(ctx, 'dilations'),
      groups: group,
      bias: b !== null,
    },
    weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
    from: WINDOW_FROM,
  };
}

function pool(ctx: MapContext, kind: 'max' | 'avg'): Mapped | null {
  const k = ctx.a.ints('kernel_shape');
  if (!k || (k.length !== 1 && k.length !== 3)) return null;
  const rank = k.length;
  const common = { kernelSize: [...k], stride: ints(ctx, 'strides'), padding: paddingNd(ctx, rank), ceilMode: ctx.a.int('ceil_mode', 0) === 1 };
  if (kind === 'max') {
    if (ctx.a.int('storage_order', 0) !== 0) throw new Unsupported('storage_order 1 (column-major indices)');
    if (ctx.node.output.length > 1 && ctx.node.output[1] !== '') throw new Unsupported(`the indices output of a ${rank}-D max pooling`);
    return { op: `maxPool${rank}d`, inputs: [ctx.node.input[0]], attrs: { ...common, dilation: ints(ctx, 'dilations') }, from: WINDOW_FROM };
  }
  if (ctx.a.ints('dilations')?.some((d) => d !== 1)) throw new Unsupported('dilated average pooling (opset 19)');
  // ONNX pools the padded input where the unpadded one is smaller than the kernel, which PyTorch's avg_pool3d refuses
  const onnxWindows = rank === 3 ? { smallInput: 'pad' } : {};
  return { op: `avgPool${rank}d`, inputs: [ctx.node.input[0]], attrs: { ...common, countIncludePad: ctx.a.int('count_include_pad', 0) === 1, ...onnxWindows }, from: WINDOW_FROM };
}

/** The 1-D/3-D mapping of a Conv/ConvTranspose/MaxPool/AveragePool node, or null when it is 2-D (or another op). */
export function mapWindowNd(ctx: MapContext): Mapped | null {
  switch (ctx.node.opType) {
    case 'Conv':
      return conv(ctx);
    case 'ConvTranspose':
      return convTranspose(ctx);
    case 'MaxPool':
      return pool(ctx, 'max');
    case 'AveragePool':
      return pool(ctx, 'avg');
    default:
      return null;
  }
}
