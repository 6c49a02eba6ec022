/** ShuffleNet V2 (Ma et al. 2018), torchvision.models.shufflenet_v2_x0_5/x1_0/x1_5/x2_0: channel split, shuffle. */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

function invertedResidual(b: NetBuilder, p: string, x: string, out: number, stride: number): string {
  const inC = b.ch(x);
  const half = out / 2;
  let left: string;
  let right: string;
  if (stride === 1) {
    const split = b.add(`${p}.chunk`, 'split', x, { axis: 1, numOutputs: 2 });
    left = split;
    right = `${split}:1`;
  } else {
    // torchvision's branch1, an nn.Sequential: depthwise 3×3, BN, pointwise 1×1, BN, ReLU
    left = b.bn(`${p}.branch1.1`, b.conv(`${p}.branch1.0`, x, inC, 3, { bias: false, stride, groups: inC, padding: 1 }));
    left = b.act(`${p}.branch1.4`, b.bn(`${p}.branch1.3`, b.conv(`${p}.branch1.2`, left, half, 1, { bias: false, padding: 0 })), 'relu');
    right = x;
  }
  let y = b.conv(`${p}.branch2.0`, right, half, 1, { bias: false });
  y = b.act(`${p}.branch2.2`, b.bn(`${p}.branch2.1`, y), 'relu');
  y = b.bn(`${p}.branch2.4`, b.conv(`${p}.branch2.3`, y, half, 3, { stride, padding: 1, groups: half, bias: false }));
  y = b.act(`${p}.branch2.7`, b.bn(`${p}.branch2.6`, b.conv(`${p}.branch2.5`, y, half, 1, { bias: false })), 'relu');
  const cat = b.add(`${p}.cat`, 'concat', [left, y]);
  return b.add(`${p}.shuffle`, 'channelShuffle', cat, { groups: 2 });
}

/** torchvision's stages_out_channels: the stem, three stages, conv5. */
export function shufflenetV2(name: string, channels: [number, number, number, number, number], resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.convBnAct('conv1', 'input', channels[0], 3, { stride: 2 });
  x = b.add('maxpool', 'maxPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
  const repeats = [4, 8, 4];
  const widths = channels.slice(1, 4);
  repeats.forEach((n, s) => {
    for (let i = 0; i < n; i++) x = invertedResidual(b, `stage${s + 2}.${i}`, x, widths[s], i === 0 ? 2 : 1);
  });
  x = b.convBnAct('conv5', x, channels[4], 1);
  x = b.add('mean', 'reduceMean', x, { axes: [2, 3], keepDims: false });
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const shufflenet_v2_x0_5 = (r?: Resolution) => shufflenetV2('shufflenet_v2_x0_5', [24, 48, 96, 192, 1024], r);
export const shufflenet_v2_x1_0 = (r?: Resolution) => shufflenetV2('shufflenet_v2_x1_0', [24, 116, 232, 464, 1024], r);
export const shufflenet_v2_x1_5 = (r?: Resolution) => shufflenetV2('shufflenet_v2_x1_5', [24, 176, 352, 704, 1024], r);
export const shufflenet_v2_x2_0 = (r?: Resolution) => shufflenetV2('shufflenet_v2_x2_0', [24, 244, 488, 976, 2048], r);
