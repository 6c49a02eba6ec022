import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNpy, decodeTensor, encodeNpy, encodeTensor, halfToFloat, stats } from '../../src/tensor/encoding.js';
import { tensor } from '../../src/tensor/tensor.js';
import { errorOf } from '../helpers.js';

const MAX = 1 << 20;

/** A .npy file written by hand per the NumPy format spec (v1.0, little-endian header). */
function npy(descr: string, shape: string, payload: Uint8Array, fortran = 'False'): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(payload, 10 + header.length);
  return out;
}

describe('tensors over the wire', () => {
  it('nested JSON and flat JSON decode to the same row-major data', () => {
    const nested = decodeTensor({ shape: [2, 2], data: [[1, 2], [3, 4]] }, '$.x', MAX);
    const flat = decodeTensor({ shape: [2, 2], data: [1, 2, 3, 4] }, '$.x', MAX);
    expect(Array.from(nested.data)).toEqual([1, 2, 3, 4]);
    expect(flat).toEqual(nested);
    expect(encodeTensor(nested, 'json')).toEqual({ shape: [2, 2], data: [[1, 2], [3, 4]] });
    expect(encodeTensor(nested, 'json', false)).toEqual({ shape: [2, 2], data: [1, 2, 3, 4] });
  });

  it('base64 float32 little-endian round-trips', () => {
    const t = tensor([3], [1.5, -2, 0.25]);
    const wire = encodeTensor(t, 'base64');
    expect(wire.base64).toBe(Buffer.from(new Float32Array([1.5, -2, 0.25]).buffer).toString('base64'));
    expect(decodeTensor(wire, '$.x', MAX)).toEqual(t);
  });

  it('a wrong element count, a bad base64 length and an oversized tensor are errors naming the path', () => {
    expect(errorOf(() => decodeTensor({ shape: [2, 3], data: [1, 2] }, '$.inputs[0]', MAX))).toMatchObject({ code: 'INVALID_TENSOR', details: { path: '$.inputs[0]' } });
    expect(errorOf(() => decodeTensor({ shape: [2], base64: 'AAAA' }, '$.x', MAX)).code).toBe('INVALID_TENSOR');
    expect(errorOf(() => decodeTensor({ shape: [2048, 1024], base64: '' }, '$.x', MAX)).code).toBe('TENSOR_TOO_LARGE');
    expect(errorOf(() => decodeTensor({ data: [1] }, '$.x', MAX)).code).toBe('INVALID_TENSOR');
  });

  it('.npy: float32, float64, int64 and float16 read; Fortran order refused; our writer round-trips', () => {
    const f32 = npy('<f4', '(2, 2)', new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    expect(decodeNpy(f32, 'x', MAX)).toEqual(tensor([2, 2], [1, 2, 3, 4]));
    const f64 = npy('<f8', '(3,)', new Uint8Array(new Float64Array([0.5, -1, 2]).buffer));
    expect(Array.from(decodeNpy(f64, 'x', MAX).data)).toEqual([0.5, -1, 2]);
    const i64 = npy('<i8', '(2,)', new Uint8Array(new BigInt64Array([7n, -3n]).buffer));
    expect(Array.from(decodeNpy(i64, 'x', MAX).data)).toEqual([7, -3]);
    // float16: 0x3c00 = 1, 0xc000 = −2, 0x3555 ≈ 0.33325
    const f16 = npy('<f2', '(3,)', new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer));
    expect(Array.from(decodeNpy(f16, 'x', MAX).data)).toEqual([1, -2, Math.fround(0.333251953125)]);
    expect(errorOf(() => decodeNpy(npy('<f4', '(1,)', new Uint8Array(4), 'True'), 'x', MAX)).code).toBe('INVALID_TENSOR');
    expect(errorOf(() => decodeNpy(new TextEncoder().encode('not numpy at all'), 'x', MAX)).code).toBe('INVALID_TENSOR');
    const t = tensor([2, 1, 3], [1, 2, 3, 4, 5, 6]);
    expect(decodeNpy(encodeNpy(t), 'x', MAX)).toEqual(t);
    // NumPy aligns the data to 64 bytes: file length − 6 floats × 4 bytes
    expect((encodeNpy(t).length - 24) % 64).toBe(0);
  });

  it('a .npy written by NumPy (scripts/operator_goldens.py) reads', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/operators/arange.npy', import.meta.url)));
    expect(decodeNpy(bytes, 'x', MAX)).toEqual(tensor([2, 3], [0, 1, 2, 3, 4, 5]));
  });

  it('half floats: subnormals, infinities', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
  });

  it('summary statistics: population std', () => {
    expect(stats(tensor([4], [1, 2, 3, 4]))).toEqual({ min: 1, max: 4, mean: 2.5, std: Math.sqrt(1.25) });
  });
});
