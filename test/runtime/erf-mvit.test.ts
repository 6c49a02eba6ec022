/**
 * An effective receptive field through MViT's multiscale attention (multiscaleAttention's vjp): the
 * small MViTs of test/fixtures/networks/mvit_v1_tiny.json and mvit_v2_tiny.json (3 blocks at
 * 1×3×4×32×32; v1 with q and kv pools, v2 with relative positions and residual pooling too) with
 * torchvision's state_dict bound as is, the clip given as frames [1, 12, 32, 32] (test/zoo/mvit-frames.ts),
 * against PyTorch autograd's x.grad of y[0, channels].sum() for y the logits or the class token's
 * features (scripts/erf_goldens_mvit.py → test/fixtures/erf/mvit.json). Until the op had a vjp, each
 * of these was NO_GRADIENT at blocks.2.attn.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOf, errorOverLargest } from '../helpers.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import { mvit } from '../../src/zoo/mvit.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import type { Wire } from '../ops/golden-cases.js';
import { mvitOverFrames } from '../zoo/mvit-frames.js';

interface Case {
  name: string;
  network: string;
  layer: string;
  channels: number[] | null;
  gradient: Wire;
}

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/erf/mvit.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe("small MViTs' input gradients equal PyTorch autograd's (torchvision's state_dict, the fixture's clip as frames)", () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: within 1e-5 of the largest magnitude', (_, c) => {
    const net = mvitOverFrames(c.network.replace(/\.json$/, ''));
    const res = erfTask({
      kind: 'gradient',
      source: { kind: 'spec', spec: net.spec },
      mode: 'given',
      inputs: { frames: net.frames },
      index: 0,
      weights: net.given,
      weightInit: 'seed',
      seed: 0,
      target: { layer: c.layer, channels: c.channels, position: null },
      stages: false,
      maxElements: 1 << 24,
    }) as ErfGradientResult;
    expect(res.gradient.shape).toEqual(c.gradient.shape);
    // measured 8.4e-7, 3.9e-7, 4.5e-7, 4.0e-7; without relPos's part of ∂q 4.7e-3 … 9.7e-3 (v2), without the class token around the pools 6.5e-4 … 9.8e-3
    expect(errorOverLargest(res.gradient.data, c.gradient.data)).toBeLessThanOrEqual(1e-5);
  });

  it("the clip itself as the input [1, 3, 4, 32, 32] (the zoo's layout): INVALID_OPTION, an image input [N, C, H, W] needed", () => {
    const net = mvitOverFrames('mvit_v2_tiny');
    const frames = net.spec.inputs[0].shape;
    const spec = mvit('mvit_v2_tiny', { blocks: [{ heads: 1, in: 8, out: 8, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 1, 1], strideKv: [1, 4, 4] }], v2: true }, 32, 4, 10);
    const e = errorOf(() =>
      erfTask({ kind: 'gradient', source: { kind: 'spec', spec }, mode: 'random', inputs: {}, index: 0, weights: {}, weightInit: 'seed', seed: 0, target: { layer: 'head.1', channels: null, position: null }, stages: false, maxElements: 1 << 24 }),
    );
    expect(frames).toEqual([1, 12, 32, 32]);
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/needs an image input \[N, C, H, W\]; the network's inputs are input \[1, 3, 4, 32, 32\]/);
  });
});
