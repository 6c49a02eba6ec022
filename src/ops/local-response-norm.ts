/**
 * localResponseNorm: each value divided by a power of the energy of its neighbours across channels
 * (AlexNet, GoogLeNet v1, ZFNet; ONNX LRN). PyTorch: torch.nn.LocalResponseNorm. Any rank ≥ 3 (N, C, …):
 *   S[n, c, …] = Σ x[n, c', …]²  over c' ∈ [c − b, c + a] ∩ [0, C)
 *   y = x / (k + α/size · S)^β
 * The window holds `size` channels, b = channelsBefore of them before c and a = size − 1 − b after.
 * PyTorch pads ⌊size/2⌋ channels before and ⌊(size − 1)/2⌋ after, so b = ⌊size/2⌋ (the default).
 * ONNX LRN sums [c − ⌊(size − 1)/2⌋, c + ⌈(size − 1)/2⌉], so b = ⌊(size − 1)/2⌋. The two differ for an
 * even size only (size 2: PyTorch reads c − 1 and c, ONNX c and c + 1). The divisor is `size` in
 * both, also where the window is cut short at the first and last channels (PyTorch's average pool
 * counts the zero padding).
 *   params = 0
 *   FLOPs  = (size + 5) per element, as PyTorch's decomposition runs it: x² (1), the window's
 *            sum (size − 1) and its mean (1), ×α (1), + k (1), ^β (1), x ÷ (1)
 * Receptive field: the window runs along the channels only, so each position's field passes through.
 * VJP (D_c = k + α/size · S_c, at one position):
 *   ∂L/∂x_j = g_j·D_j^(−β) − (2αβ/size)·x_j·Σ g_c·x_c·D_c^(−β−1)  over c ∈ [j − a, j + b] ∩ [0, C)
 */
import { z } from 'zod';
import { fmtShape } from '../errors.js';
import { posInt } from './geometry.js';
import { ZERO_COST, numel } from './types.js';
import type { Intermediate, OpDef, RunContext, Shape, VjpContext } from './types.js';
import { tensor } from '../tensor/tensor.js';
import { gradOrZeros } from './vjp-kernels.js';

/** FLOPs per element besides the window's size − 1 additions (see the header). */
const PER_ELEMENT_BESIDES_SUM = 6;

/**
 * MAX_RUN_WORK's work (Inferred.kernelWork) of windowSums and the power: per position,
 *   LRN_TAP · Σ_c (window of channel c clipped to the channels) + LRN_ELEMENT · C
 * GEMM-equivalent units. bench/op-rates.ts, 2026-12-05, 2 vCPU AMD EPYC (shared), against the 3×3
 * conv's 0.34 ns a MAC: size 1024 on 1024 channels 5.5 µs an element (16× the cost's size + 5),
 * size 5 250 ns an element (67×: Math.pow's).
 */
const LRN_TAP = 20;
const LRN_ELEMENT = 700;

/** Σ over channels c of the window [c − before, c + after] clipped to [0, C − 1]: the channels windowSums adds per position. */
export function clippedTaps(p: Pick<LrnPlan, 'channels' | 'before' | 'after'>): number {
  let taps = 0;
  for (let c = 0; c < p.channels; c++) taps += Math.min(p.channels - 1, c + p.after) - Math.max(0, c - p.before) + 1;
  return taps;
}

export const LocalResponseNormAttrs = z.strictObject({
  size: posInt.describe('channels in the window (nn.LocalResponseNorm size; ONNX LRN size)'),
  alpha: z.number().default(1e-4),
  beta: z.number().default(0.75),
  k: z.number().default(1),
  channelsBefore: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("channels of the window before c: PyTorch's ⌊size/2⌋ by default; ONNX LRN's ⌊(size − 1)/2⌋ (they differ for an even size)"),
});
export type LocalResponseNormAttrs = z.infer<typeof LocalResponseNormAttrs>;

/** The input viewed as [outer N, C channels, inner positions], and the window's reach. */
export interface LrnPlan {
  outer: number;
  channels: number;
  inner: number;
  before: number;
  after: number;
}

