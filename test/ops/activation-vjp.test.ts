/**
 * Vector-Jacobian products of the activations and normalisations, called straight on the OpDef
 * (infer → run → vjp), with hand-worked values. Their PyTorch-autograd goldens
 * (scripts/vjp_goldens_activation.py → test/fixtures/vjp/activation.json) run in test/ops/vjp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import type { OpDef } from '../../src/ops/types.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { inferContext } from './op-helpers.js';

/** ∂L/∂inputs of one op for these inputs, weights and ∂L/∂outputs (null: that output does not reach L). */
function vjpOf(name: string, inputs: Tensor[], grads: (Tensor | null)[], attributes: Record<string, unknown> = {}, weights: Record<string, Tensor> = {}, training = false): (Tensor | null)[] {
  const op = OPS_BY_NAME.get(name) as OpDef;
  const attrs = op.attrs.parse(attributes);
  const inferred = op.infer(inferContext(inputs.map((x) => x.shape), attrs));
  const run = { attrs, plan: inferred.plan, inputs, weights, outputs: inferred.outputs, training, seed: 7 };
  const forward = op.run(run);
  if (!op.vjp) throw new Error(`${name} has no vjp`);
  return op.vjp({ ...run, forward, gradOutputs: grads });
}

describe('VJPs by hand', () => {
  const x = tensor([6], [-3, -1, 0, 1, 3, 6]);
  const ones = tensor([6], [1, 1, 1, 1, 1, 1]);
  const grad = (op: string, attrs: Record<string, unknown> = {}) => Array.from(vjpOf(op, [x], [ones], attrs)[0]!.data);

  it('relu at x = −3, −1, 0, 1, 3, 6 → 0, 0, 0, 1, 1, 1 (relu′(0) = 0); relu6 → 0, 0, 0, 1, 1, 0 (both kinks 0)', () => {
    expect(grad('relu')).toEqual([0, 0, 0, 1, 1, 1]);
    expect(grad('relu6')).toEqual([0, 0, 0, 1, 1, 0]);
  });
  it('leakyRelu slope 0.1 → 0.1 at and below 0; clip [−1, 3] counts both bounds inside', () => {
    expect(grad('leakyRelu', { negativeSlope: 0.1 })).toEqual([0.1, 0.1, 0.1, 1, 1, 1].map(Math.fround));
    expect(grad('clip', { min: -1, max: 3 })).toEqual([0, 1, 1, 1, 1, 0]);
  });
  it('hardSwish → −1/2, 1/6, 1/2, 5/6, 1, 1 (x/3 + 1/2 on [−3, 3): PyTorch\'s vectorised loop takes −1/2 at −3 and 1 at 3)', () => {
    expect(grad('hardSwish')).toEqual([-0.5, 1 / 6, 0.5, 5 / 6, 1, 1].map(Math.fround));
  });
  it('sigmoid′(0) = 1/4, and sigmoidLut differentiates as the exact sigmoid', () => {
    expect(grad('sigmoid')[2]).toBe(0.25);
    expect(grad('sigmoidLut', { tableSize: 16 })).toEqual(grad('sigmoid').map((v) => expect.closeTo(v, 6)));
  });
  it('softmax: a gradient equal along dim gives zero (softmax is shift-invariant); g = e_k gives y_k·(δ − y)', () => {
    const z = vjpOf('softmax', [tensor([1, 3], [1, 2, 3])], [tensor([1, 3], [5, 5, 5])], { dim: 1 })[0]!;
    z.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const y = e.map((v) => v / (e[0] + e[1] + e[2]));
    const d = vjpOf('softmax', [tensor([1, 3], [1, 2, 3])], [tensor([1, 3], [0, 0, 1])], { dim: 1 })[0]!;
    expect(Array.from(d.data)).toEqual([-y[2] * y[0], -y[2] * y[1], y[2] * (1 - y[2])].map((v) => expect.closeTo(v, 6)));
  });
  it('a null output gradient counts as zeros', () => {
    expect(Array.from(vjpOf('swish', [x], [null])[0]!.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('dropout p=0.5: identity at inference; in training the forward mask, kept elements × 2', () => {
    expect(grad('dropout', { p: 0.5 })).toEqual([1, 1, 1, 1, 1, 1]);
    const op = OPS_BY_NAME.get('dropout')!;
    const run = { attrs: { p: 0.5 }, plan: null, inputs: [ones], weights: {}, outputs: [[6]], training: true, seed: 3 };
    const y = op.run(run)[0];
    const gx = op.vjp!({ ...run, forward: [y], gradOutputs: [ones] })[0]!;
    expect(Array.from(gx.data)).toEqual(Array.from(y.data));
  });
  it('batchNorm2d inference C=2, γ = [2, 3], var = [3, 8], ε = 1: γ/√(var + ε) = 1 and 1 per channel', () => {
    const w = { weight: tensor([2], [2, 3]), bias: tensor([2], [5, 5]), runningMean: tensor([2], [1, 1]), runningVar: tensor([2], [3, 8]) };
    const gx = vjpOf('batchNorm2d', [tensor([1, 2, 1, 2], [1, 2, 3, 4])], [tensor([1, 2, 1, 2], [1, 2, 3, 4])], { eps: 1 }, w)[0]!;
    expect(Array.from(gx.data)).toEqual([1, 2, 3, 4]);
  });
  it('batchNorm2d training: a gradient constant over a channel vanishes (the batch mean absorbs it)', () => {
    const w = { weight: tensor([1], [2]), bias: tensor([1], [0]) };
    const gx = vjpOf('batchNorm2d', [tensor([2, 1, 1, 2], [1, 2, 4, 7])], [tensor([2, 1, 1, 2], [3, 3, 3, 3])], { trackRunningStats: false }, w)[0]!;
    gx.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
  });

  it('tanh′(0) = 1, erf′(0) = 2/√π, gelu′(0) = 1/2 (both forms), elu alpha 2 at 0 → 2 (the negative branch), hardTanh 0 at ±1, prelu the slope at 0', () => {
    const at0 = (op: string, attrs: Record<string, unknown> = {}, weights = {}) =>
      vjpOf(op, [tensor([1], [0])], [tensor([1], [1])], attrs, weights)[0]!.data[0];
    expect(at0('tanh')).toBe(1);
    expect(at0('erf')).toBeCloseTo(2 / Math.sqrt(Math.PI), 6);
    expect(at0('gelu')).toBe(0.5);
    expect(at0('gelu', { approximate: 'tanh' })).toBe(0.5);
    expect(at0('elu', { alpha: 2 })).toBe(2);
    expect(at0('prelu', {}, { weight: tensor([1], [0.25]) })).toBe(0.25);
    expect(Array.from(vjpOf('hardTanh', [tensor([3], [-1, 0, 1])], [tensor([3], [1, 1, 1])])[0]!.data)).toEqual([0, 1, 0]);
  });
  it('logSoftmax: the gradient sums to zero along dim (Σg − Σexp(y)·Σg, and Σexp(y) = 1)', () => {
    const gx = vjpOf('logSoftmax', [tensor([1, 4], [1, -2, 0.5, 3])], [tensor([1, 4], [0.3, -1, 2, 0.7])], { dim: 1 })[0]!;
    expect(Array.from(gx.data).reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
  });
  it('layerNorm and groupNorm: a gradient constant over each normalised group vanishes (the mean absorbs it), and so does one along x̂', () => {
    const x = tensor([1, 4], [1, 2, 4, 9]);
    const ln = vjpOf('layerNorm', [x], [tensor([1, 4], [2, 2, 2, 2])], { elementwiseAffine: false })[0]!;
    ln.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
    // g = x̂ itself: x̂ is normalised, so ∂/∂x of Σ x̂² = const is 0
    const y = vjpOf('layerNorm', [x], [tensor([1, 4], [0, 0, 0, 0])], { elementwiseAffine: false });
    expect(Array.from(y[0]!.data)).toEqual([0, 0, 0, 0]);
    const xhat = [1, 2, 4, 9].map((v) => (v - 4) / Math.sqrt(9.5 + 1e-5));
    const along = vjpOf('layerNorm', [x], [tensor([1, 4], xhat)], { elementwiseAffine: false })[0]!;
    along.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
    const gn = vjpOf('groupNorm', [tensor([1, 4, 1, 1], [1, 3, 10, 14])], [tensor([1, 4, 1, 1], [5, 5, -1, -1])], { numGroups: 2, affine: false })[0]!;
    gn.data.forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-6));
  });
  it('instanceNorm2d on running statistics at inference: g·γ/√(var + ε) per channel, constants (γ = 2, var = 3, ε = 1 → g)', () => {
    const w = { weight: tensor([1], [2]), bias: tensor([1], [0]), runningMean: tensor([1], [7]), runningVar: tensor([1], [3]) };
    const gx = vjpOf('instanceNorm2d', [tensor([1, 1, 1, 2], [1, 5])], [tensor([1, 1, 1, 2], [4, -3])], { affine: true, trackRunningStats: true, eps: 1 }, w)[0]!;
    expect(Array.from(gx.data)).toEqual([4, -3]);
  });

  it.each([
    ['relu', {}, (v: number) => (v > 0 ? 1 : 0)],
    ['relu6', {}, (v: number) => (v > 0 && v < 6 ? 1 : 0)],
    ['leakyRelu', { negativeSlope: 0.2 }, (v: number) => (v > 0 ? 1 : 0.2)],
    ['sigmoid', {}, (v: number) => Math.fround(1 / (1 + Math.exp(-v))) * (1 - Math.fround(1 / (1 + Math.exp(-v))))],
    ['swish', {}, (v: number) => (1 / (1 + Math.exp(-v))) * (1 + v * (1 - 1 / (1 + Math.exp(-v))))],
    ['hardSwish', {}, (v: number) => (v < -3 ? 0 : v < 3 ? v / 3 + 0.5 : 1)],
    ['clip', { min: -1, max: 2 }, (v: number) => (v >= -1 && v <= 2 ? 1 : 0)],
  ])('%s %j: the VJP loop of its own gives g·f′(x), kinks included', (op, attrs, d) => {
    const xs = [-7, -3, -1, -0.5, 0, 0.5, 1, 2, 3, 6, 7];
    const g = xs.map((_, i) => (i % 3) - 1.25);
    const got = vjpOf(op, [tensor([xs.length], xs)], [tensor([xs.length], g)], attrs)[0]!;
    expect(Array.from(got.data)).toEqual(xs.map((v, i) => expect.closeTo(Math.fround(g[i] * d(v)), 6)));
  });
});
