/**
 * Where the 1-D/3-D window and ConvTranspose mapper (map-conv-nd.ts) and the normalisation mapper
 * (map-norm.ts) refuse a node: the field of the file the refusal is about (Unsupported.field), which
 * a run's UNSUPPORTED_OPERATOR names ($.graph.node[k].attribute[j] or .input[i]); each named the
 * node alone before. The layer's reason (the report's) is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { onnxModel } from './onnx-builder.js';
import type { InitSpec, NodeSpec } from './onnx-builder.js';
import { oneNode } from './onnx-error-models.js';

/** The imported node's reason and the path a run refuses it at. */
function refusal(bytes: Uint8Array): { reason: unknown; path: string | undefined } {
  const { graph } = importOnnx(bytes);
  return { reason: graph.layers[0].attrs.reason, path: inferGraph(graph).analysed[0].unsupportedPath };
}

const ones = (name: string, dims: number[]): InitSpec => ({ name, dims, data: Array(dims.reduce((a, b) => a * b, 1)).fill(1) });

describe('windows (map-conv-nd.ts)', () => {
  it('Conv 1-D (W [4, 2, 3]) with pads of length 3, its attribute[1] after strides: refused at $.graph.node[0].attribute[1]', () => {
    const node: NodeSpec = { op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'], attrs: { strides: { ints: [1] }, pads: { ints: [1, 1, 1] } } };
    expect(refusal(oneNode(node, [ones('W', [4, 2, 3])], 17, [1, 2, 9]))).toEqual({ reason: 'pads of length 3 for a 1-D window (expected 2)', path: '$.graph.node[0].attribute[1]' });
  });

  it('Conv 1-D with auto_pad "SAME" (none of ONNX\'s four; it was read as NOTSET): refused at auto_pad, $.graph.node[0].attribute[0]', () => {
    const node: NodeSpec = { op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { s: 'SAME' } } };
    expect(refusal(oneNode(node, [ones('W', [4, 2, 3])], 17, [1, 2, 9]))).toEqual({ reason: 'auto_pad "SAME" (ONNX\'s are NOTSET, SAME_UPPER, SAME_LOWER, VALID)', path: '$.graph.node[0].attribute[0]' });
  });

  it('Conv 2-D (W [4, 2, 3, 3]) and MaxPool 2-D with auto_pad "SAME" (map-node.ts read it as NOTSET): refused at auto_pad, $.graph.node[0].attribute[0]', () => {
    const conv: NodeSpec = { op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { s: 'SAME' } } };
    const reason = 'auto_pad "SAME" (ONNX\'s are NOTSET, SAME_UPPER, SAME_LOWER, VALID)';
    expect(refusal(oneNode(conv, [ones('W', [4, 2, 3, 3])], 17, [1, 2, 9, 9]))).toEqual({ reason, path: '$.graph.node[0].attribute[0]' });
    const pool: NodeSpec = { op: 'MaxPool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { auto_pad: { s: 'SAME' }, kernel_shape: { ints: [2, 2] } } };
    expect(refusal(oneNode(pool, [], 13, [1, 2, 8, 8]))).toEqual({ reason, path: '$.graph.node[0].attribute[0]' });
  });

  it('auto_pad "" is NOTSET, as onnxruntime reads it (StringToAutoPadType; 1.30 runs Conv auto_pad "" pads [1, 1, 1, 1] on ones 1×1×4×4 to 1×2×4×4, corners 4, edges 6, inside 9): Conv 2-D and 1-D and ConvTranspose map with their pads, not refused', () => {
    const conv: NodeSpec = { op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { s: '' }, pads: { ints: [1, 1, 1, 1] } } };
    const two = importOnnx(oneNode(conv, [ones('W', [2, 1, 3, 3])], 17, [1, 1, 4, 4])).graph;
    expect(two.layers[0]).toMatchObject({ op: 'conv2d', attrs: { padding: [1, 1, 1, 1] } });
    expect(inferGraph(two).analysed[0].inferred?.outputs[0]).toEqual([1, 2, 4, 4]);
    const conv1: NodeSpec = { ...conv, attrs: { auto_pad: { s: '' }, pads: { ints: [1, 1] } } };
    expect(importOnnx(oneNode(conv1, [ones('W', [2, 1, 3])], 17, [1, 1, 4])).graph.layers[0]).toMatchObject({ op: 'conv1d', attrs: { padding: [1, 1] } });
    // a transposed conv with pads 1: (4 − 1)·1 − 2 + 3 = 4
    const t: NodeSpec = { op: 'ConvTranspose', name: 't', inputs: ['x', 'W'], outputs: ['y'], attrs: { auto_pad: { s: '' }, pads: { ints: [1, 1, 1, 1] } } };
    const tg = importOnnx(oneNode(t, [ones('W', [1, 2, 3, 3])], 17, [1, 1, 4, 4])).graph;
    expect(tg.layers[0]).toMatchObject({ op: 'convTranspose2d', attrs: { padding: [1, 1, 1, 1] } });
    expect(inferGraph(tg).analysed[0].inferred?.outputs[0]).toEqual([1, 2, 4, 4]);
  });

  it('MaxPool 1-D storage_order 1, its attribute[1] after kernel_shape: refused at $.graph.node[0].attribute[1]', () => {
    const node: NodeSpec = { op: 'MaxPool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2] }, storage_order: { i: 1 } } };
    expect(refusal(oneNode(node, [], 13, [1, 2, 8]))).toEqual({ reason: 'storage_order 1 (column-major indices)', path: '$.graph.node[0].attribute[1]' });
  });

  it('AveragePool-19 3-D with dilations [2, 2, 2], its attribute[1]: refused at $.graph.node[0].attribute[1]', () => {
    const node: NodeSpec = { op: 'AveragePool', name: 'p', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: { ints: [2, 2, 2] }, dilations: { ints: [2, 2, 2] } } };
    expect(refusal(oneNode(node, [], 19, [1, 2, 6, 6, 6]))).toEqual({ reason: 'dilated average pooling (opset 19)', path: '$.graph.node[0].attribute[1]' });
  });

  it('ConvTranspose 2-D whose W is a graph input (a dynamic kernel): refused at W, $.graph.node[0].input[1]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'W', shape: [2, 3, 3, 3] }],
      outputs: ['y'],
      nodes: [{ op: 'ConvTranspose', name: 't', inputs: ['x', 'W'], outputs: ['y'] }],
      opset: 17,
    });
    const r = refusal(bytes);
    expect(r.reason).toMatch(/^the weight W is an input of the graph, not an initializer/);
    expect(r.path).toBe('$.graph.node[0].input[1]');
  });

  it('ConvTranspose with W [3, 4] (rank 2, no window): refused at W, $.graph.node[0].input[1]', () => {
    const node: NodeSpec = { op: 'ConvTranspose', name: 't', inputs: ['x', 'W'], outputs: ['y'] };
    expect(refusal(oneNode(node, [ones('W', [3, 4])], 17, [1, 3, 8, 8]))).toEqual({
      reason: 'weight W [3, 4] has rank 2: a transposed convolution weight is [M, C/group, k1, …], of rank 3 or more',
      path: '$.graph.node[0].input[1]',
    });
  });
});

