/**
 * ONNX If and Loop (scripts/export_control_flow.py): inlined by the importer, analysed, and run to
 * the outputs torch computes from the same weights.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { imageExtent, importOnnx } from '../../src/graph/onnx/import.js';
import { runGraph } from '../../src/runtime/execute.js';
import { tensor } from '../../src/tensor/tensor.js';
import { DEFAULTS, errorOf, layer } from '../helpers.js';
import { run } from '../ops/op-helpers.js';

const dir = new URL('../fixtures/onnx/control/', import.meta.url);
const truth = JSON.parse(readFileSync(new URL('truth.json', dir), 'utf8')) as Record<string, { input: number[]; inputShape: number[]; output: number[]; outputShape: number[] }>;
const graphOf = (name: string) => importOnnx(readFileSync(new URL(`${name}.onnx`, dir))).graph;
const analyse = (name: string) => analyzeGraph(graphOf(name), DEFAULTS);
const OPTS = { training: false, seed: 0, weightInit: 'file' as const, weights: {}, capture: [], maxElements: 1 << 20 };

function runs(name: string, input = truth[name].input) {
  const t = truth[name];
  const y = runGraph(graphOf(name), { x: tensor(t.inputShape, Float32Array.from(input)) }, OPTS).outputs.y;
  expect(y.shape).toEqual(t.outputShape);
  return y;
}

const maxDiff = (a: Float32Array, b: number[]) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('ONNX If', () => {
  it('a constant condition inlines the branch it picks: Relu only, exact', () => {
    const r = analyse('if_const');
    expect(r.totals.complete).toBe(true);
    expect(r.layers.map((l) => l.op)).toEqual(['relu', 'identity']);
    expect(r.warnings.map((w) => w.code)).not.toContain('IF_BOTH_BRANCHES_COUNTED');
    expect(maxDiff(runs('if_const').data, truth.if_const.output)).toBe(0);
  });

  it('a computed condition: both branches inlined and listed, the totals count the larger (max(3·4·4·18, 3·4·4·2) = 864 MACs, not their sum 960), stated in an IF_BOTH_BRANCHES_COUNTED warning', () => {
    const r = analyse('if_dynamic');
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'if/then/conv3').macs).toBe(864);
    expect(layer(r, 'if/else/conv1').macs).toBe(96);
    expect(r.totals.macs).toBe(864);
    expect(r.totals.params).toBe(3 * 2 * 3 * 3 + 3 * 2);
    expect(r.warnings.find((w) => w.code === 'IF_BOTH_BRANCHES_COUNTED')).toMatchObject({ layer: 'if', taken: null, totals: 'per-metric maximum of the branches' });
    // both branches give [1, 3, 4, 4]: no shape bound
    expect(r.warnings.map((w) => w.code)).not.toContain('DATA_DEPENDENT_SHAPE');
    expect(layer(r, 'if').outputShape).toEqual([1, 3, 4, 4]);
  });

  it('a computed condition runs the branch the data picks, both ways', () => {
    expect(maxDiff(runs('if_dynamic').data, truth.if_dynamic.output)).toBeLessThan(1e-5);
    // −x has the other sign of sum: the other branch
    const neg = runs('if_dynamic', truth.if_dynamic_negated.input);
    expect(maxDiff(neg.data, truth.if_dynamic_negated.output)).toBeLessThan(1e-5);
    expect(maxDiff(neg.data, truth.if_dynamic.output.map((v) => -v))).toBeGreaterThan(1e-3);
  });
});

describe('ONNX If: the per-metric maximum of two branches (if_mixed: then a 1×1 conv, else two sigmoids)', () => {
  const r = analyse('if_mixed');
  const cond = layer(r, 'ReduceSum_0');
  const greater = layer(r, 'Greater_1');

  it('counts 64 MACs (the conv: 2·2 per position · 16 positions; the sigmoids none) and 256 FLOPs (the sigmoids: 2·4·32; the conv 2·64 = 128): each metric at its larger branch', () => {
    expect(layer(r, 'if/then/conv')).toMatchObject({ macs: 64, flops: 128 });
    expect([layer(r, 'if/else/sig1').flops, layer(r, 'if/else/sig2').flops]).toEqual([128, 128]);
    expect(r.totals.macs).toBe(64);
    // FLOPs (2macs): the then branch 2·64 = 128, the else branch 256: 256, plus the condition's layers (not 384)
    expect(r.totals.flops).toBe(256 + cond.flops + greater.flops);
    // the macs convention counts MACs alone: max(64, 0)
    expect(r.totals.flopsByConvention.macs).toBe(64 + cond.flopsByConvention.macs + greater.flopsByConvention.macs);
    // memory access per metric too: each branch reads x (32) and writes 32; the conv reads its 4 weights, the sigmoids an intermediate
    const then = layer(r, 'if/then/conv').memoryAccess.elements;
    const [s1, s2] = [layer(r, 'if/else/sig1').memoryAccess.elements, layer(r, 'if/else/sig2').memoryAccess.elements];
    const others = r.layers.filter((l) => !l.name.startsWith('if/')).reduce((s, l) => s + l.memoryAccess.elements.total, 0);
    expect(r.totals.memoryAccess.elements.total).toBe(Math.max(then.total, s1.total + s2.total) + others);
    // the conv's 4 weights exist whichever branch runs: parameters are not maxed
    expect(r.totals.params).toBe(4);
  });

  it('runs the branch the data picks, both ways, to torch', () => {
    expect(maxDiff(runs('if_mixed').data, truth.if_mixed.output)).toBeLessThan(1e-5);
    expect(maxDiff(runs('if_mixed', truth.if_mixed_negated.input).data, truth.if_mixed_negated.output)).toBeLessThan(1e-5);
  });
});

describe('ONNX Loop', () => {
  it('a constant trip count M = 3 unrolls the body: 3 convs of 2·16·18 MACs, scan outputs stacked to [3, 1, 2, 4, 4]', () => {
    const r = analyse('loop_const');
    expect(r.totals.complete).toBe(true);
    expect(r.layers.filter((l) => l.op === 'conv2d').map((l) => l.name)).toEqual(['loop/0/conv', 'loop/1/conv', 'loop/2/conv']);
    expect(r.totals.macs).toBe(3 * 576);
    // the conv weight lives in the outer graph: every iteration reads it, its 2·2·3·3 = 36 parameters count once
    expect(r.totals.params).toBe(36);
    expect(r.outputs[0].shape).toEqual([3, 1, 2, 4, 4]);
  });

  it('runs each iteration with its own iteration number and the previous values, as torch does', () => {
    expect(maxDiff(runs('loop_const').data, truth.loop_const.output)).toBeLessThan(1e-5);
  });

  it('a body that computes its condition is analysed at its trip count (an upper bound, DATA_DEPENDENT_SHAPE) and runs while the condition holds', () => {
    const r = analyse('loop_early');
    expect(r.totals.complete).toBe(true);
    expect(r.layers.filter((l) => l.op === 'mul').length).toBe(4);
    expect(r.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE')).toHaveLength(1);
    expect(maxDiff(runs('loop_early').data, truth.loop_early.output)).toBe(0);
  });

  it('a trip count computed from shapes (M = Shape(x)[0]) is folded by the analysis and unrolled, with a DATA_DEPENDENT_SHAPE warning; it runs', () => {
    const r = analyse('loop_computed');
    expect(r.totals.complete).toBe(true);
    expect(r.layers.filter((l) => l.op === 'mul').length).toBe(1);
    expect(r.warnings.find((w) => w.code === 'DATA_DEPENDENT_SHAPE')?.message).toMatch(/trip count is computed from tensor shapes is unrolled to the 1 iterations/);
    expect(maxDiff(runs('loop_computed').data, truth.loop_computed.output)).toBe(0);
  });

  it('a trip count computed from the data stays an unsupported Loop with its reason; the report is incomplete, not failed', () => {
    const r = analyse('loop_data');
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: 'Loop', count: 1, nodes: ['loop'], reasons: ['its trip count M is computed, and not from shapes convlens can fold: the loop cannot be unrolled'] }]);
    expect(graphOf('loop_data').layers.find((l) => l.name === 'loop')!.attrs.reason).toMatch(/trip count M is computed, and not from shapes/);
  });

  it('a trip count from shapes whose unrolled body cannot be analysed (a reshape by a computed shape): the Loop stays unsupported, saying why; the report is not failed', () => {
    const r = analyse('loop_unanalysable');
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: 'Loop', count: 1, nodes: ['loop'], reasons: [expect.stringMatching(/^its trip count folds to 1 from shapes, but the unrolled body cannot be analysed: layer 'loop\/0\/Reshape_3': shape comes from input 1/)] }]);
    expect(graphOf('loop_unanalysable').layers.find((l) => l.name === 'loop')!.attrs.reason).toMatch(/folds to 1 from shapes, but the unrolled body cannot be analysed: layer 'loop\/0\/Reshape_3'.*; nor the body run iteration by iteration: layer 'loop': its body cannot be analysed at the bound of 1 iterations: layer 'Reshape_3'/);
  });

  it('ifSelect and loopContinue called with the wrong number of inputs are INVALID_ATTRIBUTE', () => {
    expect(errorOf(() => run('ifSelect', [[[1], [1]], [[2], [1, 2]], [[2], [3, 4]], [[2], [5, 6]]], { outputs: 1 })).code).toBe('INVALID_ATTRIBUTE');
    expect(errorOf(() => run('loopContinue', [[[1], [1]], [[2], [1, 2]], [[2], [3, 4]]], { outputs: 1 })).code).toBe('INVALID_ATTRIBUTE');
  });

  it('loopContinue refuses a condition that turned false before the bound', () => {
    const e = errorOf(() => runGraph(
      { name: 'g', inputs: [{ name: 'c', shape: [1], path: '$' }, { name: 'v', shape: [2], path: '$' }], layers: [{ name: 'k', op: 'loopContinue', inputs: ['c', 'v'], outputs: ['y'], attrs: { outputs: 1, iteration: 1, tripCount: 4 }, path: '$' }], outputs: ['y'], constants: new Map() },
      { c: tensor([1], [0]), v: tensor([2], [1, 2]) },
      OPTS,
    ));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.message).toMatch(/turned false after iteration 1, before its bound of 4/);
  });
});

/**
 * torchvision's paste_masks_in_image exported by torch.onnx (scripts/export_detection.py): a Loop
 * whose trip count is Shape(masks)[0] and whose body resizes each 30×30 padded mask to its box's
 * size (data-dependent) and pads it into the 20×24 image. It cannot be unrolled (the Resize size
 * is the box's values): the loop runs iteration by iteration.
 */
