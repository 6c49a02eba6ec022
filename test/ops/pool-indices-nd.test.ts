/**
 * Max pooling's indices over 1 and 3 axes (src/ops/pool-nd.ts maxPool1d/3d returnIndices) and max
 * unpooling there (src/ops/pool-unpool-nd.ts maxUnpool1d/3d), as the 2-D ones: hand-worked arrays
 * first, then NaN and −∞ edges against PyTorch 1.13 (scripts/goldens_pool_indices_nd.py; its
 * finite cases and gradients run in test/ops/goldens.test.ts and vjp.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { vjpOperator } from '../../src/runtime/vjp-operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { goldenNumber, run, type MaxPoolEdge } from './op-helpers.js';

const { edges } = JSON.parse(readFileSync(new URL('../fixtures/operators/pool_indices_nd.json', import.meta.url), 'utf8')) as { edges: MaxPoolEdge[] };
const num = goldenNumber;

const grad = (name: string, shape: number[], x: number[], attributes: Record<string, unknown>, gShape: number[], g: number[]) =>
  Array.from(
    vjpOperator({
      name,
      inputs: [tensor(shape, Float32Array.from(x))],
      attributes,
      weights: {},
      training: false,
      seed: 0,
      maxElements: 1 << 20,
      gradOutputs: [tensor(gShape, Float32Array.from(g)), ...(attributes.returnIndices ? [null] : [])],
    }).gradInputs[0]!.data,
  );

describe('maxPool1d/3d returnIndices: flat offsets in each (n, c) plane, as PyTorch', () => {
  it('maxPool1d [1,5,2,8,3,0] k=2 → values [5, 8, 3], indices [1, 3, 4]', () => {
    const [y, idx] = run('maxPool1d', [[[1, 1, 6], [1, 5, 2, 8, 3, 0]]], { kernelSize: 2, returnIndices: true });
    expect(y).toEqual({ shape: [1, 1, 3], data: [5, 8, 3] });
    expect(idx).toEqual({ shape: [1, 1, 3], data: [1, 3, 4] });
  });

  it('maxPool1d k=3 s=1 over ties [2, 2, 1, 2, 2, 0]: the first of equal maxima, [0, 1, 3, 3]', () => {
    expect(run('maxPool1d', [[[1, 1, 6], [2, 2, 1, 2, 2, 0]]], { kernelSize: 3, stride: 1, returnIndices: true })[1].data).toEqual([0, 1, 3, 3]);
  });

  it('maxPool3d k=(1,2,2) on a 2×2×2 volume of 0…7 with 7 and 0 swapped: slice 0 → 7 at 0, slice 1 → 6 at t·H·W + h·W + w = 4 + 2 = 6; k=2 → 7 at 0', () => {
    const x: [number[], number[]] = [[1, 1, 2, 2, 2], [7, 1, 2, 3, 4, 5, 6, 0]];
    const [y, idx] = run('maxPool3d', [x], { kernelSize: [1, 2, 2], returnIndices: true });
    expect([y.data, idx.data, idx.shape]).toEqual([[7, 6], [0, 6], [1, 1, 2, 1, 1]]);
    expect(run('maxPool3d', [x], { kernelSize: 2, returnIndices: true })[1].data).toEqual([0]);
  });

  it('two planes [2, 1, 4]: each counts from 0 in its own plane ([1, 2] both), or with indicesOver tensor from its plane\'s start ([1, 2], [5, 6])', () => {
    const x: [number[], number[]] = [[2, 1, 4], [0, 9, 9, 0, 0, 9, 9, 0]];
    expect(run('maxPool1d', [x], { kernelSize: 2, returnIndices: true })[1].data).toEqual([1, 2, 1, 2]);
    expect(run('maxPool1d', [x], { kernelSize: 2, returnIndices: true, indicesOver: 'tensor' })[1].data).toEqual([1, 2, 5, 6]);
  });

  it.each(edges.map((e) => [e.name, e] as const))('PyTorch edge: %s', (_, e) => {
    const [y, idx] = run(e.op, [[e.input.shape, e.input.data.map(num)]], e.attributes);
    expect(y.shape).toEqual(e.values.shape);
    expect(y.data).toEqual(e.values.data.map(num));
    expect(idx.data).toEqual(e.indices);
  });

  it('an unbatched [C, L] sample: values and indices [C, L\']; [2, 6] k=3 → [[2], [5]] and [[1], [0]]', () => {
    const [y, idx] = run('maxPool1d', [[[2, 6], [0, 2, 1, 1, 1, 1, 5, 0, 0, 0, 0, 0]]], { kernelSize: 3, stride: 3, returnIndices: true });
    expect([y.shape, idx.shape, y.data, idx.data]).toEqual([[2, 2], [2, 2], [2, 1, 5, 0], [1, 3, 0, 3]]);
  });

  it('shape, comparisons and field as without indices; memory writes both outputs: [1,2,4,6,6] k=2 → 2·(2·3·3) = 36 outputs each, 288 read + 72 written', () => {
    const plain = layer(analyze(net([1, 2, 4, 6, 6], { op: 'maxPool3d', kernelSize: 2 })), 'l0');
    const both = layer(analyze(net([1, 2, 4, 6, 6], { op: 'maxPool3d', kernelSize: 2, returnIndices: true })), 'l0');
    expect(both.outputShape).toEqual([1, 2, 2, 3, 3]);
    expect([both.flopsByConvention['2macs'], both.receptiveField]).toEqual([plain.flopsByConvention['2macs'], plain.receptiveField]);
    expect(both.flopsByConvention['2macs']).toBe(36 * 7);
    expect(both.memoryAccess.elements).toMatchObject({ inputs: 288, outputs: 2 * 36, total: 288 + 2 * 36 });
    expect(plain.memoryAccess.elements).toMatchObject({ inputs: 288, outputs: 36, total: 288 + 36 });
  });

  it('the VJP reads the forward\'s indices: x [1, NaN, 2, NaN, 0.5, −1] k=6, g 5 → ∂x 5 at the last NaN (3), as without returnIndices', () => {
    const x = [1, NaN, 2, NaN, 0.5, -1];
    for (const returnIndices of [false, true]) expect(grad('maxPool1d', [1, 1, 6], x, { kernelSize: 6, returnIndices }, [1, 1, 1], [5])).toEqual([0, 0, 0, 5, 0, 0]);
  });
});

describe('maxUnpool1d/3d: values back at their plane offsets, zeros elsewhere', () => {
  it('maxUnpool1d of maxPool1d k=2 on [1, 5, 2, 8, 3, 0]: [0, 5, 0, 8, 3, 0]; ∂x gathers g at the indices', () => {
    const [y, idx] = run('maxPool1d', [[[1, 1, 6], [1, 5, 2, 8, 3, 0]]], { kernelSize: 2, returnIndices: true });
    expect(run('maxUnpool1d', [[y.shape, y.data], [idx.shape, idx.data]], { kernelSize: 2 })[0]).toEqual({ shape: [1, 1, 6], data: [0, 5, 0, 8, 3, 0] });
    const gx = vjpOperator({
      name: 'maxUnpool1d',
      inputs: [tensor(y.shape, Float32Array.from(y.data)), tensor(idx.shape, Float32Array.from(idx.data))],
      attributes: { kernelSize: 2 },
      weights: {},
      training: false,
      seed: 0,
      maxElements: 1 << 20,
      gradOutputs: [tensor([1, 1, 6], Float32Array.from([10, 11, 12, 13, 14, 15]))],
    }).gradInputs;
    expect([Array.from(gx[0]!.data), gx[1]]).toEqual([[11, 13, 14], null]);
  });

  it('maxUnpool3d k=2 of a 1×1×1 input, index 7 → a 2×2×2 volume with the value at its far corner (t, h, w) = (1, 1, 1)', () => {
    expect(run('maxUnpool3d', [[[1, 1, 1, 1, 1], [4]], [[1, 1, 1, 1, 1], [7]]], { kernelSize: 2 })[0]).toEqual({ shape: [1, 1, 2, 2, 2], data: [0, 0, 0, 0, 0, 0, 0, 4] });
  });

  it('output (I − 1)·s − 2p + k per axis: [1,4,3,5,6] k=(2,3,3) s=(2,2,2) p=(0,1,1) → [1,4,6,9,11]; no arithmetic', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 4, 6, 10, 12] }],
      layers: [
        { name: 'pool', op: 'maxPool3d', kernelSize: [2, 3, 3], stride: 2, padding: [0, 1, 1], returnIndices: true },
        { name: 'unpool', op: 'maxUnpool3d', inputs: ['pool', 'pool:1'], kernelSize: [2, 3, 3], stride: 2, padding: [0, 1, 1] },
      ],
    });
    expect(layer(r, 'pool').outputShape).toEqual([1, 4, 3, 5, 6]);
    const u = layer(r, 'unpool');
    // (3 − 1)·2 + 2 = 6; (5 − 1)·2 − 2 + 3 = 9; (6 − 1)·2 − 2 + 3 = 11
    expect([u.outputShape, u.flopsByConvention['2macs'], u.params]).toEqual([[1, 4, 6, 9, 11], 0, 0]);
  });

  it("receptive field: maxUnpool3d after maxPool3d k=2 is maxUnpool2d's after maxPool2d on each axis (size 3, stride 1, padding 1)", () => {
    const field = (shape: number[], rank: number) =>
      layer(
        analyze({
          inputs: [{ name: 'x', shape }],
          layers: [
            { name: 'pool', op: `maxPool${rank}d`, kernelSize: 2, returnIndices: true },
            { name: 'unpool', op: `maxUnpool${rank}d`, inputs: ['pool', 'pool:1'], kernelSize: 2 },
          ],
        }),
        'unpool',
      ).receptiveField;
    expect(field([1, 1, 8, 8], 2)).toMatchObject({ size: [3, 3], stride: [1, 1], padding: [1, 1] });
    expect(field([1, 1, 8, 8, 8], 3)).toMatchObject({ axes: ['d', 'h', 'w'], size: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1] });
  });

  it('outputSize lies strictly within one stride of the default (PyTorch _unpool_output_size): [1,1,3] k=2 (default 6) takes 6, 7 and [1, 1, 7] (input.size()), refuses 4 and 8', () => {
    const unpool = (outputSize: unknown) => run('maxUnpool1d', [[[1, 1, 3], [5, 7, 9]], [[1, 1, 3], [1, 2, 5]]], { kernelSize: 2, outputSize });
    expect(unpool([7])[0]).toEqual({ shape: [1, 1, 7], data: [0, 5, 7, 0, 0, 9, 0] });
    expect(unpool([1, 1, 7])[0].shape).toEqual([1, 1, 7]);
    expect(unpool(6)[0].shape).toEqual([1, 1, 6]);
    for (const bad of [[4], [8]]) {
      const e = errorOf(() => unpool(bad));
      expect([e.code, e.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.attributes.outputSize']);
      expect(e.message).toContain('strictly between 4 and 8');
    }
  });

  it('an index outside the output plane is refused (PyTorch: "Found an invalid max index"), at the indices; indices of another shape too', () => {
    const e = errorOf(() => run('maxUnpool3d', [[[1, 1, 1, 1, 1], [4]], [[1, 1, 1, 1, 1], [8]]], { kernelSize: 2 }));
    expect([e.code, e.details.path]).toEqual(['INVALID_TENSOR', '$.inputs[1]']);
    expect(e.message).toContain('outside the 2×2×2 output plane');
    expect(errorOf(() => run('maxUnpool1d', [[[1, 1, 2], [4, 5]], [[1, 1, 1], [0]]], { kernelSize: 2 })).code).toBe('SHAPE_MISMATCH');
  });

  it('padding begin ≠ end (2N: [b1 … bN, e1 … eN], ONNX MaxUnpool\'s pads): output (I − 1)·s + k − pb − pe; maxUnpool1d [5, 6, 7] at [0, 1, 3], k=2, padding [1, 0] → (3 − 1)·2 + 2 − 1 = 5, [5, 6, 0, 7, 0]; maxUnpool3d padding [0, 1, 0, 0, 0, 1] of [1,1,2,2,2] k=2 → [1,1,4,3,3]', () => {
    expect(run('maxUnpool1d', [[[1, 1, 3], [5, 6, 7]], [[1, 1, 3], [0, 1, 3]]], { kernelSize: 2, padding: [1, 0] })[0]).toEqual({ shape: [1, 1, 5], data: [5, 6, 0, 7, 0] });
    const x: [number[], number[]] = [[1, 1, 2, 2, 2], Array(8).fill(1)];
    expect(run('maxUnpool3d', [x, [[1, 1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]]], { kernelSize: 2, padding: [0, 1, 0, 0, 0, 1] })[0].shape).toEqual([1, 1, 4, 3, 3]);
    expect(errorOf(() => run('maxUnpool1d', [[[1, 1, 3], [5, 6, 7]], [[1, 1, 3], [0, 1, 3]]], { kernelSize: 2, padding: [1, 0, 0] })).code).toBe('SPEC_INVALID');
  });

  it('a default below 1 is refused at the padding without an outputSize (torch 1.13 returns a [1, 1, 0] tensor); an outputSize within one stride of it is taken (torch 1.13: k=2, s=2, padding 1 of [5], output_size [1] → [5])', () => {
    const one = (attrs: Record<string, unknown>) => run('maxUnpool1d', [[[1, 1, 1], [5]], [[1, 1, 1], [0]]], { kernelSize: 2, padding: 1, ...attrs });
    const e = errorOf(() => one({}));
    expect([e.code, e.details.path, e.message]).toEqual(['NON_POSITIVE_SIZE', '$.attributes.padding', "layer 'maxUnpool1d': output length 0 = (1 − 1)·2 − 1 − 1 + 2 is not positive"]);
    expect(one({ outputSize: [1] })[0]).toEqual({ shape: [1, 1, 1], data: [5] });
  });

  it('an unbatched [C, T, H, W] sample with indices of its shape: maxUnpool3d [1,1,1,1] k=2 index 2 → [1,2,2,2]', () => {
    expect(run('maxUnpool3d', [[[1, 1, 1, 1], [3]], [[1, 1, 1, 1], [2]]], { kernelSize: 2 })[0]).toEqual({ shape: [1, 2, 2, 2], data: [0, 0, 3, 0, 0, 0, 0, 0] });
  });
});

describe("maxUnpool1d/2d/3d indicesOver 'tensor': offsets over the whole N·C·… output, as ONNX MaxUnpool reads MaxPool's Indices", () => {
  const vjp = (name: string, inputs: [number[], number[]][], attributes: Record<string, unknown>, g: [number[], number[]]) =>
    vjpOperator({
      name,
      inputs: inputs.map(([s, d]) => tensor(s, Float32Array.from(d))),
      attributes,
      weights: {},
      training: false,
      seed: 0,
      maxElements: 1 << 20,
      gradOutputs: [tensor(g[0], Float32Array.from(g[1]))],
    }).gradInputs;

  it('maxUnpool2d k=2 of [2, 1, 1, 1] = [4, 6] at tensor offsets [3, 5] → [0, 0, 0, 4 | 0, 6, 0, 0]; ∂x gathers g there, [13, 15]; as plane offsets 5 is outside the 2×2 plane', () => {
    const inputs: [number[], number[]][] = [[[2, 1, 1, 1], [4, 6]], [[2, 1, 1, 1], [3, 5]]];
    expect(run('maxUnpool2d', inputs, { kernelSize: 2, indicesOver: 'tensor' })[0]).toEqual({ shape: [2, 1, 2, 2], data: [0, 0, 0, 4, 0, 6, 0, 0] });
    const gx = vjp('maxUnpool2d', inputs, { kernelSize: 2, indicesOver: 'tensor' }, [[2, 1, 2, 2], [10, 11, 12, 13, 14, 15, 16, 17]]);
    expect([Array.from(gx[0]!.data), gx[1]]).toEqual([[13, 15], null]);
    expect(errorOf(() => run('maxUnpool2d', inputs, { kernelSize: 2 })).message).toContain('= 5 is outside the 2×2 output plane');
  });

  it('maxUnpool1d k=2 of [1, 2, 2] = [5, 7 | 9, 8] at tensor offsets [1, 2, 4, 7] → [0, 5, 7, 0 | 9, 0, 0, 8]; offset 8 is outside the 1×2×4 output', () => {
    const x: [number[], number[]] = [[1, 2, 2], [5, 7, 9, 8]];
    expect(run('maxUnpool1d', [x, [[1, 2, 2], [1, 2, 4, 7]]], { kernelSize: 2, indicesOver: 'tensor' })[0]).toEqual({ shape: [1, 2, 4], data: [0, 5, 7, 0, 9, 0, 0, 8] });
    const e = errorOf(() => run('maxUnpool1d', [x, [[1, 2, 2], [1, 2, 4, 8]]], { kernelSize: 2, indicesOver: 'tensor' }));
    expect([e.code, e.details.path]).toEqual(['INVALID_TENSOR', '$.inputs[1]']);
    expect(e.message).toContain('= 8 is outside the 1×2×4 output');
  });

  it('maxUnpool3d k=2 of [2, 1, 1, 1, 1] = [3, 4] at tensor offsets [0, 15] → the first corner of volume 0, the last of volume 1', () => {
    const out = run('maxUnpool3d', [[[2, 1, 1, 1, 1], [3, 4]], [[2, 1, 1, 1, 1], [0, 15]]], { kernelSize: 2, indicesOver: 'tensor' })[0];
    expect(out).toEqual({ shape: [2, 1, 2, 2, 2], data: [3, ...Array(14).fill(0), 4] });
  });

  it("a third input's values give the output's whole shape (ONNX output_shape): [1, 1, 7] for [1, 1, 3] k=2 (default 6), as outputSize [7]; N or C other than x's is a shape mismatch", () => {
    const inputs: [number[], number[]][] = [[[1, 1, 3], [5, 7, 9]], [[1, 1, 3], [1, 2, 5]]];
    expect(run('maxUnpool1d', [...inputs, [[3], [1, 1, 7]]], { kernelSize: 2 })[0]).toEqual({ shape: [1, 1, 7], data: [0, 5, 7, 0, 0, 9, 0] });
    expect(errorOf(() => run('maxUnpool1d', [...inputs, [[3], [1, 2, 7]]], { kernelSize: 2 })).code).toBe('SHAPE_MISMATCH');
  });
});
