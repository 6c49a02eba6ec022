/**
 * A transposed conv's padding "sameUpper" / "sameLower" and outputSize: ONNX ConvTranspose's
 * auto_pad and output_shape (onnx Operators.md, ConvTranspose), resolved at the input's size into
 * the explicit padding and output padding the geometry takes. Per spatial axis:
 *
 *   plain  = s·(in − 1) + outputPadding + d·(k − 1) + 1      (the output with no padding)
 *   target = outputSize                                       when given (output_shape)
 *          = in·s                                             else (auto_pad SAME_UPPER / SAME_LOWER)
 *   total  = plain − target                                   cropped from the plain output
 *   sameUpper: begin ⌊total/2⌋, end the rest; sameLower: begin the rest, end ⌊total/2⌋
 *
 * The mapper writes an output_shape under auto_pad NOTSET or VALID as "sameLower": the spec's
 * "else" branch, which splits so. onnxruntime 1.30 agrees on every case above (1-D, in 4, k 3,
 * s 2: SAME_UPPER keeps y[0 … 7] of the plain 9, SAME_LOWER y[1 … 8]). With output_padding under
 * SAME_*, the target stays in·s, as the spec's text and onnxruntime's kernel have it (k 3, s 3,
 * output_padding 1, in 4: 12); onnx's shape inference says in·s + output_padding (13).
 *
 * total < 0, the target past the plain output: with outputSize, the extra positions are output
 * padding at the end (onnxruntime writes them so: output_shape 10 of the plain 9 is y[0 … 8] and a
 * 0), at most s − 1 of them (onnxruntime refuses more) and within PyTorch's outputPadding rule
 * (< max(s, d)); past that it is refused at outputSize. Without outputSize (auto_pad SAME_* whose
 * kernel reaches less than one stride, d·(k − 1) + 1 + outputPadding < s) the spec asks for in·s
 * with a negative padding and onnxruntime writes the plain output: refused at padding.
 */
import { z } from 'zod';
import { posInt } from './geometry.js';
import type { InferContext } from './types.js';

/** The outputSize attribute of a transposed conv over `rank` spatial axes. */
export const outputSizeAttr = (rank: number) =>
  z
    .array(posInt)
    .length(rank)
    .optional()
    .describe('the output\'s spatial size (ONNX ConvTranspose output_shape): the padding is derived from it, split as padding "sameUpper" or "sameLower" says');

/** What the resolution reads of a transposed conv's attributes. */
export interface TransposedPaddingSpec {
  kernel: number | readonly number[];
  stride: number | readonly number[];
  dilation: number | readonly number[];
  padding: number | readonly number[] | string;
  outputPadding: number | readonly number[];
  outputSize?: readonly number[];
}

const perAxis = (v: number | readonly number[], rank: number): number[] => (typeof v === 'number' ? Array<number>(rank).fill(v) : [...v]);

/**
 * The padding (2N form: begins, then ends) and output padding per axis that give `spec`'s output
 * over `inSpatial`; `spec` unchanged when its padding is no "sameUpper" / "sameLower" and it has
 * no outputSize (the geometry then reads or refuses it as before).
 */
export function resolveTransposedPadding<A>(ctx: InferContext<A>, inSpatial: readonly number[], spec: TransposedPaddingSpec): { padding: TransposedPaddingSpec['padding']; outputPadding: TransposedPaddingSpec['outputPadding'] } {
  const p = spec.padding;
  const split = p === 'sameUpper' || p === 'sameLower';
  if (!split) {
    if (spec.outputSize) ctx.fail('INVALID_ATTRIBUTE', `outputSize needs padding "sameUpper" or "sameLower" (which end takes an odd unit), got ${JSON.stringify(p)}`, 'outputSize');
    return { padding: p, outputPadding: spec.outputPadding };
  }
  const rank = inSpatial.length;
  const [k, s, d, op] = [spec.kernel, spec.stride, spec.dilation, spec.outputPadding].map((v) => perAxis(v, rank));
  const begins: number[] = [];
  const ends: number[] = [];
  const outputPadding = inSpatial.map((size, a) => {
    const plain = s[a] * (size - 1) + op[a] + d[a] * (k[a] - 1) + 1;
    const target = spec.outputSize ? spec.outputSize[a] : size * s[a];
    const total = plain - target;
    const axis = rank === 1 ? '' : ` along axis ${a}`;
    if (total >= 0) {
      const small = Math.floor(total / 2);
      begins.push(p === 'sameUpper' ? small : total - small);
      ends.push(p === 'sameUpper' ? total - small : small);
      return op[a];
    }
    if (!spec.outputSize) {
      ctx.fail(
        'INVALID_ATTRIBUTE',
        `padding "${p}" asks for an output of ${size}·${s[a]} = ${target}${axis}, more than the ${plain} = ${s[a]}·(${size} − 1) + ${op[a]} + ${d[a] * (k[a] - 1) + 1} the kernel reaches: ONNX's padding would be negative (${total}) and onnxruntime writes ${plain}; give outputSize (output_shape) or explicit padding`,
        'padding',
      );
    }
    const extra = -total;
    if (extra > s[a] - 1 || op[a] + extra >= Math.max(s[a], d[a])) {
      ctx.fail(
        'INVALID_ATTRIBUTE',
        `outputSize ${target}${axis} is ${extra} past the ${plain} = ${s[a]}·(${size} − 1) + ${op[a]} + ${d[a] * (k[a] - 1) + 1} the kernel reaches: at most stride − 1 = ${s[a] - 1} (onnxruntime's rule), with outputPadding ${op[a]} less than max(stride, dilation) = ${Math.max(s[a], d[a])}`,
        'outputSize',
      );
    }
    begins.push(0);
    ends.push(0);
    return op[a] + extra;
  });
  return { padding: [...begins, ...ends], outputPadding };
}
