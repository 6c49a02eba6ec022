/**
 * Vision Transformer (Dosovitskiy et al. 2021), torchvision.models.vit_b_16 (B/32, L/16, L/32, H/14 alike): a 16×16 stride-16 conv
 * cuts the image into patches (conv_proj), the 14×14 map becomes 196 tokens [N, L, C], a learned
 * class token is prepended and a learned position embedding added; 12 encoder blocks (pre-norm:
 * LayerNorm → multi-head self-attention → residual, LayerNorm → MLP 4C with GELU → residual), a final
 * LayerNorm, and the class token's features through the linear head. LayerNorm eps 1e-6.
 * MACs count the attention's q·kᵀ and attn·v products, as torchvision's published GFLOPS do.
 */
import { ConvlensError } from '../errors.js';
import { NetBuilder, imageInput, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export interface VitConfig {
  patch: number;
  layers: number;
  heads: number;
  hidden: number;
  mlp: number;
}

const EPS = 1e-6;

function encoderBlock(b: NetBuilder, p: string, x: string, heads: number, mlp: number): string {
  const c = b.shape(x)[2];
  let y = b.add(`${p}.ln_1`, 'layerNorm', x, { eps: EPS });
  y = b.add(`${p}.self_attention`, 'multiHeadAttention', y, { numHeads: heads });
  y = b.add(`${p}.dropout`, 'dropout', y, { p: 0 });
  const h = b.add(`${p}.add_1`, 'add', [y, x]);
  y = b.add(`${p}.ln_2`, 'layerNorm', h, { eps: EPS });
  y = b.add(`${p}.mlp.1`, 'gelu', b.add(`${p}.mlp.0`, 'linear', y, { outFeatures: mlp }));
  y = b.add(`${p}.mlp.4`, 'dropout', b.add(`${p}.mlp.3`, 'linear', b.add(`${p}.mlp.2`, 'dropout', y, { p: 0 }), { outFeatures: c }), { p: 0 });
  return b.add(`${p}.add_2`, 'add', [h, y]);
}

export function vit(name: string, cfg: VitConfig, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  // torchvision's VisionTransformer takes one image_size, a multiple of the patch (its constructor
  // and forward assert both): another size is no model it builds
  const [h, w] = sides(resolution);
  if (h !== w || h % cfg.patch !== 0) {
    throw new ConvlensError('INVALID_OPTION', `torchvision's ${name} takes a square image whose side is a multiple of its patch (${cfg.patch}); ${h}×${w} is not`, {});
  }
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.conv('conv_proj', 'input', cfg.hidden, cfg.patch, { stride: cfg.patch });
  const [, , gh, gw] = b.shape(x);
  x = b.add('reshape', 'reshape', x, { shape: [0, cfg.hidden, gh * gw] });
  x = b.add('permute', 'transpose', x, { perm: [0, 2, 1] });
  x = b.add('class_token', 'classToken', x);
  x = b.add('encoder.pos_embedding', 'positionEmbedding', x);
  x = b.add('encoder.dropout', 'dropout', x, { p: 0 });
  for (let i = 0; i < cfg.layers; i++) x = encoderBlock(b, `encoder.layers.encoder_layer_${i}`, x, cfg.heads, cfg.mlp);
  x = b.add('encoder.ln', 'layerNorm', x, { eps: EPS });
  // x[:, 0]: the class token's features
  x = b.add('class_features', 'slice', x, { starts: [0], ends: [1], axes: [1] });
  x = b.add('flatten', 'flatten', x);
  b.add('heads.head', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const vit_b_16 = (r?: number) => vit('vit_b_16', { patch: 16, layers: 12, heads: 12, hidden: 768, mlp: 3072 }, r);
export const vit_b_32 = (r?: number) => vit('vit_b_32', { patch: 32, layers: 12, heads: 12, hidden: 768, mlp: 3072 }, r);
export const vit_l_16 = (r?: number) => vit('vit_l_16', { patch: 16, layers: 24, heads: 16, hidden: 1024, mlp: 4096 }, r);
export const vit_l_32 = (r?: number) => vit('vit_l_32', { patch: 32, layers: 24, heads: 16, hidden: 1024, mlp: 4096 }, r);
export const vit_h_14 = (r?: number) => vit('vit_h_14', { patch: 14, layers: 32, heads: 16, hidden: 1280, mlp: 5120 }, r);
