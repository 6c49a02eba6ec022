/**
 * Blocks of modern networks as torch.onnx.export writes them (scripts/export_modern_blocks.py),
 * where a classic-CNN reading of the graph went wrong: attention added back to a map (the field is
 * the whole input, not the conv's), pixel_unshuffle as a view and a permute (a window of 2, not a
 * global field), torch.roll by zero (an empty Slice, which PyTorch allows), and parameters read
 * through Slice, Expand and Concat (counted, as PyTorch's parameters() counts them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, scaledError } from '../helpers.js';
import type { Report } from '../../src/analysis/report.js';

interface Truth {
  params: number;
  inputShape: number[];
  support?: { unit: [number, number]; rows: [number, number]; cols: [number, number] };
  input?: { shape: number[]; data: number[] };
  output?: { shape: number[]; data: number[] };
}
const DIR = new URL('../fixtures/onnx/modern/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { models: Record<string, Truth> };
const bytesOf = (name: string) => readFileSync(new URL(`${name}.onnx`, DIR));
const analyzeOnnx = (name: string) => analyzeGraph(importOnnx(bytesOf(name), { inputShapes: {} }).graph, DEFAULTS);

/** The input rows and cols the report's field gives output unit (i, j), clipped to the input. */
function box(field: Report['outputs'][number]['receptiveField'], unit: [number, number], size: number[]): [number, number][] {
  if (!field) throw new Error('no field');
  if (field.global) return size.map((s) => [0, s - 1]);
  return unit.map((u, a) => {
    const start = u * field.stride[a] - field.padding[a];
    return [Math.max(0, Math.ceil(start)), Math.min(size[a] - 1, Math.floor(start + field.size[a] - 1))];
  });
}

describe('receptive fields of exported modern blocks equal autograd\'s footprint of one output unit', () => {
  it.each([
    ['nonlocal', 'conv 3×3 + self-attention over its 20×18 positions, added back: the whole input (it was the conv\'s 3×3)'],
    ['unshuffle', 'pixel_unshuffle(2) as Reshape/Transpose/Reshape, then conv 3×3 p1: 6×6 at stride 2, padding 2 (it was global)'],
  ])('%s: %s', (name) => {
    const t = truth.models[name];
    const r = analyzeOnnx(name);
    expect(r.totals.complete).toBe(true);
    expect(box(r.outputs[0].receptiveField, t.support!.unit, t.inputShape.slice(2))).toEqual([t.support!.rows, t.support!.cols]);
  });

  it('unshuffle: the field is { size [6, 6], stride [2, 2], padding [2, 2] }, as the pixelUnshuffle operator\'s', () => {
    expect(analyzeOnnx('unshuffle').outputs[0].receptiveField).toMatchObject({ global: false, size: [6, 6], stride: [2, 2], padding: [2, 2] });
  });
});

