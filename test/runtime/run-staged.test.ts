import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { runStaged } from '../../src/runtime/run-staged.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { BOXES, KEPT, SCORES, nmsModel } from './nms-model.js';

const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

/** NonMaxSuppression → the kept boxes' indices (column 2) → those rows of boxes → ×2: what detection post-processing does after NMS. */
const graph = () => importOnnx(nmsModel()).graph;
const inputs = () => ({ boxes: tensor([1, 6, 4], Float32Array.from(BOXES)), scores: tensor([1, 1, 6], Float32Array.from(SCORES)) });

describe('runStaged: a run through a data-dependent size (NMS keeps 3 of its bound of 6 boxes)', () => {
  it('runGraph alone refuses the layer planned for the bound (6 rows), naming the NMS layer', () => {
    const e = errorOf(() => runGraph(graph(), inputs(), OPTS));
    expect(e.code).toBe('UNSUPPORTED_OPERATOR');
    expect(e.message).toMatch(/layer 'nms' wrote 'sel' as \[3, 3\] at run time, but the layers after it were planned for \[6, 3\]/);
  });

  it('runs in 2 stages (up to the NMS, then the rest inferred at 3 rows): boxes 0, 2, 4 doubled, by hand', () => {
    const r = runStaged(graph(), inputs(), OPTS);
    expect(r.stages).toBe(2);
    expect(r.outputs.kept.shape).toEqual([3, 4]);
    expect(Array.from(r.outputs.kept.data)).toEqual(KEPT);
  });

  it('a graph without data-dependent sizes runs in one stage, as runGraph', () => {
    const g = graph();
    g.layers = g.layers.filter((l) => l.name === 'flat');
    g.outputs = ['b2'];
    const r = runStaged(g, inputs(), OPTS);
    expect(r.stages).toBe(1);
    expect(Array.from(r.outputs.b2.data)).toEqual(BOXES);
  });
});

/** The same post-processing with NMS's score threshold (5th input) and an exporter's omitted optionals: Dropout's mask output and Slice's axes input are ''. */
const thresholded = (threshold: number, listedOrder: 'topological' | 'last-first' = 'topological') => {
  const nodes = [
    { op: 'Dropout', inputs: ['boxes'], outputs: ['bx', ''], name: 'drop' },
    { op: 'NonMaxSuppression', inputs: ['bx', 'scores', 'max', 'iou', 'thr'], outputs: ['sel'], name: 'nms' },
    { op: 'Gather', inputs: ['sel', 'col'], outputs: ['idx'], name: 'pick', attrs: { axis: { i: 1 } } },
    { op: 'Reshape', inputs: ['bx', 'rows'], outputs: ['b2'], name: 'flat' },
    { op: 'Gather', inputs: ['b2', 'idx'], outputs: ['g'], name: 'gather', attrs: { axis: { i: 0 } } },
    { op: 'Slice', inputs: ['g', 'st', 'en', '', 'sp'], outputs: ['kept'], name: 'sl' },
  ];
  return importOnnx(
    onnxModel({
      inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 1, 6] }],
      outputs: ['kept'],
      initializers: [
        { name: 'max', dims: [1], data: [6], type: 'int64' },
        { name: 'iou', dims: [1], data: [0.5] },
        { name: 'thr', dims: [1], data: [threshold] },
        { name: 'col', dims: [], data: [2], type: 'int64' },
        { name: 'rows', dims: [2], data: [6, 4], type: 'int64' },
        { name: 'st', dims: [1], data: [0], type: 'int64' },
        { name: 'en', dims: [1], data: [2], type: 'int64' },
        { name: 'sp', dims: [1], data: [1], type: 'int64' },
      ],
      nodes: listedOrder === 'topological' ? nodes : [nodes[5], ...nodes.slice(0, 5)],
    }),
  ).graph;
};

describe('runStaged: edge cases of detection post-processing', () => {
  it('an image with no detection (score threshold 0.95 above every score): 0 boxes kept → kept [0, 4], not a 400', () => {
    const r = runStaged(thresholded(0.95), inputs(), OPTS);
    expect(r.outputs.kept.shape).toEqual([0, 4]);
  });

  it("omitted optionals ('' outputs and inputs) never cross a cut: threshold 0.55 keeps boxes 0, 2 (scores 0.9, 0.7) → their first two rows", () => {
    const r = runStaged(thresholded(0.55), inputs(), OPTS);
    expect(r.outputs.kept.shape).toEqual([2, 4]);
    expect(Array.from(r.outputs.kept.data)).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
  });

  it('layers listed out of order (the last node first) are cut in topological order: the same answer', () => {
    const r = runStaged(thresholded(0.55, 'last-first'), inputs(), OPTS);
    expect(Array.from(r.outputs.kept.data)).toEqual([0, 0, 10, 10, 20, 20, 30, 30]);
  });

  it('the whole run is checked against MAX_RUN_WORK at the bounds before the first stage (413 WORK_TOO_LARGE, nothing run)', () => {
    expect(errorOf(() => runStaged(graph(), inputs(), { ...OPTS, maxWork: 10 })).code).toBe('WORK_TOO_LARGE');
  });

  it('two cuts, the first keeping nothing (NMS keeps 0 boxes, then Greater → NonZero, a second data-dependent size): out [0, 2], not a 400', () => {
    const g = importOnnx(
      onnxModel({
        inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 1, 6] }],
        outputs: ['out'],
        initializers: [
          { name: 'max', dims: [1], data: [6], type: 'int64' },
          { name: 'iou', dims: [1], data: [0.5] },
          { name: 'thr', dims: [1], data: [0.95] },
          { name: 'col', dims: [], data: [2], type: 'int64' },
          { name: 'rows', dims: [2], data: [6, 4], type: 'int64' },
          { name: 'ten', dims: [1], data: [10] },
        ],
        nodes: [
          { op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max', 'iou', 'thr'], outputs: ['sel'], name: 'nms' },
          { op: 'Gather', inputs: ['sel', 'col'], outputs: ['idx'], name: 'pick', attrs: { axis: { i: 1 } } },
          { op: 'Reshape', inputs: ['boxes', 'rows'], outputs: ['b2'], name: 'flat' },
          { op: 'Gather', inputs: ['b2', 'idx'], outputs: ['g'], name: 'gather', attrs: { axis: { i: 0 } } },
          { op: 'Greater', inputs: ['g', 'ten'], outputs: ['big'], name: 'gt' },
          { op: 'NonZero', inputs: ['big'], outputs: ['nz'], name: 'nonzero' },
          { op: 'Transpose', inputs: ['nz'], outputs: ['out'], name: 'tr', attrs: { perm: { ints: [1, 0] } } },
        ],
      }),
    ).graph;
    const r = runStaged(g, inputs(), OPTS);
    expect(r.outputs.out.shape).toEqual([0, 2]);
  });
});