describe('ONNX Loop with a data-dependent body (torchvision paste_masks_in_image, 3 masks into 20×24)', () => {
  const ddir = new URL('../fixtures/onnx/detection/', import.meta.url);
  const golden = JSON.parse(readFileSync(new URL('paste_masks.json', ddir), 'utf8')) as Record<'inputs', Record<string, { shape: number[]; data: number[] }>> & { output: { shape: number[]; data: number[] } };
  const graph = importOnnx(readFileSync(new URL('paste_masks.onnx', ddir))).graph;
  const r = analyzeGraph(graph, DEFAULTS);
  const loopLayer = graph.layers.find((l) => l.op === 'loop')!;

  it('analyses completely: one loop layer at the trip count 3 (Shape(masks)[0]), outputs [3, 20, 24] then [3, 1, 20, 24], no parameters', () => {
    expect(r.totals.complete).toBe(true);
    expect(r.totals.unsupported).toEqual([]);
    expect(graph.layers.filter((l) => l.op === 'Loop' || l.op === 'loop').map((l) => l.op)).toEqual(['loop']);
    expect(layer(r, loopLayer.name).outputShape).toEqual([3, 20, 24]);
    expect(r.outputs[0].shape).toEqual([3, 1, 20, 24]);
    expect(r.totals.params).toBe(0);
  });

  it('costs the body per iteration with each box at the whole image: a bilinear Resize to 20×24 at 7 FLOPs per output, 3·20·24·7 = 10,080', () => {
    expect(layer(r, loopLayer.name)).toMatchObject({ macs: 0 });
    expect(layer(r, loopLayer.name).flops).toBe(10_080);
    const w = r.warnings.find((x) => x.code === 'DATA_DEPENDENT_SHAPE' && x.layer === loopLayer.name)!;
    expect(w).toMatchObject({ bound: 3 });
    expect(w.message).toMatch(/bound of 3 iterations/);
    expect(w.message).toMatch(/taken as the whole 20×24 image, \[0, 0, 23, 19\]/);
  });

  it("runs to PyTorch's pasted masks (eager torchvision), boxes inside, at the corner (zero-size padding) and past the border", () => {
    const ins = Object.fromEntries(Object.entries(golden.inputs).map(([k, v]) => [k, tensor(v.shape, Float32Array.from(v.data))]));
    const y = runGraph(graph, ins, OPTS).outputs.pasted;
    expect(y.shape).toEqual(golden.output.shape);
    expect(maxDiff(y.data, golden.output.data)).toBeLessThan(1e-5);
    // not all zeros: every mask lands
    expect(y.data.filter((v) => v > 0).length).toBeGreaterThan(200);
  });

  it("an error inside the body at run time names the body's node in the file: a box of 10⁶ × 10⁶ resizes its mask past the tensor limit at Resize_117, $.graph.node[61].attribute[0].g.node[55] (it named $.graph.node[55], the enclosing graph's node 55)", () => {
    const ins = Object.fromEntries(Object.entries(golden.inputs).map(([k, v]) => [k, tensor(v.shape, Float32Array.from(v.data))]));
    ins.boxes.data.set([0, 0, 1e6, 1e6], 0);
    const e = errorOf(() => runGraph(graph, ins, OPTS));
    expect(e.code).toBe('TENSOR_TOO_LARGE');
    expect(loopLayer.path).toBe('$.graph.node[61]');
    expect(e.details).toMatchObject({ layer: 'Resize_117', path: '$.graph.node[61].attribute[0].g.node[55]' });
  });

  it('so does an error inferring an iteration: a NaN box coordinate makes a size ConstantOfShape_204 cannot count, at $.graph.node[61].attribute[0].g.node[142]', () => {
    const ins = Object.fromEntries(Object.entries(golden.inputs).map(([k, v]) => [k, tensor(v.shape, Float32Array.from(v.data))]));
    ins.boxes.data.set([NaN, 0, 3, 3], 0);
    const e = errorOf(() => runGraph(graph, ins, OPTS));
    expect(e.details).toMatchObject({ layer: 'ConstantOfShape_204', path: '$.graph.node[61].attribute[0].g.node[142]' });
  });
});

