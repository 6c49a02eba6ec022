/**
 * MaxViT (Tu et al. 2022), torchvision.models.maxvit_t (0.14): a stem (3×3 stride-2 conv → BN →
 * GELU, 3×3 conv with bias), four blocks of MaxVitLayers (2, 2, 5, 2 of them; 64, 128, 256, 512
 * channels), each an MBConv then a "window" and a "grid" PartitionAttentionLayer, and the
 * classifier (global average pooling, LayerNorm, Linear C→C, Tanh, Linear C→classes without bias).
 *
 * MBConv: pre-norm BN → 1×1 conv to 4·out → BN → GELU → 3×3 depthwise (the layer's stride: 2 in a
 * block's first layer) → BN → GELU → squeeze-excitation (⌊out/4⌋ channels, SiLU, sigmoid) → 1×1
 * conv with bias; plus the shortcut, a 3×3 stride-2 average pool (padding 1) and a 1×1 conv with
 * bias where the layer strides or changes channels. BN eps 1e-3 (momentum 0.99), as torchvision's.
 *
 * PartitionAttentionLayer: the map [N, C, H, W] cut into partitions of P² tokens [N, G, P², C]
 * (WindowPartition: reshape, permute, reshape), P = 7 for "window"; for "grid" the cut is into
 * (H/7)² windows of 7 (torchvision's p = grid_size[0] // 7) and axes −2, −3 swapped, so each
 * partition gathers 7×7 positions H/7 apart. Then LayerNorm → RelativePositionalMultiHeadAttention
 * → residual, LayerNorm → MLP 4C with GELU → residual, and the map put back. The attention (heads
 * of 32 channels) is composed as torchvision computes it: to_qkv Linear(C, 3C), heads split,
 * k = k * scale_factor (C^−0.5, a tensor multiply: `scale_k`, by a folded scalar constant, so
 * onnx-tool's Mul of tokens·C is there), torch.einsum q·kᵀ, the scores plus the learned
 * relative-position bias (the layer `attn_layer.1`, relativePositionBias at scale 1: it holds the
 * module's relative_position_bias_table and relative_position_index), F.softmax, torch.einsum
 * with v, heads merged, merge Linear(C, C). Every layer with weights has its torchvision module's
 * name, so a state_dict loads as is; the shapes of the Linear and LayerNorm layers are PyTorch's
 * [N, G, P², C].
 *
 * MACs count the attention's q·kᵀ and attn·v products (the einsum layers), as torchvision's
 * published 5.56 GFLOPS do (5,558,046,720 MACs on the ATen ops at 224). Dropout and stochastic
 * depth are identities at inference and left out.
 *
 * torchvision builds MaxVit for the input size it is given and requires every block's input map
 * (after the stem's stride 2 and each block's) to be a multiple of 7; its grid partition reads
 * only the height (p = H/7), so a map that is not square fails in its forward: the zoo builds the
 * square sizes it runs (224: maps 56, 28, 14, 7) and refuses others.
 */
