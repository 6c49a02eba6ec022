import { describe, expect, it } from 'vitest';
import { reportErfSync } from '../../src/runtime/erf-report.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import { maxvit } from '../../src/zoo/maxvit.js';
import { swin } from '../../src/zoo/swin.js';
import type { SwinConfig } from '../../src/zoo/swin.js';

// Swin's blocks run channels-last (N, H, W, C): the reverse pass seeds unit (c, i, j) of an N, C, H, W
// map, so a channels-last stage would be seeded along a whole column of units (every h, at channel w)
describe('ERF stages of a channels-last network (a Swin spec: embed 8, depths [2, 2], window 4, 40 px)', () => {
  const spec = swin('swin_erf_tiny', { embedDim: 8, depths: [2, 2], heads: [1, 2], window: 4 } as SwinConfig, 40, 10);
  const r = reportErfSync({ kind: 'spec', spec });
  it('every stage is an N, C, H, W map (channels 8 or 16 at dim 1) whose gradient support lies inside its theoretical field', () => {
    if ('unavailable' in r) throw new Error(r.unavailable);
    expect(r.stages.length).toBeGreaterThan(0);
    for (const s of r.stages) {
      expect([8, 16]).toContain((s as typeof s & { shape: number[] }).shape[1]);
      expect(s.stats.support.insideTheoretical).toBe(true);
    }
  });
});

// MaxViT's maps come back N, C, H, W from its partitions by a reshape, with a global field whose dims
// now follow the reshape ([2, 3]; they stayed [2, 4] of the partition view, past a 4-D map's rank):
// the ERF there is computed, not refused as a channels-last map's
describe('the ERF of a MaxViT map put back from its partitions (global field) is computed', () => {
  const spec = maxvit('maxvit_erf', { stem: 8, channels: [8, 16], layers: [2, 1], headDim: 4, partition: 7 }, 56, 10);
  it('blocks.0.layers.1.layers.grid_attention.departition_op [1, 8, 14, 14]: its gradient [1, 3, 56, 56]', () => {
    const res = erfTask({
      kind: 'gradient',
      source: { kind: 'spec', spec },
      mode: 'random',
      inputs: {},
      index: 0,
      weights: {},
      weightInit: 'seed',
      seed: 0,
      target: { layer: 'blocks.0.layers.1.layers.grid_attention.departition_op', channels: null, position: null },
      stages: false,
      maxElements: 1 << 22,
    }) as ErfGradientResult;
    expect(res.target.shape).toEqual([1, 8, 14, 14]);
    expect(res.gradient.shape).toEqual([1, 3, 56, 56]);
  });
});
