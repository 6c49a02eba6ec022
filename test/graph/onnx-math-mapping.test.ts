/**
 * ONNX node → convlens op for the math, logic and index-arithmetic families (map-math.ts,
 * map-index.ts): attribute names and defaults per the ONNX operator specs, one node at a time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, layer } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';
import type { Attr, InitSpec } from './onnx-builder.js';

/** One node `n` reading input x [2, 8, 4, 6] (and the given initializers); its layer report. */
function one(op: string, inputs: string[], attrs: Record<string, Attr> = {}, initializers: InitSpec[] = [], opset = 17, outputs = ['y']) {
  const bytes = onnxModel({ inputs: [{ name: 'x', shape: [2, 8, 4, 6] }], outputs: [outputs[0]], initializers, nodes: [{ name: 'n', op, inputs, outputs, attrs }], opset });
  const { graph } = importOnnx(bytes);
  return { graphLayer: graph.layers.find((l) => l.name === 'n')!, report: layer(analyzeGraph(graph, DEFAULTS), 'n') };
}
const i64 = (name: string, data: number[], dims: number[] = [data.length]): InitSpec => ({ name, dims, data, type: 'int64' });

describe('ONNX math and logic nodes', () => {
  it.each([
    ['Sqrt', 'sqrt'],
    ['Exp', 'exp'],
    ['Sin', 'sin'],
    ['Cos', 'cos'],
    ['Log', 'log'],
    ['Neg', 'neg'],
    ['Abs', 'abs'],
    ['Reciprocal', 'reciprocal'],
    ['Floor', 'floor'],
    ['Ceil', 'ceil'],
    ['Not', 'logicalNot'],
  ])('%s → %s, one FLOP per element of [2,8,4,6]', (onnx, op) => {
    const { graphLayer, report } = one(onnx, ['x']);
    expect(graphLayer.op).toBe(op);
    expect(report).toMatchObject({ outputShape: [2, 8, 4, 6], flops: 384 });
  });

  it.each([
    ['Pow', 'pow'],
    ['Equal', 'equal'],
    ['Less', 'less'],
    ['Greater', 'greater'],
    ['LessOrEqual', 'lessOrEqual'],
    ['GreaterOrEqual', 'greaterOrEqual'],
    ['And', 'logicalAnd'],
    ['Or', 'logicalOr'],
    ['Xor', 'logicalXor'],
    ['Min', 'minimum'],
    ['Max', 'maximum'],
  ])('%s(x, x) → %s', (onnx, op) => {
    expect(one(onnx, ['x', 'x']).graphLayer.op).toBe(op);
  });

  it('Mod reads fmod (default 0: the divisor’s sign)', () => {
    expect(one('Mod', ['x', 'x']).graphLayer.attrs).toMatchObject({ fmod: false });
    expect(one('Mod', ['x', 'x'], { fmod: { i: 1 } }).graphLayer.attrs).toMatchObject({ fmod: true });
  });

  it('Max of three inputs costs two comparisons per element', () => {
    expect(one('Max', ['x', 'x', 'x']).report.flops).toBe(2 * 384);
  });

  it('Where(x, x, x) broadcasts three inputs', () => {
    expect(one('Where', ['x', 'x', 'x']).report).toMatchObject({ op: 'where', outputShape: [2, 8, 4, 6], flops: 384 });
  });
});

