/**
 * An effective receptive field through MViT's multiscale attention (multiscaleAttention's vjp): the
 * small MViTs of test/fixtures/networks/mvit_v1_tiny.json and mvit_v2_tiny.json (3 blocks at
 * 1×3×4×32×32; v1 with q and kv pools, v2 with relative positions and residual pooling too) with
 * torchvision's state_dict bound as is, fed the fixture's clip [1, 3, 4, 32, 32] itself, against
 * PyTorch autograd's x.grad of y[0, channels].sum() for y the logits or the class token's features
 * (scripts/erf_goldens_mvit.py → test/fixtures/erf/mvit.json). Until the op had a vjp, each of these
 * was NO_GRADIENT at blocks.2.attn; until the ERF took a clip, the clip was given as frames
 * [1, 12, 32, 32] reshaped back before conv_proj (the same numbers).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import { mvit } from '../../src/zoo/mvit.js';
import type { MvitConfig } from '../../src/zoo/mvit.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import type { Wire } from '../ops/golden-cases.js';
import { readNetworkGolden } from '../zoo/network-golden.js';

interface Case {
  name: string;
  network: string;
  layer: string;
  channels: number[] | null;
  gradient: Wire;
}

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/erf/mvit.json', import.meta.url), 'utf8')) as { cases: Case[] };

function network(file: string) {
  const g = readNetworkGolden<MvitConfig & { frames: number }>(file);
  return { spec: mvit(file.replace(/\.json$/, ''), g.config, g.resolution, g.config.frames, g.numClasses), clip: g.input, given: g.given };
}

describe("small MViTs' input gradients equal PyTorch autograd's (torchvision's state_dict, the fixture's clip)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: within 1e-5 of the largest magnitude', (_, c) => {
    const net = network(c.network);
    const res = erfTask({
      kind: 'gradient',
      source: { kind: 'spec', spec: net.spec },
      mode: 'given',
      inputs: { input: net.clip },
      index: 0,
      weights: net.given,
      weightInit: 'seed',
      seed: 0,
      target: { layer: c.layer, channels: c.channels, position: null },
      stages: false,
      maxElements: 1 << 24,
    }) as ErfGradientResult;
    expect(res.gradient.shape).toEqual([1, 3, 4, 32, 32]);
    expect(res.gradient.shape).toEqual(c.gradient.shape);
    // measured 8.4e-7, 3.9e-7, 4.5e-7, 4.0e-7; without relPos's part of ∂q 4.7e-3 … 9.7e-3 (v2), without the class token around the pools 6.5e-4 … 9.8e-3
    expect(errorOverLargest(res.gradient.data, c.gradient.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the logits of mvit_v2_tiny over its clip: a global unit, every one of the 4 frames in its field, their shares summing to 1', async () => {
    const net = network('mvit_v2_tiny.json');
    const s = await computeErf(inlineRunner, { source: { kind: 'spec', spec: net.spec }, mode: 'given', samples: 1, inputs: { input: net.clip }, weights: net.given, weightInit: 'seed', seed: 0, target: { layer: 'head.1', channels: [3, 7], position: null }, stages: false, heatmap: false, maxElements: 1 << 24 });
    expect(s.input).toBe('input');
    expect(s.magnitude.shape).toEqual([1, 1, 32, 32]);
    expect(s.temporal!.theoretical).toEqual({ global: true, size: 4, from: 0, to: 3 });
    expect(s.temporal!.frames).toHaveLength(4);
    expect(s.temporal!.frames.every((f) => f > 0)).toBe(true);
    expect(s.temporal!.frames.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
  });
});
