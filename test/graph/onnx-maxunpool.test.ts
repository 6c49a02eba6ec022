/**
 * ONNX MaxUnpool, 1-, 2- and 3-D (src/graph/onnx/map-conv-nd.ts → maxUnpool1d/2d/3d with
 * indicesOver 'tensor': ONNX's MaxUnpool reads MaxPool's Indices, which count over the whole
 * N·C·D1·…·Dn tensor, where PyTorch's count within each (n, c) plane). torch 1.13 exports no
 * MaxUnpool at any opset, so each fixture is torch.onnx's export of nn.MaxPool{1,2,3}d(return_indices=True)
 * at opsets 13 and 17 with a MaxUnpool added by onnx.helper (scripts/export_maxunpool_onnx.py) that
 * reads the pooled values and the MaxPool's raw Indices, output_shape Shape(x) ("u") or an int64
 * initializer ("u_const"). Expected: PyTorch's F.max_unpoolNd(values, plane indices,
 * output_size=x.size()); onnxruntime 1.30 gives the same on all six
 * (scripts/maxunpool_ort_check.mjs, not run here). Asymmetric pads and opset 22:
 * onnx-maxunpool-asym.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, layer } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { NodeSpec } from './onnx-builder.js';

const DIR = new URL('../fixtures/onnx-nd/', import.meta.url);
const OPTS = { training: false, seed: 0, weightInit: 'seed' as const, weights: {}, capture: [], maxElements: 1 << 20 };
const graphOf = (bytes: Uint8Array) => importOnnx(bytes, { inputShapes: {} }).graph;
interface Golden {
  kernel: number;
  stride: number;
  padding: number;
  input: { shape: number[]; data: number[] };
  values: { shape: number[]; data: number[] };
  indices: number[];
  unpooled: { shape: number[]; data: number[] };
}
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe.each([13, 17])('torch.onnx export of MaxPool(return_indices=True) + an ONNX MaxUnpool of its Indices, opset %i', (opset) => {
  describe.each([1, 2, 3])('%i-D', (rank) => {
    const name = `maxunpool_${rank}d_op${opset}`;
    const bytes = readFileSync(new URL(`${name}.onnx`, DIR));
    const g = JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as Golden;

    it(`imports both MaxUnpools as maxUnpool${rank}d over the whole tensor, kernel/stride/padding as given, output shape x's; 0 MACs, memory values + indices + output_shape + output`, () => {
      const graph = graphOf(bytes);
      const unpools = graph.layers.filter((l) => l.op === `maxUnpool${rank}d`);
      expect(unpools.map((l) => l.name)).toEqual(['unpool', 'unpool_const']);
      for (const l of unpools) expect(l.attrs).toMatchObject({ kernelSize: Array(rank).fill(g.kernel), stride: Array(rank).fill(g.stride), indicesOver: 'tensor' });
      const r = analyzeGraph(graph, DEFAULTS);
      expect([r.totals.complete, r.totals.unsupported]).toEqual([true, []]);
      for (const n of ['unpool', 'unpool_const']) {
        const l = layer(r, n);
        expect([l.supported, l.outputShape, l.macs]).toEqual([true, g.input.shape, 0]);
        // a scatter: reads the pooled values, their indices and output_shape's rank + 2 sizes (as every input is counted), writes the output; 4 bytes each
        expect(l.memoryAccess).toMatchObject({ bytes: 4 * (2 * numel(g.values.shape) + (rank + 2) + numel(g.input.shape)) });
      }
    });

    it("runs to PyTorch's F.max_unpool output exactly (output_shape from Shape(x) and constant), the exported plane indices PyTorch's", () => {
      const out = runGraph(graphOf(bytes), { x: tensor(g.input.shape, g.input.data) }, OPTS).outputs;
      const want = g.unpooled.data.map(Math.fround);
      for (const u of [out.u, out.u_const]) {
        expect(u.shape).toEqual(g.unpooled.shape);
        expect(Array.from(u.data)).toEqual(want);
      }
      expect(Array.from(out.indices.data)).toEqual(g.indices);
    });
  });
});

describe('ONNX MaxUnpool of hand-built graphs: indices over the whole tensor', () => {
  const model = (shape: number[], kernel: number[], extra: NodeSpec[], outputs: string[], attrs: NodeSpec['attrs'] = {}, initializers: Parameters<typeof onnxModel>[0]['initializers'] = []) =>
    onnxModel({
      inputs: [{ name: 'x', shape }],
      outputs,
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i'], name: 'pool', attrs: { kernel_shape: { ints: kernel }, strides: { ints: kernel } } },
        { op: 'MaxUnpool', inputs: ['y', 'i', ...extra.map(() => 'shape')].slice(0, 3), outputs: ['u'], name: 'unpool', attrs: { kernel_shape: { ints: kernel }, strides: { ints: kernel }, ...attrs } },
        ...extra,
      ],
      initializers,
      opset: 17,
    });

  it('kernel [2] on [1, 2, 4] of [0, 9, 9, 0 | 0, 9, 9, 0]: Indices [1, 2, 5, 6] (plane 1 from 4) put the 9s back, [0, 9, 9, 0 | 0, 9, 9, 0] (onnxruntime 1.30 the same)', () => {
    const x = [0, 9, 9, 0, 0, 9, 9, 0];
    const { u, i } = runGraph(graphOf(model([1, 2, 4], [2], [], ['u', 'i'])), { x: tensor([1, 2, 4], x) }, OPTS).outputs;
    expect(Array.from(i.data)).toEqual([1, 2, 5, 6]);
    expect([u.shape, Array.from(u.data)]).toEqual([[1, 2, 4], x]);
  });

  it('kernel [2, 2] on [2, 1, 2, 3] with output_shape Shape(x): each 2×3 sample keeps its max (8 at 4, 7 at 6 + 1) and zeros, the odd column restored (default width 2); onnxruntime 1.30 the same', () => {
    const x = [1, 2, 5, 3, 8, 6, 7, 0, 0, 1, 2, 9];
    const bytes = model([2, 1, 2, 3], [2, 2], [{ op: 'Shape', inputs: ['x'], outputs: ['shape'], name: 'shape_of_x' }], ['u', 'i']);
    const { u, i } = runGraph(graphOf(bytes), { x: tensor([2, 1, 2, 3], x) }, OPTS).outputs;
    expect(Array.from(i.data)).toEqual([4, 6]);
    expect([u.shape, Array.from(u.data)]).toEqual([[2, 1, 2, 3], [0, 0, 0, 0, 8, 0, 7, 0, 0, 0, 0, 0]]);
  });

  it('output_shape fed by the caller (a graph input, no values to fold): the layer is unsupported at its input 2, the rest analysed', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [1, 1, 4] }, { name: 'shape', shape: [3], elemType: 7 }],
      outputs: ['u'],
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['y', 'i'], name: 'pool', attrs: { kernel_shape: { ints: [2] }, strides: { ints: [2] } } },
        { op: 'MaxUnpool', inputs: ['y', 'i', 'shape'], outputs: ['u'], name: 'unpool', attrs: { kernel_shape: { ints: [2] }, strides: { ints: [2] } } },
      ],
      opset: 17,
    });
    const r = analyzeGraph(graphOf(bytes), DEFAULTS);
    expect(r.totals.complete).toBe(false);
    expect(JSON.stringify(r.totals.unsupported)).toContain('max unpooling output size computed from tensor values');
    expect(layer(r, 'pool').outputShape).toEqual([1, 1, 2]);
  });

  describe("output_shape follows onnxruntime's rule, not PyTorch's: any size from the default up", () => {
    // MaxUnpool k=2 s=2 of x = [5, 7] at I = [1, 2] ([1, 1, 2]; default length 2·(2 − 1) + 2 − pads), output_shape an initializer
    const unpool = (size: number, pads?: number[]) =>
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 2] }, { name: 'i', shape: [1, 1, 2], elemType: 7 }],
        outputs: ['u'],
        nodes: [{ op: 'MaxUnpool', inputs: ['x', 'i', 's'], outputs: ['u'], name: 'unpool', attrs: { kernel_shape: { ints: [2] }, strides: { ints: [2] }, ...(pads ? { pads: { ints: pads } } : {}) } }],
        initializers: [{ name: 's', dims: [3], data: [1, 1, size], type: 'int64' }],
        opset: 17,
      });
    const runOf = (bytes: Uint8Array) => runGraph(graphOf(bytes), { x: tensor([1, 1, 2], [5, 7]), i: tensor([1, 1, 2], [1, 2]) }, OPTS).outputs.u;

    it('[1, 1, 8] for default 4 (PyTorch refuses 6 and up): [0, 5, 7, 0, 0, 0, 0, 0], as onnxruntime 1.30', () => {
      expect([runOf(unpool(8)).shape, Array.from(runOf(unpool(8)).data)]).toEqual([[1, 1, 8], [0, 5, 7, 0, 0, 0, 0, 0]]);
    });

    it('pads [1, 1] (default 2) with output_shape [1, 1, 4]: [0, 5, 7, 0], as onnxruntime 1.30', () => {
      expect(Array.from(runOf(unpool(4, [1, 1])).data)).toEqual([0, 5, 7, 0]);
    });

    it('[1, 1, 3] below default 4 is refused at output_shape (onnxruntime: "output_shape is smaller than minimum required"; PyTorch would take it)', () => {
      const e = errorOf(() => analyzeGraph(graphOf(unpool(3)), DEFAULTS));
      expect([e.code, e.details.path]).toEqual(['INVALID_ATTRIBUTE', '$.graph.node[0].input[2]']);
      expect(e.message).toContain('outputSize 3 (length) may not be below 4, the default');
    });
  });

  it('asymmetric pads [0, 0, 1, 1] (once refused) map whole to the padding, output (2 − 1)·2 + 2 − 0 − 1 = 3 per axis (onnx-maxunpool-asym.test.ts); output_shape with another batch size is a shape mismatch', () => {
    const asym = graphOf(model([1, 1, 4, 4], [2, 2], [], ['u'], { pads: { ints: [0, 0, 1, 1] } }));
    expect(asym.layers.find((l) => l.name === 'unpool')!.attrs).toMatchObject({ padding: [0, 0, 1, 1], indicesOver: 'tensor' });
    expect(layer(analyzeGraph(asym, DEFAULTS), 'unpool').outputShape).toEqual([1, 1, 3, 3]);
    const wrongN = model([1, 1, 4, 4], [2, 2], [{ op: 'Identity', inputs: ['s'], outputs: ['shape'], name: 'id' }], ['u'], {}, [{ name: 's', dims: [4], data: [2, 1, 4, 4], type: 'int64' }]);
    const e = errorOf(() => analyzeGraph(graphOf(wrongN), DEFAULTS));
    expect([e.code, e.message]).toEqual(['SHAPE_MISMATCH', "layer 'unpool': output size [2, 1, 4, 4] must be a shape of 4 sizes whose N and C are x's [1, 1, 2, 2]"]);
  });
});
