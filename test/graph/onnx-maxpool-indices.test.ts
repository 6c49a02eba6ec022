/**
 * ONNX MaxPool's second output, Indices, counts over the whole input: the ONNX operator spec, "the
 * values in indices are in [0, N x C x D1 x ... x Dn)", row-major. PyTorch's max_pool2d(…,
 * return_indices=True) counts within each (n, c) plane, and torch.onnx (1.13, symbolic_opset10
 * _max_pool_with_indices) exports it as MaxPool's Indices minus those of a 1×1 MaxPool sliced at
 * each plane's first element, which turns ONNX's into PyTorch's. The importer sets maxPool2d's
 * indicesOver 'tensor'; a JSON spec keeps 'plane'.
 *
 * X [2, 2, 2, 4] holds x = 100·n + 10·c + row·4 + col, except a plane's maximum moved: every window
 * 2×2 (stride 2) has its maximum at its bottom right (row 1, columns 1 and 3: plane offsets 5 and 7)
 * but in plane (n 1, c 0), whose first window's maximum is put at its top left (offset 0).
 */
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const SHAPE = [2, 2, 2, 4];
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 26 };
const pool = (outputs: string[], name = 'pool', kernel = 2): NodeSpec => ({ op: 'MaxPool', inputs: ['x'], outputs, name, attrs: { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [kernel, kernel] } } });

function input(): number[] {
  const x: number[] = [];
  for (let n = 0; n < 2; n++) for (let c = 0; c < 2; c++) for (let i = 0; i < 8; i++) x.push(100 * n + 10 * c + i);
  // plane (1, 0) starts at 16: its first window's maximum at offset 0
  x[16] = 1000;
  return x;
}

const run = (nodes: NodeSpec[], outputs: string[], shape = SHAPE, data = input()) =>
  runGraph(importOnnx(onnxModel({ inputs: [{ name: 'x', shape }], outputs, nodes }), { inputShapes: {} }).graph, { x: tensor(shape, data) }, OPTS).outputs;

describe('ONNX MaxPool Indices: flat offsets over the whole N·C·H·W input, as the ONNX spec', () => {
  it('kernel 2 stride 2 on [2, 2, 2, 4]: imported with indicesOver tensor; plane p = 2n + c adds p·8 to its plane offsets [5, 7] ([0, 7] in plane 2)', () => {
    const g = importOnnx(onnxModel({ inputs: [{ name: 'x', shape: SHAPE }], outputs: ['y', 'i'], nodes: [pool(['y', 'i'])] }), { inputShapes: {} }).graph;
    expect(g.layers[0].attrs).toMatchObject({ returnIndices: true, indicesOver: 'tensor' });
    const { y, i } = run([pool(['y', 'i'])], ['y', 'i']);
    expect(Array.from(y.data)).toEqual([5, 7, 15, 17, 1000, 107, 115, 117]);
    expect(Array.from(i.data)).toEqual([5, 7, 13, 15, 16, 23, 29, 31]);
  });

  it("torch.onnx's export of return_indices (Indices minus a 1×1 MaxPool's sliced at each plane's [0, 0]) gives PyTorch's plane offsets [5, 7], [0, 7]", () => {
    const nodes: NodeSpec[] = [
      pool(['y', 'i']),
      pool(['_', 'flat'], 'ones', 1),
      { op: 'Slice', inputs: ['flat', 'starts', 'ends', 'axes'], outputs: ['first'], name: 'first' },
      { op: 'Sub', inputs: ['i', 'first'], outputs: ['plane'], name: 'plane' },
    ];
    const model = onnxModel({
      inputs: [{ name: 'x', shape: SHAPE }],
      outputs: ['plane'],
      nodes,
      initializers: [
        { name: 'starts', dims: [2], type: 'int64', data: [0, 0] },
        { name: 'ends', dims: [2], type: 'int64', data: [1, 1] },
        { name: 'axes', dims: [2], type: 'int64', data: [2, 3] },
      ],
    });
    const { plane } = runGraph(importOnnx(model, { inputShapes: {} }).graph, { x: tensor(SHAPE, input()) }, OPTS).outputs;
    expect(Array.from(plane.data)).toEqual([5, 7, 5, 7, 0, 7, 5, 7]);
  });

  it('a JSON spec keeps PyTorch\'s plane offsets (indicesOver plane by default): [5, 7] in every plane, [0, 7] in plane 2', () => {
    const graph = importOnnx(onnxModel({ inputs: [{ name: 'x', shape: SHAPE }], outputs: ['y', 'i'], nodes: [pool(['y', 'i'])] }), { inputShapes: {} }).graph;
    graph.layers[0].attrs = { ...graph.layers[0].attrs, indicesOver: 'plane' };
    const { i } = runGraph(graph, { x: tensor(SHAPE, input()) }, OPTS).outputs;
    expect(Array.from(i.data)).toEqual([5, 7, 5, 7, 0, 7, 5, 7]);
  });

  it('over [1, 2, 2900, 2900] (16,820,000 elements, each plane 8,410,000): refused 400 UNSUPPORTED_OPERATOR, the whole tensor past 2^24 + 1 (its indices would round); the same pool without Indices runs', () => {
    const shape = [1, 2, 2900, 2900];
    const data = new Float32Array(2 * 2900 * 2900);
    const e = errorOf(() => run([pool(['y', 'i'])], ['y', 'i'], shape, data as unknown as number[]));
    // at the node: returnIndices is derived from its outputs, no field of the file (it was $.attributes.returnIndices)
    expect(e).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', status: 400, details: { path: '$.graph.node[0]', layer: 'pool' } });
    expect(e.message).toContain('1×2×2900×2900 tensor (16820000 elements)');
    expect(e.message).toContain("ONNX's are int64");
    expect(run([pool(['y'])], ['y'], shape, data as unknown as number[]).y.shape).toEqual([1, 2, 1450, 1450]);
  });
});
