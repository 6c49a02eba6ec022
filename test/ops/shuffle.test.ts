import { describe, expect, it } from 'vitest';
import { analyze, layer, net } from '../helpers.js';

describe('channelShuffle', () => {
  it('channelShuffle keeps the shape and costs nothing', () => {
    const l = layer(analyze(net([1, 9, 2, 2], { op: 'channelShuffle', groups: 3 })), 'l0');
    expect(l.outputShape).toEqual([1, 9, 2, 2]);
    expect(l.flops).toBe(0);
  });
});
