/**
 * The input an effective receptive field is measured at (runtime/erf-input.ts): named among a
 * network's inputs or the first image by default; the default unit, the stages and the refusal of a
 * unit the input does not reach follow the chosen input; random inputs fill every input. Hand-worked
 * on two small two-input specs (test/fixtures/erf/two-streams.json and two strided streams).
 */
import { describe, expect, it } from 'vitest';
import { computeErf, inlineRunner } from '../../src/runtime/erf.js';
import { tensor } from '../../src/tensor/tensor.js';
import { erfJob } from './erf-job.js';
import { WA, WB, depthGradient, rgbGradient, twoStreams } from './two-streams.js';

const weights = { 'ca.weight': tensor([1, 1, 3, 3], Float32Array.from(WA)), 'cb.weight': tensor([1, 1, 3, 3], Float32Array.from(WB)) };

const job = erfJob({ source: { kind: 'spec', spec: twoStreams }, weights });


/** Two streams of different strides: rgb [1, 1, 8, 8] → k2 s2 → k2 s2 (4×4 then 2×2), depth [1, 1, 8, 8] → k3 p1 (8×8); two outputs. */
const strided = {
  inputs: [{ name: 'rgb', shape: [1, 1, 8, 8] }, { name: 'depth', shape: [1, 1, 8, 8] }, { name: 'info', shape: [1, 3] }],
  layers: [
    { name: 'r1', op: 'conv2d', inputs: 'rgb', outChannels: 1, kernelSize: 2, stride: 2 },
    { name: 'r2', op: 'conv2d', inputs: 'r1', outChannels: 1, kernelSize: 2, stride: 2 },
    { name: 'd1', op: 'conv2d', inputs: 'depth', outChannels: 1, kernelSize: 3, padding: 1 },
    { name: 'd2', op: 'conv2d', inputs: 'd1', outChannels: 1, kernelSize: 3, padding: 1 },
    { name: 'i1', op: 'linear', inputs: 'info', outFeatures: 2 },
  ],
  outputs: ['r2', 'd2', 'i1'],
};

