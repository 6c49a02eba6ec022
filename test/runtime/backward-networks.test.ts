/**
 * Whole-network input gradients against PyTorch autograd (scripts/erf_goldens.py →
 * test/fixtures/erf/networks.json): ResNet-18 (base width 16) and MobileNetV2 (width 0.5) exported
 * with their weights, the fixture's 1×3×64×64 input, x.grad of y[0, channels, i, j].sum() for a
 * feature map y, equal within 1e-4 of the gradient's largest magnitude.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorOverLargest } from '../helpers.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import { decodeTensor } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';

interface Case {
  name: string;
  network: string;
  layer: string;
  channels: number[] | null;
  position: [number, number];
  gradient: unknown;
}

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url);
const { cases } = JSON.parse(readFileSync(fixture('erf/networks.json'), 'utf8')) as { cases: Case[] };
const networks = new Map(
  ['resnet18_w16', 'mobilenet_v2_w050'].map((n) => [
    n,
    {
      bytes: new Uint8Array(readFileSync(fixture(`networks/${n}.onnx`))),
      input: (JSON.parse(readFileSync(fixture(`networks/${n}.json`), 'utf8')) as { input: { shape: number[]; data: number[] } }).input,
    },
  ]),
);

describe('input gradients of networks exported from PyTorch equal autograd', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const net = networks.get(c.network)!;
    const res = erfTask({
      kind: 'gradient',
      source: { kind: 'onnx', bytes: net.bytes, inputShapes: {} },
      mode: 'given',
      inputs: { input: tensor(net.input.shape, Float32Array.from(net.input.data)) },
      index: 0,
      weights: {},
      weightInit: 'file',
      seed: 0,
      target: { layer: c.layer, channels: c.channels, position: c.position },
      stages: false,
      maxElements: 1 << 26,
    }) as ErfGradientResult;
    const want = decodeTensor(c.gradient, '$', 1 << 26);
    expect(res.gradient.shape).toEqual(want.shape);
    expect(errorOverLargest(res.gradient.data, want.data)).toBeLessThanOrEqual(1e-4);
  });
});