export const localResponseNorm: OpDef<LocalResponseNormAttrs, LrnPlan> = {
  name: 'localResponseNorm',
  summary: 'Local response normalisation across channels (AlexNet, GoogLeNet v1; ONNX LRN)',
  pytorch: 'torch.nn.LocalResponseNorm',
  inputNames: ['x'],
  minInputs: 1,
  attrs: LocalResponseNormAttrs,
  infer(ctx) {
    const x = ctx.inputs[0];
    const a = ctx.attrs;
    if (x.length < 3) ctx.fail('RANK_MISMATCH', `localResponseNorm needs (N, C, …) with at least one position dim, as PyTorch does, got ${fmtShape(x)}`, 'inputs', { shapes: { input: x } });
    const before = a.channelsBefore ?? Math.floor(a.size / 2);
    if (before > a.size - 1) ctx.fail('INVALID_ATTRIBUTE', `channelsBefore=${before} leaves no room for channel c in a window of size ${a.size} (at most ${a.size - 1})`, 'channelsBefore');
    const plan: LrnPlan = { outer: x[0], channels: x[1], inner: numel(x.slice(2)), before, after: a.size - 1 - before };
    const kernelWork = plan.outer * plan.inner * (LRN_TAP * clippedTaps(plan) + LRN_ELEMENT * plan.channels);
    return { outputs: [x], weights: [], cost: { ...ZERO_COST, elementwise: numel(x) * (a.size - 1 + PER_ELEMENT_BESIDES_SUM) }, kernelWork, plan, vjpIntermediates: lrnVjpIntermediates(x, plan) };
  },
  receptiveField: (ctx) => ctx.rf[0],
  run: (ctx) => [tensor(ctx.inputs[0].shape, lrnForward(ctx))],
  vjp: (ctx) => [tensor(ctx.inputs[0].shape, lrnBackward(ctx))],
};

/**
 * The window's sums of squares, one plane of positions at a time: channel c's plane adds the
 * planes of its window (float64, in channel order as PyTorch's pool does), so memory is read in
 * rows; `visit(base, sums)` then reads them for channel c's plane, at `base`.
 */
function windowSums(x: Float32Array, p: LrnPlan, visit: (base: number, sums: Float64Array) => void): void {
  const { outer, channels: C, inner } = p;
  const sums = new Float64Array(inner);
  for (let n = 0; n < outer; n++) {
    const image = n * C * inner;
    for (let c = 0; c < C; c++) {
      sums.fill(0);
      const from = Math.max(0, c - p.before);
      const to = Math.min(C - 1, c + p.after);
      for (let cc = from; cc <= to; cc++) {
        const at = image + cc * inner;
        for (let i = 0; i < inner; i++) sums[i] += x[at + i] * x[at + i];
      }
      visit(image + c * inner, sums);
    }
  }
}

function lrnForward(ctx: RunContext<LocalResponseNormAttrs, LrnPlan>): Float32Array {
  const x = ctx.inputs[0].data;
  const { alpha, beta, k, size } = ctx.attrs;
  const scale = alpha / size;
  const out = new Float32Array(x.length);
  const inner = ctx.plan.inner;
  windowSums(x, ctx.plan, (base, sums) => {
    for (let i = 0; i < inner; i++) out[base + i] = x[base + i] / Math.pow(k + scale * sums[i], beta);
  });
  return out;
}

/**
 * What lrnBackward allocates beside ∂x (OpInferred.vjpIntermediates): t at every element of x and,
 * one plane of positions at a time, the window's sums of squares and the gathered t, all float64.
 */
function lrnVjpIntermediates(x: Shape, p: LrnPlan): Intermediate[] {
  return [
    { shape: x, what: `t = g·x·D^(−β−1) at every element (float64, ${fmtShape(x)})`, bytesPerElement: 8 },
    { shape: [2, p.inner], what: "one plane's window sums of squares and gathered t (float64)", bytesPerElement: 8 },
  ];
}

function lrnBackward(ctx: VjpContext<LocalResponseNormAttrs, LrnPlan>): Float32Array {
  const x = ctx.inputs[0].data;
  const g = gradOrZeros(ctx);
  const { alpha, beta, k, size } = ctx.attrs;
  const p = ctx.plan;
  const scale = alpha / size;
  const out = new Float32Array(x.length);
  // t_c = g_c·x_c·D_c^(−β−1), then each x_j gathers the t of the windows that read it
  const t = new Float64Array(x.length);
  const inner = p.inner;
  windowSums(x, p, (base, sums) => {
    for (let i = 0; i < inner; i++) {
      const d = k + scale * sums[i];
      const dPow = Math.pow(d, -beta);
      out[base + i] = g[base + i] * dPow;
      t[base + i] = (g[base + i] * x[base + i] * dPow) / d;
    }
  });
  const gathered = new Float64Array(inner);
  const factor = 2 * scale * beta;
  for (let n = 0; n < p.outer; n++) {
    const image = n * p.channels * inner;
    for (let j = 0; j < p.channels; j++) {
      gathered.fill(0);
      // the windows that read channel j: c − before ≤ j ≤ c + after
      for (let c = Math.max(0, j - p.after); c <= Math.min(p.channels - 1, j + p.before); c++) {
        const at = image + c * inner;
        for (let i = 0; i < inner; i++) gathered[i] += t[at + i];
      }
      const base = image + j * inner;
      for (let i = 0; i < inner; i++) out[base + i] -= factor * x[base + i] * gathered[i];
    }
  }
  return out;
}

/** ONNX LRN's window: ⌊(size − 1)/2⌋ channels before c (see the header). */
export const onnxChannelsBefore = (size: number): number => Math.floor((size - 1) / 2);
