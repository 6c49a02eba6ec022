/** DenseNet-121 (Huang et al. 2017), torchvision.models.densenet121: growth 32, bn_size 4. */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export function densenet121(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('densenet121', imageInput(resolution), 'torchvision.models.densenet121');
  const growth = 32;
  let x = b.conv('features.conv0', 'input', 64, 7, { stride: 2, padding: 3, bias: false });
  x = b.act('features.relu0', b.bn('features.norm0', x), 'relu');
  x = b.add('features.pool0', 'maxPool2d', x, { kernelSize: 3, stride: 2, padding: 1 });
  [6, 12, 24, 16].forEach((layers, i) => {
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
    if (i < 3) {
      const t = `features.transition${i + 1}`;
      let y = b.act(`${t}.relu`, b.bn(`${t}.norm`, x), 'relu');
      y = b.conv(`${t}.conv`, y, b.ch(x) / 2, 1, { bias: false });
      x = b.add(`${t}.pool`, 'avgPool2d', y, { kernelSize: 2, stride: 2 });
    }
  });
  // DenseNet.forward: F.relu, then F.adaptive_avg_pool2d (function calls)
  x = b.functional(b.act('relu', b.bn('features.norm5', x), 'relu'));
  x = b.add('flatten', 'flatten', b.functional(b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 })));
  b.add('classifier', 'linear', x, { outFeatures: numClasses });
  return b.build();
}
