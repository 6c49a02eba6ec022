/**
 * An effective receptive field through AvgPool3d (avgPool3d's vjp; before it, every such request was
 * NO_GRADIENT at the pool): Conv3d(2, 3, 3, padding 1) → ReLU → AvgPool3d(3, stride 2, padding 1,
 * ceil mode, countIncludePad false) → Conv3d(3, 4, (1, 3, 3), padding (0, 1, 1)) over the clip
 * x[k] = sin(0.731·k + 0.2) [1, 2, 8, 12, 12], PyTorch's state_dict bound as is
 * (scripts/erf_goldens_avgpool3d.py → test/fixtures/erf/avgpool3d.json). Against PyTorch autograd's
 * x.grad of y[0, channels, t, i, j].sum(): the signed gradient, each frame's share of Σ|g| and the map
 * Σ over channels and frames of |g|, within 1e-5 of the largest value.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { givenErf } from './erf-given.js';
import type { GoldenErfCase } from './erf-given.js';
import { NetBuilder } from '../../src/zoo/builder.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';

interface Case extends GoldenErfCase {
  frames: number[];
  map: Wire;
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/erf/avgpool3d.json', import.meta.url), 'utf8')) as { stateDict: Record<string, Wire>; cases: Case[] };
const given: Record<string, Tensor> = Object.fromEntries(Object.entries(golden.stateDict).map(([k, w]) => [k, tensor(w.shape, Float32Array.from(w.data))]));
const SHAPE = [1, 2, 8, 12, 12];
const clip = tensor(SHAPE, Float32Array.from({ length: SHAPE.reduce((a, b) => a * b) }, (_, k) => Math.sin(0.731 * k + 0.2)));

/** The network of scripts/erf_goldens_avgpool3d.py, its layers named as PyTorch's modules. */
function convPoolConv() {
  const b = new NetBuilder('conv_avgpool3d_conv', { name: 'input', shape: SHAPE });
  let x = b.add('conv0', 'conv3d', 'input', { outChannels: 3, kernelSize: 3, padding: 1 });
  x = b.act('relu', x, 'relu');
  x = b.add('pool', 'avgPool3d', x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
  b.add('conv1', 'conv3d', x, { outChannels: 4, kernelSize: [1, 3, 3], padding: [0, 1, 1] });
  return b.build();
}
const spec = convPoolConv();

/** The ERF of a golden case's unit, the clip and weights given. */
const erfOf = (c: (typeof golden.cases)[number]) => givenErf(spec, { input: clip }, given, c, { maxElements: 1 << 24 });

describe("Conv3d → ReLU → AvgPool3d (ceil mode, countIncludePad false) → Conv3d: the ERF over a clip [1, 2, 8, 12, 12] equals PyTorch autograd's", () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s: the gradient, frame shares and the channel- and frame-summed map within 1e-5', async (_, c) => {
    const s = await erfOf(c);
    expect(s.gradient.shape).toEqual(SHAPE);
    expect(s.magnitude.shape).toEqual([1, 1, 12, 12]);
    // measured 4.1e-8 … 1.4e-7 (gradient), 1.0e-8 … 2.9e-8 (shares), 6.6e-8 … 9.8e-8 (map); the divisor
    // taken as the padded window's (countIncludePad ignored) fails the two cases with clipped windows;
    // without the vjp each case is NO_GRADIENT at 'pool'
    expect(errorOverLargest(s.gradient.data, c.gradient.data)).toBeLessThanOrEqual(1e-5);
    expect(Math.max(...s.temporal!.frames.map((f, t) => Math.abs(f - c.frames[t])))).toBeLessThanOrEqual(1e-5);
    expect(errorOverLargest(s.magnitude.data, c.map.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the pool\'s last windows (conv1 unit [4, 6, 6]): only frames 6 and 7 carry gradient (pool window t 7…9 holds frame 7 alone, conv0 k3 p1 reads 6…8)', async () => {
    const c = golden.cases[1];
    const s = await erfOf(c);
    expect(s.temporal!.frames.flatMap((f, t) => (f > 0 ? [t] : []))).toEqual([6, 7]);
  });
});
