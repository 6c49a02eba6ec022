/**
 * Element types: the one table. Names are NumPy's (float32, int64, bool) plus bfloat16; sizes are
 * the ONNX IR spec's (docs/IR.md, "Tensor Element Types") and NumPy's `dtype.itemsize`; the ONNX
 * number is TensorProto.DataType; the .npy descriptor is NumPy's array-interface typestr without
 * its byte-order character (`np.dtype('float16').str == '<f2'`). bfloat16 has no NumPy type.
 *
 * Kinds: float (IEEE 754 binary16/32/64, and bfloat16 = the upper 16 bits of a binary32), int
 * (two's complement), uint, bool (one byte, 0 or 1). NumPy and ONNX count bool as neither float
 * nor integer; `holdsIntegers` is the values' view (a bool is 0 or 1, a whole number).
 */

/**
 * ONNX element types: schema/onnx/onnx.proto, message TensorProto, enum DataType. The float8 and
 * 4-bit types of later ONNX releases are not in the vendored proto, so not here.
 */
export const TensorDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

export type DtypeKind = 'float' | 'int' | 'uint' | 'bool';

interface DtypeInfo {
  bytes: number;
  kind: DtypeKind;
  /** TensorProto.DataType. */
  onnx: number;
  /** NumPy typestr without byte order; null when NumPy has no such type. */
  npy: string | null;
}

const T = TensorDataType;

export const DTYPE_INFO = {
  float32: { bytes: 4, kind: 'float', onnx: T.FLOAT, npy: 'f4' },
  float64: { bytes: 8, kind: 'float', onnx: T.DOUBLE, npy: 'f8' },
  float16: { bytes: 2, kind: 'float', onnx: T.FLOAT16, npy: 'f2' },
  bfloat16: { bytes: 2, kind: 'float', onnx: T.BFLOAT16, npy: null },
  int8: { bytes: 1, kind: 'int', onnx: T.INT8, npy: 'i1' },
  int16: { bytes: 2, kind: 'int', onnx: T.INT16, npy: 'i2' },
  int32: { bytes: 4, kind: 'int', onnx: T.INT32, npy: 'i4' },
  int64: { bytes: 8, kind: 'int', onnx: T.INT64, npy: 'i8' },
  uint8: { bytes: 1, kind: 'uint', onnx: T.UINT8, npy: 'u1' },
  uint16: { bytes: 2, kind: 'uint', onnx: T.UINT16, npy: 'u2' },
  uint32: { bytes: 4, kind: 'uint', onnx: T.UINT32, npy: 'u4' },
  uint64: { bytes: 8, kind: 'uint', onnx: T.UINT64, npy: 'u8' },
  bool: { bytes: 1, kind: 'bool', onnx: T.BOOL, npy: 'b1' },
} as const satisfies Record<string, DtypeInfo>;

export type DtypeName = keyof typeof DTYPE_INFO;
/** A constant's element type; `other` for ONNX types convlens does not read (string, complex). */
export type DataType = DtypeName | 'other';

export const DTYPE_NAMES = Object.keys(DTYPE_INFO) as DtypeName[];

const info = (d: string): DtypeInfo | undefined => (Object.hasOwn(DTYPE_INFO, d) ? DTYPE_INFO[d as DtypeName] : undefined);

export function isDtype(d: string): d is DtypeName {
  return info(d) !== undefined;
}

export function bytesPerElement(d: DtypeName): number {
  return DTYPE_INFO[d].bytes;
}

/** float16, bfloat16, float32, float64. */
export function isFloat(d: string): boolean {
  return info(d)?.kind === 'float';
}

/** Signed and unsigned integers (not bool, as in NumPy's np.integer and ONNX). */
export function isInteger(d: string): boolean {
  const k = info(d)?.kind;
  return k === 'int' || k === 'uint';
}

/** Values are whole numbers: the integer types and bool (Cast to them truncates). */
export function holdsIntegers(d: string): boolean {
  const k = info(d)?.kind;
  return k === 'int' || k === 'uint' || k === 'bool';
}

const BY_ONNX = new Map<number, DtypeName>(DTYPE_NAMES.map((d) => [DTYPE_INFO[d].onnx, d]));
const BY_NPY = new Map<string, DtypeName>(DTYPE_NAMES.flatMap((d) => (DTYPE_INFO[d].npy ? [[DTYPE_INFO[d].npy!, d] as const] : [])));

