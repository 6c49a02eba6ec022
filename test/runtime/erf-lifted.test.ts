/**
 * An image run as a one-frame clip: x [1, 2, 8, 8] unsqueezed to [1, 2, 1, 8, 8], then Conv3d (1, 3, 3),
 * ReLU, AvgPool3d (1, 3, 3) stride (1, 2, 2) and Conv3d (1, 3, 3). Its maps [N, C, 1, H, W] carry the
 * image's 2-D field on their last two axes; the ERF refused them as channels-last maps (runtime/erf-task.ts
 * fieldOf) before the unit's [row, column] were read from its last coordinates. Against PyTorch
 * autograd's x.grad of y[0, channels, 0, i, j].sum() (scripts/erf_goldens_lifted.py →
 * test/fixtures/erf/lifted.json), within 1e-5 of the largest value, and the support hand-worked.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { givenErf } from './erf-given.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';
import type { GoldenErfCase as Case } from './erf-given.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/erf/lifted.json', import.meta.url), 'utf8')) as { stateDict: Record<string, Wire>; cases: Case[] };
const weights: Record<string, Tensor> = Object.fromEntries(Object.entries(golden.stateDict).map(([k, w]) => [k, tensor(w.shape, Float32Array.from(w.data))]));
const x = tensor([1, 2, 8, 8], Float32Array.from({ length: 128 }, (_, k) => Math.sin(0.613 * k + 0.4)));

const spec = {
  inputs: [{ name: 'x', shape: [1, 2, 8, 8] }],
  layers: [
    { name: 'lift', op: 'unsqueeze', inputs: 'x', axes: [2] },
    { name: 'conv', op: 'conv3d', inputs: 'lift', outChannels: 3, kernelSize: [1, 3, 3], padding: [0, 1, 1] },
    { name: 'relu', op: 'relu', inputs: 'conv' },
    { name: 'pool', op: 'avgPool3d', inputs: 'relu', kernelSize: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1], countIncludePad: false },
    { name: 'head', op: 'conv3d', inputs: 'pool', outChannels: 2, kernelSize: [1, 3, 3], padding: [0, 1, 1] },
  ],
};

const erfOf = (c: Case) => givenErf(spec, { x }, weights, c);

describe('an image unsqueezed to [N, C, 1, H, W] through Conv3d and AvgPool3d: the ERF of its 5-D maps equals PyTorch autograd\'s', () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s: the gradient within 1e-5', async (_, c) => {
    const s = await erfOf(c);
    expect([s.gradient.shape, s.temporal]).toEqual([[1, 2, 8, 8], null]);
    // measured 2.4e-7 (head) and 4.6e-8 (pool); before, INVALID_OPTION "'head' is a channels-last map (its spatial axes are dims 3, 4 …)"
    expect(errorOverLargest(s.gradient.data, c.gradient.data)).toBeLessThanOrEqual(1e-5);
  });

  it("the pool's unit [0, 0, 3] (window rows −1…1, columns 5…7, through the 3×3 conv): rows 0…2, columns 4…7, inside its theoretical box", async () => {
    const s = await erfOf(golden.cases[1]);
    // 11 of the box's 12 pixels: the ReLU shuts every path from one of them, as in PyTorch's x.grad
    const g = golden.cases[1].gradient.data;
    const torchPixels = Array.from({ length: 64 }, (_, p) => Math.abs(g[p]) + Math.abs(g[64 + p])).filter((v) => v !== 0).length;
    expect(s.stats.support).toEqual({ box: { top: 0, left: 4, bottom: 2, right: 7 }, pixels: torchPixels, insideTheoretical: true });
    expect(torchPixels).toBe(11);
    expect(s.stats.theoretical.size).toEqual([5, 5]);
  });
});
