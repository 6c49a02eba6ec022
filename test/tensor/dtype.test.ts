import path from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DTYPES } from '../../src/analysis/report.js';
import { AttributeType } from '../../src/graph/onnx/proto.js';
import { decodeNpy } from '../../src/tensor/encoding.js';
import {
  bfloat16ToFloat,
  bytesPerElement,
  decodeToFloat32,
  DTYPE_INFO,
  DTYPE_NAMES,
  dtypeOfNpy,
  dtypeOfOnnx,
  elementReader,
  halfToFloat,
  holdsIntegers,
  isFloat,
  isInteger,
  TensorDataType,
} from '../../src/tensor/dtype.js';

const proto = protobuf.loadSync(path.join(import.meta.dirname, '..', '..', 'schema', 'onnx', 'onnx.proto'));

describe('the dtype table against NumPy and ONNX', () => {
  it('bytes per element = NumPy itemsize (np.dtype(t).itemsize; torch.bfloat16.itemsize for bfloat16)', () => {
    expect(Object.fromEntries(DTYPE_NAMES.map((d) => [d, bytesPerElement(d)]))).toEqual({
      float32: 4,
      float64: 8,
      float16: 2,
      bfloat16: 2,
      int8: 1,
      int16: 2,
      int32: 4,
      int64: 8,
      uint8: 1,
      uint16: 2,
      uint32: 4,
      uint64: 8,
      bool: 1,
    });
  });

  it('NumPy typestr without byte order (np.dtype(t).str[1:]); bfloat16 has none', () => {
    expect(Object.fromEntries(DTYPE_NAMES.map((d) => [d, DTYPE_INFO[d].npy]))).toEqual({
      float32: 'f4',
      float64: 'f8',
      float16: 'f2',
      bfloat16: null,
      int8: 'i1',
      int16: 'i2',
      int32: 'i4',
      int64: 'i8',
      uint8: 'u1',
      uint16: 'u2',
      uint32: 'u4',
      uint64: 'u8',
      bool: 'b1',
    });
    expect([dtypeOfNpy('f2'), dtypeOfNpy('b1'), dtypeOfNpy('u8'), dtypeOfNpy('c8'), dtypeOfNpy('U1')]).toEqual(['float16', 'bool', 'uint64', undefined, undefined]);
  });

  it('TensorDataType and AttributeType are exactly the enums of schema/onnx/onnx.proto', () => {
    expect(TensorDataType).toEqual(proto.lookupEnum('onnx.TensorProto.DataType').values);
    expect(AttributeType).toEqual(proto.lookupEnum('onnx.AttributeProto.AttributeType').values);
  });

  it('ONNX numbers (onnx.proto TensorProto.DataType): FLOAT 1 … BFLOAT16 16; STRING 8, COMPLEX64 14, UNDEFINED 0 and unknown → other', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16].map(dtypeOfOnnx)).toEqual([
      'float32',
      'uint8',
      'int8',
      'uint16',
      'int16',
      'int32',
      'int64',
      'bool',
      'float16',
      'float64',
      'uint32',
      'uint64',
      'bfloat16',
    ]);
    expect([0, 8, 14, 15, 17, 99].map(dtypeOfOnnx)).toEqual(['other', 'other', 'other', 'other', 'other', 'other']);
  });

  it('classification as NumPy: np.floating = float16/32/64 (+ bfloat16); np.integer = int*/uint*; bool is neither', () => {
    const floats = DTYPE_NAMES.filter(isFloat);
    const integers = DTYPE_NAMES.filter(isInteger);
    expect(floats).toEqual(['float32', 'float64', 'float16', 'bfloat16']);
    expect(integers).toEqual(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
    expect([isFloat('bool'), isInteger('bool'), holdsIntegers('bool')]).toEqual([false, false, true]);
    expect(DTYPE_NAMES.filter(holdsIntegers)).toEqual([...integers, 'bool']);
    expect([isFloat('other'), isInteger('other'), holdsIntegers('other'), isFloat('toString')]).toEqual([false, false, false, false]);
  });

  it("the analyze option's bytes per element are float32 4, float16 2, bfloat16 2, int8 1", () => {
    expect(DTYPES).toEqual({ float32: 4, float16: 2, bfloat16: 2, int8: 1 });
  });
});

describe('reading elements', () => {
  it('float16 bits (IEEE 754 binary16): 0x3C00 = 1, 0xC000 = −2, 0x7BFF = 65504, 0x0400 = 2^−14', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0400].map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -14]);
  });

  it('bfloat16 bits (upper half of binary32): 0x3F80 = 1, 0xC000 = −2, 0x4049 = 3.140625, 0x7F80 = ∞', () => {
    expect([0x3f80, 0xc000, 0x4049, 0x7f80].map(bfloat16ToFloat)).toEqual([1, -2, 3.140625, Infinity]);
  });

  it('int64 −1 and uint64 2^40 from little-endian bytes', () => {
    const bytes = new Uint8Array(new BigInt64Array([-1n, 1n << 40n]).buffer);
    const dv = new DataView(bytes.buffer);
    expect(elementReader('int64')(dv, 0, true)).toBe(-1);
    expect(elementReader('uint64')(dv, 8, true)).toBe(2 ** 40);
    expect(elementReader('uint64')(dv, 0, true)).toBe(2 ** 64);
  });

  it('decodeToFloat32: unaligned float32, big-endian int16, bool bytes 0/2 → 0/1, too few bytes → null', () => {
    const f = new Uint8Array(9);
    new DataView(f.buffer).setFloat32(1, 1.5, true);
    new DataView(f.buffer).setFloat32(5, -3, true);
    expect(Array.from(decodeToFloat32('float32', f.subarray(1), 2)!)).toEqual([1.5, -3]);
    expect(Array.from(decodeToFloat32('int16', new Uint8Array([0xff, 0xfe, 0x01, 0x00]), 2, false)!)).toEqual([-2, 256]);
    expect(Array.from(decodeToFloat32('bool', new Uint8Array([0, 2]), 2)!)).toEqual([0, 1]);
    expect(decodeToFloat32('float64', new Uint8Array(15), 2)).toBeNull();
  });

  it('every NumPy type of the table reads from a .npy file: [1, 0, 2] (bool [1, 0, 1])', () => {
    const payloads: Record<string, ArrayBufferView> = {
      f4: new Float32Array([1, 0, 2]),
      f8: new Float64Array([1, 0, 2]),
      f2: new Uint16Array([0x3c00, 0, 0x4000]),
      i1: new Int8Array([1, 0, 2]),
      i2: new Int16Array([1, 0, 2]),
      i4: new Int32Array([1, 0, 2]),
      i8: new BigInt64Array([1n, 0n, 2n]),
      u1: new Uint8Array([1, 0, 2]),
      u2: new Uint16Array([1, 0, 2]),
      u4: new Uint32Array([1, 0, 2]),
      u8: new BigUint64Array([1n, 0n, 2n]),
      b1: new Uint8Array([1, 0, 1]),
    };
    const npyTypes = DTYPE_NAMES.map((d) => DTYPE_INFO[d].npy).filter((t) => t !== null);
    expect(Object.keys(payloads).sort()).toEqual([...npyTypes].sort());
    for (const [t, data] of Object.entries(payloads)) {
      let header = `{'descr': '${t.endsWith('1') ? '|' : '<'}${t}', 'fortran_order': False, 'shape': (3,), }`;
      header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
      const file = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]), Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
      expect([t, Array.from(decodeNpy(file, '$', 100).data)]).toEqual([t, t === 'b1' ? [1, 0, 1] : [1, 0, 2]]);
    }
  });
});
