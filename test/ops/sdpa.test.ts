/**
 * scaledDotProductAttention (src/ops/sdpa.ts) called by name, as /v1/operators and a JSON spec
 * reach it: attributes that say something about an input that is not there are refused.
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const call = (inputs: ReturnType<typeof tensor>[], attributes: Record<string, unknown>) => runOperator({ name: 'scaledDotProductAttention', inputs, attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });
// one head, q = k = v = [[3], [6], [9]], scale 1e-30: equal weights, each row the mean of the values it sees
const x = () => tensor([1, 1, 3, 1], [3, 6, 9]);

describe('scaledDotProductAttention by name', () => {
  it('without a mask, each query averages every key (6, 6, 6); with a boolean mask [1, 1, 0] the first two (4.5)', () => {
    expect(Array.from(call([x(), x(), x()], { scale: 1e-30 }).outputs[0].data)).toEqual([6, 6, 6]);
    expect(Array.from(call([x(), x(), x(), tensor([1, 3], [1, 1, 0])], { scale: 1e-30, boolMask: true }).outputs[0].data)).toEqual([4.5, 4.5, 4.5]);
  });

  // PyTorch's attn_mask broadcasts (ONNX's pads a shorter last dim: padMask, which the ONNX importer sets)
  it('a mask of last dim 1 broadcasts over the keys (6, 6, 6); with padMask it is key 0 alone (3, 3, 3)', () => {
    expect(Array.from(call([x(), x(), x(), tensor([3, 1], [0, 0, 0])], { scale: 1e-30 }).outputs[0].data)).toEqual([6, 6, 6]);
    expect(Array.from(call([x(), x(), x(), tensor([3, 1], [0, 0, 0])], { scale: 1e-30, padMask: true }).outputs[0].data)).toEqual([3, 3, 3]);
  });

  // boolMask read the missing mask as 0 (false) at every key: every key hidden, a 200 of zeros
  it('boolMask with no mask input (3 inputs) is INVALID_ATTRIBUTE at boolMask, not every key hidden (zeros)', () => {
    const e = errorOf(() => call([x(), x(), x()], { scale: 1e-30, boolMask: true }));
    expect([e.code, e.details.path, e.message]).toEqual(['INVALID_ATTRIBUTE', '$.attributes.boolMask', "layer 'scaledDotProductAttention': boolMask says the mask (input 3) is boolean, but there is no mask: give one, or leave boolMask out"]);
  });
});
