/**
 * Exclusive branches (analysis/branches.ts): an ifSelect whose branches' layers are listed (the
 * ONNX importer lists them; a spec may too) counts each metric at its larger branch in the totals.
 * Hand-worked on a spec: then a 1×1 conv 2→2 on [1, 2, 4, 4] (2·2·16 = 64 MACs, 128 FLOPs),
 * else two sigmoids (0 MACs, 2·4·32 = 256 FLOPs).
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../helpers.js';

const spec = (ifs: Record<string, unknown>[]) => ({
  inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'cond', shape: [1] }],
  layers: [
    { name: 'a', op: 'conv2d', inputs: ['x'], outChannels: 2, kernelSize: 1, bias: false },
    { name: 'b1', op: 'sigmoid', inputs: ['x'] },
    { name: 'b2', op: 'sigmoid', inputs: ['b1'] },
    ...ifs,
  ],
});

describe('exclusive branches in the totals', () => {
  it('then [a], else [b1, b2]: 64 MACs (max(64, 0)) and 256 FLOPs (max(128, 256)), not 64 and 384', () => {
    const r = analyze(spec([{ name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'b2'], thenLayers: ['a'], elseLayers: ['b1', 'b2'] }]));
    expect(r.totals.macs).toBe(64);
    expect(r.totals.flops).toBe(256);
    expect(r.totals.params).toBe(4);
  });

  it('no lists (or shapes that differ): both branches summed, 64 MACs and 384 FLOPs', () => {
    const r = analyze(spec([{ name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'b2'] }]));
    expect(r.totals.flops).toBe(384);
  });

  it('lists that do not describe nesting are ignored, so totals never drop below what runs: a layer in both branches, or three Ifs claiming the same layer', () => {
    const both = analyze(spec([{ name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'b2'], thenLayers: ['a', 'b1'], elseLayers: ['b1', 'b2'] }]));
    expect(both.totals.flops).toBe(384);
    const claims = ['s1', 's2', 's3'].map((name) => ({ name, op: 'ifSelect', inputs: ['cond', 'a', 'b2'], thenLayers: ['a'], elseLayers: ['b1', 'b2'] }));
    expect(analyze(spec(claims)).totals.flops).toBe(384);
  });

  it('a listed branch whose output is read outside the If (b1 also feeds a later sigmoid c) is not an alternative: summed, a 128 + b1 128 + b2 128 + c 128 = 512 FLOPs (credited, 384)', () => {
    const leaked = spec([{ name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'b2'], thenLayers: ['a'], elseLayers: ['b1', 'b2'] }, { name: 'c', op: 'sigmoid', inputs: ['b1'] }]);
    expect(analyze(leaked).totals.flops).toBe(512);
  });

  it('nested: sel (then [a], else [b1, b2]) inside the outer If\'s then branch, its else three sigmoids (384 FLOPs): the inner counts max(128, 256) = 256, the outer max(256, 384) = 384 FLOPs and max(64, 0) = 64 MACs', () => {
    const nested = spec([
      { name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'b2'], thenLayers: ['a'], elseLayers: ['b1', 'b2'] },
      { name: 'c1', op: 'sigmoid', inputs: ['x'] },
      { name: 'c2', op: 'sigmoid', inputs: ['c1'] },
      { name: 'c3', op: 'sigmoid', inputs: ['c2'] },
      { name: 'outer', op: 'ifSelect', inputs: ['cond', 'sel', 'c3'], thenLayers: ['a', 'b1', 'b2', 'sel'], elseLayers: ['c1', 'c2', 'c3'] },
    ]);
    const r = analyze(nested);
    expect([r.totals.macs, r.totals.flops]).toEqual([64, 384]);
    // an If straddling the outer's two branches describes no nesting: neither is credited, a 128 + b1, b2 256 + c1 128 FLOPs
    const straddling = spec([
      { name: 'c1', op: 'sigmoid', inputs: ['x'] },
      { name: 'sel', op: 'ifSelect', inputs: ['cond', 'a', 'c1'], thenLayers: ['a'], elseLayers: ['c1'] },
      { name: 'outer', op: 'ifSelect', inputs: ['cond', 'sel', 'b2'], thenLayers: ['a', 'sel'], elseLayers: ['b1', 'b2', 'c1'] },
    ]);
    expect(analyze(straddling).totals.flops).toBe(128 + 256 + 128);
  });

  // found by a review of the rewrite: a layer listed in both branches of an outer If kept only its last branch, so an inner
  // If lying whole in the first branch was not seen inside it, and lost its credit (the old pairwise check gave it)
  it('an inner If (then [l5], else [l2]) in the first branch of an outer If that lists l5 and the inner If in both (malformed, so the outer is not credited): the inner still counts max(l5, l2)', () => {
    const r = analyze({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'cond', shape: [1] }],
      layers: [
        { name: 'l2', op: 'sigmoid', inputs: ['x'] },
        { name: 'l5', op: 'sigmoid', inputs: ['x'] },
        { name: 'if1', op: 'ifSelect', inputs: ['cond', 'l5', 'l2'], thenLayers: ['l5'], elseLayers: ['l2'] },
        { name: 'l4', op: 'sigmoid', inputs: ['x'] },
        { name: 'l6', op: 'sigmoid', inputs: ['l4'] },
        { name: 'if0', op: 'ifSelect', inputs: ['cond', 'if1', 'l6'], thenLayers: ['l2', 'l5', 'if1'], elseLayers: ['l4', 'l5', 'l6', 'if1'] },
      ],
    });
    // four sigmoids of 32 values at 4 FLOPs each (128), the inner If's smaller branch credited
    expect(r.totals.flops).toBe(4 * 128 - 128);
  });
});
