/**
 * An ONNX Loop whose constants say it runs no iteration: a trip count M of 0 or below (a constant,
 * or computed from shapes and folded by the analysis), or an initial condition that is false. ONNX Runtime's Loop (`while (iter < M && cond)`) then hands the
 * loop-carried values through as given; the importer writes them through (Identity), so the
 * analysis is complete and a run answers the input. A scan output is then empty, [0, …] of the
 * body's scan shape, as ONNX Runtime gives it: the loop is kept whole (ops/loop.ts) at 0 iterations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { inferGraph } from '../../src/analysis/infer.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

/** y = Loop(M, cond, x) with body v ← v + 1 (and, with `scan`, each v stacked as a second output; 'concat': each [v; v]). */
function loopModel(m: number | null, cond: boolean, scan: boolean | 'concat' = false): Uint8Array {
  return onnxModel({
    inputs: [{ name: 'x', shape: [1, 4] }],
    outputs: scan ? ['y', 'ys'] : ['y'],
    initializers: [
      ...(m === null ? [] : [{ name: 'M', dims: [], type: 'int64' as const, data: [m] }]),
      { name: 'cond', dims: [], type: 'bool', data: [cond ? 1 : 0] },
      { name: 'one', dims: [1, 4], data: [1, 1, 1, 1] },
    ],
    nodes: [
      {
        op: 'Loop',
        name: 'loop',
        inputs: [m === null ? '' : 'M', 'cond', 'x'],
        outputs: scan ? ['y', 'ys'] : ['y'],
        attrs: {
          body: {
            g: {
              inputs: ['i', 'c_in', 'v_in'],
              nodes: [
                { op: 'Identity', inputs: ['c_in'], outputs: ['c_out'] },
                { op: 'Add', inputs: ['v_in', 'one'], outputs: ['v_out'] },
                ...(scan === 'concat' ? [{ op: 'Concat', inputs: ['v_out', 'v_out'], outputs: ['v_scan'], attrs: { axis: { i: 0 } } }] : scan ? [{ op: 'Identity', inputs: ['v_out'], outputs: ['v_scan'] }] : []),
              ],
              outputs: scan ? ['c_out', 'v_out', 'v_scan'] : ['c_out', 'v_out'],
            },
          },
        },
      },
    ],
    opset: 17,
  });
}

const X = [0.5, -1, 2, 3];

describe('ONNX Loop that runs no iteration (constant M ≤ 0, or a constant false condition)', () => {
  it.each([
    ['M = 0', 0, true],
    ['M = −5 (ONNX Runtime: no iteration)', -5, true],
    ['M = 3, the condition false at the start', 3, false],
  ])('%s: the loop-carried x passes through, the analysis is complete and a run answers x as given', (_, m, cond) => {
    const graph = importOnnx(loopModel(m, cond)).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs[0].shape).toEqual([1, 4]);
    expect(r.totals.flops).toBe(0);
    const y = runGraph(graph, { x: tensor([1, 4], Float32Array.from(X)) }, OPTS).outputs.y;
    expect(Array.from(y.data)).toEqual(X);
  });

  it("no M (a while loop: input ''), the condition false at the start: ONNX Runtime runs no iteration, so x passes through as with a constant M (the README says so; it was unsupported, 'a while loop cannot be unrolled')", () => {
    const graph = importOnnx(loopModel(null, false)).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.unsupported).toEqual([]);
    expect(r.totals.complete).toBe(true);
    const y = runGraph(graph, { x: tensor([1, 4], Float32Array.from(X)) }, OPTS).outputs.y;
    expect(Array.from(y.data)).toEqual(X);
  });

  it('M = 1 still runs its one iteration (x + 1): the pass-through is only for no iteration', () => {
    const graph = importOnnx(loopModel(1, true)).graph;
    const y = runGraph(graph, { x: tensor([1, 4], Float32Array.from(X)) }, OPTS).outputs.y;
    expect(Array.from(y.data)).toEqual(X.map((v) => v + 1));
  });

  // onnxruntime-node 1.30 on this Loop (its body's inputs typed, as it needs): y = x, ys of shape [0, 1, 4]
  // (M = 0, −5, or M = 3 with a false condition); with a Concat [v; v] scanned, [0, 2, 4]
  it.each([
    ['M = −5', -5, true, true, [0, 1, 4]],
    ['M = 0', 0, true, true, [0, 1, 4]],
    ['M = 3, the condition false at the start', 3, false, true, [0, 1, 4]],
    ['M = 0, the scan a Concat [v; v] on axis 0', 0, true, 'concat', [0, 2, 4]],
  ] as const)("%s with a scan output: an empty scan (ys [0, …]), as ONNX Runtime gives it (the loop was unsupported: 'its scan output ys would be empty'); y is x, no FLOPs, a run answers both", (_, m, cond, scan, ys) => {
    const graph = importOnnx(loopModel(m, cond, scan)).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.unsupported).toEqual([]);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs.map((o) => [o.name, o.shape])).toEqual([['y', [1, 4]], ['ys', ys]]);
    expect(r.totals.flops).toBe(0);
    // nothing runs: no bound to warn of
    expect(r.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE')).toEqual([]);
    const out = runGraph(graph, { x: tensor([1, 4], Float32Array.from(X)) }, OPTS).outputs;
    expect(Array.from(out.y.data)).toEqual(X);
    expect([...out.ys.shape]).toEqual(ys);
    expect(out.ys.data.length).toBe(0);
  });
});

