/**
 * Chains for the run-rate tests (work-rates-third, -fourth): a [1, 1, 1, 1] input padded to
 * [1, 1, 4096, 4096] and read through a chain of one op, and the check that such a chain is refused
 * 413 WORK_TOO_LARGE before any kernel runs where its cost alone would have let it run.
 */
import { expect } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { parseNetworkSpec } from '../../src/graph/network.js';
import { DEFAULT_MAX_RUN_WORK } from '../../src/limits.js';
import { kernelWork, runWork } from '../../src/ops/common.js';
import { FRESH_ELEMENT_WORK, layerWork } from '../../src/runtime/checks.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

export const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 64 * 1024 * 1024, maxWork: DEFAULT_MAX_RUN_WORK };
export const S = 4096;
export const N = S * S;
/** Each 4096² (or larger) output written: 1 + FRESH_ELEMENT_WORK units an element (runtime/checks.ts writeWork). */
export const W = 1 + FRESH_ELEMENT_WORK;
/** The padded 4096² input: 4096 rows · 1200 + 5 an element (indexing.ts PAD_ROW, PAD_ELEMENT), + W each written. */
export const PADDED = 1200 * S + (5 + W) * N;

export type Spec = { inputs: { name: string; shape: number[] }[]; layers: Record<string, unknown>[] };
export const padded = { name: 't', op: 'pad', inputs: ['x'], pads: [0, 0, 0, 0, 0, 0, S - 1, S - 1], value: 0.5 };
/** `layers` layers of `op`, each reading `from(i)` (the one before, by default), after the pad and `extra`. */
export function chain(op: string, layers: number, attrs: Record<string, unknown> = {}, extra: Record<string, unknown>[] = [], from?: (i: number) => string[]): Spec {
  const first = extra.length ? (extra[extra.length - 1].name as string) : 't';
  const inputs = from ?? ((i: number) => [i === 0 ? first : `l${i - 1}`]);
  return { inputs: [{ name: 'x', shape: [1, 1, 1, 1] }], layers: [padded, ...extra, ...Array.from({ length: layers }, (_, i) => ({ name: `l${i}`, op, inputs: inputs(i), ...attrs }))] };
}

/** The estimate with every layer counted by its cost (kernelWork), as before these rates. */
export function costEstimate(spec: Spec): number {
  return inferGraph(parseNetworkSpec(spec)).analysed.reduce((s, a) => s + layerWork(a) - runWork(a.inferred!) + kernelWork(a.inferred!), 0);
}

/** 413 naming `layer` at `work`, the estimate `estimate` just over 10^11 (one layer fewer is under it), in under 2 s; under the limit counted by the cost. */
export function refusedAt(spec: Spec, layer: string, work: number, estimate: number, oneFewer: number, maxChars = 6000, more: Record<string, ReturnType<typeof tensor>> = {}) {
  expect(JSON.stringify(spec).length).toBeLessThan(maxChars);
  expect(costEstimate(spec)).toBeLessThan(1e11);
  expect(estimate).toBeGreaterThan(1e11);
  expect(oneFewer).toBeLessThan(1e11);
  const t = performance.now();
  const e = errorOf(() => runGraph(parseNetworkSpec(spec), { x: tensor([1, 1, 1, 1]), ...more }, OPTS));
  expect(e.code).toBe('WORK_TOO_LARGE');
  expect(e.status).toBe(413);
  expect(e.details).toMatchObject({ layer, limit: 1e11, layerWork: work, estimate });
  expect((performance.now() - t) / 1000).toBeLessThan(2);
}
