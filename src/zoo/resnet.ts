/**
 * ResNet (He et al. 2016), torchvision's resnet18/34/50/101/152: v1.5, stride in the 3×3 of the bottleneck;
 * ResNeXt (Xie et al. 2017, resnext50_32x4d: 32 groups of width 4 in the 3×3; resnext101_32x8d, _64x4d) and
 * Wide ResNet (Zagoruyko & Komodakis 2016, wide_resnet50_2 and wide_resnet101_2: bottleneck width doubled), which torchvision builds
 * from the same Bottleneck with width = ⌊planes · widthPerGroup / 64⌋ · groups.
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

type Block = 'basic' | 'bottleneck';

/** torchvision's `groups` and `width_per_group` (64 for plain ResNet). */
export interface BottleneckWidth {
  groups: number;
  widthPerGroup: number;
}
const PLAIN: BottleneckWidth = { groups: 1, widthPerGroup: 64 };

function basic(b: NetBuilder, p: string, x: string, planes: number, stride: number): string {
  const inC = b.ch(x);
  let y = b.conv(`${p}.conv1`, x, planes, 3, { stride, padding: 1, bias: false });
  y = b.act(`${p}.relu1`, b.bn(`${p}.bn1`, y), 'relu');
  y = b.bn(`${p}.bn2`, b.conv(`${p}.conv2`, y, planes, 3, { padding: 1, bias: false }));
  const identity = stride !== 1 || inC !== planes ? b.bn(`${p}.downsample.1`, b.conv(`${p}.downsample.0`, x, planes, 1, { stride, bias: false })) : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

function bottleneck(b: NetBuilder, p: string, x: string, planes: number, stride: number, dilation = 1, w: BottleneckWidth = PLAIN): string {
  const inC = b.ch(x);
  const out = planes * 4;
  const width = Math.floor((planes * w.widthPerGroup) / 64) * w.groups;
  let y = b.act(`${p}.relu1`, b.bn(`${p}.bn1`, b.conv(`${p}.conv1`, x, width, 1, { bias: false })), 'relu');
  y = b.act(`${p}.relu2`, b.bn(`${p}.bn2`, b.conv(`${p}.conv2`, y, width, 3, { stride, padding: dilation, dilation, ...(w.groups > 1 ? { groups: w.groups } : {}), bias: false })), 'relu');
  y = b.bn(`${p}.bn3`, b.conv(`${p}.conv3`, y, out, 1, { bias: false }));
  const identity = stride !== 1 || inC !== out ? b.bn(`${p}.downsample.1`, b.conv(`${p}.downsample.0`, x, out, 1, { stride, bias: false })) : x;
  return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
}

/**
 * The convolutional trunk (conv1 … layer4), prefixed as torchvision's IntermediateLayerGetter
 * names it when `prefix` is given. `dilate[i]` replaces layer(i+2)'s stride by dilation, as
 * torchvision's replace_stride_with_dilation (the first block keeps the previous dilation).
 */
export function resnetTrunk(b: NetBuilder, block: Block, depths: number[], prefix = '', dilate: boolean[] = [false, false, false], w: BottleneckWidth = PLAIN): string[] {
  let x = b.conv(`${prefix}conv1`, 'input', 64, 7, { stride: 2, padding: 3, bias: false });
  x = b.act(`${prefix}relu`, b.bn(`${prefix}bn1`, x), 'relu');
  x = b.add(`${prefix}maxpool`, 'maxPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
  let dilation = 1;
  const stages: string[] = [];
  depths.forEach((n, stage) => {
    const planes = 64 * 2 ** stage;
    let stride = stage > 0 ? 2 : 1;
    const previous = dilation;
    if (stage > 0 && dilate[stage - 1]) {
      dilation *= stride;
      stride = 1;
    }
    for (let i = 0; i < n; i++) {
      const p = `${prefix}layer${stage + 1}.${i}`;
      x = block === 'basic' ? basic(b, p, x, planes, i === 0 ? stride : 1) : bottleneck(b, p, x, planes, i === 0 ? stride : 1, i === 0 ? previous : dilation, w);
    }
    stages.push(x);
  });
  return stages;
}

export function resnet(name: string, block: Block, depths: number[], resolution: Resolution = 224, numClasses = 1000, w: BottleneckWidth = PLAIN): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = resnetTrunk(b, block, depths, '', [false, false, false], w)[3];
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const resnet18 = (r?: number) => resnet('resnet18', 'basic', [2, 2, 2, 2], r);
export const resnet34 = (r?: number) => resnet('resnet34', 'basic', [3, 4, 6, 3], r);
export const resnet50 = (r?: number) => resnet('resnet50', 'bottleneck', [3, 4, 6, 3], r);
export const resnet101 = (r?: number) => resnet('resnet101', 'bottleneck', [3, 4, 23, 3], r);
export const resnet152 = (r?: number) => resnet('resnet152', 'bottleneck', [3, 8, 36, 3], r);
export const resnext50_32x4d = (r?: number) => resnet('resnext50_32x4d', 'bottleneck', [3, 4, 6, 3], r, 1000, { groups: 32, widthPerGroup: 4 });
export const wide_resnet50_2 = (r?: number) => resnet('wide_resnet50_2', 'bottleneck', [3, 4, 6, 3], r, 1000, { groups: 1, widthPerGroup: 128 });
export const resnext101_32x8d = (r?: number) => resnet('resnext101_32x8d', 'bottleneck', [3, 4, 23, 3], r, 1000, { groups: 32, widthPerGroup: 8 });
export const resnext101_64x4d = (r?: number) => resnet('resnext101_64x4d', 'bottleneck', [3, 4, 23, 3], r, 1000, { groups: 64, widthPerGroup: 4 });
export const wide_resnet101_2 = (r?: number) => resnet('wide_resnet101_2', 'bottleneck', [3, 4, 23, 3], r, 1000, { groups: 1, widthPerGroup: 128 });
