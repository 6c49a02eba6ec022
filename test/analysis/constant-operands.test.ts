/**
 * Float initializers an imported node reads directly, in the forms torch 1.13 writes Swin V2's
 * attention without constant folding (scripts/export_catalog.py): which are learned parameters
 * (PyTorch's model.parameters()) and which are buffers the model computes from. And the folding
 * budget: big constant-only tensors (Swin V2's shifted-window masks) spending it must not leave a
 * later layer's shape arithmetic unknown.
 */
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, layer } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';

const analyse = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes).graph, DEFAULTS);

describe('constant operands: parameters or buffers', () => {
  it('Linear 2→4 applied to a constant table T [1,3,3,2] (cpb_mlp on relative_coords_table): MatMul(T, Transpose(W)) counts W (8), not T; MACs 9·2·4 = 72', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3, 3, 4] }],
        outputs: ['y'],
        initializers: [
          { name: 'T', dims: [1, 3, 3, 2] },
          { name: 'W', dims: [4, 2] },
        ],
        nodes: [
          { op: 'Transpose', inputs: ['W'], outputs: ['Wt'], name: 'wt', attrs: { perm: { ints: [1, 0] } } },
          { op: 'MatMul', inputs: ['T', 'Wt'], outputs: ['bias'], name: 'cpb' },
          { op: 'Add', inputs: ['x', 'bias'], outputs: ['y'], name: 'add' },
        ],
      }),
    );
    expect(r.totals.params).toBe(8);
    expect(layer(r, 'cpb').params).toBe(0);
    expect(layer(r, 'cpb').macs).toBe(72);
  });

  it('two constant operands read directly: MatMul(T [3,2], W [2,4]) counts the right one (W, 8), the left is its input', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [3, 4] }],
        outputs: ['y'],
        initializers: [
          { name: 'T', dims: [3, 2] },
          { name: 'W', dims: [2, 4] },
        ],
        nodes: [
          { op: 'MatMul', inputs: ['T', 'W'], outputs: ['t'], name: 'mm' },
          { op: 'Add', inputs: ['x', 't'], outputs: ['y'], name: 'add' },
        ],
      }),
    );
    expect(layer(r, 'mm').params).toBe(8);
    expect(r.totals.params).toBe(8);
  });

  it('a learned matrix Q [5,8] on the left of an activation x [1,1,8,6] (Q·x) is a parameter: 40; MACs 5·8·6 = 240', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 8, 6] }],
        outputs: ['y'],
        initializers: [{ name: 'Q', dims: [5, 8] }],
        nodes: [{ op: 'MatMul', inputs: ['Q', 'x'], outputs: ['y'], name: 'mm' }],
      }),
    );
    expect(layer(r, 'mm').params).toBe(40);
    expect(layer(r, 'mm').macs).toBe(240);
  });

  it('logit scale S [2,1,1] read only by Clip(S, max = ln 100) (cosine attention) is a parameter: 2; the scalar bound is not', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'a', shape: [1, 2, 4, 4] }],
        outputs: ['y'],
        initializers: [
          { name: 'S', dims: [2, 1, 1] },
          { name: 'max', dims: [], data: [Math.log(100)] },
        ],
        nodes: [
          { op: 'Clip', inputs: ['S', '', 'max'], outputs: ['c'], name: 'clip' },
          { op: 'Exp', inputs: ['c'], outputs: ['e'], name: 'exp' },
          { op: 'Mul', inputs: ['a', 'e'], outputs: ['y'], name: 'mul' },
        ],
      }),
    );
    expect(layer(r, 'clip').params).toBe(2);
    expect(r.totals.params).toBe(2);
  });

  it('qkv bias B [6] cloned with its middle third zeroed (Slice for the shape, ScatterND of zeros) is a parameter once: 6', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 1, 4, 6] }],
        outputs: ['y'],
        initializers: [
          { name: 'B', dims: [6] },
          { name: 'starts', dims: [1], data: [2], type: 'int64' },
          { name: 'ends', dims: [1], data: [4], type: 'int64' },
          { name: 'idx', dims: [2, 1], data: [2, 3], type: 'int64' },
        ],
        nodes: [
          { op: 'Slice', inputs: ['B', 'starts', 'ends'], outputs: ['mid'], name: 'slice' },
          { op: 'Shape', inputs: ['mid'], outputs: ['shape'], name: 'shape' },
          { op: 'ConstantOfShape', inputs: ['shape'], outputs: ['zeros'], name: 'zeros' },
          { op: 'ScatterND', inputs: ['B', 'idx', 'zeros'], outputs: ['b'], name: 'scatter' },
          { op: 'Add', inputs: ['x', 'b'], outputs: ['y'], name: 'add' },
        ],
      }),
    );
    expect(r.totals.params).toBe(6);
  });
});

