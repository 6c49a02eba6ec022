import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from '../graph/onnx-builder.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url)));
const analyse = (name: string) =>
  analyzeGraph(importOnnx(fixture(name), { inputShapes: name === 'resnet18.onnx' ? { '': [1, 3, 224, 224] } : {} }).graph, { dtype: 'float32', flops: '2macs', includeBias: false });

describe('BATCHNORM_FOLDED: an ONNX export whose batch norms the exporter folded into the convs says so', () => {
  // scripts/export_folded.py: torchvision resnet18 exported in eval mode with torch.onnx.export's defaults
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/resnet18_folded.json', import.meta.url), 'utf8')) as {
    params: number;
    batchNorms: number;
    batchNormChannels: number;
  };

  it('resnet18 folded: 20 convs flagged, 4800 channels; the folded graph has PyTorch params − 4800; the note gives back PyTorch\'s 11,689,512', () => {
    const r = analyse('resnet18_folded.onnx');
    expect(r.totals.params).toBe(truth.params - truth.batchNormChannels);
    const w = r.warnings.find((x) => x.code === 'BATCHNORM_FOLDED');
    expect(w).toBeDefined();
    expect(w!.layers).toHaveLength(truth.batchNorms);
    expect(w!.foldedChannels).toBe(truth.batchNormChannels);
    expect(w!.moduleParams).toBe(truth.params);
    expect(w!.message).toContain('11,689,512');
  });

  it.each(['resnet18.onnx', 'unet.onnx', 'mobilenet_v2.onnx'])('%s, exported with its batch norms kept: no note', (name) => {
    expect(analyse(name).warnings.map((x) => x.code)).not.toContain('BATCHNORM_FOLDED');
  });
});

// found by a hunt: swin_t exported with constant folding counted its gathered relative position bias
// ([1, heads, 49, 49] where the module learns 169·heads) as parameters, +308,016 with no word
describe('EXPORTER_CONSTANTS_COUNTED: constants the exporter computed, read by element-wise layers and counted as parameters', () => {
  const net = (bias: string) =>
    onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 7, 7] }],
      outputs: ['y'],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv', attrs: { kernel_shape: { ints: [1, 1] } } },
        { op: 'Add', inputs: ['c', bias], outputs: ['y'], name: 'add' },
      ],
      initializers: [
        { name: 'w', dims: [2, 2, 1, 1], data: [1, 0, 0, 1] },
        { name: bias, dims: [1, 2, 7, 7], data: Array.from({ length: 98 }, (_, i) => i) },
      ],
    });
  const report = (bias: string) => analyzeGraph(importOnnx(net(bias)).graph, { dtype: 'float32', flops: '2macs', includeBias: false });

  it('an Add of onnx::Add_12 [1, 2, 7, 7]: 98 of the 102 parameters (4 conv weights) named, with the export setting that avoids it', () => {
    const r = report('onnx::Add_12');
    expect(r.totals.params).toBe(4 + 98);
    const w = r.warnings.find((x) => x.code === 'EXPORTER_CONSTANTS_COUNTED');
    expect(w).toMatchObject({ severity: 'info', constants: ['onnx::Add_12'], elements: 98 });
    expect(w!.message).toContain('do_constant_folding=False');
  });

  it('the same tensor under a module\'s name (pos_embedding, a learned parameter): no note', () => {
    expect(report('encoder.pos_embedding').warnings.map((x) => x.code)).not.toContain('EXPORTER_CONSTANTS_COUNTED');
  });

  // found by a review: GroupNorm's γ and β unsqueezed to [C, 1, 1] (onnx::Mul_12, onnx::Add_13) are the module's parameters, counted as PyTorch counts them
  it('per-channel operands [2, 1, 1] with exporter-made names (GroupNorm\'s γ and β, a layer scale): no note', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 7, 7] }],
      outputs: ['y'],
      nodes: [
        { op: 'Mul', inputs: ['x', 'onnx::Mul_12'], outputs: ['m'], name: 'scale' },
        { op: 'Add', inputs: ['m', 'onnx::Add_13'], outputs: ['y'], name: 'shift' },
      ],
      initializers: [
        { name: 'onnx::Mul_12', dims: [2, 1, 1], data: [1, 2] },
        { name: 'onnx::Add_13', dims: [2, 1, 1], data: [3, 4] },
      ],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, { dtype: 'float32', flops: '2macs', includeBias: false });
    expect(r.totals.params).toBe(4);
    expect(r.warnings.map((x) => x.code)).not.toContain('EXPORTER_CONSTANTS_COUNTED');
  });
});

