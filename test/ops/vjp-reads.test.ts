/**
 * OpDef.vjpReads is a promise the reverse pass relies on to drop forward tensors: an op that says
 * its VJP reads no input or output values must give the same input gradient when those values
 * are all zero. Checked on every PyTorch autograd golden of such an op (test/fixtures/vjp/).
 */
import { describe, expect, it } from 'vitest';
import { OPS_BY_NAME } from '../../src/ops/registry.js';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Wire } from './golden-cases.js';
import { VJP_CASES } from './vjp-cases.js';

const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
const zeros = (w: Wire) => tensor(w.shape, new Float32Array(w.data.length));

const declared = VJP_CASES.filter((c) => {
  const op = OPS_BY_NAME.get(c.op);
  if (!op?.vjpReads || c.training) return false;
  const reads = op.vjpReads(op.attrs.parse(c.attributes));
  return !reads.inputs && !reads.outputs;
});

describe('vjpReads: ops that promise not to read forward values give the same gradient on zeroed ones', () => {
  it('covers the shape-only ops of the reverse pass (conv, linear, batch norm on running statistics, add, pooling by averages, reshapes)', () => {
    const ops = new Set(declared.map((c) => c.op));
    for (const op of ['conv2d', 'convTranspose2d', 'linear', 'batchNorm2d', 'add', 'sub', 'concat', 'avgPool2d', 'globalAvgPool2d', 'flatten']) expect(ops, op).toContain(op);
  });

  it.each(declared.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const call = (values: 'given' | 'zero') =>
      vjpOperator({
        name: c.op,
        inputs: c.inputs.map(values === 'given' ? t : zeros),
        attributes: c.attributes,
        weights: Object.fromEntries(Object.entries(c.weights).map(([k, w]) => [k, t(w)])),
        training: false,
        seed: 0,
        maxElements: 1 << 24,
        gradOutputs: c.gradOutputs.map((g) => (g ? t(g) : null)),
      }).gradInputs;
    const real = call('given');
    const zeroed = call('zero');
    real.forEach((g, i) => expect(zeroed[i]?.data, `input ${i}`).toEqual(g?.data));
  });
});