describe('torch.roll by zero on one axis (an empty Slice that a Concat drops): analysed and run as PyTorch runs it', () => {
  it('roll_zero 1×3×14×7, shifts (−3, 0): output [1, 8, 14, 7], 224 params, the run equals PyTorch\'s output', () => {
    const t = truth.models.roll_zero;
    const r = analyzeOnnx('roll_zero');
    expect(r.totals.params).toBe(t.params);
    expect(r.outputs[0].shape).toEqual(t.output!.shape);
    expect(r.layers.some((l) => l.outputShape?.includes(0))).toBe(true);
    const run = runGraph(importOnnx(bytesOf('roll_zero'), { inputShapes: {} }).graph, { input: tensor(t.input!.shape, t.input!.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(run.outputs.output.shape).toEqual(t.output!.shape);
    expect(scaledError(run.outputs.output.data, t.output!.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the same blocks\' runs: nonlocal and unshuffle equal PyTorch\'s outputs', () => {
    for (const name of ['nonlocal', 'unshuffle']) {
      const t = truth.models[name];
      const run = runGraph(importOnnx(bytesOf(name), { inputShapes: {} }).graph, { input: tensor(t.input!.shape, t.input!.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
      expect([name, scaledError(run.outputs.output.data, t.output!.data) <= 1e-5]).toEqual([name, true]);
    }
  });
});

describe('parameters read through Slice, Expand and Concat count as PyTorch\'s parameters() counts them', () => {
  it.each([
    ['clstok', 'a class token of 64 elements read through Expand and Concat: 49,930'],
    ['slicedpos', 'a 400×32 position table sliced to the token count: 37,738'],
    ['crossmha', 'MultiheadAttention with kdim 48 (in_proj_bias sliced per q, k, v) and add_bias_kv: 15,824'],
  ])('%s: %s', (name) => {
    const r = analyzeOnnx(name);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(truth.models[name].params);
  });
});

describe('learned tensors read by an activation first (BiFPN fusion weights, a sigmoid gate) count as parameters', () => {
  // each was found by a differential fuzz of modern blocks against PyTorch: the Relu, Softmax or
  // Sigmoid reading the initializer was a layer that counted none, and what read its output was no
  // initializer's reader either (BiFPN: 2,122 against PyTorch's 2,125)
  it.each([
    ['bifpn_fast', 'relu(w) / (Σ relu(w) + 1e-4) over three maps: 1,395 (was 1,392, the 3 fusion weights lost)'],
    ['bifpn_soft', 'softmax(w) over two maps: 298 (was 296)'],
    ['sig_gate', 'x + sigmoid(g)·conv(x), g of [1, 8, 1, 1]: 304 (was 296)'],
  ])('%s: %s; the run equals PyTorch\'s output', (name) => {
    const t = truth.models[name];
    const r = analyzeOnnx(name);
    expect(r.totals.complete).toBe(true);
    expect(r.totals.params).toBe(t.params);
    const run = runGraph(importOnnx(bytesOf(name), { inputShapes: {} }).graph, { input: tensor(t.input!.shape, t.input!.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(scaledError(run.outputs.output.data, t.output!.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('a sinusoidal position code computed in the graph (Range, Sin, Cos, ScatterND): analysed and run as PyTorch runs it', () => {
  // found by the modern-block fuzz: ONNX Sin and Cos were unsupported, so every export without
  // constant folding (or with dynamic axes) of a DETR/MAE-style position code was refused
  it('sinepos 1×3×16×12: complete, 224 params, the run equals PyTorch\'s output (positions 0–191, arguments to 191 radians)', () => {
    const t = truth.models.sinepos;
    const r = analyzeOnnx('sinepos');
    expect(r.totals.unsupported).toEqual([]);
    expect(r.layers.filter((l) => ['Sin', 'Cos'].includes(l.source?.opType ?? '')).map((l) => l.op).sort()).toEqual(['cos', 'sin']);
    expect(r.totals.params).toBe(t.params);
    expect(r.outputs[0].shape).toEqual(t.output!.shape);
    const run = runGraph(importOnnx(bytesOf('sinepos'), { inputShapes: {} }).graph, { input: tensor(t.input!.shape, t.input!.data) }, { training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });
    expect(scaledError(run.outputs.output.data, t.output!.data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('BATCHNORM_FOLDED where the exporter kept some batch norms (DenseNet\'s after a concat)', () => {
  it('preact_bn: conv-BN folded (8 channels), the BN after the concat kept; the note gives PyTorch\'s 1,416 (the folded graph: 1,408)', () => {
    const r = analyzeOnnx('preact_bn');
    expect(r.totals.params).toBe(truth.models.preact_bn.params - 8);
    const w = r.warnings.find((x) => x.code === 'BATCHNORM_FOLDED');
    expect(w).toMatchObject({ foldedChannels: 8, moduleParams: 1416 });
    expect(w!.message).toContain('one other, which no conv precedes, stays in the graph');
  });
});
