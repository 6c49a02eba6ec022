/**
 * Operator calls that fuzzing (2026-12-03, about 400k calls) found answered with a 500, a wrong
 * count of outputs or a path to no field: each now a catalog 4xx at the field at fault, or the
 * right outputs.
 */
import { describe, expect, it } from 'vitest';
import { runOperator } from '../../src/runtime/operator.js';
import type { OperatorCall } from '../../src/runtime/operator.js';
import { tensor } from '../../src/tensor/tensor.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const call = (name: string, inputs: Tensor[], attributes: Record<string, unknown> = {}): OperatorCall => ({ name, inputs, attributes, weights: {}, training: false, seed: 0, maxElements: 1 << 20 });
const t = (shape: number[], data: number[]) => tensor(shape, Float32Array.from(data));
const errorOf = (c: OperatorCall) => {
  try {
    runOperator(c);
  } catch (e) {
    return e as { code: string; details: { path?: string }; message: string };
  }
  throw new Error('no error');
};

describe('split', () => {
  it('no sizes for an empty axis (split [] of [0]): 400 INVALID_ATTRIBUTE at $.attributes.split (was a 500: no outputs)', () => {
    expect(errorOf(call('split', [t([0], [])], { split: [] }))).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.attributes.split' } });
  });

  it('sizes as input 1 give one output each: [1, 2, 3, 4] by [1, 1, 1, 1] is four outputs [1], [2], [3], [4] (was 2: y2, y3 dropped); [1, 2, 3] by [3] is one (was a 500)', () => {
    expect(runOperator(call('split', [t([4], [1, 2, 3, 4]), t([4], [1, 1, 1, 1])])).outputs.map((o) => Array.from(o.data))).toEqual([[1], [2], [3], [4]]);
    expect(runOperator(call('split', [t([3], [1, 2, 3]), t([1], [3])])).outputs.map((o) => Array.from(o.data))).toEqual([[1, 2, 3]]);
  });

  it('a negative size (5 and −2 of 3): 400 INVALID_ATTRIBUTE at $.attributes.split', () => {
    expect(errorOf(call('split', [t([3], [1, 2, 3])], { split: [5, -2] }))).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.attributes.split' } });
  });
});

describe('unsqueeze', () => {
  it('axes −2 and 1 of a rank-3 output name dim 1 twice: 400 INVALID_ATTRIBUTE at $.attributes.axes (was NON_POSITIVE_SIZE at $, a shape with a hole)', () => {
    const e = errorOf(call('unsqueeze', [t([2], [1, 2])], { axes: [-2, 1] }));
    expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.attributes.axes' } });
    expect(e.message).toContain('name output dim 1 twice');
  });
});

describe('cumSum', () => {
  it('an axis input of 0 or 2 values: 400 INVALID_ATTRIBUTE at $.inputs[1] (was "inputs=undefined", or the second value ignored)', () => {
    for (const axis of [t([0], []), t([2], [0, 0])]) {
      const e = errorOf(call('cumSum', [t([2], [1, 2]), axis]));
      expect(e).toMatchObject({ code: 'INVALID_ATTRIBUTE', details: { path: '$.inputs[1]' } });
      expect(e.message).toContain(`the axis input holds ${axis.data.length} values`);
    }
  });
});

describe('what cannot run is refused at the field that asks for it', () => {
  it('cast to "other" (an ONNX string or complex type): UNSUPPORTED_OPERATOR at $.attributes.to (was $)', () => {
    expect(errorOf(call('cast', [t([2], [1, 2])], { to: 'other' }))).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', details: { path: '$.attributes.to' } });
  });

  it('resize with scales [1, 4] or sizes [2, 2] given as a rank-2 tensor (values it does not fold): UNSUPPORTED_OPERATOR at $.inputs[2] or $.inputs[3] (was $)', () => {
    const x = t([1, 1, 2, 2], [1, 2, 3, 4]);
    expect(errorOf(call('resize', [x, t([0], []), t([1, 4], [1, 1, 2, 2])]))).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', details: { path: '$.inputs[2]' } });
    expect(errorOf(call('resize', [x, t([0], []), t([0], []), t([2, 2], [1, 1, 4, 4])]))).toMatchObject({ code: 'UNSUPPORTED_OPERATOR', details: { path: '$.inputs[3]' } });
  });
});

describe('sizes refused at the layer point at the request field', () => {
  it('erf of an empty [0, 7]: NON_POSITIVE_SIZE at $.inputs[0] (was $)', () => {
    expect(errorOf(call('erf', [t([0, 7], [])]))).toMatchObject({ code: 'NON_POSITIVE_SIZE', details: { path: '$.inputs[0]' } });
  });
});

describe('work refused at the layer points at the request field', () => {
  it('roiAlign with spatialScale 1,000,000 on a 4×4 map (about 2.5e14 units of work over MAX_RUN_WORK): WORK_TOO_LARGE at $.attributes (was $)', () => {
    const c = call('roiAlign', [t([1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i + 1)), t([1, 4], [0, 0, 3, 3]), t([1], [0])], { outputHeight: 1, outputWidth: 1, samplingRatio: 0, spatialScale: 1_000_000 });
    expect(errorOf(c)).toMatchObject({ code: 'WORK_TOO_LARGE', details: { path: '$.attributes' } });
  });
});
