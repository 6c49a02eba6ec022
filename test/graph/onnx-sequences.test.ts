/**
 * ONNX sequences resolved at import (src/graph/onnx/sequences.ts): the Loop/Sequence pattern
 * torch.onnx writes for torch.tensor_split (torchvision's MViT, in miniature:
 * scripts/export_sequences.py) analysed to PyTorch's numbers and run to its output; the other
 * sequence operators; and what stays unsupported, with its reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { MAX_INLINED_NODES } from '../../src/graph/onnx/control-flow.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { MAX_SEQUENCE_ELEMENTS } from '../../src/graph/onnx/sequences.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const dir = new URL('../fixtures/onnx/sequence/', import.meta.url);
interface Case {
  input: number[];
  inputShape: number[];
  output: number[];
  outputShape: number[];
  params?: number;
  macs?: number;
  length?: number;
}
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, Case>;
const graphOf = (file: string) => importOnnx(readFileSync(new URL(file, dir))).graph;
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };
const maxDiff = (a: Float32Array, b: number[]) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
const SEQUENCE_OPS = ['SequenceEmpty', 'SequenceConstruct', 'SequenceInsert', 'SequenceErase', 'SequenceAt', 'SequenceLength', 'SplitToSequence', 'ConcatFromSequence', 'Loop'];

describe("torch.tensor_split exported (SequenceEmpty, a Loop that Slices and SequenceInserts, SequenceAt): MViT's class-token split in miniature", () => {
  const t = truth.tensor_split_pool;
  for (const opset of [13, 17]) {
    it(`opset ${opset}: complete, PyTorch's ${t.params} parameters, ${t.macs} MACs and output [${t.outputShape.join(', ')}]; no sequence reaches the analysis`, () => {
      const r = analyzeGraph(graphOf(`tensor_split_pool.op${opset}.onnx`), DEFAULTS);
      expect(r.totals.complete).toBe(true);
      expect(r.totals.unsupported).toEqual([]);
      expect({ params: r.totals.params, macs: r.totals.macs, outputs: r.outputs.map((o) => o.shape) }).toEqual({ params: t.params, macs: t.macs, outputs: [t.outputShape] });
      expect(r.layers.filter((l) => SEQUENCE_OPS.includes(l.source?.opType ?? ''))).toEqual([]);
      // SequenceAt(S, 0) is the class token the unrolled loop sliced, SequenceAt(S, 1) the rest
      expect(r.layers.find((l) => l.name === '/SequenceAt')).toMatchObject({ op: 'identity', outputShape: [1, 1, 1, 8] });
      expect(r.layers.find((l) => l.name === '/SequenceAt_1')).toMatchObject({ op: 'identity', outputShape: [1, 1, 32, 8] });
    });

    it(`opset ${opset}: runs to PyTorch's output`, () => {
      const y = runGraph(graphOf(`tensor_split_pool.op${opset}.onnx`), { x: tensor(t.inputShape, Float32Array.from(t.input)) }, OPTS).outputs.y;
      expect(y.shape).toEqual(t.outputShape);
      expect(maxDiff(y.data, t.output)).toBeLessThan(1e-5);
    });
  }
});

describe('the other sequence operators (sequence_ops.onnx)', () => {
  const t = truth.sequence_ops;
  it('SplitToSequence by a constant split, SequenceAt at −1, SequenceInsert at 0, SequenceErase, SequenceConstruct, ConcatFromSequence with new_axis: tensor layers, complete', () => {
    const r = analyzeGraph(graphOf('sequence_ops.onnx'), DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs.map((o) => o.shape)).toEqual([t.outputShape, []]);
    expect(r.layers.find((l) => l.name === 'split')).toMatchObject({ op: 'split' });
    expect(r.layers.find((l) => l.name === 'stack')).toMatchObject({ op: 'concat', outputShape: [4, 2, 2] });
    // SequenceLength is the constant 4: no layer
    expect(r.layers.find((l) => l.name === 'length')).toBeUndefined();
  });

  it('runs to the stacked parts [−p₂, p₀, p₁, p₂] and the length 4', () => {
    const out = runGraph(graphOf('sequence_ops.onnx'), { x: tensor(t.inputShape, Float32Array.from(t.input)) }, OPTS).outputs;
    expect(out.y.shape).toEqual(t.outputShape);
    expect(maxDiff(out.y.data, t.output)).toBe(0);
    expect(Array.from(out.n.data)).toEqual([t.length]);
  });

  it('a Loop of 3 iterations whose body appends a slice at the iteration number to a carried sequence, then ConcatFromSequence: unrolled, resolved, run', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 6] }],
      outputs: ['y'],
      initializers: [
        { name: 'M', dims: [], type: 'int64', data: [3] },
        { name: 'two', dims: [1], type: 'int64', data: [2] },
        { name: 'ax0', dims: [1], type: 'int64', data: [0] },
        { name: 'ax1', dims: [1], type: 'int64', data: [1] },
      ],
      nodes: [
        { op: 'SequenceEmpty', inputs: [], outputs: ['empty'], name: 'empty' },
        {
          op: 'Loop',
          inputs: ['M', '', 'empty'],
          outputs: ['parts'],
          name: 'loop',
          attrs: {
            body: {
              g: {
                inputs: ['i', 'c', 'seq_in'],
                outputs: ['c', 'seq_out'],
                nodes: [
                  { op: 'Unsqueeze', inputs: ['i', 'ax0'], outputs: ['i1'], name: 'i1' },
                  { op: 'Mul', inputs: ['i1', 'two'], outputs: ['a'], name: 'start' },
                  { op: 'Add', inputs: ['a', 'two'], outputs: ['b'], name: 'end' },
                  { op: 'Slice', inputs: ['x', 'a', 'b', 'ax1'], outputs: ['part'], name: 'slice' },
                  { op: 'SequenceInsert', inputs: ['seq_in', 'part'], outputs: ['seq_out'], name: 'insert' },
                ],
              },
            },
          },
        },
        { op: 'ConcatFromSequence', inputs: ['parts'], outputs: ['y'], name: 'stack', attrs: { axis: { i: 0 }, new_axis: { i: 1 } } },
      ],
    });
    const { graph } = importOnnx(bytes);
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.layers.filter((l) => l.op === 'slice').map((l) => l.name)).toEqual(['loop/0/slice', 'loop/1/slice', 'loop/2/slice']);
    expect(r.outputs[0].shape).toEqual([3, 1, 2]);
    const y = runGraph(graph, { x: tensor([1, 6], Float32Array.from([0, 1, 2, 3, 4, 5])) }, OPTS).outputs.y;
    expect(y.shape).toEqual([3, 1, 2]);
    expect(Array.from(y.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('sequences that cannot be resolved at import stay unsupported, with the reason: an incomplete report, not a failed one', () => {
  it('a SequenceInsert at a position computed from the data: its builders and readers unsupported, each saying why', () => {
    const r = analyzeGraph(graphOf('sequence_computed.onnx'), DEFAULTS);
    expect(r.totals.complete).toBe(false);
    const reasons = Object.fromEntries(r.totals.unsupported.map((u) => [u.opType, u.reasons.join('; ')]));
    expect(Object.keys(reasons).sort()).toEqual(['SequenceAt', 'SequenceInsert', 'SplitToSequence']);
    expect(reasons.SequenceInsert).toMatch(/its position 'pos' is computed, not a constant/);
    expect(reasons.SplitToSequence).toMatch(/the sequence 'parts' is read by 'insert_at_data' \(SequenceInsert\), which cannot be resolved/);
    expect(reasons.SequenceAt).toMatch(/its position 'pos' is computed/);
  });

  it('a sequence that is a graph output, and a SplitToSequence without a split: unsupported, saying why', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [2, 6] }],
      outputs: ['s', 'u'],
      initializers: [],
      nodes: [
        { op: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['s'], name: 'construct' },
        { op: 'SplitToSequence', inputs: ['x'], outputs: ['parts'], name: 'split', attrs: { axis: { i: 1 } } },
        { op: 'ConcatFromSequence', inputs: ['parts'], outputs: ['u'], name: 'concat', attrs: { axis: { i: 1 } } },
      ],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    expect(r.totals.complete).toBe(false);
    const reasons = Object.fromEntries(r.totals.unsupported.map((u) => [u.opType, u.reasons.join('; ')]));
    expect(reasons.SequenceConstruct).toMatch(/the sequence 's' is a graph output: convlens analyses tensors/);
    expect(reasons.SplitToSequence).toMatch(/without a split: the number of parts depends on the input's shape/);
    expect(reasons.ConcatFromSequence).toMatch(/without a split/);
  });
});

describe('Split reads a learned table (stripped of its data) as a parameter', () => {
  it("a [2, 96] float initializer split into rows, each added to the tokens (MViT's temporal position table through repeat_interleave): 192 parameters", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 96] }],
      outputs: ['y'],
      initializers: [{ name: 'table', dims: [2, 96] }],
      nodes: [
        { op: 'Split', inputs: ['table'], outputs: ['r0', 'r1'], name: 'split', attrs: { axis: { i: 0 } } },
        { op: 'Add', inputs: ['x', 'r0'], outputs: ['a'], name: 'add0' },
        { op: 'Add', inputs: ['a', 'r1'], outputs: ['y'], name: 'add1' },
      ],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(192);
  });
});

describe('resolution is linear and bounded: a long chain shares its list, copies count against MAX_SEQUENCE_ELEMENTS, written nodes against MAX_INLINED_NODES', () => {
  const chain = (n: number, position?: string) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 3, 8, 8] }],
      outputs: ['y'],
      initializers: [{ name: 'zero', dims: [], type: 'int64', data: [0] }],
      nodes: [
        { op: 'SequenceEmpty', inputs: [], outputs: ['s0'], name: 'empty' },
        ...Array.from({ length: n }, (_, i) => ({ op: 'SequenceInsert', inputs: [`s${i}`, 'x', ...(position ? [position] : [])], outputs: [`s${i + 1}`], name: `insert${i}` })),
        { op: 'SequenceAt', inputs: [`s${n}`, 'zero'], outputs: ['t'], name: 'at' },
        { op: 'Relu', inputs: ['t'], outputs: ['y'], name: 'relu' },
      ],
    });

  it('SequenceEmpty and 15,000 appending SequenceInserts (112 million elements were they copied at each step): resolved whole, the SequenceAt an Identity', () => {
    expect(15_000 * 15_001 / 2).toBeGreaterThan(MAX_SEQUENCE_ELEMENTS);
    const g = importOnnx(chain(15_000)).graph;
    const r = analyzeGraph(g, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(g.layers.map((l) => l.op)).not.toContain('unsupported');
    expect(g.layers.length).toBeLessThanOrEqual(2);
  });

  it('1,000 SequenceInserts at position 0 (each a copy: 500,500 elements): past MAX_SEQUENCE_ELEMENTS the insert and what reads it stay unsupported, naming the limit', () => {
    const r = analyzeGraph(importOnnx(chain(1_000, 'zero')).graph, DEFAULTS);
    expect(r.totals.complete).toBe(false);
    const reasons = Object.fromEntries(r.totals.unsupported.map((u) => [u.opType, u.reasons.join('; ')]));
    expect(reasons.SequenceInsert).toMatch(new RegExp(`would pass ${MAX_SEQUENCE_ELEMENTS} sequence elements across the import \\(MAX_SEQUENCE_ELEMENTS\\)`));
    expect(reasons.SequenceAt).toMatch(/MAX_SEQUENCE_ELEMENTS/);
  });

  it('one SequenceConstruct of 1,000 elements read by 100 ConcatFromSequence with new_axis (200,000 nodes and inputs): those past MAX_INLINED_NODES stay unsupported, naming it', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1] }],
      outputs: ['y0'],
      initializers: [],
      nodes: [
        { op: 'SequenceConstruct', inputs: Array.from({ length: 1_000 }, () => 'x'), outputs: ['s'], name: 'construct' },
        ...Array.from({ length: 100 }, (_, k) => ({ op: 'ConcatFromSequence', inputs: ['s'], outputs: [`y${k}`], name: `concat${k}`, attrs: { axis: { i: 0 }, new_axis: { i: 1 } } })),
      ],
    });
    const g = importOnnx(bytes).graph;
    // each resolved reader writes 1,000 Unsqueezes and a Concat of 1,000 inputs: 9 fit in what the import leaves
    const resolved = Math.floor((MAX_INLINED_NODES - 101) / 2_000);
    expect(g.layers.filter((l) => l.name.startsWith('concat') && l.name.includes('/unsqueeze')).length).toBe(resolved * 1_000);
    const r = analyzeGraph(g, DEFAULTS);
    expect(r.totals.complete).toBe(false);
    const concat = r.totals.unsupported.find((u) => u.opType === 'ConcatFromSequence')!;
    expect(concat.count).toBe(100 - resolved);
    expect(concat.reasons[0]).toMatch(new RegExp(`of 1000 elements: its 1000 Unsqueezes and Concat inputs would pass the import's limit of ${MAX_INLINED_NODES} inlined nodes \\(MAX_INLINED_NODES`));
    expect(r.totals.unsupported.find((u) => u.opType === 'SequenceConstruct')!.reasons[0]).toMatch(/MAX_INLINED_NODES/);
  });
});

describe('unnamed sequence nodes are named <op type>_<index>, as the importer names any unnamed node', () => {
  /** x [2, 6] → SplitToSequence (split [3, 3] on axis 1) → ConcatFromSequence; neither node named */
  const unnamed = (concatAttrs: Record<string, { i: number } | { f: number }>, split = true) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [2, 6] }],
      outputs: ['y'],
      initializers: split ? [{ name: 'three', dims: [2], type: 'int64', data: [3, 3] }] : [],
      nodes: [
        { op: 'SplitToSequence', inputs: split ? ['x', 'three'] : ['x'], outputs: ['parts'], name: '', attrs: { axis: { i: 1 } } },
        { op: 'ConcatFromSequence', inputs: ['parts'], outputs: ['y'], name: '', attrs: concatAttrs },
      ],
    });

  it("a FLOAT axis on the unnamed ConcatFromSequence (node 1): ONNX_GRAPH_INVALID naming 'ConcatFromSequence_1' at $.graph.node[1].attribute[0] (it named the node 'ConcatFromSequence')", () => {
    const e = errorOf(() => importOnnx(unnamed({ axis: { f: 1 } })));
    expect(e.code).toBe('ONNX_GRAPH_INVALID');
    expect(e.message).toMatch(/^node 'ConcatFromSequence_1' \(ConcatFromSequence\): attribute 'axis' /);
    expect(e.details).toMatchObject({ layer: 'ConcatFromSequence_1', path: '$.graph.node[1].attribute[0]', onnxAttribute: 'axis' });
  });

  it("a FLOAT axis on the unnamed SplitToSequence (node 0): 'SplitToSequence_0' at $.graph.node[0].attribute[0]", () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [2, 6] }],
      outputs: ['y'],
      initializers: [{ name: 'three', dims: [2], type: 'int64', data: [3, 3] }],
      nodes: [
        { op: 'SplitToSequence', inputs: ['x', 'three'], outputs: ['parts'], name: '', attrs: { axis: { f: 1 } } },
        { op: 'ConcatFromSequence', inputs: ['parts'], outputs: ['y'], name: '', attrs: { axis: { i: 1 } } },
      ],
    });
    const e = errorOf(() => importOnnx(bytes));
    expect(e.details).toMatchObject({ layer: 'SplitToSequence_0', path: '$.graph.node[0].attribute[0]' });
  });

  it('the reasons of unnamed nodes left unsupported name them so too (a SplitToSequence without a split: it read "SplitToSequence \'\'")', () => {
    const r = analyzeGraph(importOnnx(unnamed({ axis: { i: 1 } }, false)).graph, DEFAULTS);
    const reasons = Object.fromEntries(r.totals.unsupported.map((u) => [u.opType, u.reasons.join('; ')]));
    expect(reasons.SplitToSequence).toMatch(/^a sequence convlens cannot resolve: SplitToSequence 'SplitToSequence_0' without a split/);
    expect(r.totals.unsupported.find((u) => u.opType === 'SplitToSequence')!.nodes).toEqual(['SplitToSequence_0']);
  });

  it('resolved, the unnamed pair still runs: [2, 6] split 3 + 3 on axis 1 and concatenated back is x', () => {
    const graph = importOnnx(unnamed({ axis: { i: 1 } })).graph;
    const x = Array.from({ length: 12 }, (_, i) => i - 5);
    const y = runGraph(graph, { x: tensor([2, 6], Float32Array.from(x)) }, OPTS).outputs.y;
    expect([...y.shape]).toEqual([2, 6]);
    expect(Array.from(y.data)).toEqual(x);
  });
});
