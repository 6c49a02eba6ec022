/** Seeded pseudo-random numbers (mulberry32): reproducible dropout masks and weight initialisation. */

/** The largest seed: mulberry32's state is 32 bits, so 2^32 would be seed 0 again. */
export const MAX_SEED = 0xffffffff;

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * out[i] = (2·uᵢ − 1)·bound, uᵢ the i-th draw of rng(seed): the values of that loop, bit for bit,
 * with the generator's step written inline. A closure call per draw keeps its state in a context
 * slot and cost about 3.5× as much: 2.36 M floats (a ViT-B/16 MLP weight) 34 ms against 10, and a
 * zoo run with seeded weights draws every parameter each run (ViT-B/16: 86 M).
 */
export function fillSymmetric(out: Float32Array, seed: number, bound: number): Float32Array {
  let a = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * bound;
  }
  return out;
}

/** A stable 32-bit hash of a string (FNV-1a), to derive per-layer streams from one seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
