/**
 * MobileNets: v1 (Howard et al. 2017, depthwise-separable stacks), v2 (Sandler et al. 2018,
 * inverted residuals, torchvision.models.mobilenet_v2) and v3 (Howard et al. 2019,
 * torchvision.models.mobilenet_v3_large/small: squeeze-excitation with hardSigmoid, hardSwish).
 */
import { NetBuilder, imageInput, makeDivisible } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export function mobilenet_v1(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('mobilenet_v1', imageInput(resolution), 'MobileNetV1 1.0 (Howard et al. 2017): depthwise-separable convolutions');
  let x = b.convBnAct('features.0', 'input', 32, 3, { stride: 2 });
  const cfg: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  cfg.forEach(([out, stride], i) => {
    const p = `features.${i + 1}`;
    x = b.convBnAct(`${p}.dw`, x, b.ch(x), 3, { stride, groups: b.ch(x) });
    x = b.convBnAct(`${p}.pw`, x, out, 1);
  });
  x = b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

export function mobilenet_v2(resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder('mobilenet_v2', imageInput(resolution), 'torchvision.models.mobilenet_v2');
  const cfg: [t: number, c: number, n: number, s: number][] = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  let x = b.convBnAct('features.0', 'input', makeDivisible(32), 3, { stride: 2, act: 'relu6' });
  let idx = 1;
  for (const [t, c, n, s] of cfg) {
    const out = makeDivisible(c);
    for (let i = 0; i < n; i++) {
      const p = `features.${idx++}`;
      const inC = b.ch(x);
      const hidden = Math.round(inC * t);
      const stride = i === 0 ? s : 1;
      let y = x;
      let j = 0;
      if (t !== 1) y = b.convBnAct(`${p}.conv.${j++}`, y, hidden, 1, { act: 'relu6' });
      y = b.convBnAct(`${p}.conv.${j++}`, y, hidden, 3, { stride, groups: hidden, act: 'relu6' });
      y = b.bn(`${p}.conv.${j + 1}`, b.conv(`${p}.conv.${j}`, y, out, 1, { bias: false }));
      x = stride === 1 && inC === out ? b.add(`${p}.add`, 'add', [x, y]) : y;
    }
  }
  x = b.convBnAct(`features.${idx}`, x, makeDivisible(1280), 1, { act: 'relu6' });
  // MobileNetV2.forward: nn.functional.adaptive_avg_pool2d (a function call)
  x = b.functional(b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 }));
  x = b.add('flatten', 'flatten', x);
  b.sequential('classifier', x, [['dropout', { p: 0.2 }], ['linear', { outFeatures: numClasses }]]);
  return b.build();
}

/** Squeeze-excitation as torchvision.ops.SqueezeExcitation with hardSigmoid scale. */
function squeezeExcite(b: NetBuilder, p: string, x: string, squeeze: number): string {
  const c = b.ch(x);
  let s = b.add(`${p}.avgpool`, 'adaptiveAvgPool2d', x, { outputSize: 1 });
  s = b.act(`${p}.relu`, b.conv(`${p}.fc1`, s, squeeze, 1), 'relu');
  s = b.act(`${p}.scale_activation`, b.conv(`${p}.fc2`, s, c, 1), 'hardSigmoid');
  return b.add(`${p}.mul`, 'mul', [x, s]);
}

type V3Row = [k: number, exp: number, out: number, se: boolean, act: 'relu' | 'hardSwish', stride: number];

