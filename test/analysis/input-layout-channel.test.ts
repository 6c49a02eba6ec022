/**
 * A batch the network gives one channel is not an unbatched sample (analysis/input-layout.ts
 * readUnbatched): an [N, L] input unsqueezed to [N, 1, L] into a conv1d, or an [N, H, W] one to
 * [N, 1, H, W] into a conv2d (a spectrogram), keeps its field over L (H, W), compared with those
 * sizes, but is not listed among the unbatched inputs (Inference.imageInputs); it was. An input is
 * unbatched where a layer reads it so (Inferred.unbatched, through layers that keep its rank and field: a ReLU, a pad, a crop) or
 * the network batches it itself ([C, …] → x[None] into a window). Fields hand-worked:
 * r = 1 + (k − 1)·j summed per layer, S the product of strides, P the sum of p·j.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { loadGraph } from '../../src/graph/load.js';
import { analyze, net } from '../helpers.js';

const graphOf = (spec: ReturnType<typeof net>) => loadGraph({ kind: 'spec', spec }).graph;
const layout = (spec: ReturnType<typeof net>) => {
  const i = inferGraph(graphOf(spec));
  return { imageInputs: i.imageInputs, fieldInputs: i.fieldInputs };
};
const exceeds = (spec: ReturnType<typeof net>) => analyze(spec).warnings.filter((w) => w.code === 'RECEPTIVE_FIELD_EXCEEDS_INPUT').map((w) => w.message);

const conv1 = { op: 'conv1d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 };
const conv2 = { op: 'conv2d', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 };
const same1 = { op: 'conv1d', outChannels: 2, kernelSize: 3, padding: 1 };
const same2 = { op: 'conv2d', outChannels: 2, kernelSize: 3, padding: 1 };

describe('[N, L] = [4, 19] unsqueezed to [4, 1, 19], conv1d k3 s2 p1', () => {
  const spec = net([4, 19], { op: 'unsqueeze', axes: [1] }, conv1);
  it('its field over l (r 3, S 2, P 1), listed as a field input, not as an unbatched one (was: imageInputs [x])', () => {
    expect(analyze(spec).outputs[0].receptiveField).toMatchObject({ global: false, axes: ['l'], size: [3], stride: [2], padding: [1] });
    expect(layout(spec)).toEqual({ imageInputs: undefined, fieldInputs: ['x'] });
  });
  it('three conv1d k3 p1 on [4, 5]: a field of 7 against L 5, RECEPTIVE_FIELD_EXCEEDS_INPUT', () => {
    const deep = net([4, 5], { op: 'unsqueeze', axes: [1] }, same1, same1, same1);
    expect(layout(deep).imageInputs).toBeUndefined();
    expect(exceeds(deep)).toEqual([expect.stringContaining('a receptive field of 7, wider than the 5 input')]);
  });
});

describe('[N, H, W] = [4, 8, 10] unsqueezed to [4, 1, 8, 10], conv2d k3 s2 p1 (a spectrogram)', () => {
  const spec = net([4, 8, 10], { op: 'unsqueeze', axes: [1] }, conv2);
  it('its field over h, w (r 3×3, S 2×2, P 1×1), a field input, not an unbatched one (was: imageInputs [x])', () => {
    expect(analyze(spec).outputs[0].receptiveField).toMatchObject({ global: false, axes: ['h', 'w'], size: [3, 3], stride: [2, 2], padding: [1, 1] });
    expect(layout(spec)).toEqual({ imageInputs: undefined, fieldInputs: ['x'] });
  });
  it('three conv2d k3 p1 on [2, 5, 6]: a field of 7×7 against H, W 5×6, RECEPTIVE_FIELD_EXCEEDS_INPUT', () => {
    const deep = net([2, 5, 6], { op: 'unsqueeze', axes: [1] }, same2, same2, same2);
    expect(exceeds(deep)).toEqual([expect.stringContaining('a receptive field of 7×7, wider than the 5×6 input')]);
  });
});

describe('a batch given one channel after a padding: still no unbatched sample', () => {
  it('[N, H, W] = [4, 8, 10] padded to [4, 10, 12], unsqueezed to [4, 1, 10, 12], conv2d k3: a field input only', () => {
    expect(layout(net([4, 8, 10], { op: 'pad', pads: [0, 1, 1, 0, 1, 1] }, { op: 'unsqueeze', axes: [1] }, same2))).toEqual({ imageInputs: undefined, fieldInputs: ['x'] });
  });
});

describe('the unbatched samples stay listed', () => {
  it.each<[string, number[], Record<string, unknown>[]]>([
    ['[C, L] = [2, 19] into maxPool1d after a ReLU (read unbatched through a layer that keeps its rank and field)', [2, 19], [{ op: 'relu' }, { op: 'maxPool1d', kernelSize: 2 }]],
    ['[C, L] = [2, 19], x[None] into conv1d (batched by the network: [1, 2, 19])', [2, 19], [{ op: 'unsqueeze', axes: [0] }, conv1]],
    ['[C, H, W] = [3, 8, 10] into an unbatched conv2d', [3, 8, 10], [conv2]],
    ['[C, H, W] = [3, 8, 10], x[None] into conv2d', [3, 8, 10], [{ op: 'unsqueeze', axes: [0] }, conv2]],
    ['[C, D, H, W] = [2, 4, 6, 6] into maxPool3d', [2, 4, 6, 6], [{ op: 'maxPool3d', kernelSize: 2 }]],
    // a layer that changes the sample's sizes but not its rank or its field keeps it one sample (was: left out, its shape changed)
    ['[C, H, W] = [3, 8, 8] padded by 1 to [3, 10, 10], then maxPool2d', [3, 8, 8], [{ op: 'pad', pads: [0, 1, 1, 0, 1, 1] }, { op: 'maxPool2d', kernelSize: 2 }]],
    ['[C, H, W] = [3, 8, 8] cropped to [3, 6, 6], then maxPool2d', [3, 8, 8], [{ op: 'slice', starts: [1, 1], ends: [7, 7], axes: [1, 2] }, { op: 'maxPool2d', kernelSize: 2 }]],
    ['[C, L] = [3, 19] padded by 1 to [3, 21], then maxPool1d', [3, 19], [{ op: 'pad', pads: [0, 1, 0, 1] }, { op: 'maxPool1d', kernelSize: 2 }]],
  ])('%s', (_what, shape, layers) => {
    expect(layout(net(shape, ...layers))).toEqual({ imageInputs: ['x'], fieldInputs: ['x'] });
  });
});
