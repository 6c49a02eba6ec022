/**
 * toEqual on typed arrays in O(n) plain loops: vitest's own path (iterableEquality) compares element
 * by element through its generic equals, then compares Object.entries of both arrays, so a million
 * floats took 3.9 s (a 4-million-float conv output 26 s of one test) on the 2-vCPU host. This
 * tester answers the same question for two typed arrays of one type: same length, and every
 * element equal under Object.is (as toEqual's numbers: NaN equals NaN, +0 differs from −0). Any
 * other pair (different types, a typed array against a plain array) goes on to vitest's rules.
 * Own properties beside the elements, which vitest would compare too, are not looked at: no
 * array under test carries any.
 */
import { expect } from 'vitest';

type Typed = Exclude<ArrayBufferView, DataView>;

const isTyped = (v: unknown): v is Typed => ArrayBuffer.isView(v) && !(v instanceof DataView);

export function typedArraysEqual(a: unknown, b: unknown): boolean | undefined {
  if (!isTyped(a) || !isTyped(b) || a.constructor !== b.constructor) return undefined;
  const x = a as unknown as ArrayLike<number | bigint>;
  const y = b as unknown as ArrayLike<number | bigint>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

// once per worker: the files of the pure project share one module graph (vitest.config.ts), and the
// testers are kept in expect's global state, so a second add would test every pair twice
const added = Symbol.for('convlens.typedArraysEqual');
const state = globalThis as { [added]?: true };
if (!state[added]) {
  expect.addEqualityTesters([typedArraysEqual]);
  state[added] = true;
}