describe('weights moved by a node that folds away (torch.onnx.export(..., do_constant_folding=False), which TrainingMode.PRESERVE asks for)', () => {
  it('Linear 8→3 without bias on x [2,5,8]: MatMul(x, Transpose(W [3,8])); the 24-element Transpose folds, W still counts (24, PyTorch\'s); MACs 10·8·3 = 240', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [2, 5, 8] }],
        outputs: ['y'],
        initializers: [{ name: 'W', dims: [3, 8], data: Array.from({ length: 24 }, (_, i) => i / 24) }],
        nodes: [
          { op: 'Transpose', inputs: ['W'], outputs: ['Wt'], name: 'wt', attrs: { perm: { ints: [1, 0] } } },
          { op: 'MatMul', inputs: ['x', 'Wt'], outputs: ['y'], name: 'mm' },
        ],
      }),
    );
    expect(r.totals.folded).toEqual(['wt']);
    expect([r.totals.params, layer(r, 'mm').params, r.totals.macs]).toEqual([24, 24, 240]);
  });

  it('GroupNorm(4, 8) at opset 13 (its InstanceNorm left out): Mul by Unsqueeze(γ [8]) and Add of Unsqueeze(β [8]): each Unsqueeze is its constant seen as [8, 1, 1] (graph/onnx/constant-views.ts), γ and β count (16, PyTorch\'s)', () => {
    const r = analyse(
      onnxModel({
        opset: 13,
        inputs: [{ name: 'x', shape: [1, 8, 4, 4] }],
        outputs: ['y'],
        initializers: [
          { name: 'g', dims: [8], data: [1, 2, 3, 4, 5, 6, 7, 8] },
          { name: 'b', dims: [8], data: [0, 1, 0, 1, 0, 1, 0, 1] },
          { name: 'axes', dims: [2], type: 'int64', data: [1, 2] },
        ],
        nodes: [
          { op: 'Unsqueeze', inputs: ['g', 'axes'], outputs: ['g3'], name: 'ug' },
          { op: 'Unsqueeze', inputs: ['b', 'axes'], outputs: ['b3'], name: 'ub' },
          { op: 'Mul', inputs: ['x', 'g3'], outputs: ['s'], name: 'scale' },
          { op: 'Add', inputs: ['s', 'b3'], outputs: ['y'], name: 'shift' },
        ],
      }),
    );
    expect(r.totals.folded).toEqual([]);
    expect([layer(r, 'scale').params, layer(r, 'shift').params, r.totals.params]).toEqual([8, 8, 16]);
  });

  it('a float constant folded into shape arithmetic is not a weight: Resize by scales Mul(s [4], t [4]) counts no params', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 2, 3, 3] }],
        outputs: ['y'],
        initializers: [
          { name: 's', dims: [4], data: [1, 1, 1, 1] },
          { name: 't', dims: [4], data: [1, 1, 2, 2] },
        ],
        nodes: [
          { op: 'Mul', inputs: ['s', 't'], outputs: ['scales'], name: 'scales' },
          { op: 'Resize', inputs: ['x', '', 'scales'], outputs: ['y'], name: 'up', attrs: { mode: { s: 'nearest' } } },
        ],
      }),
    );
    expect(layer(r, 'up').outputShape).toEqual([1, 2, 6, 6]);
    expect(r.totals.params).toBe(0);
  });
});

