/**
 * The effective receptive field of a video network (a clip [N, C, T, H, W] as the input): a small
 * r3d-like network (stem 3×7×7 stride (1, 2, 2), a BasicBlock, a BasicBlock at stride 2 with its
 * 1×1×1 downsample, average pool, linear; scripts/erf_goldens_video.py → test/fixtures/erf/video.json)
 * with PyTorch's state_dict bound as is, at the clip x[k] = sin(0.731·k + 0.2) [1, 3, 16, 32, 32].
 * Against PyTorch autograd's x.grad of y[0, channels, t, i, j].sum(): each frame's share of Σ|g| and
 * the map Σ over channels and frames of |g|. Before, every such request was INVALID_OPTION (an image
 * input [N, C, H, W] needed).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOf, errorOverLargest } from '../helpers.js';
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import { NetBuilder } from '../../src/zoo/builder.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';

interface Case {
  name: string;
  layer: string;
  channels: number[] | null;
  position: number[] | null;
  frames: number[];
  map: Wire;
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/erf/video.json', import.meta.url), 'utf8')) as { stateDict: Record<string, Wire>; cases: Case[] };
const given: Record<string, Tensor> = Object.fromEntries(Object.entries(golden.stateDict).map(([k, w]) => [k, tensor(w.shape, Float32Array.from(w.data))]));
const SHAPE = [1, 3, 16, 32, 32];
const clip = tensor(SHAPE, Float32Array.from({ length: SHAPE.reduce((a, b) => a * b) }, (_, k) => Math.sin(0.731 * k + 0.2)));

/** The network of scripts/erf_goldens_video.py, its layers named as PyTorch's modules. */
function smallR3d() {
  const b = new NetBuilder('small_r3d', { name: 'input', shape: SHAPE });
  const conv = (name: string, x: string, out: number, k: number[], stride: number[], padding: number[]) => b.add(name, 'conv3d', x, { outChannels: out, kernelSize: k, stride, padding, bias: false });
  let x = b.act('stem.2', b.bn('stem.1', conv('stem.0', 'input', 4, [3, 7, 7], [1, 2, 2], [1, 3, 3])), 'relu');
  const block = (p: string, x: string, out: number, s: number) => {
    let y = b.act(`${p}.conv1.2`, b.bn(`${p}.conv1.1`, conv(`${p}.conv1.0`, x, out, [3, 3, 3], [s, s, s], [1, 1, 1])), 'relu');
    y = b.bn(`${p}.conv2.1`, conv(`${p}.conv2.0`, y, out, [3, 3, 3], [1, 1, 1], [1, 1, 1]));
    const identity = s !== 1 || b.ch(x) !== out ? b.bn(`${p}.downsample.1`, conv(`${p}.downsample.0`, x, out, [1, 1, 1], [s, s, s], [0, 0, 0])) : x;
    return b.act(`${p}.relu`, b.add(`${p}.add`, 'add', [y, identity]), 'relu');
  };
  x = block('layer2.0', block('layer1.0', x, 4, 1), 8, 2);
  x = b.add('avgpool', 'adaptiveAvgPool3d', x, { outputSize: 1 });
  b.add('fc', 'linear', b.add('flatten', 'flatten', x), { outFeatures: 5 });
  return b.build();
}
const spec = smallR3d();

const erfOf = (layer: string, channels: number[] | null, position: number[] | null, stages = false) =>
  computeErf(inlineRunner, { source: { kind: 'spec', spec }, mode: 'given', samples: 1, inputs: { input: clip }, weights: given, weightInit: 'seed', seed: 0, target: { layer, channels, position }, stages, heatmap: false, maxElements: 1 << 24 });