/** The element type of an ONNX TensorProto.DataType number; `other` for string, complex and unknown numbers. */
export function dtypeOfOnnx(n: number): DataType {
  return BY_ONNX.get(n) ?? 'other';
}

/**
 * ONNX element types convlens does not decode (held as `other`) that hold numbers in a fixed width:
 * the 8-bit floats (onnx 1.14, IR 9; FLOAT8E8M0 1.19), the 4-bit integers and float (1.16, 1.18)
 * and the 2-bit integers (1.20, IR 13), with their bits an element (raw_data packs 4-bit ones two a
 * byte, 2-bit ones four, the last byte padded: onnx.proto's TensorProto).
 */
const PACKED_TYPES = new Map<number, { name: string; bits: number }>([
  [17, { name: 'FLOAT8E4M3FN', bits: 8 }],
  [18, { name: 'FLOAT8E4M3FNUZ', bits: 8 }],
  [19, { name: 'FLOAT8E5M2', bits: 8 }],
  [20, { name: 'FLOAT8E5M2FNUZ', bits: 8 }],
  [21, { name: 'UINT4', bits: 4 }],
  [22, { name: 'INT4', bits: 4 }],
  [23, { name: 'FLOAT4E2M1', bits: 4 }],
  [24, { name: 'FLOAT8E8M0', bits: 8 }],
  [25, { name: 'UINT2', bits: 2 }],
  [26, { name: 'INT2', bits: 2 }],
]);

/** ONNX's name of a TensorProto.DataType number (FLOAT, INT4 …), or undefined for a number it has none for. */
export function onnxTypeName(n: number): string | undefined {
  return Object.entries(TensorDataType).find(([, v]) => v === n)?.[0] ?? PACKED_TYPES.get(n)?.name;
}

/** The bytes raw_data holds for `count` elements of an ONNX type convlens does not decode but knows the width of (FLOAT8E4M3FN, INT4 …), or undefined. */
export function packedRawBytes(n: number, count: number): number | undefined {
  const bits = PACKED_TYPES.get(n)?.bits;
  return bits === undefined ? undefined : Math.ceil((count * bits) / 8);
}

/** The element type of a .npy typestr without byte order (`f4`, `i8`, `b1`), or undefined. */
export function dtypeOfNpy(typestr: string): DtypeName | undefined {
  return BY_NPY.get(typestr);
}

/** IEEE 754 binary16 bits → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** bfloat16 bits → number: they are the upper half of a binary32. */
export function bfloat16ToFloat(h: number): number {
  scratchBits[0] = (h & 0xffff) << 16;
  return scratch[0];
}

export type ElementReader = (dv: DataView, offset: number, littleEndian: boolean) => number;

const READERS: Record<DtypeName, ElementReader> = {
  float32: (dv, o, le) => dv.getFloat32(o, le),
  float64: (dv, o, le) => dv.getFloat64(o, le),
  float16: (dv, o, le) => halfToFloat(dv.getUint16(o, le)),
  bfloat16: (dv, o, le) => bfloat16ToFloat(dv.getUint16(o, le)),
  int8: (dv, o) => dv.getInt8(o),
  int16: (dv, o, le) => dv.getInt16(o, le),
  int32: (dv, o, le) => dv.getInt32(o, le),
  // 64-bit values beyond ±2^53 round to the nearest double
  int64: (dv, o, le) => Number(dv.getBigInt64(o, le)),
  uint8: (dv, o) => dv.getUint8(o),
  uint16: (dv, o, le) => dv.getUint16(o, le),
  uint32: (dv, o, le) => dv.getUint32(o, le),
  uint64: (dv, o, le) => Number(dv.getBigUint64(o, le)),
  bool: (dv, o) => (dv.getUint8(o) !== 0 ? 1 : 0),
};

/** Reads one element of type `d` at a byte offset. */
export function elementReader(d: DtypeName): ElementReader {
  return READERS[d];
}

/**
 * `count` elements of type `d` from packed bytes as float32 (integers beyond 2^24 round), or null
 * when the bytes are too few. Aligned little-endian float32 is one copy.
 */
export function decodeToFloat32(d: DtypeName, bytes: Uint8Array, count: number, littleEndian = true): Float32Array | null {
  const size = DTYPE_INFO[d].bytes;
  if (bytes.byteLength < count * size) return null;
  const out = new Float32Array(count);
  if (d === 'float32' && littleEndian && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
    return out;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = READERS[d];
  for (let i = 0; i < count; i++) out[i] = read(dv, i * size, littleEndian);
  return out;
}
