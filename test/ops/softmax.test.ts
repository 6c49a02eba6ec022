/**
 * softmax and logSoftmax (src/ops/softmax.ts) at the edges of their dim rule; their values against
 * PyTorch run in goldens.test.ts, their VJPs in activation-vjp.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import type { OpDef } from '../../src/ops/types.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import { inferContext, run } from './op-helpers.js';

// found by a hunt: a 0-d input was refused with "valid values are 0…-1"; torch 1.13 wraps a 0-d
// tensor's dim as a rank-1 tensor's (torch.softmax(torch.tensor(2.5), 0) = 1., log_softmax 0.)
describe('a 0-d input is one row of one element, dim −1 or 0, as in PyTorch', () => {
  it.each([
    ['softmax', 0, 1],
    ['softmax', -1, 1],
    ['logSoftmax', 0, 0],
    ['logSoftmax', -1, 0],
  ])('%s of 2.5 along dim %i → %d, shape []', (op, dim, want) => {
    expect(run(op, [[[], [2.5]]], { dim })).toEqual([{ shape: [], data: [want] }]);
  });

  it('softmax of ∞ → NaN, as torch (exp(∞ − ∞) / exp(∞ − ∞))', () => {
    expect(run('softmax', [[[], [Infinity]]], { dim: 0 })[0].data).toEqual([NaN]);
  });

  it('the input gradient is 0 for both (torch autograd: tensor(0.))', () => {
    for (const name of ['softmax', 'logSoftmax']) {
      const op = OPS_BY_NAME.get(name) as OpDef;
      const attrs = op.attrs.parse({ dim: 0 });
      const inputs = [tensor([], [2.5])];
      const inferred = op.infer(inferContext([[]], attrs));
      const ctx = { attrs, plan: inferred.plan, inputs, weights: {}, outputs: inferred.outputs, training: false, seed: 0 };
      const gx = op.vjp!({ ...ctx, forward: op.run(ctx), gradOutputs: [tensor([], [3])] })[0]!;
      expect(Array.from(gx.data)).toEqual([0]);
    }
  });

  it.each([1, -2])('dim %i is INVALID_ATTRIBUTE at $.attributes.dim naming −1…0 (PyTorch: "Dimension out of range (expected to be in range of [-1, 0], …)")', (dim) => {
    const e = errorOf(() => run('softmax', [[[], [2.5]]], { dim }));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.attributes.dim' } });
    expect(e.message).toContain(`dim=${dim}`);
    expect(e.message).toContain('-1…0');
    expect(e.message).not.toContain('0…-1');
  });
});