describe('folding budget', () => {
  // a 96-element mask computed from x's shape alone (zeros like x), then x re-viewed by its own shape: [1, 2, 8, 6] → [2, 8, 6]
  const bytes = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 8, 6] }],
    outputs: ['y', 'm'],
    initializers: [
      { name: 'from1', dims: [1], data: [1], type: 'int64' },
      { name: 'to4', dims: [1], data: [4], type: 'int64' },
    ],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'], name: 'shape' },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['m'], name: 'mask' },
      { op: 'Slice', inputs: ['s', 'from1', 'to4'], outputs: ['chw'], name: 'chw' },
      { op: 'Reshape', inputs: ['x', 'chw'], outputs: ['y'], name: 'reshape' },
    ],
  });
  const folded = (inf: ReturnType<typeof inferGraph>, name: string) => inf.analysed.find((a) => a.layer.name === name)?.folded;

  it('with the budget spent (maxFolded 0), the 96-element mask runs as a layer, but the 4- and 3-element shape values still fold: y is [2, 8, 6]', () => {
    const inf = inferGraph(importOnnx(bytes).graph, { maxFolded: 0 });
    expect(inf.tensors.get('y')?.shape).toEqual([2, 8, 6]);
    expect(folded(inf, 'mask')).toBe(false);
    expect(folded(inf, 'shape')).toBe(true);
    expect(folded(inf, 'chw')).toBe(true);
  });

  it('with budget left (maxFolded 10,000), the mask folds too', () => {
    const inf = inferGraph(importOnnx(bytes).graph, { maxFolded: 10_000 });
    expect(folded(inf, 'mask')).toBe(true);
    expect(inf.tensors.get('y')?.shape).toEqual([2, 8, 6]);
  });
});

// a view (Unsqueeze, Squeeze) of a constant counts as that constant (graph/onnx/constant-views.ts
// countsAs), so one parameter read through several views, or a view and itself, counts once, as
// PyTorch's parameters() counts one module called twice (found by a review of the views)
describe('one weight read through views counts once', () => {
  it('slope A [3] Unsqueezed twice, for two PRelu calls: 3 params (it was 6)', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 3, 2, 2] }],
        outputs: ['y'],
        initializers: [
          { name: 'A', dims: [3], data: [0.1, 0.2, 0.3] },
          { name: 'axes', dims: [2], type: 'int64', data: [1, 2] },
        ],
        nodes: [
          { op: 'Unsqueeze', inputs: ['A', 'axes'], outputs: ['A1'], name: '/p/Unsqueeze' },
          { op: 'PRelu', inputs: ['x', 'A1'], outputs: ['h'], name: '/p/PRelu' },
          { op: 'Unsqueeze', inputs: ['A', 'axes'], outputs: ['A2'], name: '/p_1/Unsqueeze' },
          { op: 'PRelu', inputs: ['h', 'A2'], outputs: ['y'], name: '/p_1/PRelu' },
        ],
      }),
    );
    expect([r.totals.params, layer(r, '/p/PRelu').params, layer(r, '/p_1/PRelu').params]).toEqual([3, 3, 0]);
  });

  it('γ [3] read by a Mul and, through an Unsqueeze view of it, by an Add: 3 params (it was 6)', () => {
    const r = analyse(
      onnxModel({
        inputs: [{ name: 'x', shape: [1, 2, 3] }],
        outputs: ['y'],
        initializers: [
          { name: 'A', dims: [3], data: [0.1, 0.2, 0.3] },
          { name: 'axes', dims: [1], type: 'int64', data: [0] },
        ],
        nodes: [
          { op: 'Mul', inputs: ['x', 'A'], outputs: ['h'], name: 'mul' },
          { op: 'Unsqueeze', inputs: ['A', 'axes'], outputs: ['A1'], name: 'u' },
          { op: 'Add', inputs: ['h', 'A1'], outputs: ['y'], name: 'add' },
        ],
      }),
    );
    expect(r.totals.params).toBe(3);
  });
});

