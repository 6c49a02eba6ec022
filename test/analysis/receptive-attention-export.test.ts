/**
 * Self-attention written out as torch.onnx exports it (MatMul q·kᵀ, Softmax, MatMul attn·v) states
 * the ATTENTION_RECEPTIVE_FIELD note the built-in multiHeadAttention states, where the field turns
 * global (src/ops/receptive-products.ts). Fixture: scripts/export_conv1d_transformer.py, a
 * Conv1d(2, 8, 3, padding=1) on 1×2×16 and a TransformerEncoderLayer(8, 2, 16, batch_first=True)
 * over its 16 positions, torch 1.13, opset 17, weights stripped. Autograd (the JSON): one output
 * position of the conv reads 3 input positions (7, 8, 9 for unit 8), one of the encoder layer all 16.
 * Before, the field turned global at the scores with no note: the exported attention said nothing of
 * what the built-in op says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze, layer } from '../helpers.js';

const fixture = (name: string) => new URL(`../fixtures/attention/${name}`, import.meta.url);
const truth = JSON.parse(readFileSync(fixture('conv1d_transformer.json'), 'utf8')) as { convFootprint8: number[]; encoderFootprint8: number[] };
const notes = (r: { warnings: { code: string; layer?: string; message: string }[] }) => r.warnings.filter((w) => w.code === 'ATTENTION_RECEPTIVE_FIELD');

describe('an exported TransformerEncoderLayer over a conv1d\'s 16 positions (conv k3 p1 on 1×2×16)', () => {
  const graph = importOnnx(new Uint8Array(readFileSync(fixture('conv1d_transformer.op17.onnx'))), { inputShapes: {} }).graph;
  const r = analyzeGraph(graph, DEFAULTS);

  it('the conv reads 3 positions and the encoder\'s output all 16, as autograd finds', () => {
    expect(truth.convFootprint8).toEqual([7, 8, 9]);
    expect(layer(r, '/conv/Conv').receptiveField).toMatchObject({ global: false, size: [truth.convFootprint8.length] });
    expect(truth.encoderFootprint8).toHaveLength(16);
    expect(layer(r, '/encoder/norm2/LayerNormalization').receptiveField).toMatchObject({ global: true, size: [16] });
  });

  it('one ATTENTION_RECEPTIVE_FIELD note, at the scores q·kᵀ (MatMul_1) where the field turns global; none at attn·v, whose scores are global already', () => {
    expect(layer(r, '/encoder/self_attn/Div_1').receptiveField).toMatchObject({ global: false, size: [3] });
    expect(layer(r, '/encoder/self_attn/MatMul_1').receptiveField).toMatchObject({ global: true });
    const n = notes(r);
    expect(n.map((w) => w.layer)).toEqual(['/encoder/self_attn/MatMul_1']);
    expect(n[0]).toMatchObject({ severity: 'info', window: null });
    expect(n[0].message).toMatch(/every output unit reads every position, so the receptive field is global/);
  });
});

describe('the note names attention-like products of two activations only (conv1d k3 p1 on 1×2×8)', () => {
  const layers = [
    { name: 'c', op: 'conv1d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 't', op: 'transpose', inputs: 'c', perm: [0, 2, 1] },
  ];
  const run = (more: object[]) => analyze({ inputs: [{ name: 'x', shape: [1, 2, 8] }], layers: [...layers, ...more] });

  it('matmul t·c (scores over the 8 positions) and einsum bcl,bcm->blm: the note, as the built-in global attention\'s', () => {
    expect(notes(run([{ name: 'scores', op: 'matmul', inputs: ['t', 'c'] }])).map((w) => w.layer)).toEqual(['scores']);
    expect(notes(run([{ name: 'scores', op: 'einsum', inputs: ['c', 'c'], equation: 'bcl,bcm->blm' }])).map((w) => w.layer)).toEqual(['scores']);
  });

  it('a linear over the channels (fields kept) and einsum bcl,bdl->bcl (each position with itself): no note', () => {
    expect(notes(run([{ name: 'p', op: 'linear', inputs: 't', outFeatures: 5 }]))).toEqual([]);
    expect(notes(run([{ name: 's', op: 'einsum', inputs: ['c', 'c'], equation: 'bcl,bdl->bcl' }]))).toEqual([]);
  });
});
