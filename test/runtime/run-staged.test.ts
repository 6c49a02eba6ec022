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

/**
 * RetinaNet's and FCOS's post-processing (torchvision _topk_min): the scores over a threshold are
 * read through one NonZero (kept = GatherND(scores, NonZero(mask)ᵀ)) and k = min(5, count) through
 * the size of another NonZero over the same mask; TopK(kept, k) reads both. Cut at the first NonZero
 * alone, the rest would be inferred with kept at its real 3 rows and k = min(5, 6) from the twin
 * still at its bound of 6: k = 5 > 3, INVALID_ATTRIBUTE. The whole frontier (both NonZero) is one stage.
 */
const twinNonZero = () =>
  importOnnx(
    onnxModel({
      inputs: [{ name: 'scores', shape: [6] }],
      outputs: ['top'],
      initializers: [
        { name: 'thr', dims: [1], data: [0.5] },
        { name: 'five', dims: [1], data: [5], type: 'int64' },
        { name: 'zero', dims: [1], data: [0], type: 'int64' },
        { name: 'one', dims: [1], data: [1], type: 'int64' },
        { name: 'two', dims: [1], data: [2], type: 'int64' },
      ],
      nodes: [
        { op: 'Greater', inputs: ['scores', 'thr'], outputs: ['mask'], name: 'gt' },
        { op: 'NonZero', inputs: ['mask'], outputs: ['nzA'], name: 'nonzeroA' },
        { op: 'NonZero', inputs: ['mask'], outputs: ['nzB'], name: 'nonzeroB' },
        { op: 'Transpose', inputs: ['nzA'], outputs: ['idx'], name: 'tr', attrs: { perm: { ints: [1, 0] } } },
        { op: 'GatherND', inputs: ['scores', 'idx'], outputs: ['kept'], name: 'gnd' },
        { op: 'Shape', inputs: ['nzB'], outputs: ['shp'], name: 'shape' },
        { op: 'Slice', inputs: ['shp', 'one', 'two', 'zero'], outputs: ['count'], name: 'count' },
        { op: 'Concat', inputs: ['five', 'count'], outputs: ['both'], name: 'cat', attrs: { axis: { i: 0 } } },
        { op: 'ReduceMin', inputs: ['both'], outputs: ['k'], name: 'kmin', attrs: { keepdims: { i: 1 } } },
        { op: 'TopK', inputs: ['kept', 'k'], outputs: ['top', 'topIdx'], name: 'topk' },
      ],
    }),
  ).graph;

