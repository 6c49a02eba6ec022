import { describe, expect, it } from 'vitest';
import { reportErfSync } from '../../src/runtime/erf-report.js';
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
