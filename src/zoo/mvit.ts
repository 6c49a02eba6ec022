/**
 * MViT (Fan et al. 2021; MViTv2, Li et al. 2022), torchvision.models.video.mvit_v1_b and mvit_v2_s
 * (0.14), on a clip [N, 3, T, H, W] (16 frames of 224×224 as torchvision builds them).
 *
 * Patch embedding conv_proj, a Conv3d(3, C₀, 3×7×7, stride 2×4×4, padding 1×3×3) with bias, its map
 * flattened to grid tokens [N, T'·H'·W', C₀]; pos_encoding (spatioTemporalPositionEncoding): the class
 * token prepended and, in v1, the separable position tables added. Then 16 MultiscaleBlocks:
 *   x_n = norm1(x);  a = attn(x_n)   (multiscaleAttention over the block's grid [T, H, W], width
 *                                     attn_dim = the output width in v2 (proj_after_attn), else the input's)
 *   skip = x, or in v2 project(x_n) where the width changes; pool_skip when q strides: the class token
 *          split off, the grid max-pooled (kernel s + 1 where the stride s > 1, padding ⌊k/2⌋), put back
 *   x = skip + a;  x_n = norm2(x)
 *   y = x, or in v1 project(x_n) where the width changes;  out = y + mlp(x_n)   (Linear 4·attn_dim,
 *                                     GELU, Linear to the output width)
 * and the grid becomes q's pooled grid. Then norm, the class token x[:, 0], head.1 Linear(768, 400).
 * LayerNorms eps 1e-6. v1: no relative positions, no residual pooling, q pooled only where it strides;
 * v2: relative positions, residual pooling without the class token, q always pooled (kernel 3).
 * Dropout and stochastic depth are identities at inference and left out. Every layer with weights has
 * its torchvision module's name, so a state_dict loads as is.
 *
 * MACs: PyTorch's ATen count (scripts/torchvision_truth.py), which is torchvision's published GFLOPS:
 * the conv, the linears, the attention's pooling convs, score products and relative-position einsums.
 *
 * torchvision sizes pos_encoding (v1's position tables, and the grid its first block reads) by the
 * clip divided by conv_proj's strides, ⌊T/2⌋×⌊H/4⌋×⌊W/4⌋, while the conv gives ⌊(S + 2p − k)/s⌋ + 1:
 * where they differ (an odd frame count, a side not a multiple of 4) PyTorch's forward fails, and the
 * zoo refuses. The blocks then read the grids their pools make (an odd side pools to ⌈S/2⌉), so v1
 * runs at any side that is a multiple of 4 (torch 1.13: 48 → grids 12, 6, 3, 2). v2 also sizes each
 * block's relative-position tables by that clip division, carried on by ⌊S/s⌋ at each q stride (its
 * input_size: 2·max(⌊S/s_q⌋, ⌊S/s_kv⌋) − 1 rows, S = max(H, W); 2T − 1), and interpolates them to the
 * pools' grids at forward: each attention gets that grid as relPosInputSize. Where it leaves a table
 * no rows (a side below both strides, as at 28: ⌊7/2/2/2⌋ = 0 at blocks.15), PyTorch fails building
 * it (negative dimension) and multiscaleAttention refuses, NON_POSITIVE_SIZE naming the layer.
 */
