/** ResNet (He et al. 2016), torchvision's resnet18/34/50/101: v1.5, stride in the 3×3 of the bottleneck. */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec } from './builder.js';

type Block = 'basic' | 'bottleneck';

function basic(b: NetBuilder, p: string, x: string, planes: number, stride: number): string {
  const inC = b.ch(x);
  let y = b.conv(`${p}.conv1`, x, planes, 3, { stride, padding: 1, bias: false });
  y = b.act(`${p}.relu1`, b.bn(`${p}.bn1`, y), 'relu');
  y = b.bn(`${p}.bn2`, b.conv(`${p}.conv2`, y, planes, 3, { padding: 1, bias: false }));
  const identity = stride !== 1 || inC !== planes ? b.bn(`${p}.downsample.1`, b.conv(`${p}.downsample.0`, x, planes, 1, { stride, bias: false })) : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

function bottleneck(b: NetBuilder, p: string, x: string, planes: number, stride: number): string {
  const inC = b.ch(x);
  const out = planes * 4;
  let y = b.act(`${p}.relu1`, b.bn(`${p}.bn1`, b.conv(`${p}.conv1`, x, planes, 1, { bias: false })), 'relu');
  y = b.act(`${p}.relu2`, b.bn(`${p}.bn2`, b.conv(`${p}.conv2`, y, planes, 3, { stride, padding: 1, bias: false })), 'relu');
  y = b.bn(`${p}.bn3`, b.conv(`${p}.conv3`, y, out, 1, { bias: false }));
  const identity = stride !== 1 || inC !== out ? b.bn(`${p}.downsample.1`, b.conv(`${p}.downsample.0`, x, out, 1, { stride, bias: false })) : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

export function resnet(name: string, block: Block, depths: number[], resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.conv('conv1', 'input', 64, 7, { stride: 2, padding: 3, bias: false });
  x = b.act('relu', b.bn('bn1', x), 'relu');
  x = b.add('maxpool', 'maxPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
  const make = block === 'basic' ? basic : bottleneck;
  depths.forEach((n, stage) => {
    const planes = 64 * 2 ** stage;
    for (let i = 0; i < n; i++) x = make(b, `layer${stage + 1}.${i}`, x, planes, i === 0 && stage > 0 ? 2 : 1);
  });
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const resnet18 = (r?: number) => resnet('resnet18', 'basic', [2, 2, 2, 2], r);
export const resnet34 = (r?: number) => resnet('resnet34', 'basic', [3, 4, 6, 3], r);
export const resnet50 = (r?: number) => resnet('resnet50', 'bottleneck', [3, 4, 6, 3], r);
export const resnet101 = (r?: number) => resnet('resnet101', 'bottleneck', [3, 4, 23, 3], r);
