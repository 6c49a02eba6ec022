/**
 * upsample1d / upsample3d input gradients (src/ops/upsample-nd-vjp.ts), apart from PyTorch's
 * goldens (test/fixtures/vjp/conv_nd.json, upsample_recompute.json: test/ops/vjp.test.ts):
 *
 *   - Jᵀu column by column: the forward is linear in x, so ∂x[i] = ⟨u, f(eᵢ)⟩ with eᵢ the i-th
 *     unit input; the VJP must give that for every i, in every mode and size rule
 *   - the dot-product identity ⟨f(v), u⟩ = ⟨v, Jᵀu⟩ at sizes the unit vectors would make slow
 *   - hand-worked numbers: the forward's own taps (torch 1.13's nearest backward reads others at
 *     ×1.1 and ×2.1 in 1-D), edge clamps, a copied axis, inf beside a zero-weight tap (as torch)
 *   - the tensor limit: a call the forward refuses the VJP refuses the same way, before any work
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { errorOf, scaledError } from '../helpers.js';

type Attrs = Record<string, unknown>;
const call = (op: string, x: Tensor, attributes: Attrs, maxElements = 1 << 20) => ({ name: op, inputs: [x], attributes, weights: {}, training: false, seed: 0, maxElements });
const forward = (op: string, x: Tensor, attributes: Attrs) => runOperator(call(op, x, attributes)).outputs[0];
const vjp = (op: string, x: Tensor, attributes: Attrs, g: Tensor) => vjpOperator({ ...call(op, x, attributes), gradOutputs: [g] }).gradInputs[0]!;
const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
/** sin-based values: reproducible, irregular, no two alike. */
const wave = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 1.5);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** [op, input shape, attributes]; the title carries them all. */
const small: [string, number[], Attrs][] = [
  ['upsample1d', [1, 2, 5], { mode: 'nearest', scaleFactor: 2 }],
  ['upsample1d', [2, 1, 5], { mode: 'nearest', scaleFactor: 2.1 }],
  ['upsample1d', [1, 2, 7], { mode: 'nearest', scaleFactor: 1.1 }],
  ['upsample1d', [1, 2, 9], { mode: 'nearest', size: 4 }],
  ['upsample1d', [1, 2, 6], { mode: 'nearest', scaleFactor: 2.7, recomputeScaleFactor: true }],
  ['upsample1d', [1, 2, 7], { mode: 'nearest-exact', size: 12 }],
  ['upsample1d', [1, 2, 10], { mode: 'nearest-exact', scaleFactor: 0.6 }],
  ['upsample1d', [1, 2, 5], { mode: 'linear', scaleFactor: 2.5 }],
  ['upsample1d', [1, 2, 5], { mode: 'linear', scaleFactor: 3, alignCorners: true }],
  ['upsample1d', [1, 2, 7], { mode: 'linear', size: 12, alignCorners: false }],
  ['upsample1d', [1, 2, 10], { mode: 'linear', scaleFactor: 0.4 }],
  ['upsample1d', [1, 2, 4], { mode: 'linear', scaleFactor: 1.1 }],
  ['upsample1d', [1, 2, 3], { mode: 'linear', size: 1, alignCorners: true }],
  ['upsample1d', [1, 2, 6], { mode: 'linear', scaleFactor: 1.7, recomputeScaleFactor: true }],
  ['upsample3d', [1, 2, 2, 3, 3], { mode: 'nearest', scaleFactor: [1, 2, 2] }],
  ['upsample3d', [1, 1, 3, 2, 4], { mode: 'nearest', scaleFactor: [2.1, 1.1, 0.75] }],
  ['upsample3d', [1, 2, 3, 2, 4], { mode: 'nearest', scaleFactor: [2.1, 1.1, 0.75] }],
  ['upsample3d', [1, 2, 2, 2, 3], { mode: 'nearest', size: [3, 3, 5] }],
  ['upsample3d', [1, 2, 2, 3, 3], { mode: 'nearest', scaleFactor: 1.6, recomputeScaleFactor: true }],
  ['upsample3d', [1, 1, 2, 3, 3], { mode: 'nearest-exact', size: [4, 6, 5] }],
  ['upsample3d', [2, 2, 3, 2, 4], { mode: 'nearest-exact', scaleFactor: [1.5, 2, 0.7] }],
  ['upsample3d', [1, 2, 2, 3, 4], { mode: 'trilinear', scaleFactor: 2 }],
  ['upsample3d', [1, 1, 3, 3, 4], { mode: 'trilinear', size: [5, 6, 5], alignCorners: true }],
  ['upsample3d', [2, 1, 2, 3, 4], { mode: 'trilinear', size: [3, 4, 5], alignCorners: false }],
  ['upsample3d', [1, 2, 3, 3, 4], { mode: 'trilinear', scaleFactor: [2, 1.5, 0.5], alignCorners: true }],
  ['upsample3d', [1, 1, 4, 5, 6], { mode: 'trilinear', scaleFactor: 0.6 }],
  ['upsample3d', [1, 2, 2, 3, 3], { mode: 'trilinear', scaleFactor: [1.1, 2.5, 1], alignCorners: true }],
  ['upsample3d', [1, 2, 2, 3, 4], { mode: 'trilinear', scaleFactor: [1.5, 1.3, 2.2], recomputeScaleFactor: true }],
];
const title = ([op, shape, attrs]: [string, number[], Attrs]) => `${op} x=[${shape}] ${JSON.stringify(attrs)}`;

