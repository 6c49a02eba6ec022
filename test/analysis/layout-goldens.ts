/**
 * The unbatched-input layout goldens (test/fixtures/layout/*.json, written by
 * scripts/goldens_unbatched_clips.py and goldens_unbatched_signals.py): each case a spec, the
 * output's shape, a unit of it and PyTorch autograd's footprint of that unit on the input (and of
 * the next unit), read the same way by the 1-D and the k-D layout specs.
 */
import { readFileSync } from 'node:fs';
import { loadGraph } from '../../src/graph/load.js';
import type { Graph } from '../../src/graph/graph.js';

export interface LayoutCase {
  spec: { name: string; inputs: { name: string; shape: number[] }[]; layers: Record<string, unknown>[] };
  output: number[];
  unit: number[];
  footprint: [number, number][];
  next: [number, number][];
}

/** The cases of test/fixtures/layout/<file>, by name. */
export const layoutCases = (file: string): Record<string, LayoutCase> =>
  JSON.parse(readFileSync(new URL(`../fixtures/layout/${file}`, import.meta.url), 'utf8')).cases as Record<string, LayoutCase>;

/** The box [i·S − P, i·S − P + r − 1] of unit i on each axis of the field. */
export function boxes(rf: { size: number[] | null; stride: number[] | null; padding: number[] | null }, unit: readonly number[]): number[][] {
  if (!rf.size || !rf.stride || !rf.padding) throw new Error('a global field has no box');
  const { size, stride, padding } = rf;
  return unit.map((i, a) => [i * stride[a] - padding[a], i * stride[a] - padding[a] + size[a] - 1]);
}

export const graphOf = (c: LayoutCase): Graph => loadGraph({ kind: 'spec', spec: c.spec }).graph;
