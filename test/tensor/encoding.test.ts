import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  JSON_NUMBER_MAX_CHARS,
  answerBytes,
  answerDtype,
  base64Pieces,
  decodeNpy,
  decodeTensor,
  encodeNpy,
  encodeTensor,
  encodedBytesBound,
  halfToFloat,
  jsonDataPieces,
  npyHeader,
} from '../../src/tensor/encoding.js';
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

  it('JSON numbers past float32 (±3.4028235e38) are refused, not turned into ±Infinity: 1e39, −1e39, a scalar 4e38; 3.4e38 and 1e-50 (rounds to 0) are read', () => {
    for (const [shape, data] of [[[2], [1, 1e39]], [[2, 1], [[-1e39], [0]]], [[], 4e38]] as const) {
      const e = errorOf(() => decodeTensor({ shape, data }, '$.x', MAX));
      expect(e).toMatchObject({ code: 'INVALID_TENSOR', details: { path: '$.x' } });
      expect(e.message).toContain("beyond float32's range (±3.4028235e38)");
    }
    expect(Array.from(decodeTensor({ shape: [2], data: [3.4e38, 1e-50] }, '$.x', MAX).data)).toEqual([Math.fround(3.4e38), 0]);
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

  it('base64 decodes straight into the tensor\'s storage (exactly 4·n bytes); line-wrapped base64 still reads', () => {
    const t = decodeTensor({ shape: [3], base64: Buffer.from(new Float32Array([1.5, -2, 0.25]).buffer).toString('base64') }, '$.x', MAX);
    expect(t.data.buffer.byteLength).toBe(12);
    const wrapped = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer).toString('base64').replace(/(.{8})/g, '$1\n');
    expect(Array.from(decodeTensor({ shape: [6], base64: wrapped }, '$.x', MAX).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('base64 with text after the padding ("AAAAAA==garbage") or a character outside the alphabet is INVALID_TENSOR (Node\'s decoder dropped it); unpadded and URL-safe base64 read', () => {
    expect(errorOf(() => decodeTensor({ shape: [1], base64: 'AAAAAA==garbage' }, '$.x', MAX))).toMatchObject({ code: 'INVALID_TENSOR', message: '$.x: not base64: "g" at character 8, after the = padding' });
    expect(errorOf(() => decodeTensor({ shape: [1], base64: 'AAA*AAA' }, '$.x', MAX))).toMatchObject({ code: 'INVALID_TENSOR', message: '$.x: not base64: "*" at character 3' });
    // 1.5 as float32 little-endian is 00 00 c0 3f: "AADAPw==", unpadded "AADAPw"; −2 is 00 00 00 c0: "AAAAwA==", URL-safe the same
    expect(Array.from(decodeTensor({ shape: [1], base64: 'AADAPw' }, '$.x', MAX).data)).toEqual([1.5]);
    expect(Array.from(decodeTensor({ shape: [2], base64: 'AADAPwAAAMA' }, '$.x', MAX).data)).toEqual([1.5, -2]);
    // 0.333 as float32 is "+n6qPg==": URL-safe "-n6qPg"
    expect(Array.from(decodeTensor({ shape: [1], base64: '-n6qPg' }, '$.x', MAX).data)).toEqual([Math.fround(0.333)]);
  });

  it('a run of 200,000 "= " is checked in one pass (a backtracking pattern took seconds per 40,000): INVALID_TENSOR for its byte count', () => {
    expect(errorOf(() => decodeTensor({ shape: [1], base64: '= '.repeat(200_000) }, '$.x', MAX))).toMatchObject({ code: 'INVALID_TENSOR', message: '$.x: shape [1] needs 4 bytes of float32, the base64 holds 0' });
  });

  it('JSON data is checked by hand in one pass: a string inside, a non-number, or 100 levels of nesting are INVALID_TENSOR at the path', () => {
    expect(errorOf(() => decodeTensor({ shape: [2], data: [1, 'a'] }, '$.inputs.x', MAX))).toMatchObject({ code: 'INVALID_TENSOR', details: { path: '$.inputs.x.data[1]' } });
    expect(errorOf(() => decodeTensor({ shape: [1], data: null }, '$.x', MAX)).code).toBe('INVALID_TENSOR');
    let deep: unknown = [1];
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(errorOf(() => decodeTensor({ shape: [1], data: deep }, '$.x', MAX)).message).toContain('nests deeper than 64 levels');
    expect(Array.from(decodeTensor({ shape: [], data: 7 }, '$.x', MAX).data)).toEqual([7]);
  });

  it('ragged data is INVALID_TENSOR at the array out of line (it was flattened: [[1, 2, 3], [4]] read as a [2, 2] tensor); flat or nested as the shape read; nested otherwise is refused at data (it was read flat: NHWC data given for an NCHW shape ran)', () => {
    const ragged = errorOf(() => decodeTensor({ shape: [2, 2], data: [[1, 2, 3], [4]] }, '$.inputs[0]', MAX));
    expect(ragged).toMatchObject({ code: 'INVALID_TENSOR', details: { path: '$.inputs[0].data[1]' } });
    expect(ragged.message).toBe('$.inputs[0].data[1] holds 1 values where data[0] holds 3: nested data must be rectangular (a flat list, or arrays nested as the shape)');
    expect(errorOf(() => decodeTensor({ shape: [4], data: [1, [2, 3], 4] }, '$.x', MAX))).toMatchObject({ details: { path: '$.x.data[1]' }, message: expect.stringContaining('is an array where data[0] is a number') });
    expect(errorOf(() => decodeTensor({ shape: [4], data: [[1, 2], 3, 4] }, '$.x', MAX))).toMatchObject({ details: { path: '$.x.data[1]' }, message: expect.stringContaining('is a number where data[0] is an array') });
    const values = (data: unknown, shape = [2, 3]) => Array.from(decodeTensor({ shape, data }, '$.x', MAX).data);
    expect(values([1, 2, 3, 4, 5, 6])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values([[1, 2, 3], [4, 5, 6]])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values([[[1, 2, 3]], [[4, 5, 6]]], [2, 1, 3])).toEqual([1, 2, 3, 4, 5, 6]);
    const regrouped = errorOf(() => decodeTensor({ shape: [2, 3], data: [[1, 2], [3, 4], [5, 6]] }, '$.x', MAX));
    expect(regrouped).toMatchObject({ code: 'INVALID_TENSOR', details: { path: '$.x.data', shapes: { tensor: [2, 3], data: [3, 2] } } });
    expect(regrouped.message).toBe("$.x.data is nested as [3, 2] where the shape is [2, 3]: give it nested as the shape (axes of size 1 may be left out or added), or as one flat list of 6 values in the shape's order");
    // an NHWC image [1, 1, 2, 3] (two pixels of three channels) for an NCHW shape [1, 3, 1, 2]
    const nhwc = [[[[1, 2, 3], [4, 5, 6]]]];
    expect(errorOf(() => decodeTensor({ shape: [1, 3, 1, 2], data: nhwc }, '$.inputs.x', MAX)).details.path).toBe('$.inputs.x.data');
    expect(errorOf(() => decodeTensor({ shape: [3, 2], data: [[1, 2], [3, 4]] }, '$.x', MAX)).message).toContain('is nested as [2, 2] where the shape is [3, 2]');
    expect(errorOf(() => decodeTensor({ shape: [2, 2], data: [1, 2, 3, 4, 5, 6] }, '$.x', MAX)).message).toBe('$.x: shape [2, 2] needs 4 values, got 6');
    // axes of size 1 left out or added keep the order: a CHW image's tolist() for [1, C, H, W], a row for [4], a scalar as [[7]]
    expect(values([[1, 2], [3, 4], [5, 6]], [1, 3, 2])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values([[[[1, 2, 3, 4]]]], [4])).toEqual([1, 2, 3, 4]);
    expect(values([[7]], [])).toEqual([7]);
    // an empty tensor's nesting stops at its first 0 ([[], []] is how a [2, 0, 3] tensor is written); other counts are refused
    expect(values([[], []], [2, 0])).toEqual([]);
    expect(values([[], []], [2, 0, 3])).toEqual([]);
    expect(errorOf(() => decodeTensor({ shape: [2, 0], data: [[], [], []] }, '$.x', MAX)).message).toContain('is nested as [3, 0] where the shape is [2, 0]');
    expect(errorOf(() => decodeTensor({ shape: [5, 0], data: [[]] }, '$.x', MAX)).message).toContain('is nested as [1, 0] where the shape is [5, 0]');
  });

  it('.npy with view: little-endian float32 data becomes a view of the caller\'s bytes (no copy); without it, or as float64, a copy', () => {
    const file = encodeNpy(tensor([2, 2], [1, 2, 3, 4]));
    const bytes = new Uint8Array(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
    const viewed = decodeNpy(bytes, 'x', MAX, { view: true });
    expect(viewed.data.buffer).toBe(bytes.buffer);
    expect(Array.from(viewed.data)).toEqual([1, 2, 3, 4]);
    expect(decodeNpy(bytes, 'x', MAX).data.buffer).not.toBe(bytes.buffer);
  });

  it('JSON text in pieces is JSON.stringify\'s, nested or flat, for shapes [], [0], [2, 0, 3], [5], [2, 3], [1, 1, 1], [2, 3, 4] and values NaN, ±Infinity (null), −0, 1e-7', () => {
    const values = [NaN, Infinity, -Infinity, -0, 1e-7, 0.1, -3.5, 1e30, 2, 7, 8, 9];
    for (const shape of [[], [0], [2, 0, 3], [5], [2, 3], [1, 1, 1], [2, 3, 4]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const t = tensor(shape, Array.from({ length: n }, (_, i) => values[i % values.length]));
      for (const nested of [true, false]) {
        const expected = JSON.stringify(encodeTensor(t, 'json', nested).data);
        for (const perPiece of [1, 2, 5, 1 << 16]) expect([...jsonDataPieces(t, nested, perPiece)].join(''), `${shape} ${nested} ${perPiece}`).toBe(expected);
        expect(expected.length).toBeLessThanOrEqual(encodedBytesBound(shape, nested ? 'json' : 'flat'));
      }
    }
  });

  it('base64 in pieces of 3·k bytes joins to the whole tensor\'s base64, whose length the bound gives exactly', () => {
    const t = tensor([7], [1, 2, 3, 4, 5, 6, 7]);
    const whole = encodeTensor(t, 'base64').base64 as string;
    for (const bytes of [3, 6, 27]) expect([...base64Pieces(t, bytes)].join('')).toBe(whole);
    expect(encodedBytesBound([7], 'base64')).toBe(whole.length + 2);
  });

  it('the bound of 25 characters per value is reached: -0.0000057477577684039716 is a float32 whose JSON takes 25', () => {
    const worst = Math.fround(-0.0000057477577684039716);
    expect(worst).toBe(-0.0000057477577684039716);
    expect(JSON.stringify(worst)).toHaveLength(JSON_NUMBER_MAX_CHARS);
    const t = tensor([4, 1], [worst, worst, worst, worst]);
    expect(JSON.stringify(encodeTensor(t, 'json').data)).toHaveLength(encodedBytesBound([4, 1], 'json'));
  });

  it('.npy headers are read as NumPy reads them: version 1.0–3.0, exactly descr, fortran_order and shape, dims non-negative integers; else INVALID_TENSOR (an oversized shape TENSOR_TOO_LARGE first)', () => {
    const f4 = new Uint8Array(new Float32Array([1, 2]).buffer);
    const withVersion = (major: number, minor: number) => {
      const b = npy('<f4', '(2,)', f4);
      b[6] = major;
      b[7] = minor;
      return b;
    };
    expect(errorOf(() => decodeNpy(withVersion(0, 0), 'x', MAX)).message).toContain('format version 0.0');
    expect(errorOf(() => decodeNpy(withVersion(1, 1), 'x', MAX)).code).toBe('INVALID_TENSOR');
    for (const shape of ['(-1,)', '(2.5,)', '(nan,)', "('2',)", '(\u0000, 2)', '(1 2,)', '(1_0,)']) {
      expect(errorOf(() => decodeNpy(npy('<f4', shape, f4), 'x', MAX)).code, shape).toBe('INVALID_TENSOR');
    }
    const extra = `{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }`;
    const raw = (header: string) => {
      const h = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), Buffer.from(h, 'latin1'), Buffer.from(f4)]);
    };
    expect(errorOf(() => decodeNpy(raw(extra), 'x', MAX)).message).toContain("not exactly 'descr', 'fortran_order' and 'shape'");
    expect(errorOf(() => decodeNpy(raw(`{'descr': '<f4', 'shape': (2,), }`), 'x', MAX)).code).toBe('INVALID_TENSOR');
    expect(errorOf(() => decodeNpy(raw(`{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }`), 'x', MAX)).code).toBe('INVALID_TENSOR');
    expect(errorOf(() => decodeNpy(raw(`{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,), 'extra': 1}`), 'x', MAX)).code).toBe('TENSOR_TOO_LARGE');
    // a list or a bare integer for the shape, which NumPy does not write, reads as the tuple it means
    expect(decodeNpy(raw(`{'descr': '<f4', 'fortran_order': False, 'shape': [2], }`), 'x', MAX).shape).toEqual([2]);
    expect(decodeNpy(raw(`{'descr': '<f4', 'fortran_order': False, 'shape': 2, }`), 'x', MAX).shape).toEqual([2]);
    expect(decodeNpy(raw(`{"shape": (1, 2), "fortran_order": False, "descr": "<f4"}`), 'x', MAX)).toEqual(tensor([1, 2], [1, 2]));
    // np.save of a record array: the descr is a list of fields, said so (it printed "descr  is not …")
    expect(errorOf(() => decodeNpy(raw(`{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }`), 'x', MAX)).message).toContain('descr a list of fields (a structured dtype) is not a supported typestr');
    // a count past 2^53 is a magnitude, not rounded digits (55340232221128655000 for 3·2^64)
    expect(errorOf(() => decodeNpy(raw(`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4294967296, 4294967296), }`), 'x', MAX)).message).toBe(`x: 5.53e+19 elements is over the ${MAX}-element limit`);
  });
});

describe('answers of float16 tensors (Tensor.dtype, runtime/float16-run.ts)', () => {
  const values = [1, -2.5, 65504, Infinity, 2 ** -24, 0.0999755859375];
  const half = { ...tensor([2, 3], values), dtype: 'float16' as const };
  // np.save(f, np.array([[1, -2.5, 65504], [np.inf, 2**-24, 0.0999755859375]], '<f2')): 140 bytes
  const NUMPY_HEADER = "\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (2, 3), }" + ' '.repeat(58) + '\n';
  const NUMPY_DATA = 'ADwAwf97AHwBAGYu';

  it("encodeNpy writes NumPy's own file for it, byte for byte (<f2, 2 bytes an element), and decodeNpy reads it back", () => {
    const file = encodeNpy(half);
    expect(file.length).toBe(140);
    expect(file.subarray(0, 128).toString('latin1')).toBe(NUMPY_HEADER);
    expect(file.subarray(128).toString('base64')).toBe(NUMPY_DATA);
    expect(Array.from(decodeNpy(file, 'x', MAX).data)).toEqual(values);
  });

  it('answerDtype is float16 only for a tensor typed so; a float32 tensor keeps <f4 and its own bytes', () => {
    expect([answerDtype(half), answerDtype(tensor([1], [1]))]).toEqual(['float16', 'float32']);
    expect(encodeNpy(tensor([1], [1])).toString('latin1', 10, 30)).toContain("'<f4'");
    expect(npyHeader([2, 3], 'float16').toString('latin1')).toBe(NUMPY_HEADER);
  });

  it('base64 in its dtype only when asked (encodeTensor, base64Pieces): float16 is 2 bytes an element named "float16"; by default float32 as before', () => {
    expect(encodeTensor(half, 'base64', true, answerDtype(half))).toEqual({ shape: [2, 3], dtype: 'float16', base64: NUMPY_DATA });
    expect([...base64Pieces(half, 3 << 18, 'float16')].join('')).toBe(NUMPY_DATA);
    const float32 = encodeTensor(half, 'base64') as { dtype: string; base64: string };
    expect(float32.dtype).toBe('float32');
    expect(Buffer.from(float32.base64, 'base64').length).toBe(24);
    expect(Array.from(answerBytes(half))).toEqual(Array.from(Buffer.from(NUMPY_DATA, 'base64')));
  });
});
