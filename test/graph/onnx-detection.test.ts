import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../src/analysis/analyze.js';
import { importOnnx } from '../../src/graph/onnx/import.js';
import { DEFAULTS, layer } from '../helpers.js';
import { onnxModel } from './onnx-builder.js';

const analyzeOnnx = (bytes: Uint8Array) => analyzeGraph(importOnnx(bytes).graph, DEFAULTS);

describe('ONNX detection post-processing', () => {
  it('NonMaxSuppression with constant limits: analysed at the bound 1·2·min(6, 3) = 6 rows, with a DATA_DEPENDENT_SHAPE warning; the report stays complete', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 2, 6] }],
      outputs: ['sel'],
      initializers: [{ name: 'max', dims: [1], data: [3], type: 'int64' }, { name: 'iou', dims: [1], data: [0.5] }],
      nodes: [{ op: 'NonMaxSuppression', inputs: ['boxes', 'scores', 'max', 'iou'], outputs: ['sel'], name: 'nms' }],
    });
    const r = analyzeOnnx(bytes);
    expect(r.totals.complete).toBe(true);
    expect(layer(r, 'nms').outputShape).toEqual([6, 3]);
    expect(r.warnings.map((w) => w.code)).toContain('DATA_DEPENDENT_SHAPE');
  });

  it('NonMaxSuppression without max_output_boxes_per_class (ONNX: 0, nothing selected) is left unsupported, not a failed report', () => {
    const bytes = onnxModel({
      inputs: [{ name: 'boxes', shape: [1, 6, 4] }, { name: 'scores', shape: [1, 2, 6] }],
      outputs: ['sel'],
      nodes: [{ op: 'NonMaxSuppression', inputs: ['boxes', 'scores'], outputs: ['sel'], name: 'nms' }],
    });
    const r = analyzeOnnx(bytes);
    expect(r.totals.complete).toBe(false);
    expect(r.totals.unsupported).toEqual([{ opType: 'NonMaxSuppression', count: 1, nodes: ['nms'], reasons: ['max_output_boxes_per_class absent: ONNX reads it as 0 and selects no box'] }]);
  });

  it('RoiAlign: opset 16 attributes; [K, C, oh, ow] from the rois\' shape', () => {
    const bytes = onnxModel({
      opset: 16,
      inputs: [{ name: 'x', shape: [1, 8, 16, 16] }, { name: 'rois', shape: [5, 4] }, { name: 'idx', shape: [5] }],
      outputs: ['y'],
      nodes: [
        {
          op: 'RoiAlign',
          inputs: ['x', 'rois', 'idx'],
          outputs: ['y'],
          name: 'roi',
          attrs: { output_height: { i: 7 }, output_width: { i: 7 }, sampling_ratio: { i: 2 }, spatial_scale: { f: 0.25 }, mode: { s: 'max' } },
        },
      ],
    });
    const { graph } = importOnnx(bytes);
    expect(graph.layers[0].attrs).toMatchObject({ mode: 'max', outputHeight: 7, samplingRatio: 2, spatialScale: 0.25, coordinateTransformationMode: 'half_pixel', modeDefaulted: true });
    const r = analyzeOnnx(bytes);
    expect(layer(r, 'roi').outputShape).toEqual([5, 8, 7, 7]);
    // no mode stated at opset 16: ONNX's half_pixel runs, and the report says what torchvision < 0.15 meant
    expect(r.warnings.find((w) => w.code === 'ROI_ALIGN_MODE_DEFAULTED')).toMatchObject({ layer: 'roi', severity: expect.any(String) });
    expect(r.warnings.find((w) => w.code === 'ROI_ALIGN_MODE_DEFAULTED')!.message).toMatch(/half_pixel.*torchvision < 0\.15.*output_half_pixel/);
  });

  it.each([
    [16, 'output_half_pixel', 'output_half_pixel'],
    [16, 'half_pixel', 'half_pixel'],
    [10, undefined, 'output_half_pixel'],
  ])('RoiAlign at opset %i with coordinate_transformation_mode %s: %s, no ROI_ALIGN_MODE_DEFAULTED warning', (opset, mode, expected) => {
    const bytes = onnxModel({
      opset,
      inputs: [{ name: 'x', shape: [1, 8, 16, 16] }, { name: 'rois', shape: [5, 4] }, { name: 'idx', shape: [5] }],
      outputs: ['y'],
      nodes: [{ op: 'RoiAlign', inputs: ['x', 'rois', 'idx'], outputs: ['y'], name: 'roi', attrs: mode ? { coordinate_transformation_mode: { s: mode } } : {} }],
    });
    expect(importOnnx(bytes).graph.layers[0].attrs).toMatchObject({ coordinateTransformationMode: expected, modeDefaulted: false });
    expect(analyzeOnnx(bytes).warnings.map((w) => w.code)).not.toContain('ROI_ALIGN_MODE_DEFAULTED');
  });
});