// fix/onnx: swin_t exported with constant folding counted its 12 gathered relative-position biases (331,338
// elements) as parameters, 28,596,370 for PyTorch's 28,288,354; a constant the exporter made and the attention
// scores add is a fixed table, as PyTorch's relative_position_index buffer: counted as a buffer now
describe('EXPORTER_CONSTANTS_AS_BUFFERS: an exporter-made table added to attention scores (q·kᵀ) is a buffer', () => {
  const net = (bias: string) =>
    onnxModel({
      inputs: [
        { name: 'q', shape: [1, 2, 4, 8] },
        { name: 'k', shape: [1, 2, 8, 4] },
      ],
      outputs: ['y'],
      nodes: [
        { op: 'MatMul', inputs: ['q', 'k'], outputs: ['s'], name: 'scores' },
        { op: 'Add', inputs: ['s', bias], outputs: ['b'], name: 'bias' },
        { op: 'Softmax', inputs: ['b'], outputs: ['y'], name: 'softmax', attrs: { axis: { i: -1 } } },
      ],
      initializers: [{ name: bias, dims: [1, 2, 4, 4], data: Array.from({ length: 32 }, (_, i) => i) }],
    });
  const report = (bias: string) => analyzeGraph(importOnnx(net(bias)).graph, { dtype: 'float32', flops: '2macs', includeBias: false });

  it('onnx::Add_7 [1, 2, 4, 4] added to [1, 2, 4, 4] scores: 0 parameters, 32 buffers, still read (memory access) and held; the note gives the tables a 2 × 2 window learns, (2·2 − 1)² × 2 heads', () => {
    const r = report('onnx::Add_7');
    expect([r.totals.params, r.totals.buffers]).toEqual([0, 32]);
    const add = r.layers.find((l) => l.name === 'bias')!;
    expect([add.params, add.buffers, add.memoryAccess.elements.weights]).toEqual([0, 32, 32]);
    const w = r.warnings.find((x) => x.code === 'EXPORTER_CONSTANTS_AS_BUFFERS');
    expect(w).toMatchObject({ severity: 'info', constants: ['onnx::Add_7'], elements: 32, tableParams: 18 });
    expect(w!.message).toContain('counts 18');
    expect(r.warnings.map((x) => x.code)).not.toContain('EXPORTER_CONSTANTS_COUNTED');
  });

  it("the same tensor under a module's name (a learned full attention bias): 32 parameters, no note", () => {
    const r = report('blocks.0.attn.bias');
    expect([r.totals.params, r.totals.buffers]).toEqual([32, 0]);
    expect(r.warnings.map((x) => x.code)).not.toContain('EXPORTER_CONSTANTS_AS_BUFFERS');
  });
});

// found by a hunt: export_params=False makes every weight a graph input; each conv's reason named its tensor and
// advised onnxsim (which cannot fold an input): 25 KB on stderr for mobilenet_v3_large
describe('a conv whose weight is an input of the graph (torch.onnx.export with export_params=False)', () => {
  it('two such convs: unsupported with one reason, naming export_params', () => {
    const conv = (n: string, x: string, y: string) => ({ op: 'Conv', inputs: [x, `${n}.weight`], outputs: [y], name: n, attrs: { kernel_shape: { ints: [1, 1] } } });
    const bytes = onnxModel({
      inputs: [
        { name: 'x', shape: [1, 2, 4, 4] },
        { name: 'a.weight', shape: [2, 2, 1, 1] },
        { name: 'b.weight', shape: [2, 2, 1, 1] },
      ],
      outputs: ['y'],
      nodes: [conv('a', 'x', 'h'), conv('b', 'h', 'y')],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, { dtype: 'float32', flops: '2macs', includeBias: false });
    expect(r.totals.unsupported).toEqual([
      {
        opType: 'Conv',
        count: 2,
        nodes: ['a', 'b'],
        reasons: ["the weight W is an input of the graph, not an initializer: a model fed its kernel (a dynamic conv), or a file written with torch.onnx.export(export_params=False), which leaves the weights out (export with export_params=True: a file with its weights' data stripped keeps their shapes)"],
      },
    ]);
  });
});
