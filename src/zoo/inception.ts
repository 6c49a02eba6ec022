/**
 * GoogLeNet (Szegedy et al. 2015) and Inception-v3 (Szegedy et al. 2016) as torchvision builds
 * them: BasicConv2d = conv (no bias) → BN (eps 0.001) → ReLU. GoogLeNet without its auxiliary
 * heads (as torchvision ships the weights); Inception-v3 with its training-only AuxLogits head,
 * which torchvision's parameter count includes and inference does not run. BasicConv2d's ReLU is
 * F.relu, Inception-v3's branch pools F.avg_pool2d / F.max_pool2d (and its AuxLogits' pools):
 * function calls, marked `functional` (module-hook tools count them so).
 */
import { NetBuilder, imageInput } from './builder.js';
import type { ConvOpts, NetworkSpec, Resolution } from './builder.js';

function basic(b: NetBuilder, p: string, x: string, out: number, k: number | [number, number], o: ConvOpts = {}): string {
  const y = b.bn(`${p}.bn`, b.conv(`${p}.conv`, x, out, k, { bias: false, ...o }), 0.001);
  return b.functional(b.act(`${p}.relu`, y, 'relu'));
}

function googlenetInception(b: NetBuilder, p: string, x: string, c1: number, c3r: number, c3: number, c5r: number, c5: number, pool: number): string {
  const b1 = basic(b, `${p}.branch1`, x, c1, 1);
  const b2 = basic(b, `${p}.branch2.1`, basic(b, `${p}.branch2.0`, x, c3r, 1), c3, 3, { padding: 1 });
  // torchvision's "5×5" branch uses a 3×3 kernel (a known quirk kept for weight compatibility)
  const b3 = basic(b, `${p}.branch3.1`, basic(b, `${p}.branch3.0`, x, c5r, 1), c5, 3, { padding: 1 });
  const mp = b.add(`${p}.branch4.0`, 'maxPool2d', x, { kernelSize: 3, stride: 1, padding: 1, ceilMode: true });
  const b4 = basic(b, `${p}.branch4.1`, mp, pool, 1);
  return b.add(`${p}.cat`, 'concat', [b1, b2, b3, b4]);
}

