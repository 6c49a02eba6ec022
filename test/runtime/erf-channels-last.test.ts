import { describe, expect, it } from 'vitest';
import { reportErfSync } from '../../src/runtime/erf-report.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult } from '../../src/runtime/erf-task.js';
import { maxvit } from '../../src/zoo/maxvit.js';
import { errorOf } from '../helpers.js';
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

// found by a hunt: where one window covers a stage's map, the attention's field is global, and the
// channels-last check (made on the field's axes) was skipped: swin_v2_t at 32 px seeded
// features.1.0.attn [1, 8, 8, 96] as y[0, :, 4, 48] (all 8 rows at column 4, channel 48), where at
// 256 px the same layer is refused
describe("the ERF of a channels-last map whose field is global (one window covers it) is refused, as a local one's", () => {
  // embed 8, window 8 at 32 px: stage 1 is 8×8, one window; stage 2 4×4 (padded to 8)
  const spec = swin('swin_erf_covered', { embedDim: 8, depths: [2, 2], heads: [1, 2], window: 8 } as SwinConfig, 32, 10);
  const task = (layer: string) => () =>
    erfTask({ kind: 'gradient', source: { kind: 'spec', spec }, mode: 'random', inputs: {}, index: 0, weights: {}, weightInit: 'seed', seed: 0, target: { layer, channels: null, position: null }, stages: false, maxElements: 1 << 22 });

  it.each(['features.1.0.attn', 'features.1.1.add_2', 'features.3.1.attn'])("%s [1, H, W, C] (global field): INVALID_OPTION at $.layer naming the channels-last map", (layer) => {
    const e = errorOf(task(layer));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/channels-last map/);
    expect(e.details).toMatchObject({ path: '$.layer' });
  });

  it('the final map, N, C, H, W after the permute back (its field global too), still gives its gradient [1, 3, 32, 32]', () => {
    const res = task('')() as ErfGradientResult;
    expect(res.gradient.shape).toEqual([1, 3, 32, 32]);
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
