/**
 * Video ResNets (Tran et al. 2018, "A Closer Look at Spatiotemporal Convolutions"), torchvision's
 * torchvision.models.video r3d_18, mc3_18 and r2plus1d_18: input [N, 3, T, H, W] (16 frames of
 * 112×112 for the published numbers, "GFLOPS" = GMACs). torchvision's VideoResNet:
 *   stem     r3d/mc3: Conv3d(3, 64, (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3)), BN, ReLU;
 *            r2plus1d: Conv3d(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3)), BN, ReLU,
 *                      Conv3d(45, 64, (3, 1, 1), padding (1, 0, 0)), BN, ReLU     (no max pool)
 *   layer1-4 two BasicBlocks each, 64/128/256/512 channels; the first block of layers 2–4 strides 2
 *            with a 1×1×1 downsample whose stride is the block conv's (get_downsample_stride)
 *   block    conv builder per layer: Conv3DSimple 3×3×3, stride s on every axis (r3d; mc3's layer1);
 *            Conv3DNoTemporal 1×3×3, stride (1, s, s) (mc3's layers 2–4: time is never strided)
 *            (both subclasses of nn.Conv3d: the spec's `subclassed`);
 *            Conv2Plus1D: (1, 3, 3) stride (1, s, s) to M channels, BN, ReLU, (3, 1, 1) stride
 *            (s, 1, 1), with M = ⌊in·out·27 / (in·9 + 3·out)⌋ from the block's inplanes and planes
 *            (the same M for both convs of a block)
 *   head     AdaptiveAvgPool3d(1), flatten, Linear(512, 400) (Kinetics-400)
 * Layer names are torchvision's module paths (stem.0, layer1.0.conv1.0, layer1.0.conv1.0.0, …).
 */
import { NetBuilder, sides } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

type Builder = 'simple' | 'noTemporal' | 'plus1d';

/**
 * One conv_builder(in, out, mid, stride) of torchvision, named `p`; returns its output.
 * Conv3DSimple and Conv3DNoTemporal are subclasses of nn.Conv3d (marked `subclassed`: ptflops
 * looks its hooks up by exact type and counts them 0); Conv2Plus1D is an nn.Sequential of plain
 * nn.Conv3d, BatchNorm3d and ReLU, whose layers every tool sees as themselves.
 */
function conv3(b: NetBuilder, kind: Builder, p: string, x: string, out: number, mid: number, s: number): string {
  const c = (name: string, y: string, o: number, k: number[], stride: number[], padding: number[]) =>
    b.add(name, 'conv3d', y, { outChannels: o, kernelSize: k, stride, padding, bias: false });
  if (kind === 'simple') return b.subclassed(c(p, x, out, [3, 3, 3], [s, s, s], [1, 1, 1]));
  if (kind === 'noTemporal') return b.subclassed(c(p, x, out, [1, 3, 3], [1, s, s], [0, 1, 1]));
  const y = b.act(`${p}.2`, b.bn(`${p}.1`, c(`${p}.0`, x, mid, [1, 3, 3], [1, s, s], [0, 1, 1])), 'relu');
  return c(`${p}.3`, y, out, [3, 1, 1], [s, 1, 1], [1, 0, 0]);
}

function block(b: NetBuilder, kind: Builder, p: string, x: string, planes: number, stride: number): string {
  const inC = b.ch(x);
  const mid = Math.floor((inC * planes * 27) / (inC * 9 + 3 * planes));
  let y = b.act(`${p}.conv1.2`, b.bn(`${p}.conv1.1`, conv3(b, kind, `${p}.conv1.0`, x, planes, mid, stride)), 'relu');
  y = b.bn(`${p}.conv2.1`, conv3(b, kind, `${p}.conv2.0`, y, planes, mid, 1));
  // the downsample strides as the block's conv does (time too, except Conv3DNoTemporal)
  const ds = kind === 'noTemporal' ? [1, stride, stride] : [stride, stride, stride];
  const identity =
    stride !== 1 || inC !== planes
      ? b.bn(`${p}.downsample.1`, b.add(`${p}.downsample.0`, 'conv3d', x, { outChannels: planes, kernelSize: 1, stride: ds, bias: false }))
      : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

function videoResnet(name: string, builders: Builder[], resolution: Resolution, frames: number, numClasses: number): NetworkSpec {
  const b = new NetBuilder(name, { name: 'input', shape: [1, 3, frames, ...sides(resolution)] }, `torchvision.models.video.${name}`);
  let x: string;
  if (builders[0] === 'plus1d') {
    x = b.add('stem.0', 'conv3d', 'input', { outChannels: 45, kernelSize: [1, 7, 7], stride: [1, 2, 2], padding: [0, 3, 3], bias: false });
    x = b.act('stem.2', b.bn('stem.1', x), 'relu');
    x = b.add('stem.3', 'conv3d', x, { outChannels: 64, kernelSize: [3, 1, 1], padding: [1, 0, 0], bias: false });
    x = b.act('stem.5', b.bn('stem.4', x), 'relu');
  } else {
    x = b.add('stem.0', 'conv3d', 'input', { outChannels: 64, kernelSize: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3], bias: false });
    x = b.act('stem.2', b.bn('stem.1', x), 'relu');
  }
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let i = 0; i < 2; i++) x = block(b, builders[stage], `layer${stage + 1}.${i}`, x, planes, stage > 0 && i === 0 ? 2 : 1);
  });
  x = b.add('avgpool', 'adaptiveAvgPool3d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

/** r3d_18 on `frames` frames of resolution × resolution (published: 16 × 112 × 112, 33,371,472 params, 40.70 GFLOPS). */
export const r3d_18 = (resolution: Resolution = 112, frames = 16, numClasses = 400) => videoResnet('r3d_18', ['simple', 'simple', 'simple', 'simple'], resolution, frames, numClasses);
/** mc3_18: 3-D convs in layer1, 2-D (1×3×3) after it (published: 11,695,440 params, 43.34 GFLOPS). */
export const mc3_18 = (resolution: Resolution = 112, frames = 16, numClasses = 400) => videoResnet('mc3_18', ['simple', 'noTemporal', 'noTemporal', 'noTemporal'], resolution, frames, numClasses);
/** r2plus1d_18: every 3-D conv factorised into spatial (1×3×3) then temporal (3×1×1) (published: 31,505,325 params, 40.52 GFLOPS). */
export const r2plus1d_18 = (resolution: Resolution = 112, frames = 16, numClasses = 400) => videoResnet('r2plus1d_18', ['plus1d', 'plus1d', 'plus1d', 'plus1d'], resolution, frames, numClasses);