describe('ONNX Loop whose trip count folds to 0 or below (scripts/export_loop_no_iteration.py: M = Gather(Shape(x), 0) − Gather(Shape(x), a) over x [2, 3], or a constant)', () => {
  /** onnxruntime-node's outputs on these files (scripts/loop_no_iteration_truth.mjs) */
  const truth = JSON.parse(readFileSync(new URL('../fixtures/onnx/control/no_iteration_truth.json', import.meta.url), 'utf8')) as {
    input: { shape: number[]; data: number[] };
    cases: Record<string, Record<string, { shape: number[]; data: number[] }>>;
  };
  const file = (name: string) => readFileSync(new URL(`../fixtures/onnx/control/${name}.onnx`, import.meta.url));

  it.each([
    ['loop_shapes_zero', 'M = 2 − 2 = 0'],
    ['loop_shapes_negative', 'M = 2 − 3 = −1'],
  ])('%s (%s): no iteration, as ONNX Runtime runs it: y is x as given, the analysis complete (it was unsupported, "a trip count of 0: the loop runs no iteration and its scan outputs are empty")', (name) => {
    const graph = importOnnx(file(name)).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.unsupported).toEqual([]);
    expect(r.totals.complete).toBe(true);
    const ort = truth.cases[name].y;
    expect(ort.data).toEqual(truth.input.data);
    expect(r.outputs[0].shape).toEqual(ort.shape);
    const y = runGraph(graph, { x: tensor(truth.input.shape, Float32Array.from(truth.input.data)) }, OPTS).outputs.y;
    expect(Array.from(y.data)).toEqual(ort.data);
  });

  it('loop_const_negative_concat_scan (a constant M = −5, the body scanning Concat(v + 1, v + 1), its sizes not declared): ys [0, 4, 3] as ONNX Runtime gives it, y is x', () => {
    const ort = truth.cases.loop_const_negative_concat_scan;
    expect(ort.ys.shape).toEqual([0, 4, 3]);
    const graph = importOnnx(file('loop_const_negative_concat_scan')).graph;
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs.map((o) => o.shape)).toEqual([ort.y.shape, ort.ys.shape]);
    const out = runGraph(graph, { x: tensor(truth.input.shape, Float32Array.from(truth.input.data)) }, OPTS).outputs;
    expect([[...out.y.shape], Array.from(out.y.data), [...out.ys.shape], out.ys.data.length]).toEqual([ort.y.shape, ort.y.data, ort.ys.shape, 0]);
  });

  it('loop_shapes_zero_scan (M folds to 0, and a scan output): y is x and ys is [0, 2, 3], as ONNX Runtime gives them (it was unsupported: "its scan output ys would be empty")', () => {
    const ort = truth.cases.loop_shapes_zero_scan;
    expect(ort.ys.shape).toEqual([0, 2, 3]);
    const graph = importOnnx(file('loop_shapes_zero_scan')).graph;
    const a = inferGraph(graph).analysed.find((l) => l.layer.name === 'loop')!;
    expect([a.layer.op, a.inferred?.outputs]).toEqual(['loop', [ort.y.shape, ort.ys.shape]]);
    const r = analyzeGraph(graph, DEFAULTS);
    expect(r.totals.complete).toBe(true);
    const out = runGraph(graph, { x: tensor(truth.input.shape, Float32Array.from(truth.input.data)) }, OPTS).outputs;
    expect([[...out.y.shape], Array.from(out.y.data)]).toEqual([ort.y.shape, ort.y.data]);
    expect([[...out.ys.shape], Array.from(out.ys.data)]).toEqual([ort.ys.shape, ort.ys.data]);
  });
});
