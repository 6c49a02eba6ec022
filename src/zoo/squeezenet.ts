/** SqueezeNet 1.0 and 1.1 (Iandola et al. 2016), torchvision.models.squeezenet1_0/1_1: fire modules, no FC. */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

function fire(b: NetBuilder, p: string, x: string, squeeze: number, e1: number, e3: number): string {
  const s = b.act(`${p}.squeeze_activation`, b.conv(`${p}.squeeze`, x, squeeze, 1), 'relu');
  const a = b.act(`${p}.expand1x1_activation`, b.conv(`${p}.expand1x1`, s, e1, 1), 'relu');
  const c = b.act(`${p}.expand3x3_activation`, b.conv(`${p}.expand3x3`, s, e3, 3, { padding: 1 }), 'relu');
  return b.add(`${p}.cat`, 'concat', [a, c]);
}

function classifier(b: NetBuilder, x: string, numClasses: number): NetworkSpec {
  x = b.sequential('classifier', x, [['dropout', { p: 0.5 }], ['conv2d', { outChannels: numClasses, kernelSize: 1 }], ['relu'], ['adaptiveAvgPool2d', { outputSize: 1 }]]);
  b.add('flatten', 'flatten', x);
  return b.build();
}

export function squeezenet1_0(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('squeezenet1_0', imageInput(resolution), 'torchvision.models.squeezenet1_0');
  const pool = (name: string, x: string) => b.add(name, 'maxPool2d', x, { kernelSize: 3, stride: 2, ceilMode: true });
  let x = b.act('features.1', b.conv('features.0', 'input', 96, 7, { stride: 2 }), 'relu');
  x = pool('features.2', x);
  x = fire(b, 'features.3', x, 16, 64, 64);
  x = fire(b, 'features.4', x, 16, 64, 64);
  x = fire(b, 'features.5', x, 32, 128, 128);
  x = pool('features.6', x);
  x = fire(b, 'features.7', x, 32, 128, 128);
  x = fire(b, 'features.8', x, 48, 192, 192);
  x = fire(b, 'features.9', x, 48, 192, 192);
  x = fire(b, 'features.10', x, 64, 256, 256);
  x = pool('features.11', x);
  x = fire(b, 'features.12', x, 64, 256, 256);
  return classifier(b, x, numClasses);
}

export function squeezenet1_1(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('squeezenet1_1', imageInput(resolution), 'torchvision.models.squeezenet1_1');
  const pool = (name: string, x: string) => b.add(name, 'maxPool2d', x, { kernelSize: 3, stride: 2, ceilMode: true });
  let x = b.act('features.1', b.conv('features.0', 'input', 64, 3, { stride: 2 }), 'relu');
  x = pool('features.2', x);
  x = fire(b, 'features.3', x, 16, 64, 64);
  x = fire(b, 'features.4', x, 16, 64, 64);
  x = pool('features.5', x);
  x = fire(b, 'features.6', x, 32, 128, 128);
  x = fire(b, 'features.7', x, 32, 128, 128);
  x = pool('features.8', x);
  x = fire(b, 'features.9', x, 48, 192, 192);
  x = fire(b, 'features.10', x, 48, 192, 192);
  x = fire(b, 'features.11', x, 64, 256, 256);
  x = fire(b, 'features.12', x, 64, 256, 256);
  return classifier(b, x, numClasses);
}
