/**
 * DenseNet (Huang et al. 2017), torchvision.models.densenet121/161/169/201: bn_size 4; growth 32 from
 * a 64-channel stem (121, 169, 201), growth 48 from a 96-channel stem (161).
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export function densenet(name: string, growth: number, blocks: number[], initFeatures: number, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.conv('features.conv0', 'input', initFeatures, 7, { stride: 2, padding: 3, bias: false });
  x = b.act('features.relu0', b.bn('features.norm0', x), 'relu');
  x = b.add('features.pool0', 'maxPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
  blocks.forEach((layers, i) => {
    const block = `features.denseblock${i + 1}`;
    const features = [x];
    for (let l = 0; l < layers; l++) {
      const p = `${block}.denselayer${l + 1}`;
      const input = features.length === 1 ? features[0] : b.add(`${p}.cat`, 'concat', [...features]);
      let y = b.act(`${p}.relu1`, b.bn(`${p}.norm1`, input), 'relu');
      y = b.conv(`${p}.conv1`, y, 4 * growth, 1, { bias: false });
      y = b.act(`${p}.relu2`, b.bn(`${p}.norm2`, y), 'relu');
      features.push(b.conv(`${p}.conv2`, y, growth, 3, { padding: 1, bias: false }));
    }
    x = b.add(`${block}.cat`, 'concat', features);
    if (i < blocks.length - 1) {
      const t = `features.transition${i + 1}`;
      let y = b.act(`${t}.relu`, b.bn(`${t}.norm`, x), 'relu');
      y = b.conv(`${t}.conv`, y, Math.floor(b.ch(x) / 2), 1, { bias: false });
      x = b.add(`${t}.pool`, 'avgPool2d', y, { kernelSize: 2, stride: 2 });
    }
  });
  // DenseNet.forward: F.relu, then F.adaptive_avg_pool2d (function calls)
  x = b.functional(b.act('relu', b.bn('features.norm5', x), 'relu'));
  x = b.add('flatten', 'flatten', b.functional(b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 })));
  b.add('classifier', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export const densenet121 = (r?: Resolution) => densenet('densenet121', 32, [6, 12, 24, 16], 64, r);
export const densenet161 = (r?: Resolution) => densenet('densenet161', 48, [6, 12, 36, 24], 96, r);
export const densenet169 = (r?: Resolution) => densenet('densenet169', 32, [6, 12, 32, 32], 64, r);
export const densenet201 = (r?: Resolution) => densenet('densenet201', 32, [6, 12, 48, 32], 64, r);