describe('the VJP is Jᵀu, J column by column from the forward of each unit input', () => {
  it.each(small.map((c) => [title(c), c] as const))('%s', (_, [op, shape, attrs]) => {
    const n = numel(shape);
    const x = tensor(shape, wave(n, 1));
    const y = forward(op, x, attrs);
    const u = tensor(y.shape, wave(y.data.length, 2));
    // ∂x[i] = Σ_o u[o]·f(eᵢ)[o], in float64
    const want = Float64Array.from({ length: n }, (_, i) => {
      const e = new Float32Array(n);
      e[i] = 1;
      return dot(u.data, forward(op, tensor(shape, e), attrs).data);
    });
    const got = vjp(op, x, attrs, u);
    expect(got.shape).toEqual(shape);
    expect(scaledError(got.data, want)).toBeLessThanOrEqual(1e-6);
  });
});

describe('⟨f(v), u⟩ = ⟨v, Jᵀu⟩ at larger sizes (float32 sums of many outputs into one input)', () => {
  const large: [string, number[], Attrs][] = [
    ['upsample1d', [2, 3, 37], { mode: 'nearest', scaleFactor: 8 }],
    ['upsample1d', [2, 3, 37], { mode: 'nearest-exact', scaleFactor: 5.3 }],
    ['upsample1d', [2, 3, 37], { mode: 'linear', scaleFactor: 7.7 }],
    ['upsample1d', [2, 3, 200], { mode: 'linear', size: 61, alignCorners: true }],
    ['upsample3d', [1, 3, 5, 6, 7], { mode: 'nearest', scaleFactor: [4, 3.5, 2.2] }],
    ['upsample3d', [1, 1, 5, 6, 7], { mode: 'nearest', scaleFactor: [2.05, 1.02, 3] }],
    ['upsample3d', [1, 3, 5, 6, 7], { mode: 'nearest-exact', size: [9, 4, 13] }],
    ['upsample3d', [1, 3, 5, 6, 7], { mode: 'trilinear', scaleFactor: 4 }],
    ['upsample3d', [2, 2, 9, 8, 11], { mode: 'trilinear', size: [4, 13, 5], alignCorners: true }],
  ];
  it.each(large.map((c) => [title(c), c] as const))('%s', (_, [op, shape, attrs]) => {
    const v = tensor(shape, wave(numel(shape), 3));
    const y = forward(op, v, attrs);
    const u = tensor(y.shape, wave(y.data.length, 4));
    const [left, right] = [dot(y.data, u.data), dot(v.data, vjp(op, v, attrs, u).data)];
    expect(Math.abs(left - right), `⟨f(v), u⟩ = ${left}, ⟨v, Jᵀu⟩ = ${right}`).toBeLessThanOrEqual(1e-5 * (Math.abs(left) + dot(y.data.map(Math.abs), u.data.map(Math.abs))));
  });
});

