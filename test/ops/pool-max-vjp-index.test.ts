/**
 * Max pooling's VJP keeps each window's argmax as an integer: a float32 index is exact only up to
 * 2^24 (16 777 216); past it odd positions round to even ones (half to even). maxPool1d over
 * L = 2^24 + 8 with kernel 2 and stride 2^23 + 3 has three windows, at 0, 2^23 + 3 and 2^24 + 6; on
 * x[i] = i mod 2 their maxima are the odd taps 1, 2^23 + 3 and 2^24 + 7. A float32 index turns the
 * last into 2^24 + 8 = L: its gradient is written past the end and lost. Three windows keep the
 * case well under a second whatever the input's length (every window over it, kernel 2 stride 2,
 * takes some 20 s here, mostly outside the pool). maxPool2d's VJP (no returnIndices) over the same
 * row as [1, 1, 1, L] with kernel [1, 2] finds its argmax the same way.
 */
import { describe, expect, it } from 'vitest';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';

const L = 2 ** 24 + 8;
const STRIDE = 2 ** 23 + 3;

/** The positions of ∂x's nonzero entries and their values. */
function nonzeros(gx: Float32Array): [number, number][] {
  const found: [number, number][] = [];
  for (let i = 0; i < gx.length; i++) if (gx[i] !== 0) found.push([i, gx[i]]);
  return found;
}

describe('max pooling VJP past 2^24 input positions: integer argmax', () => {
  const x = new Float32Array(L);
  for (let i = 1; i < L; i += 2) x[i] = 1;
  it.each([
    ['maxPool1d', [1, 1, L], { kernelSize: 2, stride: STRIDE }, [1, 1, 3]],
    ['maxPool2d', [1, 1, 1, L], { kernelSize: [1, 2], stride: [1, STRIDE] }, [1, 1, 1, 3]],
  ] as const)('%s over %j, stride 2^23 + 3, ∂y [1, 2, 3]: ∂x 1 at 1, 2 at 2^23 + 3, 3 at 2^24 + 7 (float32 would lose the 3 past the end)', (name, shape, attributes, outShape) => {
    const res = vjpOperator({ name, inputs: [tensor(shape, x)], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 26, gradOutputs: [tensor(outShape, [1, 2, 3])] });
    expect(nonzeros(res.gradInputs[0]!.data)).toEqual([[1, 1], [2 ** 23 + 3, 2], [2 ** 24 + 7, 3]]);
  });
});
