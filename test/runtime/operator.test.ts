/**
 * An operator call's errors at the request's own paths (runtime/operator.ts atRequestPaths): the
 * call is a one-layer graph whose layer is at `$`, so a weight over MAX_TENSOR_ELEMENTS that the
 * layer needs was found "at the layer", `$`, the whole request. It is the request's
 * `$.weights.<role>`, seeded or given; an output is at the field that set its size: the call's
 * `$.attributes`, or its `$.inputs` when it gives no attributes.
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const call = (name: string, shape: number[], attributes: Record<string, unknown>, weights: OperatorCall['weights'] = {}): OperatorCall => ({
  name,
  inputs: [tensor(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0.5))],
  attributes,
  weights,
  training: false,
  seed: 0,
  maxElements: 1000,
});

describe('TENSOR_TOO_LARGE of an operator call names the tensor at its request path (a weight was at $)', () => {
  it.each([
    ['conv2d, a seeded 64×1×5×5 weight', '$.weights.weight', { weight: [64, 1, 5, 5] }, call('conv2d', [1, 1, 8, 8], { outChannels: 64, kernelSize: 5 })],
    ['conv2d, a seeded 16×16×4×4 weight', '$.weights.weight', { weight: [16, 16, 4, 4] }, call('conv2d', [1, 16, 4, 4], { outChannels: 16, kernelSize: 4 })],
    ['linear, a seeded 2000×4 weight', '$.weights.weight', { weight: [2000, 4] }, call('linear', [1, 4], { outFeatures: 2000 })],
  ])('%s: at %s, its shape under its role', (_, path, shapes, c) => {
    const e = errorOf(() => runOperator(c));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(e.details).toMatchObject({ path, layer: c.name, shapes });
  });

  it('the weight\'s other errors keep their paths: a given weight of the wrong shape is at $.weights.weight as before', () => {
    const e = errorOf(() => runOperator(call('conv2d', [1, 1, 8, 8], { outChannels: 2, kernelSize: 3 }, { weight: tensor([2, 1, 2, 2], new Array(8).fill(1)) })));
    expect(e.details.path).toBe('$.weights.weight');
  });

  it('an output over the limit (upsample ×8 of 8×8 to 64×64): at $.attributes, which set its size (it was at the call, $)', () => {
    const e = errorOf(() => runOperator(call('upsample', [1, 1, 8, 8], { scaleFactor: 8 })));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(e.details).toMatchObject({ path: '$.attributes', layer: 'upsample', shapes: { output: [1, 1, 64, 64] } });
  });

  it('an output over the limit with no attributes (add of [1, 40] and [40, 1] broadcast to [40, 40]): at $.inputs, whose shapes set it', () => {
    const ones = (shape: number[]) => tensor(shape, new Array(40).fill(1));
    const e = errorOf(() => runOperator({ ...call('add', [1, 40], {}), inputs: [ones([1, 40]), ones([40, 1])] }));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(e.details).toMatchObject({ path: '$.inputs', layer: 'add', shapes: { output: [40, 40] } });
  });
});
