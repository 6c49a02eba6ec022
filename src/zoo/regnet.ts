/**
 * RegNet (Radosavovic et al. 2020), torchvision.models.regnet_y_400mf … 128gf and regnet_x_400mf … 32gf
 * (X: no squeeze-excitation): a 32-channel stem, four stages
 * of ResBottleneckBlocks (1×1 → grouped 3×3 with the stride → squeeze-excitation → 1×1, projection
 * shortcut where width or stride change) and a linear head. The stage widths and depths come from
 * the quantised linear rule of the paper, as torchvision's BlockParams.from_init_params computes it:
 *   u_j = w_0 + w_a·j (j < depth),  s_j = round(log(u_j / w_0) / log(w_m)),  w_j = round(w_0·w_m^s_j / 8)·8,
 * consecutive equal widths forming one stage; group width capped by the block width.
 */
import { NetBuilder, imageInput, makeDivisible } from './builder.js';
import type { NetworkSpec, Resolution } from './builder.js';

export interface RegNetParams {
  depth: number;
  w0: number;
  wa: number;
  wm: number;
  groupWidth: number;
  seRatio?: number;
  bottleneckMultiplier?: number;
}

/** Python's round(): halves go to the even neighbour (torch.round and round() both do). */
const roundHalfEven = (v: number) => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

export interface RegNetStage {
  width: number;
  depth: number;
  groupWidth: number;
}

/** torchvision's BlockParams.from_init_params with _adjust_widths_groups_compatibilty. */
export function regnetStages({ depth, w0, wa, wm, groupWidth, bottleneckMultiplier = 1 }: RegNetParams): RegNetStage[] {
  // float32 as torch computes them (torch.arange(depth) * w_a + w_0 is a float tensor)
  const f = Math.fround;
  const widths = Array.from({ length: depth }, (_, j) => {
    const cont = f(f(j * f(wa)) + w0);
    const capacity = roundHalfEven(f(f(Math.log(f(cont / w0))) / f(Math.log(wm))));
    return roundHalfEven(f(f(w0 * f(Math.pow(wm, capacity))) / 8)) * 8;
  });
  const stages: RegNetStage[] = [];
  for (const w of widths) {
    const last = stages[stages.length - 1];
    if (last && last.width === w) last.depth++;
    else stages.push({ width: w, depth: 1, groupWidth });
  }
  return stages.map((s) => {
    const bottleneck = Math.trunc(s.width * bottleneckMultiplier);
    const g = Math.min(s.groupWidth, bottleneck);
    return { ...s, width: Math.trunc(makeDivisible(bottleneck, g) / bottleneckMultiplier), groupWidth: g };
  });
}

function resBottleneck(b: NetBuilder, p: string, x: string, out: number, stride: number, groupWidth: number, seRatio: number, multiplier: number): string {
  const inC = b.ch(x);
  const wb = roundHalfEven(out * multiplier);
  // torchvision's ResBottleneckBlock.forward runs self.proj(x) + self.f(x): the projection first
  // (listed so, the report follows it, runs execute it so and it is freed before f's peak)
  const shortcut = inC !== out || stride !== 1 ? b.convBnAct(`${p}.proj`, x, out, 1, { stride, act: null }) : x;
  let y = b.convBnAct(`${p}.f.a`, x, wb, 1);
  y = b.convBnAct(`${p}.f.b`, y, wb, 3, { stride, groups: Math.floor(wb / groupWidth) });
  if (seRatio > 0) {
    let s = b.add(`${p}.f.se.avgpool`, 'adaptiveAvgPool2d', y, { outputSize: 1 });
    s = b.act(`${p}.f.se.activation`, b.conv(`${p}.f.se.fc1`, s, roundHalfEven(seRatio * inC), 1), 'relu');
    s = b.act(`${p}.f.se.scale_activation`, b.conv(`${p}.f.se.fc2`, s, wb, 1), 'sigmoid');
    y = b.add(`${p}.f.se.mul`, 'mul', [y, s]);
  }
  y = b.convBnAct(`${p}.f.c`, y, out, 1, { act: null });
  return b.act(`${p}.activation`, b.add(`${p}.add`, 'add', [shortcut, y]), 'relu');
}

export function regnet(name: string, params: RegNetParams, resolution: Resolution = 224, numClasses = 1000): NetworkSpec {
  const b = new NetBuilder(name, imageInput(resolution), `torchvision.models.${name}`);
  let x = b.convBnAct('stem', 'input', 32, 3, { stride: 2 });
  regnetStages(params).forEach((s, i) => {
    for (let j = 0; j < s.depth; j++) {
      x = resBottleneck(b, `trunk_output.block${i + 1}.block${i + 1}-${j}`, x, s.width, j === 0 ? 2 : 1, s.groupWidth, params.seRatio ?? 0, params.bottleneckMultiplier ?? 1);
    }
  });
  x = b.add('flatten', 'flatten', b.add('avgpool', 'adaptiveAvgPool2d', x, { outputSize: 1 }));
  b.add('fc', 'linear', x, { outFeatures: numClasses });
  return b.build();
}

// torchvision's builders: BlockParams.from_init_params(depth, w_0, w_a, w_m, group_width[, se_ratio 0.25])
const Y = (depth: number, w0: number, wa: number, wm: number, groupWidth: number): RegNetParams => ({ depth, w0, wa, wm, groupWidth, seRatio: 0.25 });
const X = (depth: number, w0: number, wa: number, wm: number, groupWidth: number): RegNetParams => ({ depth, w0, wa, wm, groupWidth });
export const REGNETS: Readonly<Record<string, RegNetParams>> = {
  regnet_y_400mf: Y(16, 48, 27.89, 2.09, 8),
  regnet_y_800mf: Y(14, 56, 38.84, 2.4, 16),
  regnet_y_1_6gf: Y(27, 48, 20.71, 2.65, 24),
  regnet_y_3_2gf: Y(21, 80, 42.63, 2.66, 24),
  regnet_y_8gf: Y(17, 192, 76.82, 2.19, 56),
  regnet_y_16gf: Y(18, 200, 106.23, 2.48, 112),
  regnet_y_32gf: Y(20, 232, 115.89, 2.53, 232),
  regnet_y_128gf: Y(27, 456, 160.83, 2.52, 264),
  regnet_x_400mf: X(22, 24, 24.48, 2.54, 16),
  regnet_x_800mf: X(16, 56, 35.73, 2.28, 16),
  regnet_x_1_6gf: X(18, 80, 34.01, 2.25, 24),
  regnet_x_3_2gf: X(25, 88, 26.31, 2.25, 48),
  regnet_x_8gf: X(23, 80, 49.56, 2.88, 120),
  regnet_x_16gf: X(22, 216, 55.59, 2.1, 128),
  regnet_x_32gf: X(23, 320, 69.86, 2.0, 168),
};
export const regnetByName = (name: string) => (r?: Resolution) => regnet(name, REGNETS[name], r);
export const regnet_y_400mf = regnetByName('regnet_y_400mf');
