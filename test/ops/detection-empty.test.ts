/**
 * Detection post-processing with nothing to select: an image whose detections a score threshold
 * removed reaches NonMaxSuppression with 0 boxes in a staged run's later stage (runtime/run-staged.ts).
 * torchvision.ops.nms on no boxes returns an empty index tensor; ONNX's NonMaxSuppression selects
 * [0, 3]. A maxOutputBoxesPerClass of 0 (ONNX's reading of an absent one) still selects nothing
 * whatever the boxes, and stays refused (the importer leaves such a node unsupported).
 */
import { describe, expect, it } from 'vitest';
import { nonMaxSuppression } from '../../src/ops/detection.js';
import { errorOf } from '../helpers.js';
import { tensor } from '../../src/tensor/tensor.js';
import { inferOf, ints, run } from './op-helpers.js';

describe('nonMaxSuppression with no boxes', () => {
  it('boxes [1, 0, 4], scores [1, 3, 0], max 10: analysed as [0, 3] (no FLOPs), not refused', () => {
    const inf = inferOf(nonMaxSuppression, [[1, 0, 4], [1, 3, 0]], {}, [null, null, ints(10)]);
    expect(inf.outputs).toEqual([[0, 3]]);
    expect(inf.cost.elementwise).toBe(0);
  });

  it('its kernel selects nothing: [0, 3] (the run kernel at the inferred plan, as a staged run calls it)', () => {
    const shapes = [[1, 0, 4], [1, 3, 0], [1], [1]];
    const attrs = nonMaxSuppression.attrs.parse({});
    const inf = inferOf(nonMaxSuppression, shapes, {}, [null, null, ints(10), null]);
    const inputs = [tensor([1, 0, 4], new Float32Array(0)), tensor([1, 3, 0], new Float32Array(0)), tensor([1], Float32Array.of(10)), tensor([1], Float32Array.of(0.5))];
    const [y] = nonMaxSuppression.run({ attrs, plan: inf.plan, inputs, weights: {}, outputs: inf.outputs, training: false, seed: 0 });
    expect([y.shape, y.data.length]).toEqual([[0, 3], 0]);
  });

  it('a run through the operator endpoint (no empty tensors there) is refused with a 400 naming the empty output, not a crash', () => {
    const e = errorOf(() => run('nonMaxSuppression', [[[1, 0, 4], []], [[1, 3, 0], []], [[1], [10]], [[1], [0.5]]]));
    expect(e.code).toBe('NON_POSITIVE_SIZE');
  });

  it('maxOutputBoxesPerClass 0 still selects nothing whatever the boxes: INVALID_ATTRIBUTE naming it', () => {
    const e = errorOf(() => inferOf(nonMaxSuppression, [[1, 8, 4], [1, 2, 8]], { maxOutputBoxesPerClass: 0 }));
    expect(e.code).toBe('INVALID_ATTRIBUTE');
    expect(e.message).toMatch(/maxOutputBoxesPerClass is 0/);
  });
});