import { ConvlensError } from '../errors.js';
import { pooledGrid } from '../ops/multiscale-attention.js';
import { NetBuilder, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

type Triple = [number, number, number];
export interface MvitBlock {
  heads: number;
  in: number;
  out: number;
  kernelQ: Triple;
  kernelKv: Triple;
  strideQ: Triple;
  strideKv: Triple;
}
export interface MvitConfig {
  blocks: MvitBlock[];
  /** v2: residual pooling, relative positions, the projection after the attention */
  v2: boolean;
}

const EPS = 1e-6;
const EMBED = { kernelSize: [3, 7, 7], stride: [2, 4, 4], padding: [1, 3, 3] };
const ONE: Triple = [1, 1, 1];
const prod = (v: readonly number[]) => v.reduce((p, x) => p * x, 1);

/** Pool(MaxPool3d) of the skip path on tokens [N, 1 + T·H·W, C], as torchvision's Pool with no norm. */
function poolSkip(b: NetBuilder, p: string, x: string, thw: Triple, stride: Triple): string {
  // the batch stays 0 in the reshapes (ONNX: copy the input's), so the spec runs at any N
  const [, l, c] = b.shape(x);
  const kernel = stride.map((s) => (s > 1 ? s + 1 : s));
  const parts = b.add(`${p}.split`, 'split', x, { axis: 1, split: [1, l - 1] });
  let g = b.add(`${p}.transpose`, 'transpose', `${parts}:1`, { perm: [0, 2, 1] });
  g = b.add(`${p}.grid`, 'reshape', g, { shape: [0, c, ...thw] });
  g = b.add(`${p}.pool`, 'maxPool3d', g, { kernelSize: kernel, stride, padding: kernel.map((k) => Math.floor(k / 2)) });
  g = b.add(`${p}.tokens`, 'reshape', g, { shape: [0, c, prod(b.shape(g).slice(2))] });
  g = b.add(`${p}.transpose_back`, 'transpose', g, { perm: [0, 2, 1] });
  return b.add(`${p}.cat`, 'concat', [parts, g], { dim: 1 });
}

function block(b: NetBuilder, p: string, x: string, thw: Triple, sized: Triple, blk: MvitBlock, v2: boolean): string {
  const attnDim = v2 ? blk.out : blk.in;
  const projects = blk.in !== blk.out;
  const xn = b.add(`${p}.norm1`, 'layerNorm', x, { eps: EPS });
  const attn = b.add(`${p}.attn`, 'multiscaleAttention', xn, {
    inputSize: thw,
    numHeads: blk.heads,
    outputDim: attnDim,
    kernelQ: blk.kernelQ,
    kernelKv: blk.kernelKv,
    strideQ: blk.strideQ,
    strideKv: blk.strideKv,
    residualPool: v2,
    residualWithClsEmbed: false,
    relPos: v2,
    ...(v2 ? { relPosInputSize: sized } : {}),
  });
  let skip = projects && v2 ? b.add(`${p}.project`, 'linear', xn, { outFeatures: blk.out }) : x;
  if (prod(blk.strideQ) > 1) skip = poolSkip(b, `${p}.pool_skip`, skip, thw, blk.strideQ);
  const h = b.add(`${p}.residual_attn`, 'add', [skip, attn]);
  const hn = b.add(`${p}.norm2`, 'layerNorm', h, { eps: EPS });
  const y = projects && !v2 ? b.add(`${p}.project`, 'linear', hn, { outFeatures: blk.out }) : h;
  let m = b.add(`${p}.mlp.0`, 'linear', hn, { outFeatures: 4 * attnDim });
  m = b.add(`${p}.mlp.1`, 'gelu', m);
  m = b.add(`${p}.mlp.3`, 'linear', m, { outFeatures: blk.out });
  return b.add(`${p}.residual_mlp`, 'add', [y, m]);
}

export function mvit(name: string, cfg: MvitConfig, resolution: Resolution = 224, frames = 16, numClasses = 400): NetworkSpec {
  const [h, w] = sides(resolution);
  // conv_proj's grid, and torchvision's input_size (the clip divided by its strides) that sizes pos_encoding
  const conv = (s: number, k: number, st: number, pad: number) => Math.floor((s + 2 * pad - k) / st) + 1;
  let thw: Triple = [conv(frames, 3, 2, 1), conv(h, 7, 4, 3), conv(w, 7, 4, 3)];
  let sized: Triple = [Math.floor(frames / 2), Math.floor(h / 4), Math.floor(w / 4)];
  const clip = `${frames}×${h}×${w}`;
  if (!thw.every((s, a) => s === sized[a])) {
    throw new ConvlensError(
      'INVALID_OPTION',
      `torchvision's ${name} sizes pos_encoding (${cfg.v2 ? 'the grid its first block reads' : 'its position tables'}) by the clip divided by conv_proj's strides, ${sized.join('×')} at ${clip}, but conv_proj gives ${thw.join('×')}: PyTorch's forward fails there; take an even frame count and sides that are multiples of 4`,
      {},
    );
  }
  // per block: the grid it reads (the pools' own) and torchvision's input_size (⌊S/s⌋ at each q stride)
  const grids = [thw];
  const sizedGrids = [sized];
  for (const blk of cfg.blocks) {
    thw = pooledGrid(thw, blk.kernelQ, blk.strideQ);
    sized = sized.map((s, a) => Math.floor(s / blk.strideQ[a])) as Triple;
    grids.push(thw);
    sizedGrids.push(sized);
  }
  const b = new NetBuilder(name, { name: 'input', shape: [1, 3, frames, h, w] }, `torchvision.models.video.${name}`);
  const c0 = cfg.blocks[0].in;
  let x = b.add('conv_proj', 'conv3d', 'input', { outChannels: c0, ...EMBED });
  thw = grids[0];
  x = b.add('flatten', 'reshape', x, { shape: [0, c0, prod(thw)] });
  x = b.add('tokens', 'transpose', x, { perm: [0, 2, 1] });
  x = b.add('pos_encoding', 'spatioTemporalPositionEncoding', x, { inputSize: thw, tables: !cfg.v2 });
  cfg.blocks.forEach((blk, i) => {
    x = block(b, `blocks.${i}`, x, grids[i], sizedGrids[i], blk, cfg.v2);
  });
  x = b.add('norm', 'layerNorm', x, { eps: EPS });
  // x[:, 0]: the class token's features
  x = b.add('class_features', 'slice', x, { starts: [0], ends: [1], axes: [1] });
  x = b.add('class_flatten', 'flatten', x);
  b.add('head.1', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

/** torchvision's table: per block heads, input and output widths, and where q strides (its kernel 3 there in v1). */
const HEADS = [1, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8, 8];
const Q_STRIDES = new Set([1, 3, 14]);
const KV_STRIDE = [8, 4, 4, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1];

function blocks(inputs: number[], outputs: number[], v2: boolean): MvitBlock[] {
  return HEADS.map((heads, i) => {
    const strides = Q_STRIDES.has(i);
    return {
      heads,
      in: inputs[i],
      out: outputs[i],
      kernelQ: v2 || strides ? [3, 3, 3] : ONE,
      kernelKv: [3, 3, 3],
      strideQ: strides ? [1, 2, 2] : ONE,
      strideKv: [1, KV_STRIDE[i], KV_STRIDE[i]],
    };
  });
}

const widths = (changes: number[], first = 96) => {
  const out: number[] = [];
  let c = first;
  for (let i = 0; i < 16; i++) out.push((c = changes.includes(i) ? 2 * c : c));
  return out;
};

/** v1: the width doubles at the end of blocks 0, 2 and 13 (their outputs); v2: at blocks 1, 3 and 14, with the q stride. */
export const MVIT_V1_B: MvitConfig = { blocks: blocks([96, ...widths([0, 2, 13]).slice(0, 15)], widths([0, 2, 13]), false), v2: false };
export const MVIT_V2_S: MvitConfig = { blocks: blocks([96, ...widths([1, 3, 14]).slice(0, 15)], widths([1, 3, 14]), true), v2: true };

export const mvit_v1_b = (r?: Resolution) => mvit('mvit_v1_b', MVIT_V1_B, r);
export const mvit_v2_s = (r?: Resolution) => mvit('mvit_v2_s', MVIT_V2_S, r);
