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

/** y[r·cols + c] += bias[r] for each of the rows. */
function addPerRow(y: Float32Array, yOff: number, bias: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const b = bias[r];
    const at = yOff + r * cols;
    for (let c = 0; c < cols; c++) y[at + c] += b;
  }
}

/** The block's output from its NCHW input (x) and the layers' weights. */
export function runChannelsLastMlp(m: ChannelsLastMlp, x: Tensor, read: (t: string) => Tensor | undefined, weightsOf: (layer: string) => Record<string, Tensor>): Tensor {
  const [n, c] = x.shape;
  const positions = x.data.length / (n * c);
  const h0 = layerNormChannels(m.norm, x, weightsOf).data;
  const scale = m.residual ? read(m.residual.scale)!.data : null;
  const res = m.residual ? read(m.residual.add)!.data : null;
  const w1 = weightsOf(m.fc1.layer.name);
  const w2 = weightsOf(m.fc2.layer.name);
  const hidden = (m.fc1.layer.attrs as LinearAttrs).outFeatures;
  const c2 = (m.fc2.layer.attrs as LinearAttrs).outFeatures;
  const b1 = read(m.bias1)!.data;
  const b2 = read(m.bias2)!.data;
  const h1 = new Float32Array(hidden * positions);
  const out = new Float32Array(n * c2 * positions);
  for (let img = 0; img < n; img++) {
    gemm(hidden, positions, c, w1.weight.data, 0, c, h0, img * c * positions, positions, h1, 0, positions, false);
    // the linear's own bias first (the node adds it before the Add's), then the Add's with the GELU
    if (w1.bias) addPerRow(h1, 0, w1.bias.data, hidden, positions);
    // exact GELU in WebAssembly SIMD (float32, a few ulps from the JS kernel); the tanh form in JS
    if (m.approximate === 'none') geluRowsSimd(h1, hidden, positions, b1);
    else geluInPlace(h1, m.approximate, b1, positions, true);
    const o = img * c2 * positions;
    gemm(c2, positions, hidden, w2.weight.data, 0, hidden, h1, 0, positions, out, o, positions, false);
    if (w2.bias) addPerRow(out, o, w2.bias.data, c2, positions);
    if (scale && res) {
      // + b₂, × γ, + x: each rounded to float32 as the Add, Mul and Add nodes' outputs are
      for (let r = 0; r < c2; r++) {
        const [b, g, at] = [b2[r], scale[r], o + r * positions];
        for (let p = at; p < at + positions; p++) out[p] = Math.fround(Math.fround(out[p] + b) * g) + res[p];
      }
    } else addPerRow(out, o, b2, c2, positions);
  }
  return tensor(m.outShape, out);
}
