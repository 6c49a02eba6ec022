/**
 * ONNX MaxPool with an Indices output over 1 and 3 spatial axes (src/graph/onnx/map-conv-nd.ts):
 * maxPool1d/3d with returnIndices over the whole tensor (indicesOver 'tensor', the ONNX spec's
 * [0, N x C x D1 x … x Dn)), as the 2-D MaxPool's (test/graph/onnx-maxpool-indices.test.ts).
 * torch.onnx 1.13 exports nn.MaxPool1d/3d(return_indices=True) at opsets 13 and 17 as that
 * MaxPool's Indices minus those of a 1-wide MaxPool (kernel [1] or [1, 1, 1]) sliced at each plane's
 * first element: the whole subgraph gives PyTorch's plane offsets (scripts/goldens_pool_indices_nd.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx-nd/', import.meta.url);
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };
interface Golden {
  module: string;
  input: { shape: number[]; data: number[] };
  values: { shape: number[]; data: number[] };
  indices: number[];
}

describe.each([13, 17])('torch.onnx.export of return_indices, opset %i: PyTorch\'s plane indices through MaxPool − Slice(1-wide MaxPool)', (opset) => {
  it.each(['1d', '3d'])('nn.MaxPool%s(return_indices=True): values and indices equal PyTorch\'s', (tag) => {
    const bytes = readFileSync(new URL(`maxpool_indices_${tag}_op${opset}.onnx`, DIR));
    const g = JSON.parse(readFileSync(new URL(`maxpool_indices_${tag}_op${opset}.json`, DIR), 'utf8')) as Golden;
    const graph = importOnnx(bytes, { inputShapes: {} }).graph;
    const rank = tag === '1d' ? 1 : 3;
    // the pool and the 1-wide pool whose indices give each plane's start
    const pools = graph.layers.filter((l) => l.op === `maxPool${rank}d`);
    expect(pools.map((l) => l.attrs)).toEqual(pools.map(() => expect.objectContaining({ returnIndices: true, indicesOver: 'tensor' })));
    const { y, indices } = runGraph(graph, { x: tensor(g.input.shape, g.input.data) }, OPTS).outputs;
    expect(y.shape).toEqual(g.values.shape);
    expect(Array.from(y.data)).toEqual(g.values.data.map(Math.fround));
    expect(indices.shape).toEqual(g.values.shape);
    expect(Array.from(indices.data)).toEqual(g.indices);
  });
});

describe('ONNX MaxPool Indices over 1 and 3 axes: offsets over the whole N·C·… input', () => {
  const model = (shape: number[], kernel: number[], outputs: string[], attrs: NodeSpec['attrs'] = {}) =>
    onnxModel({ inputs: [{ name: 'x', shape }], outputs: outputs.filter((o) => o !== ''), nodes: [{ op: 'MaxPool', inputs: ['x'], outputs, name: 'pool', attrs: { kernel_shape: { ints: kernel }, strides: { ints: kernel }, ...attrs } }] });

  it('kernel [2] on [1, 2, 4] of [0, 9, 9, 0 | 0, 9, 9, 0]: plane 1 adds 4 to its plane offsets [1, 2] → [1, 2, 5, 6]', () => {
    const graph = importOnnx(model([1, 2, 4], [2], ['y', 'i']), { inputShapes: {} }).graph;
    expect(graph.layers[0]).toMatchObject({ op: 'maxPool1d', attrs: { returnIndices: true, indicesOver: 'tensor' } });
    const { i } = runGraph(graph, { x: tensor([1, 2, 4], [0, 9, 9, 0, 0, 9, 9, 0]) }, OPTS).outputs;
    expect(Array.from(i.data)).toEqual([1, 2, 5, 6]);
  });

  it("kernel [1, 2, 2] on [2, 1, 2, 2, 2]: each 2×2×2 plane's maxima at offsets 3 (slice 0) and 6 (slice 1), the second plane's counted from 8: [3, 6, 11, 14]", () => {
    // each 2×2×2 volume: slice 0 maximum at offset 3, slice 1 at offset 6
    const vol = [0, 0, 0, 5, 0, 0, 7, 0];
    const { i } = runGraph(importOnnx(model([2, 1, 2, 2, 2], [1, 2, 2], ['y', 'i']), { inputShapes: {} }).graph, { x: tensor([2, 1, 2, 2, 2], [...vol, ...vol]) }, OPTS).outputs;
    expect(Array.from(i.data)).toEqual([3, 6, 11, 14]);
  });

  it('an empty Indices name (no second output) imports as the values alone; storage_order 1 is still refused at its attribute', () => {
    expect(importOnnx(model([1, 1, 4], [2], ['y', '']), { inputShapes: {} }).graph.layers[0].attrs).toMatchObject({ returnIndices: false });
    const refused = importOnnx(model([1, 1, 2, 2, 2], [1, 2, 2], ['y', 'i'], { storage_order: { i: 1 } }), { inputShapes: {} }).graph.layers[0];
    expect(refused.attrs.reason).toContain('storage_order 1');
  });
});
