/**
 * Issue 9, defect 10: sizes are bounded at inference as they are at run time. Every count a report
 * holds is exact (at most 2^53: elements, MACs, FLOPs, bytes, and their totals), so never null in JSON; a dimension over
 * MAX_DIM (2^24, the largest an attribute may give) is refused where an attribute makes the tensor
 * grow, and allowed where a layer only re-views or gathers elements it has (flatten, concat).
 */
import { describe, expect, it } from 'vitest';
import { checkSizes } from '../../src/analysis/infer.js';
import { ConvlensError } from '../../src/errors.js';
import type { ErrorCode, ErrorDetails } from '../../src/errors.js';
import { MAX_DIM } from '../../src/ops/geometry.js';
import type { Inferred } from '../../src/ops/types.js';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, net } from '../helpers.js';

describe('sizes over the bounds: 400 SIZE_TOO_LARGE naming the layer', () => {
  it('upsample scaleFactor 1e300 on [1, 1, 4, 4]: at $.layers[0] (the report used to say macs: null)', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 4], { op: 'upsample', scaleFactor: 1e300 })));
    expect(e.code).toBe('SIZE_TOO_LARGE');
    expect(e.status).toBe(400);
    expect(e.details).toMatchObject({ layer: 'l0', path: '$.layers[0]' });
  });

  it('upsample scaleFactor 1e300 and 1e308 on [1, 3, 32, 32]: the messages give magnitudes, never Infinity (they said "has Infinity elements", "[1, 4, Infinity, Infinity] … not an integer")', () => {
    const big = errorOf(() => analyze(net([1, 3, 32, 32], { op: 'upsample', scaleFactor: 1e300 })));
    expect(big.message).toBe("layer 'l0': output shape [1, 3, 3.20e+301, 3.20e+301] has over 1.8e+308 elements, more than convlens counts exactly (2^53)");
    const past = errorOf(() => analyze(net([1, 3, 32, 32], { op: 'upsample', scaleFactor: 1e308 })));
    expect(past).toMatchObject({ code: 'SIZE_TOO_LARGE', message: "layer 'l0': output shape [1, 3, over 1.8e+308, over 1.8e+308]: dimension 2 is past any size convlens can count" });
  });

  it(`upsample scaleFactor 2^23 on [1, 1, 4, 4]: 2^25 rows, over MAX_DIM ${MAX_DIM}`, () => {
    expect(errorOf(() => analyze(net([1, 1, 4, 4], { op: 'upsample', scaleFactor: 2 ** 23 }))).code).toBe('SIZE_TOO_LARGE');
  });

  it('pad [0, 2^30] on [4]: a 2^30 + 4 dimension grown by an attribute', () => {
    expect(errorOf(() => analyze(net([4], { op: 'pad', pads: [0, 2 ** 30] }))).code).toBe('SIZE_TOO_LARGE');
  });

  it('conv2d of 65536 kernels 3×3 over [1, 4096, 4096, 4096]: 2^52·9 MACs, over 2^53', () => {
    const e = errorOf(() => analyze(net([1, 4096, 4096, 4096], { op: 'conv2d', outChannels: 65_536, kernelSize: 3, padding: 1 })));
    expect(e.code).toBe('SIZE_TOO_LARGE');
    expect(e.message).toMatch(/macs/);
  });

  it('relu on [2^20, 2^10, 2^10, 2^10] (2^50 elements): its 2·2^50 elements of memory access are 2^53 bytes at float32, past exact: at $.layers[0] (it reported 31525197391593470 for 28·2^50 bytes); at int8 2^51 bytes pass', () => {
    const shape = [2 ** 20, 2 ** 10, 2 ** 10, 2 ** 10];
    const e = errorOf(() => analyze(net(shape, { op: 'relu' })));
    expect([e.code, e.details.path, e.message]).toEqual(['SIZE_TOO_LARGE', '$.layers[0]', "layer 'l0': its memory access (4 bytes × 2251799813685248 elements): 9.01e+15 is more than convlens counts exactly (2^53)"]);
    expect(analyze(net(shape, { op: 'relu' }), { dtype: 'int8' }).totals.memoryAccess.bytes).toBe(2 ** 51);
  });

  it('layers each under 2^53 whose sum is not: six relus of 2^50 elements at int8 (6·2^51 bytes) are SIZE_TOO_LARGE at $', () => {
    const relus = Array.from({ length: 6 }, () => ({ op: 'relu' }));
    const e = errorOf(() => analyze(net([2 ** 20, 2 ** 10, 2 ** 10, 2 ** 10], ...relus), { dtype: 'int8' }));
    expect([e.code, e.details.path, e.message]).toEqual(['SIZE_TOO_LARGE', '$', "the network's memory access: 1.35e+16 is more than convlens counts exactly (2^53)"]);
  });

  it('an input [2^24, 2^24, 2^24, 2^24] (2^96 elements): at $.inputs[0]', () => {
    const e = errorOf(() => analyze(net([2 ** 24, 2 ** 24, 2 ** 24, 2 ** 24], { op: 'relu' })));
    expect(e.code).toBe('SIZE_TOO_LARGE');
    expect(e.details.path).toBe('$.inputs[0]');
  });
});

