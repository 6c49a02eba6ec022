import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { scaledError } from '../helpers.js';

interface Wire {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  training: boolean;
  inputs: Wire[];
  weights: Record<string, Wire>;
  outputs: Wire[];
}

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/operators/goldens.json', import.meta.url), 'utf8')) as { cases: Case[] };
const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));


describe('every operator against PyTorch (scripts/operator_goldens.py): max abs error ≤ 1e-5 of the output scale', () => {
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