describe('the image extent a Loop kept whole is bounded by (imageExtent)', () => {
  it("KeypointRCNN at 150×200: the image [1, 3, 160, 224], not the FPN's anchors [1, 8961, 4] (8961·4 = 35,844 > 160·224 = 35,840); rank 3 only without a rank-4 map", () => {
    const shapes = (s: Record<string, number[]>) => new Map(Object.entries(s).map(([k, shape]) => [k, { shape }]));
    const kp = shapes({ anchors: [1, 8961, 4], image: [1, 3, 160, 224], p2: [1, 256, 40, 56], heat: [5, 17, 56, 56] });
    expect(imageExtent(kp)).toEqual({ h: 160, w: 224, source: "'image' [1, 3, 160, 224] (the largest map of the graph)" });
    expect(imageExtent(shapes({ rois: [2, 4], img: [3, 60, 80], boxes: [1, 100, 4] }))).toMatchObject({ h: 60, w: 80 });
    expect(imageExtent(shapes({ rois: [2, 4] }))).toBeNull();
  });
});

describe("ONNX Loop whose body resizes to float ROI sizes, kept whole at a bound (torchvision heatmaps_to_keypoints: 2 ROIs, 17 heatmaps of 56×56 resized to each ROI's ceil'd float width and height)", () => {
  const graph = importOnnx(readFileSync(new URL('../fixtures/onnx/detection/heatmaps_to_keypoints.onnx', import.meta.url))).graph;
  const golden = JSON.parse(readFileSync(new URL('../fixtures/onnx/detection/heatmaps_to_keypoints.json', import.meta.url), 'utf8')) as {
    maps: { shape: number[] };
    inputs: { rois: { shape: number[]; data: number[] } };
    outputs: Record<'xy_preds' | 'end_scores', { shape: number[]; data: number[] }>;
  };
  const r = analyzeGraph(graph, DEFAULTS);

  it('analyses completely: the constant trip count (2) unrolls to a body that cannot be analysed, so the Loop is kept whole as one loop layer; outputs xy_preds [2, 17, 3], end_scores [2, 17]', () => {
    expect(r.totals.complete).toBe(true);
    expect(r.totals.unsupported).toEqual([]);
    expect(graph.layers.filter((l) => l.op === 'Loop' || l.op === 'loop').map((l) => [l.name, l.op])).toEqual([['Loop_20', 'loop']]);
    expect(r.outputs.map((o) => [o.name, o.shape])).toEqual([['xy_preds', [2, 17, 3]], ['end_scores', [2, 17]]]);
  });

  it("costs each iteration's bicubic Resize at the image extent: every per-ROI float size taken as 56 (the 56×56 maps, the largest map of the graph), 2 · 17·56·56 · 31 = 3,305,344 FLOPs, plus the ArgMax and scalar ops; stated in the warning", () => {
    const flops = layer(r, 'Loop_20').flops;
    expect(flops).toBeGreaterThanOrEqual(3_305_344);
    // the ArgMax reads each resized map once (< 2 · 2 · 53,312 more); at the ROIs' own sizes (37×26, 15×58) the Resize would be 17 · (962 + 870) · 31 = 965,464
    expect(flops).toBeLessThan(3_305_344 + 2 * 2 * 53_312);
    const w = r.warnings.find((x) => x.code === 'DATA_DEPENDENT_SHAPE' && x.layer === 'Loop_20')!;
    expect(w).toMatchObject({ bound: 2 });
    expect(w.message).toMatch(/'\/Ceil_output_0' \[2\], '\/Ceil_1_output_0' \[2\]/);
    expect(w.message).toMatch(/taken as 56, the largest width or height \(torchvision's widths_ceil\/heights_ceil\) of a box clipped to the 56×56 image 'maps' \[2, 17, 56, 56\]/);
  });

  it("runs to eager torchvision's keypoints and scores (maps from the golden's integer formula, ROIs 37×26 and 15×58): the float sizes folded per iteration", () => {
    const [n, k, h, w] = golden.maps.shape;
    const maps = new Float32Array(n * k * h * w);
    // ((i · 2654435761) mod 1000003) / 1000003 rounded to float32 once, as scripts/export_detection.py keypoint_maps
    for (let i = 0; i < maps.length; i++) maps[i] = Number((BigInt(i) * 2654435761n) % 1000003n) / 1000003;
    const out = runGraph(graph, { maps: tensor([n, k, h, w], maps), rois: tensor(golden.inputs.rois.shape, Float32Array.from(golden.inputs.rois.data)) }, OPTS).outputs;
    for (const name of ['xy_preds', 'end_scores'] as const) {
      expect(out[name].shape).toEqual(golden.outputs[name].shape);
      expect(maxDiff(out[name].data, golden.outputs[name].data)).toBeLessThan(1e-5);
    }
    // keypoints inside their ROIs (x in [3, 40], y in [4, 30] for the first), as PyTorch puts them
    const x0 = out.xy_preds.data[0], y0 = out.xy_preds.data[1];
    expect(x0 >= 3 && x0 <= 40 && y0 >= 4 && y0 <= 30).toBe(true);
  });
});
