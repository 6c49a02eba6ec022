/** EfficientNet-B0 (Tan & Le 2019), torchvision.models.efficientnet_b0: MBConv with SiLU and squeeze-excitation. */
import { NetBuilder, imageInput, makeDivisible } from './builder.js';
import type { NetworkSpec } from './builder.js';

type Stage = [expand: number, k: number, stride: number, out: number, layers: number];
const B0: Stage[] = [
  [1, 3, 1, 16, 1],
  [6, 3, 2, 24, 2],
  [6, 5, 2, 40, 2],
  [6, 3, 2, 80, 3],
  [6, 5, 1, 112, 3],
  [6, 5, 2, 192, 4],
  [6, 3, 1, 320, 1],
];

export function efficientnet_b0(resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('efficientnet_b0', imageInput(resolution), 'torchvision.models.efficientnet_b0');
  let x = b.convBnAct('features.0', 'input', 32, 3, { stride: 2, act: 'swish' });
  B0.forEach(([expand, k, stride, out, layers], s) => {
    for (let i = 0; i < layers; i++) {
      const p = `features.${s + 1}.${i}.block`;
      const inC = b.ch(x);
      const expanded = makeDivisible(inC * expand);
      let y = x;
      let j = 0;
      if (expanded !== inC) y = b.convBnAct(`${p}.${j++}`, y, expanded, 1, { act: 'swish' });
      y = b.convBnAct(`${p}.${j++}`, y, expanded, k, { stride: i === 0 ? stride : 1, groups: expanded, act: 'swish' });
      const se = `${p}.${j++}`;
      let sc = b.add(`${se}.avgpool`, 'adaptiveAvgPool2d', y, { outputSize: 1 });
      sc = b.act(`${se}.activation`, b.conv(`${se}.fc1`, sc, Math.max(1, Math.floor(inC / 4)), 1), 'swish');
      sc = b.act(`${se}.scale_activation`, b.conv(`${se}.fc2`, sc, expanded, 1), 'sigmoid');
      y = b.add(`${se}.mul`, 'mul', [y, sc]);
      y = b.convBnAct(`${p}.${j}`, y, out, 1, { act: null });
      x = (i === 0 ? stride : 1) === 1 && inC === out ? b.add(`features.${s + 1}.${i}.add`, 'add', [x, y]) : y;
    }
  });
  x = b.convBnAct('features.8', x, 1280, 1, { act: 'swish' });
  x = b.add('flatten', 'flatten', b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 }));
  b.sequential('classifier', x, [['dropout', { p: 0.2 }], ['linear', { outFeatures: numClasses }]]);
  return b.build();
}
