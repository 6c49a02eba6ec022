/**
 * innerCallFacts (src/conventions/inner-calls.ts): a call inside a layer's module (Swin V2's
 * cpb_mlp, MViT's pools and projections) as the op convlens has for it infers it.
 */
import { describe, expect, it } from 'vitest';
import { innerCallFacts } from '../../src/conventions/inner-calls.js';
import { conv3d } from '../../src/ops/conv-nd.js';
import { linear } from '../../src/ops/linear.js';
import { errorOf } from '../helpers.js';

describe('innerCallFacts', () => {
  it('a Linear(8 → 16) on [1, 4, 8], its attrs defaulted: output [1, 4, 16], 4·8·16 = 512 MACs, weight [16, 8] and bias [16]', () => {
    const f = innerCallFacts('blk.attn.qkv', 'linear', linear, [[1, 4, 8]], { outFeatures: 16 });
    expect(f).toMatchObject({ name: 'blk.attn.qkv', family: 'linear', outputs: [[1, 4, 16]], functional: false, attrs: { outFeatures: 16, bias: true } });
    expect(f.cost.macs).toBe(512);
    expect(f.weights.map((w) => w.shape)).toEqual([[16, 8], [16]]);
  });

  it('a call its op refuses (a Conv3d on a 4-D input) is INTERNAL naming the call and the refusal, never a plain Error', () => {
    const e = errorOf(() => innerCallFacts('blk.attn.pool_q.pool', 'convNd', conv3d, [[1, 8, 4, 4]], { outChannels: 8, kernelSize: [3, 3, 3], groups: 8, bias: false }));
    expect(e.code).toBe('INTERNAL');
    expect(e.details).toMatchObject({ layer: 'blk.attn.pool_q.pool' });
    expect(e.message).toMatch(/^the call blk\.attn\.pool_q\.pool \(conv3d\) inside the layer, counted for a convention, was refused \(\w+: /);
  });
});