export function googlenet(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('googlenet', imageInput(resolution), 'torchvision.models.googlenet (no auxiliary heads)');
  const pool = (name: string, x: string, k = 3) => b.add(name, 'maxPool2d', x, { kernelSize: k, stride: 2, ceilMode: true });
  let x = basic(b, 'conv1', 'input', 64, 7, { stride: 2, padding: 3 });
  x = pool('maxpool1', x);
  x = basic(b, 'conv2', x, 64, 1);
  x = basic(b, 'conv3', x, 192, 3, { padding: 1 });
  x = pool('maxpool2', x);
  x = googlenetInception(b, 'inception3a', x, 64, 96, 128, 16, 32, 32);
  x = googlenetInception(b, 'inception3b', x, 128, 128, 192, 32, 96, 64);
  x = pool('maxpool3', x);
  x = googlenetInception(b, 'inception4a', x, 192, 96, 208, 16, 48, 64);
  x = googlenetInception(b, 'inception4b', x, 160, 112, 224, 24, 64, 64);
  x = googlenetInception(b, 'inception4c', x, 128, 128, 256, 24, 64, 64);
  x = googlenetInception(b, 'inception4d', x, 112, 144, 288, 32, 64, 64);
  x = googlenetInception(b, 'inception4e', x, 256, 160, 320, 32, 128, 128);
  x = pool('maxpool4', x, 2);
  x = googlenetInception(b, 'inception5a', x, 256, 160, 320, 32, 128, 128);
  x = googlenetInception(b, 'inception5b', x, 384, 192, 384, 48, 128, 128);
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  x = b.add('dropout', 'dropout', x, { p: 0.2 });
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

const avg3 = (b: NetBuilder, name: string, x: string) => b.functional(b.add(name, 'avgPool2d', x, { kernelSize: 3, stride: 1, padding: 1 }));

function inceptionA(b: NetBuilder, p: string, x: string, poolFeatures: number): string {
  const b1 = basic(b, `${p}.branch1x1`, x, 64, 1);
  const b5 = basic(b, `${p}.branch5x5_2`, basic(b, `${p}.branch5x5_1`, x, 48, 1), 64, 5, { padding: 2 });
  let d = basic(b, `${p}.branch3x3dbl_1`, x, 64, 1);
  d = basic(b, `${p}.branch3x3dbl_2`, d, 96, 3, { padding: 1 });
  d = basic(b, `${p}.branch3x3dbl_3`, d, 96, 3, { padding: 1 });
  const pool = basic(b, `${p}.branch_pool`, avg3(b, `${p}.avg_pool`, x), poolFeatures, 1);
  return b.add(`${p}.cat`, 'concat', [b1, b5, d, pool]);
}

function inceptionB(b: NetBuilder, p: string, x: string): string {
  const b3 = basic(b, `${p}.branch3x3`, x, 384, 3, { stride: 2 });
  let d = basic(b, `${p}.branch3x3dbl_1`, x, 64, 1);
  d = basic(b, `${p}.branch3x3dbl_2`, d, 96, 3, { padding: 1 });
  d = basic(b, `${p}.branch3x3dbl_3`, d, 96, 3, { stride: 2 });
  const pool = b.functional(b.add(`${p}.max_pool`, 'maxPool2d', x, { kernelSize: 3, stride: 2 }));
  return b.add(`${p}.cat`, 'concat', [b3, d, pool]);
}

const k17: [number, number] = [1, 7];
const k71: [number, number] = [7, 1];
const p17: [number, number] = [0, 3];
const p71: [number, number] = [3, 0];

function inceptionC(b: NetBuilder, p: string, x: string, c7: number): string {
  const b1 = basic(b, `${p}.branch1x1`, x, 192, 1);
  let s = basic(b, `${p}.branch7x7_1`, x, c7, 1);
  s = basic(b, `${p}.branch7x7_2`, s, c7, k17, { padding: p17 });
  s = basic(b, `${p}.branch7x7_3`, s, 192, k71, { padding: p71 });
  let d = basic(b, `${p}.branch7x7dbl_1`, x, c7, 1);
  d = basic(b, `${p}.branch7x7dbl_2`, d, c7, k71, { padding: p71 });
  d = basic(b, `${p}.branch7x7dbl_3`, d, c7, k17, { padding: p17 });
  d = basic(b, `${p}.branch7x7dbl_4`, d, c7, k71, { padding: p71 });
  d = basic(b, `${p}.branch7x7dbl_5`, d, 192, k17, { padding: p17 });
  const pool = basic(b, `${p}.branch_pool`, avg3(b, `${p}.avg_pool`, x), 192, 1);
  return b.add(`${p}.cat`, 'concat', [b1, s, d, pool]);
}

function inceptionD(b: NetBuilder, p: string, x: string): string {
  const b3 = basic(b, `${p}.branch3x3_2`, basic(b, `${p}.branch3x3_1`, x, 192, 1), 320, 3, { stride: 2 });
  let s = basic(b, `${p}.branch7x7x3_1`, x, 192, 1);
  s = basic(b, `${p}.branch7x7x3_2`, s, 192, k17, { padding: p17 });
  s = basic(b, `${p}.branch7x7x3_3`, s, 192, k71, { padding: p71 });
  s = basic(b, `${p}.branch7x7x3_4`, s, 192, 3, { stride: 2 });
  const pool = b.functional(b.add(`${p}.max_pool`, 'maxPool2d', x, { kernelSize: 3, stride: 2 }));
  return b.add(`${p}.cat`, 'concat', [b3, s, pool]);
}

function inceptionE(b: NetBuilder, p: string, x: string): string {
  const b1 = basic(b, `${p}.branch1x1`, x, 320, 1);
  const fork = (prefix: string, y: string) =>
    b.add(`${prefix}.cat`, 'concat', [
      basic(b, `${prefix}a`, y, 384, [1, 3], { padding: [0, 1] }),
      basic(b, `${prefix}b`, y, 384, [3, 1], { padding: [1, 0] }),
    ]);
  const b3 = fork(`${p}.branch3x3_2`, basic(b, `${p}.branch3x3_1`, x, 384, 1));
  let d = basic(b, `${p}.branch3x3dbl_1`, x, 448, 1);
  d = basic(b, `${p}.branch3x3dbl_2`, d, 384, 3, { padding: 1 });
  const dd = fork(`${p}.branch3x3dbl_3`, d);
  const pool = basic(b, `${p}.branch_pool`, avg3(b, `${p}.avg_pool`, x), 192, 1);
  return b.add(`${p}.cat`, 'concat', [b1, b3, dd, pool]);
}

export function inception_v3(resolution: Resolution = 299, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('inception_v3', imageInput(resolution), 'torchvision.models.inception_v3 (AuxLogits counted in params, not run at inference)');
  let x = basic(b, 'Conv2d_1a_3x3', 'input', 32, 3, { stride: 2 });
  x = basic(b, 'Conv2d_2a_3x3', x, 32, 3);
  x = basic(b, 'Conv2d_2b_3x3', x, 64, 3, { padding: 1 });
  x = b.add('maxpool1', 'maxPool2d', x, { kernelSize: 3, stride: 2 });
  x = basic(b, 'Conv2d_3b_1x1', x, 80, 1);
  x = basic(b, 'Conv2d_4a_3x3', x, 192, 3);
  x = b.add('maxpool2', 'maxPool2d', x, { kernelSize: 3, stride: 2 });
  x = inceptionA(b, 'Mixed_5b', x, 32);
  x = inceptionA(b, 'Mixed_5c', x, 64);
  x = inceptionA(b, 'Mixed_5d', x, 64);
  x = inceptionB(b, 'Mixed_6a', x);
  x = inceptionC(b, 'Mixed_6b', x, 128);
  x = inceptionC(b, 'Mixed_6c', x, 160);
  x = inceptionC(b, 'Mixed_6d', x, 160);
  x = inceptionC(b, 'Mixed_6e', x, 192);
  let aux = b.functional(b.add('AuxLogits.avg_pool', 'avgPool2d', x, { kernelSize: 5, stride: 3 }));
  aux = basic(b, 'AuxLogits.conv0', aux, 128, 1);
  aux = basic(b, 'AuxLogits.conv1', aux, 768, 5);
  aux = b.add('AuxLogits.flatten', 'flatten', b.functional(b.add('AuxLogits.pool', 'adaptiveAvgPool2d', aux, { outputSize: 1 })));
  b.add('AuxLogits.fc', 'linear', aux, { outFeatures: numClasses });
  x = inceptionD(b, 'Mixed_7a', x);
  x = inceptionE(b, 'Mixed_7b', x);
  x = inceptionE(b, 'Mixed_7c', x);
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('dropout', 'dropout', x, { p: 0.5 });
  x = b.add('flatten', 'flatten', x);
  const fc = b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build([fc]);
}
