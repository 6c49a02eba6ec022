/** An ERF job as the route builds it, for tests that call computeErf directly: one random seeded sample set, the default unit, stages on, no heatmap; `base` and `over` set the rest. */
import type { ErfJob } from '../../src/runtime/erf.js';

export const erfJob =
  (base: Pick<ErfJob, 'source'> & Partial<ErfJob>) =>
  (over: Partial<ErfJob> = {}): ErfJob => ({
    mode: 'random',
    samples: 1,
    inputs: {},
    weights: {},
    weightInit: 'seed',
    seed: 0,
    target: { layer: '', channels: null, position: null },
    stages: true,
    heatmap: false,
    maxElements: 1 << 20,
    ...base,
    ...over,
  });
