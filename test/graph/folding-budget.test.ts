/**
 * Issue 9, defect 4: constant folding is bounded. One folded value holds at most 65,536 elements
 * (MAX_FOLDED_TENSOR) and one graph at most MAX_FOLDED_ELEMENTS (the small constants an ONNX file
 * carries, decoded, plus every value folded from them); past either, values are left unfolded and
 * the layers run as layers. A 64 KB file of Concat(v, v) steps used to fold 4 GB.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import type { Inference } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

/** Values the inference holds (decoded constants and folded tensors), counting each array once. */
function heldValues(inference: Inference): number {
  const seen = new Set<readonly number[]>();
  let n = 0;
  for (const t of inference.tensors.values()) {
    if (t.value && !seen.has(t.value.data)) {
      seen.add(t.value.data);
      n += t.value.data.length;
    }
  }
  return n;
}

/** x [1, 4] → Reshape by c{depth} (never foldable to that size; the Concat chain is what matters): c0 an int64 [1024] constant, c{k+1} = Concat(c{k}, c{k}). */
function doubling(depth: number): Uint8Array {
  const nodes: NodeSpec[] = Array.from({ length: depth }, (_, k) => ({ op: 'Concat', inputs: [`c${k}`, `c${k}`], outputs: [`c${k + 1}`], attrs: { axis: { i: 0 } }, name: `cat${k + 1}` }));
  nodes.push({ op: 'Shape', inputs: [`c${depth}`], outputs: ['n'], name: 'len' }, { op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' });
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: ['y', 'n'],
    initializers: [{ name: 'c0', dims: [1024], type: 'int64', data: Array.from({ length: 1024 }, (_, i) => i % 7) }],
    nodes,
  });
}

describe('Concat chains that double a constant', () => {
  it('20 doublings of a 1024-element int64 constant (2^30 values): analysed in under 2 s, Concats folded only up to 65,536 values', () => {
    const bytes = doubling(20);
    expect(bytes.byteLength).toBeLessThan(16 * 1024);
    const t = performance.now();
    const { graph } = importOnnx(bytes, {});
    const inference = inferGraph(graph);
    const report = analyzeGraph(graph, DEFAULTS, inference);
    expect((performance.now() - t) / 1000).toBeLessThan(2);
    // 1024·2^6 = 65,536 is the last value that fits one folded tensor
    expect(report.totals.folded.filter((n) => n.startsWith('cat'))).toEqual(['cat1', 'cat2', 'cat3', 'cat4', 'cat5', 'cat6']);
    expect(report.layers.find((l) => l.name === 'cat20')!.outputShape).toEqual([1024 * 2 ** 20]);
    expect(heldValues(inference)).toBeLessThanOrEqual(1 << 20);
  });

  it('MAX_FOLDED_ELEMENTS 5000: c0 (1024) and cat1 (2048) are held, cat2 (4096 more) is over the budget and stays a layer', () => {
    const { graph } = importOnnx(doubling(3), { maxFolded: 5000 });
    const inference = inferGraph(graph, { maxFolded: 5000 });
    const report = analyzeGraph(graph, DEFAULTS, inference);
    expect(report.totals.folded.filter((n) => n.startsWith('cat'))).toEqual(['cat1']);
    // and the Shape of c3, one value: [8192]
    expect(heldValues(inference)).toBe(1024 + 2048 + 1);
  });
});

describe('many folded values, each within the per-tensor cap', () => {
  it('100 Expand nodes of a scalar to [65536] with MAX_FOLDED_ELEMENTS 200,000: three fold, the rest run as layers', () => {
    const nodes: NodeSpec[] = Array.from({ length: 100 }, (_, k) => ({ op: 'Expand', inputs: ['one', 'shape'], outputs: [`e${k}`], name: `expand${k}` }));
    nodes.push({ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' });
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: ['y', ...nodes.slice(0, 100).map((n) => n.outputs[0])],
      initializers: [
        { name: 'one', dims: [1], type: 'int64', data: [1] },
        { name: 'shape', dims: [1], type: 'int64', data: [65_536] },
      ],
      nodes,
    });
    const { graph } = importOnnx(bytes, { maxFolded: 200_000 });
    const inference = inferGraph(graph, { maxFolded: 200_000 });
    const report = analyzeGraph(graph, DEFAULTS, inference);
    expect(report.totals.folded).toEqual(['expand0', 'expand1', 'expand2']);
    expect(heldValues(inference)).toBe(2 + 3 * 65_536);
  });
});

describe('no value is computed past the budget', () => {
  it('5,000 Expand nodes of a scalar to [65536] (3·10^8 values if each folded): analysed in under 3 s, 15 folded within the default 2^20', () => {
    const n = 5000;
    const nodes: NodeSpec[] = Array.from({ length: n }, (_, k) => ({ op: 'Expand', inputs: ['one', 'shape'], outputs: [`e${k}`], name: `expand${k}` }));
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 4] }],
      outputs: nodes.map((node) => node.outputs[0]),
      initializers: [
        { name: 'one', dims: [1], type: 'int64', data: [1] },
        { name: 'shape', dims: [1], type: 'int64', data: [65_536] },
      ],
      nodes,
    });
    const t = performance.now();
    const report = analyzeGraph(importOnnx(bytes, {}).graph, DEFAULTS);
    expect((performance.now() - t) / 1000).toBeLessThan(3);
    // (2^20 − 2) / 65,536 = 15.99…: 15 fit
    expect(report.totals.folded).toHaveLength(15);
  });
});

describe('constants decoded from the file count against the budget', () => {
  it('ten int64 initializers of 1,000 values with MAX_FOLDED_ELEMENTS 4,500: the first four are decoded, the rest keep only shape and bytes', () => {
    const initializers = Array.from({ length: 10 }, (_, k) => ({ name: `t${k}`, dims: [1000], type: 'int64' as const, data: Array.from({ length: 1000 }, () => k) }));
    const bytes = onnxModel({ inputs: [{ name: 'x', shape: [1, 4] }], outputs: ['y'], initializers, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    const { graph } = importOnnx(bytes, { maxFolded: 4500 });
    const decoded = [...graph.constants.values()].filter((c) => c.value !== null).map((c) => c.name);
    expect(decoded).toEqual(['t0', 't1', 't2', 't3']);
    expect(graph.constants.get('t9')!.raw!.byteLength).toBe(8000);
  });
});
