/**
 * ONNX ConvTranspose's auto_pad SAME_UPPER / SAME_LOWER and output_shape (onnx Operators.md:
 * total = s·(in − 1) + output_padding + d·(k − 1) + 1 − target, target = output_shape or in·s;
 * SAME_UPPER crops ⌊total/2⌋ at the begin, otherwise total − ⌊total/2⌋), over 1, 2 and 3 spatial
 * axes: hand-built nodes with seeded weights and bias (scripts/export_conv_transpose_onnx.py),
 * shapes and outputs held to onnxruntime 1.30's (scripts/conv_transpose_goldens.mjs), which agree
 * with the spec's formula worked with PyTorch to 1e-6; and the cases convlens refuses, at the field.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import type { RunOptions } from '../../src/runtime/run-options.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, analyze, errorOf, layer, net, scaledError } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { Attr } from './onnx-builder.js';
import { analyzeOnnx } from './onnx-error-models.js';

const DIR = new URL('../fixtures/onnx/conv-transpose/', import.meta.url);
interface Case {
  attrs: Record<string, unknown>;
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  referenceDifference: number;
}
const truth = JSON.parse(readFileSync(new URL('truth.json', DIR), 'utf8')) as { onnxruntime: string; cases: Record<string, Case> };
const graphOf = (name: string) => importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} }).graph;
const RUN = (): RunOptions => ({ training: false, seed: 0, weightInit: 'file', weights: {}, capture: [], maxElements: 1 << 20 });

describe(`against onnxruntime ${truth.onnxruntime}`, () => {
  // [case, op, the padding convlens resolves (begins, ends), MACs N·Cin·ΠI·(Cout/g)·ΠK, params Cin·(Cout/g)·ΠK + Cout]
  it.each([
    ['same_upper_2d', 'convTranspose2d', 'SAME_UPPER, 5×4 → 10×8: total 1 per axis, at the end', 2 * 20 * 3 * 9, 2 * 3 * 9 + 3],
    ['same_lower_2d_group', 'convTranspose2d', 'SAME_LOWER, group 2, dilation [2, 1], 3×5 → 6×10: totals 3 (2 at the begin) and 1 (at the begin)', 4 * 15 * 1 * 9, 4 * 1 * 9 + 2],
    ['output_shape_2d', 'convTranspose2d', 'output_shape [8, 9] under NOTSET, pads [2, 0, 1, 1] ignored: totals 1 (at the begin) and 0', 2 * 16 * 2 * 9, 2 * 2 * 9 + 2],
    ['output_shape_upper', 'convTranspose2d', 'output_shape [9, 6] under SAME_UPPER, s [3, 2], output_padding [1, 0]: totals 1 (at the end) and 0', 2 * 9 * 2 * 6, 2 * 2 * 6 + 2],
    ['output_shape_extra', 'convTranspose1d', 'output_shape 12 of the plain 11: one position past it, its bias alone', 2 * 5 * 3 * 3, 2 * 3 * 3 + 3],
    ['same_upper_3d', 'convTranspose3d', 'SAME_UPPER, s [1, 2, 2], 2×3×3 → 2×6×6: totals 1, 1, 1', 2 * 18 * 2 * 18, 2 * 2 * 18 + 2],
    ['same_lower_1d', 'convTranspose1d', 'SAME_LOWER, k 4, s 1, 6 → 6: total 3 (2 at the begin)', 3 * 6 * 2 * 4, 3 * 2 * 4 + 2],
    // onnx's shape inference (inside onnxruntime) expects in·s + output_padding = 13 and warns; the spec's text and onnxruntime's kernel give 12
    ['same_upper_output_padding_1d', 'convTranspose1d', 'SAME_UPPER, k 3, s 3, output_padding 1, 4 → in·s = 12: the plain 13 less 1 at the end', 2 * 4 * 2 * 3, 2 * 2 * 3 + 2],
  ])('%s → %s: %s; shape and output as onnxruntime', (name, op, _, macs, params) => {
    const c = truth.cases[name];
    // onnxruntime's output agrees with the spec's formula worked independently with PyTorch
    expect(c.referenceDifference).toBeLessThan(1e-5);
    const r = analyzeGraph(graphOf(name), DEFAULTS);
    expect(r.totals.complete).toBe(true);
    const t = layer(r, 't');
    expect(t.op).toBe(op);
    expect(t.outputShape).toEqual(c.output.shape);
    expect(r.totals.macs).toBe(macs);
    expect(r.totals.params).toBe(params);
    const { outputs } = runGraph(graphOf(name), { X: tensor(c.input.shape, c.input.data) }, RUN());
    expect(outputs.Y.shape).toEqual(c.output.shape);
    expect(scaledError(outputs.Y.data, c.output.data)).toBeLessThan(1e-5);
  });

  it('same_upper_2d with SAME_LOWER instead (the same weights): the odd unit moves to the begin, so the output differs from onnxruntime\'s SAME_UPPER one', () => {
    const c = truth.cases.same_upper_2d;
    const graph = graphOf('same_upper_2d');
    graph.layers[0].attrs = { ...graph.layers[0].attrs, padding: 'sameLower' };
    const { outputs } = runGraph(graph, { X: tensor(c.input.shape, c.input.data) }, RUN());
    expect(outputs.Y.shape).toEqual(c.output.shape);
    expect(scaledError(outputs.Y.data, c.output.data)).toBeGreaterThan(0.1);
  });
});

/** One ConvTranspose over x [1, 2, …spatial] with W [2, 3, …kernel] of ones, attributes in the order given. */
const transposed = (spatial: number[], kernel: number[], attrs: Record<string, Attr>) =>
  onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, ...spatial] }],
    outputs: ['y'],
    initializers: [{ name: 'W', dims: [2, 3, ...kernel], data: Array(6 * kernel.reduce((a, b) => a * b, 1)).fill(1) }],
    nodes: [{ op: 'ConvTranspose', name: 't', inputs: ['x', 'W'], outputs: ['y'], attrs }],
    opset: 17,
  });

