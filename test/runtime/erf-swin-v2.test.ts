/**
 * An effective receptive field through Swin V2's window attention (shiftedWindowAttentionV2's vjp):
 * the small Swin V2 of test/fixtures/networks/swin_v2_spec_tiny.json (embed 8, depths [2, 2], heads
 * [1, 2], window 4, 40 px: both shifted blocks masked, stage 1 padded 10 → 12, stage 2 5 → 8) with
 * torchvision's state_dict bound as is, against PyTorch autograd's x.grad of y[0, channels, i, j].sum()
 * on its final map (scripts/erf_goldens_swin_v2.py → test/fixtures/erf/swin_v2.json). Until the op
 * had a vjp, each of these was NO_GRADIENT at features.3.1.attn.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import { swin } from '../../src/zoo/swin.js';
import type { SwinConfig } from '../../src/zoo/swin.js';
import type { Wire } from '../ops/golden-cases.js';
import { readNetworkGolden } from '../zoo/network-golden.js';

interface Case {
  name: string;
  layer: string;
  channels: number[] | null;
  position: [number, number];
  gradient: Wire;
}

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/erf/swin_v2.json', import.meta.url), 'utf8')) as { cases: Case[] };
const g = readNetworkGolden<SwinConfig>('swin_v2_spec_tiny.json');
const spec = swin('swin_v2_spec_tiny', g.config, g.resolution, g.numClasses);

describe("a Swin V2's input gradients equal PyTorch autograd's (torchvision's state_dict, the fixture's 1×3×40×40 input)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: within 1e-5 of the largest magnitude', (_, c) => {
    const res = erfTask({
      kind: 'gradient',
      source: { kind: 'spec', spec },
      mode: 'given',
      inputs: { input: g.input },
      index: 0,
      weights: g.given,
      weightInit: 'seed',
      seed: 0,
      target: { layer: c.layer, channels: c.channels, position: c.position },
      stages: false,
      maxElements: 1 << 24,
    }) as ErfGradientResult;
    const want = c.gradient;
    expect(res.gradient.shape).toEqual(want.shape);
    // measured 9.7e-7 and 4.3e-7; without the normalisation's backward 3.2 and 1.5
    expect(errorOverLargest(res.gradient.data, want.data)).toBeLessThanOrEqual(1e-5);
  });
});
