/**
 * computeErf (runtime/erf.ts): K gradient tasks at most `parallel` at a time, then one summary;
 * the mean of |gradient| over the samples.
 */
import { describe, expect, it } from 'vitest';
import { computeErf } from '../../src/runtime/erf.js';
import type { ErfRunner } from '../../src/runtime/erf.js';
import { erfTask } from '../../src/runtime/erf-task.js';
import type { ErfGradientResult, ErfTask } from '../../src/runtime/erf-task.js';

const spec = { inputs: [{ name: 'x', shape: [1, 1, 6, 6] }], layers: [{ name: 'c', op: 'conv2d', outChannels: 2, kernelSize: 3 }, { name: 'r', op: 'relu' }] };

describe('computeErf', () => {
  it('runs 5 samples 2 at a time on a runner of parallel 2, and averages |gradient| over them', async () => {
    let inFlight = 0;
    let most = 0;
    const kinds: string[] = [];
    const grads: Float32Array[] = [];
    const run = Object.assign(
      async <T>(task: ErfTask): Promise<T> => {
        kinds.push(task.kind);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        const out = erfTask(task);
        if (task.kind === 'gradient') grads.push((out as ErfGradientResult).gradient.data.slice());
        return out as T;
      },
      { parallel: 2 },
    ) as ErfRunner;
    const s = await computeErf(run, { source: { kind: 'spec', spec }, mode: 'random', samples: 5, inputs: {}, weights: {}, weightInit: 'seed', seed: 3, target: { layer: '', channels: null, position: null }, stages: false, heatmap: false, maxElements: 1 << 20 });
    expect(most).toBe(2);
    expect(kinds).toEqual(['gradient', 'gradient', 'gradient', 'gradient', 'gradient', 'summary']);
    const k = 14;
    expect(s.gradient.data[k]).toBeCloseTo(grads.reduce((a, g) => a + Math.abs(g[k]), 0) / 5, 6);
    expect(s.gradient.data[k]).toBeGreaterThan(0);
    expect(s.inputs).toBe(5);
  });
});
