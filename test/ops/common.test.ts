/** Helpers every op family shares (src/ops/common.ts): weight specs, rank and channel checks, parameters. */
import { describe, expect, it } from 'vitest';
import { attrOrConstant, channelVector, checkChannels, expectRank, weightAndBias } from '../../src/ops/common.js';
import { errorOf } from '../helpers.js';
import { inferContext, ints } from './op-helpers.js';

describe('weightAndBias: PyTorch init U(±1/√fan_in) with fan_in = weight.size(1)·∏kernel', () => {
  it('conv weight [8, 3, 3, 3] with bias: fan_in 3·3·3 = 27 for both', () => {
    const init = { kind: 'fanIn', fanIn: 27 };
    expect(weightAndBias([8, 3, 3, 3], 8)).toEqual([
      { name: 'weight', shape: [8, 3, 3, 3], trainable: true, init },
      { name: 'bias', shape: [8], trainable: true, init },
    ]);
  });

  it('linear weight [10, 5] without bias: one spec, fan_in 5', () => {
    expect(weightAndBias([10, 5], null)).toEqual([{ name: 'weight', shape: [10, 5], trainable: true, init: { kind: 'fanIn', fanIn: 5 } }]);
  });

  it('transposed conv weight [Cin=4, Cout/g=3, 2, 2]: fan_in = 3·2·2 = 12 (torch reads size(1)), bias over Cout', () => {
    const [w, b] = weightAndBias([4, 3, 2, 2], 6);
    expect(w.init).toEqual({ kind: 'fanIn', fanIn: 12 });
    expect(b).toEqual({ name: 'bias', shape: [6], trainable: true, init: { kind: 'fanIn', fanIn: 12 } });
  });
});

describe('channelVector: a per-channel constant (BN γ = 1, β = 0, running stats)', () => {
  it('runningVar over 4 channels: a buffer of ones', () => {
    expect(channelVector('runningVar', 4, 1, false)).toEqual({ name: 'runningVar', shape: [4], trainable: false, init: { kind: 'constant', value: 1 } });
  });

  it('bias over 2 channels: trainable zeros', () => {
    expect(channelVector('bias', 2, 0, true)).toEqual({ name: 'bias', shape: [2], trainable: true, init: { kind: 'constant', value: 0 } });
  });
});

describe('expectRank and checkChannels', () => {
  it('a [1, 3, 8] input where NCHW is needed is RANK_MISMATCH naming the shape', () => {
    const e = errorOf(() => expectRank(inferContext([[1, 3, 8]], {}), 0, 4));
    expect(e.code).toBe('RANK_MISMATCH');
    expect(e.message).toContain('[1, 3, 8]');
    expect(e.details.path).toBe('$.inputs');
  });

  it('declared inChannels 4 against 3 is CHANNEL_MISMATCH; groups 2 not dividing 3 input or 5 output channels is INVALID_ATTRIBUTE', () => {
    const ctx = inferContext([[1, 3, 8, 8]], {});
    expect(errorOf(() => checkChannels(ctx, [1, 3, 8, 8], 4, 'inChannels', 1, 8)).code).toBe('CHANNEL_MISMATCH');
    expect(errorOf(() => checkChannels(ctx, [1, 3, 8, 8], undefined, 'inChannels', 2, 8)).details.path).toBe('$.groups');
    expect(errorOf(() => checkChannels(ctx, [1, 4, 8, 8], undefined, 'inChannels', 2, 5)).message).toContain('5 output channels');
    expect(() => checkChannels(ctx, [1, 4, 8, 8], 4, 'inChannels', 2, 6)).not.toThrow();
  });
});

describe('attrOrConstant: a parameter from an attribute or a constant input', () => {
  it('the attribute wins over the input\'s value', () => {
    expect(attrOrConstant(inferContext([[6], [2]], {}, [null, ints(3, 2)]), [2, 3], 1, 'shape', true)).toEqual([2, 3]);
  });

  it('otherwise the constant input\'s value', () => {
    expect(attrOrConstant(inferContext([[6], [2]], {}, [null, ints(3, 2)]), undefined, 1, 'shape', true)).toEqual([3, 2]);
  });

  it('an input whose value is unknown is INVALID_ATTRIBUTE at that input, $.inputs[1] (an ONNX node: its input[1])', () => {
    const e = errorOf(() => attrOrConstant(inferContext([[6], [2]], {}), undefined, 1, 'shape', true));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.inputs[1]');
  });

  it('neither: required is INVALID_ATTRIBUTE at the attribute, optional is null', () => {
    expect(errorOf(() => attrOrConstant(inferContext([[6]], {}), undefined, 1, 'shape', true)).details.path).toBe('$.shape');
    expect(attrOrConstant(inferContext([[6]], {}), undefined, 1, 'axes', false)).toBeNull();
  });
});
