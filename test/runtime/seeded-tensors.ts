/** Seeded tensors for the executor's specs: uniform values, and a batch norm's non-trivial parameters. */
import { rng } from '../../src/tensor/random.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Values uniform in [lo, hi) from the seed. */
export function random(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, Float32Array.from({ length: n }, () => lo + (hi - lo) * r()));
}

/** Non-trivial running statistics and affine parameters for a batch norm over c channels, named `<layer>.<role>`. */
export function bnWeights(layer: string, c: number, seed: number): Record<string, Tensor> {
  return {
    [`${layer}.weight`]: random([c], seed, 0.5, 2),
    [`${layer}.bias`]: random([c], seed + 1),
    [`${layer}.runningMean`]: random([c], seed + 2),
    [`${layer}.runningVar`]: random([c], seed + 3, 0.3, 3),
  };
}