import { ConvlensError } from '../errors.js';
import { NetBuilder, imageInput, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export interface MaxVitConfig {
  stem: number;
  channels: number[];
  layers: number[];
  headDim: number;
  partition: number;
}

const BN_EPS = 1e-3;
const LN_EPS = 1e-5;
/** torchvision's _get_conv_output_shape for a 3×3 stride-2 padding-1 conv. */
const halved = (s: number) => Math.floor((s - 1) / 2) + 1;

function mbconv(b: NetBuilder, p: string, x: string, out: number, stride: number): string {
  const inC = b.ch(x);
  const mid = 4 * out;
  // torchvision's MBConv.forward: res = self.proj(x) first
  let res = x;
  if (stride !== 1 || inC !== out) {
    if (stride === 2) res = b.add(`${p}.proj.0`, 'avgPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
    res = b.conv(`${p}.proj.${stride === 2 ? 1 : 0}`, res, out, 1);
  }
  const l = `${p}.layers`;
  let y = b.bn(`${l}.pre_norm`, x, BN_EPS);
  y = b.convBnAct(`${l}.conv_a`, y, mid, 1, { act: 'gelu', eps: BN_EPS });
  y = b.convBnAct(`${l}.conv_b`, y, mid, 3, { stride, groups: mid, act: 'gelu', eps: BN_EPS });
  const se = `${l}.squeeze_excitation`;
  let s = b.add(`${se}.avgpool`, 'adaptiveAvgPool2d', y, { outputSize: 1 });
  s = b.act(`${se}.activation`, b.conv(`${se}.fc1`, s, Math.floor(out / 4), 1), 'swish');
  s = b.act(`${se}.scale_activation`, b.conv(`${se}.fc2`, s, mid, 1), 'sigmoid');
  y = b.add(`${se}.mul`, 'mul', [y, s]);
  y = b.conv(`${l}.conv_c`, y, out, 1);
  return b.add(`${p}.add`, 'add', [res, y]);
}

/** RelativePositionalMultiHeadAttention over partitions [N, G, T, C]. */
function attention(b: NetBuilder, p: string, x: string, headDim: number, partition: number): string {
  const c = b.shape(x)[3];
  const heads = c / headDim;
  let y = b.add(`${p}.to_qkv`, 'linear', x, { outFeatures: 3 * c });
  // q | k | v, each [N, G, T, heads, headDim]: torch.chunk(qkv, 3, -1), then each reshaped
  y = b.add(`${p}.heads`, 'reshape', y, { shape: [0, 0, 0, 3 * heads, headDim] });
  const qkv = b.add(`${p}.chunk`, 'split', y, { axis: 3, numOutputs: 3 });
  // k = k * self.scale_factor (C^−0.5), its own tensor op as torchvision computes it: the scalar a folded constant
  const factor = b.add(`${p}.scale_factor`, 'constantOfShape', b.add(`${p}.scale_factor.shape`, 'shape', qkv, { start: 0, end: 0 }), { value: c ** -0.5 });
  const k = b.add(`${p}.scale_k`, 'mul', [`${qkv}:1`, factor]);
  let s = b.functional(b.add(`${p}.dot_prod`, 'einsum', [qkv, k], { equation: 'bgihd,bgjhd->bghij' }));
  s = b.add(p, 'relativePositionBias', s, { window: partition });
  s = b.functional(b.add(`${p}.softmax`, 'softmax', s, { dim: -1 }));
  y = b.functional(b.add(`${p}.out`, 'einsum', [s, `${qkv}:2`], { equation: 'bghij,bgjhd->bgihd' }));
  y = b.add(`${p}.merge_heads`, 'reshape', y, { shape: [0, 0, 0, c] });
  return b.add(`${p}.merge`, 'linear', y, { outFeatures: c });
}

/** PartitionAttentionLayer, "window" or "grid", on a map [N, C, H, W]. */
function partitionAttention(b: NetBuilder, p: string, x: string, grid: boolean, cfg: MaxVitConfig): string {
  const [, c, h, w] = b.shape(x);
  // torchvision's self.p: the partition side, or for the grid the number of partitions along H
  const side = grid ? h / cfg.partition : cfg.partition;
  const [gh, gw] = [h / side, w / side];
  let y = b.add(`${p}.partition_op.view`, 'reshape', x, { shape: [0, c, gh, side, gw, side] });
  y = b.add(`${p}.partition_op.permute`, 'transpose', y, { perm: [0, 2, 4, 3, 5, 1] });
  y = b.add(`${p}.partition_op`, 'reshape', y, { shape: [0, gh * gw, side * side, c] });
  if (grid) y = b.add(`${p}.partition_swap`, 'transpose', y, { perm: [0, 2, 1, 3] });
  let a = b.add(`${p}.attn_layer.0`, 'layerNorm', y, { eps: LN_EPS });
  a = attention(b, `${p}.attn_layer.1`, a, cfg.headDim, cfg.partition);
  const r = b.add(`${p}.add_1`, 'add', [y, a]);
  a = b.add(`${p}.mlp_layer.0`, 'layerNorm', r, { eps: LN_EPS });
  a = b.add(`${p}.mlp_layer.2`, 'gelu', b.add(`${p}.mlp_layer.1`, 'linear', a, { outFeatures: 4 * c }));
  a = b.add(`${p}.mlp_layer.3`, 'linear', a, { outFeatures: c });
  y = b.add(`${p}.add_2`, 'add', [r, a]);
  if (grid) y = b.add(`${p}.departition_swap`, 'transpose', y, { perm: [0, 2, 1, 3] });
  y = b.add(`${p}.departition_op.view`, 'reshape', y, { shape: [0, gh, gw, side, side, c] });
  y = b.add(`${p}.departition_op.permute`, 'transpose', y, { perm: [0, 5, 1, 3, 2, 4] });
  return b.add(`${p}.departition_op`, 'reshape', y, { shape: [0, c, h, w] });
}

export function maxvit(name: string, cfg: MaxVitConfig, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const [h, w] = sides(resolution);
  const maps: number[] = [];
  for (let s = halved(h); maps.length < cfg.channels.length; ) maps.push((s = halved(s)));
  if (h !== w || maps.some((m) => m % cfg.partition !== 0)) {
    throw new ConvlensError(
      'INVALID_OPTION',
      `torchvision's ${name} takes a square image whose block maps (the side halved by the stem, then by each block: ${maps.join(', ')} at ${h}) are multiples of its partition size (${cfg.partition}); ${h}×${w} is not`,
      {},
    );
  }
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.convBnAct('stem.0', 'input', cfg.stem, 3, { stride: 2, act: 'gelu', eps: BN_EPS });
  x = b.conv('stem.1.0', x, cfg.stem, 3, { padding: 1 });
  cfg.channels.forEach((out, i) => {
    for (let j = 0; j < cfg.layers[i]; j++) {
      const p = `blocks.${i}.layers.${j}.layers`;
      x = mbconv(b, `${p}.MBconv`, x, out, j === 0 ? 2 : 1);
      x = partitionAttention(b, `${p}.window_attention`, x, false, cfg);
      x = partitionAttention(b, `${p}.grid_attention`, x, true, cfg);
    }
  });
  const c = cfg.channels[cfg.channels.length - 1];
  x = b.add('classifier.1', 'flatten', b.add('classifier.0', 'adaptiveAvgPool2d', x, { outputSize: 1 }));
  x = b.add('classifier.2', 'layerNorm', x, { eps: LN_EPS });
  x = b.add('classifier.4', 'tanh', b.add('classifier.3', 'linear', x, { outFeatures: c }));
  b.add('classifier.5', 'linear', x, { outFeatures: numClasses, bias: false });
  return b.build();
}

export const maxvit_t = (r?: Resolution) => maxvit('maxvit_t', { stem: 64, channels: [64, 128, 256, 512], layers: [2, 2, 5, 2], headDim: 32, partition: 7 }, r);
