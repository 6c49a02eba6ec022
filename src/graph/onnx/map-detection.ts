/**
 * ONNX detection post-processing → convlens ops (ops/detection.ts): NonMaxSuppression (opsets
 * 10/11) and RoiAlign (opsets 10/16; opset 10 has no coordinate_transformation_mode and behaves
 * as output_half_pixel, 16 defaults to half_pixel).
 * NonMaxSuppression's max_output_boxes_per_class, iou_threshold and score_threshold stay inputs
 * (constants the op reads, or computed: then every box is the bound). An absent
 * max_output_boxes_per_class is ONNX's 0, which selects nothing: such a node is left unsupported
 * (an empty output has no shape convlens can carry) rather than failing the report.
 */
import { Unsupported } from './mapping.js';
import type { NodeMapper } from './mapping.js';

export const DETECTION_MAPPERS: Record<string, NodeMapper> = {
  NonMaxSuppression(ctx) {
    const ins = ctx.node.input;
    if (!ins[2]) throw new Unsupported('max_output_boxes_per_class absent: ONNX reads it as 0 and selects no box');
    const max = ctx.constOf(2)?.value?.data[0];
    if (max === 0) throw new Unsupported('max_output_boxes_per_class 0 selects no box', 2);
    return ctx.same('nonMaxSuppression', { centerPointBox: ctx.a.int('center_point_box', 0) }, { centerPointBox: 'center_point_box' });
  },
  RoiAlign(ctx) {
    return ctx.same('roiAlign', {
      mode: ctx.a.string('mode', 'avg'),
      outputHeight: ctx.a.int('output_height', 1),
      outputWidth: ctx.a.int('output_width', 1),
      samplingRatio: ctx.a.int('sampling_ratio', 0),
      spatialScale: ctx.a.float('spatial_scale', 1),
      coordinateTransformationMode: ctx.opset >= 16 ? ctx.a.string('coordinate_transformation_mode', 'half_pixel') : 'output_half_pixel',
      // opset ≥ 16 without the attribute: ONNX's default, which torchvision < 0.15 exports did not mean (ops/detection.ts)
      modeDefaulted: ctx.opset >= 16 && ctx.a.string('coordinate_transformation_mode', '') === '',
    }, {
      mode: 'mode',
      outputHeight: 'output_height',
      outputWidth: 'output_width',
      samplingRatio: 'sampling_ratio',
      spatialScale: 'spatial_scale',
      // opset 10 has no such attribute (output_half_pixel is its behaviour): the node
      ...(ctx.opset >= 16 && { coordinateTransformationMode: 'coordinate_transformation_mode' }),
    });
  },
};
