import { describe, expect, it } from 'vitest';
import { foldBatchNorm } from '../../src/ops/norm.js';
import { sigmoidTable } from '../../src/ops/activation.js';
import { runOperator } from '../../src/runtime/operator.js';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { rng } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const call = (name: string, inputs: Tensor[], attributes: Record<string, unknown> = {}, extra: Partial<Parameters<typeof runOperator>[0]> = {}) =>
  runOperator({ name, inputs, attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 24, ...extra });
const random = (shape: number[], seed = 1) => {
  const r = rng(seed);
  return tensor(shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
};

describe('operators beyond the PyTorch goldens', () => {
  it('conv2d x=[1,1,3,3] k=2 by hand: cross-correlation vs true convolution (kernel flipped)', () => {
    // x = 1..9, w = [[1, 2], [3, 4]]
    const x = tensor([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const weights = { weight: tensor([1, 1, 2, 2], [1, 2, 3, 4]) };
    const xcorr = call('conv2d', [x], { bias: false }, { weights });
    // top-left: 1·1 + 2·2 + 4·3 + 5·4 = 37
    expect(Array.from(xcorr.outputs[0].data)).toEqual([37, 47, 67, 77]);
    const conv = call('conv2d', [x], { bias: false, mode: 'convolution' }, { weights });
    // flipped kernel [[4, 3], [2, 1]]: 1·4 + 2·3 + 4·2 + 5·1 = 23
    expect(Array.from(conv.outputs[0].data)).toEqual([23, 33, 53, 63]);
  });

  it('spatial separable: a 3×1 conv then a 1×3 conv equals the 3×3 conv whose kernel is their outer product', () => {
    const x = random([1, 1, 7, 6], 11);
    const a = [0.5, -1, 2];
    const b = [1.5, 0.25, -0.75];
    const outer = a.flatMap((ai) => b.map((bj) => ai * bj));
    const full = call('conv2d', [x], { bias: false, padding: 1 }, { weights: { weight: tensor([1, 1, 3, 3], outer) } }).outputs[0];
    const col = call('conv2d', [x], { bias: false, padding: [1, 0] }, { weights: { weight: tensor([1, 1, 3, 1], a) } }).outputs[0];
    const sep = call('conv2d', [col], { bias: false, padding: [0, 1] }, { weights: { weight: tensor([1, 1, 1, 3], b) } }).outputs[0];
    expect(sep.shape).toEqual(full.shape);
    for (let i = 0; i < full.data.length; i++) expect(sep.data[i]).toBeCloseTo(full.data[i], 5);
  });

  it('depthwise separable: depthwise then pointwise equals the full conv with W[o, c, u, v] = P[o, c]·D[c, u, v]', () => {
    const [cin, cout] = [3, 4];
    const x = random([1, cin, 6, 6], 12);
    const d = random([cin, 1, 3, 3], 13);
    const p = random([cout, cin, 1, 1], 14);
    const w = new Float32Array(cout * cin * 9);
    for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let k = 0; k < 9; k++) w[(o * cin + c) * 9 + k] = p.data[o * cin + c] * d.data[c * 9 + k];
    const full = call('conv2d', [x], { bias: false, padding: 1 }, { weights: { weight: tensor([cout, cin, 3, 3], w) } }).outputs[0];
    const dw = call('conv2d', [x], { bias: false, padding: 1, groups: cin }, { weights: { weight: d } }).outputs[0];
    const sep = call('conv2d', [dw], { bias: false }, { weights: { weight: p } }).outputs[0];
    for (let i = 0; i < full.data.length; i++) expect(sep.data[i]).toBeCloseTo(full.data[i], 5);
  });

  it('dropout in training: about p of the elements zeroed, the rest scaled by 1/(1 − p); the same seed gives the same mask; identity at inference', () => {
    const x = tensor([1, 100_000], new Float32Array(100_000).fill(2));
    const a = call('dropout', [x], { p: 0.3 }, { training: true, seed: 42 }).outputs[0].data;
    const zeros = a.filter((v) => v === 0).length / a.length;
    expect(zeros).toBeGreaterThan(0.29);
    expect(zeros).toBeLessThan(0.31);
    expect(new Set(a)).toEqual(new Set([0, Math.fround(2 / 0.7)]));
    expect(call('dropout', [x], { p: 0.3 }, { training: true, seed: 42 }).outputs[0].data).toEqual(a);
    expect(call('dropout', [x], { p: 0.3 }, { training: true, seed: 43 }).outputs[0].data).not.toEqual(a);
    expect(call('dropout', [x], { p: 0.3 }).outputs[0].data).toEqual(x.data);
  });

  it('BN folded into the preceding conv gives the same output as conv → BN', () => {
    const x = random([2, 3, 6, 6], 3);
    const w = random([4, 3, 3, 3], 4);
    const b = random([4], 5);
    const bn = { gamma: random([4], 6).data.map((v) => v + 1.5), beta: random([4], 7).data, mean: random([4], 8).data, variance: random([4], 9).data.map((v) => v + 1.2), eps: 1e-5 };
    const conv = call('conv2d', [x], { padding: 1 }, { weights: { weight: w, bias: b } }).outputs[0];
    const reference = call('batchNorm2d', [conv], {}, {
      weights: { weight: tensor([4], bn.gamma), bias: tensor([4], bn.beta), runningMean: tensor([4], bn.mean), runningVar: tensor([4], bn.variance) },
    }).outputs[0];
    const folded = foldBatchNorm(w.data, b.data, bn);
    const out = call('conv2d', [x], { padding: 1 }, { weights: { weight: tensor(w.shape, folded.weight), bias: tensor([4], folded.bias) } }).outputs[0];
    let err = 0;
    for (let i = 0; i < out.data.length; i++) err = Math.max(err, Math.abs(out.data[i] - reference.data[i]));
    expect(err).toBeLessThan(1e-5);
  });

  it('seeded weights follow PyTorch\'s default init: conv weight ~ U(±1/√fan_in), BN γ = 1, β = 0', () => {
    const spec = { inputs: [{ name: 'x', shape: [1, 8, 4, 4] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 64, kernelSize: 3, padding: 1 }, { name: 'bn', op: 'batchNorm2d' }] };
    const x = tensor([1, 8, 4, 4], new Float32Array(128));
    const out = runTask({ source: { kind: 'spec', spec }, inputs: { x }, weights: {}, weightInit: 'seed', training: false, seed: 1, capture: ['c'], maxElements: 1 << 20 });
    // zero input: the conv output is its bias, U(±1/√72); BN with γ 1, β 0, μ 0, σ² 1 is ≈ identity
    const bound = 1 / Math.sqrt(72);
    const biases = out.captured.c.data;
    expect(Math.max(...biases.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...biases.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(out.outputs.bn.data[0]).toBeCloseTo(biases[0] / Math.sqrt(1 + 1e-5), 6);
  });

  it('sigmoid lookup table: max error shrinks with the table down to the saturation floor', () => {
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const coarse = sigmoidTable({ tableSize: 64, interpolate: false }).maxError;
    const fine = sigmoidTable({ tableSize: 4096, interpolate: false }).maxError;
    const interp = sigmoidTable({ tableSize: 4096, interpolate: true }).maxError;
    // nearest entry: half a step (16/63) times the steepest slope 1/4 ≈ 0.032
    expect(coarse).toBeCloseTo((16 / 63 / 2) * 0.25, 3);
    expect(fine).toBeLessThan(coarse);
    // past ±8 the table saturates: over the [−10, 10] sweep the error is at least sigmoid(−8) − sigmoid(−10)
    const floor = sig(-8) - sig(-10);
    expect(interp).toBeGreaterThanOrEqual(floor - 1e-7);
    expect(interp).toBeLessThan(floor + 1e-6);
    const res = call('sigmoidLut', [tensor([2], [0, 100])], { tableSize: 256 });
    // 256 entries: x = 0 sits between entries 127 and 128 and rounds to 128 = sigmoid(−8 + 128·16/255)
    expect(res.outputs[0].data[0]).toBe(Math.fround(sig(-8 + (128 * 16) / 255)));
    expect(res.outputs[0].data[1]).toBe(Math.fround(sig(8)));
    expect(res.extra.maxError).toBe(sigmoidTable({ tableSize: 256, interpolate: false }).maxError);
  });

  it('weights given in the request must have the layer\'s shapes; stripped file weights without a seed are a 400', () => {
    expect(errorOf(() => call('conv2d', [random([1, 2, 4, 4])], { outChannels: 3, kernelSize: 3 }, { weights: { weight: random([3, 2, 2, 2]) } })).code).toBe('SHAPE_MISMATCH');
  });

  it('an unknown operator is UNKNOWN_OPERATOR; wrong input counts are SPEC_INVALID', () => {
    expect(errorOf(() => call('conv4d', [random([1, 1, 2, 2])])).code).toBe('UNKNOWN_OPERATOR');
    expect(errorOf(() => call('add', [random([1, 1, 2, 2])])).code).toBe('SPEC_INVALID');
  });
});
