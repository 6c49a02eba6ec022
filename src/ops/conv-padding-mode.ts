/**
 * The convolutions' paddingMode (nn.Conv1d/2d/3d padding_mode: 'zeros' | 'reflect' | 'replicate' |
 * 'circular'). A conv with a mode other than zeros is exactly a pad in that mode followed by the
 * conv unpadded, which is how PyTorch computes it (_conv_forward: F.pad(x,
 * _reversed_padding_repeated_twice, mode), then the conv with padding 0), and how it is counted here:
 *   modes           reflect → the pad op's 'reflect', replicate → 'edge', circular → 'wrap'
 *                   (src/ops/indexing.ts pad; tensor/nd.ts padSource)
 *   refusals        reflect padding ≥ the input size along an axis, circular padding > it (F.pad:
 *                   "Padding size should be less than the corresponding input dimension", "Padding
 *                   value causes wrapping around more than once"): INVALID_ATTRIBUTE at padding;
 *                   replicate takes any padding
 *   shape, cost     the conv's over the padded input with padding 0: the same output size, MACs and
 *                   parameters as with zeros; the pad is a copy and costs nothing, as the pad op counts it
 *   receptive field the pad op's (its begin pads shift the field), then the conv's window unpadded
 *   run             the input padded once (one allocation per call; the padded shape is the
 *                   layer's intermediate, held to MAX_TENSOR_ELEMENTS as the pad op's output would
 *                   be: replicate takes any padding), then the conv's kernel
 *   VJP             the conv's input gradient over the padded input, then the pad's adjoint
 *                   (vjp-plumbing.ts padVjp: each border cell's gradient added to the cell it copies)
 * 'same' padding resolves first (its begin and end pads per axis), then pads in the mode, as PyTorch.
 * Transposed convolutions take 'zeros' only, as nn.ConvTranspose1d/2d/3d (ValueError otherwise).
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { pad as padOp } from './indexing.js';
import { padVjp } from './vjp-plumbing.js';
import type { AxisGeometry, InferContext, Intermediate, RFContext, Shape, TensorRF, VjpContext } from './types.js';
import { pad as padTensor } from '../tensor/nd.js';
import type { PadMode } from '../tensor/nd.js';
import type { Tensor } from '../tensor/tensor.js';

export const PaddingMode = z
  .enum(['zeros', 'reflect', 'replicate', 'circular'])
  .default('zeros')
  .describe("what the padding holds: zeros, or the input reflected (without repeating the edge), the edge repeated, or the input wrapped around (nn.Conv2d's padding_mode)");
export type PaddingMode = z.infer<typeof PaddingMode>;

/** Transposed convolutions: zeros only (PyTorch: 'Only "zeros" padding mode is supported for ConvTranspose2d'). */
export const ZerosPaddingOnly = z.enum(['zeros']).default('zeros').describe('zeros only, as nn.ConvTranspose1d/2d/3d');

const PAD_MODE: Record<Exclude<PaddingMode, 'zeros'>, PadMode> = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' };

/** The pad a paddingMode conv applies before its window: begin pads per input dim, the padded shape, the pad op's mode. */
export interface PadStage {
  begin: number[];
  shape: Shape;
  mode: PadMode;
  /** The padded input in the conv's words, for the tensor limit's message (padIntermediate). */
  what: string;
}

/** The padded input as the layer's intermediate: held to MAX_TENSOR_ELEMENTS (runtime/checks.ts) as the pad op's output would be, and alive in PyTorch's memory while the conv runs. */
export const padIntermediate = (stage: PadStage): Intermediate => ({ shape: stage.shape, what: stage.what, inPyTorch: true });

/**
 * The pad stage of a conv over x with the resolved window geometry `geo` (one per spatial axis),
 * and the geometry over the padded input (padding 0); no stage for zeros or no padding.
 */
export function padStage<A>(ctx: InferContext<A>, x: Shape, geo: AxisGeometry[], mode: PaddingMode): { stage: PadStage | null; geo: AxisGeometry[] } {
  if (mode === 'zeros' || geo.every((g) => g.padBegin === 0 && g.padEnd === 0)) return { stage: null, geo };
  geo.forEach((g, a) => {
    // F.pad's limits: reflect reads at most in − 1 cells past an edge, circular wraps at most once
    const most = mode === 'reflect' ? g.in - 1 : mode === 'circular' ? g.in : Infinity;
    const p = Math.max(g.padBegin, g.padEnd);
    if (p > most) {
      const why = mode === 'reflect' ? 'Padding size should be less than the corresponding input dimension' : 'Padding value causes wrapping around more than once';
      ctx.fail('INVALID_ATTRIBUTE', `paddingMode ${mode} with padding ${p} on spatial axis ${a} of ${fmtShape(x)}: at most ${most} there (PyTorch: ${why})`, 'padding', { shapes: { input: x } });
    }
  });
  const padded = geo.map((g) => ({ ...g, in: g.in + g.padBegin + g.padEnd, padBegin: 0, padEnd: 0 }));
  return {
    stage: { begin: [0, 0, ...geo.map((g) => g.padBegin)], shape: [x[0], x[1], ...padded.map((g) => g.in)], mode: PAD_MODE[mode], what: `its input padded in paddingMode ${mode}` },
    geo: padded,
  };
}

/** The field after the pad stage: the pad op's own receptive field. */
export function padStageRF(ctx: RFContext<unknown, unknown>, stage: PadStage): TensorRF | null {
  return padOp.receptiveField({ ...ctx, attrs: { mode: stage.mode, value: 0 }, plan: { begin: stage.begin }, outputs: [stage.shape] });
}

/** The input padded as the stage says. */
export const padInput = (x: Tensor, stage: PadStage): Tensor => padTensor(x, stage.begin, stage.shape, stage.mode, 0);

/** What the VJP allocates besides ∂x (OpInferred.vjpIntermediates): the conv's input gradient over the padded input, which unpadGradient folds back. */
export const padGradientIntermediate = (stage: PadStage): Intermediate => ({ shape: stage.shape, what: `the gradient over ${stage.what}, before the pad's adjoint folds it back (${fmtShape(stage.shape)})` });

/** ∂x from the gradient over the padded input: the pad's adjoint. */
export function unpadGradient(ctx: VjpContext<unknown, unknown>, stage: PadStage, gPadded: Tensor): Tensor {
  return padVjp({ ...ctx, attrs: { mode: stage.mode }, plan: { begin: stage.begin }, inputs: [ctx.inputs[0]], outputs: [stage.shape], forward: [], gradOutputs: [gPadded] })[0]!;
}
