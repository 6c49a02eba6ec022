/**
 * ONNX Conv, MaxPool and AveragePool over 1 or 3 spatial axes (audio, video) → conv1d/conv3d,
 * maxPool1d/3d (an Indices output: returnIndices over the whole tensor, as the 2-D MaxPool's),
 * avgPool1d/3d, and ConvTranspose and MaxUnpool over 1, 2 or 3 → convTranspose1d/2d/3d,
 * maxUnpool1d/2d/3d (indices over the whole tensor, as ONNX MaxPool's Indices). The 2-D
 * Conv and pools stay in map-node.ts; it asks mapWindowNd first and keeps its own mapping when this
 * returns null (a 2-D window). Attribute names and defaults per the ONNX operator specs: pads
 * [b1 … bN, e1 … eN] (our padding's 2N form, same order; 2-D: [t, l, b, r]), auto_pad.
 * ConvTranspose's auto_pad SAME_UPPER / SAME_LOWER and output_shape need the input's size: they go
 * to the op as padding "sameUpper" / "sameLower" and outputSize, resolved there
 * (ops/conv-transpose-padding.ts). A refusal names the field it is about (Unsupported.field).
 */
import type { Mapped, MapContext } from './mapping.js';
import { Unsupported } from './mapping.js';

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/**
 * auto_pad, refused at the attribute when it is none of ONNX's four (map-node.ts's 2-D windows read
 * it here too); an empty string is NOTSET, as onnxruntime reads it (StringToAutoPadType), which
 * refuses any other value ('SAME').
 */
export function autoPad(ctx: Pick<MapContext, 'a'>): string {
  const auto = ctx.a.string('auto_pad', 'NOTSET') || 'NOTSET';
  if (!AUTO_PADS.includes(auto)) throw new Unsupported(`auto_pad "${auto}" (ONNX's are ${AUTO_PADS.join(', ')})`, 'auto_pad');
  return auto;
}

/** pads as the 2N form, or 0 when absent; refused at the attribute when its length is not 2N. */
function explicitPads(ctx: MapContext, rank: number): number | number[] {
  const pads = ctx.a.ints('pads');
  if (!pads) return 0;
  if (pads.length !== 2 * rank) throw new Unsupported(`pads of length ${pads.length} for a ${rank}-D window (expected ${2 * rank})`, 'pads');
  return [...pads];
}

/** auto_pad or pads → a conv-nd/pool-nd padding attribute. */
function paddingNd(ctx: MapContext, rank: number): unknown {
  const auto = autoPad(ctx);
  if (auto === 'SAME_UPPER') return 'sameUpper';
  if (auto === 'SAME_LOWER') return 'sameLower';
  if (auto === 'VALID') return 'valid';
  return explicitPads(ctx, rank);
}

