/**
 * Decomposed normalisations and activations (src/analysis/patterns.ts): recognised in what
 * torch.onnx.export writes at opset 13 (test/fixtures/onnx/norm_activation, convnext's LayerNorm
 * and GELU), not recognised when an intermediate is read elsewhere or a constant is not the module's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { findPatterns } from '../../src/analysis/patterns.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, analyze, net } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import type { NodeSpec } from '../graph/onnx-builder.js';

const DIR = new URL('../fixtures/onnx/norm_activation/', import.meta.url);
const graphOf = (name: string) => importOnnx(readFileSync(new URL(`${name}.onnx`, DIR)), { inputShapes: {} }).graph;

describe('patterns in torch.onnx.export output', () => {
  it('ConvNeXt block at opset 13: ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add is one layerNorm (axes [−1], ε 1e-6, affine) and Div/Erf/Add/Mul/Mul one exact GELU', () => {
    const g = graphOf('convnext_block_op13');
    const r = analyzeGraph(g, DEFAULTS);
    const p = findPatterns(g, r.layers);
    expect(p.map((x) => [x.kind, x.attributes, x.layers.length])).toEqual([
      ['layerNorm', { axes: [-1], eps: 1e-6, elementwiseAffine: true, bias: true }, 9],
      ['gelu', { approximate: 'none' }, 5],
    ]);
    // γ and β of the LayerNorm (8 + 8) are the Mul and Add constants; the GELU has none
    expect(p[0].params).toBe(16);
    expect(p[1].params).toBe(0);
    // each node keeps its own cost: the pattern's FLOPs are its layers' sum
    const flops = p[0].layers.reduce((n, name) => n + r.layers.find((l) => l.name === name)!.flops, 0);
    expect(p[0].flops).toBe(flops);
    expect(flops).toBeGreaterThan(0);
  });

  it('LayerNorm([5, 6]) over H, W at opset 13 (decomposed): the field after it is global with the NORMALISATION_RECEPTIVE_FIELD warning (local 3×3 before it), as nn.LayerNorm and LayerNormalization give', () => {
    // the ReduceMean's [1, 4, 1, 1] broadcast back alone reads as a gate (a squeeze-excitation's), which left it 3×3
    const r = analyzeGraph(graphOf('layernorm_hw_op13'), DEFAULTS);
    expect(r.patterns.map((p) => [p.kind, p.attributes.axes])).toEqual([['layerNorm', [-2, -1]]]);
    expect(r.outputs[0].receptiveField).toMatchObject({ global: true, size: [5, 6] });
    const w = r.warnings.filter((x) => x.code === 'NORMALISATION_RECEPTIVE_FIELD');
    expect(w.map((x) => [x.layer, x.localField])).toEqual([[expect.stringContaining('Div'), [{ size: 3, stride: 1, padding: 1 }, { size: 3, stride: 1, padding: 1 }]]]);
    // ConvNeXt's LayerNorm over channels (axes [−1] of NHWC) keeps the depthwise 7×7's field
    const c = analyzeGraph(graphOf('convnext_block_op13'), DEFAULTS);
    expect(c.outputs[0].receptiveField).toMatchObject({ global: false, size: [7, 7] });
  });

  it('LayerNorm([6]) over W only at opset 13 (decomposed): the same strip as the fused op gives (3 × 13, padding 6, after a 3×3 conv on 5×6: rows h−1…h+1; unit 0 holds columns −6…6, unit 5 −1…11, both ⊇ the row −1…6), not the 3×3 its ReduceMean read as a gate left', () => {
    const r = analyzeGraph(graphOf('layernorm_w_op13'), DEFAULTS);
    expect(r.patterns.map((p) => [p.kind, p.attributes.axes])).toEqual([['layerNorm', [-1]]]);
    const fused = analyze(net([1, 3, 5, 6], { op: 'conv2d', outChannels: 4, kernelSize: 3, padding: 1 }, { op: 'layerNorm', normalizedShape: [6] }, { op: 'conv2d', outChannels: 2, kernelSize: 1 }));
    expect(r.outputs[0].receptiveField).toEqual(fused.outputs[0].receptiveField);
    expect(r.outputs[0].receptiveField).toMatchObject({ global: false, size: [3, 13], padding: [1, 6] });
  });

  it("the report carries them: analyzeGraph's patterns equal findPatterns with the layers' figures; a spec has none", () => {
    const g = graphOf('convnext_block_op13');
    const r = analyzeGraph(g, DEFAULTS);
    expect(r.patterns).toEqual(findPatterns(g, r.layers));
    expect(r.patterns.map((p) => p.kind)).toEqual(['layerNorm', 'gelu']);
    expect(analyze(net([1, 4, 3, 3], { op: 'sigmoid' })).patterns).toEqual([]);
  });

  it('opset 17 writes LayerNormalization itself: only the GELU is a pattern; GELU(tanh) is found with its 0.044715·x³ and √(2/π)', () => {
    expect(findPatterns(graphOf('convnext_block_op17')).map((x) => x.kind)).toEqual(['gelu']);
    const t = findPatterns(graphOf('convnext_block_gelu_tanh_op17'));
    expect(t.map((x) => [x.kind, x.attributes, x.layers.length])).toEqual([['gelu', { approximate: 'tanh' }, 9]]);
  });

  it('GroupNorm(2, 8) as exported (Reshape/InstanceNormalization/Reshape/Mul/Add) is one groupNorm with 2 groups and 16 params; SiLU (Sigmoid/Mul) one swish', () => {
    const g = graphOf('groupnorm_silu_op13');
    const p = findPatterns(g, analyzeGraph(g, DEFAULTS).layers);
    expect(p.map((x) => [x.kind, x.attributes, x.params])).toEqual([
      ['groupNorm', { numGroups: 2, eps: 1e-5, affine: true }, 16],
      ['swish', {}, 0],
    ]);
  });

  it('Mish (Softplus/Tanh/Mul) is found in the activation chain; fused ops (LayerNormalization, InstanceNormalization alone) are no patterns', () => {
    expect(findPatterns(graphOf('activations_op13')).map((x) => x.kind)).toEqual(['mish']);
    expect(findPatterns(graphOf('layernorm_chw_op17'))).toEqual([]);
    expect(findPatterns(graphOf('instancenorm_op13'))).toEqual([]);
  });
});

describe('only unambiguous matches', () => {
  const c = (name: string, v: number) => ({ name, dims: [] as number[], data: [v] });
  const gelu = (extra: NodeSpec[] = [], outputs = ['y'], sqrt2 = 1.4142135) =>
    importOnnx(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 4] }],
        outputs,
        initializers: [c('r2', sqrt2), c('one', 1), c('half', 0.5)],
        nodes: [
          { op: 'Div', inputs: ['x', 'r2'], outputs: ['t'], name: 'div' },
          { op: 'Erf', inputs: ['t'], outputs: ['e'], name: 'erf' },
          { op: 'Add', inputs: ['e', 'one'], outputs: ['a'], name: 'add' },
          { op: 'Mul', inputs: ['x', 'a'], outputs: ['m'], name: 'mul' },
          { op: 'Mul', inputs: ['m', 'half'], outputs: ['y'], name: 'half' },
          ...extra,
        ],
      }),
      { inputShapes: {} },
    ).graph;

  it('the hand-built Div/Erf/Add/Mul/Mul is a GELU from x to y', () => {
    expect(findPatterns(gelu())).toEqual([{ kind: 'gelu', attributes: { approximate: 'none' }, layers: ['div', 'erf', 'add', 'mul', 'half'], input: 'x', output: 'y' }]);
  });
  it('not when the erf output is also read by another node, or is a graph output, or the divisor is 2 instead of √2', () => {
    expect(findPatterns(gelu([{ op: 'Relu', inputs: ['e'], outputs: ['z'], name: 'other' }], ['y', 'z']))).toEqual([]);
    expect(findPatterns(gelu([], ['y', 'e']))).toEqual([]);
    expect(findPatterns(gelu([], ['y'], 2))).toEqual([]);
  });
});
