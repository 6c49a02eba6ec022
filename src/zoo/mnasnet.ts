/**
 * MnasNet (Tan et al. 2019), torchvision.models.mnasnet0_5/0_75/1_0/1_3 (widths ×α rounded to 8): a separable stem, six stacks of inverted
 * residuals (1×1 expand → depthwise k×k with the stride → 1×1 project, ReLU, residual where shape
 * allows), a 1×1 to 1280 channels, the spatial mean (x.mean([2, 3])) and a linear head. torchvision
 * names everything by its position in one nn.Sequential, `layers.<i>`.
 */
import { NetBuilder, imageInput } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

/** torchvision's _round_to_multiple_of(val, 8, round_up_bias=0.9). */
function roundToMultipleOf(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n >= 0.9 * v ? n : n + divisor;
}

type Stack = [out: number, k: number, stride: number, expand: number, repeats: number];

function invertedResidual(b: NetBuilder, p: string, x: string, out: number, k: number, stride: number, expand: number): string {
  const inC = b.ch(x);
  const mid = inC * expand;
  let y = b.act(`${p}.2`, b.bn(`${p}.1`, b.conv(`${p}.0`, x, mid, 1, { bias: false })), 'relu');
  y = b.act(`${p}.5`, b.bn(`${p}.4`, b.conv(`${p}.3`, y, mid, k, { stride, padding: Math.floor(k / 2), groups: mid, bias: false })), 'relu');
  y = b.bn(`${p}.7`, b.conv(`${p}.6`, y, out, 1, { bias: false }));
  return inC === out && stride === 1 ? b.add(`${p}.add`, 'add', [y, x]) : y;
}

export function mnasnet(name: string, alpha: number, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const d = [32, 16, 24, 40, 80, 96, 192, 320].map((c) => roundToMultipleOf(c * alpha));
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.act('layers.2', b.bn('layers.1', b.conv('layers.0', 'input', d[0], 3, { stride: 2, padding: 1, bias: false })), 'relu');
  x = b.act('layers.5', b.bn('layers.4', b.conv('layers.3', x, d[0], 3, { padding: 1, groups: d[0], bias: false })), 'relu');
  x = b.bn('layers.7', b.conv('layers.6', x, d[1], 1, { bias: false }));
  const stacks: Stack[] = [
    [d[2], 3, 2, 3, 3],
    [d[3], 5, 2, 3, 3],
    [d[4], 5, 2, 6, 3],
    [d[5], 3, 1, 6, 2],
    [d[6], 5, 2, 6, 4],
    [d[7], 3, 1, 6, 1],
  ];
  stacks.forEach(([out, k, stride, expand, repeats], s) => {
    for (let i = 0; i < repeats; i++) x = invertedResidual(b, `layers.${8 + s}.${i}.layers`, x, out, k, i === 0 ? stride : 1, expand);
  });
  x = b.act('layers.16', b.bn('layers.15', b.conv('layers.14', x, 1280, 1, { bias: false })), 'relu');
  x = b.add('mean', 'reduceMean', x, { axes: [2, 3], keepDims: false });
  b.sequential('classifier', x, [['dropout', { p: 0.2 }], ['linear', { outFeatures: numClasses }]]);
  return b.build();
}

export const mnasnet0_5 = (r?: number) => mnasnet('mnasnet0_5', 0.5, r);
export const mnasnet0_75 = (r?: number) => mnasnet('mnasnet0_75', 0.75, r);
export const mnasnet1_0 = (r?: number) => mnasnet('mnasnet1_0', 1.0, r);
export const mnasnet1_3 = (r?: number) => mnasnet('mnasnet1_3', 1.3, r);
