/**
 * An attribute whose value none of its forms takes (a union: kernelSize is a number or a pair,
 * padding a number, a pair, four numbers or a mode): the forms and the value, not zod's bare
 * "Invalid input".
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { errorOf } from '../helpers.js';

const net = (c1: Record<string, unknown>) => ({
  inputs: [{ name: 'x', shape: [1, 3, 16, 16] }],
  layers: [{ name: 'c0', op: 'relu' }, { name: 'c1', ...c1 }],
});

describe('a value none of an attribute\'s forms takes', () => {
  it.each([
    ['kernelSize "x"', { op: 'conv2d', outChannels: 8, kernelSize: 'x' }, 'kernelSize', `expected the kernel's [height, width], or one number for both; got "x"`],
    ['padding [1, 2, 3] (neither 1, 2 nor 4 numbers)', { op: 'conv2d', outChannels: 8, kernelSize: 3, padding: [1, 2, 3] }, 'padding', 'expected a non-negative integer or a pair of non-negative integers or a list of 4 non-negative integers or one of "same", "valid", "sameUpper", "sameLower"; got [1,2,3]'],
  ])('a value none of an attribute\'s forms takes, %s: the forms and the value (zod said only "Invalid input")', (_, layer, key, words) => {
    const e = errorOf(() => parseNetworkSpec(net(layer)));
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.message).toBe(`layer 'c1': ${key}: ${words}`);
    expect(e.details).toMatchObject({ path: `$.layers[1].${key}`, layer: 'c1' });
  });

});
