/** ops/geometry.ts inputRows: the input rows a band of output rows reads, worked by hand. */
import { describe, expect, it } from 'vitest';
import { inputRows } from '../../src/ops/geometry.js';
import { axisName } from '../../src/ops/geometry-nd.js';
import type { AxisGeometry } from '../../src/ops/geometry.js';

const axis = (input: number, kernel: number, stride: number, pad: number, dilation = 1): AxisGeometry => {
  const effKernel = dilation * (kernel - 1) + 1;
  return { in: input, kernel, stride, dilation, effKernel, padBegin: pad, padEnd: pad, out: Math.floor((input + 2 * pad - effKernel) / stride) + 1 };
};

describe('inputRows: [from·stride − padBegin, (to − 1)·stride − padBegin + effKernel) within the input', () => {
  it('7×7 stride 2 padding 3 at 64 (a stem), output rows [16, 32): 16·2 − 3 = 29 to 31·2 − 3 + 7 = 66, clamped to 64', () => {
    expect(inputRows(axis(64, 7, 2, 3), 16, 32)).toEqual([29, 64]);
  });
  it('3×3 stride 1 padding 1 at 112, output rows [0, 56): −1 clamped to 0, to 55 − 1 + 3 = 57', () => {
    expect(inputRows(axis(112, 3, 1, 1), 0, 56)).toEqual([0, 57]);
  });
  it('3×3 dilation 2 (effective 5) padding 2 at 20, output rows [5, 8): 5 − 2 = 3 to 7 − 2 + 5 = 10', () => {
    expect(inputRows(axis(20, 3, 1, 2, 2), 5, 8)).toEqual([3, 10]);
  });
  it('the last output row of 5×5 padding 4 at 4 (8 rows out), row 7: 7 − 4 = 3 to 6 − 4 + 5 = 7, clamped to 4', () => {
    expect(inputRows(axis(4, 5, 1, 4), 7, 8)).toEqual([3, 4]);
  });
});

describe('axisName: an axis of an N-D geometry in messages', () => {
  it('1-D: length; 2-D: height, width (not depth, height); 3-D: depth, height, width; 4-D: axis a', () => {
    expect(axisName(1, 0)).toBe('length');
    expect([0, 1].map((a) => axisName(2, a))).toEqual(['height', 'width']);
    expect([0, 1, 2].map((a) => axisName(3, a))).toEqual(['depth', 'height', 'width']);
    expect(axisName(4, 0)).toBe('axis 0');
  });
});
