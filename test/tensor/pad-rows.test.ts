/**
 * tensor/nd.ts pad and ops/vjp-plumbing.ts padVjp walk rows of the last axis (padRows, padColumns),
 * the middle of a row one contiguous copy. Checked against the definition element by element: each
 * output cell reads x at padSource of its coordinate on every axis (the constant where any is −1),
 * and the gradient adds each output cell's g into that source, in the output's order, so the sums
 * are the same bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { pad, padSource } from '../../src/tensor/nd.js';
import type { PadMode } from '../../src/tensor/nd.js';
import { padVjp } from '../../src/ops/vjp-plumbing.js';
import { rng } from '../../src/tensor/random.js';
import { numel, strides, tensor } from '../../src/tensor/tensor.js';

/** The source offset in x of each output cell, −1 for the constant (the definition). */
function sources(shape: number[], begin: number[], out: number[], mode: PadMode): number[] {
  const own = strides(shape);
  const res: number[] = [];
  for (let o = 0; o < numel(out); o++) {
    let rest = o;
    let src = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const c = rest % out[d];
      rest = (rest - c) / out[d];
      const s = padSource(c, begin[d], out[d] - shape[d] - begin[d], shape[d], mode);
      if (s < 0 || src < 0) src = -1;
      else src += s * own[d];
    }
    res.push(src);
  }
  return res;
}

const cases: [string, number[], number[], number[], PadMode][] = [
  ['reflect 1 on H and W of 1×2×4×5', [1, 2, 4, 5], [0, 0, 1, 1], [1, 2, 6, 7], 'reflect'],
  ['reflect 3 before, 2 after on a row of 5', [5], [3], [10], 'reflect'],
  ['edge 2/1 on every axis of 2×3×4', [2, 3, 4], [2, 2, 2], [5, 6, 7], 'edge'],
  ['wrap with a crop: pads [2, −1] on [6] (PyTorch circular)', [6], [2], [7], 'wrap'],
  ['wrap 1 on the last two axes of 1×1×3×3×4 (rank 5)', [1, 1, 3, 3, 4], [0, 0, 1, 1, 1], [1, 1, 5, 5, 6], 'wrap'],
  ['constant 0 with crops: begin −1 on W, −2 on H of 2×5×6 → 2×2×4', [2, 5, 6], [0, -2, -1], [2, 2, 4], 'constant'],
  ['constant: a row wholly outside x (pad 3 before a row of 2, output width 3)', [3, 2], [1, 3], [5, 3], 'constant'],
  ['constant: a column axis of width 1 padded to 4', [4, 1], [0, 2], [4, 4], 'constant'],
];

describe('pad by rows equals the element-by-element definition, and its VJP the same sums', () => {
  for (const [name, shape, begin, out, mode] of cases) {
    it(`${name}: values (constant 7.5), and ∂x`, () => {
      const r = rng(3);
      const x = tensor(shape, Float32Array.from({ length: numel(shape) }, () => r() * 2 - 1));
      const src = sources(shape, begin, out, mode);
      expect(Array.from(pad(x, begin, out, mode, 7.5).data)).toEqual(src.map((s) => (s < 0 ? 7.5 : x.data[s])));
      const g = tensor(out, Float32Array.from({ length: numel(out) }, () => r() * 2 - 1));
      const want = new Float32Array(x.data.length);
      src.forEach((s, o) => {
        if (s >= 0) want[s] += g.data[o];
      });
      const ctx = { inputs: [x], outputs: [out], gradOutputs: [g], attrs: { mode }, plan: { begin }, forward: [] };
      expect(Array.from(padVjp(ctx as never)[0]!.data)).toEqual(Array.from(want));
    });
  }
});
