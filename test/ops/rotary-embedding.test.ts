/**
 * rotaryEmbedding (src/ops/rotary-embedding.ts) called by name, as /v1/operators and a JSON spec
 * reach it: what its positionIds input must be.
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const call = (inputs: ReturnType<typeof tensor>[]) => runOperator({ name: 'rotaryEmbedding', inputs, attributes: {}, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });
// x (B, H, S, D) = (1, 1, 1, 4), halves (1, 3), (0, 5); caches of one position turning by 90° (cos 0, sin 1)
const x = () => tensor([1, 1, 1, 4], [1, 0, 3, 5]);

describe('rotaryEmbedding positionIds', () => {
  it('ids [[0]] gather row 0 of (1, 2) caches: by 90°, y1 = −x2, y2 = x1 → [−3, −5, 1, 0]', () => {
    expect(Array.from(call([x(), tensor([1, 2], [0, 0]), tensor([1, 2], [1, 1]), tensor([1, 1], [0])]).outputs[0].data)).toEqual([-3, -5, 1, 0]);
  });

  // a rank-0 positionIds counted as none: the (B, S, R/2) caches were read by position and the id (7, no row of anything) ignored
  it('a scalar positionIds (7) is SHAPE_MISMATCH at input 3, (B, S) = (1, 1) wanted, not ignored', () => {
    const e = errorOf(() => call([x(), tensor([1, 1, 2], [0, 0]), tensor([1, 1, 2], [1, 1]), tensor([], [7])]));
    expect([e.code, e.details.path, e.message]).toEqual(['SHAPE_MISMATCH', '$.inputs[3]', "layer 'rotaryEmbedding': positionIds [] must be (1, 1) for x [1, 1, 1, 4]"]);
  });
});
