/**
 * An operator call's inputs given as an object (`POST /v1/operators/{name}`, GraphQL runOperator,
 * .npy parts named after them): the kernel takes them in order, so the object names them either
 *  - by the op's input names (`{ x, offset, mask }`), taken in the op's order whatever the keys'
 *    order, each name before the last one given present (a mask without its offset would be read
 *    as the offset); or
 *  - by position (`{ "0": …, "1": … }`, as .npy parts "0", "1" for a variadic op's third input),
 *    0 to n − 1 without gaps, within the op's inputs.
 * Not both: `{ x, "1" }` is refused, as is a name the op does not have (on a variadic op too) or a
 * position past its inputs. Before, numeric keys were never checked: `{ "1": t }` ran relu on t, a
 * third tensor of sub was dropped, `{ a, "1" }` concatenated [B, A], and `{ foo, constructor }` was
 * an add, all answered 200 (a fuzz of 2026-12-04).
 */
import { ConvlensError, jsonPath } from '../errors.js';
import type { OpDef } from '../ops/types.js';
import type { Tensor } from '../tensor/tensor.js';
import { closest } from '../suggest.js';

/** A position: a canonical non-negative integer ("0", "12"; not "007" or "-1"). */
export const isPosition = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k);

const at = (key: string) => jsonPath(['inputs', key]);

export function operatorInputs(op: OpDef, tensors: ReadonlyMap<string, Tensor>): Tensor[] {
  const keys = [...tensors.keys()];
  // none: the caller's "needs its inputs"
  if (keys.length === 0) return [];
  const positions = keys.filter(isPosition);
  const names = keys.filter((k) => !isPosition(k));
  const list = op.inputNames.join(', ');
  if (positions.length && names.length) {
    throw new ConvlensError('INVALID_TENSOR', `give ${op.name}'s inputs by name (${list}) or by position ("0", "1", …), not both: '${names[0]}' and '${positions[0]}'`, { path: at(positions[0]) });
  }
  if (names.length) {
    const unknown = names.find((k) => !op.inputNames.includes(k));
    if (unknown !== undefined) {
      const suggestion = closest(unknown, op.inputNames);
      const more = op.variadic ? `; more than these go by position, every one of them ("0", "1", … "${op.inputNames.length}", …)` : '';
      throw new ConvlensError('INVALID_TENSOR', `${op.name} has no input '${unknown}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; its inputs are ${list}${more}`, {
        path: at(unknown),
        ...(suggestion ? { suggestion } : {}),
      });
    }
    const given = op.inputNames.filter((n) => tensors.has(n));
    const last = given[given.length - 1];
    const missing = op.inputNames.slice(0, op.inputNames.indexOf(last)).find((n) => !tensors.has(n));
    if (missing !== undefined) {
      // an input the op reads as absent when empty (resize's roi, pad's constantValue) is given so: { shape: [0], data: [] }
      throw new ConvlensError('INVALID_TENSOR', `${op.name} takes its inputs in order (${list}): '${last}' is given without '${missing}' before it; give '${missing}' too (an empty tensor, { "shape": [0], "data": [] }, where ${op.name} reads an empty one as left out)`, {
        path: at(missing),
      });
    }
    return given.map((n) => tensors.get(n)!);
  }
  // by value (a key past 2^53 sorts last, and is named as given: String(Number(k)) is another key)
  const ordered = positions.map((key) => ({ key, at: Number(key) })).sort((a, b) => a.at - b.at);
  const highest = ordered[ordered.length - 1];
  if (!op.variadic && highest.at >= op.inputNames.length) {
    const count = op.inputNames.length;
    throw new ConvlensError('INVALID_TENSOR', `${op.name} takes ${count === 1 ? 'one input' : `${count} inputs`} (${list}), by position "0"${count > 1 ? ` to "${count - 1}"` : ''}: there is no input "${highest.key}"`, {
      path: at(highest.key),
    });
  }
  const gap = ordered.findIndex((p, i) => p.at !== i);
  if (gap >= 0) {
    throw new ConvlensError('INVALID_TENSOR', `${op.name}'s input "${gap}" is missing: positions run from "0" without gaps (given ${ordered.map((p) => `"${p.key}"`).join(', ')})`, { path: at(String(gap)) });
  }
  return ordered.map((p) => tensors.get(p.key)!);
}
