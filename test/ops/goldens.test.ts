import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';
import { GOLDEN_CASES, type Wire } from './golden-cases.js';

const cases = GOLDEN_CASES;
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));


describe('every operator against PyTorch (scripts/operator_goldens.py and scripts/goldens_*.py): max abs error ≤ 1e-5 of the output scale', () => {
  // that every operator has goldens (or a stated exemption) is test/ops/registry.test.ts
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const res = runOperator({
      name: c.op,
      inputs: c.inputs.map(t),
      attributes: c.attributes,
      weights: Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, t(w)])),
      training: c.training,
      seed: 0,
      maxElements: 1 << 24,
    });
    expect(res.outputs.length).toBe(c.outputs.length);
    c.outputs.forEach((want, i) => {
      expect(res.outputs[i].shape).toEqual(want.shape);
      expect(scaledError(res.outputs[i].data, want.data)).toBeLessThanOrEqual(1e-5);
    });
    expect(res.layer.outputShape).toEqual(c.outputs[0].shape);
  });
});
