import { describe, expect, it } from 'vitest';
import { analyze, errorOf, layer, net } from '../helpers.js';

describe('learned tensors (layerScale, positionEmbedding, classToken)', () => {
  it('layerScale on [1, 96, 56, 56] (ConvNeXt stage 1): 96 params, one multiply per element, no MACs, field unchanged', () => {
    const r = analyze(net([1, 96, 56, 56], { op: 'conv2d', outChannels: 96, kernelSize: 7, padding: 3, groups: 96 }, { op: 'layerScale' }));
    expect(layer(r, 'l1')).toMatchObject({ params: 96, macs: 0, flops: 96 * 56 * 56, outputShape: [1, 96, 56, 56] });
    expect(layer(r, 'l1').receptiveField!.size).toEqual(layer(r, 'l0').receptiveField!.size);
  });

  it('layerScale over tokens [2, 5, 6] with dim -1: 6 params', () => {
    expect(layer(analyze(net([2, 5, 6], { op: 'layerScale', dim: -1 })), 'l0').params).toBe(6);
  });

  it('ViT-B/16 input: classToken makes 196 tokens 197 (768 params), positionEmbedding adds 197·768 = 151,296 params', () => {
    const r = analyze(net([1, 196, 768], { op: 'classToken' }, { op: 'positionEmbedding' }));
    expect(layer(r, 'l0')).toMatchObject({ params: 768, flops: 0, outputShape: [1, 197, 768] });
    expect(layer(r, 'l1')).toMatchObject({ params: 151_296, flops: 197 * 768, outputShape: [1, 197, 768] });
  });

  it('positionEmbedding is shared across the batch: [4, 10, 8] has 80 params, 320 FLOPs', () => {
    expect(layer(analyze(net([4, 10, 8], { op: 'positionEmbedding' })), 'l0')).toMatchObject({ params: 80, flops: 320 });
  });

  it('classToken on a map (not tokens) is RANK_MISMATCH naming the shape', () => {
    const e = errorOf(() => analyze(net([1, 3, 4, 4], { op: 'classToken' })));
    expect(e.code).toBe('RANK_MISMATCH');
    expect(e.message).toContain('[1, 3, 4, 4]');
  });
});