describe('an empty tensor built from shapes (keypoint R-CNN\'s loop starts from zeros(0, 3, 17))', () => {
  // e = ConstantOfShape([Shape(x)[0]·0, 3, 17]) is [0, 3, 17], known (empty); y = Concat(e, x) is x
  const bytes = onnxModel({
    inputs: [{ name: 'x', shape: [2, 3, 17] }],
    outputs: ['y'],
    initializers: [
      { name: 'i0', dims: [1], data: [0], type: 'int64' },
      { name: 'zero', dims: [1], data: [0], type: 'int64' },
      { name: 'rest', dims: [2], data: [3, 17], type: 'int64' },
    ],
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: { i: 0 } } },
      { op: 'Mul', inputs: ['n', 'zero'], outputs: ['z'] },
      { op: 'Concat', inputs: ['z', 'rest'], outputs: ['shape'], attrs: { axis: { i: 0 } } },
      { op: 'ConstantOfShape', inputs: ['shape'], outputs: ['e'], name: 'zeros' },
      { op: 'Concat', inputs: ['e', 'x'], outputs: ['y'], name: 'cat', attrs: { axis: { i: 0 } } },
    ],
  });

  it('analyses (a zero dim where the value is known is an empty constant, not a NON_POSITIVE_SIZE) and the concat gives x\'s shape', () => {
    const r = analyzeOnnx(bytes);
    expect(r.totals.complete).toBe(true);
    expect(r.outputs[0].shape).toEqual([2, 3, 17]);
  });
});

describe("torchvision's fasterrcnn_mobilenet_v3_large_320_fpn exported at opset 11 (scripts/export_detection.py, weights stripped)", () => {
  const bytes = readFileSync(new URL('../fixtures/onnx/detection/fasterrcnn_mobilenet_v3_large_320_fpn_stripped.onnx', import.meta.url));
  const { graph } = importOnnx(bytes, { inputShapes: { image: [3, 320, 320] } });
  const r = analyzeGraph(graph, DEFAULTS);

  it('analyses completely: If on computed conditions inlined (5 selections), NMS inside an If branch, RoiAlign, TopK, NonZero', () => {
    expect(r.totals.complete).toBe(true);
    expect(r.totals.unsupported).toEqual([]);
    expect(graph.layers.filter((l) => l.op === 'ifSelect').length).toBe(5);
    expect(graph.layers.filter((l) => l.op === 'roiAlign').length).toBe(2);
  });

  it('data-dependent sizes are stated upper bounds: the detections at 1 image · 90 classes · 150 proposals = 13,500 rows', () => {
    const nms = r.layers.filter((l) => l.op === 'nonMaxSuppression');
    // the RPN's NMS (proposals of every level, one class) and the box head's (90 classes)
    expect(nms.map((l) => l.outputShape)).toEqual([[450, 3], [13_500, 3]]);
    expect(r.warnings.filter((w) => w.code === 'DATA_DEPENDENT_SHAPE').map((w) => w.layer)).toEqual(expect.arrayContaining([nms[1].name, '/roi_heads/NonZero']));
    // the Ifs' conditions (is a box list empty?) fold at analysis: the else branches are taken, the tiny then branches still counted
    expect(r.warnings.filter((w) => w.code === 'IF_BOTH_BRANCHES_COUNTED').map((w) => [w.layer, w.taken])).toContainEqual(['If_1401', 'else']);
    // the box head runs on the RPN's 150 proposals (rpn_post_nms_top_n_test): fc6 150·(256·7·7)·1024 MACs
    expect(r.layers.find((l) => l.name === '/roi_heads/box_head/fc6/Gemm')).toMatchObject({ inputShapes: [[150, 12_544]], macs: 150 * 12_544 * 1024 });
  });
});

describe("torchvision's maskrcnn_resnet50_fpn exported at opset 17 (scripts/export_detection.py, weights stripped, one 3×320×320 image)", () => {
  const bytes = readFileSync(new URL('../fixtures/onnx/detection/maskrcnn_resnet50_fpn_stripped.onnx', import.meta.url));
  const { graph } = importOnnx(bytes, { inputShapes: { image: [3, 320, 320] } });
  const r = analyzeGraph(graph, DEFAULTS);
  const paste = graph.layers.filter((l) => l.source?.opType === 'Loop');

  it('analyses completely: the paste loop (_onnx_paste_masks_in_image_loop) is one loop layer, no unsupported operator', () => {
    expect(r.totals.complete).toBe(true);
    expect(r.totals.unsupported).toEqual([]);
    expect(paste.map((l) => [l.name, l.op])).toEqual([['Loop_2463', 'loop']]);
  });

  it("parameters: PyTorch's 44,454,513 less one per channel of the 53 BatchNorms the exporter folded into the ResNet-50 convs (64 + 1,408 + 3,584 + 10,240 + 11,264 = 26,560); the loop adds none", () => {
    expect(r.totals.params).toBe(44_454_513 - 26_560);
    expect(r.warnings.find((w) => w.code === 'BATCHNORM_FOLDED')?.message).toMatch(/^53 layer/);
  });

  it('outputs at the stated bounds: 100 detections (box_detections_per_img), masks pasted at the 320×320 image', () => {
    expect(Object.fromEntries(r.outputs.map((o) => [o.name, o.shape]))).toEqual({ boxes: [100, 4], labels: [100], scores: [100], masks: [100, 1, 320, 320] });
    const w = r.warnings.find((x) => x.code === 'DATA_DEPENDENT_SHAPE' && x.layer === 'Loop_2463')!;
    expect(w).toMatchObject({ bound: 100 });
    expect(w.message).toMatch(/bound of 100 iterations/);
  });

  it("costs the loop's body per iteration with the box at the whole image: a bilinear resize to 320×320 (7 FLOPs per output), 100·320·320·7 = 71,680,000 FLOPs; no parameters", () => {
    expect(layer(r, 'Loop_2463')).toMatchObject({ macs: 0, flops: 100 * 320 * 320 * 7, params: 0 });
  });
});
