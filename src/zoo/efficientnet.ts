/**
 * EfficientNet-B0 … B7 (Tan & Le 2019), torchvision.models.efficientnet_b0 … b7: MBConv with SiLU and
 * squeeze-excitation; EfficientNetV2-S/M/L (Tan & Le 2021), torchvision.models.efficientnet_v2_s/m/l: three
 * stages of Fused-MBConv (one k×k conv expands with the stride, a 1×1 projects; no SE) before three of
 * MBConv (four for M and L), BN eps 1e-3, head to 1280 channels. The squeeze width is ⌊block input / 4⌋, as torchvision's.
 */
import { NetBuilder, imageInput, makeDivisible } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

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

/** torchvision's MBConv: [1×1 expand] → depthwise k×k → SE → 1×1 project; residual when shape allows. */
function mbconv(b: NetBuilder, p: string, x: string, [expand, k, stride, out]: Stage, eps?: number): string {
  const inC = b.ch(x);
  const expanded = makeDivisible(inC * expand);
  let y = x;
  let j = 0;
  if (expanded !== inC) y = b.convBnAct(`${p}.block.${j++}`, y, expanded, 1, { act: 'swish', eps });
  y = b.convBnAct(`${p}.block.${j++}`, y, expanded, k, { stride, groups: expanded, act: 'swish', eps });
  const se = `${p}.block.${j++}`;
  let sc = b.add(`${se}.avgpool`, 'adaptiveAvgPool2d', y, { outputSize: 1 });
  sc = b.act(`${se}.activation`, b.conv(`${se}.fc1`, sc, Math.max(1, Math.floor(inC / 4)), 1), 'swish');
  sc = b.act(`${se}.scale_activation`, b.conv(`${se}.fc2`, sc, expanded, 1), 'sigmoid');
  y = b.add(`${se}.mul`, 'mul', [y, sc]);
  y = b.convBnAct(`${p}.block.${j}`, y, out, 1, { act: null, eps });
  return stride === 1 && inC === out ? b.add(`${p}.add`, 'add', [x, y]) : y;
}

/** torchvision's FusedMBConv: k×k expand with the stride → 1×1 project (one k×k when expand is 1). */
function fusedMbconv(b: NetBuilder, p: string, x: string, [expand, k, stride, out]: Stage, eps?: number): string {
  const inC = b.ch(x);
  const expanded = makeDivisible(inC * expand);
  let y: string;
  if (expanded !== inC) {
    y = b.convBnAct(`${p}.block.0`, x, expanded, k, { stride, act: 'swish', eps });
    y = b.convBnAct(`${p}.block.1`, y, out, 1, { act: null, eps });
  } else {
    y = b.convBnAct(`${p}.block.0`, x, out, k, { stride, act: 'swish', eps });
  }
  return stride === 1 && inC === out ? b.add(`${p}.add`, 'add', [x, y]) : y;
}

function head(b: NetBuilder, x: string, stages: number, eps: number | undefined, dropout: number, numClasses: number, channels = 1280): NetworkSpec {
  x = b.convBnAct(`features.${stages + 1}`, x, channels, 1, { act: 'swish', eps });
  x = b.add('flatten', 'flatten', b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 }));
  b.sequential('classifier', x, [['dropout', { p: dropout }], ['linear', { outFeatures: numClasses }]]);
  return b.build();
}

/**
 * torchvision's efficientnet_b0 … b7: B0's stages with channels ⌊c·width⌉ to a multiple of 8
 * (`_make_divisible`, the stem's 32 too) and ⌈layers·depth⌉ blocks per stage; the head is 4× the last
 * stage's channels (1280 for B0); dropout and, from B5 on, BN eps 1e-3 as the builders set them.
 */
const B_SCALING: Record<string, [width: number, depth: number, dropout: number, eps?: number]> = {
  efficientnet_b0: [1.0, 1.0, 0.2],
  efficientnet_b1: [1.0, 1.1, 0.2],
  efficientnet_b2: [1.1, 1.2, 0.3],
  efficientnet_b3: [1.2, 1.4, 0.3],
  efficientnet_b4: [1.4, 1.8, 0.4],
  efficientnet_b5: [1.6, 2.2, 0.4, 1e-3],
  efficientnet_b6: [1.8, 2.6, 0.5, 1e-3],
  efficientnet_b7: [2.0, 3.1, 0.5, 1e-3],
};

