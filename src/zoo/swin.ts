/**
 * Swin Transformer (Liu et al. 2021), torchvision.models.swin_t / swin_s / swin_b (v1): a 4×4
 * stride-4 patchify conv, permuted to channels-last [N, H, W, C] and LayerNorm'ed; four stages of
 * SwinTransformerBlocks (LayerNorm → shifted-window attention → residual, LayerNorm → MLP 4C with
 * GELU → residual), the odd blocks of a stage shifted by half a window; PatchMerging between stages
 * (pad to even H, W; the four 2×2-strided sub-maps x0 (0,0), x1 (1,0), x2 (0,1), x3 (1,1)
 * concatenated on channels → LayerNorm(4C) → Linear(4C, 2C, bias=False)); then LayerNorm, permute
 * back to [N, C, H, W], global average pooling and the linear head. LayerNorm eps 1e-5. Window 7;
 * where a window covers a stage's map (swin_t's last stage at 224, 7×7) the shift is dropped, as
 * torchvision drops it. MACs count the attention's q·kᵀ and attn·v products, as torchvision's
 * published GFLOPS do. Dropout and stochastic depth are identities at inference and left out.
 *
 * Swin V2 (Liu et al. 2022), torchvision.models.swin_v2_t / swin_v2_s / swin_v2_b (cfg.v2): the same
 * trunk with SwinTransformerBlockV2 (res-post-norm: x + norm1(attn(x)), then h + norm2(mlp(h))), whose
 * attention is shiftedWindowAttentionV2 (cosine attention, logit scale, continuous position bias: its
 * MLP's MACs counted once per block, ops/window-attention-v2.ts), and PatchMergingV2 (the 4C concat →
 * Linear(4C, 2C, bias=False) → LayerNorm(2C)); window 8, published at 256 (min_size 256).
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export interface SwinConfig {
  embedDim: number;
  depths: number[];
  heads: number[];
  window: number;
  /** Swin V2's blocks, attention and patch merging */
  v2?: boolean;
}

const EPS = 1e-5;

/** SwinTransformerBlockV2: x + norm1(attn(x)), then h + norm2(mlp(h)). */
function swinBlockV2(b: NetBuilder, p: string, x: string, heads: number, window: number, shift: number): string {
  const c = b.shape(x)[3];
  let y = b.add(`${p}.attn`, 'shiftedWindowAttentionV2', x, { numHeads: heads, window, shift });
  y = b.add(`${p}.norm1`, 'layerNorm', y, { eps: EPS });
  const h = b.add(`${p}.add_1`, 'add', [x, y]);
  y = b.add(`${p}.mlp.1`, 'gelu', b.add(`${p}.mlp.0`, 'linear', h, { outFeatures: 4 * c }));
  y = b.add(`${p}.mlp.3`, 'linear', y, { outFeatures: c });
  y = b.add(`${p}.norm2`, 'layerNorm', y, { eps: EPS });
  return b.add(`${p}.add_2`, 'add', [h, y]);
}

function swinBlock(b: NetBuilder, p: string, x: string, heads: number, window: number, shift: number): string {
  const c = b.shape(x)[3];
  let y = b.add(`${p}.norm1`, 'layerNorm', x, { eps: EPS });
  y = b.add(`${p}.attn`, 'shiftedWindowAttention', y, { numHeads: heads, window, shift });
  const h = b.add(`${p}.add_1`, 'add', [x, y]);
  y = b.add(`${p}.norm2`, 'layerNorm', h, { eps: EPS });
  y = b.add(`${p}.mlp.1`, 'gelu', b.add(`${p}.mlp.0`, 'linear', y, { outFeatures: 4 * c }));
  y = b.add(`${p}.mlp.3`, 'linear', y, { outFeatures: c });
  return b.add(`${p}.add_2`, 'add', [h, y]);
}

/** PatchMerging: [N, H, W, C] → [N, ⌈H/2⌉, ⌈W/2⌉, 2C]; v1 norms the 4C concat before the reduction, V2 the 2C after it. */
function patchMerging(b: NetBuilder, p: string, x: string, v2 = false): string {
  const [, h, w, c] = b.shape(x);
  if (h % 2 || w % 2) x = b.add(`${p}.pad`, 'pad', x, { pads: [0, 0, 0, 0, 0, h % 2, w % 2, 0] });
  const [, ph, pw] = b.shape(x);
  // x0 … x3: rows/columns starting at (0,0), (1,0), (0,1), (1,1), step 2
  const parts = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ].map(([r, col], i) => b.add(`${p}.x${i}`, 'slice', x, { starts: [r, col], ends: [ph, pw], axes: [1, 2], steps: [2, 2] }));
  x = b.add(`${p}.cat`, 'concat', parts, { dim: 3 });
  if (v2) return b.add(`${p}.norm`, 'layerNorm', b.add(`${p}.reduction`, 'linear', x, { outFeatures: 2 * c, bias: false }), { eps: EPS });
  x = b.add(`${p}.norm`, 'layerNorm', x, { eps: EPS });
  return b.add(`${p}.reduction`, 'linear', x, { outFeatures: 2 * c, bias: false });
}

export function swin(name: string, cfg: SwinConfig, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.conv('features.0.0', 'input', cfg.embedDim, 4, { stride: 4 });
  x = b.add('features.0.1', 'transpose', x, { perm: [0, 2, 3, 1] });
  x = b.add('features.0.2', 'layerNorm', x, { eps: EPS });
  const block = cfg.v2 ? swinBlockV2 : swinBlock;
  cfg.depths.forEach((depth, s) => {
    for (let i = 0; i < depth; i++) {
      x = block(b, `features.${2 * s + 1}.${i}`, x, cfg.heads[s], cfg.window, i % 2 === 0 ? 0 : Math.floor(cfg.window / 2));
    }
    if (s + 1 < cfg.depths.length) x = patchMerging(b, `features.${2 * s + 2}`, x, cfg.v2);
  });
  x = b.add('norm', 'layerNorm', x, { eps: EPS });
  x = b.add('permute', 'transpose', x, { perm: [0, 3, 1, 2] });
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('head', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const swin_t = (r?: number) => swin('swin_t', { embedDim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 7 }, r);
export const swin_s = (r?: number) => swin('swin_s', { embedDim: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24], window: 7 }, r);
export const swin_b = (r?: number) => swin('swin_b', { embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 7 }, r);
export const swin_v2_t = (r?: Resolution) => swin('swin_v2_t', { embedDim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24], window: 8, v2: true }, r ?? 256);
export const swin_v2_s = (r?: Resolution) => swin('swin_v2_s', { embedDim: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24], window: 8, v2: true }, r ?? 256);
export const swin_v2_b = (r?: Resolution) => swin('swin_v2_b', { embedDim: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32], window: 8, v2: true }, r ?? 256);
