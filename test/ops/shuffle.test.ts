import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';
import { iota, run } from './op-helpers.js';

describe('channelShuffle', () => {
  it('channelShuffle keeps the shape and costs nothing', () => {
    const l = layer(analyze(net([1, 9, 2, 2], { op: 'channelShuffle', groups: 3 })), 'l0');
    expect(l.outputShape).toEqual([1, 9, 2, 2]);
    expect(l.flops).toBe(0);
  });
});

// found by the differential run against PyTorch: ranks other than 4 were refused (RANK_MISMATCH)
describe('channelShuffle over any rank ≥ 3, as nn.ChannelShuffle', () => {
  it('channelShuffle x=[1, 6, 2] groups=3 (iota): F.channel_shuffle gives channels 0, 2, 4, 1, 3, 5', () => {
    expect(run('channelShuffle', [[[1, 6, 2], iota(12)]], { groups: 3 })).toEqual([{ shape: [1, 6, 2], data: [0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11] }]);
  });

  it('channelShuffle x=[1, 6, 1] groups=2 (iota): [0, 3, 1, 4, 2, 5]', () => {
    expect(run('channelShuffle', [[[1, 6, 1], iota(6)]], { groups: 2 })).toEqual([{ shape: [1, 6, 1], data: [0, 3, 1, 4, 2, 5] }]);
  });

  it('channelShuffle x=[1, 4, 1, 2, 2] groups=2 (iota): channels 0, 2, 1, 3', () => {
    expect(run('channelShuffle', [[[1, 4, 1, 2, 2], iota(16)]], { groups: 2 })).toEqual([
      { shape: [1, 4, 1, 2, 2], data: [0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15] },
    ]);
  });

  it('channelShuffle x=[2, 6] groups=2 is RANK_MISMATCH at inputs (PyTorch: channel_shuffle expects input with > 2 dims)', () => {
    const e = errorOf(() => analyze(net([2, 6], { op: 'channelShuffle', groups: 2 })));
    expect(e.code).toBe('RANK_MISMATCH');
  });
});
