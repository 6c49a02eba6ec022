/**
 * The effective receptive field a report shows (the HTML report's section): the final feature
 * map's centre unit, all channels, mean |gradient| over 4 seeded N(0, 1) inputs, weights from the
 * file (ONNX) or seeded, computed in this thread (runtime/erf.ts inline). A network the reverse pass
 * cannot go through (a layer without a VJP) or without a spatial map gives the reason instead.
 */
import { ConvlensError } from '../errors.js';
import type { GraphSource } from '../graph/load.js';
import { computeErf, inlineRunner } from './erf.js';
import type { ErfJob } from './erf.js';
import { erfTask } from './erf-task.js';
import { weightInitFor } from './weights.js';
import { withMemoryGrant } from './memory-grant.js';
import type { ErfGradientResult, ErfSummary } from './erf-task.js';
import type { ErfSectionInput } from '../analysis/formats/erf-svg.js';

export const REPORT_ERF_SAMPLES = 4;

const reportJob = (source: GraphSource, maxElements: number): ErfJob => ({
  source,
  mode: 'random',
  samples: REPORT_ERF_SAMPLES,
  inputs: {},
  weights: {},
  weightInit: weightInitFor(undefined, source),
  seed: 0,
  target: { layer: '', channels: null, position: null },
  stages: true,
  heatmap: false,
  maxElements,
});

const sectionOf = (s: ErfSummary): ErfSectionInput => ({ layer: s.target.layer, mode: s.mode, samples: s.inputs, map: s.magnitude.data, stats: s.stats, temporal: s.temporal, stages: s.stages });

/** reportErf in this thread without awaiting (the command line's synchronous analyze). */
export function reportErfSync(source: GraphSource, maxElements = 1 << 28): ErfSectionInput | { unavailable: string } {
  try {
    const job = reportJob(source, maxElements);
    // the samples run one at a time, each on its own copy of the network: the first charges the request for it (runtime/memory-grant.ts), the others hold no more
    const parts = Array.from({ length: job.samples }, (_, index) => {
      const sample = () => erfTask({ kind: 'gradient', ...job, index }) as ErfGradientResult;
      return index === 0 ? sample() : withMemoryGrant(undefined, sample);
    });
    return sectionOf(erfTask({ kind: 'summary', mode: job.mode, parts, heatmap: false, stages: true }) as ErfSummary);
  } catch (e) {
    if (e instanceof ConvlensError) return { unavailable: `${e.code}: ${e.message}` };
    throw e;
  }
}

export async function reportErf(source: GraphSource, maxElements = 1 << 28): Promise<ErfSectionInput | { unavailable: string }> {
  try {
    return sectionOf(await computeErf(inlineRunner, reportJob(source, maxElements)));
  } catch (e) {
    if (e instanceof ConvlensError) return { unavailable: `${e.code}: ${e.message}` };
    throw e;
  }
}
