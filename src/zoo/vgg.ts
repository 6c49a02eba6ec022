/** VGG (Simonyan & Zisserman 2015: configurations A, B, D, E, with or without BN) and AlexNet, as torchvision builds them. */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

const CFG = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const;

const fc = (outFeatures: number): [string, { outFeatures: number }] => ['linear', { outFeatures }];
const DROP: [string, { p: number }] = ['dropout', { p: 0.5 }];

export function vgg(name: keyof typeof CFG, batchNorm: boolean, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const full = batchNorm ? `${name}_bn` : name;
  const b = new NetBuilder(full, imageInput(resolution), `torchvision.models.${full}`);
  let x = 'input';
  let i = 0;
  for (const v of CFG[name]) {
    if (v === 'M') {
      x = b.add(`features.${i++}`, 'maxPool2d', x, { kernelSize: 2, stride: 2 });
      continue;
    }
    x = b.conv(`features.${i++}`, x, v, 3, { padding: 1 });
    if (batchNorm) x = b.bn(`features.${i++}`, x);
    x = b.act(`features.${i++}`, x, 'relu');
  }
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 7 });
  x = b.add('flatten', 'flatten', x);
  b.sequential('classifier', x, [fc(4096), ['relu'], DROP, fc(4096), ['relu'], DROP, fc(numClasses)]);
  return b.build();
}

export const vgg11 = (r?: number) => vgg('vgg11', false, r);
export const vgg11_bn = (r?: number) => vgg('vgg11', true, r);
export const vgg13 = (r?: number) => vgg('vgg13', false, r);
export const vgg13_bn = (r?: number) => vgg('vgg13', true, r);
export const vgg16 = (r?: number) => vgg('vgg16', false, r);
export const vgg16_bn = (r?: number) => vgg('vgg16', true, r);
export const vgg19 = (r?: number) => vgg('vgg19', false, r);
export const vgg19_bn = (r?: number) => vgg('vgg19', true, r);

export function alexnet(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('alexnet', imageInput(resolution), 'torchvision.models.alexnet');
  let x = b.act('features.1', b.conv('features.0', 'input', 64, 11, { stride: 4, padding: 2 }), 'relu');
  x = b.add('features.2', 'maxPool2d', x, { kernelSize: 3, stride: 2 });
  x = b.act('features.4', b.conv('features.3', x, 192, 5, { padding: 2 }), 'relu');
  x = b.add('features.5', 'maxPool2d', x, { kernelSize: 3, stride: 2 });
  x = b.act('features.7', b.conv('features.6', x, 384, 3, { padding: 1 }), 'relu');
  x = b.act('features.9', b.conv('features.8', x, 256, 3, { padding: 1 }), 'relu');
  x = b.act('features.11', b.conv('features.10', x, 256, 3, { padding: 1 }), 'relu');
  x = b.add('features.12', 'maxPool2d', x, { kernelSize: 3, stride: 2 });
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 6 });
  x = b.add('flatten', 'flatten', x);
  b.sequential('classifier', x, [DROP, fc(4096), ['relu'], DROP, fc(4096), ['relu'], fc(numClasses)]);
  return b.build();
}
