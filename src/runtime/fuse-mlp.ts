/**
 * ConvNeXt's channels-last MLP run channels-first (issue 12; planned by fuse-patterns.ts). A
 * torchvision CNBlock exports as
 *
 *   Transpose(NCHW → NHWC) → LayerNorm(last dim) → MatMul(W₁ᵀ) → Add(b₁) → GELU → MatMul(W₂ᵀ)
 *   → Add(b₂) → Transpose(NHWC → NCHW)
 *
 * and the same values come from the NCHW tensor directly: a layer norm over the channels at each
 * position (norm-group.ts's 'channels' plan: the same sums in the same order as over the last dim
 * of the transposed copy), then per image h₁ = W₁·x [4C × H·W] and y = W₂·h₁ [C × H·W], the GEMM in
 * a 1×1 convolution's orientation (the weight packed as A, the positions as B's columns), each
 * bias per row and the GELU in the first bias pass (WebAssembly SIMD, ops/gelu-simd.ts); the block's layer scale and residual add, when
 * they follow, join the last bias pass. Both transposes and every intermediate tensor but h₁
 * vanish. Not bit for bit the nodes (the GELU is one kernel: fuse-patterns.ts).
 */
import type { z } from 'zod';
import type { AnalysedLayer } from '../analysis/infer.js';
import { geluInPlace } from '../ops/activation-more.js';
import { geluRowsSimd } from '../ops/gelu-simd.js';
import { gemm } from '../ops/gemm-tiles.js';
import { layerNorm } from '../ops/norm-group.js';
import type { LayerNormAttrs, NormPlan } from '../ops/norm-group.js';

type NormAttrs = z.infer<typeof LayerNormAttrs>;
import type { LinearAttrs } from '../ops/linear.js';
import type { RunContext } from '../ops/types.js';
import { tensor } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';

export interface ChannelsLastMlp {
  norm: AnalysedLayer;
  fc1: AnalysedLayer;
  bias1: string;
  approximate: 'none' | 'tanh';
  fc2: AnalysedLayer;
  bias2: string;
  /** The closing transpose's output: [N, C₂, H, W]. */
  outShape: readonly number[];
  /** The layer scale [C₂, 1, 1] and the residual [N, C₂, H, W] (tensor names): y·γ + x per element, or none. */
  residual: { scale: string; add: string } | null;
}

/** A layer norm over the channels of an NCHW tensor, with `norm`'s ε and affine weights (norm-group.ts's 'channels' plan). */
export function layerNormChannels(norm: AnalysedLayer, x: Tensor, weightsOf: (layer: string) => Record<string, Tensor>): Tensor {
  const [n, c] = x.shape;
  const plan: NormPlan = { outer: n, size: c, inner: x.data.length / (n * c), affineA: 1, affineB: 1, running: false, dims: [1] };
  const ctx: RunContext<NormAttrs, NormPlan> = { attrs: norm.layer.attrs as NormAttrs, plan, inputs: [x], weights: weightsOf(norm.layer.name), outputs: [x.shape], training: false, seed: 0 };
  return layerNorm.run(ctx)[0];
}

/** y[r·ld + c] += bias[r] for c in [0, cols), each of the rows. */
function addPerRow(y: Float32Array, yOff: number, bias: Float32Array, rows: number, cols: number, ld = cols): void {
  for (let r = 0; r < rows; r++) {
    const b = bias[r];
    const at = yOff + r * ld;
    for (let c = 0; c < cols; c++) y[at + c] += b;
  }
}

/**
 * The block's operands once its layer norm has run: the normed input h₀ [N, C, P] (P = H·W
 * positions), the first linear (W₁ [4C × C], its own bias, then the Add's b₁, the GELU's form),
 * the second (W₂ [C₂ × 4C], its bias, the Add's b₂), and the layer scale γ with the residual x
 * [N, C₂, P] when they follow.
 */
export interface MlpOperands {
  n: number;
  c: number;
  hidden: number;
  c2: number;
  positions: number;
  approximate: 'none' | 'tanh';
  h0: Float32Array;
  w1: Float32Array;
  fc1Bias: Float32Array | null;
  b1: Float32Array;
  w2: Float32Array;
  fc2Bias: Float32Array | null;
  b2: Float32Array;
  scale: Float32Array | null;
  residual: Float32Array | null;
}