describe('inputName: the input the ERF is measured at', () => {
  it('two-streams, given inputs (any values: the net is linear): rgb (the default) gets ca.weight at rows and columns 3…5, depth (named) cb.weight at the even rows and columns 2…6', async () => {
    const ones = tensor([1, 1, 9, 9], new Float32Array(81).fill(1));
    const inputs = { rgb: ones, depth: tensor([1, 1, 9, 9], new Float32Array(81).fill(-3)) };
    const first = await computeErf(inlineRunner, job({ mode: 'given', inputs }));
    const second = await computeErf(inlineRunner, job({ mode: 'given', inputs, inputName: 'depth' }));
    expect([first.input, first.target.layer, first.target.position]).toEqual(['rgb', 'sum', [4, 4]]);
    expect(Array.from(first.gradient.data)).toEqual(rgbGradient);
    expect([second.input, second.target.layer]).toEqual(['depth', 'sum']);
    expect(Array.from(second.gradient.data)).toEqual(depthGradient);
    expect(first.stats.support).toEqual({ box: { top: 3, left: 3, bottom: 5, right: 5 }, pixels: 9, insideTheoretical: true });
    expect(second.stats.support).toEqual({ box: { top: 2, left: 2, bottom: 6, right: 6 }, pixels: 9, insideTheoretical: true });
    // the theoretical field is the unit's over all its paths (the add keeps the larger, 5×5), whichever input is measured
    expect(second.stats.theoretical.size).toEqual([5, 5]);
  });

  it('random on a two-input network (refused before): every input drawn; mean |gradient| is |cb.weight| placed (the gradient of a linear net does not depend on the input)', async () => {
    const s = await computeErf(inlineRunner, job({ samples: 3, inputName: 'depth' }));
    expect([s.input, s.mode, s.inputs]).toEqual(['depth', 'random', 3]);
    expect(Array.from(s.gradient.data)).toEqual(depthGradient.map(Math.abs));
    const luo = await computeErf(inlineRunner, job({ mode: 'luo', samples: 2 }));
    expect(Array.from(luo.gradient.data)).toEqual(rgbGradient);
  });

  it("an unknown name: INVALID_OPTION at $.inputName listing the inputs with their shapes, the closest as suggestion", async () => {
    const err = await computeErf(inlineRunner, job({ inputName: 'dpeth' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_OPTION', details: { path: '$.inputName', suggestion: 'depth' } });
    expect((err as Error).message).toBe("the network has no input 'dpeth' (did you mean 'depth'?); its inputs are 'rgb' [1, 1, 9, 9], 'depth' [1, 1, 9, 9]");
  });

  it("an input that is no image ('info' [1, 3]): INVALID_OPTION at $.inputName naming the image inputs", async () => {
    const err = await computeErf(inlineRunner, job({ source: { kind: 'spec', spec: strided }, weights: {}, inputName: 'info' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_OPTION', details: { path: '$.inputName' } });
    expect((err as Error).message).toContain("input 'info' [1, 3] is not an image [N, C, H, W] or a clip [N, C, T, H, W]");
    expect((err as Error).message).toContain("the network's are 'rgb', 'depth'");
  });

  it("the default unit is the chosen input's final map (rgb: r2 at stride 4; depth: d2, the deepest map that input reaches)", async () => {
    const base = job({ source: { kind: 'spec', spec: strided }, weights: {} });
    const rgb = await computeErf(inlineRunner, base);
    expect([rgb.input, rgb.target.layer, rgb.target.shape]).toEqual(['rgb', 'r2', [1, 1, 2, 2]]);
    expect(rgb.stages.map((s) => s.layer)).toEqual(['r1', 'r2']);
    const depth = await computeErf(inlineRunner, { ...base, inputName: 'depth' });
    expect([depth.input, depth.target.layer, depth.target.shape]).toEqual(['depth', 'd2', [1, 1, 8, 8]]);
    // d2 at (4, 4) through two 3×3 convs: rows and columns 2…6
    expect(depth.stats.theoretical.box).toEqual({ top: 2, left: 2, bottom: 6, right: 6 });
    expect(depth.stages.map((s) => s.layer)).toEqual(['d2']);
  });

  it("streams merged by an add, stages by name: only the measured input's stream is a stage (rgb.conv or depth.conv), then the unit", async () => {
    const merged = {
      inputs: [{ name: 'x', shape: [1, 1, 8, 8] }, { name: 'y', shape: [1, 1, 8, 8] }],
      layers: [
        { name: 'rgb.conv', op: 'conv2d', inputs: 'x', outChannels: 1, kernelSize: 3, padding: 1 },
        { name: 'depth.conv', op: 'conv2d', inputs: 'y', outChannels: 1, kernelSize: 3, padding: 1 },
        { name: 'head.add', op: 'add', inputs: ['rgb.conv', 'depth.conv'] },
      ],
    };
    const base = job({ source: { kind: 'spec', spec: merged }, weights: {}, stageBy: 'name' });
    expect((await computeErf(inlineRunner, base)).stages.map((s) => s.layer)).toEqual(['rgb.conv', 'head.add']);
    expect((await computeErf(inlineRunner, { ...base, inputName: 'y' })).stages.map((s) => s.layer)).toEqual(['depth.conv', 'head.add']);
  });

  it("a layer the named input does not reach (d2 from rgb): NO_GRADIENT at $.inputName naming the input that does; unnamed, at $.layer", async () => {
    const base = job({ source: { kind: 'spec', spec: strided }, weights: {}, target: { layer: 'd2', channels: null, position: null } });
    const named = await computeErf(inlineRunner, { ...base, inputName: 'rgb' }).catch((e: unknown) => e);
    expect(named).toMatchObject({ code: 'NO_GRADIENT', details: { path: '$.inputName', layer: 'd2' } });
    expect((named as Error).message).toBe("'d2' [1, 1, 8, 8] does not depend on input 'rgb' (the input reaching it: 'depth'): its gradient there is zero everywhere; choose an input that reaches the layer, or a layer that input reaches");
    const unnamed = await computeErf(inlineRunner, base).catch((e: unknown) => e);
    expect(unnamed).toMatchObject({ code: 'NO_GRADIENT', details: { path: '$.layer' } });
  });
});

describe('an unbatched [C, D, H, W] clip (a 3-D pool reads it so: analysis/input-layout.ts) is measured as its batch of one', () => {
  const pooled = (shape: number[]) => ({ name: 't', inputs: [{ name: 'x', shape }], layers: [{ name: 'p', op: 'avgPool3d', kernelSize: 3, stride: 1, padding: 1 }] });

  it('avgPool3d k3 p1 on x [2,6,8,8], named or not: the centre unit [3, 4, 4], its 3×3 (h, w) field, as batched [1,2,6,8,8] (was: INVALID_OPTION, give it its batch axis; before that, measured as an image, C the batch and D the channels)', async () => {
    const batched = await computeErf(inlineRunner, job({ weights: {}, source: { kind: 'spec', spec: pooled([1, 2, 6, 8, 8]) }, stages: false }));
    for (const inputName of [undefined, 'x']) {
      const r = await computeErf(inlineRunner, job({ weights: {}, source: { kind: 'spec', spec: pooled([2, 6, 8, 8]) }, stages: false, inputName }));
      expect([r.input, r.target.position, r.stats.theoretical.size, r.gradient.shape]).toEqual(['x', [3, 4, 4], [3, 3], [2, 6, 8, 8]]);
      expect([r.stats, r.temporal, [...r.magnitude.data]]).toEqual([batched.stats, batched.temporal, [...batched.magnitude.data]]);
    }
  });

  it('a [2, 6, 8] input into a linear is no image: INVALID_OPTION at $.inputName, naming the unbatched forms', async () => {
    const spec = { name: 't', inputs: [{ name: 'x', shape: [2, 6, 8] }], layers: [{ name: 'fc', op: 'linear', outFeatures: 3 }] };
    const e = await computeErf(inlineRunner, job({ weights: {}, source: { kind: 'spec', spec }, inputName: 'x' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'INVALID_OPTION', details: { path: '$.inputName' } });
    expect((e as Error).message).toContain("input 'x' [2, 6, 8] is not an image [N, C, H, W] or a clip [N, C, T, H, W] (or one unbatched, [C, H, W] or [C, T, H, W], that the network's windows read so)");
  });
});
