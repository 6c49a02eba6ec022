/** Tensors for the executor's specs: seeded uniform values, a batch norm's non-trivial parameters, and how far one result is from another. */
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

/** Largest |a − b| over max |b| (relative to the reference's scale); the shapes must agree. */
export function relErr(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: [${a.shape}] against [${b.shape}]`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.data.length; i++) {
    err = Math.max(err, Math.abs(a.data[i] - b.data[i]));
    scale = Math.max(scale, Math.abs(b.data[i]));
  }
  return err / scale;
}
