/**
 * The per-axis fields of torchvision's video ResNets against PyTorch autograd's gradient footprint
 * (scripts/goldens_rf_nd.py: every conv's geometry kept, one channel of positive weights, BN as
 * identity, 128 frames of 256×256 so the central unit's footprint lies inside the input).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mc3_18, r2plus1d_18, r3d_18 } from '../../src/zoo/video.js';
import { analyze } from '../helpers.js';

interface Footprint {
  output: number[];
  size: number[];
  stride: number[];
  padding: number[];
}
const truth = JSON.parse(readFileSync(new URL('../fixtures/rf-nd/video_resnets.json', import.meta.url), 'utf8')) as {
  frames: number;
  size: number;
  models: Record<string, Footprint>;
};
const builders = { r3d_18, r2plus1d_18, mc3_18 };

describe.each(Object.keys(builders) as (keyof typeof builders)[])('%s at 128 frames of 256×256', (name) => {
  it('the map global pooling reads: size, stride and padding per axis [d, h, w] are autograd\'s footprint', () => {
    const r = analyze(builders[name](truth.size, truth.frames));
    const last = r.layers[r.layers.findIndex((l) => l.receptiveField?.global) - 1];
    const t = truth.models[name];
    expect(last.outputShape!.slice(2)).toEqual(t.output.slice(2));
    expect(last.receptiveField).toMatchObject({ global: false, axes: ['d', 'h', 'w'], size: t.size, stride: t.stride, padding: t.padding });
  });
});
