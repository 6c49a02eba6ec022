import { describe, expect, it } from 'vitest';
import type { GraphLayer } from '../../src/graph/graph.js';
import { checkRunShapes } from '../../src/runtime/run-shapes.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const nms = { name: 'nms', op: 'nonMaxSuppression', inputs: ['boxes', 'scores'], outputs: ['selected'], attrs: {}, path: '$.graph.node[7]' } as unknown as GraphLayer;

describe('checkRunShapes: a value-dependent output meets the layers planned after it', () => {
  it('NMS kept 3 boxes of a bound of 10, and a later layer reads them: 400 UNSUPPORTED_OPERATOR naming the layer, both shapes and capture', () => {
    const e = errorOf(() => checkRunShapes(nms, [tensor([3, 3])], [[10, 3]], () => true));
    expect(e.code).toBe('UNSUPPORTED_OPERATOR');
    expect(e.message).toContain("layer 'nms' wrote 'selected' as [3, 3]");
    expect(e.message).toContain('planned for [10, 3]');
    expect(e.message).toContain('capture');
    expect(e.details).toMatchObject({ layer: 'nms', path: '$.graph.node[7]' });
  });

  it('nobody after it reads the tensor (a graph output, a captured tensor): its real size is fine', () => {
    expect(() => checkRunShapes(nms, [tensor([3, 3])], [[10, 3]], () => false)).not.toThrow();
  });

  it('the planned size met exactly: nothing to say', () => {
    expect(() => checkRunShapes(nms, [tensor([10, 3])], [[10, 3]], () => true)).not.toThrow();
  });
});