/** ctx.weightOf(i, role), whose refusal (a weight computed in the graph that does not fold) names node input i. */
export function weightAt(ctx: MapContext, i: number, role: string): ReturnType<MapContext['weightOf']> {
  try {
    return ctx.weightOf(i, role);
  } catch (e) {
    if (e instanceof Unsupported && e.field === undefined) throw new Unsupported(e.message, i);
    throw e;
  }
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
  const w = weightAt(ctx, 1, 'the weight W');
  if (!w || (w.shape.length !== 3 && w.shape.length !== 5)) return null;
  const rank = w.shape.length - 2;
  const b = weightAt(ctx, 2, 'the bias B');
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

/**
 * ConvTranspose's padding: output_shape (spatial sizes only, as onnxruntime reads it) → outputSize,
 * its padding split as SAME_UPPER says, else as the spec's "else" (sameLower); auto_pad SAME_*
 * alone → "sameUpper" / "sameLower" (output in·stride); VALID → 0 (onnxruntime: the plain
 * output); else pads. What each is read from goes along (Mapped.from), pads being ignored under
 * output_shape and auto_pad.
 */
function transposedPadding(ctx: MapContext, rank: number): { attrs: Record<string, unknown>; from: Record<string, readonly string[]> } {
  const auto = autoPad(ctx);
  const outputShape = ctx.a.ints('output_shape');
  if (outputShape) {
    if (outputShape.length !== rank) throw new Unsupported(`output_shape of length ${outputShape.length} for a ${rank}-D transposed convolution (ONNX gives the ${rank} spatial sizes)`, 'output_shape');
    return { attrs: { padding: auto === 'SAME_UPPER' ? 'sameUpper' : 'sameLower', outputSize: [...outputShape] }, from: { padding: ['output_shape'], outputSize: ['output_shape'] } };
  }
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return { attrs: { padding: auto === 'SAME_UPPER' ? 'sameUpper' : 'sameLower' }, from: { padding: ['auto_pad'] } };
  if (auto === 'VALID') return { attrs: { padding: 0 }, from: { padding: ['auto_pad'] } };
  return { attrs: { padding: explicitPads(ctx, rank) }, from: { padding: ['pads'] } };
}

function convTranspose(ctx: MapContext): Mapped {
  const w = weightAt(ctx, 1, 'the weight W');
  if (!w) throw new Unsupported('no weight W (input 1)');
  if (w.shape.length < 3 || w.shape.length > 5) throw new Unsupported(convRankReason(w.shape, 'transposed convolution'), 1);
  const rank = w.shape.length - 2;
  const padding = transposedPadding(ctx, rank);
  const b = weightAt(ctx, 2, 'the bias B');
  const group = ctx.a.int('group', 1);
  return {
    op: `convTranspose${rank}d`,
    inputs: [ctx.node.input[0]],
    attrs: {
      outChannels: w.shape[1] * group,
      kernelSize: w.shape.slice(2),
      stride: ints(ctx, 'strides'),
      ...padding.attrs,
      outputPadding: ctx.a.ints('output_padding') ?? 0,
      dilation: ints(ctx, 'dilations'),
      groups: group,
      bias: b !== null,
    },
    weights: { weight: { constant: w.name }, ...(b ? { bias: { constant: b.name } } : {}) },
    from: { ...WINDOW_FROM, ...padding.from },
  };
}

function pool(ctx: MapContext, kind: 'max' | 'avg'): Mapped | null {
  const k = ctx.a.ints('kernel_shape');
  if (!k || (k.length !== 1 && k.length !== 3)) return null;
  const rank = k.length;
  const common = { kernelSize: [...k], stride: ints(ctx, 'strides'), padding: paddingNd(ctx, rank), ceilMode: ctx.a.int('ceil_mode', 0) === 1 };
  if (kind === 'max') {
    if (ctx.a.int('storage_order', 0) !== 0) throw new Unsupported('storage_order 1 (column-major indices)', 'storage_order');
    // ONNX's Indices count over the whole input (the spec: [0, N x C x D1 x … x Dn)), PyTorch's within each plane
    const indices = ctx.node.output.length > 1 && ctx.node.output[1] !== '';
    const attrs = { ...common, dilation: ints(ctx, 'dilations'), ...(indices ? { returnIndices: true, indicesOver: 'tensor' } : {}) };
    return { op: `maxPool${rank}d`, inputs: [ctx.node.input[0]], attrs, from: WINDOW_FROM };
  }
  if (ctx.a.ints('dilations')?.some((d) => d !== 1)) throw new Unsupported('dilated average pooling (opset 19)', 'dilations');
  // ONNX pools the padded input where the unpadded one is smaller than the kernel, which PyTorch's avg_pool3d refuses
  const onnxWindows = rank === 3 ? { smallInput: 'pad' } : {};
  return { op: `avgPool${rank}d`, inputs: [ctx.node.input[0]], attrs: { ...common, countIncludePad: ctx.a.int('count_include_pad', 0) === 1, ...onnxWindows }, from: WINDOW_FROM };
}

/**
 * MaxUnpool (opsets 9, 11, 22: 22 only widens the element types) → maxUnpool1d/2d/3d with
 * indicesOver 'tensor': ONNX's I counts over the whole output ([0, N·C·D1·…·Dn), as MaxPool's
 * Indices), PyTorch's within each plane. pads go along as the op's padding: one per axis when each
 * axis's begin and end agree (PyTorch's form), else all 2N (begin ≠ end: the output per axis
 * (I − 1)·s + k − pb − pe, the op's rule). output_shape (input 2, the whole output's shape) goes
 * along as the op's output-size input, whose values inference folds (a constant, or Shape of a
 * tensor) or leaves the layer unsupported.
 */
function unpool(ctx: MapContext): Mapped {
  const k = ctx.a.ints('kernel_shape');
  if (!k || k.length < 1 || k.length > 3) throw new Unsupported(`kernel_shape of length ${k?.length ?? 0}: only 1-D, 2-D and 3-D max unpooling are supported`, 'kernel_shape');
  const rank = k.length;
  const pads = explicitPads(ctx, rank);
  const symmetric = !Array.isArray(pads) || pads.every((b, i) => i >= rank || b === pads[i + rank]);
  const ins = ctx.node.input;
  const outputShape = ins.length > 2 && ins[2] !== '' ? [ins[2]] : [];
  return {
    op: `maxUnpool${rank}d`,
    inputs: [ins[0], ins[1], ...outputShape],
    attrs: { kernelSize: [...k], stride: ctx.a.ints('strides') ?? 1, padding: !Array.isArray(pads) ? 0 : symmetric ? pads.slice(0, rank) : pads, indicesOver: 'tensor' },
    from: { kernelSize: 'kernel_shape', stride: 'strides', padding: 'pads', outputSize: 2 },
  };
}

/** The 1-D/3-D mapping of a Conv/MaxPool/AveragePool node, or null when it is 2-D (or another op); a ConvTranspose or MaxUnpool of any rank. */
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
    case 'MaxUnpool':
      return unpool(ctx);
    default:
      return null;
  }
}