describe("a small r3d-like network's ERF over a clip [1, 3, 16, 32, 32] equals PyTorch autograd's", () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s: frame shares and the channel- and frame-summed map within 1e-5', async (_, c) => {
    const s = await erfOf(c.layer, c.channels, c.position);
    expect(s.gradient.shape).toEqual(SHAPE);
    expect(s.magnitude.shape).toEqual([1, 1, 32, 32]);
    expect(s.stats.input).toEqual([32, 32]);
    expect(s.temporal!.frames).toHaveLength(16);
    // measured 8.6e-9 … 3.0e-8 (shares) and 1.5e-7 … 2.1e-7 (map); frames read as channels (offset
    // (t·C + c)·HW) fails every case, and so does a map of frame 0 alone (channels summed, frames not)
    expect(Math.max(...s.temporal!.frames.map((f, t) => Math.abs(f - c.frames[t])))).toBeLessThanOrEqual(1e-5);
    expect(errorOverLargest(s.magnitude.data, c.map.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the default unit is the deepest map layer2.0.relu [1, 8, 8, 8, 8] at its centre [4, 4, 4]: frames 2–14 of 16 (worked by hand), and the gradient lies within them', async () => {
    const s = await erfOf('', null, null);
    expect(s.target).toMatchObject({ layer: 'layer2.0.relu', shape: [1, 8, 8, 8, 8], position: [4, 4, 4] });
    // T axis: stem k3 p1 → r 3, j 1, p 1; layer1's two k3 p1 → r 7, p 3; layer2.conv1 k3 s2 p1 → r 9, j 2, p 4;
    // conv2 k3 p1 → r 13, p 6 (the downsample's r 7 inside it). Unit t = 4: 4·2 − 6 = 2 … 2 + 13 − 1 = 14
    expect(s.temporal!.theoretical).toEqual({ global: false, size: 13, from: 2, to: 14 });
    const seen = s.temporal!.frames.flatMap((f, t) => (f > 0 ? [t] : []));
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(s.temporal!.frames.reduce((a, b) => a + b)).toBeCloseTo(1, 6);
    // H, W: r 27, j 4, p 13: unit 4 covers 3 … 29 (the statistics' box, as an image's)
    expect(s.stats.theoretical).toMatchObject({ size: [27, 27], box: { top: 3, left: 3, bottom: 29, right: 29 } });
  });

  it('unit [1, 2, 5] of layer2.0.relu: frames 0–8 it can see (1·2 − 6 = −4 … 8, clipped to the clip); layer1.0.relu [15, 0, 9]: frames 12–15 (r 7, j 1, p 3)', async () => {
    expect((await erfOf('layer2.0.relu', [0, 4], [1, 2, 5])).temporal!.theoretical).toEqual({ global: false, size: 13, from: 0, to: 8 });
    expect((await erfOf('layer1.0.relu', [2], [15, 0, 9])).temporal!.theoretical).toEqual({ global: false, size: 7, from: 12, to: 15 });
  });

  it('the logits (no spatial axes): a global unit over every frame', async () => {
    expect((await erfOf('fc', [0, 4], null)).temporal!.theoretical).toEqual({ global: true, size: 16, from: 0, to: 15 });
  });

  it('stages over a clip: the last map at each stride over H and W, with the stride over frames; the unit closes the list', async () => {
    const s = await erfOf('', null, null, true);
    expect(s.stages.map((st) => [st.layer, st.stride, st.temporalStride])).toEqual([
      ['layer1.0.relu', [2, 2], 1],
      ['layer2.0.relu', [4, 4], 2],
    ]);
  });

  it('a position of 2 entries on a clip map [1, 8, 8, 8, 8]: INVALID_OPTION at $.position naming the shape; one outside the frames at $.position[0]', () => {
    const run = (position: number[]) =>
      errorOf(() =>
        erfTask({ kind: 'gradient', source: { kind: 'spec', spec }, mode: 'random', inputs: {}, index: 0, weights: {}, weightInit: 'seed', seed: 0, target: { layer: 'layer2.0.relu', channels: null, position }, stages: false, maxElements: 1 << 24 }) as ErfGradientResult,
      );
    const short = run([4, 4]);
    expect(short.code).toBe('INVALID_OPTION');
    expect(short.details).toMatchObject({ path: '$.position', shapes: { map: [1, 8, 8, 8, 8] } });
    expect(short.message).toBe("position has 2 entries; 'layer2.0.relu' [1, 8, 8, 8, 8] is a clip's map: give [t, row, column]");
    const late = run([8, 0, 0]);
    expect(late.code).toBe('INVALID_OPTION');
    expect(late.details).toMatchObject({ path: '$.position[0]' });
    expect(late.message).toMatch(/position 8 is outside 'layer2.0.relu' \[1, 8, 8, 8, 8\] along frames \(0–7\)/);
  });
});
