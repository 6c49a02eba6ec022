/**
 * matmul's receptive field: out[…, m, n] = Σ_k a[…, m, k]·b[…, k, n] reads the contracted axis whole
 * at every unit. A field along it is global (as einsum's summed labels); a's rows and b's columns
 * keep theirs. Hand-worked on a conv1d (kernel 3, padding 1) over an 8-unit signal: each of its
 * units reads 3 input units, and a sum over its 8 positions reads all 8. Before, matmul merged its
 * operands' fields as an element-wise op does, so both kept the conv's 3: a TransformerEncoder
 * exported by torch 1.13 without constant folding (x·Wᵀ with Wᵀ a Transpose node, not a weight)
 * was warned MISALIGNED_PATHS at its score products and RECEPTIVE_FIELD_EXCEEDS_INPUT (144 > 64).
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze, layer } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

const GLOBAL_8 = { global: true, axes: ['l'], size: [8], stride: null, padding: null, centre: null };
const CONV_3 = { global: false, axes: ['l'], size: [3], stride: [1], padding: [1], centre: [0] };

describe('matmul over a 1-D signal\'s features (conv1d k3 p1 on 1×2×8)', () => {
  const spec = {
    inputs: [{ name: 'x', shape: [1, 2, 8] }],
    layers: [
      { name: 'c', op: 'conv1d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 't', op: 'transpose', inputs: 'c', perm: [0, 2, 1] },
      { name: 'gram', op: 'matmul', inputs: ['c', 't'] },
    ],
  };

  it('the Gram matrix F·Fᵀ [1, 4, 4] sums over the 8 positions: global, all 8 (it was the conv\'s 3), as einsum bcl,bdl->bcd', () => {
    const r = analyze(spec);
    expect(layer(r, 'c').receptiveField).toEqual(CONV_3);
    expect(layer(r, 'gram').outputShape).toEqual([1, 4, 4]);
    expect(layer(r, 'gram').receptiveField).toEqual(GLOBAL_8);
    const e = analyze({ ...spec, layers: [spec.layers[0], { name: 'gram', op: 'einsum', inputs: ['c', 'c'], equation: 'bcl,bdl->bcd' }] });
    expect(layer(e, 'gram').receptiveField).toEqual(layer(r, 'gram').receptiveField);
  });
});

describe('an ONNX MatMul by a Transpose node\'s output (torch.onnx without constant folding)', () => {
  // x [1, 2, 8] → Conv (4×2×3, pads 1) → c [1, 4, 8]; W [8, 8] and V [4, 4] initializers, each
  // transposed by a node: MatMul(c, Wᵀ) mixes the 8 positions, MatMul(Vᵀ, c) the 4 channels
  const model = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 8] }],
    outputs: ['along', 'across'],
    initializers: [
      { name: 'k', dims: [4, 2, 3] },
      { name: 'W', dims: [8, 8] },
      { name: 'V', dims: [4, 4] },
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'k'], outputs: ['c'], attrs: { pads: { ints: [1, 1] } } },
      { op: 'Transpose', name: 'wt', inputs: ['W'], outputs: ['Wt'], attrs: { perm: { ints: [1, 0] } } },
      { op: 'Transpose', name: 'vt', inputs: ['V'], outputs: ['Vt'], attrs: { perm: { ints: [1, 0] } } },
      { op: 'MatMul', name: 'along', inputs: ['c', 'Wt'], outputs: ['along'] },
      { op: 'MatMul', name: 'across', inputs: ['Vt', 'c'], outputs: ['across'] },
    ],
  });
  const r = analyzeGraph(importOnnx(model, { inputShapes: {} }).graph, DEFAULTS);

  it('c·Wᵀ contracts the positions: global, all 8 (it was the conv\'s 3)', () => {
    expect(layer(r, 'along').outputShape).toEqual([1, 4, 8]);
    expect(layer(r, 'along').receptiveField).toEqual(GLOBAL_8);
  });

  it('Vᵀ·c contracts the channels: each position keeps the conv\'s 3 units', () => {
    expect(layer(r, 'across').outputShape).toEqual([1, 4, 8]);
    expect(layer(r, 'across').receptiveField).toEqual(CONV_3);
  });
});

describe('matmul pairing positions of a 1-D signal (conv1d k3 p1 on 1×2×8, t = cᵀ [1, 8, 4])', () => {
  const layers = [
    { name: 'c', op: 'conv1d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
    { name: 't', op: 'transpose', inputs: 'c', perm: [0, 2, 1] },
    { name: 'scores', op: 'matmul', inputs: ['t', 'c'] },
    { name: 'p', op: 'softmax', inputs: 'scores', dim: -1 },
    { name: 'attended', op: 'matmul', inputs: ['p', 't'] },
  ];
  const r = analyze({ inputs: [{ name: 'x', shape: [1, 2, 8] }], layers });

  it('t·c [1, 8, 8]: unit (l, m) reads the 3 units around l and the 3 around m, no box of one stride: global (it was the 3 around l)', () => {
    expect(layer(r, 'scores').receptiveField).toEqual(GLOBAL_8);
  });

  it('softmax(t·c)·t, self-attention over the 8 positions: global, all 8 (it was 3: the attention weights were read as a gate)', () => {
    expect(layer(r, 'attended').outputShape).toEqual([1, 8, 4]);
    expect(layer(r, 'attended').receptiveField).toEqual(GLOBAL_8);
  });
});

describe('einsum pairing positions, as matmul (conv1d k3 p1 on 1×2×8)', () => {
  const r = analyze({
    inputs: [{ name: 'x', shape: [1, 2, 8] }],
    layers: [
      { name: 'c', op: 'conv1d', inputs: 'x', outChannels: 4, kernelSize: 3, padding: 1 },
      { name: 'scores', op: 'einsum', inputs: ['c', 'c'], equation: 'bcl,bcm->blm' },
      { name: 'p', op: 'softmax', inputs: 'scores', dim: -1 },
      { name: 'attended', op: 'einsum', inputs: ['p', 'c'], equation: 'blm,bcm->bcl' },
      { name: 'scaled', op: 'einsum', inputs: ['c', 'c'], equation: 'bcl,bdl->bcl' },
    ],
  });

  it('bcl,bcm->blm [1, 8, 8]: global, all 8 (it was the 3 around l), as matmul t·c', () => {
    expect(layer(r, 'scores').receptiveField).toEqual(GLOBAL_8);
  });

  it('blm,bcm->bcl after the softmax (attention over the positions): global (it was 3)', () => {
    expect(layer(r, 'attended').receptiveField).toEqual(GLOBAL_8);
  });

  it('bcl,bdl->bcl (each position with itself, the channels summed): the conv\'s 3 kept', () => {
    expect(layer(r, 'scaled').receptiveField).toEqual(CONV_3);
  });
});

describe('quantized matmuls (ONNX QLinearMatMul, MatMulInteger) contract their inner axis as matmul does (conv1d k3 p1 on 1×2×8, quantized)', () => {
  // c [1, 4, 8] quantized to uint8 (cq), t = cqᵀ [1, 8, 4]: cq·t is the Gram matrix over the 8
  // positions, cq·W (W a constant int8 [8, 5]) a linear over the positions, t·V (V [4, 3]) one over the channels
  const model = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 8] }],
    outputs: ['gram', 'gramInt', 'along', 'across'],
    initializers: [
      { name: 'k', dims: [4, 2, 3] },
      { name: 's', dims: [], data: [0.1] },
      { name: 'z', dims: [], data: [128], type: 'uint8' },
      { name: 'W', dims: [8, 5], data: new Array(40).fill(1), type: 'int8' },
      { name: 'V', dims: [4, 3], data: new Array(12).fill(1), type: 'int8' },
      { name: 'wz', dims: [], data: [0], type: 'int8' },
    ],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'k'], outputs: ['c'], attrs: { pads: { ints: [1, 1] } } },
      { op: 'QuantizeLinear', name: 'q', inputs: ['c', 's', 'z'], outputs: ['cq'] },
      { op: 'Transpose', name: 't', inputs: ['cq'], outputs: ['t'], attrs: { perm: { ints: [0, 2, 1] } } },
      { op: 'QLinearMatMul', name: 'gram', inputs: ['cq', 's', 'z', 't', 's', 'z', 's', 'z'], outputs: ['gram'] },
      { op: 'MatMulInteger', name: 'gramInt', inputs: ['cq', 't', 'z', 'z'], outputs: ['gramInt'] },
      { op: 'QLinearMatMul', name: 'along', inputs: ['cq', 's', 'z', 'W', 's', 'wz', 's', 'z'], outputs: ['along'] },
      { op: 'QLinearMatMul', name: 'across', inputs: ['t', 's', 'z', 'V', 's', 'wz', 's', 'z'], outputs: ['across'] },
    ],
  });
  const r = analyzeGraph(importOnnx(model, { inputShapes: {} }).graph, DEFAULTS);

  it('QLinearMatMul cq·cqᵀ [1, 4, 4] and MatMulInteger likewise sum over the 8 positions: global, all 8 (they kept the conv\'s 3)', () => {
    expect(layer(r, 'gram').outputShape).toEqual([1, 4, 4]);
    expect(layer(r, 'gram').receptiveField).toEqual(GLOBAL_8);
    expect(layer(r, 'gramInt').receptiveField).toEqual(GLOBAL_8);
  });

  it('QLinearMatMul by a constant W [8, 5] over the positions: global, all 8 (as a linear over a spatial axis; it kept 3)', () => {
    expect(layer(r, 'along').outputShape).toEqual([1, 4, 5]);
    expect(layer(r, 'along').receptiveField).toEqual(GLOBAL_8);
  });

  it('QLinearMatMul of cqᵀ by a constant V [4, 3] over the channels: each position keeps the conv\'s 3', () => {
    expect(layer(r, 'across').outputShape).toEqual([1, 8, 3]);
    expect(layer(r, 'across').receptiveField).toEqual(CONV_3);
  });
});