const V3_LARGE: V3Row[] = [
  [3, 16, 16, false, 'relu', 1], [3, 64, 24, false, 'relu', 2], [3, 72, 24, false, 'relu', 1],
  [5, 72, 40, true, 'relu', 2], [5, 120, 40, true, 'relu', 1], [5, 120, 40, true, 'relu', 1],
  [3, 240, 80, false, 'hardSwish', 2], [3, 200, 80, false, 'hardSwish', 1], [3, 184, 80, false, 'hardSwish', 1],
  [3, 184, 80, false, 'hardSwish', 1], [3, 480, 112, true, 'hardSwish', 1], [3, 672, 112, true, 'hardSwish', 1],
  [5, 672, 160, true, 'hardSwish', 2], [5, 960, 160, true, 'hardSwish', 1], [5, 960, 160, true, 'hardSwish', 1],
];
const V3_SMALL: V3Row[] = [
  [3, 16, 16, true, 'relu', 2], [3, 72, 24, false, 'relu', 2], [3, 88, 24, false, 'relu', 1],
  [5, 96, 40, true, 'hardSwish', 2], [5, 240, 40, true, 'hardSwish', 1], [5, 240, 40, true, 'hardSwish', 1],
  [5, 120, 48, true, 'hardSwish', 1], [5, 144, 48, true, 'hardSwish', 1], [5, 288, 96, true, 'hardSwish', 2],
  [5, 576, 96, true, 'hardSwish', 1], [5, 576, 96, true, 'hardSwish', 1],
];

/**
 * The features of a MobileNetV3 (features.0 … features.N, the last a 1×1 to 6× channels), prefixed as
 * an IntermediateLayerGetter names them when `prefix` is given. `dilated` is torchvision's
 * dilated=True (segmentation backbones): the last three blocks keep stride 1 and dilate their
 * depthwise conv by 2 (output stride 16); residuals still follow the configured stride.
 */
export function mobilenetV3Features(b: NetBuilder, rows: V3Row[], prefix = '', dilated = false): string[] {
  const eps = 0.001;
  const out = [b.convBnAct(`${prefix}0`, 'input', 16, 3, { stride: 2, act: 'hardSwish', eps })];
  rows.forEach(([k, exp, outC, se, act, stride], i) => {
    const x = out[out.length - 1];
    const p = `${prefix}${i + 1}.block`;
    const inC = b.ch(x);
    const dilation = dilated && i >= rows.length - 3 ? 2 : 1;
    let y = x;
    let j = 0;
    if (exp !== inC) y = b.convBnAct(`${p}.${j++}`, y, exp, 1, { act, eps });
    y = b.convBnAct(`${p}.${j++}`, y, exp, k, { stride: dilation > 1 ? 1 : stride, groups: exp, act, eps, ...(dilation > 1 ? { dilation } : {}) });
    if (se) y = squeezeExcite(b, `${p}.${j++}`, y, makeDivisible(exp / 4));
    y = b.convBnAct(`${p}.${j}`, y, outC, 1, { act: null, eps });
    out.push(stride === 1 && inC === outC ? b.add(`${prefix}${i + 1}.add`, 'add', [x, y]) : y);
  });
  const last = out[out.length - 1];
  out.push(b.convBnAct(`${prefix}${rows.length + 1}`, last, 6 * b.ch(last), 1, { act: 'hardSwish', eps }));
  return out;
}

function mobilenet_v3(name: string, rows: V3Row[], lastChannel: number, resolution: Resolution, numClasses: number): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  const features = mobilenetV3Features(b, rows, 'features.');
  let x = b.add('avgpool', 'adaptiveAvgPool2d', features[features.length - 1], { outputSize: 1 });
  x = b.add('flatten', 'flatten', x);
  b.sequential('classifier', x, [['linear', { outFeatures: lastChannel }], ['hardSwish'], ['dropout', { p: 0.2 }], ['linear', { outFeatures: numClasses }]]);
  return b.build();
}

export const mobilenet_v3_large = (r = 224) => mobilenet_v3('mobilenet_v3_large', V3_LARGE, 1280, r, 1000);
export const mobilenet_v3_small = (r = 224) => mobilenet_v3('mobilenet_v3_small', V3_SMALL, 1024, r, 1000);
export { V3_LARGE, V3_SMALL };
export type { V3Row };
