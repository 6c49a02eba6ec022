/**
 * ONNX MaxUnpool with asymmetric pads (begin ≠ end) and at opset 22 (src/graph/onnx/map-conv-nd.ts
 * → maxUnpool1d/2d/3d with the 2N padding [b1 … bN, e1 … eN]). ONNX's rule (its shape inference,
 * onnxruntime's Unpool): the output per axis is (I − 1)·s + k − pb − pe unless output_shape gives it,
 * and I counts over the whole unpadded N·C·…spatial output. PyTorch pads both ends alike, so the
 * fixtures are onnx.helper models (scripts/export_maxunpool_asym_onnx.py): an ONNX MaxPool with the
 * pads, its values and Indices into MaxUnpool "u_shape" (output_shape Shape(x)) and, where the
 * default is x's size, "u" (no output_shape). Expected: PyTorch's F.max_poolNd of x padded with −∞
 * by F.pad, its indices moved to the unpadded x, the values scattered back; onnxruntime 1.30 gives
 * the same, bit for bit, on all four (scripts/maxunpool_ort_check.mjs, not run here). The opset-22
 * model: onnx 1.12 writes it and its checker passes it only against MaxUnpool-11 (it knows opsets
 * to 17); MaxUnpool-22 widens the element types, nothing else, so it reads as MaxUnpool-11 (the
 * importer follows opsets to 27: no ONNX_OPSET_NEWER_THAN_READ warning).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, layer } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { InitSpec } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx-nd/', import.meta.url);
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };
const graphOf = (bytes: Uint8Array) => importOnnx(bytes, { inputShapes: {} }).graph;
interface Golden {
  pads: number[];
  default: number[];
  withDefault: boolean;
  input: { shape: number[]; data: number[] };
  values: { shape: number[]; data: number[] };
  indices: number[];
  unpooled: { shape: number[]; data: number[] };
}

describe.each([
  ['maxunpool_asym_1d_op17', 1],
  ['maxunpool_asym_2d_op17', 2],
  ['maxunpool_asym_2d_op22', 2],
  ['maxunpool_asym_3d_op17', 3],
] as const)('%s: ONNX MaxPool + MaxUnpool with pads begin ≠ end', (name, rank) => {
  const bytes = readFileSync(new URL(`${name}.onnx`, DIR));
  const g = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Golden;
  const unpools = g.withDefault ? ['unpool_shape', 'unpool'] : ['unpool_shape'];

  it(`imports each MaxUnpool as maxUnpool${rank}d with the pads whole (2N, begin ≠ end); analysed complete, output x's shape`, () => {
    const graph = graphOf(bytes);
    expect(graph.layers.filter((l) => l.op === `maxUnpool${rank}d`).map((l) => [l.name, l.attrs.padding])).toEqual(unpools.map((n) => [n, g.pads]));
    const r = analyzeGraph(graph, DEFAULTS);
    expect([r.totals.complete, r.totals.unsupported]).toEqual([true, []]);
    for (const n of unpools) expect([layer(r, n).supported, layer(r, n).outputShape, layer(r, n).macs]).toEqual([true, g.input.shape, 0]);
    // opset 22 is within what the importer follows (27): no model-wide warning (22 widens MaxPool's and MaxUnpool's types only)
    expect(r.warnings.filter((w) => w.code === 'ONNX_OPSET_NEWER_THAN_READ')).toEqual([]);
  });

  it(`runs to PyTorch's (and onnxruntime's) pooled values, whole-tensor Indices and unpooled output exactly`, () => {
    const out = runGraph(graphOf(bytes), { x: tensor(g.input.shape, g.input.data) }, OPTS).outputs;
    expect(Array.from(out.y.data)).toEqual(g.values.data.map(Math.fround));
    expect(Array.from(out.indices.data)).toEqual(g.indices);
    for (const u of g.withDefault ? [out.u_shape, out.u] : [out.u_shape]) {
      expect(u.shape).toEqual(g.unpooled.shape);
      expect(Array.from(u.data)).toEqual(g.unpooled.data.map(Math.fround));
    }
  });
});

it("maxunpool_asym_2d's pool and pads without output_shape: the default (I − 1)·s + k − pb − pe = [4, 7] for x's [5, 7] (k [3, 2], s 2, pads [1, 0, 0, 1], pooled [2, 4]), so x's height comes from output_shape alone", () => {
  const attrs = { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, pads: { ints: [1, 0, 0, 1] } };
  const bytes = onnxModel({
    inputs: [{ name: 'x', shape: [2, 2, 5, 7] }],
    outputs: ['u'],
    nodes: [
      { op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i'], name: 'pool', attrs },
      { op: 'MaxUnpool', inputs: ['y', 'i'], outputs: ['u'], name: 'unpool', attrs },
    ],
    opset: 17,
  });
  const r = analyzeGraph(graphOf(bytes), DEFAULTS);
  // (2 − 1)·2 + 3 − 1 − 0 = 4; (4 − 1)·2 + 2 − 0 − 1 = 7
  expect([layer(r, 'pool').outputShape, layer(r, 'unpool').outputShape]).toEqual([[2, 2, 2, 4], [2, 2, 4, 7]]);
});

describe('hand-built MaxUnpools with asymmetric pads', () => {
  // MaxUnpool of x and I given (graph inputs), pads and output_shape as asked; kernel_shape, strides, pads are attribute[0], [1], [2]
  const unpool = (shape: number[], k: number[], s: number[], pads: number[], outputShape?: number[]) =>
    onnxModel({
      inputs: [{ name: 'x', shape }, { name: 'i', shape, elemType: 7 }],
      outputs: ['u'],
      nodes: [{ op: 'MaxUnpool', inputs: ['x', 'i', ...(outputShape ? ['s'] : [])], outputs: ['u'], name: 'unpool', attrs: { kernel_shape: { ints: k }, strides: { ints: s }, pads: { ints: pads } } }],
      initializers: outputShape ? [{ name: 's', dims: [outputShape.length], data: outputShape, type: 'int64' } as InitSpec] : [],
      opset: 17,
    });
  const run = (bytes: Uint8Array, shape: number[], x: number[], i: number[]) => runGraph(graphOf(bytes), { x: tensor(shape, x), i: tensor(shape, i) }, OPTS).outputs.u;

  it('1-D, hand-worked: x [5, 6, 7] at I [0, 1, 3], k 2, s 2, pads [1, 0] → length (3 − 1)·2 + 2 − 1 − 0 = 5, [5, 6, 0, 7, 0]; pads [0, 1] the same (I counts in the unpadded output); onnxruntime 1.30 both the same', () => {
    for (const pads of [[1, 0], [0, 1]]) {
      const u = run(unpool([1, 1, 3], [2], [2], pads), [1, 1, 3], [5, 6, 7], [0, 1, 3]);
      expect([u.shape, Array.from(u.data)]).toEqual([[1, 1, 5], [5, 6, 0, 7, 0]]);
    }
  });

  it('2-D pads [t, l, b, r] = [1, 0, 0, 0] on one 2×2 plane, k 2, s 2: height 4 − 1 = 3, width 4; 1, 2, 3, 4 at 0, 5, 8, 11 of the 3×4 output', () => {
    const u = run(unpool([1, 1, 2, 2], [2, 2], [2, 2], [1, 0, 0, 0]), [1, 1, 2, 2], [1, 2, 3, 4], [0, 5, 8, 11]);
    expect([u.shape, Array.from(u.data)]).toEqual([[1, 1, 3, 4], [1, 0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 4]]);
  });

  it('output_shape from the asymmetric default up: pads [1, 0] (default 5) takes [1, 1, 6] ([5, 6, 0, 7, 0, 0]), refuses [1, 1, 4] at output_shape', () => {
    expect(Array.from(run(unpool([1, 1, 3], [2], [2], [1, 0], [1, 1, 6]), [1, 1, 3], [5, 6, 7], [0, 1, 3]).data)).toEqual([5, 6, 0, 7, 0, 0]);
    const e = errorOf(() => analyzeGraph(graphOf(unpool([1, 1, 3], [2], [2], [1, 0], [1, 1, 4])), DEFAULTS));
    expect([e.code, e.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.graph.node[0].input[2]']);
    expect(e.message).toContain('outputSize 4 (length) may not be below 5, the default');
  });

  it('a default below 1 is refused at pads (NON_POSITIVE_SIZE), output_shape or not, as onnxruntime 1.30 ("Computed output dimension is not positive for axis 2"): k 3, s 1, pads [2, 2] on one element → −1; k 2, pads [1, 1] → 0', () => {
    for (const [k, pads, def, outputShape] of [
      [3, [2, 2], -1, undefined],
      [3, [2, 2], -1, [1, 1, 2]],
      [2, [1, 1], 0, undefined],
    ] as const) {
      const e = errorOf(() => analyzeGraph(graphOf(unpool([1, 1, 1], [k], [1], [...pads], outputShape && [...outputShape])), DEFAULTS));
      expect([e.code, e.details.path]).toEqual(['NON_POSITIVE_SIZE', '$.graph.node[0].attribute[2]']);
      expect(e.message).toContain(`output length ${def} = (1 − 1)·1 − ${pads[0]} − ${pads[1]} + ${k} is not positive`);
    }
  });
});
