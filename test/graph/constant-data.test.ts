import { describe, expect, it } from 'vitest';
import { constantData } from '../../src/graph/constant-data.js';
import type { GraphConstant } from '../../src/graph/graph.js';
import { toConstant } from '../../src/graph/onnx/constants.js';
import type { TensorProto } from '../../src/graph/onnx/proto.js';

const stored = (dataType: GraphConstant['dataType'], shape: number[], raw: Uint8Array): GraphConstant => ({ name: 'c', shape, dataType, value: null, raw, typed: null, initializer: true });

describe('constantData: a stored initializer as float32 values', () => {
  it('int8 raw bytes [0x80, 0xff, 0x00, 0x7f] are −128, −1, 0, 127 (a quantized layer\'s weights)', () => {
    expect([...constantData(stored('int8', [4], Uint8Array.from([0x80, 0xff, 0x00, 0x7f])))!]).toEqual([-128, -1, 0, 127]);
  });
  it('int32 little-endian raw bytes of −7 and 300 (a quantized layer\'s bias)', () => {
    const raw = new Uint8Array(Int32Array.from([-7, 300]).buffer);
    expect([...constantData(stored('int32', [2], raw))!]).toEqual([-7, 300]);
  });
  it('uint8 zero points 0 and 255', () => {
    expect([...constantData(stored('uint8', [2], Uint8Array.from([0, 255])))!]).toEqual([0, 255]);
  });
  it('too few bytes for the shape is no data (null), not a crash', () => {
    expect(constantData(stored('int32', [3], new Uint8Array(8)))).toBeNull();
  });
});

describe("toConstant: values from each of onnx.proto's typed fields, as onnx.helper.make_tensor writes them", () => {
  const proto = (dataType: number, dims: number[], fields: Record<string, unknown>) =>
    ({ name: 'c', dims, dataType, rawData: new Uint8Array(0), floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], ...fields }) as unknown as TensorProto;
  const values = (t: TensorProto) => toConstant(t, 'c', true, { left: 1000 }).value?.data;

  it('float16 as its bits in int32_data: 0x3c00, 0xc000, 0x3555 are 1, −2, 0.33325 (not 15360, 49152, 13653)', () => {
    expect(values(proto(10, [3], { int32Data: [0x3c00, 0xc000, 0x3555] }))).toEqual([1, -2, 0.333251953125]);
  });
  it('bfloat16 as its bits in int32_data: 0x3f80, 0x4049 are 1 and 3.140625', () => {
    expect(values(proto(16, [2], { int32Data: [0x3f80, 0x4049] }))).toEqual([1, 3.140625]);
  });
  it('uint64_data of a uint64 [2]: 5 and 2^40', () => {
    expect(values(proto(13, [2], { uint64Data: [5, 2 ** 40] }))).toEqual([5, 2 ** 40]);
  });
  it('a float64 weight of 100 values in double_data (too long to fold) is still its data for a run, not a stripped weight', () => {
    const c = toConstant(proto(11, [100], { doubleData: Array.from({ length: 100 }, (_, i) => i / 4) }), 'w', true, { left: 1000 });
    expect(c.value).toBeNull();
    expect(constantData(c)![99]).toBe(24.75);
  });
  it('an int8 weight of 70,000 values in int32_data (past the folding budget) is still its data', () => {
    const c = toConstant(proto(3, [70_000], { int32Data: Array.from({ length: 70_000 }, (_, i) => (i % 256) - 128) }), 'w', true, { left: 1000 });
    expect(c.value).toBeNull();
    expect([...constantData(c)!.subarray(0, 3)]).toEqual([-128, -127, -126]);
  });
});
