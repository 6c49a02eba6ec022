/**
 * S3D (Xie et al. 2018, "Rethinking Spatiotemporal Feature Learning"), torchvision.models.video.s3d:
 * input [N, 3, T, H, W] (16 frames of 224×224 for the catalog's numbers). Every 3-D conv is
 * torchvision's Conv3dNormActivation (conv without bias, BatchNorm3d eps 1e-3, ReLU; padding
 * (k − 1)/2), and a k×k×k one is a TemporalSeparableConv: 1×k×k with the spatial stride, then k×1×1
 * with the temporal stride. SepInceptionBlock3D: four branches concatenated (1×1×1; 1×1×1 then a
 * separable 3×3×3; likewise; 3×3×3 max pool then 1×1×1). Head: AvgPool3d((2, 7, 7), stride 1), dropout,
 * a 1×1×1 conv to the classes, torch.mean over (T, H, W). Layer names are torchvision's module paths.
 */
import { NetBuilder, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

type Triple = [number, number, number];
const EPS = 1e-3;

/** Conv3dNormActivation(in, out, k, stride, padding) named `p` (p.0 conv, p.1 BN, p.2 ReLU). */
function cna(b: NetBuilder, p: string, x: string, out: number, kernelSize: Triple, stride: Triple = [1, 1, 1], padding?: Triple): string {
  const pad = padding ?? (kernelSize.map((k) => (k - 1) / 2) as Triple);
  const y = b.add(`${p}.0`, 'conv3d', x, { outChannels: out, kernelSize, stride, padding: pad, bias: false });
  return b.act(`${p}.2`, b.bn(`${p}.1`, y, EPS), 'relu');
}

/** TemporalSeparableConv(in, out, k, s, pad): 1×k×k stride (1, s, s), then k×1×1 stride (s, 1, 1). */
function separable(b: NetBuilder, p: string, x: string, out: number, k: number, s: number, pad: number): string {
  const y = cna(b, `${p}.0`, x, out, [1, k, k], [1, s, s], [0, pad, pad]);
  return cna(b, `${p}.1`, y, out, [k, 1, 1], [s, 1, 1], [pad, 0, 0]);
}

type Inception = [b0: number, b1Mid: number, b1: number, b2Mid: number, b2: number, b3: number];

function inception(b: NetBuilder, p: string, x: string, [b0, b1Mid, b1, b2Mid, b2, b3]: Inception): string {
  const one: Triple = [1, 1, 1];
  const x0 = cna(b, `${p}.branch0`, x, b0, one);
  const x1 = separable(b, `${p}.branch1.1`, cna(b, `${p}.branch1.0`, x, b1Mid, one), b1, 3, 1, 1);
  const x2 = separable(b, `${p}.branch2.1`, cna(b, `${p}.branch2.0`, x, b2Mid, one), b2, 3, 1, 1);
  const pooled = b.add(`${p}.branch3.0`, 'maxPool3d', x, { kernelSize: [3, 3, 3], stride: 1, padding: 1 });
  const x3 = cna(b, `${p}.branch3.1`, pooled, b3, one);
  return b.add(`${p}.cat`, 'concat', [x0, x1, x2, x3]);
}

const POOL_SPATIAL = { kernelSize: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1] };

/** s3d on `frames` frames of resolution × resolution (catalog: 16 × 224 × 224, 8,320,048 params). */
export function s3d(resolution: Resolution = 224, frames = 16, numClasses = 400): NetworkSpec {
  const b = new NetBuilder('s3d', { name: 'input', shape: [1, 3, frames, ...sides(resolution)] }, 'torchvision.models.video.s3d');
  let x = separable(b, 'features.0', 'input', 64, 7, 2, 3);
  x = b.add('features.1', 'maxPool3d', x, POOL_SPATIAL);
  x = cna(b, 'features.2', x, 64, [1, 1, 1]);
  x = separable(b, 'features.3', x, 192, 3, 1, 1);
  x = b.add('features.4', 'maxPool3d', x, POOL_SPATIAL);
  x = inception(b, 'features.5', x, [64, 96, 128, 16, 32, 32]);
  x = inception(b, 'features.6', x, [128, 128, 192, 32, 96, 64]);
  x = b.add('features.7', 'maxPool3d', x, { kernelSize: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1] });
  x = inception(b, 'features.8', x, [192, 96, 208, 16, 48, 64]);
  x = inception(b, 'features.9', x, [160, 112, 224, 24, 64, 64]);
  x = inception(b, 'features.10', x, [128, 128, 256, 24, 64, 64]);
  x = inception(b, 'features.11', x, [112, 144, 288, 32, 64, 64]);
  x = inception(b, 'features.12', x, [256, 160, 320, 32, 128, 128]);
  x = b.add('features.13', 'maxPool3d', x, { kernelSize: [2, 2, 2], stride: [2, 2, 2] });
  x = inception(b, 'features.14', x, [256, 160, 320, 32, 128, 128]);
  x = inception(b, 'features.15', x, [384, 192, 384, 48, 128, 128]);
  x = b.add('avgpool', 'avgPool3d', x, { kernelSize: [2, 7, 7], stride: 1 });
  x = b.add('classifier.0', 'dropout', x, { p: 0.2 });
  x = b.add('classifier.1', 'conv3d', x, { outChannels: numClasses, kernelSize: 1 });
  // S3D.forward's torch.mean(x, dim=(2, 3, 4)): a call, not a module
  b.functional(b.add('mean', 'reduceMean', x, { axes: [2, 3, 4], keepDims: false }));
  return b.build();
}
