/**
 * ConvNeXt (Liu et al. 2022), torchvision.models.convnext_tiny/small/base/large: a 4×4 stride-4 patchify stem with
 * LayerNorm2d, four stages of CNBlocks (7×7 depthwise conv → channels-last LayerNorm → Linear to 4C →
 * GELU → Linear back to C → layer scale γ → residual add), downsampling between stages by LayerNorm2d
 * and a 2×2 stride-2 conv, then global average pooling, LayerNorm2d and a linear head. LayerNorm eps
 * 1e-6 throughout. The block's permutes are the transposes here (no arithmetic).
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

const EPS = 1e-6;

function cnBlock(b: NetBuilder, p: string, x: string): string {
  const c = b.ch(x);
  let y = b.conv(`${p}.block.0`, x, c, 7, { padding: 3, groups: c });
  y = b.add(`${p}.block.1`, 'transpose', y, { perm: [0, 2, 3, 1] });
  y = b.add(`${p}.block.2`, 'layerNorm', y, { eps: EPS });
  y = b.add(`${p}.block.4`, 'gelu', b.add(`${p}.block.3`, 'linear', y, { outFeatures: 4 * c }));
  y = b.add(`${p}.block.5`, 'linear', y, { outFeatures: c });
  y = b.add(`${p}.block.6`, 'transpose', y, { perm: [0, 3, 1, 2] });
  y = b.add(`${p}.layer_scale`, 'layerScale', y, { init: 1e-6 });
  return b.add(`${p}.add`, 'add', [y, x]);
}

export function convnext(name: string, widths: number[], depths: number[], resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.conv('features.0.0', 'input', widths[0], 4, { stride: 4 });
  x = b.add('features.0.1', 'layerNorm', x, { over: 'channels', eps: EPS });
  depths.forEach((n, s) => {
    for (let i = 0; i < n; i++) x = cnBlock(b, `features.${2 * s + 1}.${i}`, x);
    if (s + 1 < depths.length) {
      x = b.add(`features.${2 * s + 2}.0`, 'layerNorm', x, { over: 'channels', eps: EPS });
      x = b.conv(`features.${2 * s + 2}.1`, x, widths[s + 1], 2, { stride: 2 });
    }
  });
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('classifier.0', 'layerNorm', x, { over: 'channels', eps: EPS });
  x = b.add('classifier.1', 'flatten', x);
  b.add('classifier.2', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const convnext_tiny = (r?: number) => convnext('convnext_tiny', [96, 192, 384, 768], [3, 3, 9, 3], r);
export const convnext_small = (r?: number) => convnext('convnext_small', [96, 192, 384, 768], [3, 3, 27, 3], r);
export const convnext_base = (r?: number) => convnext('convnext_base', [128, 256, 512, 1024], [3, 3, 27, 3], r);
export const convnext_large = (r?: number) => convnext('convnext_large', [192, 384, 768, 1536], [3, 3, 27, 3], r);