/** Multiply-adds of the block's two GEMMs. */
export const mlpMacs = (o: MlpOperands): number => o.n * o.positions * o.hidden * (o.c + o.c2);

/**
 * Positions [from, to) of the block's output, every image, written into `out` ([N, C₂, P]): each
 * position's values depend on that position alone (the GEMMs' sums over K in the same order for any
 * column, the few-columns loop chosen by the whole P; the bias, GELU, scale and residual element by
 * element), so a band of positions gives the whole block's bits there (runtime/team-kernels.ts's
 * MLP jobs split it so).
 */
export function mlpColumns(o: MlpOperands, from: number, to: number, out: Float32Array): void {
  const { n, c, hidden, c2, positions: P } = o;
  const width = to - from;
  if (width <= 0) return;
  const few = P < 8;
  const h1 = new Float32Array(hidden * width);
  for (let img = 0; img < n; img++) {
    gemm(hidden, width, c, o.w1, 0, c, o.h0, img * c * P + from, P, h1, 0, width, false, undefined, few);
    // the linear's own bias first (the node adds it before the Add's), then the Add's with the GELU
    if (o.fc1Bias) addPerRow(h1, 0, o.fc1Bias, hidden, width);
    // exact GELU in WebAssembly SIMD (float32, a few ulps from the JS kernel); the tanh form in JS
    if (o.approximate === 'none') geluRowsSimd(h1, hidden, width, o.b1);
    else geluInPlace(h1, o.approximate, o.b1, width, true);
    const at = img * c2 * P + from;
    gemm(c2, width, hidden, o.w2, 0, hidden, h1, 0, width, out, at, P, false, undefined, few);
    if (o.fc2Bias) addPerRow(out, at, o.fc2Bias, c2, width, P);
    const { scale, residual: res, b2 } = o;
    if (scale && res) {
      // + b₂, × γ, + x: each rounded to float32 as the Add, Mul and Add nodes' outputs are
      for (let r = 0; r < c2; r++) {
        const [b, g, row] = [b2[r], scale[r], at + r * P];
        for (let p = row; p < row + width; p++) out[p] = Math.fround(Math.fround(out[p] + b) * g) + res[p];
      }
    } else addPerRow(out, at, b2, c2, width, P);
  }
}

/** The block's operands from its NCHW input (x) and the layers' weights (its layer norm run here). */
export function mlpOperands(m: ChannelsLastMlp, x: Tensor, read: (t: string) => Tensor | undefined, weightsOf: (layer: string) => Record<string, Tensor>): MlpOperands {
  const [n, c] = x.shape;
  const w1 = weightsOf(m.fc1.layer.name);
  const w2 = weightsOf(m.fc2.layer.name);
  return {
    n,
    c,
    hidden: (m.fc1.layer.attrs as LinearAttrs).outFeatures,
    c2: (m.fc2.layer.attrs as LinearAttrs).outFeatures,
    positions: x.data.length / (n * c),
    approximate: m.approximate,
    h0: layerNormChannels(m.norm, x, weightsOf).data,
    w1: w1.weight.data,
    fc1Bias: w1.bias?.data ?? null,
    b1: read(m.bias1)!.data,
    w2: w2.weight.data,
    fc2Bias: w2.bias?.data ?? null,
    b2: read(m.bias2)!.data,
    scale: m.residual ? read(m.residual.scale)!.data : null,
    residual: m.residual ? read(m.residual.add)!.data : null,
  };
}

/**
 * Runs the block's MLP across a team, its output a fresh array, or null when it does not (runtime/split.ts
 * splitMlp: RunOptions.splitMlp).
 */
export type MlpSplit = (o: MlpOperands) => Float32Array | null;

/** The block's output from its NCHW input (x) and the layers' weights; across the team when `split` takes it. */
export function runChannelsLastMlp(m: ChannelsLastMlp, x: Tensor, read: (t: string) => Tensor | undefined, weightsOf: (layer: string) => Record<string, Tensor>, split?: MlpSplit): Tensor {
  const o = mlpOperands(m, x, read, weightsOf);
  const byTeam = split?.(o);
  if (byTeam) return tensor(m.outShape, byTeam);
  const out = new Float32Array(o.n * o.c2 * o.positions);
  mlpColumns(o, 0, o.positions, out);
  return tensor(m.outShape, out);
}