describe('normalisations (map-norm.ts)', () => {
  it('BatchNormalization whose mean (input 3) is a graph input: refused at $.graph.node[0].input[3]', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 2, 4, 4] }, { name: 'mean', shape: [2] }],
      outputs: ['y'],
      initializers: [ones('scale', [2]), ones('B', [2]), ones('var', [2])],
      nodes: [{ op: 'BatchNormalization', name: 'bn', inputs: ['x', 'scale', 'B', 'mean', 'var'], outputs: ['y'] }],
      opset: 15,
    });
    const r = refusal(bytes);
    expect(r.reason).toMatch(/^runningMean \(input 3\) is an input of the graph/);
    expect(r.path).toBe('$.graph.node[0].input[3]');
  });

  it('LayerNormalization Scale [8] beside B [4]: refused at B, $.graph.node[0].input[2]', () => {
    const node: NodeSpec = { op: 'LayerNormalization', name: 'ln', inputs: ['x', 'S', 'B'], outputs: ['y'] };
    expect(refusal(oneNode(node, [ones('S', [8]), ones('B', [4])], 17, [1, 2, 8]))).toEqual({ reason: 'B of shape [4] beside Scale [8]', path: '$.graph.node[0].input[2]' });
  });

  it('LayerNormalization axis −2 with a Scale [8] broadcast over both normalised dims: refused at Scale, $.graph.node[0].input[1]', () => {
    const node: NodeSpec = { op: 'LayerNormalization', name: 'ln', inputs: ['x', 'S'], outputs: ['y'], attrs: { axis: { i: -2 } } };
    expect(refusal(oneNode(node, [ones('S', [8])], 17, [1, 2, 8]))).toEqual({ reason: 'a Scale of shape [8] broadcast over the 2 normalised dims', path: '$.graph.node[0].input[1]' });
  });

  it('InstanceNormalization scale [2] beside B [3]: refused at B, $.graph.node[0].input[2]', () => {
    const node: NodeSpec = { op: 'InstanceNormalization', name: 'in', inputs: ['x', 'S', 'B'], outputs: ['y'] };
    expect(refusal(oneNode(node, [ones('S', [2]), { name: 'B', dims: [3], data: [0.5, 0, 0] }]))).toEqual({ reason: 'B of shape [3] beside scale [2]', path: '$.graph.node[0].input[2]' });
  });
});
