/**
 * Video ResNets (Tran et al. 2018, "A Closer Look at Spatiotemporal Convolutions"), torchvision's
 * torchvision.models.video.r3d_18: 3-D convolutions throughout, input [N, 3, T, H, W] (16 frames
 * of 112×112 for the published numbers: 33,371,472 params, "GFLOPS" 40.70 = GMACs).
 *   stem     Conv3d(3, 64, (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3)), BN, ReLU  (no max pool)
 *   layer1-4 two BasicBlocks each, 64/128/256/512 channels, 3×3×3 convs; the first block of
 *            layers 2–4 strides 2 over time and space, with a 1×1×1 strided downsample
 *   head     AdaptiveAvgPool3d(1), flatten, Linear(512, 400) (Kinetics-400)
 * Layer names are torchvision's module paths (stem.0, layer1.0.conv1.0, …).
 */
import { NetBuilder } from './builder.js';
import type { NetworkSpec } from './builder.js';

function block(b: NetBuilder, p: string, x: string, planes: number, stride: number): string {
  const inC = b.ch(x);
  let y = b.add(`${p}.conv1.0`, 'conv3d', x, { outChannels: planes, kernelSize: 3, stride, padding: 1, bias: false });
  y = b.act(`${p}.conv1.2`, b.bn(`${p}.conv1.1`, y), 'relu');
  y = b.bn(`${p}.conv2.1`, b.add(`${p}.conv2.0`, 'conv3d', y, { outChannels: planes, kernelSize: 3, padding: 1, bias: false }));
  const identity =
    stride !== 1 || inC !== planes
      ? b.bn(`${p}.downsample.1`, b.add(`${p}.downsample.0`, 'conv3d', x, { outChannels: planes, kernelSize: 1, stride, bias: false }))
      : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

/** r3d_18 on `frames` frames of resolution × resolution (torchvision's published numbers: 16 × 112 × 112). */
export function r3d_18(resolution = 112, frames = 16, numClasses = 400): NetworkSpec {
  const b = new NetBuilder('r3d_18', { name: 'input', shape: [1, 3, frames, resolution, resolution] }, 'torchvision.models.video.r3d_18');
  let x = b.add('stem.0', 'conv3d', 'input', { outChannels: 64, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], bias: false });
  x = b.act('stem.2', b.bn('stem.1', x), 'relu');
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let i = 0; i < 2; i++) x = block(b, `layer${stage + 1}.${i}`, x, planes, stage > 0 && i === 0 ? 2 : 1);
  });
  x = b.add('avgpool', 'adaptiveAvgPool3d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}