describe('ONNX reductions, index arithmetic and rearrangements', () => {
  it('ReduceSum opset 13: axes from input 1, keepdims 0; noop_with_empty_axes with no axes passes the input through', () => {
    expect(one('ReduceSum', ['x', 'axes'], { keepdims: { i: 0 } }, [i64('axes', [1, 3])], 13).report.outputShape).toEqual([2, 4]);
    expect(one('ReduceSum', ['x'], { noop_with_empty_axes: { i: 1 } }, [], 13).report).toMatchObject({ outputShape: [2, 8, 4, 6], flops: 0 });
  });

  it('ReduceMax/Min/L2 opset 13: axes as an attribute; keepdims default 1', () => {
    expect(one('ReduceMax', ['x'], { axes: { ints: [2, 3] } }, [], 13).report.outputShape).toEqual([2, 8, 1, 1]);
    expect(one('ReduceMin', ['x'], { axes: { ints: [-1] } }, [], 13).report.outputShape).toEqual([2, 8, 4, 1]);
    expect(one('ReduceL2', ['x'], { axes: { ints: [1] }, keepdims: { i: 0 } }, [], 13).report.outputShape).toEqual([2, 4, 6]);
  });

  it('ReduceMean opset 18: axes from input 1', () => {
    expect(one('ReduceMean', ['x', 'axes'], {}, [i64('axes', [2, 3])], 18).report.outputShape).toEqual([2, 8, 1, 1]);
  });

  it('ArgMax: axis default 0, keepdims default 1, select_last_index', () => {
    expect(one('ArgMax', ['x']).report.outputShape).toEqual([1, 8, 4, 6]);
    const { graphLayer, report } = one('ArgMin', ['x'], { axis: { i: 1 }, keepdims: { i: 0 }, select_last_index: { i: 1 } });
    expect(report.outputShape).toEqual([2, 4, 6]);
    expect(graphLayer.attrs).toMatchObject({ dim: 1, keepDim: false, selectLastIndex: true });
  });

  it('Tile by a constant repeats input; CumSum reads exclusive and reverse and its axis input', () => {
    expect(one('Tile', ['x', 'r'], {}, [i64('r', [1, 2, 1, 3])]).report.outputShape).toEqual([2, 16, 4, 18]);
    const c = one('CumSum', ['x', 'axis'], { exclusive: { i: 1 }, reverse: { i: 1 } }, [i64('axis', [3], [])]);
    expect(c.graphLayer.attrs).toMatchObject({ exclusive: true, reverse: true });
    expect(c.report).toMatchObject({ outputShape: [2, 8, 4, 6], flops: 384 });
  });

  it('Trilu: upper default 1, k from a constant input', () => {
    expect(one('Trilu', ['x', 'k'], { upper: { i: 0 } }, [i64('k', [-1], [])]).graphLayer.attrs).toEqual({ upper: false, diagonal: -1 });
  });

  it('ConstantOfShape of a constant shape with an int64 value folds away; Range of constants too', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'x', shape: [2, 3] }],
      outputs: ['y'],
      initializers: [i64('shape', [2, 3]), i64('zero', [0], []), i64('three', [3], []), i64('one', [1], [])],
      nodes: [
        { name: 'fill', op: 'ConstantOfShape', inputs: ['shape'], outputs: ['ones'], attrs: { value: { t: { dims: [1], data: [1], type: 'int64' } } } },
        { name: 'seq', op: 'Range', inputs: ['zero', 'three', 'one'], outputs: ['r'] },
        { name: 'add1', op: 'Add', inputs: ['x', 'ones'], outputs: ['s'] },
        { name: 'add2', op: 'Add', inputs: ['s', 'r'], outputs: ['y'] },
      ],
    });
    const r = analyzeGraph(importOnnx(bytes).graph, DEFAULTS);
    // the importer evaluates a ConstantOfShape of constants itself (graph/onnx/qdq.ts); Range folds at analysis
    expect(r.layers.map((l) => l.name)).toEqual(['add1', 'add2']);
    expect(r.totals.folded).toContain('seq');
    expect(layer(r, 'add2').outputShape).toEqual([2, 3]);
  });

  it('TopK: axis default −1, largest and sorted read; k an attribute before opset 10', () => {
    const t = one('TopK', ['x', 'k'], { axis: { i: 1 }, largest: { i: 0 } }, [i64('k', [3])], 17, ['y', 'i']);
    expect(t.graphLayer.attrs).toMatchObject({ dim: 1, largest: false, sorted: true });
    expect(t.report.outputShapes).toEqual([
      [2, 3, 4, 6],
      [2, 3, 4, 6],
    ]);
    expect(one('TopK', ['x'], { k: { i: 2 } }, [], 9, ['y', 'i']).report.outputShape).toEqual([2, 8, 4, 2]);
  });

  it('GatherElements reads axis; ScatterND reduction; Einsum its equation', () => {
    expect(one('GatherElements', ['x', 'x'], { axis: { i: 2 } }).graphLayer.attrs).toEqual({ dim: 2 });
    expect(one('Einsum', ['x'], { equation: { s: 'nchw->nhwc' } }).report.outputShape).toEqual([2, 4, 6, 8]);
  });

  it('DepthToSpace (blocksize, mode DCR default or CRD) and SpaceToDepth', () => {
    expect(one('DepthToSpace', ['x'], { blocksize: { i: 2 } }).report).toMatchObject({ outputShape: [2, 2, 8, 12], flops: 0 });
    expect(one('DepthToSpace', ['x'], { blocksize: { i: 2 }, mode: { s: 'CRD' } }).graphLayer.attrs).toEqual({ blockSize: 2, mode: 'CRD' });
    expect(one('SpaceToDepth', ['x'], { blocksize: { i: 2 } }).report.outputShape).toEqual([2, 32, 2, 3]);
  });

  const gridSampleModel = (mode: string, opset: number, padding = 'border', alignCorners = 1, x = [1, 2, 4, 4], g = [1, 3, 3, 2]) =>
    onnxModel({
      inputs: [
        { name: 'x', shape: x },
        { name: 'g', shape: g },
      ],
      outputs: ['y'],
      nodes: [{ name: 'gs', op: 'GridSample', inputs: ['x', 'g'], outputs: ['y'], attrs: { mode: { s: mode }, padding_mode: { s: padding }, align_corners: { i: alignCorners } } }],
      opset,
    });

  it('GridSample: opset 16 bilinear/nearest and opset 20 linear names, padding_mode, align_corners', () => {
    const gs = importOnnx(gridSampleModel('linear', 20)).graph.layers[0];
    expect(gs).toMatchObject({ op: 'gridSample', attrs: { mode: 'bilinear', paddingMode: 'border', alignCorners: true } });
    expect(importOnnx(gridSampleModel('bilinear', 16)).graph.layers[0].attrs).toMatchObject({ mode: 'bilinear' });
    expect(importOnnx(gridSampleModel('nearest', 16)).graph.layers[0].attrs).toMatchObject({ mode: 'nearest' });
  });

  // convlens refused both names ("mode bicubic (bilinear and nearest are supported)")
  it('GridSample bicubic (opset 16) and cubic (opset 20) map to gridSample bicubic: 31 FLOPs per output, [1, 2, 3, 3] → 558; an unknown mode stays unsupported with the reason', () => {
    for (const [mode, opset] of [
      ['bicubic', 16],
      ['cubic', 20],
    ] as const) {
      const { graph } = importOnnx(gridSampleModel(mode, opset));
      expect(graph.layers[0], `${mode} at opset ${opset}`).toMatchObject({ op: 'gridSample', attrs: { mode: 'bicubic', paddingMode: 'border', alignCorners: true } });
      expect(layer(analyzeGraph(graph, DEFAULTS), 'gs')).toMatchObject({ outputShape: [1, 2, 3, 3], flops: 31 * 18 });
    }
    expect(importOnnx(gridSampleModel('lanczos', 20)).graph.layers[0]).toMatchObject({ op: 'GridSample', attrs: { reason: expect.stringContaining('lanczos') } });
  });

  // golden: scripts/goldens_grid_sample_bicubic.py (torch 1.13's F.grid_sample), its reflection alignCorners false case
  it('an imported GridSample cubic (opset 20) reflection, align_corners 0, runs to torch\'s bicubic bits on x [2, 3, 5, 7], grid [2, 4, 5, 2]', () => {
    type Wire = { shape: number[]; data: number[] };
    const golden = JSON.parse(readFileSync(new URL('../fixtures/grid-sample/bicubic.json', import.meta.url), 'utf8')) as {
      x: Wire;
      grid: Wire;
      cases: { paddingMode: string; alignCorners: boolean; output: Wire }[];
    };
    const want = golden.cases.find((c) => c.paddingMode === 'reflection' && !c.alignCorners)!.output;
    const { graph } = importOnnx(gridSampleModel('cubic', 20, 'reflection', 0, golden.x.shape, golden.grid.shape));
    const t = (w: Wire) => tensor(w.shape, Float32Array.from(w.data));
    const y = runGraph(graph, { x: t(golden.x), g: t(golden.grid) }, { training: false, seed: 0, weightInit: 'seed', weights: {}, capture: [], maxElements: 1 << 20 }).outputs.y;
    expect(y.shape).toEqual(want.shape);
    expect(Array.from(y.data)).toEqual(want.data.map(Math.fround));
  });
});
