/** The kernels a run's team of threads lends an op (RunContext.teamLinear, teamHeads: runtime/split.ts makes them). */

/**
 * y [rows × co] = x [rows × ci]·Wᵀ + bias (W [co × ci], PyTorch's layout) with ops/linear.ts
 * linearColumns' bits, computed across a team of threads: a fresh array, or null when splitting
 * would not gain (too little work, no partner free), and the caller computes it itself.
 */
export type TeamLinear = (x: Float32Array, rows: number, ci: number, w: Float32Array, bias: Float32Array | undefined, co: number) => Float32Array | null;

/**
 * The heads of one sequence of t tokens whose q|k|v are `qkv` [t × 3C] (q scaled in place): the
 * heads' outputs [t × C] with attendHead's bits, computed across a team of threads by heads; null
 * when splitting would not gain, and the caller computes them itself.
 */
export type TeamHeads = (qkv: Float32Array, t: number, c: number, heads: number) => Float32Array | null;