describe('memory access: a small value folded at import is read like the Constant a fixed-size export writes', () => {
  // torch 1.13's export of `y = x * 2; y[:, :, : y.shape[2] - 1]` traced at 2×3×5×4, opset 17: with the
  // batch fixed, Slice's end is a Constant [4]; with a dynamic batch axis (dynamic_axes {0: 'N'}) it is
  // Unsqueeze(Sub(Gather(Shape(y), 2), 1)), folded at import (swin_t's window un-padding at batch 2:
  // test/zoo/catalog-batch2.test.ts)
  const int64 = (name: string, dims: number[], v: number) => ({ op: 'Constant', inputs: [], outputs: [name], attrs: { value: { t: { dims, data: [v], type: 'int64' as const } } } });
  const model = (batch: number | string, end: { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, unknown> }[]) =>
    onnxModel({
      inputs: [{ name: 'input', shape: [batch, 3, 5, 4] }],
      outputs: ['output'],
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['two'], attrs: { value: { t: { dims: [], data: [2] } } } },
        { op: 'Mul', inputs: ['input', 'two'], outputs: ['y'], name: 'mul' },
        int64('starts', [1], 0),
        int64('axes', [1], 2),
        int64('steps', [1], 1),
        ...(end as never[]),
        { op: 'Slice', inputs: ['y', 'starts', 'ends', 'axes', 'steps'], outputs: ['output'], name: 'slice' },
      ],
    });
  const fixed = model(2, [int64('ends', [1], 4)]);
  const dynamic = model('N', [
    { op: 'Shape', inputs: ['y'], outputs: ['shape'] },
    int64('index', [], 2),
    { op: 'Gather', inputs: ['shape', 'index'], outputs: ['h'], attrs: { axis: { i: 0 } } },
    int64('one', [], 1),
    { op: 'Sub', inputs: ['h', 'one'], outputs: ['h1'] },
    int64('zero', [1], 0),
    { op: 'Unsqueeze', inputs: ['h1', 'zero'], outputs: ['ends'] },
  ]);
  const slice = (bytes: Uint8Array, shapes?: Record<string, number[]>) => layer(analyzeGraph(importOnnx(bytes, shapes ? { inputShapes: shapes } : {}).graph, DEFAULTS), 'slice');

  it('Slice of 2×3×5×4 to 2×3×4×4: reads 120 elements, writes 96, and its four 1-element index operands as weights, in both forms (the dynamic read its end as an input: 121 and 3)', () => {
    const want = { inputs: 120, outputs: 96, weights: 4, total: 220 };
    expect(slice(fixed).memoryAccess.elements).toEqual(want);
    expect(slice(dynamic, { '': [2, 3, 5, 4] }).memoryAccess.elements).toEqual(want);
  });
});

describe('memory access: a folded value over 64 elements is read as an input, whatever the folding budget', () => {
  // zeros of x's shape (ConstantOfShape(Shape(x)), 96 elements) added to x [1, 2, 8, 6]: the zeros
  // fold only while the budget lasts (infer.ts ALWAYS_FOLDED); were a folded value a constant operand
  // at any size, the Add's weights would follow maxFolded
  const bytes = onnxModel({
    inputs: [{ name: 'x', shape: [1, 2, 8, 6] }],
    outputs: ['y'],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'], name: 'shape' },
      { op: 'ConstantOfShape', inputs: ['s'], outputs: ['m'], name: 'zeros' },
      { op: 'Add', inputs: ['x', 'm'], outputs: ['y'], name: 'add' },
    ],
  });
  it.each([0, 10_000])('maxFolded %i: the Add reads 96 + 96 elements as inputs, writes 96, no weights', (maxFolded) => {
    const graph = importOnnx(bytes).graph;
    const inference = inferGraph(graph, { maxFolded });
    expect(inference.analysed.find((a) => a.layer.name === 'zeros')?.folded).toBe(maxFolded > 0);
    expect(layer(analyzeGraph(graph, DEFAULTS, inference), 'add').memoryAccess.elements).toEqual({ inputs: 192, outputs: 96, weights: 0, total: 288 });
  });
});