describe('hand-worked gradients', () => {
  const grad = (op: string, shape: number[], attrs: Attrs, g: number[]) => {
    const x = tensor(shape, new Float32Array(numel(shape)));
    const y = forward(op, x, attrs);
    return Array.from(vjp(op, x, attrs, tensor(y.shape, Float32Array.from(g))).data);
  };

  it('1-D nearest ×2.1 on 3: the forward reads [0,0,0,1,1,2], so g = 1…6 gives [6, 9, 6] (torch 1.13 autograd reads o >> 1: [3, 7, 11], not its forward\'s transpose)', () => {
    expect(grad('upsample1d', [1, 1, 3], { scaleFactor: 2.1 }, [1, 2, 3, 4, 5, 6])).toEqual([6, 9, 6]);
  });

  it('3-D nearest ×[2.1, 1, 1] on one channel reads o >> 1 (its forward, and torch\'s backward): g = 1…6 gives [3, 7, 11]', () => {
    expect(grad('upsample3d', [1, 1, 3, 1, 1], { scaleFactor: [2.1, 1, 1] }, [1, 2, 3, 4, 5, 6])).toEqual([3, 7, 11]);
  });

  it('1-D linear ×2 on 2, g = [1,2,3,4]: sources 0, 0.25, 0.75, 1.25 (i0 = i1 = 1) → [1 + 0.75·2 + 0.25·3, 0.25·2 + 0.75·3 + 4] = [3.25, 6.75] (torch)', () => {
    expect(grad('upsample1d', [1, 1, 2], { mode: 'linear', scaleFactor: 2 }, [1, 2, 3, 4])).toEqual([3.25, 6.75]);
  });

  it('3-D trilinear alignCorners size [3,1,1] on T = 2, g = [1,2,4]: sources 0, 0.5, 1 → [1 + 0.5·2, 0.5·2 + 4] = [2, 5] (torch)', () => {
    expect(grad('upsample3d', [1, 1, 2, 1, 1], { mode: 'trilinear', size: [3, 1, 1], alignCorners: true }, [1, 2, 4])).toEqual([2, 5]);
  });

  it('inf beside a zero-weight tap is NaN, as torch: linear alignCorners size 5 on 3 with g[0] = inf → [inf, NaN, 1.5]; a copied axis (×1.1 on 4) with g[1] = inf → [1, NaN, 1, 1]', () => {
    expect(grad('upsample1d', [1, 1, 3], { mode: 'linear', size: 5, alignCorners: true }, [Infinity, 1, 1, 1, 1])).toEqual([Infinity, NaN, 1.5]);
    expect(grad('upsample1d', [1, 1, 4], { mode: 'linear', scaleFactor: 1.1 }, [1, Infinity, 1, 1])).toEqual([1, NaN, 1, 1]);
  });
});

describe('the tensor limit', () => {
  it('upsample3d trilinear ×4 of [1,2,4,4,4] (8,192 outputs) at maxElements 8,000: the VJP refuses as the forward does, 413 at the same path', () => {
    const x = tensor([1, 2, 4, 4, 4], wave(128, 5));
    const attrs = { mode: 'trilinear', scaleFactor: 4 };
    const g = tensor([1, 2, 16, 16, 16], wave(8192, 6));
    const ahead = errorOf(() => runOperator(call('upsample3d', x, attrs, 8000)));
    const back = errorOf(() => vjpOperator({ ...call('upsample3d', x, attrs, 8000), gradOutputs: [g] }));
    expect(ahead.status).toBe(413);
    expect([back.code, back.status, back.details.path]).toEqual([ahead.code, ahead.status, ahead.details.path]);
    expect(vjpOperator({ ...call('upsample3d', x, attrs, 8192), gradOutputs: [g] }).gradInputs[0]!.shape).toEqual([1, 2, 4, 4, 4]);
  });
});