describe('large sizes that stay countable', () => {
  it('flatten of [1, 64, 1024, 1024]: [1, 67108864], a dimension over MAX_DIM re-viewing the input', () => {
    expect(analyze(net([1, 64, 1024, 1024], { op: 'flatten' })).layers[0].outputShape).toEqual([1, 2 ** 26]);
  });

  it('concat of two [1, 2^24] along dim 1: [1, 2^25]', () => {
    const r = analyze({ inputs: [{ name: 'a', shape: [1, 2 ** 24] }, { name: 'b', shape: [1, 2 ** 24] }], layers: [{ name: 'cat', op: 'concat', inputs: ['a', 'b'] }] });
    expect(r.layers[0].outputShape).toEqual([1, 2 ** 25]);
  });

  it('conv2d of 4096 kernels 3×3 over [1, 4096, 4096, 4096]: 2^48·9 MACs, counted exactly', () => {
    const r = analyze(net([1, 4096, 4096, 4096], { op: 'conv2d', outChannels: 4096, kernelSize: 3, padding: 1, bias: false }));
    expect(r.totals.macs).toBe(2 ** 48 * 9);
  });
});

// found by a hunt: multiscaleAttention with relPos sizes rel_pos_h/_w 2·max(⌊S/s_q⌋, ⌊S/s_kv⌋) − 1 rows,
// −1 when both strides exceed the grid's side (S = 2, strides 4); PyTorch's nn.Parameter(torch.zeros(-1, 4))
// raises "Trying to create tensor with negative dimension -1: [-1, 4]". The analysis answered 200 with
// params 632 (the tables counted −4), the operator call 500 (RangeError: Invalid typed array length: -4)
describe('a weight whose attributes make a size negative: 400 NON_POSITIVE_SIZE naming the layer', () => {
  const attn = { op: 'multiscaleAttention', inputSize: [1, 2, 2], numHeads: 2, kernelQ: [3, 3, 3], kernelKv: [3, 3, 3], strideQ: [1, 4, 4], strideKv: [1, 4, 4], relPos: true };

  // the op refuses it itself (multiscale-attention.ts), before infer's check of every weight's shape
  it('multiscaleAttention relPos on a 1×2×2 grid, strides [1, 4, 4]: rel_pos_h would have −1 rows; at $.layers[0].strideKv of a spec', () => {
    const e = errorOf(() => analyze(net([1, 5, 8], attn)));
    expect(e.code).toBe('NON_POSITIVE_SIZE');
    expect(e.message).toMatch(/^layer 'l0': multiscaleAttention's rel_pos_h and rel_pos_w would have 2·max\(⌊2\/4⌋, ⌊2\/4⌋\) − 1 = -1 rows/);
    expect(e.details).toMatchObject({ layer: 'l0', path: '$.layers[0].strideKv' });
  });

  it('the same as an operator call: NON_POSITIVE_SIZE at $.attributes.strideKv, not a RangeError', () => {
    const { op, ...attributes } = attn;
    const e = errorOf(() => runOperator({ name: op, inputs: [tensor([1, 5, 8], new Float32Array(40).fill(0.5))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 }));
    expect(e.code).toBe('NON_POSITIVE_SIZE');
    expect(e.details).toMatchObject({ path: '$.attributes.strideKv' });
  });

  it('strides [1, 2, 2] on the same grid (⌊2/2⌋ = 1): tables of 1 row, as PyTorch builds them', () => {
    expect(analyze(net([1, 5, 8], { ...attn, strideQ: [1, 2, 2], strideKv: [1, 2, 2] })).outputs[0].shape).toEqual([1, 2, 8]);
  });
});

describe('checkSizes: weights sized by attributes (a guard behind every op’s own refusal)', () => {
  const fail = (code: ErrorCode, message: string, _field?: unknown, details: ErrorDetails = {}): never => {
    throw new ConvlensError(code, message, details);
  };
  const inferred = (weight: number[]): Inferred => ({ outputs: [[1, 4, 8, 8]], weights: [{ name: 'rel_pos_h', shape: weight }], cost: { macs: 0 }, plan: null }) as unknown as Inferred;

  it("a weight [-3, 16] (2·⌊S/s⌋ − 1 rows with S < s, as MViT's tables): 400 NON_POSITIVE_SIZE naming the weight and its shape", () => {
    const e = errorOf(() => checkSizes(inferred([-3, 16]), [[1, 4, 8, 8]], fail));
    expect(e).toMatchObject({ code: 'NON_POSITIVE_SIZE', status: 400, message: "weight 'rel_pos_h' would be [-3, 16]: these attributes and input shapes make one of its sizes negative (PyTorch cannot create it)" });
    expect(e.details.shapes).toEqual({ rel_pos_h: [-3, 16] });
  });

  it('a weight [2.5, 16]: 400 INVALID_ATTRIBUTE (a size that is not an integer); [0, 16] and [7, 16] pass', () => {
    expect(errorOf(() => checkSizes(inferred([2.5, 16]), [[1, 4, 8, 8]], fail)).code).toBe('INVALID_ATTRIBUTE');
    expect(() => checkSizes(inferred([0, 16]), [[1, 4, 8, 8]], fail)).not.toThrow();
    expect(() => checkSizes(inferred([7, 16]), [[1, 4, 8, 8]], fail)).not.toThrow();
  });
});
