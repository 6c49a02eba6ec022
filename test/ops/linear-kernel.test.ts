/**
 * linear's run kernel on each of its paths (ops/linear.ts): a few rows (the dot-product loop),
 * many rows (x·Wᵀ through the WebAssembly GEMM, W's rows read straight into the panels), several
 * 256-column blocks, and a product tiled over rows and depth. Inputs are small integers, so every
 * sum is exact in float32 and the reference (Σ in double) must match bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { linear } from '../../src/ops/linear.js';
import type { RunContext } from '../../src/ops/types.js';
import { tensor } from '../../src/tensor/tensor.js';

/** Deterministic small integers in [−2, 2]. */
const ints = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13 + ((i * i) % 11)) % 5) - 2);

function runLinear(shape: number[], co: number, bias: boolean) {
  const ci = shape[shape.length - 1];
  const rows = shape.reduce((p, d) => p * d, 1) / ci;
  const x = tensor(shape, ints(rows * ci, 1));
  const w = tensor([co, ci], ints(co * ci, 2));
  const b = tensor([co], ints(co, 3));
  const ctx = {
    attrs: { outFeatures: co, bias },
    plan: { rows, inFeatures: ci },
    inputs: [x],
    weights: bias ? { weight: w, bias: b } : { weight: w },
    outputs: [[...shape.slice(0, -1), co]],
    training: false,
    seed: 0,
  } as unknown as RunContext<Parameters<typeof linear.run>[0]['attrs'], Parameters<typeof linear.run>[0]['plan']>;
  const y = linear.run(ctx)[0];
  const want = new Float32Array(rows * co);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < co; o++) {
      let s = 0;
      for (let k = 0; k < ci; k++) s += x.data[r * ci + k] * w.data[o * ci + k];
      want[r * co + o] = s + (bias ? b.data[o] : 0);
    }
  return { y, want };
}

describe('linear kernel paths', () => {
  it.each([
    [[1, 1280], 1000, true, 'one row (a classifier head): the dot-product loop'],
    [[2, 3, 5], 7, false, 'six rows: the dot-product loop, no bias'],
    [[1, 9, 96], 384, true, 'nine rows, 384 outputs: GEMM, two 256-column blocks, rows not a multiple of 4'],
    [[1, 14, 14, 96], 384, true, 'a ConvNeXt block\'s shape at 14×14: [1,14,14,96] → 384'],
    [[2600, 1400], 3, false, '2600 × 1400 → 3: the packed rows exceed the kernel scratch (2^22 floats), tiled over rows and depth'],
  ])('%j → %i (bias %s): %s', (shape, co, bias) => {
    const { y, want } = runLinear(shape as number[], co as number, bias as boolean);
    expect(y.shape).toEqual([...(shape as number[]).slice(0, -1), co]);
    expect(y.data).toEqual(want);
  });
});