function efficientnetB(name: keyof typeof B_SCALING, resolution: Resolution, numClasses: number): NetworkSpec {
  const [width, depth, dropout, eps] = B_SCALING[name];
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.convBnAct('features.0', 'input', makeDivisible(32 * width), 3, { stride: 2, act: 'swish', eps });
  B0.forEach(([expand, k, stride, out, layers], s) => {
    const c = makeDivisible(out * width);
    for (let i = 0; i < Math.ceil(layers * depth); i++) x = mbconv(b, `features.${s + 1}.${i}`, x, [expand, k, i === 0 ? stride : 1, c, 1], eps);
  });
  return head(b, x, B0.length, eps, dropout, numClasses, 4 * b.ch(x));
}

export const efficientnet_b0 = (resolution: Resolution = 224, numClasses = 1000) => efficientnetB('efficientnet_b0', resolution, numClasses);
export const efficientnet_b1 = (resolution: Resolution = 240, numClasses = 1000) => efficientnetB('efficientnet_b1', resolution, numClasses);
export const efficientnet_b2 = (resolution: Resolution = 288, numClasses = 1000) => efficientnetB('efficientnet_b2', resolution, numClasses);
export const efficientnet_b3 = (resolution: Resolution = 300, numClasses = 1000) => efficientnetB('efficientnet_b3', resolution, numClasses);
export const efficientnet_b4 = (resolution: Resolution = 380, numClasses = 1000) => efficientnetB('efficientnet_b4', resolution, numClasses);
export const efficientnet_b5 = (resolution: Resolution = 456, numClasses = 1000) => efficientnetB('efficientnet_b5', resolution, numClasses);
export const efficientnet_b6 = (resolution: Resolution = 528, numClasses = 1000) => efficientnetB('efficientnet_b6', resolution, numClasses);
export const efficientnet_b7 = (resolution: Resolution = 600, numClasses = 1000) => efficientnetB('efficientnet_b7', resolution, numClasses);

// torchvision's _efficientnet_conf("efficientnet_v2_s/m/l"): fused, expand, kernel, stride, out, layers;
// the stem has the first stage's input channels, the head 1280, dropout as the builders set it
type V2Stage = [fused: boolean, ...Stage];
const V2: Record<string, { stem: number; dropout: number; stages: V2Stage[] }> = {
  efficientnet_v2_s: {
    stem: 24,
    dropout: 0.2,
    stages: [
      [true, 1, 3, 1, 24, 2],
      [true, 4, 3, 2, 48, 4],
      [true, 4, 3, 2, 64, 4],
      [false, 4, 3, 2, 128, 6],
      [false, 6, 3, 1, 160, 9],
      [false, 6, 3, 2, 256, 15],
    ],
  },
  efficientnet_v2_m: {
    stem: 24,
    dropout: 0.3,
    stages: [
      [true, 1, 3, 1, 24, 3],
      [true, 4, 3, 2, 48, 5],
      [true, 4, 3, 2, 80, 5],
      [false, 4, 3, 2, 160, 7],
      [false, 6, 3, 1, 176, 14],
      [false, 6, 3, 2, 304, 18],
      [false, 6, 3, 1, 512, 5],
    ],
  },
  efficientnet_v2_l: {
    stem: 32,
    dropout: 0.4,
    stages: [
      [true, 1, 3, 1, 32, 4],
      [true, 4, 3, 2, 64, 7],
      [true, 4, 3, 2, 96, 7],
      [false, 4, 3, 2, 192, 10],
      [false, 6, 3, 1, 224, 19],
      [false, 6, 3, 2, 384, 25],
      [false, 6, 3, 1, 640, 7],
    ],
  },
};

function efficientnetV2(name: keyof typeof V2, resolution: Resolution, numClasses: number): NetworkSpec {
  const { stem, dropout, stages } = V2[name];
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  const eps = 1e-3;
  let x = b.convBnAct('features.0', 'input', stem, 3, { stride: 2, act: 'swish', eps });
  stages.forEach(([fused, expand, k, stride, out, layers], s) => {
    for (let i = 0; i < layers; i++) {
      const stage: Stage = [expand, k, i === 0 ? stride : 1, out, 1];
      x = (fused ? fusedMbconv : mbconv)(b, `features.${s + 1}.${i}`, x, stage, eps);
    }
  });
  return head(b, x, stages.length, eps, dropout, numClasses);
}

export const efficientnet_v2_s = (resolution: Resolution = 384, numClasses = 1000) => efficientnetV2('efficientnet_v2_s', resolution, numClasses);
export const efficientnet_v2_m = (resolution: Resolution = 480, numClasses = 1000) => efficientnetV2('efficientnet_v2_m', resolution, numClasses);
export const efficientnet_v2_l = (resolution: Resolution = 480, numClasses = 1000) => efficientnetV2('efficientnet_v2_l', resolution, numClasses);
