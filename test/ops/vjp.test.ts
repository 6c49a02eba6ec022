import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import type { VjpCall } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import type { Wire } from './golden-cases.js';
import { VJP_CASES, type VjpCase } from './vjp-cases.js';

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));

const call = (c: VjpCase): VjpCall => ({
  name: c.op,
  inputs: c.inputs.map(t),
  attributes: c.attributes,
  weights: Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, t(w)])),
  training: c.training,
  seed: 0,
  maxElements: 1 << 24,
  gradOutputs: c.gradOutputs.map((g) => (g ? t(g) : null)),
});

const ready = VJP_CASES.filter((c) => OPS_BY_NAME.get(c.op)?.vjp);
const waiting = VJP_CASES.filter((c) => !OPS_BY_NAME.get(c.op)?.vjp);

describe('every vector-Jacobian product against PyTorch autograd (test/fixtures/vjp/*.json): max abs error ≤ 1e-5 of the gradient scale', () => {
  it('the fixtures hold cases', () => expect(VJP_CASES.length).toBeGreaterThan(0));

  it.each(ready.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', (_, c) => {
    const res = vjpOperator(call(c));
    expect(res.gradInputs.length).toBe(c.gradInputs.length);
    c.gradInputs.forEach((want, i) => {
      const got = res.gradInputs[i];
      if (want === null) {
        expect(got, `input ${i} has no gradient`).toBeNull();
        return;
      }
      expect(got, `input ${i}`).not.toBeNull();
      expect(got!.shape).toEqual(want.shape);
      expect(scaledError(got!.data, want.data), `input ${i}`).toBeLessThanOrEqual(1e-5);
    });
  });

  // goldens of ops whose vjp is not written yet: listed, so the gap shows in every run
  for (const c of waiting) it.todo(`${c.file}: ${c.name} (${c.op} has no vjp yet)`);
});

describe('vjpOperator', () => {
  const x = tensor([1, 1, 3, 3], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const base = { inputs: [x], training: false, seed: 0, maxElements: 1 << 20 };

  it('conv2d k=2 weight ones: each input pixel collects the output gradients of the windows holding it (hand-worked)', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 1, 1, 1]));
    const g = tensor([1, 1, 2, 2], Float32Array.from([1, 10, 100, 1000]));
    const res = vjpOperator({ ...base, name: 'conv2d', attributes: { bias: false }, weights: { weight: w }, gradOutputs: [g] });
    // window (i, j) covers pixels (i..i+1, j..j+1): the centre is in all four
    expect(Array.from(res.gradInputs[0]!.data)).toEqual([1, 11, 10, 101, 1111, 1010, 100, 1100, 1000]);
    expect(Array.from(res.outputs[0].data)).toEqual([12, 16, 24, 28]);
  });

  it('a null output gradient counts as zeros', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 2, 3, 4]));
    const res = vjpOperator({ ...base, name: 'conv2d', attributes: { bias: false }, weights: { weight: w }, gradOutputs: [null] });
    expect(Array.from(res.gradInputs[0]!.data)).toEqual(new Array(9).fill(0));
  });

  it('an output gradient of the wrong shape is SHAPE_MISMATCH naming both shapes', () => {
    const w = tensor([1, 1, 2, 2], Float32Array.from([1, 2, 3, 4]));
    expect(() => vjpOperator({ ...base, name: 'conv2d', attributes: {}, weights: { weight: w }, gradOutputs: [tensor([1, 1, 3, 3])] })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('[1, 1, 2, 2]') }),
    );
  });

  it('an op without a vjp is NO_GRADIENT; an unknown op is UNKNOWN_OPERATOR', () => {
    const noVjp = [...OPS_BY_NAME.values()].find((op) => !op.vjp);
    if (noVjp) expect(() => vjpOperator({ ...base, name: noVjp.name, attributes: {}, weights: {}, gradOutputs: [] })).toThrow(expect.objectContaining({ code: 'NO_GRADIENT' }));
    expect(() => vjpOperator({ ...base, name: 'conv3d', attributes: {}, weights: {}, gradOutputs: [] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_OPERATOR' }));
  });
});
