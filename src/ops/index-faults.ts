/**
 * Indices out of range, as the index operators (gather, gatherND, gatherElements, scatterElements,
 * scatterND) report them: the element of indices by its coordinates, its value, the axis and the
 * data's shape. Known at analysis (constant indices) they are INVALID_ATTRIBUTE at the layer's
 * `inputs[1]`; found by a kernel, INVALID_TENSOR at `$.inputs[1]` relative to the layer, which
 * runtime/execute.ts puts under the layer's path (errors.ts atLayer): `$.inputs[1]` of an operator
 * call, `$.layers[3].inputs[1]` of a spec.
 */
import { ConvlensError, fmtShape } from '../errors.js';
import type { Shape } from './types.js';

/** A fault's message, thrown by the caller's choice of error. */
export type Fail = (message: string) => never;

/** Whether i indexes an axis of size `dim`: an integer in [−dim, dim − 1], negatives counting from the end (ONNX). */
export const validIndex = (i: number, dim: number): boolean => Number.isInteger(i) && i >= -dim && i < dim;

/** Coordinates of flat position n in a tensor of `shape`, as `[1, 0, 2]`; nothing for a scalar. */
export function coordinates(n: number, shape: Shape): string {
  if (shape.length === 0) return '';
  const at = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = n % shape[d];
    n = Math.floor(n / shape[d]);
  }
  return `[${at.join(', ')}]`;
}

/** Index i, element n of indices (idxShape), does not address axis `axis` of data `shape`. */
export function indexMessage(i: number, axis: number, shape: Shape, n: number, idxShape: Shape): string {
  const dim = shape[axis];
  return `indices${coordinates(n, idxShape)} = ${i} is ${Number.isInteger(i) ? 'out of range' : 'not an integer'} for axis ${axis} of data ${fmtShape(shape)} (valid: integers ${-dim}…${dim - 1})`;
}

/** A kernel's fault in its indices (input 1): INVALID_TENSOR there, relative to the layer. */
export const badIndices =
  (shapes: Record<string, Shape>): Fail =>
  (message) => {
    throw new ConvlensError('INVALID_TENSOR', message, { path: '$.inputs[1]', shapes });
  };