describe('runStaged: every data-dependent layer that depends on no other is cut in the same stage', () => {
  it('RetinaNet\'s _topk_min (two NonZero over one mask, TopK reading both): 3 of 6 scores over 0.5 → k = min(5, 3) = 3, top [0.9, 0.8, 0.6], in 2 stages', () => {
    const r = runStaged(twinNonZero(), { scores: tensor([6], Float32Array.from([0.2, 0.9, 0.6, 0.1, 0.8, 0.4])) }, OPTS);
    expect(r.stages).toBe(2);
    expect(r.outputs.top.shape).toEqual([3]);
    expect(Array.from(r.outputs.top.data)).toEqual([0.9, 0.8, 0.6].map(Math.fround));
  });

  it('independent branches (SSD\'s per-class NonZero → NMS) share their stages: 2 classes, each NonZero then an NMS, run in 3 stages, not 5', () => {
    const branch = (c: number) => [
      { op: 'Greater', inputs: [`s${c}`, 'thr'], outputs: [`m${c}`], name: `gt${c}` },
      { op: 'NonZero', inputs: [`m${c}`], outputs: [`nz${c}`], name: `nonzero${c}` },
      { op: 'Reshape', inputs: [`nz${c}`, 'flat'], outputs: [`i${c}`], name: `flat${c}` },
      { op: 'Gather', inputs: ['b2', `i${c}`], outputs: [`b${c}`], name: `boxes${c}`, attrs: { axis: { i: 0 } } },
      { op: 'Gather', inputs: [`s${c}`, `i${c}`], outputs: [`k${c}`], name: `scores${c}`, attrs: { axis: { i: 0 } } },
      { op: 'Unsqueeze', inputs: [`b${c}`, 'zero'], outputs: [`bb${c}`], name: `ub${c}` },
      { op: 'Reshape', inputs: [`k${c}`, 'row'], outputs: [`kk${c}`], name: `uk${c}` },
      { op: 'NonMaxSuppression', inputs: [`bb${c}`, `kk${c}`, 'max', 'iou'], outputs: [`sel${c}`], name: `nms${c}` },
      { op: 'Gather', inputs: [`sel${c}`, 'col'], outputs: [`pick${c}`], name: `pick${c}`, attrs: { axis: { i: 1 } } },
      { op: 'Gather', inputs: [`b${c}`, `pick${c}`], outputs: [`out${c}`], name: `out${c}`, attrs: { axis: { i: 0 } } },
    ];
    const g = importOnnx(
      onnxModel({
        inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 's0', shape: [6] }, { name: 's1', shape: [6] }],
        outputs: ['out0', 'out1'],
        initializers: [
          { name: 'thr', dims: [1], data: [0.3] },
          { name: 'max', dims: [1], data: [6], type: 'int64' },
          { name: 'iou', dims: [1], data: [0.5] },
          { name: 'col', dims: [], data: [2], type: 'int64' },
          { name: 'rows', dims: [2], data: [6, 4], type: 'int64' },
          { name: 'flat', dims: [1], data: [-1], type: 'int64' },
          { name: 'row', dims: [3], data: [1, 1, -1], type: 'int64' },
          { name: 'zero', dims: [1], data: [0], type: 'int64' },
        ],
        nodes: [{ op: 'Reshape', inputs: ['boxes', 'rows'], outputs: ['b2'], name: 'b2' }, ...branch(0), ...branch(1)],
      }),
    ).graph;
    // class 0: scores over 0.3 are boxes 0, 1, 2, 4 (0.9, 0.8, 0.7, 0.5); NMS keeps 0 and 2 (1 overlaps 0; 4 is alone) → boxes 0, 2, 4
    // class 1: over 0.3 are boxes 3, 5 (0.6, 0.4); 5 overlaps 4 only, so both are kept → boxes 3, 5
    const r = runStaged(g, { ...inputs(), s0: tensor([6], Float32Array.from([0.9, 0.8, 0.7, 0.1, 0.5, 0.2])), s1: tensor([6], Float32Array.from([0.1, 0.2, 0.1, 0.6, 0.1, 0.4])) }, OPTS);
    expect(r.stages).toBe(3);
    expect(Array.from(r.outputs.out0.data)).toEqual([...BOXES.slice(0, 4), ...BOXES.slice(8, 12), ...BOXES.slice(16, 20)]);
    expect(Array.from(r.outputs.out1.data)).toEqual([...BOXES.slice(12, 16), ...BOXES.slice(20, 24)]);
  });
});

describe('runStaged with captures: each taken by the stage that computes it, at its real size, in the order asked', () => {
  it("capture ['gather', 'nms', 'boxes']: the kept rows [3, 4] (after the cut), NMS's selection [3, 3] (the cut layer, not its bound of 6 rows), the input as given", () => {
    const r = runStaged(graph(), inputs(), { ...OPTS, capture: ['gather', 'nms', 'boxes'] });
    expect(r.stages).toBe(2);
    expect(Object.keys(r.captured)).toEqual(['gather', 'nms', 'boxes']);
    expect(r.captured.nms.shape).toEqual([3, 3]);
    expect(Array.from(r.captured.nms.data)).toEqual([0, 0, 0, 0, 0, 2, 0, 0, 4]);
    expect(r.captured.gather.shape).toEqual([3, 4]);
    expect(Array.from(r.captured.gather.data)).toEqual(KEPT.map((v) => v / 2));
    expect(Array.from(r.captured.boxes.data)).toEqual(BOXES);
    expect(Array.from(r.outputs.kept.data)).toEqual(KEPT);
  });

  it('a capture of a tensor by name (the NMS output sel) works as of its layer; an unknown name is UNKNOWN_INPUT before anything runs', () => {
    expect(Array.from(runStaged(graph(), inputs(), { ...OPTS, capture: ['sel'] }).captured.sel.data)).toEqual([0, 0, 0, 0, 0, 2, 0, 0, 4]);
    expect(errorOf(() => runStaged(graph(), inputs(), { ...OPTS, capture: ['nope'] })).code).toBe('UNKNOWN_INPUT');
  });
});
