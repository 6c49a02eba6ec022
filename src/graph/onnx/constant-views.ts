/**
 * Unsqueeze and Squeeze of a constant are that constant seen at another shape (the same values in
 * the same order), as an Identity of one is the constant itself (import.ts). torch.onnx writes a
 * module's parameter so when it exports without constant folding (TrainingMode.PRESERVE asks for
 * that): PReLU's slope as Unsqueeze(weight, [1, 2]) → [C, 1, 1], GroupNorm's γ and β. A mapper
 * that needs its operand constant (PRelu's slope) then finds it, and the analysis counts the
 * stored initializer once, where a layer reads its view.
 *
 *   Unsqueeze: axes (opset ≥ 13 a constant input, before an attribute) insert dims of 1 at their
 *              places in the output (negative: counted from the output's end);
 *   Squeeze:   axes remove those dims of 1 (none given: every dim of 1).
 *
 * Anything else (axes computed, a dim that is not 1, an axis repeated or out of range) is left to
 * the node's own layer, whose inference says what is wrong.
 */
import type { GraphConstant } from '../graph.js';
import type { Attributes } from './attributes.js';
import type { NodeProto } from './proto.js';

function unsqueezed(shape: readonly number[], axes: readonly number[]): number[] | null {
  const rank = shape.length + axes.length;
  const at = axes.map((a) => (a < 0 ? a + rank : a));
  if (at.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(at).size !== at.length) return null;
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : shape[k++]);
  return out;
}

function squeezed(shape: readonly number[], axes: readonly number[] | null): number[] | null {
  if (axes === null) return shape.filter((d) => d !== 1);
  const at = axes.map((a) => (a < 0 ? a + shape.length : a));
  if (at.some((a) => !Number.isInteger(a) || a < 0 || a >= shape.length || shape[a] !== 1) || new Set(at).size !== at.length) return null;
  return shape.filter((_, i) => !at.includes(i));
}

/** The node's output as a view of its constant input, or null when it is not one (see the header). */
export function constantView(node: NodeProto, a: Attributes, opset: number, constants: ReadonlyMap<string, GraphConstant>): GraphConstant | null {
  if (node.opType !== 'Unsqueeze' && node.opType !== 'Squeeze') return null;
  const x = constants.get(node.input[0] ?? '');
  if (!x || x.dataType === 'other') return null;
  let axes: number[] | null;
  if (opset >= 13) {
    const given = node.input[1] ? constants.get(node.input[1]) : undefined;
    if (node.input[1] && !given?.value) return null;
    axes = given?.value ? [...given.value.data] : null;
  } else {
    axes = a.ints('axes') ?? null;
  }
  const shape = node.opType === 'Unsqueeze' ? (axes ? unsqueezed(x.shape, axes) : null) : squeezed(x.shape, axes);
  if (!shape) return null;
  // a view of a view counts as what that one views; an Identity alias counts as itself (repeated-calls.ts)
  return { ...x, name: node.output[0], shape, countsAs: x.countsAs ?? x.name };
}
