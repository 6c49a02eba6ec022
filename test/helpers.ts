import { analyzeGraph } from '../src/analysis/analyze.js';
import type { AnalyzeOptions, LayerReport, Report } from '../src/analysis/report.js';
import { ConvlensError } from '../src/errors.js';
import { parseNetworkSpec } from '../src/graph/network.js';

export const DEFAULTS: AnalyzeOptions = { dtype: 'float32', flops: '2macs', includeBias: false };

/** Analyse a spec in-process (no worker pool). */
export function analyze(spec: unknown, options: Partial<AnalyzeOptions> = {}): Report {
  return analyzeGraph(parseNetworkSpec(spec), { ...DEFAULTS, ...options });
}

/** A one-input chain: `net([1, 3, 8, 8], {op: 'conv2d', ...}, ...)`; layers are named l0, l1, … unless named. */
export function net(shape: number[], ...layers: Record<string, unknown>[]) {
  return { name: 't', inputs: [{ name: 'x', shape }], layers: layers.map((l, i) => ({ name: `l${i}`, ...l })) };
}

export function layer(report: Report, name: string): LayerReport {
  const l = report.layers.find((x) => x.name === name);
  if (!l) throw new Error(`no layer ${name}`);
  return l;
}

/** The ConvlensError a call throws (fails the test if it does not throw one). */
export function errorOf(fn: () => unknown): ConvlensError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConvlensError) return e;
    throw e;
  }
  throw new Error('expected a ConvlensError, nothing was thrown');
}

/** Max |actual − expected| over max |expected| (a gradient's scale may be far under 1); expected must not be all zero. */
export function errorOverLargest(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let max = 0;
  let err = 0;
  for (let k = 0; k < expected.length; k++) {
    max = Math.max(max, Math.abs(expected[k]));
    err = Math.max(err, Math.abs(actual[k] - expected[k]));
  }
  if (max === 0) throw new Error('the expected values are all zero: no scale to measure against');
  return err / max;
}

/** Max |actual − expected|, relative to the output's scale (at least 1). */
export function scaledError(actual: Float32Array, expected: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return err / scale;
}
