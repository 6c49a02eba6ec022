/**
 * Issue 9, defect 10: float16, bfloat16 and float64 initializers are widened to float32 for the
 * kernels; one with fewer bytes than its shape needs is a 400 INVALID_TENSOR naming the
 * initializer and its layer (it used to be a RangeError, a 500).
 */
import { describe, expect, it } from 'vitest';
import { runTask } from '../../src/runtime/tasks.js';
import { tensor } from '../../src/tensor/tensor.js';
import { onnxModel } from '../graph/onnx-builder.js';
import { errorOf } from '../helpers.js';

/** Little-endian bytes of 2.5 and −0.5 in each type: float16 0x4100 0xB800, bfloat16 0x4020 0xBF00, float64 by DataView. */
const BYTES = {
  float16: [0x00, 0x41, 0x00, 0xb8],
  bfloat16: [0x20, 0x40, 0x00, 0xbf],
  double: (() => {
    const dv = new DataView(new ArrayBuffer(16));
    dv.setFloat64(0, 2.5, true);
    dv.setFloat64(8, -0.5, true);
    return [...new Uint8Array(dv.buffer)];
  })(),
} as const;

/** x [1, 1, 1, 2] → Conv with a 1×1 weight W [2, 1, 1, 1] (no bias) → y [1, 2, 1, 2]. */
const model = (type: keyof typeof BYTES, raw: number[]) =>
  onnxModel({
    inputs: [{ name: 'x', shape: [1, 1, 1, 2] }],
    outputs: ['y'],
    initializers: [{ name: 'W', dims: [2, 1, 1, 1], type, raw: Uint8Array.from(raw) }],
    nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'conv' }],
  });

const run = (bytes: Uint8Array) =>
  runTask({ source: { kind: 'onnx', bytes, inputShapes: {} }, inputs: { x: tensor([1, 1, 1, 2], [1, 2]) }, weights: {}, weightInit: 'file', training: false, seed: 0, capture: [], maxElements: 1 << 20 });

describe.each(Object.keys(BYTES) as (keyof typeof BYTES)[])('a %s weight', (type) => {
  it('with all its bytes: widened, y = [2.5·x, −0.5·x] = [2.5, 5, −0.5, −1]', () => {
    expect(Array.from(run(model(type, [...BYTES[type]])).outputs.y.data)).toEqual([2.5, 5, -0.5, -1]);
  });

  it('one byte short: 400 INVALID_TENSOR naming the initializer W and the layer conv', () => {
    const e = errorOf(() => run(model(type, BYTES[type].slice(0, -1))));
    expect(e.code).toBe('INVALID_TENSOR');
    expect(e.status).toBe(400);
    expect(e.message).toContain("initializer 'W'");
    expect(e.details.layer).toBe('conv');
  });
});
