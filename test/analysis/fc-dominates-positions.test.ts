/**
 * FC_DOMINATES for a linear applied at every position (over the last dim of a channels-last map or
 * a token sequence: a channels-last MLP, Swin's PatchMerging reduction as torchvision writes it).
 * Until 2026-12-06 its advice read the input's dim 1 as a feature count "already pooled to one
 * position": on [1, 8, 8, 64] → linear(512) it said "it reads 8 features already pooled to one
 * position"; it reads 64 features at each of 8·8 = 64 positions. The pooled and flattened cases keep
 * their advice (structure.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { analyze, net } from '../helpers.js';

const fcWarning = (spec: object) => analyze(spec).warnings.find((w) => w.code === 'FC_DOMINATES') as { layer: string; message: string; flattenedFrom: unknown } | undefined;

describe('FC_DOMINATES for a linear at every position: positions and features, not "pooled"', () => {
  it('channels-last [1, 8, 8, 64] → linear(512) → linear(10): l0 holds 64·512 + 512 = 33,280 of 38,410 params (86.6%); it applies at each of 64 positions over 64 features', () => {
    const w = fcWarning(net([1, 8, 8, 64], { op: 'linear', outFeatures: 512 }, { op: 'relu' }, { op: 'linear', outFeatures: 10 }));
    expect(w?.layer).toBe('l0');
    expect(w?.flattenedFrom).toBeNull();
    expect(w?.message).toMatch(/; it applies at each of the 64 positions of its 8×8×64 input, over 64 features \(a 1×1 convolution's cost, in × out per position\): fewer features in or out shrinks it$/);
    expect(w?.message).not.toContain('pooled to one position');
  });

  it('a token sequence [1, 197, 96] → linear(768): 197 positions (tokens) over 96 features', () => {
    const w = fcWarning(net([1, 197, 96], { op: 'linear', outFeatures: 768 }));
    expect(w?.message).toContain('it applies at each of the 197 positions of its 197×96 input, over 96 features');
  });

  it('one position kept as dims of 1 (a channels-last map pooled with keepdim [1, 1, 1, 64], a class token [1, 1, 64]) → linear(1000): 64 features already pooled, not "each of the 1 positions"', () => {
    const pooled = fcWarning(net([1, 8, 8, 64], { op: 'reduceMean', axes: [1, 2], keepDims: true }, { op: 'linear', outFeatures: 1000 }));
    expect(pooled?.message).toContain('it reads 64 features already pooled to one position');
    const token = fcWarning(net([1, 1, 64], { op: 'linear', outFeatures: 1000 }));
    expect(token?.message).toContain('it reads 64 features already pooled to one position');
  });

  it('pooled features [1, 64] keep the classifier advice', () => {
    const w = fcWarning(net([1, 3, 16, 16], { op: 'conv2d', outChannels: 64, kernelSize: 1 }, { op: 'reduceMean', axes: [2, 3], keepDims: false }, { op: 'linear', outFeatures: 1000 }));
    expect(w?.message).toContain('it reads 64 features already pooled to one position');
  });
});
