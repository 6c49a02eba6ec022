/**
 * Issue 9, defect 9: integer parameters (shapes, sizes, starts, pads, axes, indices) are integers,
 * and indices lie within their axis: [−dim, dim − 1], negative counting from the end (ONNX
 * Gather). Checked at inference when the values are known (attributes, constant inputs) and in
 * the kernel when they are data; kernel errors name the layer and its path.
 */
import { describe, expect, it } from 'vitest';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import { run } from './op-helpers.js';

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };

describe('gather indices within their axis', () => {
  // x = [[0, 1], [2, 3], [4, 5]]
  it.each([
    ['3 on axis 0 of size 3', [3], 0],
    ['−4 on axis 0 of size 3', [-4], 0],
    ['2 on axis 1 of size 2', [2], 1],
    ['0.5 (not an integer)', [0.5], 0],
  ])('known index %s: INVALID_ATTRIBUTE at inference (it used to return the next row)', (_, indices, axis) => {
    const e = errorOf(() => run('gather', [[[3, 2], iota(6)], [[indices.length], indices]], { axis }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain(`indices[0] = ${indices[0]} is`);
  });

  it('known indices −1 and 0 on axis 0: the last row, then the first', () => {
    expect(run('gather', [[[3, 2], iota(6)], [[2], [-1, 0]]])).toEqual([{ shape: [2, 2], data: [4, 5, 0, 1] }]);
  });

  const graph = parseNetworkSpec({
    inputs: [
      { name: 'x', shape: [3, 2] },
      { name: 'idx', shape: [2] },
    ],
    layers: [{ name: 'g', op: 'gather', inputs: ['x', 'idx'] }],
  });
  const x = tensor([3, 2], iota(6));

  it.each([
    [[0, 3], 3],
    [[-4, 0], -4],
    [[1.5, 0], 1.5],
  ])('indices %j as data (a graph input): INVALID_TENSOR from the kernel naming index %d, layer g at its indices, $.layers[0].inputs[1]', (indices, bad) => {
    const e = errorOf(() => runGraph(graph, { x, idx: tensor([2], indices) }, OPTS));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.details).toMatchObject({ layer: 'g', path: '$.layers[0].inputs[1]' });
    expect(e.message).toContain(`indices[${indices.indexOf(bad)}] = ${bad} is`);
  });

  it('indices [-1, 1] as data: rows 2 and 1', () => {
    expect(Array.from(runGraph(graph, { x, idx: tensor([2], [-1, 1]) }, OPTS).outputs.g.data)).toEqual([4, 5, 2, 3]);
  });
});

describe('integer parameters from constant inputs are integers', () => {
  it.each([
    ['reshape', 'shape', [[[2, 4], iota(8)], [[2], [0.5, 16]]]],
    ['slice', 'starts', [[[6], iota(6)], [[1], [1.5]], [[1], [4]]]],
    ['slice', 'steps', [[[6], iota(6)], [[1], [1]], [[1], [4]], [[1], [0]], [[1], [1.5]]]],
    ['pad', 'pads', [[[4], iota(4)], [[2], [0.5, 0.5]]]],
    ['reduceMean', 'axes', [[[2, 3], iota(6)], [[1], [0.5]]]],
    ['expand', 'shape', [[[1, 2], [1, 2]], [[2], [2.5, 2]]]],
    ['split', 'split', [[[4], iota(4)], [[2], [1.5, 2.5]]]],
    ['unsqueeze', 'axes', [[[2], [1, 2]], [[1], [0.5]]]],
    ['resize', 'sizes', [[[1, 1, 2, 2], iota(4)], [[0], []], [[0], []], [[4], [1, 1, 2.5, 4]]]],
  ] as [string, string, [number[], number[]][]][])('%s with a fractional %s from a constant input: INVALID_ATTRIBUTE naming it (not nonsense, not a 500)', (op, field, inputs) => {
    const e = errorOf(() => run(op, inputs));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain(field);
  });

  it('reshape by a constant [2, 4] and slice [1:4:2]: integers given as float values still work', () => {
    expect(run('reshape', [[[8], iota(8)], [[2], [2, 4]]])[0].shape).toEqual([2, 4]);
    expect(run('slice', [[[6], iota(6)], [[1], [1]], [[1], [4]], [[1], [0]], [[1], [2]]])[0].data).toEqual([1, 3]);
  });
});
