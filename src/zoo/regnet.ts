/**
 * RegNet (Radosavovic et al. 2020), torchvision.models.regnet_y_400mf: a 32-channel stem, four stages
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

export const regnet_y_400mf = (r?: number) => regnet('regnet_y_400mf', { depth: 16, w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, seRatio: 0.25 }, r);
