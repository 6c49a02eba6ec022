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
    expect(r.totals.unsupported).toEqual([{ opType: 'NonMaxSuppression', count: 1, nodes: ['nms'] }]);
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
    expect(graph.layers[0].attrs).toMatchObject({ mode: 'max', outputHeight: 7, samplingRatio: 2, spatialScale: 0.25, coordinateTransformationMode: 'half_pixel' });
    expect(layer(analyzeOnnx(bytes), 'roi').outputShape).toEqual([5, 8, 7, 7]);
  });
});