describe('what convlens refuses, at the field', () => {
  it('SAME_UPPER whose kernel reaches less than a stride (k 1, s 2, in 4): the spec asks 8 with padding −1, onnxruntime writes 7: INVALID_ATTRIBUTE at auto_pad, $.graph.node[0].attribute[1]', () => {
    const e = errorOf(() => analyzeOnnx(transposed([4], [1], { strides: { ints: [2] }, auto_pad: { s: 'SAME_UPPER' } })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('asks for an output of 4·2 = 8, more than the 7');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[1]', onnxAttribute: 'auto_pad', layer: 't' });
  });

  it('output_shape 13 of the plain 11 (k 3, s 2, in 5): 2 past it, more than stride − 1 (onnxruntime refuses it too): INVALID_ATTRIBUTE at output_shape, $.graph.node[0].attribute[0]', () => {
    const e = errorOf(() => analyzeOnnx(transposed([5], [3], { output_shape: { ints: [13] }, strides: { ints: [2] } })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('outputSize 13 is 2 past the 11');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[0]', onnxAttribute: 'output_shape' });
  });

  it('output_shape one past the plain output beside output_padding 1 at stride 2: outputPadding 2, past PyTorch\'s < max(stride, dilation): refused at output_shape', () => {
    const e = errorOf(() => analyzeOnnx(transposed([3, 3], [3, 3], { strides: { ints: [2, 2] }, output_padding: { ints: [1, 0] }, output_shape: { ints: [9, 7] } })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toContain('along axis 0');
    expect(e.details).toMatchObject({ path: '$.graph.node[0].attribute[2]', onnxAttribute: 'output_shape' });
  });

  it('output_shape [1, 3, 8, 8] (N and C too, which onnxruntime refuses at load): left unsupported at output_shape, $.graph.node[0].attribute[0]', () => {
    const { graph } = importOnnx(transposed([4, 4], [3, 3], { output_shape: { ints: [1, 3, 8, 8] }, strides: { ints: [2, 2] } }));
    expect(graph.layers[0].attrs).toEqual({ reason: 'output_shape of length 4 for a 2-D transposed convolution (ONNX gives the 2 spatial sizes)' });
    expect(inferGraph(graph).analysed[0].unsupportedPath).toBe('$.graph.node[0].attribute[0]');
  });

  it('VALID: no padding, the plain output (onnxruntime: in 4, k 3, s 2 → 9)', () => {
    const r = analyzeGraph(importOnnx(transposed([4], [3], { strides: { ints: [2] }, auto_pad: { s: 'VALID' } })).graph, DEFAULTS);
    expect(layer(r, 't').outputShape).toEqual([1, 3, 9]);
  });
});

describe('convTranspose1d/2d padding "sameUpper" / "sameLower" and outputSize in a network spec (ONNX\'s reading; PyTorch has none)', () => {
  it('convTranspose2d k 3 s 2 over 5×4, padding "sameUpper": 10×8 (in·s); outputSize [9, 9] "sameLower": 9 × 9', () => {
    expect(layer(analyze(net([1, 2, 5, 4], { op: 'convTranspose2d', outChannels: 3, kernelSize: 3, stride: 2, padding: 'sameUpper' })), 'l0').outputShape).toEqual([1, 3, 10, 8]);
    expect(layer(analyze(net([1, 2, 5, 4], { op: 'convTranspose2d', outChannels: 3, kernelSize: 3, stride: 2, padding: 'sameLower', outputSize: [9, 9] })), 'l0').outputShape).toEqual([1, 3, 9, 9]);
  });

  it('outputSize with integer padding: INVALID_ATTRIBUTE at $.layers[0].outputSize', () => {
    const e = errorOf(() => analyze(net([1, 2, 5], { op: 'convTranspose1d', outChannels: 3, kernelSize: 3, stride: 2, padding: 1, outputSize: [9] })));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.details.path).toBe('$.layers[0].outputSize');
  });
});
