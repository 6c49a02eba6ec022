/**
 * The ERF at each input of a two-input network against PyTorch autograd (scripts/erf_goldens_two_inputs.py
 * → test/fixtures/erf/two-inputs.json): relu(ca(rgb)) · sigmoid(cb(depth)) → head (3×3 stride 2), so
 * each input's gradient depends on the other's values. At rgb[k] = sin(0.731·k + 0.2) [1, 2, 8, 8]
 * and depth[k] = cos(0.417·k − 0.3) [1, 1, 8, 8], PyTorch's state_dict bound as is: the gradient at
 * rgb (the default) and at depth (inputName), within 1e-5 of the largest value.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { givenErf } from './erf-given.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Wire } from '../ops/golden-cases.js';

interface Case {
  name: string;
  layer: string;
  channels: number[] | null;
  position: number[];
  rgb: Wire;
  depth: Wire;
}

const golden = JSON.parse(readFileSync(new URL('../fixtures/erf/two-inputs.json', import.meta.url), 'utf8')) as { stateDict: Record<string, Wire>; cases: Case[] };
const weights: Record<string, Tensor> = Object.fromEntries(Object.entries(golden.stateDict).map(([k, w]) => [k, tensor(w.shape, Float32Array.from(w.data))]));
const pattern = (shape: number[], f: (k: number) => number) => tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => f(k)));
const inputs = { rgb: pattern([1, 2, 8, 8], (k) => Math.sin(0.731 * k + 0.2)), depth: pattern([1, 1, 8, 8], (k) => Math.cos(0.417 * k - 0.3)) };

/** The network of scripts/erf_goldens_two_inputs.py, its layers named as the state_dict's modules. */
const spec = {
  inputs: [{ name: 'rgb', shape: [1, 2, 8, 8] }, { name: 'depth', shape: [1, 1, 8, 8] }],
  layers: [
    { name: 'ca', op: 'conv2d', inputs: 'rgb', outChannels: 3, kernelSize: 3, padding: 1 },
    { name: 'ra', op: 'relu', inputs: 'ca' },
    { name: 'cb', op: 'conv2d', inputs: 'depth', outChannels: 3, kernelSize: 5, padding: 2 },
    { name: 'gb', op: 'sigmoid', inputs: 'cb' },
    { name: 'mix', op: 'mul', inputs: ['ra', 'gb'] },
    { name: 'head', op: 'conv2d', inputs: 'mix', outChannels: 2, kernelSize: 3, stride: 2, padding: 1 },
  ],
};

const erfOf = (c: Case, inputName?: string) => givenErf(spec, inputs, weights, c, { inputName });

describe("relu(conv(rgb)) · sigmoid(conv(depth)) → conv: the ERF at each input equals PyTorch autograd's", () => {
  it.each(golden.cases.map((c) => [c.name, c] as const))('%s: at rgb (default) and at depth (inputName) within 1e-5', async (_, c) => {
    const rgb = await erfOf(c);
    expect([rgb.input, rgb.gradient.shape]).toEqual(['rgb', [1, 2, 8, 8]]);
    // measured 2.2e-8 … 8.0e-8 (rgb), 5.8e-8 … 1.3e-7 (depth); before inputName the gradient was always rgb's
    expect(errorOverLargest(rgb.gradient.data, c.rgb.data)).toBeLessThanOrEqual(1e-5);
    const depth = await erfOf(c, 'depth');
    expect([depth.input, depth.gradient.shape]).toEqual(['depth', [1, 1, 8, 8]]);
    expect(errorOverLargest(depth.gradient.data, c.depth.data)).toBeLessThanOrEqual(1e-5);
  });
});
