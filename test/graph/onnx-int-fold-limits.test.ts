/**
 * Integer values folded at import (graph/fold-constants.ts) are within the graph's folding limits
 * as float ones are: a value computed from no float initializer keeps the generic caps, its work
 * (element-wise operations and elements written) drawn from the graph's folding work (2^22), its
 * values held within MAX_FOLDED_ELEMENTS while a node still reads them, then let go. A 0.6 MB file
 * of 2,000 Add(a_k, 1) over an int64 [65536] initializer, cast to float and reshaped into a Conv's
 * weight, took 9 s and 1.1 GB of heap to import when integer folds skipped those limits.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import type { OnnxImportOptions } from '../../src/graph/onnx/import.js';
import type { Graph } from '../../src/graph/graph.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const N = 65_536;
/** a0 = 0 … 65,535 (int64), a_k = a_{k−1} + 1 for `chain` Adds, Cast to float, Reshape to [16, 16, 16, 16]: the Conv's weight. */
const file = (chain: number) => {
  const adds: NodeSpec[] = Array.from({ length: chain }, (_, k) => ({ op: 'Add', inputs: [`a${k}`, 'one'], outputs: [`a${k + 1}`], name: `add${k + 1}` }));
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 16, 20, 20] }],
    outputs: ['y'],
    initializers: [
      { name: 'a0', dims: [N], type: 'int64', data: Array.from({ length: N }, (_, i) => i) },
      { name: 'one', dims: [], type: 'int64', data: [1] },
      { name: 'wshape', dims: [4], type: 'int64', data: [16, 16, 16, 16] },
    ],
    nodes: [
      ...adds,
      { op: 'Cast', inputs: [`a${chain}`], outputs: ['wf'], name: 'cast', attrs: { to: { i: 1 } } },
      { op: 'Reshape', inputs: ['wf', 'wshape'], outputs: ['W'], name: 'rs' },
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv' },
    ],
    opset: 17,
  });
};
const weight = (graph: Graph) => graph.constants.get(graph.layers.find((l) => l.op === 'conv2d')!.weights!.weight.constant)!;
const load = (chain: number, options: OnnxImportOptions = {}) => importOnnx(file(chain), options).graph;

describe('a chain of 2,000 integer Adds over 65,536 values feeding a weight stays within the folding limits', () => {
  // each Add takes 65,536 FLOPs + 65,536 elements written = 131,072 operations: the graph's 2^22 =
  // 4,194,304 (no float initializer is read) pay for 32 (add1 … add32), none is left for add33
  const work = "node 'add33' (Add) takes 131,072 operations, and 0 are left of the graph's folding work (4,194,304: 4,194,304 + 16 per element of the float initializers folded)";

  it('the weight keeps its shape, unheld with the reason (the work spent); the analysis is whole', () => {
    const graph = load(2000);
    const w = weight(graph);
    expect([w.shape, w.typed, w.value, w.folded?.unheld]).toEqual([[16, 16, 16, 16], null, null, work]);
    // a weight cast from integers counts no parameters (it is computed from no float initializer)
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: 0 });
  });

  it('imported for an analysis (values: false): the same reason and report', () => {
    const graph = load(2000, { values: false });
    expect(weight(graph).folded?.unheld).toBe(work);
    expect(analyzeGraph(graph, DEFAULTS)).toEqual(analyzeGraph(load(2000), DEFAULTS));
  });

  it('a short chain (3 Adds) within the limits folds to its values: a0 + 3', () => {
    const w = weight(load(3));
    expect([w.typed?.length, Array.from(w.typed!).slice(0, 3), w.typed![N - 1]]).toEqual([N, [3, 4, 5], N + 2]);
  });

  it('the Adds\' values are held within MAX_FOLDED_ELEMENTS, and let go once folded: room for a0 and two intermediates (65,541 + 2 × 65,536) folds as far as the work allows', () => {
    // a0, one and wshape decoded: 65,541; a_k and a_{k+1} held at once, a_k let go after add_{k+1}
    expect(weight(load(2000, { maxFolded: 65_541 + 2 * N })).folded?.unheld).toBe(work);
  });

  it('one value less: add2 is refused on MAX_FOLDED_ELEMENTS (a1 is held), and the weight has its shape', () => {
    const graph = load(2000, { maxFolded: 65_541 + 2 * N - 1 });
    const w = weight(graph);
    expect(w.folded?.unheld).toBe("folding it needs up to 65,537 more values at node 'add2' (Add), and 65,535 are left of MAX_FOLDED_ELEMENTS (the graph's folding budget)");
    expect([w.shape, w.typed]).toEqual([[16, 16, 16, 16], null]);
    // a weight cast from integers counts no parameters (it is computed from no float initializer)
    expect(analyzeGraph(graph, DEFAULTS).totals).toMatchObject({ complete: true, params: 0 });
  });
});
