/**
 * A resize whose scales or sizes leave an axis empty (src/ops/resize.ts emptyAxis): 400
 * NON_POSITIVE_SIZE at the attribute that set the size ($.attributes.scales, or
 * $.attributes.sizes through keep_aspect_ratio_policy), naming the axis and the rule that gave 0;
 * it named upsample's scaleFactor, a field resize does not have.
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { analyze, errorOf, layer, net } from '../helpers.js';

const call = (shape: number[], attributes: Record<string, unknown>) =>
  runOperator({ name: 'resize', inputs: [tensor(shape, new Float32Array(shape.reduce((n, d) => n * d, 1)))], attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });

describe('resize: an axis of size 0 is the fault of its scales or sizes', () => {
  it('x [1, 1, 4, 4], scales [1, 1, 1, 0.2]: axis 3 would be floor(4 · 0.2) = 0 → 400 NON_POSITIVE_SIZE at $.attributes.scales, naming axis 3 and the scales, not scaleFactor', () => {
    const e = errorOf(() => call([1, 1, 4, 4], { scales: [1, 1, 1, 0.2] }));
    expect([e.status, e.code, e.details.path, e.details.axis]).toEqual([400, 'NON_POSITIVE_SIZE', '$.attributes.scales', 3]);
    expect(e.message).toBe("layer 'resize': resize output axis 3 would be 0 = floor(4 · 0.2), scales [1, 1, 1, 0.2], for input [1, 1, 4, 4]; every axis needs at least 1");
    expect(e.message).not.toContain('scaleFactor');
  });

  it('axes [-1] with scales [0.1] on x [1, 2, 8, 8]: the axis named is 3 (floor(8 · 0.1) = 0)', () => {
    const e = errorOf(() => call([1, 2, 8, 8], { axes: [-1], scales: [0.1] }));
    expect([e.code, e.details.path, e.details.axis]).toEqual(['NON_POSITIVE_SIZE', '$.attributes.scales', 3]);
    expect(e.message).toContain('axis 3 would be 0 = floor(8 · 0.1), scales [0.1]');
  });

  it('sizes [1, 100] not_larger over axes [2, 3] of x [1, 1, 1000, 10]: one scale 0.001 makes axis 3 round(0.01) = 0 → at $.attributes.sizes, naming the policy', () => {
    const e = errorOf(() => call([1, 1, 1000, 10], { axes: [2, 3], sizes: [1, 100], keepAspectRatioPolicy: 'not_larger' }));
    expect([e.status, e.code, e.details.path, e.details.axis]).toEqual([400, 'NON_POSITIVE_SIZE', '$.attributes.sizes', 3]);
    expect(e.message).toContain('axis 3 would be 0 = round(not_larger scale · 10), sizes [1, 100]');
  });

  it('tf_crop_and_resize: a roi of a tenth at scale 2 on 4 gives floor(4 · (0.1 − 0) · 2) = 0, said as over the roi', () => {
    const e = errorOf(() => call([1, 1, 4, 4], { coordinateTransformationMode: 'tf_crop_and_resize', mode: 'linear', roi: [0, 0, 0, 0, 1, 1, 1, 0.1], scales: [1, 1, 1, 2] }));
    expect([e.code, e.details.path]).toEqual(['NON_POSITIVE_SIZE', '$.attributes.scales']);
    expect(e.message).toContain('floor(4 · (0.1 − 0) · 2), scales [1, 1, 1, 2] over the roi');
  });

  it('in a network spec the fault is at the layer\'s scales ($.layers[0].scales); a size of at least 1 still resizes (floor(4 · 0.25) = 1)', () => {
    const e = errorOf(() => analyze(net([1, 1, 4, 4], { op: 'resize', scales: [1, 1, 1, 0.2] })));
    expect([e.code, e.details.path]).toEqual(['NON_POSITIVE_SIZE', '$.layers[0].scales']);
    expect(layer(analyze(net([1, 1, 4, 4], { op: 'resize', scales: [1, 1, 1, 0.25] })), 'l0').outputShape).toEqual([1, 1, 4, 1]);
  });

  it('upsample keeps its own field: scaleFactor 0.1 on 4 × 4 is NON_POSITIVE_SIZE at $.attributes.scaleFactor', () => {
    const e = errorOf(() => runOperator({ name: 'upsample', inputs: [tensor([1, 1, 4, 4], new Float32Array(16))], attributes: { scaleFactor: 0.1 }, weights: {}, training: false, seed: 0, maxElements: 1 << 20 }));
    expect([e.code, e.details.path]).toEqual(['NON_POSITIVE_SIZE', '$.attributes.scaleFactor']);
  });
});
