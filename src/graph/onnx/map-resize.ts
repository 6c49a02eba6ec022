/**
 * ONNX Resize (opsets 10–19) and Upsample (7–9) → the resize op (ops/resize.ts), every attribute
 * carried: mode, coordinate_transformation_mode (tf_crop_and_resize with extrapolation_value;
 * half_pixel_symmetric, opset 19), nearest_mode, cubic_coeff_a (TensorFlow's −0.5 as tf2onnx
 * exports bicubic), exclude_outside, and opset 18's antialias, axes and keep_aspect_ratio_policy.
 * Attributes at their defaults are left out, so a plain Resize's layer reads as before.
 *
 *   Resize-10    inputs (X, scales); asymmetric, nearest floor (its only behaviour)
 *   Resize-11+   inputs (X, roi, scales, sizes), as given
 *   Upsample     scales as an attribute (opset 7–8) or input 1 (9); asymmetric, floor; bilinear = linear
 *   antialias    applies to linear and cubic only (the spec): on nearest it is dropped
 */
import type { Mapped, NodeMapper } from './mapping.js';

const opt = <T>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });

const resize: NodeMapper = ({ node, a, opset }): Mapped => {
  const ins = node.input;
  const mode = a.string('mode', 'nearest');
  if (opset < 11) return { op: 'resize', inputs: [ins[0], '', ins[1] ?? ''], attrs: { mode, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, from: { mode: 'mode', scales: 1 } };
  const transform = a.string('coordinate_transformation_mode', 'half_pixel');
  const cubic = a.float('cubic_coeff_a', -0.75);
  const policy = a.string('keep_aspect_ratio_policy', 'stretch');
  return {
    op: 'resize',
    inputs: [...ins],
    attrs: {
      mode,
      coordinateTransformationMode: transform,
      nearestMode: a.string('nearest_mode', 'round_prefer_floor'),
      ...opt('cubicCoeffA', mode === 'cubic' && cubic !== -0.75 ? cubic : undefined),
      ...opt('excludeOutside', a.int('exclude_outside', 0) === 1 ? true : undefined),
      ...opt('antialias', a.int('antialias', 0) === 1 && mode !== 'nearest' ? true : undefined),
      ...opt('axes', a.ints('axes')),
      ...opt('keepAspectRatioPolicy', policy !== 'stretch' ? policy : undefined),
      ...opt('extrapolationValue', transform === 'tf_crop_and_resize' ? a.float('extrapolation_value', 0) : undefined),
    },
    from: {
      mode: 'mode',
      coordinateTransformationMode: 'coordinate_transformation_mode',
      nearestMode: 'nearest_mode',
      cubicCoeffA: 'cubic_coeff_a',
      excludeOutside: 'exclude_outside',
      antialias: 'antialias',
      axes: 'axes',
      keepAspectRatioPolicy: 'keep_aspect_ratio_policy',
      extrapolationValue: 'extrapolation_value',
      roi: 1,
      scales: 2,
      sizes: 3,
    },
  };
};

const upsample: NodeMapper = ({ node, a }): Mapped => {
  const ins = node.input;
  const raw = a.string('mode', 'nearest');
  const mode = raw === 'bilinear' ? 'linear' : raw;
  const scales = a.floats('scales');
  return {
    op: 'resize',
    inputs: scales ? [ins[0]] : [ins[0], '', ins[1]],
    attrs: { mode, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor', ...opt('scales', scales) },
    from: { mode: 'mode', scales: ['scales', 1] },
  };
};

export const RESIZE_MAPPERS: Record<string, NodeMapper> = { Resize: resize, Upsample: upsample };
