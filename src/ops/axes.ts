/**
 * Axis arguments, one rule for every op (ONNX and PyTorch agree):
 *
 *   an axis of a rank-r tensor lies in [−r, r − 1]; a negative axis counts from the end: a + r
 *     (softmax dim, concat dim, flatten startDim/endDim, split, slice, pad, squeeze, gather,
 *      reduceMean axes; unsqueeze's axes index its output, so r is the output rank there)
 *   a boundary between dims lies in [−r, r], negative + r (ONNX Flatten's axis: the dims before it
 *     form the first output dim, the rest the second)
 *
 * Out of range is INVALID_ATTRIBUTE naming the field, the axis, the rank and the input shape; so is
 * a list naming one axis twice (slice, squeeze, the reductions: torch.sum(x, (1, -3)) is
 * "dim 1 appears multiple times in the list of dims", onnxruntime's Slice "'axes' has duplicates").
 * References: onnx.ai/onnx/operators (Softmax, Concat, Flatten, Unsqueeze …), torch.nn.Softmax(dim).
 */
import { fmtShape } from '../errors.js';
import type { InferContext, LayerField, Shape } from './types.js';

function outOfRange<A>(ctx: InferContext<A>, axis: number, rank: number, field: LayerField, shape: Shape, lo: number, hi: number): never {
  const name = Array.isArray(field) ? field.join('.') : field;
  return ctx.fail(
    'INVALID_ATTRIBUTE',
    // a 0-d input has no axis: "valid values are 0…-1" said nothing
    rank === 0 ? `${name}=${axis}: the input ${fmtShape(shape)} is 0-d and has no axis` : `${name}=${axis} is out of range for rank ${rank} (input ${fmtShape(shape)}): valid values are ${lo}…${hi}`,
    field,
  );
}

/**
 * An axis of a rank-`rank` tensor in [−rank, rank − 1], as a non-negative index. `shape` (the
 * input, by default) is named in the message.
 */
export function normalizeAxis<A>(ctx: InferContext<A>, axis: number, rank: number, field: LayerField, shape: Shape = ctx.inputs[0]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) outOfRange(ctx, axis, rank, field, shape, -rank, rank - 1);
  return a;
}

/** A boundary between dims of a rank-`rank` tensor in [−rank, rank] (ONNX Flatten's axis), as 0…rank. */
export function normalizeBoundary<A>(ctx: InferContext<A>, axis: number, rank: number, field: LayerField, shape: Shape = ctx.inputs[0]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a > rank) outOfRange(ctx, axis, rank, field, shape, -rank, rank);
  return a;
}

/** A list of axes, each normalized as normalizeAxis does, refused when two name the same axis ([1, -3] of rank 4). */
export function distinctAxes<A>(ctx: InferContext<A>, axes: readonly number[], rank: number, field: LayerField, shape: Shape = ctx.inputs[0]): number[] {
  const normalized = axes.map((a) => normalizeAxis(ctx, a, rank, field, shape));
  const twice = normalized.find((a, i) => normalized.indexOf(a) !== i);
  if (twice !== undefined) {
    const name = Array.isArray(field) ? field.join('.') : field;
    ctx.fail('INVALID_ATTRIBUTE', `${name} [${axes.join(', ')}] name axis ${twice} of ${fmtShape(shape)} twice; each axis may be given once`, field, { shapes: { data: shape } });
  }
  return normalized;
}
